//! The server's tables on PostgreSQL, version by version, and [`migrate`] (through the
//! workspace's runner, `migrations::postgres`): the same tables as on SQLite
//! (`db/sqlite_schema.rs`) plus `sv_guests`, the per-guest leases that let several replicas
//! share the inbox, and the outbox's claim columns.

use deadpool_postgres::Pool;

use crate::Error;

/// Entry `i` brings the schema from version `i` to `i + 1`; all due ones run in one transaction
/// behind an advisory lock, so replicas starting together take turns. Append only.
const MIGRATIONS: &[&str] = &[
    V1_QUEUES,
    V2_AGENT_PROTOCOL,
    V3_CANCEL_REQUESTS,
    V4_GUESTS_SEEN,
    V5_OUTBOX_FORMS,
    V6_HANDOFFS,
    V7_JOBS,
    V8_CONSOLE,
    V9_LOGIN_FAILURES,
];

/// The lock replicas migrating at once take turns on (distinct from the checkpointer's and the
/// bookings').
const MIGRATION_LOCK: i64 = 0x7376_5f73_6368_656d; // "sv_schem"

/// Version 1: the inbox, the guests' leases, the outbox, the shared rate limits and the
/// delivery failures. Times the
/// server computes are milliseconds since the epoch, as on SQLite; lease and claim expiry use
/// the database's clock (`now()`), so replicas' clocks need not agree.
const V1_QUEUES: &str = "
CREATE TABLE sv_inbox (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at_ms BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    correlation TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    detail TEXT,
    UNIQUE (channel, message_id)
);
CREATE INDEX sv_inbox_pending ON sv_inbox (channel, user_id, sent_at_ms, seq)
    WHERE state = 'pending';
