//! [`InMemoryCheckpointer`]: the [`Checkpointer`] for tests, examples and runs that need resume
//! and history but not durability.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::checkpoint::{
    Checkpoint, CheckpointMeta, Checkpointer, FieldValue, FieldVersion, HistoryQuery,
    LoadedCheckpoint, LoadedField, PendingWrite,
};
use crate::error::StorageError;
use crate::ids::{CheckpointId, Namespace, ThreadId};

/// Keeps checkpoints in memory, with the same semantics as a durable checkpointer (field
/// versions, delta chains, idempotent writes, retention) so tests of one carry over to the other.
#[derive(Debug, Default)]
pub struct InMemoryCheckpointer {
    threads: Mutex<HashMap<ThreadId, Namespaces>>,
    /// Counts the checkpoints stored, so each records when it was stored among the others:
    /// `rewind` tells the subgraph namespaces started after its cut by it.
    stored: AtomicU64,
}

/// A thread's namespaces, each an independent history.
type Namespaces = HashMap<Namespace, ThreadData>;

/// One namespace of a thread.
#[derive(Debug, Default, Clone)]
struct ThreadData {
    checkpoints: BTreeMap<CheckpointId, StoredCheckpoint>,
    values: HashMap<(String, CheckpointId), FieldValue>,
    writes: BTreeMap<CheckpointId, Vec<PendingWrite>>,
}

#[derive(Debug, Clone)]
struct StoredCheckpoint {
    meta: CheckpointMeta,
    versions: Vec<FieldVersion>,
    frontier: crate::checkpoint::Blob,
    /// Its place in the order checkpoints were stored (`InMemoryCheckpointer::stored`); a copy
    /// of the thread keeps it, so the copy's checkpoints keep their order.
    seq: u64,
}

impl InMemoryCheckpointer {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ThreadId, Namespaces>> {
        // A panic while holding the lock cannot leave a thread half-written (every method
        // validates before it mutates), so a poisoned lock is still consistent.
        self.threads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ThreadData {
    /// The checkpoints a history query selects, newest first.
    fn page<'a>(
        &'a self,
        query: &'a HistoryQuery,
    ) -> impl Iterator<Item = (&'a CheckpointId, &'a StoredCheckpoint)> + 'a {
        let range = match query.before {
            Some(before) => self.checkpoints.range(..before),
            None => self.checkpoints.range(..),
        };
        range
            .rev()
            .filter(|(_, stored)| query.matches(&stored.meta))
            .take(query.limit.unwrap_or(usize::MAX))
    }

    fn resolve(
        &self,
        thread: &ThreadId,
        checkpoint: CheckpointId,
        version: &FieldVersion,
    ) -> Result<LoadedField, StorageError> {
        let mut deltas = Vec::new();
        let mut at = version.version;
        loop {
            match self.values.get(&(version.field.clone(), at)) {
                Some(FieldValue::Snapshot(bytes)) => {
                    deltas.reverse();
                    return Ok(LoadedField {
                        field: version.field.clone(),
                        snapshot: Arc::clone(bytes),
                        deltas,
                    });
                }
                Some(FieldValue::Delta { prev, updates }) => {
                    deltas.push(Arc::clone(updates));
                    at = *prev;
                }
                None => {
                    return Err(StorageError::new(format!(
                        "thread `{thread}`, checkpoint {checkpoint}: field `{}` has no value at \
                         version {at}",
                        version.field
                    )));
                }
            }
        }
    }

    /// A stored checkpoint as `get` returns it: values resolved, pending writes attached.
    fn load(
        &self,
        thread: &ThreadId,
        id: CheckpointId,
        stored: &StoredCheckpoint,
    ) -> Result<LoadedCheckpoint, StorageError> {
        let values = stored
            .versions
            .iter()
            .map(|version| self.resolve(thread, id, version))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LoadedCheckpoint {
            meta: stored.meta.clone(),
            versions: stored.versions.clone(),
            values,
            frontier: Arc::clone(&stored.frontier),
            pending_writes: self.writes.get(&id).cloned().unwrap_or_default(),
        })
    }

    /// The (field, version) keys the given checkpoints read, following delta chains.
    fn reachable(
        &self,
        ids: impl Iterator<Item = CheckpointId>,
    ) -> HashSet<(String, CheckpointId)> {
        let mut keep = HashSet::new();
        for id in ids {
            let Some(stored) = self.checkpoints.get(&id) else {
                continue;
            };
            for version in &stored.versions {
                let mut at = version.version;
                while keep.insert((version.field.clone(), at)) {
                    match self.values.get(&(version.field.clone(), at)) {
                        Some(FieldValue::Delta { prev, .. }) => at = *prev,
                        _ => break,
                    }
                }
            }
        }
        keep
    }

    /// When the namespace's first checkpoint still stored was stored; `None` without any.
    fn first_stored(&self) -> Option<u64> {
        self.checkpoints.values().map(|stored| stored.seq).min()
    }
}

#[async_trait]
impl Checkpointer for InMemoryCheckpointer {
    async fn put(&self, checkpoint: Checkpoint) -> Result<(), StorageError> {
        let mut threads = self.lock();
        let data = threads
            .entry(checkpoint.meta.thread.clone())
            .or_default()
            .entry(checkpoint.meta.ns.clone())
            .or_default();
        let id = checkpoint.meta.id;
        if data.checkpoints.contains_key(&id) {
            return Err(StorageError::new(format!(
                "thread `{}`, namespace `{}`: checkpoint {id} already exists (two runs on one \
                 thread?)",
                checkpoint.meta.thread, checkpoint.meta.ns
            )));
        }
        for write in checkpoint.writes {
            data.values.insert((write.field, id), write.value);
        }
        if let Some(parent) = checkpoint.meta.parent {
            data.writes.remove(&parent);
        }
        // Taken under the lock, so the numbers follow the order the puts happened in.
        let seq = self.stored.fetch_add(1, Ordering::Relaxed);
        data.checkpoints.insert(
            id,
            StoredCheckpoint {
                meta: checkpoint.meta,
                versions: checkpoint.versions,
                frontier: checkpoint.frontier,
                seq,
            },
        );
        Ok(())
    }

