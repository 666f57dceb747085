//! The database schema and its migrations.
//!
//! `gc_schema` records every migration applied, in one row each. Opening runs the missing ones
//! with the workspace's runner (`migrations::sqlite`) in a single `IMMEDIATE` transaction, so
//! two processes opening a new file at once cannot both migrate it, and refuses a file whose
//! newest migration is unknown to this build.
//!
//! Tables are prefixed `gc_` so the file can sit beside other tables (LangGraph's own saver uses
//! `checkpoints` and `writes`).

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::Error;

/// Migrations in order; entry `i` brings the schema to version `i + 1`. Never edit one that has
/// shipped: add a new one.
const MIGRATIONS: &[&str] = &[
    // Version 1.
    //
    // Thread and field names are interned: every other row carries a small integer instead of a
    // string, which keeps a superstep's rows close to the size of its update. Checkpoint ids are
    // per thread and only grow, so (thread, id) keys append at the end of their index.
    "CREATE TABLE gc_threads (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE gc_fields (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    -- meta: format byte + JSON (step, source, time, parent, next, writers, breakpoint, metadata).
    -- versions: format byte + JSON [[field, version, depth], ...]. frontier: format byte +
    -- graph-core's bytes.
    CREATE TABLE gc_checkpoints (
        thread INTEGER NOT NULL,
        id INTEGER NOT NULL,
        meta BLOB NOT NULL,
        versions BLOB NOT NULL,
        frontier BLOB NOT NULL,
        PRIMARY KEY (thread, id)
    );
    -- A field value written at checkpoint `version`: a snapshot when `prev` is NULL, otherwise a
    -- delta (a JSON array of updates) to apply to the value at `prev`.
    CREATE TABLE gc_values (
        thread INTEGER NOT NULL,
        field INTEGER NOT NULL,
        version INTEGER NOT NULL,
        prev INTEGER,
        value BLOB NOT NULL,
        PRIMARY KEY (thread, field, version)
    );
    -- Pending writes of tasks running from `checkpoint`; the key makes re-inserting a no-op.
    -- Rows are returned in rowid order, which is the order they were first written.
    CREATE TABLE gc_writes (
        thread INTEGER NOT NULL,
        checkpoint INTEGER NOT NULL,
        task BLOB NOT NULL,
        kind INTEGER NOT NULL,
        slot INTEGER NOT NULL,
        node TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (thread, checkpoint, task, kind, slot)
    );",
    // Version 2: namespaces.
    //
    // A `gc_threads` row is now one namespace of a thread: (name, ns), where `ns` is the text
    // form of graph-core's `Namespace` and '' the root graph. Every other table keys by that row,
    // so a subgraph's checkpoints, values and pending writes are a history of their own with no
    // change to those tables. Rows from version 1 are root namespaces and keep their ids. SQLite
    // cannot change a UNIQUE constraint in place, hence the copy.
    "CREATE TABLE gc_threads_v2 (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        ns TEXT NOT NULL DEFAULT '',
        UNIQUE (name, ns)
    );
    INSERT INTO gc_threads_v2 (id, name, ns) SELECT id, name, '' FROM gc_threads;
    DROP TABLE gc_threads;
    ALTER TABLE gc_threads_v2 RENAME TO gc_threads;",
    // Version 3: the node cache (`SqliteCache`), beside the checkpoints and apart from them.
    //
    // One row per (namespace, key): a node's namespace (its name, or the path of subgraph nodes
    // to it) and the key of its input. `value` is a format byte + graph-core's bytes; times are
    // milliseconds since the Unix epoch by the graph's clock, and `expires_at_ms` is NULL for an
    // entry that never expires. The partial index lets a write sweep expired rows cheaply.
    "CREATE TABLE gc_cache (
        ns TEXT NOT NULL,
        key BLOB NOT NULL,
        value BLOB NOT NULL,
        stored_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER,
        PRIMARY KEY (ns, key)
    ) WITHOUT ROWID;
    CREATE INDEX gc_cache_expiry ON gc_cache (expires_at_ms) WHERE expires_at_ms IS NOT NULL;",
    // Version 4: the long-term store (`SqliteStore`), items that outlive threads.
    //
    // One row per (namespace, key). `ns` is the namespace as graph-core encodes it, each label
    // followed by '.' (`guests.ana.`; labels cannot contain '.'), so the namespaces under a
    // prefix are exactly the range `prefix <= ns < prefix-with-its-last-'.'-raised-to-'/'`: a
    // prefix search is a range of the primary key, never a scan, and never meets a sibling
    // (`a.bc.` is outside `a.b.`..`a.b/`). `value` is the item's JSON object as text, so the file
    // reads with SQLite's JSON functions. Times are milliseconds since the Unix epoch by the
    // store's clock; `expires_at_ms` is NULL for an item that never expires, and the partial
    // index lets puts and sweeps find expired rows without a scan.
    "CREATE TABLE gc_store (
        ns TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER,
        PRIMARY KEY (ns, key)
    ) WITHOUT ROWID;
    CREATE INDEX gc_store_expiry ON gc_store (expires_at_ms) WHERE expires_at_ms IS NOT NULL;",
    // Version 5: field values keyed (thread, version, field).
    //
    // Reads look a value up by all three, or walk a field's delta chain down the thread's
    // versions (the field compared in the index, a few entries per link), so the order serves
    // them about alike; it decides where writes land. Keyed by field first, a superstep's
    // values went to one place in the index per field, and with many threads growing at once
    // each of those was a page of its own: a hotel turn (21 fields) dirtied some 20 index
    // pages, and the cost of a turn grew with the file. Keyed by version first, a checkpoint's values sit side by side and a thread's
    // next checkpoints follow them: a page or two per turn, however large the file.
    "CREATE TABLE gc_values_v5 (
        thread INTEGER NOT NULL,
        field INTEGER NOT NULL,
        version INTEGER NOT NULL,
        prev INTEGER,
        value BLOB NOT NULL,
        PRIMARY KEY (thread, version, field)
    );
    INSERT INTO gc_values_v5 (thread, field, version, prev, value)
        SELECT thread, field, version, prev, value FROM gc_values ORDER BY thread, version, field;
    DROP TABLE gc_values;
    ALTER TABLE gc_values_v5 RENAME TO gc_values;",
];

