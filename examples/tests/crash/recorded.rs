//! What storage recorded when a process was killed: the tasks it counts as finished and which
//! side effects' results are journaled, read through the checkpointer's public API (SQLite's or
//! Postgres's).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use checkpoint::SqliteCheckpointer;
use checkpoint_pg::PgCheckpointer;
use checkpoint_pg::testing::TestSchema;
use examples::crash::{
    EFFECT_STEP, SUBGRAPH, SUBGRAPH_EFFECT_STEP, SUBGRAPH_STEP, TaskKey, schedule,
    subgraph_schedule, subgraph_tasks,
};

use crate::child::Db;
use graph_core::{
    Checkpointer, HistoryQuery, Namespace, NodeId, Source, TaskId, TaskPath, ThreadId, WriteKind,
};

/// The thread's durable record at one moment.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    /// The superstep of the root graph's latest checkpoint (-1 for the input's); `None`
    /// without one.
    pub(crate) head_step: Option<i64>,
    /// The superstep of the subgraph's latest checkpoint while the root graph's task that runs
    /// it is unfinished (-1 for its input's); `None` without one, or once that task finished.
    pub(crate) subgraph_head_step: Option<i64>,
    /// Tasks that must never run again: every task of a checkpointed superstep (in the root
    /// graph or the subgraph; a checkpointed superstep of the subgraph's task counts all the
    /// subgraph's tasks), and the tasks of the next superstep whose output is saved as a
    /// pending write.
    pub(crate) finished: BTreeSet<TaskKey>,
    /// How many of `finished` are saved outputs of the root graph's unfinished superstep.
    pub(crate) saved_outputs: usize,
    /// How many of `finished` are saved outputs of the subgraph's unfinished superstep.
    pub(crate) subgraph_saved_outputs: usize,
    /// The tasks whose side effect's result is stored (as a pending write, or in a checkpoint
    /// of its superstep), so its closure must not be called again.
    pub(crate) effects_journaled: BTreeSet<TaskKey>,
    /// How many of `effects_journaled` are stored only as pending writes.
    pub(crate) effects_pending: usize,
}

/// Reads what `db` records for `thread`, just after a kill.
pub(crate) fn read(db: &Db, scratch: &Path, thread: &str) -> Result<Recorded, String> {
    match db {
        Db::Sqlite(path) => read_sqlite(path, scratch, thread),
        Db::Postgres(schema) => read_postgres(schema, thread),
    }
}

/// Reads what the files of `db` record for `thread`. It opens a copy, so the next process
/// finds the files byte for byte as the kill left them (opening creates and migrates a
/// database, and checkpoints the WAL when it closes).
/// Fails if a stored checkpoint names other writers than the schedule.
fn read_sqlite(db: &Path, scratch: &Path, thread: &str) -> Result<Recorded, String> {
    if !db.exists() {
        return Ok(Recorded::default());
    }
    std::fs::create_dir_all(scratch).expect("create the scratch dir");
    let copy = scratch.join("copy.db");
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let from = sibling(db, suffix);
        let to = sibling(&copy, suffix);
        let _ = std::fs::remove_file(&to);
        // The shared-memory index is left behind on purpose: SQLite rebuilds it from the WAL,
        // as it does for the next process after a crash.
        if suffix != "-shm" && from.exists() {
            std::fs::copy(&from, &to).expect("copy the database");
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let recorded = runtime.block_on(async {
        let store =
            SqliteCheckpointer::open(&copy).expect("a killed process leaves a database that opens");
        read_store(&store, &ThreadId::from(thread)).await
    });
    std::fs::remove_dir_all(scratch).expect("remove the scratch dir");
    recorded
}

/// Reads what `schema` records for `thread`, once the killed process's backends have ended.
///
/// The kill closes the process's connections, but a backend may still be working through what
/// it had received, a `COMMIT` say; until it ends, what storage holds can still change, and the
/// next process could read a head that is about to move. So this waits (up to 10 s) until no
/// backend of the schema's `application_name` is left, then reads on a connection of its own.
/// Opening migrates, which changes nothing once the killed process has migrated and is harmless
/// otherwise (the next process would do the same).
fn read_postgres(schema: &TestSchema, thread: &str) -> Result<Recorded, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut config = schema.config();
        config.application_name("crash-test-reader");
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("connect to read the schema: {e}"))?;
        let connection = tokio::spawn(connection);
        let began = Instant::now();
        loop {
            let row = client
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                    &[&schema.name()],
                )
                .await
                .map_err(|e| format!("count the killed process's backends: {e}"))?;
            let left: i64 = row.get(0);
            if left == 0 {
                break;
            }
            if began.elapsed() > Duration::from_secs(10) {
                return Err(format!(
                    "{left} backends of the killed process still open after 10 s"
                ));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        drop(client);
        let _ = connection.await;
        let store = PgCheckpointer::options()
            .queues(1)
            .max_connections(2)
            .connect(config)
            .await
            .map_err(|e| format!("open the schema after a kill: {e}"))?;
        read_store(&store, &ThreadId::from(thread)).await
    })
}

