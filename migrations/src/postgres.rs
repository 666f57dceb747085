//! The runner on PostgreSQL: [`postgres`], and [`statements`], what it runs.

use tokio_postgres::Transaction;

use crate::{Error, Migrated, Schema, Step, now_ms};

/// The statements [`postgres`] runs, in order: lock, create the version table, read the
/// version, record a version.
fn sql(schema: &Schema) -> [String; 4] {
    let table = schema.table;
    [
        "SELECT pg_advisory_xact_lock($1)".to_owned(),
        format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                version BIGINT PRIMARY KEY,
                applied_at_ms BIGINT NOT NULL
            )"
        ),
        // Cast, and cast the parameters below: an older version table may have an INT column
        // (the checkpointer's has), and tokio-postgres maps only BIGINT to i64.
        format!("SELECT COALESCE(MAX(version), 0)::BIGINT FROM {table}"),
        format!("INSERT INTO {table} (version, applied_at_ms) VALUES ($1::BIGINT, $2::BIGINT)"),
    ]
}

/// Every statement [`postgres`] runs for `schema` besides the migrations themselves, for a test
/// that prepares each against a migrated database (Postgres then checks their syntax, tables
/// and types).
pub fn statements(schema: &Schema) -> Vec<String> {
    sql(schema).into()
}

/// Brings `schema`'s tables to [`Schema::latest`] in `tx`, which the caller opened and commits.
/// First takes the transaction-scoped advisory lock [`Schema::lock`]: Postgres DDL is
/// transactional, so processes migrating one database at once take turns, and the later ones
/// find the work done. On an error nothing is committed yet: dropping `tx` leaves the database
/// as it was. No migration may use `CREATE INDEX CONCURRENTLY`, which cannot run inside a
/// transaction.
///
/// Creates the version table (`version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL`) in
/// the connection's `search_path` if missing; a table of another shape works as long as it
/// has those two columns of integer types.
pub async fn postgres(tx: &Transaction<'_>, schema: &Schema) -> Result<Migrated, Error> {
    let [lock, create, read, record] = sql(schema);
    // Held until the transaction ends: a process migrating at once waits here.
    tx.execute(&lock, &[&schema.lock])
        .await
        .map_err(schema.failed(Step::Lock))?;
    tx.batch_execute(&create)
        .await
        .map_err(schema.failed(Step::ReadVersion))?;
    let found: i64 = tx
        .query_one(&read, &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(schema.failed(Step::ReadVersion))?;
    let now = now_ms();
    for (version, migration) in schema.due(found)? {
        tx.batch_execute(migration)
            .await
            .map_err(schema.failed(Step::Apply(version)))?;
        tx.execute(&record, &[&version, &now])
            .await
            .map_err(schema.failed(Step::Apply(version)))?;
        schema.applied(version);
    }
    Ok(Migrated {
        from: found,
        to: schema.latest(),
    })
}