/// The checkpoint tables: [`MIGRATIONS`], recorded in `gc_schema`. The advisory lock is
/// Postgres's (the key checkpoint-pg takes for its `gc_*` tables); on SQLite, `BEGIN IMMEDIATE`
/// makes openers take turns.
const SCHEMA: migrations::Schema = migrations::Schema {
    table: "gc_schema",
    lock: i64::from_be_bytes(*b"gc_schem"),
    migrations: MIGRATIONS,
};

/// Brings the database at `path` (open on `conn`) to the newest version.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let open_error = |source| Error::Open {
        path: path.to_owned(),
        source,
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(open_error)?;
    migrations::sqlite(&tx, &SCHEMA).map_err(|error| match error {
        migrations::Error::NewerSchema {
            found, supported, ..
        } => Error::NewerSchema {
            path: path.to_owned(),
            found,
            supported,
        },
        migrations::Error::Damaged { found, .. } => Error::Invalid(format!(
            "the SQLite checkpoint database `{}` records schema version {found}; the file is \
             damaged",
            path.display()
        )),
        migrations::Error::Sqlite(failed) => open_error(failed.source),
        // A Postgres error, which the SQLite runner never returns (the variant exists when
        // the workspace builds the runner with both features).
        other => Error::Invalid(format!(
            "the SQLite checkpoint database `{}`: {other}",
            path.display()
        )),
    })?;
    tx.commit().map_err(open_error)
}
