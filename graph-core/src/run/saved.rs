//! What the tasks of the planned superstep saved before this run: outputs, errors, interrupts,
//! resume answers and journaled effects, restored from the checkpoint's pending writes.

use std::collections::BTreeMap;

use crate::checkpoint::Blob;
use crate::context::EffectRecord;
use crate::outcome::Interrupt;

/// What tasks of the current superstep saved earlier.
#[derive(Default)]
pub(super) struct SavedTask {
    pub(super) output: Option<Blob>,
    pub(super) error: Option<String>,
    pub(super) interrupt: Option<(u32, Interrupt)>,
    pub(super) resumes: BTreeMap<u32, serde_json::Value>,
    pub(super) effects: BTreeMap<u32, EffectRecord>,
}
