//! The persistence contract: the [`Checkpointer`] trait and the records it stores.
//!
//! A checkpoint is stored field by field. Each field's value lives at a *version*, the id of the
//! checkpoint that wrote it, and a checkpoint lists the version of every field
//! ([`FieldVersion`]) but carries only the values written at its own id ([`FieldWrite`]). A field
//! that did not change is never written again. Fields whose reducer appends (`append`, `merge`)
//! are written as *deltas*: the updates of one superstep, pointing at the previous version, with
//! a full snapshot every so often. Reading a checkpoint returns, per field, the nearest snapshot
//! and the deltas after it ([`LoadedField`]); graph-core replays them through the reducer.
//!
//! Values are opaque bytes (JSON today); a checkpointer never interprets them.
//!
//! Within a thread, checkpoints live in a [`Namespace`]: the root graph's in the root, and each
//! subgraph run by a parent's task in a namespace of its own. A namespace is a history of its
//! own (ids, versions, pending writes), so a subgraph's checkpoints never show in its parent's.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::StorageError;
use crate::ids::{CheckpointId, Namespace, NodeId, TaskId, ThreadId};

/// Encoded bytes of a value, cheap to clone.
pub type Blob = Arc<[u8]>;

/// User metadata attached to checkpoints, matched by [`HistoryQuery::filter`].
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// What made a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// New input was applied.
    Input,
    /// A superstep finished.
    Loop,
    /// `update_state` wrote it.
    Update,
    /// A replay from an older checkpoint copied it.
    Fork,
}

impl Source {
    /// The lowercase name (`input`, `loop`, `update`, `fork`).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Input => "input",
            Source::Loop => "loop",
            Source::Update => "update",
            Source::Fork => "fork",
        }
    }
}

/// A static breakpoint the run stopped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Breakpoint {
    /// Stopped before running a node listed in `interrupt_before`.
    Before,
    /// Stopped after a node listed in `interrupt_after` ran.
    After,
}

/// Everything about a checkpoint except its values: what history listings return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// The thread.
    pub thread: ThreadId,
    /// Where in the thread: the root graph, or a subgraph.
    #[serde(default, skip_serializing_if = "Namespace::is_root")]
    pub ns: Namespace,
    /// The checkpoint, unique within its thread and namespace.
    pub id: CheckpointId,
    /// The checkpoint it was made from; `None` for a thread's first.
    pub parent: Option<CheckpointId>,
    /// The superstep: -1 for the first input, then one more per superstep.
    pub step: i64,
    /// What made it.
    pub source: Source,
    /// Milliseconds since the Unix epoch, from the graph's clock.
    pub created_at_ms: u64,
    /// The nodes of the superstep planned to run next, in task order; empty when finished.
    pub next: Vec<NodeId>,
    /// The nodes whose updates made this checkpoint, in task order.
    pub writers: Vec<NodeId>,
    /// Set when the run stopped here at a static breakpoint.
    pub breakpoint: Option<Breakpoint>,
    /// User metadata from [`crate::RunConfig::metadata`].
    pub metadata: Metadata,
}

/// Where a field's current value lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldVersion {
    /// The field name.
    pub field: String,
    /// The checkpoint that wrote the value (a snapshot or a delta).
    pub version: CheckpointId,
    /// 0 when the value at `version` is a snapshot; otherwise the number of deltas since it.
    pub depth: u32,
}

/// A field value written at a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// The whole value.
    Snapshot(Blob),
    /// A JSON array of updates to apply, in order, to the value at `prev`.
    Delta {
        /// The version this delta applies to.
        prev: CheckpointId,
        /// The updates.
        updates: Blob,
    },
}

/// A field value written at the checkpoint that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldWrite {
    /// The field name.
    pub field: String,
    /// The value.
    pub value: FieldValue,
}

