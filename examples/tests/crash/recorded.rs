//! What storage recorded when a process was killed: the tasks it counts as finished and whether
//! the side effect's result is journaled, read through the SQLite checkpointer's public API.

use std::collections::BTreeSet;
use std::path::Path;

use checkpoint::SqliteCheckpointer;
use examples::crash::{EFFECT_STEP, TaskKey, schedule};
use graph_core::{Checkpointer, HistoryQuery, Namespace, Source, ThreadId, WriteKind};

/// The thread's durable record at one moment.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    /// The superstep of the latest checkpoint (-1 for the input's); `None` without one.
    pub(crate) head_step: Option<i64>,
    /// Tasks that must never run again: every task of a checkpointed superstep, and the tasks
    /// of the next superstep whose output is saved as a pending write.
    pub(crate) finished: BTreeSet<TaskKey>,
    /// How many of `finished` are saved outputs of the unfinished superstep.
    pub(crate) saved_outputs: usize,
    /// Whether the side effect's result is stored (as a pending write, or in a checkpoint
    /// of its superstep), so its closure must not be called again.
    pub(crate) effect_journaled: bool,
}

/// Reads what the files of `db` record for `thread`. It opens a copy, so the next process
/// finds the files byte for byte as the kill left them (opening creates and migrates a
/// database, and checkpoints the WAL when it closes).
/// Fails if a stored checkpoint names other writers than the schedule.
pub(crate) fn read(db: &Path, scratch: &Path, thread: &str) -> Result<Recorded, String> {
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
    let recorded = runtime.block_on(read_store(&copy, &ThreadId::from(thread)));
    std::fs::remove_dir_all(scratch).expect("remove the scratch dir");
    recorded
}

async fn read_store(copy: &Path, thread: &ThreadId) -> Result<Recorded, String> {
    let store =
        SqliteCheckpointer::open(copy).expect("a killed process leaves a database that opens");
    let Some(head) = store
        .get(thread, &Namespace::root(), None)
        .await
        .expect("read the head")
    else {
        return Ok(Recorded::default());
    };
    let history = store
        .list(thread, &Namespace::root(), &HistoryQuery::default())
        .await
        .expect("list the history");
    let mut finished = BTreeSet::new();
    for meta in history.iter().filter(|m| m.source == Source::Loop) {
        let writers: Vec<&str> = meta.writers.iter().map(|w| w.as_str()).collect();
        if writers != schedule(meta.step) {
            return Err(format!(
                "checkpoint {} of superstep {} records writers {writers:?}, not {:?}",
                meta.id,
                meta.step,
                schedule(meta.step)
            ));
        }
        finished.extend(writers.iter().map(|node| TaskKey::new(meta.step, node)));
    }
    let next = head.meta.step + 1;
    let outputs: BTreeSet<TaskKey> = head
        .pending_writes
        .iter()
        .filter(|w| w.kind == WriteKind::Output)
        .map(|w| TaskKey::new(next, w.node.as_str()))
        .collect();
    let effect_pending = head
        .pending_writes
        .iter()
        .any(|w| w.kind == WriteKind::Effect);
    let saved_outputs = outputs.len();
    finished.extend(outputs);
    Ok(Recorded {
        head_step: Some(head.meta.step),
        finished,
        saved_outputs,
        effect_journaled: effect_pending || head.meta.step >= EFFECT_STEP,
    })
}

fn sibling(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}
