//! Applying a superstep's updates: reject conflicting writes, let an `Overwrite` win its field,
//! encode append-style fields as deltas while the updates are at hand, reduce the updates into
//! the state in task order, and encode what is left as snapshots.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use crate::checkpoint::FieldValue;
use crate::config::Durability;
use crate::error::{Error, Result};
use crate::ids::NodeId;
use crate::state::State;
use crate::task::panic_message;

use super::Run;
use super::versions::Lineage;

/// A field a superstep wrote.
pub(super) enum FieldChange {
    /// Encoded now (`Durability::Sync`): the value to store, and the field's lineage once it is.
    Encoded {
        field: usize,
        value: FieldValue,
        lineage: Lineage,
    },
    /// Not encoded: `store` snapshots the field if the checkpoint is stored.
    Unencoded(usize),
}

impl FieldChange {
    /// The field's index in `S::FIELDS`.
    pub(super) fn field(&self) -> usize {
        match *self {
            FieldChange::Encoded { field, .. } | FieldChange::Unencoded(field) => field,
        }
    }
}

impl<S: State> Run<S> {
    /// Applies updates in order (after checking for conflicting writes) and returns the field
    /// values to store.
    pub(super) fn apply(
        &mut self,
        step: i64,
        mut updates: Vec<(NodeId, S::Update)>,
    ) -> Result<Vec<FieldChange>> {
        let fields = S::FIELDS;
        let overwritten = self.overwrites(step, &mut updates)?;
        if updates.len() > 1 {
            let mut owner: Vec<Option<usize>> = vec![None; fields.len()];
            for (i, (_, update)) in updates.iter().enumerate() {
                let mut conflict = None;
                S::written_fields(update, &mut |f| {
                    if fields[f].reducer.rejects_concurrent_writes() {
                        match owner[f] {
                            Some(first) if conflict.is_none() => conflict = Some((f, first)),
                            Some(_) => {}
                            None => owner[f] = Some(i),
                        }
                    }
                });
                if let Some((f, first)) = conflict {
                    return Err(Error::Conflict {
                        thread: self.thread.clone(),
                        step,
                        field: fields[f].name,
                        first: updates[first].0.clone(),
                        second: updates[i].0.clone(),
                    });
                }
            }
        }
        let mut written: Vec<usize> = Vec::new();
        for (_, update) in &updates {
            S::written_fields(update, &mut |f| written.push(f));
        }
        written.sort_unstable();
        written.dedup();

        let store_now =
            self.persistence.checkpointer.is_some() && self.config.durability != Durability::Exit;
        let encode_error = |what: String, e: serde_json::Error| Error::Encode {
            thread: self.thread.clone(),
            step,
            what,
            reason: e.to_string(),
        };
        // Deltas are encoded while the updates are at hand, before the reducers consume them;
        // the fields still unencoded get snapshots of their new values once the updates apply.
        let mut changes: Vec<FieldChange> =
            written.into_iter().map(FieldChange::Unencoded).collect();
        if store_now {
            for change in &mut changes {
                let FieldChange::Unencoded(f) = *change else {
                    continue;
                };
                let Some(prev) = self.versions[f] else {
                    continue;
                };
                // An overwritten field starts over from a snapshot: its old value is gone, so a
                // delta would only make reads replay what no longer counts.
                if !fields[f].reducer.stores_deltas() || !prev.stored || overwritten[f] {
                    continue;
                }
                let mut array = Vec::from(*b"[");
                for (_, update) in &updates {
                    if let Some(encoded) = S::encode_field_update(update, f) {
                        let encoded = encoded.map_err(|e| {
                            encode_error(format!("an update of field `{}`", fields[f].name), e)
                        })?;
                        if array.len() > 1 {
                            array.push(b',');
                        }
                        array.extend_from_slice(&encoded);
                    }
                }
                array.push(b']');
                if let Some(lineage) = prev
                    .lineage
                    .extend(array.len(), self.persistence.snapshot_every)
                {
                    *change = FieldChange::Encoded {
                        field: f,
                        value: FieldValue::Delta {
                            prev: prev.id,
                            updates: array.into(),
                        },
                        lineage,
                    };
                }
            }
        }
        let state = Arc::make_mut(&mut self.state);
        let mut failure = None;
        for (node, update) in updates {
            let applied = std::panic::catch_unwind(AssertUnwindSafe(|| state.apply(update)));
            let error = match applied {
                Ok(Ok(())) => continue,
                Ok(Err(source)) => Error::Reduce {
                    thread: self.thread.clone(),
                    step,
                    node,
                    source,
                },
                Err(panic) => Error::Node {
                    thread: self.thread.clone(),
                    step,
                    message: format!(
                        "a reducer panicked applying its update: {}",
                        panic_message(panic.as_ref())
                    ),
                    node,
                    source: None,
                },
            };
            failure = Some(error);
            break;
        }
        if let Some(error) = failure {
            // Earlier updates (or fields) of this superstep may already be applied.
            self.poisoned = true;
            return Err(error);
        }
        let state = &self.state;
        if store_now {
            let mut unchanged = Vec::new();
            for change in &mut changes {
                let FieldChange::Unencoded(f) = *change else {
                    continue;
                };
                let bytes = state
                    .encode_field(f)
                    .map_err(|e| encode_error(format!("field `{}`", fields[f].name), e))?;
                // The same bytes as the stored latest value: the field keeps its version.
                let stored = self.versions[f].is_some_and(|v| v.stored);
                if stored && self.stored_small[f].as_deref() == Some(bytes.as_slice()) {
                    unchanged.push(f);
                    continue;
                }
                *change = FieldChange::Encoded {
                    field: f,
                    lineage: Lineage::snapshot(bytes.len()),
                    value: FieldValue::Snapshot(bytes.into()),
                };
            }
            changes.retain(|c| !matches!(c, FieldChange::Unencoded(f) if unchanged.contains(f)));
        }
        Ok(changes)
    }

    /// Finds the fields a superstep's updates overwrite ([`crate::Overwrite`]), failing on two
    /// overwrites of one field, and makes each overwrite win its field as in LangGraph: reducer
    /// writes before it in task order apply and are then replaced, and those after it are
    /// dropped here. Returns, per field, whether it is overwritten.
    fn overwrites(&self, step: i64, updates: &mut [(NodeId, S::Update)]) -> Result<Vec<bool>> {
        let fields = S::FIELDS;
        let mut by: Vec<Option<usize>> = vec![None; fields.len()];
        for (i, (_, update)) in updates.iter().enumerate() {
            let mut conflict = None;
            S::overwritten_fields(update, &mut |f| match by[f] {
                Some(first) => {
                    conflict.get_or_insert((f, first));
                }
                None => by[f] = Some(i),
            });
            if let Some((f, first)) = conflict {
                return Err(Error::OverwriteConflict {
                    thread: self.thread.clone(),
                    step,
                    field: fields[f].name,
                    first: updates[first].0.clone(),
                    second: updates[i].0.clone(),
                });
            }
        }
        for (f, by) in by.iter().enumerate() {
            if let Some(i) = *by {
                for (_, later) in &mut updates[i + 1..] {
                    S::clear_field(later, f);
                }
            }
        }
        Ok(by.iter().map(Option::is_some).collect())
    }
}
