//! What the tasks of the planned superstep saved before this run: outputs, errors, interrupts,
//! resume answers, journaled effects and the failures error handlers handle, restored from the
//! checkpoint's pending writes.

use std::collections::BTreeMap;

use crate::checkpoint::Blob;
use crate::context::EffectRecord;
use crate::error::NodeFailure;
use crate::outcome::Interrupt;

/// What tasks of the current superstep saved earlier.
#[derive(Default)]
pub(super) struct SavedTask {
    pub(super) output: Option<Blob>,
    pub(super) error: Option<String>,
    /// The task's latest interrupt write: its own interrupt, or a subgraph's task's interrupts
    /// inside the subgraph, with the write's slot.
    pub(super) interrupt: Option<(u32, Vec<Interrupt>)>,
    /// Answers this call gives to interrupts inside the task's subgraph, by id: they go to the
    /// subgraph, which stores them in its namespace.
    pub(super) nested_answers: BTreeMap<crate::ids::InterruptId, serde_json::Value>,
    pub(super) resumes: BTreeMap<u32, serde_json::Value>,
    pub(super) effects: BTreeMap<u32, EffectRecord>,
    /// For an error handler's task: the node's failure it handles.
    pub(super) failure: Option<NodeFailure>,
}
