//! One run of a graph on a thread: restore the thread's checkpoint, apply input or resume
//! answers, then loop over supersteps — plan, run tasks concurrently, apply their updates in task
//! order, advance the frontier, checkpoint — until the frontier is empty, a task pauses or fails,
//! or a breakpoint is hit.
//!
//! [`Run`] is one type whose methods live in a file per concern:
//!
//! - `start.rs` — [`Run::execute`], where `invoke`, `resume` and `stream` enter: input, resume or
//!   fork, then the superstep loop, then what every exit path needs;
//! - `restore.rs` — loading a checkpoint and rebuilding state, versions, frontier, saved writes;
//! - `resume.rs` — open interrupts, checking resume answers, forking an older checkpoint;
//! - `superstep.rs` — planning and running one superstep's tasks;
//! - `apply.rs` — conflicts, delta encoding, reducing updates into the state;
//! - `commit.rs` — the next checkpoint: breakpoints, storing it, the `Durability::Exit` flush;
//! - `inspect.rs` — `get_state` and a page of history with values;
//! - `edit.rs` — `update_state`, `bulk_update_state`, and a `Command` given as input;
//! - `subgraph.rs` — a subgraph as a node: its run inside the parent's task, in its namespace;
//! - `versions.rs`, `saved.rs` — the plain types the run's fields are made of.
//!
//! This file holds the run's fields and the helpers every concern shares. It imports none of the
//! concern files (they import it), so the folder has no import cycle.

use std::collections::HashMap;
use std::sync::Arc;

use crate::checkpoint::{CheckpointMeta, PendingWrite};
use crate::config::{CallSettings, Persistence, ReplayTarget, Resume, RunConfig};
use crate::context::WriteSink;
use crate::error::Error;
use crate::frontier::{Frontier, TaskOutput};
use crate::ids::{CheckpointId, Namespace, NodeId, TaskId, ThreadId};
use crate::plan::Plan;
use crate::state::State;
use crate::stream::{EventKind, EventSink};

mod apply;
mod bridge;
mod commit;
mod edit;
mod inspect;
mod replay;
mod restore;
mod resume;
mod saved;
mod start;
mod subgraph;
mod superstep;
mod versions;

pub(crate) use bridge::SameState;
pub(crate) use subgraph::SubgraphNode;

use saved::SavedTask;
use versions::Version;

/// How a call starts: with input for the thread, or continuing it.
pub(crate) enum Start<S: State> {
    Input(S::Update),
    Resume(Resume),
    /// A subgraph's run inside its parent's task: from the parent's state, or, when its
    /// namespace has a checkpoint (the task paused, failed or crashed before), from there,
    /// taking the answers the parent's resume gave to its interrupts.
    Nested {
        input: Arc<S>,
        answers: std::collections::BTreeMap<crate::ids::InterruptId, serde_json::Value>,
        /// A replay from a checkpoint at or below this subgraph's namespace.
        replay: Option<ReplayTarget>,
    },
}

/// A run in progress: the thread's state and frontier as of its head checkpoint, and what this
/// call has done so far.
pub(crate) struct Run<S: State> {
    plan: Arc<Plan<S>>,
    persistence: Persistence,
    config: RunConfig,
    thread: ThreadId,
    /// Where in the thread this run's checkpoints go: the root, or a subgraph's namespace.
    ns: Namespace,
    state: Arc<S>,
    versions: Vec<Option<Version>>,
    /// Per field, the bytes of its latest value when that is a small snapshot in storage: a
    /// write that encodes to the same bytes stores nothing (`apply`), so a node that sets a
    /// field to what it already holds, every turn, costs no row.
    stored_small: Vec<Option<Arc<[u8]>>>,
    frontier: Frontier,
    /// The checkpoint the next superstep starts from; `None` on a thread with none yet.
    head: Option<CheckpointMeta>,
    /// The newest checkpoint in storage: the parent the next stored checkpoint names, and how
    /// the run knows whether its head is stored (there is no flag to fall out of step).
    last_stored: Option<CheckpointId>,
    next_id: CheckpointId,
    saved: HashMap<TaskId, SavedTask>,
    events: Arc<EventSink<S>>,
    supersteps: u32,
    executed: Vec<NodeId>,
    /// Pending writes held back by `Durability::Exit`.
    held: Option<Arc<WriteSink>>,
    /// Checkpoints handed to the checkpointer by `Durability::Async` and not yet waited for,
    /// oldest first.
    storing: std::collections::VecDeque<std::sync::Mutex<commit::Storing>>,
    /// Resume answers not stored yet: they go out with the next superstep's first pending write.
    answers: Vec<PendingWrite>,
    /// An update failed half-way, so `state` must not be stored.
    poisoned: bool,
    /// What subgraph tasks need of this call, made when the first one runs.
    call: Option<Arc<CallSettings>>,
    /// The command a node of this subgraph sent to its parent (`Command::parent`), which ended
    /// the run; the subgraph's task hands it up.
    to_parent: Option<(NodeId, TaskOutput<S>)>,
    /// A replay from a subgraph's checkpoint on its way down: the task whose subgraph takes it.
    descend: Option<(TaskId, ReplayTarget)>,
}

