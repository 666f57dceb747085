//! The server's tables, version by version, and [`migrate`], which brings a file to the newest
//! version on open through the workspace's runner (`migrations::sqlite`), upgrading the
//! single-row `sv_schema` of files from before it.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::Error;

/// The server's tables, version by version: entry `i` brings a file from version `i` to `i + 1`.
/// Applied on open, all due ones in one `BEGIN IMMEDIATE` transaction, each recorded in
/// `sv_schema`. Append only: never edit a released entry.
///
/// Files written before `sv_schema` existed hold versions 1 and 2 (or only 1) without a record;
/// they are recognised by their `sv_inbox` and brought up by running these entries from the
/// start. That is safe, and keeps their rows, only because versions 1 and 2 are entirely
/// `CREATE ... IF NOT EXISTS`: present tables and indexes are left as they are, missing ones
/// created. Later entries run only on files that record a version, so they need no such care.
const MIGRATIONS: &[&str] = &[
    V1_QUEUES,
    V2_AGENT_PROTOCOL,
    V3_CANCEL_REQUESTS,
    V4_OUTBOX_FORMS,
    V5_HANDOFFS,
    V6_JOBS,
    V7_CONSOLE,
    V8_LOGIN_FAILURES,
];

/// Version 1: the inbox, the outbox and the delivery failures.
const V1_QUEUES: &str = "
CREATE TABLE IF NOT EXISTS sv_inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    sent_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    correlation TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT,
    UNIQUE (channel, message_id)
);
CREATE INDEX IF NOT EXISTS sv_inbox_pending ON sv_inbox (state, channel, user_id, sent_at_ms, seq);
CREATE INDEX IF NOT EXISTS sv_inbox_received ON sv_inbox (received_at_ms);
CREATE TABLE IF NOT EXISTS sv_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    text TEXT NOT NULL,
    correlation TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    done_ms INTEGER,
    remote_id TEXT,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS sv_outbox_pending ON sv_outbox (state, channel, recipient, id);
CREATE TABLE IF NOT EXISTS sv_delivery_failures (
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    code INTEGER NOT NULL,
    detail TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (channel, message_id)
);
";

/// Version 2: the Agent Protocol's threads, runs and run events.
const V2_AGENT_PROTOCOL: &str = "
CREATE TABLE IF NOT EXISTS ap_threads (
    thread_id TEXT PRIMARY KEY,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    graph_id TEXT,
    status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ap_threads_updated ON ap_threads (updated_at_ms);
CREATE TABLE IF NOT EXISTS ap_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL UNIQUE,
    thread_id TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
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
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
";

/// Version 3: a run's cancel request (`interrupt` or `rollback`), recorded by a process that
/// does not run it for the one that does (`RunStore::request_cancel`). NULL: none.
const V3_CANCEL_REQUESTS: &str = "
ALTER TABLE ap_runs ADD COLUMN cancel_requested TEXT;
";

/// Version 4: how an outbox part is sent beyond plain text (`meta::form::Form` as JSON:
/// Instagram's human agent tag, a WhatsApp template); NULL: plain text.
const V4_OUTBOX_FORMS: &str = "
ALTER TABLE sv_outbox ADD COLUMN form TEXT;
";

/// Version 5: the conversations a person was asked to take over (`db::Handoffs`): at most
/// one open per guest; `last_guest_ms` is when the guest last wrote, which the channels'
/// reply windows count from.
const V5_HANDOFFS: &str = "
CREATE TABLE sv_handoffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    opened_ms INTEGER NOT NULL,
    last_guest_ms INTEGER NOT NULL,
    closed_ms INTEGER,
    closed_by TEXT,
    note TEXT
);
CREATE UNIQUE INDEX sv_handoffs_open ON sv_handoffs (channel, user_id) WHERE closed_ms IS NULL;
CREATE INDEX sv_handoffs_opened ON sv_handoffs (opened_ms);
";