/// A checkpoint to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Its description.
    pub meta: CheckpointMeta,
    /// The version of every field that has a value.
    pub versions: Vec<FieldVersion>,
    /// The values written at this checkpoint (their version is `meta.id`).
    pub writes: Vec<FieldWrite>,
    /// The planned next superstep and join progress, encoded by graph-core.
    pub frontier: Blob,
}

/// A field as read back: its latest snapshot and the deltas after it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedField {
    /// The field name.
    pub field: String,
    /// The snapshot.
    pub snapshot: Blob,
    /// JSON arrays of updates, oldest first.
    pub deltas: Vec<Blob>,
}

/// A checkpoint as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedCheckpoint {
    /// Its description.
    pub meta: CheckpointMeta,
    /// The version of every field that has a value.
    pub versions: Vec<FieldVersion>,
    /// Every field's value.
    pub values: Vec<LoadedField>,
    /// The planned next superstep, as stored.
    pub frontier: Blob,
    /// Writes saved by tasks of the superstep planned from this checkpoint.
    pub pending_writes: Vec<PendingWrite>,
}

/// What a pending write records about a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteKind {
    /// The task finished: its update and routing.
    Output,
    /// The task's last attempt failed. Replaced by a later failure.
    Error,
    /// The task paused in `ctx.interrupt`. Replaced by a later interrupt.
    Interrupt,
    /// An answer to the task's interrupt number `slot`. Replaced by a later answer.
    Resume,
    /// The result of the task's journaled effect number `slot`.
    Effect,
    /// The failure an error handler's task handles ([`crate::NodeFailure`]), saved under the
    /// handler's task before it runs, so a re-run runs the handler again, never the node.
    Failure,
}

impl WriteKind {
    /// Whether a second write with the same key replaces the first (otherwise it is ignored).
    /// Outputs and effects are written once; a later error, interrupt or answer supersedes the
    /// earlier one (an answer of the wrong type can be corrected).
    pub fn replaces(self) -> bool {
        matches!(
            self,
            WriteKind::Error | WriteKind::Interrupt | WriteKind::Resume
        )
    }
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteKind::Output => "output",
            WriteKind::Error => "error",
            WriteKind::Interrupt => "interrupt",
            WriteKind::Resume => "resume",
            WriteKind::Effect => "effect",
            WriteKind::Failure => "failure",
        }
    }
}

/// A record a task saved before its superstep's checkpoint: keyed by
/// (thread, namespace, checkpoint, `task_id`, `kind`, `slot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    /// The task.
    pub task_id: TaskId,
    /// The task's node.
    pub node: NodeId,
    /// What it records.
    pub kind: WriteKind,
    /// Distinguishes several writes of one kind by one task.
    pub slot: u32,
    /// The encoded value.
    pub value: Blob,
}

/// Which checkpoints a history listing returns, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryQuery {
    /// At most this many.
    pub limit: Option<usize>,
    /// Only checkpoints with an id lower than this (the cursor of the previous page).
    pub before: Option<CheckpointId>,
    /// Only checkpoints whose metadata has every one of these keys with an equal value. The keys
    /// `source` and `step` match the checkpoint's own fields.
    pub filter: Metadata,
}

impl HistoryQuery {
    /// Whether `meta` passes the filter (not the limit or cursor).
    pub fn matches(&self, meta: &CheckpointMeta) -> bool {
        self.before.is_none_or(|before| meta.id < before)
            && self.filter.iter().all(|(key, want)| match key.as_str() {
                "source" => want.as_str() == Some(meta.source.as_str()),
                "step" => want.as_i64() == Some(meta.step),
                _ => meta.metadata.get(key) == Some(want),
            })
    }
}