CREATE INDEX sv_inbox_received ON sv_inbox (received_at_ms);
CREATE TABLE sv_guests (
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    PRIMARY KEY (channel, user_id)
);
CREATE TABLE sv_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    text TEXT NOT NULL,
    correlation TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    done_ms BIGINT,
    remote_id TEXT,
    last_error TEXT,
    claimed_by TEXT,
    claim_until TIMESTAMPTZ
);
CREATE INDEX sv_outbox_pending ON sv_outbox (channel, recipient, id) WHERE state = 'pending';
CREATE INDEX sv_outbox_created ON sv_outbox (created_ms);
-- Rate limits shared by the replicas: per key (a guest, or '*' for everyone), GCRA's
-- theoretical arrival time in the database's microseconds, and whether the guest was told
-- to slow down since they were last allowed.
CREATE TABLE sv_rate (
    key TEXT PRIMARY KEY,
    tat_us BIGINT NOT NULL,
    notified BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE sv_delivery_failures (
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    code BIGINT NOT NULL,
    detail TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (channel, message_id)
);
";

/// Version 2: the Agent Protocol's threads, runs and run events: the tables and indexes, as SQLite's migration V2 has them with Postgres types: times in
/// BIGINT milliseconds, JSON in TEXT (JSONB would reorder keys and drop what a client sent as
/// it sent it). Thread ids compare bytewise (`COLLATE "C"`), as SQLite and the in-memory store
/// sort them, whatever the database's locale.
const V2_AGENT_PROTOCOL: &str = r#"
CREATE TABLE IF NOT EXISTS ap_threads (
    thread_id TEXT COLLATE "C" PRIMARY KEY,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    metadata TEXT NOT NULL,
    graph_id TEXT,
    status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ap_threads_updated ON ap_threads (updated_at_ms);
CREATE TABLE IF NOT EXISTS ap_runs (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    thread_id TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL,
    multitask TEXT NOT NULL,
    kwargs TEXT NOT NULL,
    result TEXT
);
CREATE INDEX IF NOT EXISTS ap_runs_thread ON ap_runs (thread_id, seq);
CREATE INDEX IF NOT EXISTS ap_runs_updated ON ap_runs (updated_at_ms);
CREATE INDEX IF NOT EXISTS ap_runs_unfinished ON ap_runs (status)
    WHERE status IN ('pending', 'running');
CREATE TABLE IF NOT EXISTS ap_run_events (
    run_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"#;

/// Version 3: a run's cancel request (`interrupt` or `rollback`), recorded by the replica a
/// client asked for the replica running the run (`RunStore::request_cancel`). NULL: none.
const V3_CANCEL_REQUESTS: &str = "
ALTER TABLE ap_runs ADD COLUMN IF NOT EXISTS cancel_requested TEXT;
ALTER TABLE ap_runs ADD COLUMN IF NOT EXISTS heartbeat_ms BIGINT;
";

/// Version 4: when a guest's message was last stored (ms since the epoch; 0 for rows from
/// before, and for threads only ever held by a chat or an API run), so guests not heard from
/// in a while can be forgotten (`Queue::prune`). Storing a message updates it, which also
/// locks the row for the storing transaction: a prune deciding on the row waits, and finds it
/// recent.
const V4_GUESTS_SEEN: &str = "
ALTER TABLE sv_guests ADD COLUMN IF NOT EXISTS seen_ms BIGINT NOT NULL DEFAULT 0;
";

/// Version 5: how an outbox part is sent beyond plain text (`meta::form::Form` as JSON:
/// Instagram's human agent tag, a WhatsApp template); NULL: plain text.
const V5_OUTBOX_FORMS: &str = "
ALTER TABLE sv_outbox ADD COLUMN IF NOT EXISTS form TEXT;
";

/// Version 6: the conversations a person was asked to take over (see SQLite's version 5).
const V6_HANDOFFS: &str = "
CREATE TABLE IF NOT EXISTS sv_handoffs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    opened_ms BIGINT NOT NULL,
    last_guest_ms BIGINT NOT NULL,
    closed_ms BIGINT,
    closed_by TEXT,
    note TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS sv_handoffs_open ON sv_handoffs (channel, user_id)
    WHERE closed_ms IS NULL;
CREATE INDEX IF NOT EXISTS sv_handoffs_opened ON sv_handoffs (opened_ms);
";

/// Version 7: the scheduler's jobs (`db/jobs.rs`), as on SQLite plus the claim columns (the
/// claim expires on the database's clock, like the outbox's); the guests who opted out of
/// proactive messages; and the inbox by guest, for when a guest last wrote.
const V7_JOBS: &str = "
CREATE TABLE IF NOT EXISTS sv_jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    due_ms BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    detail TEXT,
    created_ms BIGINT NOT NULL,
    done_ms BIGINT,
    claimed_by TEXT,
    claim_until TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS sv_jobs_due ON sv_jobs (due_ms, id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS sv_jobs_done ON sv_jobs (done_ms) WHERE state != 'pending';
CREATE TABLE IF NOT EXISTS sv_optouts (
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    since_ms BIGINT NOT NULL,
    PRIMARY KEY (channel, user_id)
);
CREATE INDEX IF NOT EXISTS sv_inbox_guest ON sv_inbox (channel, user_id, sent_at_ms);
";

/// Version 8: the staff console (see SQLite's version 7).
const V8_CONSOLE: &str = "
CREATE TABLE IF NOT EXISTS sv_staff (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sv_sessions (
    token_hash TEXT PRIMARY KEY,
    staff TEXT NOT NULL REFERENCES sv_staff (name),
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sv_messages (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sv_messages_guest ON sv_messages (channel, user_id, at_ms);
CREATE INDEX IF NOT EXISTS sv_messages_at ON sv_messages (at_ms);
";

/// Version 9: failed staff logins, shared by the replicas (see SQLite's version 8).
const V9_LOGIN_FAILURES: &str = "
CREATE TABLE IF NOT EXISTS sv_login_failures (
    key TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    since_ms BIGINT NOT NULL
);
";

/// The server's tables: [`MIGRATIONS`], recorded in `sv_schema` behind [`MIGRATION_LOCK`].
const SCHEMA: migrations::Schema = migrations::Schema {
    table: "sv_schema",
    lock: MIGRATION_LOCK,
    migrations: MIGRATIONS,
};

/// Before the shared runner, `sv_schema` held one row, the newest version, with no time: this
/// adds the column the runner writes; the row stays, and its version, the newest, is what the
/// runner reads (versions applied later get rows of their own). A no-op on a new database
/// (no table yet; the runner creates it) and once done.
const ADD_APPLIED_AT: &str = "ALTER TABLE IF EXISTS sv_schema
    ADD COLUMN IF NOT EXISTS applied_at_ms BIGINT NOT NULL DEFAULT 0";

/// The statements migrating runs besides the migrations themselves, for the statements check.
pub(super) fn statements() -> Vec<String> {
    let mut all = vec![ADD_APPLIED_AT.to_owned()];
    all.extend(migrations::statements(&SCHEMA));
    all
}

/// Brings the server's tables in `pool`'s database (its `search_path`) to the newest version
/// with the workspace's runner, in one transaction behind its advisory lock; refuses a schema
/// newer than this build knows.
pub(crate) async fn migrate(pool: &Pool, database: &str) -> Result<(), Error> {
    let fail = |reason: String| Error::Database {
        database: database.to_owned(),
        reason,
    };
    let sql = |e: tokio_postgres::Error| fail(format!("migrating the server's tables: {e}"));
    let mut client = pool
        .get()
        .await
        .map_err(|e| fail(format!("connecting: {e}")))?;
    let tx = client.transaction().await.map_err(sql)?;
    // The runner's advisory lock, taken here already so that every migrator, an older build's
    // too, takes it before `sv_schema`'s own lock (in the other order two would deadlock); the
    // runner takes it again, at once, as this session holds it.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA.lock])
        .await
        .map_err(sql)?;
    // Rolled back with the rest if migrating fails, so a database refused is left as it was.
    tx.batch_execute(ADD_APPLIED_AT).await.map_err(sql)?;
    migrations::postgres(&tx, &SCHEMA)
        .await
        .map_err(|e| super::migration_failed(database, e))?;
    tx.commit().await.map_err(sql)
}
