//! The version of the server's own tables (`sv_schema`): each version recorded once on open,
//! stamped on files from before versions existed, the single-row `sv_schema` of older builds
//! upgraded in place (SQLite and Postgres), and a newer one refused.

use crate::common::{config, fresh_dir, start};

/// The newest schema version this build knows on SQLite.
const NEWEST: i64 = 8;

/// The newest schema version this build knows on Postgres.
const PG_NEWEST: i64 = 9;

fn versions(dir: &std::path::Path) -> Vec<i64> {
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT version FROM sv_schema ORDER BY version")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_records_each_version_once() {
    let dir = fresh_dir("schema-reopen");
    for _ in 0..2 {
        let running = start(config(&dir, &[])).await;
        running.server.shutdown().await;
        assert_eq!(versions(&dir), (1..=NEWEST).collect::<Vec<_>>());
    }
}

/// Before the shared migration runner, `sv_schema` held one row, the newest version, in a
/// table without `applied_at_ms`: such a file opens, keeps its row, and reads as that version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_single_row_version_table_is_upgraded_in_place() {
    let dir = fresh_dir("schema-single-row");
    let running = start(config(&dir, &[])).await;
    running.server.shutdown().await;
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    db.execute_batch(&format!(
        "DROP TABLE sv_schema;
         CREATE TABLE sv_schema (version INTEGER NOT NULL);
         INSERT INTO sv_schema VALUES ({NEWEST});"
    ))
    .unwrap();
    drop(db);
    for _ in 0..2 {
        let running = start(config(&dir, &[])).await;
        running.chat("g-single-row", "hola").await;
        running.server.shutdown().await;
        assert_eq!(versions(&dir), vec![NEWEST], "nothing re-applied");
    }
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    let stamped: i64 = db
        .query_row("SELECT applied_at_ms FROM sv_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stamped, 0, "the old row, with the column's default");
}

/// The same on Postgres, where the column is added by `ALTER TABLE ... IF NOT EXISTS`: a
/// schema an older build left at version 3 keeps that row and gets one per later version; and
/// a newer version in the old shape is refused with the table left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_single_row_version_table_is_upgraded_in_place_on_postgres() {
    let Some(config) = checkpoint_pg::testing::fresh_schema("schema_single_row").await else {
        return;
    };
    let migrate = || server::testing::check_pg_queue_statements(config.clone());
    migrate().await.expect("a fresh schema");
    let (db, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let old_shape = |version: i64| {
        format!(
            "DROP TABLE sv_schema;
             CREATE TABLE sv_schema (version BIGINT NOT NULL);
             INSERT INTO sv_schema VALUES ({version});"
        )
    };
    let rows = || async {
        let rows = db
            .query("SELECT version FROM sv_schema ORDER BY version", &[])
            .await
            .unwrap();
        rows.iter().map(|r| r.get(0)).collect::<Vec<i64>>()
    };
    db.batch_execute(&old_shape(3)).await.unwrap();
    for _ in 0..2 {
        migrate().await.expect("the old shape opens");
        let expected: Vec<i64> = (3..=PG_NEWEST).collect();
        assert_eq!(rows().await, expected, "the later versions applied once");
    }
    let stamped: Vec<bool> = db
        .query(
            "SELECT applied_at_ms > 0 FROM sv_schema ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: Vec<bool> = (3..=PG_NEWEST).map(|version| version > 3).collect();
    assert_eq!(stamped, expected, "the old row has the column's default");

    let newer = PG_NEWEST + 1;
    db.batch_execute(&old_shape(newer)).await.unwrap();
    let error = migrate().await.expect_err("a newer schema is refused");
    let message = error.to_string();
    assert!(message.contains(&format!("version {newer}")), "{message}");
    assert!(message.contains(&format!("({PG_NEWEST})")), "{message}");
    assert_eq!(rows().await, vec![newer]);
    let columns: i64 = db
        .query_one(
            "SELECT count(*) FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = 'sv_schema'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(columns, 1, "the refused table keeps its old shape");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_naming_both_versions() {
    let dir = fresh_dir("schema-newer");
    let newer = NEWEST + 1;
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    db.execute_batch(&format!(
        "CREATE TABLE sv_schema (version INTEGER NOT NULL); INSERT INTO sv_schema VALUES ({newer});"
    ))
    .unwrap();
    drop(db);
    let Err(error) = server::Server::start(config(&dir, &[])).await else {
        panic!("a newer schema was accepted");
    };
    let message = error.to_string();
    assert!(message.contains(&format!("version {newer}")), "{message}");
    assert!(message.contains(&format!("({NEWEST})")), "{message}");
    assert_eq!(versions(&dir), vec![newer]);
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    let columns: i64 = db
        .query_row(
            "SELECT count(*) FROM pragma_table_info('sv_schema')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(columns, 1, "the refused file keeps its old `sv_schema`");
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
    assert_eq!(versions(&dir), (1..=NEWEST).collect::<Vec<_>>());
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
