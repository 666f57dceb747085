//! Committing a superstep: make the next checkpoint the head, check the breakpoints it lands
//! on, and store it (now, or with `Durability::Exit` when the run stops).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use crate::checkpoint::{
    Breakpoint, Checkpoint, CheckpointMeta, FieldValue, FieldVersion, FieldWrite, Source,
};
use crate::config::Durability;
use crate::error::{Error, Result};
use crate::frontier::Frontier;
use crate::ids::{CheckpointId, NodeId};
use crate::outcome::RunStatus;
use crate::state::State;
use crate::stream::{EventKind, Payload, StreamMode};

use super::Run;
use super::apply::FieldChange;
use super::versions::{Lineage, SMALL, Version};

/// A `Durability::Async` put the checkpointer has taken and the run has not yet waited for.
pub(super) type Storing =
    Pin<Box<dyn Future<Output = Result<(), crate::error::StorageError>> + Send>>;

/// How many puts a `Durability::Async` run leaves in flight before it waits for the oldest: a
/// long run of fast supersteps must not queue without bound behind a slow disk.
const MAX_STORING: usize = 64;

/// What a commit made: the new head's id, and the breakpoint the run pauses at, if any.
pub(super) struct Committed {
    pub(super) id: CheckpointId,
    pub(super) paused: Option<RunStatus>,
}

impl<S: State> Run<S> {
    /// Makes the next checkpoint the head (storing it unless durability says otherwise) and
    /// checks the breakpoints it lands on.
    pub(super) async fn commit(
        &mut self,
        source: Source,
        step: i64,
        writers: Vec<NodeId>,
        values: Vec<FieldChange>,
        frontier: Frontier,
        after: bool,
    ) -> Result<Committed> {
        let graph = &self.plan;
        let id = self.next_id;
        self.next_id = id.next();
        let store_now = self.persistence.checkpointer.is_some()
            && (self.config.durability != Durability::Exit
                || matches!(source, Source::Fork | Source::Update));
        // Forks and edits of the state are stored before the run goes on, whatever the mode.
        let wait = self.config.durability != Durability::Async
            || matches!(source, Source::Fork | Source::Update);
        let before = !after
            && frontier
                .pull
                .iter()
                .chain(frontier.push.iter().map(|p| &p.node))
                .any(|&n| {
                    let node = &graph.nodes[n];
                    node.interrupt_before || self.config.interrupt_before.names(&node.id)
                });
        let breakpoint = if after {
            Some(Breakpoint::After)
        } else if before && source != Source::Fork {
            Some(Breakpoint::Before)
        } else {
            None
        };
        let meta = CheckpointMeta {
            thread: self.thread.clone(),
            ns: self.ns.clone(),
            id,
            parent: self.head.as_ref().map(|h| h.id),
            step,
            source,
            created_at_ms: (self.persistence.clock)(),
            next: frontier.next_names(graph),
            writers,
            breakpoint,
            metadata: self.config.metadata.clone(),
        };
        for change in &values {
            // Until `store` succeeds, the field's latest value lives only in memory.
            self.versions[change.field()] = Some(Version {
                id,
                lineage: Lineage::snapshot(0),
                stored: false,
            });
            self.stored_small[change.field()] = None;
        }
        let paused = breakpoint.map(|kind| RunStatus::Breakpoint {
            kind,
            next: meta.next.clone(),
        });
        self.frontier = frontier;
        // The head is set before it is stored, so a failed store leaves it for `flush` to retry.
        self.head = Some(meta);
        self.held = None;
        self.saved.clear();
        if store_now {
            self.store(values, wait).await?;
        }
        if self.events.wants(StreamMode::Values) {
            self.emit(step, EventKind::Values(Arc::clone(&self.state)))
                .await;
        }
        if self.events.wants(StreamMode::Checkpoints) {
            Box::pin(self.emit_checkpoint()).await;
        }
        Ok(Committed { id, paused })
    }

    /// Streams the head checkpoint (mode `checkpoints`).
    async fn emit_checkpoint(&self) {
        let Some(head) = &self.head else {
            return;
        };
        let kind = EventKind::Checkpoint {
            id: head.id,
            source: head.source,
            parent: head.parent,
            values: Payload::State(Arc::clone(&self.state)),
            next: head.next.clone(),
            metadata: head.metadata.clone(),
        };
        self.emit(head.step, kind).await;
    }