/// Version 6: the scheduler's jobs (`db/jobs.rs`): unique by idempotency key, a JSON payload,
/// due on the scheduler's clock, `detail` saying why one was skipped; the guests who opted out
/// of proactive messages; and the inbox by guest, for when a guest last wrote (the 24-hour
/// windows).
const V6_JOBS: &str = "
CREATE TABLE sv_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    due_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    detail TEXT,
    created_ms INTEGER NOT NULL,
    done_ms INTEGER
);
CREATE INDEX sv_jobs_due ON sv_jobs (state, due_ms, id);
CREATE TABLE sv_optouts (
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    since_ms INTEGER NOT NULL,
    PRIMARY KEY (channel, user_id)
);
CREATE INDEX sv_inbox_guest ON sv_inbox (channel, user_id, sent_at_ms);
";

/// Version 7: the staff console (`db::ConsoleStore`): staff accounts with their password
/// hashes (argon2id, PHC strings), their sessions (the token's SHA-256, never the token), and
/// every text a guest wrote, for the conversation list, its text search and the messages per
/// day.
const V7_CONSOLE: &str = "
CREATE TABLE sv_staff (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE sv_sessions (
    token_hash TEXT PRIMARY KEY,
    staff TEXT NOT NULL REFERENCES sv_staff (name),
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE TABLE sv_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX sv_messages_guest ON sv_messages (channel, user_id, at_ms);
CREATE INDEX sv_messages_at ON sv_messages (at_ms);
";

/// Version 8: failed staff logins (`db::ConsoleStore::login_failed`), counted where every
/// process on the database sees them: a row per name tried (`name:` and the name lower-cased)
/// and one for all names together (`all`), each a count since the first failure of its
/// window.
const V8_LOGIN_FAILURES: &str = "
CREATE TABLE sv_login_failures (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    since_ms INTEGER NOT NULL
);
";

/// The server's tables: [`MIGRATIONS`], recorded in `sv_schema`. The advisory lock is
/// Postgres's (`db/pg_schema.rs` takes the same key); on SQLite, `BEGIN IMMEDIATE` makes openers
/// take turns.
const SCHEMA: migrations::Schema = migrations::Schema {
    table: "sv_schema",
    lock: i64::from_be_bytes(*b"sv_schem"),
    migrations: MIGRATIONS,
};

/// Brings the server's tables in `conn` to the newest version in [`MIGRATIONS`] with the
/// workspace's runner, in one `BEGIN IMMEDIATE` transaction (so two connections opening the
/// file at once take turns); refuses a file of a newer version than this build knows.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let database = path.display().to_string();
    let sql = |e: rusqlite::Error| Error::Database {
        database: database.clone(),
        reason: format!("migrating the server's tables: {e}"),
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    let exists = |query: &str, name: &str| {
        tx.query_row(query, [name], |_| Ok(()))
            .optional()
            .map(|found| found.is_some())
    };
    let has_table = |name| {
        exists(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            name,
        )
    };
    if has_table("sv_schema").map_err(sql)? {
        let has_time = exists(
            "SELECT 1 FROM pragma_table_info('sv_schema') WHERE name = ?1",
            "applied_at_ms",
        )
        .map_err(sql)?;
        if !has_time {
            // Before the shared runner, `sv_schema` held one row, the newest version, with no
            // time: the column the runner writes is added, the row stays, and its version,
            // the newest, is what the runner reads (versions applied later get rows of their
            // own). Rolled back with the rest if migrating fails, so a file refused is left as
            // it was.
            tx.execute_batch(
                "ALTER TABLE sv_schema ADD COLUMN applied_at_ms INTEGER NOT NULL DEFAULT 0",
            )
            .map_err(sql)?;
        }
    } else if has_table("sv_inbox").map_err(sql)? {
        // Before versions were recorded: re-running versions 1 and 2 only creates what is
        // missing (see MIGRATIONS).
        tracing::info!(
            path = %path.display(),
            "the server's tables predate schema versions; recording version {}",
            SCHEMA.latest()
        );
    }
    migrations::sqlite(&tx, &SCHEMA).map_err(|e| super::migration_failed(&database, e))?;
    tx.commit().map_err(sql)
}