async fn read_store(store: &dyn Checkpointer, thread: &ThreadId) -> Result<Recorded, String> {
    let Some(root) = read_graph(store, thread, &Namespace::root(), &ROOT).await? else {
        return Ok(Recorded::default());
    };
    let mut recorded = Recorded {
        head_step: Some(root.head_step),
        finished: root.finished,
        saved_outputs: root.saved_outputs,
        ..Recorded::default()
    };
    let root_effect = TaskKey::new(EFFECT_STEP, "notify");
    if root.head_step >= EFFECT_STEP || root.effect_pending {
        recorded.effects_journaled.insert(root_effect);
        recorded.effects_pending += usize::from(root.effect_pending);
    }
    let subgraph_effect = TaskKey::in_subgraph(SUBGRAPH_EFFECT_STEP, "notify");
    if root.head_step >= SUBGRAPH_STEP {
        recorded.effects_journaled.insert(subgraph_effect);
    } else if root.head_step == SUBGRAPH_STEP - 1 {
        // The subgraph's task is planned from this checkpoint, so its namespace is derived the
        // way the engine derives it: from the checkpoint and the task's path.
        let task = TaskId::derive(root.head, &TaskPath::Pull(NodeId::from(SUBGRAPH)));
        let ns = Namespace::root().child(&NodeId::from(SUBGRAPH), task);
        if let Some(sub) = read_graph(store, thread, &ns, &SUBGRAPH_LEVEL).await? {
            recorded.subgraph_head_step = Some(sub.head_step);
            recorded.subgraph_saved_outputs = sub.saved_outputs;
            recorded.finished.extend(sub.finished);
            if sub.head_step >= SUBGRAPH_EFFECT_STEP || sub.effect_pending {
                recorded.effects_journaled.insert(subgraph_effect);
                recorded.effects_pending += usize::from(sub.effect_pending);
            }
        }
    }
    Ok(recorded)
}

/// How to read one graph's namespace: its schedule, and the tasks a node's task stands for.
struct Level {
    schedule: fn(i64) -> &'static [&'static str],
    tasks: fn(i64, &str) -> Vec<TaskKey>,
}

const ROOT: Level = Level {
    schedule,
    tasks: |step, node| match node {
        SUBGRAPH => subgraph_tasks(),
        _ => vec![TaskKey::new(step, node)],
    },
};

const SUBGRAPH_LEVEL: Level = Level {
    schedule: subgraph_schedule,
    tasks: |step, node| vec![TaskKey::in_subgraph(step, node)],
};

/// One namespace's record.
struct GraphRecord {
    head: graph_core::CheckpointId,
    head_step: i64,
    finished: BTreeSet<TaskKey>,
    saved_outputs: usize,
    effect_pending: bool,
}

async fn read_graph(
    store: &dyn Checkpointer,
    thread: &ThreadId,
    ns: &Namespace,
    level: &Level,
) -> Result<Option<GraphRecord>, String> {
    let Some(head) = store.get(thread, ns, None).await.expect("read the head") else {
        return Ok(None);
    };
    let history = store
        .list(thread, ns, &HistoryQuery::default())
        .await
        .expect("list the history");
    let mut finished = BTreeSet::new();
    for meta in history.iter().filter(|m| m.source == Source::Loop) {
        let writers: Vec<&str> = meta.writers.iter().map(|w| w.as_str()).collect();
        if writers != (level.schedule)(meta.step) {
            return Err(format!(
                "checkpoint {} of superstep {} in namespace `{ns}` records writers {writers:?}, \
                 not {:?}",
                meta.id,
                meta.step,
                (level.schedule)(meta.step)
            ));
        }
        for node in writers {
            finished.extend((level.tasks)(meta.step, node));
        }
    }
    let next = head.meta.step + 1;
    let outputs: BTreeSet<TaskKey> = head
        .pending_writes
        .iter()
        .filter(|w| w.kind == WriteKind::Output)
        .flat_map(|w| (level.tasks)(next, w.node.as_str()))
        .collect();
    let effect_pending = head
        .pending_writes
        .iter()
        .any(|w| w.kind == WriteKind::Effect);
    let saved_outputs = outputs.len();
    finished.extend(outputs);
    Ok(Some(GraphRecord {
        head: head.meta.id,
        head_step: head.meta.step,
        finished,
        saved_outputs,
        effect_pending,
    }))
}

fn sibling(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}
