//! The runner on SQLite: [`sqlite`].

use rusqlite::Transaction;

use crate::{Error, Migrated, Schema, Step, now_ms};

/// Brings `schema`'s tables to [`Schema::latest`] in `tx`, which the caller opened (with
/// `BEGIN IMMEDIATE`, so two processes opening one file take turns: a deferred transaction
/// would let both read the version and then fail to write) and commits. On an error nothing is
/// committed yet: dropping `tx` leaves the file as it was.
///
/// Creates the version table (`version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL`)
/// if missing; a table of another shape works as long as it has those two columns.
pub fn sqlite(tx: &Transaction<'_>, schema: &Schema) -> Result<Migrated, Error> {
    let table = schema.table;
    tx.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (
            version INTEGER PRIMARY KEY,
            applied_at_ms INTEGER NOT NULL
        )"
    ))
    .map_err(schema.failed(Step::ReadVersion))?;
    let found: i64 = tx
        .query_row(
            &format!("SELECT COALESCE(MAX(version), 0) FROM {table}"),
            [],
            |row| row.get(0),
        )
        .map_err(schema.failed(Step::ReadVersion))?;
    let record = format!("INSERT INTO {table} (version, applied_at_ms) VALUES (?1, ?2)");
    let now = now_ms();
    for (version, migration) in schema.due(found)? {
        tx.execute_batch(migration)
            .map_err(schema.failed(Step::Apply(version)))?;
        tx.execute(&record, (version, now))
            .map_err(schema.failed(Step::Apply(version)))?;
        schema.applied(version);
    }
    Ok(Migrated {
        from: found,
        to: schema.latest(),
    })
}