/// Durable storage of checkpoints and pending writes.
///
/// Implementations MUST make `put` atomic: after it returns `Ok`, the checkpoint, its values and
/// the removal of its parent's pending writes are all visible, or after an `Err`, none is. A
/// `put_writes` that returns `Ok` MUST be visible to every later `get`. Writes are idempotent by
/// key: a write with the key of a stored one is ignored, unless its kind
/// [replaces](WriteKind::replaces).
///
/// Calls for different threads MAY run concurrently. Within one thread, `put_writes` calls MAY
/// overlap each other (tasks of one superstep save their writes as they finish). With
/// `Durability::Sync` and `Exit` the engine never overlaps a `put` with any other change to that
/// thread; with `Durability::Async` a run hands over a `put` and goes on, so later `put`s and
/// `put_writes` of the same thread arrive while it is being stored. Changes to one thread MUST
/// therefore take effect in the order their calls were first polled (a queue to a single writer
/// does this when the call enqueues on its first poll; a call that completes within its first
/// poll does it trivially), and a call that waits for durability MUST also wait for the calls
/// polled before it.
///
/// A loaded checkpoint's `versions`, `values` and `pending_writes` come in no particular order;
/// only a field's `deltas` are ordered (oldest first), and `list` is newest first.
///
/// `put` of a checkpoint whose id already exists in its thread and namespace MUST fail (it means two runs
/// raced on one thread). Errors mean the operation did not happen. A call whose future is
/// dropped before it completes may or may not have happened; read back to find out.
///
/// Every call but `put` names a namespace (`put` reads it from the checkpoint's meta). Namespaces
/// of one thread are independent histories: ids, latest checkpoint, pending writes, `list` and
/// `prune` are per namespace; `delete_thread` and `copy_thread` take every namespace, and
/// `rewind` cuts the root's history and drops the subgraph namespaces started after the cut.
///
/// `graph_core::testing` (feature `testing`) has a conformance suite that checks all of this.
// dyn-compatible: stored as Arc<dyn Checkpointer> in a compiled graph.
#[async_trait]
pub trait Checkpointer: Send + Sync + 'static {
    /// Stores a checkpoint in its thread and namespace (`checkpoint.meta`) and drops the pending
    /// writes of its parent, which it supersedes.
    async fn put(&self, checkpoint: Checkpoint) -> Result<(), StorageError>;

    /// `put` for a run that goes on without waiting (`Durability::Async`): the engine polls the
    /// call once, runs its next superstep, and awaits the call again only when it needs the
    /// checkpoint stored (at the end of the run). Between the two polls a checkpointer MAY hold
    /// the checkpoint back to store it together with the calls that follow (one transaction
    /// for a run's consecutive checkpoints); once polled again it MUST store it without further
    /// delay. The ordering rule above holds as for `put`. The default is `put`.
    async fn put_later(&self, checkpoint: Checkpoint) -> Result<(), StorageError> {
        self.put(checkpoint).await
    }

    /// Stores writes of tasks running from `checkpoint` of namespace `ns`.
    async fn put_writes(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        checkpoint: CheckpointId,
        writes: Vec<PendingWrite>,
    ) -> Result<(), StorageError>;

    /// Reads checkpoint `id` of a thread's namespace `ns`, or the namespace's latest when `id` is
    /// `None`, with its values and pending writes. `Ok(None)` when there is no such checkpoint.
    async fn get(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        id: Option<CheckpointId>,
    ) -> Result<Option<LoadedCheckpoint>, StorageError>;

    /// Lists the checkpoints of a thread's namespace `ns`, newest first, without their values.
    async fn list(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Result<Vec<CheckpointMeta>, StorageError>;

    /// Reads a page of the history of a thread's namespace `ns` with values: the checkpoints
    /// `list` returns for `query`, newest first, each as `get` reads it (values, pending writes).
    /// A checkpoint pruned between the two reads is left out.
    ///
    /// The default lists, then gets each checkpoint: one read per checkpoint. A checkpointer
    /// that can read a page at once SHOULD override it; its answer MUST equal the default's.
    async fn history(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Result<Vec<LoadedCheckpoint>, StorageError> {
        let metas = self.list(thread, ns, query).await?;
        let mut page = Vec::with_capacity(metas.len());
        for meta in metas {
            if let Some(loaded) = self.get(thread, ns, Some(meta.id)).await? {
                page.push(loaded);
            }
        }
        Ok(page)
    }

    /// Returns once every call made before it has happened or never will, even one whose
    /// future was dropped: a call queued to a writer that outlives its caller has landed by
    /// then. A run that was cancelled or whose caller went away awaits it before the thread's
    /// next run may read the thread. A checkpointer whose calls finish within their futures
    /// has nothing to wait for (the default).
    async fn barrier(&self) -> Result<(), StorageError> {
        Ok(())
    }

    /// Deletes a thread and everything in it, in every namespace.
    async fn delete_thread(&self, thread: &ThreadId) -> Result<(), StorageError> {
        let _ = thread;
        Err(StorageError::new(
            "this checkpointer does not support delete_thread",
        ))
    }

    /// Copies every checkpoint and pending write of `from`, in every namespace, into the empty
    /// thread `to` (which must differ from `from`).
    async fn copy_thread(&self, from: &ThreadId, to: &ThreadId) -> Result<(), StorageError> {
        let _ = (from, to);
        Err(StorageError::new(
            "this checkpointer does not support copy_thread",
        ))
    }

    /// Keeps the latest `keep` checkpoints (at least 1) of each namespace of a thread and deletes
    /// older ones, except values that kept checkpoints still read. Returns how many were deleted.
    async fn prune(&self, thread: &ThreadId, keep: usize) -> Result<usize, StorageError> {
        let _ = (thread, keep);
        Err(StorageError::new(
            "this checkpointer does not support prune",
        ))
    }

    /// Rewinds a thread to checkpoint `to` of its root namespace, as if nothing after it had been
    /// stored (LangGraph's rollback of a cancelled run). Returns how many root checkpoints were
    /// deleted (not counting the checkpoints of deleted subgraph namespaces): `Ok(0)` for a
    /// thread that does not exist or has nothing after `to`.
    ///
    /// In the root namespace, every checkpoint with an id greater than `to` is deleted, with the
    /// pending writes saved for ids greater than `to` and the field values stored at versions
    /// greater than `to`. Only deleted checkpoints read those values, since a checkpoint's field
    /// versions are never greater than its own id. Checkpoint `to` and older ones, their values
    /// and their pending writes stay as they are. The cut is by id, so `to` need not exist.
    /// `to = None` deletes every root checkpoint, and the root namespace reads as if the thread
    /// had never run. Afterwards `get` of the root's latest returns `to` (if it exists) with its
    /// pending writes, `list` shows nothing newer, and the ids after `to` are free again: a
    /// `put` of `to + 1` MUST succeed and read back as written.
    ///
    /// A subgraph namespace (any other namespace of the thread) whose first checkpoint was stored
    /// after the first stored of the deleted root checkpoints is deleted whole. Its task was
    /// planned from a deleted checkpoint, and new checkpoints reuse the deleted ids, so the same
    /// task ids, and so the same namespaces, come back and must start fresh. "After" means the
    /// order in which the checkpointer stored the two checkpoints, never ids or clocks, since
    /// every namespace counts ids of its own; a `copy_thread` keeps its source's order. Every
    /// other namespace stays untouched: one whose first checkpoint was stored before the cut (a
    /// subgraph task planned from `to` itself, say), one with pending writes but no checkpoint,
    /// and every namespace when no root checkpoint is deleted (a rewind to the head).
    ///
    /// A rewind cannot restore what the deleted checkpoints superseded: the `put` of a child of
    /// `to` dropped `to`'s pending writes then, so `to` comes back with only the writes saved for
    /// it since.
    ///
    /// A rewind is one change to the thread under the ordering rule above, and atomic: all of it
    /// happens, or after an `Err` none of it. The default fails: rewinding is optional.
    async fn rewind(
        &self,
        thread: &ThreadId,
        to: Option<CheckpointId>,
    ) -> Result<usize, StorageError> {
        let _ = (thread, to);
        Err(StorageError::new(
            "this checkpointer does not support rewind",
        ))
    }
}
