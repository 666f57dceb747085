//! Committing a superstep: make the next checkpoint the head, check the breakpoints it lands
//! on, and store it (now, or with `Durability::Exit` when the run stops).

use std::sync::Arc;

use crate::checkpoint::{
    Breakpoint, Checkpoint, CheckpointMeta, FieldValue, FieldVersion, FieldWrite, Source,
};
use crate::config::Durability;
use crate::context::WriteSink;
use crate::error::{Error, Result};
use crate::frontier::Frontier;
use crate::ids::NodeId;
use crate::outcome::RunStatus;
use crate::state::State;
use crate::stream::EventKind;

use super::Run;
use super::apply::FieldChange;
use super::versions::{Lineage, Version};

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
    ) -> Result<Option<RunStatus>> {
        let graph = &self.plan;
        let id = self.next_id;
        self.next_id = id.next();
        let store_now = self.persistence.checkpointer.is_some()
            && (self.config.durability == Durability::Sync
                || matches!(source, Source::Fork | Source::Update));
        let before = !after
            && frontier
                .pull
                .iter()
                .chain(frontier.push.iter().map(|p| &p.node))
                .any(|&n| graph.nodes[n].interrupt_before);
        let breakpoint = if after {
            Some(Breakpoint::After)
        } else if before && source != Source::Fork {
            Some(Breakpoint::Before)
        } else {
            None
        };
        let meta = CheckpointMeta {
            thread: self.thread.clone(),
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
        let mut writes = Vec::new();
        for (f, encoded) in values {
            // Until `store` succeeds, the field's latest value lives only in memory.
            self.versions[f] = Some(Version {
                id,
                lineage: Lineage::snapshot(0),
                stored: false,
            });
            if let (Some((value, lineage)), true) = (encoded, store_now) {
                writes.push((f, value, lineage));
            }
        }
        self.frontier = frontier;
        self.head = Some(meta);
        self.head_stored = false;
        self.held = None;
        self.saved.clear();
        if store_now {
            self.store(writes).await?;
        }
        self.emit(step, EventKind::Values(Arc::clone(&self.state)))
            .await;
        self.emit(step, EventKind::Checkpoint { id, source }).await;
        Ok(breakpoint.map(|kind| RunStatus::Breakpoint {
            kind,
            next: self
                .head
                .as_ref()
                .map(|h| h.next.clone())
                .unwrap_or_default(),
        }))
    }

    /// Stores the head checkpoint with `writes` (field index, value, lineage) plus a
    /// snapshot of every other field whose latest value is not stored yet. The run's field
    /// versions change only once the checkpointer has accepted the checkpoint, so a failed
    /// store can be retried with full values.
    pub(super) async fn store(&mut self, writes: Vec<(usize, FieldValue, Lineage)>) -> Result<()> {
        let Some(checkpointer) = self.persistence.checkpointer.clone() else {
            return Ok(());
        };
        let mut meta = self.head.clone().expect("a head to store");
        // With `Durability::Exit` the in-memory parent may never have been stored: the stored
        // parent is the last checkpoint that was.
        meta.parent = self.last_stored;
        let id = meta.id;
        let mut versions = self.versions.clone();
        let mut field_writes = Vec::with_capacity(writes.len());
        for (f, value, lineage) in writes {
            versions[f] = Some(Version {
                id,
                lineage,
                stored: true,
            });
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
            field_writes.push(FieldWrite {
                field: S::FIELDS[f].name.to_owned(),
                value: FieldValue::Snapshot(bytes.into()),
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
        checkpointer
            .put(checkpoint)
            .await
            .map_err(|e| self.storage(e))?;
        self.versions = versions;
        self.head_stored = true;
        self.last_stored = Some(id);
        Ok(())
    }

    /// With `Durability::Exit`, stores the head checkpoint and the writes held back.
    pub(super) async fn flush(&mut self) -> Result<()> {
        if self.persistence.checkpointer.is_none() || self.head.is_none() {
            return Ok(());
        }
        if self.config.durability != Durability::Exit {
            // Sync runs store as they go; a failed store is not retried here, and the thread
            // resumes from the last checkpoint that was stored.
            return Ok(());
        }
        if self.poisoned {
            tracing::warn!(thread = %self.thread, "a failed update left the in-memory state inconsistent; not storing it");
            return Ok(());
        }
        if !self.head_stored {
            self.store(Vec::new()).await?;
        }
        if let Some(held) = self.held.take() {
            if let WriteSink::Buffer(buffer) = &*held {
                let writes = std::mem::take(
                    &mut *buffer
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                if !writes.is_empty() {
                    let head = self.head.as_ref().map(|h| h.id).expect("checked");
                    let checkpointer = self.persistence.checkpointer.clone().expect("checked");
                    checkpointer
                        .put_writes(&self.thread, head, writes)
                        .await
                        .map_err(|e| self.storage(e))?;
                }
            }
        }
        Ok(())
    }
}