    /// Stores the head checkpoint with the fields `changes` encoded, plus a snapshot of every
    /// other field whose latest value is not stored yet. The run's field versions change only
    /// once the checkpointer has accepted the checkpoint, so a failed store can be retried with
    /// full values. Without a checkpointer or a head there is nothing to store.
    ///
    /// Without `wait` (`Durability::Async`) the checkpointer takes the checkpoint now and the
    /// run goes on while it is stored; `settle` waits for it. The versions then count it as
    /// stored at once: should it fail, the run fails, and the thread resumes from the last
    /// checkpoint that was stored.
    pub(super) async fn store(&mut self, changes: Vec<FieldChange>, wait: bool) -> Result<()> {
        let (Some(checkpointer), Some(head)) = (&self.persistence.checkpointer, &self.head) else {
            return Ok(());
        };
        let checkpointer = Arc::clone(checkpointer);
        let mut meta = head.clone();
        // With `Durability::Exit` the in-memory parent may never have been stored: the stored
        // parent is the last checkpoint that was.
        meta.parent = self.last_stored;
        let id = meta.id;
        let mut versions = self.versions.clone();
        let mut small = self.stored_small.clone();
        let mut field_writes = Vec::with_capacity(changes.len());
        for change in changes {
            // An unencoded field is left to the snapshots below.
            let FieldChange::Encoded {
                field: f,
                value,
                lineage,
            } = change
            else {
                continue;
            };
            versions[f] = Some(Version {
                id,
                lineage,
                stored: true,
            });
            small[f] = match &value {
                FieldValue::Snapshot(bytes) if bytes.len() <= SMALL => Some(Arc::clone(bytes)),
                _ => None,
            };
            field_writes.push(FieldWrite {
                field: S::FIELDS[f].name.to_owned(),
                value,
            });
        }
        for (f, version) in versions.iter_mut().enumerate() {
            let Some(version) = version else { continue };
            if version.stored {
                continue;
            }
            let bytes = self.state.encode_field(f).map_err(|e| Error::Encode {
                thread: self.thread.clone(),
                step: meta.step,
                what: format!("field `{}`", S::FIELDS[f].name),
                reason: e.to_string(),
            })?;
            *version = Version {
                id,
                lineage: Lineage::snapshot(bytes.len()),
                stored: true,
            };
            let bytes: Arc<[u8]> = bytes.into();
            small[f] = (bytes.len() <= SMALL).then(|| Arc::clone(&bytes));
            field_writes.push(FieldWrite {
                field: S::FIELDS[f].name.to_owned(),
                value: FieldValue::Snapshot(bytes),
            });
        }
        let stored_versions = S::FIELDS
            .iter()
            .zip(&versions)
            .filter_map(|(field, v)| {
                v.map(|v| FieldVersion {
                    field: field.name.to_owned(),
                    version: v.id,
                    depth: v.lineage.depth,
                })
            })
            .collect();
        let frontier = self
            .frontier
            .encode(&self.plan)
            .map_err(|e| Error::Encode {
                thread: self.thread.clone(),
                step: meta.step,
                what: "the frontier".into(),
                reason: e.to_string(),
            })?;
        let checkpoint = Checkpoint {
            meta,
            versions: stored_versions,
            writes: field_writes,
            frontier: frontier.into(),
        };
        if wait {
            checkpointer
                .put(checkpoint)
                .await
                .map_err(|e| self.storage(e))?;
        } else {
            let put: Storing = Box::pin(async move { checkpointer.put_later(checkpoint).await });
            self.start_storing(put).await?;
        }
        self.versions = versions;
        self.stored_small = small;
        self.last_stored = Some(id);
        Ok(())
    }

    /// Hands a `Durability::Async` put to the checkpointer: polled once now, so the
    /// checkpointer takes it before any call the run makes after it, and then kept until
    /// `settle` (or until too many are waiting).
    async fn start_storing(&mut self, mut put: Storing) -> Result<()> {
        let first = std::future::poll_fn(|cx| Poll::Ready(put.as_mut().poll(cx))).await;
        if let Poll::Ready(result) = first {
            return result.map_err(|e| self.storage(e));
        }
        // In a mutex only to be `Sync`, as the run must be: it is never locked, only owned.
        self.storing.push_back(std::sync::Mutex::new(put));
        if self.storing.len() > MAX_STORING
            && let Some(oldest) = self.storing.pop_front()
        {
            let oldest = oldest
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            oldest.await.map_err(|e| self.storage(e))?;
        }
        Ok(())
    }

    /// Waits until every checkpoint this run handed over without waiting is stored. Every one
    /// is waited for, even after a failure, so nothing of the run is in flight when it returns;
    /// the first failure is returned.
    pub(super) async fn settle(&mut self) -> Result<()> {
        let mut failure = None;
        while let Some(put) = self.storing.pop_front() {
            let put = put
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Err(e) = put.await {
                failure.get_or_insert(e);
            }
        }
        match failure {
            Some(e) => Err(self.storage(e)),
            None => Ok(()),
        }
    }

    /// With `Durability::Async`, waits for the checkpoints still being stored; with
    /// `Durability::Exit`, stores the head checkpoint and the writes held back.
    pub(super) async fn flush(&mut self) -> Result<()> {
        self.settle().await?;
        let (Some(checkpointer), Some(head)) = (&self.persistence.checkpointer, &self.head) else {
            return Ok(());
        };
        let (checkpointer, head) = (Arc::clone(checkpointer), head.id);
        if self.config.durability != Durability::Exit {
            // Sync runs store as they go; a failed store is not retried here, and the thread
            // resumes from the last checkpoint that was stored.
            return Ok(());
        }
        if self.poisoned {
            tracing::warn!(thread = %self.thread, "a failed update left the in-memory state inconsistent; not storing it");
            return Ok(());
        }
        if !self.head_stored() {
            self.store(Vec::new(), true).await?;
        }
        let held = self.held.take().map(|sink| sink.take_held());
        if let Some(writes) = held.filter(|writes| !writes.is_empty()) {
            checkpointer
                .put_writes(&self.thread, &self.ns, head, writes)
                .await
                .map_err(|e| self.storage(e))?;
        }
        Ok(())
    }
}
