//! The version of the server's own tables (`sv_schema`): recorded on open, idempotent,
//! stamped on files from before versions existed, and a newer one refused.

use crate::common::{config, fresh_dir, start};

/// The newest schema version this build knows.
const NEWEST: i64 = 5;

fn versions(dir: &std::path::Path) -> Vec<i64> {
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    let mut stmt = db.prepare("SELECT version FROM sv_schema").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_keeps_one_recorded_version() {
    let dir = fresh_dir("schema-reopen");
    for _ in 0..2 {
        let running = start(config(&dir, &[])).await;
        running.server.shutdown().await;
        assert_eq!(versions(&dir), vec![NEWEST]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_naming_both_versions() {
    let dir = fresh_dir("schema-newer");
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    db.execute_batch(
        "CREATE TABLE sv_schema (version INTEGER NOT NULL); INSERT INTO sv_schema VALUES (7);",
    )
    .unwrap();
    drop(db);
    let Err(error) = server::Server::start(config(&dir, &[])).await else {
        panic!("a newer schema was accepted");
    };
    let message = error.to_string();
    assert!(message.contains("version 7"), "{message}");
    assert!(message.contains(&format!("({NEWEST})")), "{message}");
    assert_eq!(versions(&dir), vec![7]);
}

/// The tables as they were before versions were recorded.
const OLD_DDL: &str = "
CREATE TABLE sv_inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, message_id TEXT NOT NULL,
    user_id TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, sent_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL, correlation TEXT NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, detail TEXT, UNIQUE (channel, message_id)
);
CREATE TABLE sv_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, recipient TEXT NOT NULL,
    text TEXT NOT NULL, correlation TEXT NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, done_ms INTEGER, remote_id TEXT, last_error TEXT
);
CREATE TABLE sv_delivery_failures (
    channel TEXT NOT NULL, message_id TEXT NOT NULL, recipient TEXT NOT NULL,
    code INTEGER NOT NULL, detail TEXT NOT NULL, at_ms INTEGER NOT NULL,
    PRIMARY KEY (channel, message_id)
);
CREATE TABLE ap_threads (
    thread_id TEXT PRIMARY KEY, created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL,
    metadata TEXT NOT NULL, graph_id TEXT, status TEXT NOT NULL
);
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_from_before_versions_is_stamped_and_keeps_its_rows() {
    let dir = fresh_dir("schema-preversion");
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    db.execute_batch(OLD_DDL).unwrap();
    db.execute_batch(
        "INSERT INTO sv_inbox (channel, message_id, user_id, kind, text, sent_at_ms,
             received_at_ms, correlation, state, detail)
         VALUES ('instagram', 'm-old', 'g', 'text', 'hola', 1, 4102444800000, 'c', 'done', 'kept');
         INSERT INTO sv_outbox (channel, recipient, text, correlation, state, next_attempt_ms,
             created_ms, done_ms)
         VALUES ('instagram', 'g', 'hello', 'c', 'sent', 1, 4102444800000, 2);
         INSERT INTO ap_threads VALUES ('t-old', 1, 2, '{\"a\":1}', NULL, 'idle');",
    )
    .unwrap();
    drop(db);
    let running = start(config(&dir, &[])).await;
    let (status, thread) = running.get_json("/threads/t-old").await;
    assert_eq!(status, 200, "{thread}");
    assert_eq!(thread["metadata"]["a"], 1);
    running.server.shutdown().await;
    assert_eq!(versions(&dir), vec![NEWEST]);
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    let inbox: (String, String) = db
        .query_row(
            "SELECT state, detail FROM sv_inbox WHERE message_id = 'm-old'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(inbox, ("done".to_owned(), "kept".to_owned()));
    let outbox: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM sv_outbox WHERE state = 'sent'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(outbox, 1);
    // The tables the old file lacked were created.
    let runs: i64 = db
        .query_row("SELECT COUNT(*) FROM ap_runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(runs, 0);
}
