//! Restoring a checkpoint: load the thread's latest checkpoint (and the one a config addresses),
//! rebuild the state from snapshots and deltas, the field versions, the frontier, and what the
//! planned tasks saved before.

use std::sync::Arc;

use crate::checkpoint::{CheckpointMeta, FieldVersion, LoadedCheckpoint, PendingWrite, WriteKind};
use crate::error::{Error, Result};
use crate::frontier::Frontier;
use crate::ids::CheckpointId;
use crate::outcome::Interrupt;
use crate::state::{State, field_index};

use super::Run;
use super::versions::{Lineage, SMALL, Version};

/// An interrupt write as stored: a task's own interrupt, or the list of interrupts inside a
/// subgraph that a subgraph's task paused on.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum InterruptWrite {
    One(Interrupt),
    Nested(Vec<Interrupt>),
}

impl<S: State> Run<S> {
    /// Loads the latest checkpoint and the one `config` addresses (if another).
    pub(super) async fn load(&mut self) -> Result<Option<LoadedCheckpoint>> {
        let Some(checkpointer) = self.persistence.checkpointer.clone() else {
            return Ok(None);
        };
        let latest = checkpointer
            .get(&self.thread, &self.ns, None)
            .await
            .map_err(|e| self.storage(e))?;
        self.next_id = latest
            .as_ref()
            .map_or(CheckpointId(0), |l| l.meta.id.next());
        // A checkpoint the call addresses in another namespace is not this run's to load.
        let addressed = self.config.checkpoint.filter(|_| self.config.ns == self.ns);
        match addressed {
            Some(id) if latest.as_ref().is_none_or(|l| l.meta.id != id) => {
                let found = checkpointer
                    .get(&self.thread, &self.ns, Some(id))
                    .await
                    .map_err(|e| self.storage(e))?;
                match found {
                    Some(found) => Ok(Some(found)),
                    None => Err(Error::CheckpointNotFound {
                        thread: self.thread.clone(),
                        checkpoint: id,
                    }),
                }
            }
            _ => Ok(latest),
        }
    }

    /// Restores state, versions, frontier and saved writes from a loaded checkpoint, which becomes
    /// the head.
    pub(super) fn restore(&mut self, loaded: LoadedCheckpoint) -> Result<&CheckpointMeta> {
        let id = loaded.meta.id;
        let mut state = S::default();
        for field in &loaded.values {
            let Some(index) = field_index::<S>(&field.field) else {
                tracing::warn!(thread = %self.thread, field = %field.field, "ignoring a stored field the state no longer has");
                continue;
            };
            let what = || format!("field `{}`", field.field);
            state
                .decode_field(index, &field.snapshot)
                .map_err(|e| self.decode_error(id, what(), e.to_string()))?;
            for delta in &field.deltas {
                state
                    .apply_field_updates(index, delta)
                    .map_err(|e| self.decode_error(id, what(), e.to_string()))?;
            }
        }
        for FieldVersion {
            field,
            version,
            depth,
        } in &loaded.versions
        {
            if let Some(index) = field_index::<S>(field) {
                let value = loaded.values.iter().find(|v| v.field == *field);
                let lineage = Lineage {
                    depth: *depth,
                    base: value.map_or(0, |v| v.snapshot.len() as u64),
                    chain: value.map_or(0, |v| v.deltas.iter().map(|d| d.len() as u64).sum()),
                };
                self.versions[index] = Some(Version {
                    id: *version,
                    lineage,
                    stored: true,
                });
                self.stored_small[index] = value
                    .filter(|v| v.deltas.is_empty() && v.snapshot.len() <= SMALL)
                    .map(|v| Arc::clone(&v.snapshot));
            }
        }
        self.frontier = Frontier::decode(&self.plan, &loaded.frontier)
            .map_err(|reason| self.decode_error(id, "the frontier".into(), reason))?;
        self.saved.clear();
        for write in loaded.pending_writes {
            self.restore_write(id, write)?;
        }
        self.state = Arc::new(state);
        self.last_stored = Some(id);
        Ok(self.head.insert(loaded.meta))
    }

    pub(super) fn restore_write(
        &mut self,
        checkpoint: CheckpointId,
        write: PendingWrite,
    ) -> Result<()> {
        let what = || {
            format!(
                "the {} write of task {} (`{}`)",
                write.kind.as_str(),
                write.task_id,
                write.node
            )
        };
        let bad = |e: serde_json::Error| Error::Decode {
            thread: self.thread.clone(),
            checkpoint,
            what: what(),
            reason: e.to_string(),
        };
        let saved = self.saved.entry(write.task_id).or_default();
        match write.kind {
            WriteKind::Output => saved.output = Some(write.value),
            WriteKind::Error => {
                saved.error = Some(serde_json::from_slice(&write.value).map_err(bad)?)
            }
            WriteKind::Interrupt
                if saved
                    .interrupt
                    .as_ref()
                    .is_none_or(|(slot, _)| write.slot >= *slot) =>
            {
                let interrupts = match serde_json::from_slice(&write.value).map_err(bad)? {
                    InterruptWrite::One(interrupt) => vec![interrupt],
                    InterruptWrite::Nested(interrupts) => interrupts,
                };
                saved.interrupt = Some((write.slot, interrupts));
            }
            // An older interrupt of the task, already answered.
            WriteKind::Interrupt => {}
            WriteKind::Resume => {
                saved.resumes.insert(
                    write.slot,
                    serde_json::from_slice(&write.value).map_err(bad)?,
                );
            }
            WriteKind::Effect => {
                saved.effects.insert(
                    write.slot,
                    serde_json::from_slice(&write.value).map_err(bad)?,
                );
            }
            WriteKind::Failure => {
                saved.failure = Some(serde_json::from_slice(&write.value).map_err(bad)?);
            }
        }
        Ok(())
    }
}
