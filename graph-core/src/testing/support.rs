//! What every conformance case uses: the [`Harness`] (fresh thread ids, and store calls that
//! panic saying what failed) and the normal form reads are compared in.

use std::sync::Arc;

use crate::checkpoint::{
    Checkpoint, CheckpointMeta, Checkpointer, FieldValue, FieldVersion, FieldWrite, HistoryQuery,
    LoadedCheckpoint, LoadedField, PendingWrite,
};
use crate::ids::{CheckpointId, Namespace, ThreadId};
use crate::testing::records::{blob, checkpoint};

/// The store under test and the case running against it.
#[derive(Clone)]
pub(super) struct Harness {
    store: Arc<dyn Checkpointer>,
    case: &'static str,
}

impl Harness {
    pub(super) fn new(store: Arc<dyn Checkpointer>, case: &'static str) -> Self {
        Self { store, case }
    }

    /// The raw store, for calls whose result a case checks itself (errors it expects, counts).
    pub(super) fn store(&self) -> &dyn Checkpointer {
        &*self.store
    }

    /// A thread id nothing else uses. The random part matters for durable stores: the suite may
    /// run again against a file that holds its threads from an earlier run.
    pub(super) fn thread(&self) -> ThreadId {
        ThreadId::from(format!(
            "conformance-{}-{:016x}",
            self.case,
            fastrand::u64(..)
        ))
    }

    pub(super) async fn put(&self, checkpoint: Checkpoint) {
        let (thread, id) = (checkpoint.meta.thread.clone(), checkpoint.meta.id);
        if let Err(e) = self.store.put(checkpoint).await {
            panic!("put of checkpoint {id} of thread `{thread}` failed: {e}");
        }
    }

    /// Pending writes for checkpoint `id` of the thread's root namespace.
    pub(super) async fn put_writes(&self, thread: &ThreadId, id: u64, writes: Vec<PendingWrite>) {
        self.put_writes_in(thread, &Namespace::root(), id, writes)
            .await;
    }

    pub(super) async fn put_writes_in(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        id: u64,
        writes: Vec<PendingWrite>,
    ) {
        if let Err(e) = self
            .store
            .put_writes(thread, ns, CheckpointId(id), writes)
            .await
        {
            panic!("put_writes for checkpoint {id} of thread `{thread}` ({ns:?}) failed: {e}");
        }
    }

    /// Checkpoint `id` (or the latest) of the root namespace, in normal form; panics when there
    /// is none.
    pub(super) async fn get(&self, thread: &ThreadId, id: Option<u64>) -> LoadedCheckpoint {
        self.get_in(thread, &Namespace::root(), id).await
    }

    /// Checkpoint `id` (or the latest) of namespace `ns`, in normal form; panics when there is
    /// none.
    pub(super) async fn get_in(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        id: Option<u64>,
    ) -> LoadedCheckpoint {
        self.try_get_in(thread, ns, id).await.unwrap_or_else(|| {
            panic!("get({id:?}) of thread `{thread}` ({ns:?}) returned None, expected a checkpoint")
        })
    }

    /// Checkpoint `id` (or the latest) of the root namespace in normal form, if there is one.
    pub(super) async fn try_get(
        &self,
        thread: &ThreadId,
        id: Option<u64>,
    ) -> Option<LoadedCheckpoint> {
        self.try_get_in(thread, &Namespace::root(), id).await
    }

    pub(super) async fn try_get_in(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        id: Option<u64>,
    ) -> Option<LoadedCheckpoint> {
        match self.store.get(thread, ns, id.map(CheckpointId)).await {
            Ok(found) => found.map(normalize),
            Err(e) => panic!("get({id:?}) of thread `{thread}` ({ns:?}) failed: {e}"),
        }
    }

    /// The root namespace's history.
    pub(super) async fn list(
        &self,
        thread: &ThreadId,
        query: &HistoryQuery,
    ) -> Vec<CheckpointMeta> {
        self.list_in(thread, &Namespace::root(), query).await
    }

    pub(super) async fn list_in(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Vec<CheckpointMeta> {
        match self.store.list(thread, ns, query).await {
            Ok(metas) => metas,
            Err(e) => panic!("list of thread `{thread}` ({ns:?}) with {query:?} failed: {e}"),
        }
    }

    /// The ids `list` returns, in its order.
    pub(super) async fn ids(&self, thread: &ThreadId, query: &HistoryQuery) -> Vec<u64> {
        self.list(thread, query)
            .await
            .iter()
            .map(|meta| meta.id.0)
            .collect()
    }
}

/// A [`checkpoint`] with the given versions and field writes instead of its own.
pub(super) fn with_fields(
    thread: &ThreadId,
    id: u64,
    parent: Option<u64>,
    versions: Vec<FieldVersion>,
    writes: Vec<FieldWrite>,
) -> Checkpoint {
    Checkpoint {
        versions,
        writes,
        ..checkpoint(thread, id, parent)
    }
}

/// What `get` of `checkpoint` should return when it reads only snapshots it wrote itself (as
/// every [`checkpoint`] does) and has no pending writes.
pub(super) fn own(checkpoint: &Checkpoint) -> LoadedCheckpoint {
    let values = checkpoint
        .writes
        .iter()
        .map(|write| match &write.value {
            FieldValue::Snapshot(bytes) => field(&write.field, bytes, &[]),
            FieldValue::Delta { .. } => panic!("own() is for checkpoints of snapshots only"),
        })
        .collect();
    loaded(checkpoint, values, Vec::new())
}

/// What `get` of `checkpoint` should return, in normal form.
pub(super) fn loaded(
    checkpoint: &Checkpoint,
    values: Vec<LoadedField>,
    pending_writes: Vec<PendingWrite>,
) -> LoadedCheckpoint {
    normalize(LoadedCheckpoint {
        meta: checkpoint.meta.clone(),
        versions: checkpoint.versions.clone(),
        values,
        frontier: Arc::clone(&checkpoint.frontier),
        pending_writes,
    })
}

/// A field as `get` should return it.
pub(super) fn field(name: &str, snapshot: &[u8], deltas: &[&[u8]]) -> LoadedField {
    LoadedField {
        field: name.to_owned(),
        snapshot: blob(snapshot),
        deltas: deltas.iter().map(blob).collect(),
    }
}

/// The trait promises no order for a checkpoint's versions, values or pending writes, so reads
/// are compared with those sorted: fields by name, writes by their key.
pub(super) fn normalize(mut loaded: LoadedCheckpoint) -> LoadedCheckpoint {
    loaded.versions.sort_by(|a, b| a.field.cmp(&b.field));
    loaded.values.sort_by(|a, b| a.field.cmp(&b.field));
    sort_writes(&mut loaded.pending_writes);
    loaded
}

/// Sorts writes by their key (task, kind, slot).
pub(super) fn sort_writes(writes: &mut [PendingWrite]) {
    writes.sort_by_key(|w| (w.task_id, w.kind, w.slot));
}
