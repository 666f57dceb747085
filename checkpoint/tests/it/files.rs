//! The file: reopening, open errors, schema versions and damaged rows.

use std::sync::Arc;

use checkpoint::{Error, SqliteCheckpointer};
use graph_core::testing::{checkpoint, write};
use graph_core::{CheckpointId, Checkpointer, HistoryQuery, StorageError, ThreadId, WriteKind};

use crate::temp_db;

fn sqlite_error(error: &StorageError) -> &Error {
    error
        .source
        .as_ref()
        .and_then(|s| s.downcast_ref::<Error>())
        .expect("a checkpoint::Error source")
}

/// Thread `t`: checkpoints 0 and 1, and one pending write of `kind` under 1.
async fn two_checkpoints(store: &SqliteCheckpointer, kind: WriteKind) {
    store.put(checkpoint("t", 0, None)).await.unwrap();
    store.put(checkpoint("t", 1, Some(0))).await.unwrap();
    store
        .put_writes(
            &ThreadId::from("t"),
            CheckpointId(1),
            vec![write(7, kind, 0, b"\"?\"")],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn data_survives_a_reopen() {
    let path = temp_db("reopen");
    let thread = ThreadId::from("t");
    {
        let store = SqliteCheckpointer::open(&path).unwrap();
        two_checkpoints(&store, WriteKind::Interrupt).await;
    }
    let store = SqliteCheckpointer::open(&path).unwrap();
    let head = store.get(&thread, None).await.unwrap().expect("stored");
    assert_eq!(head.meta.id, CheckpointId(1));
    assert_eq!(&*head.values[0].snapshot, b"\"t@1\"");
    assert_eq!(head.pending_writes.len(), 1);
    assert_eq!(head.pending_writes[0].kind, WriteKind::Interrupt);
    let history = store.list(&thread, &HistoryQuery::default()).await.unwrap();
    assert_eq!(history.len(), 2);
}

#[test]
fn an_unopenable_path_is_named() {
    let path = temp_db("no-such-dir").join("nested").join("x.db");
    let error = SqliteCheckpointer::open(&path).unwrap_err();
    assert!(matches!(error, Error::Open { .. }), "{error:?}");
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_kept() {
    let path = temp_db("not-a-db");
    let text = "these are somebody's notes, not a database\n".repeat(200);
    std::fs::write(&path, &text).unwrap();
    let error = SqliteCheckpointer::open(&path).unwrap_err();
    assert!(matches!(error, Error::Open { .. }), "{error:?}");
    assert!(error.to_string().contains(&path.display().to_string()));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn a_newer_schema_is_refused_without_changing_the_file() {
    let path = temp_db("newer");
    drop(SqliteCheckpointer::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO gc_schema (version, applied_at_ms) VALUES (99, 0)",
        [],
    )
    .unwrap();
    drop(conn);
    let error = SqliteCheckpointer::open(&path).unwrap_err();
    match &error {
        Error::NewerSchema {
            found, supported, ..
        } => {
            assert_eq!(*found, 99);
            assert!(*supported < 99);
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    assert!(error.to_string().contains("schema version 99"), "{error}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let versions: i64 = conn
        .query_row("SELECT COUNT(*) FROM gc_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(versions, 2, "the file was left as it was");
}

#[test]
fn opening_twice_migrates_once() {
    let path = temp_db("twice");
    drop(SqliteCheckpointer::open(&path).unwrap());
    drop(SqliteCheckpointer::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM gc_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

/// Damages one row with `sql` and checks that reading checkpoint 1 of thread `t` fails with an
/// error naming the thread, the checkpoint and `what`.
async fn assert_damage_is_reported(name: &str, sql: &str, what: &str, others_read: bool) {
    let path = temp_db(name);
    let store = SqliteCheckpointer::open(&path).unwrap();
    let thread = ThreadId::from("t");
    two_checkpoints(&store, WriteKind::Output).await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);

    let error = store.get(&thread, Some(CheckpointId(1))).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("thread `t`, checkpoint 1") && message.contains(what),
        "{name}: {message}"
    );
    assert!(matches!(sqlite_error(&error), Error::Damaged { .. }));
    if others_read {
        assert!(store.get(&thread, Some(CheckpointId(0))).await.is_ok());
    }
}

#[tokio::test]
async fn damaged_rows_name_their_thread_and_checkpoint() {
    assert_damage_is_reported(
        "bad-meta",
        "UPDATE gc_checkpoints SET meta = x'017b' WHERE id = 1",
        "metadata does not decode",
        true,
    )
    .await;
    assert_damage_is_reported(
        "future-format",
        "UPDATE gc_checkpoints SET versions = x'025b5d' WHERE id = 1",
        "unknown format byte 2",
        true,
    )
    .await;
    assert_damage_is_reported(
        "bad-value",
        "UPDATE gc_values SET value = x'' WHERE version = 1",
        "empty BLOB",
        true,
    )
    .await;
    assert_damage_is_reported(
        "lost-value",
        "DELETE FROM gc_values WHERE version = 1",
        "has no value at version 1",
        true,
    )
    .await;
    assert_damage_is_reported(
        "bad-write",
        "UPDATE gc_writes SET kind = 42",
        "unknown kind 42",
        true,
    )
    .await;
    assert_damage_is_reported("unknown-field", "DELETE FROM gc_fields", "unknown", false).await;
}

#[tokio::test]
async fn damaged_metadata_fails_a_listing_by_name() {
    let path = temp_db("bad-list");
    let store = SqliteCheckpointer::open(&path).unwrap();
    store.put(checkpoint("t", 0, None)).await.unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("UPDATE gc_checkpoints SET meta = x'01ff'")
        .unwrap();
    let error = store
        .list(&ThreadId::from("t"), &HistoryQuery::default())
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("thread `t`, checkpoint 0"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_in_a_batch_fails_only_its_caller() {
    let store = Arc::new(SqliteCheckpointer::open(temp_db("batch")).unwrap());
    store.put(checkpoint("dup", 0, None)).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            if i % 8 == 0 {
                store.put(checkpoint("dup", 0, None)).await
            } else {
                store.put(checkpoint(format!("ok-{i}"), 0, None)).await
            }
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let result = task.await.unwrap();
        if i % 8 == 0 {
            let error = result.unwrap_err();
            assert!(
                matches!(sqlite_error(&error), Error::Duplicate { .. }),
                "{error}"
            );
        } else {
            result.unwrap();
            let thread = ThreadId::from(format!("ok-{i}"));
            assert!(store.get(&thread, None).await.unwrap().is_some());
        }
    }
}
