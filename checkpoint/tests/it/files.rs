//! The file: reopening, open errors, schema versions and damaged rows.

use std::sync::Arc;

use checkpoint::{Error, SqliteCheckpointer};
use graph_core::Namespace;
use graph_core::testing::{checkpoint, checkpoint_in, write};
use graph_core::{
    CheckpointId, Checkpointer, HistoryQuery, NodeId, StorageError, TaskId, ThreadId, WriteKind,
};

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
            &Namespace::root(),
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
    let head = store
        .get(&thread, &Namespace::root(), None)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(head.meta.id, CheckpointId(1));
    assert_eq!(&*head.values[0].snapshot, b"\"t@1\"");
    assert_eq!(head.pending_writes.len(), 1);
    assert_eq!(head.pending_writes[0].kind, WriteKind::Interrupt);
    let history = store
        .list(&thread, &Namespace::root(), &HistoryQuery::default())
        .await
        .unwrap();
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
    assert_eq!(versions, 6, "the file was left as it was");
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
    assert_eq!(rows, 5);
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

    let error = store
        .get(&thread, &Namespace::root(), Some(CheckpointId(1)))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("thread `t`, checkpoint 1") && message.contains(what),
        "{name}: {message}"
    );
    assert!(matches!(sqlite_error(&error), Error::Damaged { .. }));
    if others_read {
        assert!(
            store
                .get(&thread, &Namespace::root(), Some(CheckpointId(0)))
                .await
                .is_ok()
        );
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
    assert_damage_is_reported(
        "unknown-field",
        "DELETE FROM gc_fields",
        "names field number",
        false,
    )
    .await;
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
        .list(
            &ThreadId::from("t"),
            &Namespace::root(),
            &HistoryQuery::default(),
        )
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
            assert!(
                store
                    .get(&thread, &Namespace::root(), None)
                    .await
                    .unwrap()
                    .is_some()
            );
        }
    }
}

/// Holds the database's write lock from another connection until dropped, so the store's
/// writer blocks on `BEGIN IMMEDIATE` while requests queue up behind it.
struct Lock(rusqlite::Connection);

