//! Builders for valid checkpointer records, shared by the conformance cases and by other crates'
//! tests and benches that need checkpoints without running a graph.

use std::sync::Arc;

use crate::checkpoint::{
    Blob, Checkpoint, CheckpointMeta, FieldValue, FieldVersion, FieldWrite, Metadata, PendingWrite,
    Source, WriteKind,
};
use crate::ids::{CheckpointId, Namespace, NodeId, TaskId, ThreadId};

/// The field [`checkpoint`] writes.
pub const FIELD: &str = "value";

/// A valid checkpoint `id` of `thread`, made from `parent`.
///
/// It looks like one the engine stores: `step` is `id - 1` (so id 0 is the input checkpoint,
/// step -1), `source` is [`Source::Input`] without a parent and [`Source::Loop`] with one,
/// `created_at_ms` is a fixed instant plus `id`, and `next`, `writers`, `breakpoint` and
/// `metadata` are empty. It writes one field, [`FIELD`], as a snapshot of the JSON string
/// `"<thread>@<id>"` (so a value read from the wrong thread or checkpoint is caught), and its
/// frontier is `{"checkpoint":<id>}`. Change its public fields for anything else.
pub fn checkpoint(thread: impl Into<ThreadId>, id: u64, parent: Option<u64>) -> Checkpoint {
    let thread = thread.into();
    let value = value_of(&thread, id);
    let meta = CheckpointMeta {
        thread,
        ns: Namespace::root(),
        id: CheckpointId(id),
        parent: parent.map(CheckpointId),
        step: i64::try_from(id).expect("test checkpoint ids fit in i64") - 1,
        source: if parent.is_some() {
            Source::Loop
        } else {
            Source::Input
        },
        created_at_ms: 1_700_000_000_000 + id,
        next: Vec::new(),
        writers: Vec::new(),
        breakpoint: None,
        metadata: Metadata::new(),
    };
    Checkpoint {
        meta,
        versions: vec![version(FIELD, id, 0)],
        writes: vec![snapshot(FIELD, &value)],
        frontier: blob(format!("{{\"checkpoint\":{id}}}")),
    }
}

/// Like [`checkpoint`], in namespace `ns` of the thread. Its value is `"<thread>/<ns>@<id>"`, so a
/// value read from the wrong namespace is caught too.
///
/// ```
/// use graph_core::testing::checkpoint_in;
/// use graph_core::{Namespace, NodeId, TaskId};
///
/// let ns = Namespace::root().child(&NodeId::from("sub"), TaskId(1));
/// let child = checkpoint_in("t", &ns, 0, None);
/// assert_eq!(child.meta.ns, ns);
/// ```
pub fn checkpoint_in(
    thread: impl Into<ThreadId>,
    ns: &Namespace,
    id: u64,
    parent: Option<u64>,
) -> Checkpoint {
    let mut checkpoint = checkpoint(thread, id, parent);
    if ns.is_root() {
        return checkpoint;
    }
    let value = serde_json::to_vec(&format!("{}/{ns}@{id}", checkpoint.meta.thread))
        .expect("a JSON string always encodes");
    checkpoint.meta.ns = ns.clone();
    checkpoint.writes = vec![snapshot(FIELD, &value)];
    checkpoint
}

/// The value [`checkpoint`] writes to [`FIELD`].
pub(super) fn value_of(thread: &ThreadId, id: u64) -> Vec<u8> {
    serde_json::to_vec(&format!("{thread}@{id}")).expect("a JSON string always encodes")
}

/// A field written as a whole value.
pub fn snapshot(field: &str, value: &[u8]) -> FieldWrite {
    FieldWrite {
        field: field.to_owned(),
        value: FieldValue::Snapshot(blob(value)),
    }
}

/// A field written as updates (a JSON array) to the value at version `prev`.
pub fn delta(field: &str, prev: u64, updates: &[u8]) -> FieldWrite {
    FieldWrite {
        field: field.to_owned(),
        value: FieldValue::Delta {
            prev: CheckpointId(prev),
            updates: blob(updates),
        },
    }
}

/// Where a field's value lives: written at checkpoint `version`, `depth` deltas after its
/// snapshot.
pub fn version(field: &str, version: u64, depth: u32) -> FieldVersion {
    FieldVersion {
        field: field.to_owned(),
        version: CheckpointId(version),
        depth,
    }
}

/// A pending write keyed by (`task`, `kind`, `slot`), from a node named `node`.
pub fn write(task: u128, kind: WriteKind, slot: u32, value: &[u8]) -> PendingWrite {
    PendingWrite {
        task_id: TaskId(task),
        node: NodeId::from("node"),
        kind,
        slot,
        value: blob(value),
    }
}

/// Bytes as a [`Blob`].
pub fn blob(bytes: impl AsRef<[u8]>) -> Blob {
    Arc::from(bytes.as_ref())
}
