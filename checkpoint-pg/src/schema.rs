//! The tables and their migrations.
//!
//! `gc_schema` records every migration applied, one row each. Opening runs the missing ones with
//! the workspace's runner (`migrations::postgres`) in one transaction that first takes a
//! transaction-scoped advisory lock (`pg_advisory_xact_lock`): Postgres DDL is transactional, so
//! two processes opening a fresh database at once take turns, and the second finds the schema
//! made and does nothing. A database whose newest migration is unknown to this build is
//! refused, unchanged. No migration may use `CREATE INDEX CONCURRENTLY`, which cannot run
//! inside a transaction.
//!
//! The tables are the SQLite crate's (`checkpoint/src/schema.rs`, as of its version 5) with
//! Postgres types, prefixed `gc_` so they can sit beside other tables (LangGraph's own saver uses
//! `checkpoints`, `checkpoint_blobs` and `checkpoint_writes`). They live in the connection's
//! `search_path`, so a schema per tenant or per test is a connection option.

use deadpool_postgres::Object;

use crate::error::Error;

/// The advisory lock key migrations take: "gc_schem" in ASCII, so it is unlikely to collide with
/// an application's own keys.
const MIGRATION_LOCK: i64 = i64::from_be_bytes(*b"gc_schem");

/// Migrations in order; entry `i` brings the schema to version `i + 1`. Never edit one that has
/// shipped: add a new one.
const MIGRATIONS: &[&str] = &[
    // Version 1.
    //
    // A `gc_threads` row is one namespace of a thread (`name`, `ns`; '' the root graph), and
    // every other table keys by its number, so a subgraph's checkpoints, values and pending
    // writes are a history of their own. Field names are interned too. Checkpoint ids are per
    // namespace and only grow, so (thread, id) keys append at the end of their index.
    //
    // `seq` records the order in which checkpoints were stored, which `rewind` reads
    // (`threads/rewind.rs` argues why a sequence gives it). `copy_thread` copies it as it is.
    //
    // meta: format byte + JSON (step, source, time, parent, next, writers, breakpoint,
    // metadata). versions: format byte + JSON [[field, version, depth], ...]. frontier: format
    // byte + graph-core's bytes. A value is a snapshot when `prev` is NULL, otherwise a delta (a
    // JSON array of updates) onto the value at `prev`; keyed (thread, version, field) so a
    // checkpoint's values sit side by side in the index. Pending writes are read in `seq` order,
    // the order they were first written (an upsert keeps its row's `seq`).
    "CREATE TABLE gc_threads (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name TEXT NOT NULL,
        ns TEXT NOT NULL DEFAULT '',
        UNIQUE (name, ns)
    );
    CREATE TABLE gc_fields (
        id INT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE SEQUENCE gc_checkpoint_order;
    CREATE TABLE gc_checkpoints (
        thread BIGINT NOT NULL,
        id BIGINT NOT NULL,
        seq BIGINT NOT NULL DEFAULT nextval('gc_checkpoint_order'),
        meta BYTEA NOT NULL,
        versions BYTEA NOT NULL,
        frontier BYTEA NOT NULL,
        PRIMARY KEY (thread, id)
    );
    CREATE INDEX gc_checkpoints_order ON gc_checkpoints (thread, seq);
    CREATE TABLE gc_values (
        thread BIGINT NOT NULL,
        version BIGINT NOT NULL,
        field INT NOT NULL,
        prev BIGINT,
        value BYTEA NOT NULL,
        PRIMARY KEY (thread, version, field)
    );
    CREATE TABLE gc_writes (
        thread BIGINT NOT NULL,
        checkpoint BIGINT NOT NULL,
        task BYTEA NOT NULL,
        kind SMALLINT NOT NULL,
        slot BIGINT NOT NULL,
        node TEXT NOT NULL,
        value BYTEA NOT NULL,
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (thread, checkpoint, task, kind, slot)
    );",
    // Version 2: the long-term store (`PgStore`) and the node cache (`PgCache`), the SQLite
    // crate's `gc_store` and `gc_cache` (its versions 4 and 3).
    //
    // `gc_store` has one row per (namespace, key). `ns` is the namespace as graph-core encodes
    // it, each label followed by '.' (`guests.ana.`), so the namespaces under a prefix are the
    // range `prefix <= ns < prefix-with-its-last-'.'-raised-to-'/'`: a prefix search is a range
    // of the primary key. Both text columns are `COLLATE "C"`, byte order, which is the store
    // order the trait prescribes and what makes that range contiguous; the database's default
    // collation (en_US.UTF-8, say) would sort by locale rules and break both. `value` is the
    // JSON object as text, byte for byte what was put (JSONB would reorder keys and refuse
    // `\u0000`); filters run in Rust. Times are milliseconds since the Unix epoch by the
    // store's clock; `expires_at_ms` is NULL for never, and the partial indexes let puts, sets
    // and sweeps find expired rows without a scan.
    //
    // `gc_cache` keys by (node namespace, opaque key bytes); `value` is graph-core's bytes
    // behind the format byte.
    "CREATE TABLE gc_store (
        ns TEXT COLLATE \"C\" NOT NULL,
        key TEXT COLLATE \"C\" NOT NULL,
        value TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT,
        PRIMARY KEY (ns, key)
    );
    CREATE INDEX gc_store_expiry ON gc_store (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
    CREATE TABLE gc_cache (
        ns TEXT COLLATE \"C\" NOT NULL,
        key BYTEA NOT NULL,
        value BYTEA NOT NULL,
        stored_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT,
        PRIMARY KEY (ns, key)
    );
    CREATE INDEX gc_cache_expiry ON gc_cache (expires_at_ms) WHERE expires_at_ms IS NOT NULL;",
];

/// The checkpoint tables: [`MIGRATIONS`], recorded in `gc_schema` behind [`MIGRATION_LOCK`].
/// That table's `version` column is INT (it predates the shared runner), which the runner
/// reads and writes through BIGINT casts.
pub(crate) const SCHEMA: migrations::Schema = migrations::Schema {
    table: "gc_schema",
    lock: MIGRATION_LOCK,
    migrations: MIGRATIONS,
};

/// Checks a connection out of `pool` and migrates through it ([`migrate`]); `what` names the
/// opening for the error.
pub(crate) async fn migrate_pool(pool: &deadpool_postgres::Pool, what: &str) -> Result<(), Error> {
    let mut client = pool.get().await.map_err(Error::checkout(what))?;
    migrate(&mut client).await
}

/// Brings the schema on `conn`'s `search_path` to the newest version.
pub(crate) async fn migrate(conn: &mut Object) -> Result<(), Error> {
    let tx = conn.transaction().await.map_err(Error::Migrate)?;
    migrations::postgres(&tx, &SCHEMA)
        .await
        .map_err(|error| match error {
            migrations::Error::NewerSchema {
                found, supported, ..
            } => Error::NewerSchema { found, supported },
            migrations::Error::Postgres(failed) => Error::Migrate(failed.source),
            // Damage (a negative version), or a SQLite error the Postgres runner never returns
            // (the variant exists when the workspace builds the runner with both features).
            other => Error::Invalid(format!("the Postgres checkpoint schema: {other}")),
        })?;
    tx.commit().await.map_err(Error::Migrate)
}