    async fn put_writes(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        checkpoint: CheckpointId,
        writes: Vec<PendingWrite>,
    ) -> Result<(), StorageError> {
        let mut threads = self.lock();
        let data = threads
            .entry(thread.clone())
            .or_default()
            .entry(ns.clone())
            .or_default();
        let stored = data.writes.entry(checkpoint).or_default();
        for write in writes {
            let existing = stored.iter_mut().find(|w| {
                w.task_id == write.task_id && w.kind == write.kind && w.slot == write.slot
            });
            match existing {
                Some(old) if write.kind.replaces() => *old = write,
                Some(_) => {}
                None => stored.push(write),
            }
        }
        Ok(())
    }

    async fn get(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        id: Option<CheckpointId>,
    ) -> Result<Option<LoadedCheckpoint>, StorageError> {
        let threads = self.lock();
        let Some(data) = threads.get(thread).and_then(|t| t.get(ns)) else {
            return Ok(None);
        };
        let found = match id {
            Some(id) => data.checkpoints.get_key_value(&id),
            None => data.checkpoints.last_key_value(),
        };
        let Some((&id, stored)) = found else {
            return Ok(None);
        };
        data.load(thread, id, stored).map(Some)
    }

    async fn list(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Result<Vec<CheckpointMeta>, StorageError> {
        let threads = self.lock();
        let Some(data) = threads.get(thread).and_then(|t| t.get(ns)) else {
            return Ok(Vec::new());
        };
        Ok(data
            .page(query)
            .map(|(_, stored)| stored.meta.clone())
            .collect())
    }

    async fn history(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Result<Vec<LoadedCheckpoint>, StorageError> {
        let threads = self.lock();
        let Some(data) = threads.get(thread).and_then(|t| t.get(ns)) else {
            return Ok(Vec::new());
        };
        // One lock for the whole page, so it is one consistent view, as SQLite's transaction is.
        data.page(query)
            .map(|(&id, stored)| data.load(thread, id, stored))
            .collect()
    }

    async fn delete_thread(&self, thread: &ThreadId) -> Result<(), StorageError> {
        self.lock().remove(thread);
        Ok(())
    }

    async fn copy_thread(&self, from: &ThreadId, to: &ThreadId) -> Result<(), StorageError> {
        if from == to {
            return Err(StorageError::new(format!(
                "cannot copy thread `{from}` into itself"
            )));
        }
        let mut threads = self.lock();
        if threads
            .get(to)
            .is_some_and(|t| t.values().any(|data| !data.checkpoints.is_empty()))
        {
            return Err(StorageError::new(format!(
                "cannot copy thread `{from}` into `{to}`: `{to}` is not empty"
            )));
        }
        let Some(mut copy) = threads.get(from).cloned() else {
            return Err(StorageError::new(format!(
                "cannot copy thread `{from}`: no such thread"
            )));
        };
        for data in copy.values_mut() {
            for stored in data.checkpoints.values_mut() {
                stored.meta.thread = to.clone();
            }
        }
        threads.insert(to.clone(), copy);
        Ok(())
    }

    async fn prune(&self, thread: &ThreadId, keep: usize) -> Result<usize, StorageError> {
        let keep = keep.max(1);
        let mut threads = self.lock();
        let Some(namespaces) = threads.get_mut(thread) else {
            return Ok(0);
        };
        let mut deleted = 0;
        for data in namespaces.values_mut() {
            let kept: Vec<CheckpointId> =
                data.checkpoints.keys().rev().take(keep).copied().collect();
            let doomed: Vec<CheckpointId> =
                data.checkpoints.keys().rev().skip(keep).copied().collect();
            let live = data.reachable(kept.into_iter());
            for id in &doomed {
                data.checkpoints.remove(id);
                data.writes.remove(id);
            }
            data.values.retain(|key, _| live.contains(key));
            deleted += doomed.len();
        }
        Ok(deleted)
    }

    async fn rewind(
        &self,
        thread: &ThreadId,
        to: Option<CheckpointId>,
    ) -> Result<usize, StorageError> {
        let mut threads = self.lock();
        let Some(namespaces) = threads.get_mut(thread) else {
            return Ok(0);
        };
        let Some(root) = namespaces.get_mut(&Namespace::root()) else {
            return Ok(0);
        };
        let after = |id: &CheckpointId| to.is_none_or(|to| *id > to);
        // The first stored of the checkpoints the rewind deletes: subgraph namespaces started
        // later belong to tasks planned from deleted checkpoints.
        let cut = root
            .checkpoints
            .iter()
            .filter(|(id, _)| after(id))
            .map(|(_, stored)| stored.seq)
            .min();
        let before = root.checkpoints.len();
        root.checkpoints.retain(|id, _| !after(id));
        root.writes.retain(|id, _| !after(id));
        root.values.retain(|(_, version), _| !after(version));
        let deleted = before - root.checkpoints.len();
        if let Some(cut) = cut {
            namespaces.retain(|ns, data| {
                ns.is_root() || data.first_stored().is_none_or(|first| first < cut)
            });
        }
        Ok(deleted)
    }
}