impl Lock {
    fn take(path: &std::path::Path) -> Self {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        Lock(conn)
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.0.execute_batch("ROLLBACK").unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_in_a_batch_leaves_no_stale_field_ids() {
    let path = temp_db("stale-ids");
    let store = Arc::new(SqliteCheckpointer::open(&path).unwrap());
    store.put(checkpoint("dup", 0, None)).await.unwrap();

    // A fresh field named only by a put that fails (its id is a duplicate), then a put in the
    // same batch that uses the field: it must intern it again, not reuse the rolled-back id.
    let with_fresh_field = |thread: &str| {
        let mut c = checkpoint(thread, 0, None);
        c.versions.push(graph_core::testing::version("fresh", 0, 0));
        c.writes.push(graph_core::testing::snapshot("fresh", b"1"));
        c
    };
    let lock = Lock::take(&path);
    let first = tokio::spawn({
        let store = Arc::clone(&store);
        async move { store.put(checkpoint("first", 0, None)).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let failing = tokio::spawn({
        let (store, c) = (Arc::clone(&store), with_fresh_field("dup"));
        async move { store.put(c).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let using = tokio::spawn({
        let (store, c) = (Arc::clone(&store), with_fresh_field("user"));
        async move { store.put(c).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    drop(lock);

    first.await.unwrap().unwrap();
    let error = failing.await.unwrap().unwrap_err();
    assert!(
        matches!(sqlite_error(&error), Error::Duplicate { .. }),
        "{error}"
    );
    using.await.unwrap().unwrap();
    let user = store
        .get(&ThreadId::from("user"), &Namespace::root(), None)
        .await
        .unwrap()
        .expect("stored");
    let fresh = user.values.iter().find(|v| v.field == "fresh").unwrap();
    assert_eq!(&*fresh.snapshot, b"1");
}

#[tokio::test]
async fn a_delta_onto_an_old_version_reads_past_the_rows_between() {
    use graph_core::testing::{delta, snapshot, version};
    let store = SqliteCheckpointer::open(temp_db("fork-chain")).unwrap();
    let thread = ThreadId::from("t");
    store.put(checkpoint("t", 0, None)).await.unwrap();
    let step = |id: u64, parent: u64, prev: u64, depth: u32, item: &str| {
        let mut c = checkpoint("t", id, Some(parent));
        c.versions = vec![version("log", id, depth)];
        c.writes = vec![delta("log", prev, item.as_bytes())];
        c
    };
    let mut base = checkpoint("t", 1, Some(0));
    base.versions = vec![version("log", 1, 0)];
    base.writes = vec![snapshot("log", b"[]")];
    store.put(base).await.unwrap();
    for id in 2..40 {
        let depth = u32::try_from(id - 1).unwrap();
        store
            .put(step(id, id - 1, id - 1, depth, "[[1]]"))
            .await
            .unwrap();
    }
    // A fork from checkpoint 1: its delta skips the 38 rows of the other branch.
    store.put(step(40, 1, 1, 1, "[[2]]")).await.unwrap();
    store.put(step(41, 40, 40, 2, "[[3]]")).await.unwrap();
    let head = store
        .get(&thread, &Namespace::root(), None)
        .await
        .unwrap()
        .unwrap();
    let log = &head.values[0];
    assert_eq!(&*log.snapshot, b"[]");
    let deltas: Vec<&[u8]> = log.deltas.iter().map(|d| &d[..]).collect();
    assert_eq!(deltas, [&b"[[2]]"[..], b"[[3]]"]);
}

/// A file from before namespaces (schema version 1: `gc_threads` without `ns`, values keyed by
/// field first) opens, its threads read back as root namespaces with the same values, and
/// subgraphs then store beside them.
#[tokio::test]
async fn a_version_1_file_migrates_to_namespaces() {
    let path = temp_db("v1");
    let thread = ThreadId::from("old");
    let before = {
        let store = SqliteCheckpointer::open(&path).unwrap();
        store.put(checkpoint(&thread, 0, None)).await.unwrap();
        store.put(checkpoint(&thread, 1, Some(0))).await.unwrap();
        store
            .put_writes(
                &thread,
                &Namespace::root(),
                CheckpointId(1),
                vec![write(1, WriteKind::Interrupt, 0, b"{}")],
            )
            .await
            .unwrap();
        store.get(&thread, &Namespace::root(), None).await.unwrap()
    };
    // Turn it back into a version 1 file: the tables as version 1 made them, the same rows, no
    // node cache (version 3) and no store (version 4).
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE v1 (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
         INSERT INTO v1 (id, name) SELECT id, name FROM gc_threads;
         DROP TABLE gc_threads;
         ALTER TABLE v1 RENAME TO gc_threads;
         CREATE TABLE v1_values (
             thread INTEGER NOT NULL,
             field INTEGER NOT NULL,
             version INTEGER NOT NULL,
             prev INTEGER,
             value BLOB NOT NULL,
             PRIMARY KEY (thread, field, version)
         );
         INSERT INTO v1_values SELECT thread, field, version, prev, value FROM gc_values;
         DROP TABLE gc_values;
         ALTER TABLE v1_values RENAME TO gc_values;
         DROP TABLE gc_cache;
         DROP TABLE gc_store;
         DELETE FROM gc_schema WHERE version > 1;",
    )
    .unwrap();
    drop(conn);

    let store = SqliteCheckpointer::open(&path).unwrap();
    let head = store
        .get(&thread, &Namespace::root(), None)
        .await
        .unwrap()
        .expect("the old thread");
    assert_eq!(head.meta.id, CheckpointId(1));
    assert_eq!(head.meta.ns, Namespace::root());
    assert_eq!(head.pending_writes.len(), 1);
    let before = before.expect("the thread before the downgrade");
    assert!(!head.values.is_empty());
    assert_eq!(head.values, before.values, "values survive the re-keying");
    let child = Namespace::root().child(&NodeId::from("sub"), TaskId(1));
    store
        .put(checkpoint_in(&thread, &child, 0, None))
        .await
        .unwrap();
    let stored = store.get(&thread, &child, None).await.unwrap().unwrap();
    assert_eq!(stored.meta.ns, child);
    let history = store
        .list(&thread, &Namespace::root(), &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "the child is not in the root's history");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("SELECT MAX(version) FROM gc_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 5);
}

/// Writes whose callers stopped waiting (each future polled once, so its write is queued, then
/// dropped) have all landed once `barrier` returns.
#[tokio::test]
async fn barrier_waits_for_writes_whose_callers_left() {
    // One commit (and fsync) per write, so the queue takes a while to drain.
    let store = SqliteCheckpointer::options()
        .max_batch(1)
        .open(temp_db("flush"))
        .unwrap();
    let threads: Vec<ThreadId> = (0..100)
        .map(|i| ThreadId::from(format!("left-{i}")))
        .collect();
    for thread in &threads {
        // A zero timeout polls the put once: it queues the write, then is dropped.
        let put = store.put(checkpoint(thread, 0, None));
        let _ = tokio::time::timeout(std::time::Duration::ZERO, put).await;
    }
    store.barrier().await.unwrap();
    // The last queued first: without the barrier it is the likeliest to be still on its way.
    for thread in threads.iter().rev() {
        let head = store.get(thread, &Namespace::root(), None).await.unwrap();
        assert!(head.is_some(), "{thread}: its write had not landed");
    }
}

/// Two checkpointers on one file, as two processes would be: one deletes a thread the other has
/// written (and whose row the other's writer remembers); the other's next put makes the thread
/// anew, and reads find it.
#[tokio::test]
async fn a_thread_deleted_by_another_process_is_made_anew() {
    let path = temp_db("two-processes");
    let (mine, theirs) = (
        SqliteCheckpointer::open(&path).unwrap(),
        SqliteCheckpointer::open(&path).unwrap(),
    );
    let thread = ThreadId::from("shared");
    mine.put(checkpoint(&thread, 0, None)).await.unwrap();
    theirs.delete_thread(&thread).await.unwrap();
    assert!(
        mine.get(&thread, &Namespace::root(), None)
            .await
            .unwrap()
            .is_none()
    );
    mine.put(checkpoint(&thread, 0, None)).await.unwrap();
    for store in [&mine, &theirs] {
        let head = store
            .get(&thread, &Namespace::root(), None)
            .await
            .unwrap()
            .expect("the thread, stored again after the other process deleted it");
        assert_eq!(head.meta.id, CheckpointId(0));
    }
}