impl<S: State> Run<S> {
    pub(super) fn new(
        plan: Arc<Plan<S>>,
        persistence: Persistence,
        config: RunConfig,
        events: EventSink<S>,
    ) -> Self {
        let frontier = Frontier::empty(&plan);
        Self {
            thread: config.thread.clone(),
            ns: Namespace::root(),
            state: Arc::new(S::default()),
            versions: vec![None; S::FIELDS.len()],
            stored_small: vec![None; S::FIELDS.len()],
            frontier,
            head: None,
            last_stored: None,
            next_id: CheckpointId(0),
            saved: HashMap::new(),
            events: Arc::new(events),
            supersteps: 0,
            executed: Vec::new(),
            held: None,
            storing: std::collections::VecDeque::new(),
            answers: Vec::new(),
            poisoned: false,
            call: None,
            to_parent: None,
            descend: None,
            plan,
            persistence,
            config,
        }
    }

    pub(super) fn storage(&self, source: crate::error::StorageError) -> Error {
        Error::Storage {
            thread: self.thread.clone(),
            source,
        }
    }

    pub(super) fn decode_error(
        &self,
        checkpoint: CheckpointId,
        what: String,
        reason: String,
    ) -> Error {
        Error::Decode {
            thread: self.thread.clone(),
            checkpoint,
            what,
            reason,
        }
    }

    /// Refuses a call that addresses a subgraph's namespace but only serves the root graph.
    pub(super) fn check_root(&self, what: &str) -> Result<(), Error> {
        if self.config.ns.is_root() {
            return Ok(());
        }
        Err(Error::Namespace {
            thread: self.thread.clone(),
            ns: self.config.ns.clone(),
            reason: format!(
                "{what} serves the root graph only; read a subgraph's state with \
                 get_subgraph_state or get_state_with(StateOptions::subgraphs), and replay from \
                 its checkpoint with resume"
            ),
        })
    }

    pub(super) fn step(&self) -> i64 {
        self.head.as_ref().map_or(-1, |h| h.step)
    }

    /// The head checkpoint's id, or 0 before the thread has one (task ids derive from it).
    pub(super) fn head_id(&self) -> CheckpointId {
        self.head.as_ref().map_or(CheckpointId(0), |h| h.id)
    }

    /// Whether the head checkpoint is in storage: always once restored; with
    /// `Durability::Exit`, only once the run stops.
    pub(super) fn head_stored(&self) -> bool {
        self.head
            .as_ref()
            .is_some_and(|h| Some(h.id) == self.last_stored)
    }

    /// How this call runs, for subgraph tasks to run their subgraphs the same way. Made once, on
    /// first use, so graphs without subgraphs never pay for the copy.
    pub(super) fn call_settings(&mut self) -> Arc<CallSettings> {
        let call = self.call.get_or_insert_with(|| {
            Arc::new(CallSettings {
                persistence: self.persistence.clone(),
                config: self.config.clone(),
                replay: self.descend.clone(),
            })
        });
        Arc::clone(call)
    }

    pub(super) async fn emit(&self, step: i64, kind: EventKind<S>) {
        self.events.send(step, None, None, kind).await;
    }
}
