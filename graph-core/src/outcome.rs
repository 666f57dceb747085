//! What the public API hands back: a run's [`RunOutput`] and why it stopped ([`RunStatus`], with
//! the [`Interrupt`]s it waits on), and a thread's [`StateSnapshot`] for `get_state`.
//!
//! These are plain data, below the run and the stream that produce them, so that neither has to
//! import the other to name them.

use serde::{Deserialize, Serialize};

use crate::checkpoint::{Breakpoint, CheckpointMeta};
use crate::ids::{CheckpointId, InterruptId, Namespace, NodeId, TaskId, TaskPath, ThreadId};
use crate::state::State;

/// A pending `ctx.interrupt(..)`: what the node asked, and the id to answer it by.
///
/// An interrupt inside a subgraph surfaces on the root graph's run with the subgraph's
/// namespace, and the root's [`Resume`](crate::Resume) answers it by the same id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interrupt {
    /// The id to resume it by.
    pub id: InterruptId,
    /// The payload the node passed to `ctx.interrupt`.
    pub value: serde_json::Value,
    /// The node that asked.
    pub node: NodeId,
    /// The task that asked.
    pub task_id: TaskId,
    /// The graph the node is in: the root (empty), or the subgraph's namespace.
    #[serde(default, skip_serializing_if = "Namespace::is_root")]
    pub ns: Namespace,
}

/// How a run ended, when it did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum RunStatus {
    /// Nothing is left to run.
    Done,
    /// Tasks paused in `ctx.interrupt`; answer with [`Resume`](crate::Resume).
    Interrupted(Vec<Interrupt>),
    /// The run stopped at a static breakpoint; continue with
    /// [`Resume::Continue`](crate::Resume::Continue).
    Breakpoint {
        /// Before or after.
        kind: Breakpoint,
        /// The nodes planned next.
        next: Vec<NodeId>,
    },
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct RunOutput<S: State> {
    /// The thread.
    pub thread: ThreadId,
    /// The latest checkpoint.
    pub checkpoint: CheckpointId,
    /// The state at that checkpoint.
    pub state: S,
    /// Why the run stopped.
    pub status: RunStatus,
    /// The nodes this call ran, superstep by superstep in task order (tasks whose saved output
    /// was reused are not included). A node whose error handler took its place is listed as the
    /// handler, [`NodeId::error_handler`]; a node whose output came from the node cache is
    /// listed, though it was not called ([`crate::Event::cached`]).
    pub executed: Vec<NodeId>,
}

/// A thread's status, derived from its latest checkpoint and pending writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadStatus {
    /// Nothing is planned: the thread finished (or never ran).
    Idle,
    /// Waiting on interrupts or at a breakpoint.
    Interrupted,
    /// A task failed; resume re-runs it.
    Error,
    /// Tasks are planned but have not run (a crash, or `Durability::Exit` stopped early).
    Pending,
}

/// A task of the superstep planned from a checkpoint, with what it saved so far.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    /// The task.
    pub id: TaskId,
    /// Its node.
    pub node: NodeId,
    /// Its place in the superstep.
    pub path: TaskPath,
    /// Whether its output is saved (it will not run again).
    pub finished: bool,
    /// Its last failure.
    pub error: Option<String>,
    /// Its pending interrupt.
    pub interrupt: Option<Interrupt>,
    /// For a subgraph node's task that ran and stopped (paused, failed or cut short), the
    /// subgraph's own state, when asked for with
    /// [`StateOptions::subgraphs`](crate::StateOptions::subgraphs()) (LangGraph's
    /// `get_state(config, subgraphs=True)`); otherwise `None`.
    pub state: Option<Box<SubgraphSnapshot>>,
}

/// A subgraph's state at the latest checkpoint of its task's namespace, in
/// [`TaskInfo::state`]. Its values are JSON, since the subgraph's state type may not be the
/// parent's ([`crate::StateGraph::add_subgraph_mapped`]); [`SubgraphSnapshot::values_as`]
/// reads them as a state type.
///
/// ```
/// use graph_core::{State, SubgraphSnapshot};
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Search {
///     query: String,
/// }
///
/// let values = serde_json::json!({ "query": "rooms" });
/// let search: Search = SubgraphSnapshot::decode_values(&values)?;
/// assert_eq!(search.query, "rooms");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SubgraphSnapshot {
    /// The subgraph's values: a JSON object of its fields.
    pub values: serde_json::Value,
    /// The checkpoint, in the subgraph task's namespace (`checkpoint.ns`).
    pub checkpoint: CheckpointMeta,
    /// The subgraph's nodes planned next, in task order.
    pub next: Vec<NodeId>,
    /// The subgraph's planned tasks (a nested subgraph's with its state too).
    pub tasks: Vec<TaskInfo>,
    /// The subgraph's pending interrupts, in task order.
    pub interrupts: Vec<Interrupt>,
    /// The subgraph's status.
    pub status: ThreadStatus,
}

impl SubgraphSnapshot {
    /// The values as state `C`, field by field (fields the JSON lacks keep their default).
    pub fn values_as<C: State>(&self) -> serde_json::Result<C> {
        Self::decode_values(&self.values)
    }

    /// A JSON object of fields as state `C`, field by field (fields it lacks keep their
    /// default).
    pub fn decode_values<C: State>(values: &serde_json::Value) -> serde_json::Result<C> {
        let mut state = C::default();
        for (index, field) in C::FIELDS.iter().enumerate() {
            if let Some(value) = values.get(field.name) {
                state.decode_field(index, &serde_json::to_vec(value)?)?;
            }
        }
        Ok(state)
    }
}

/// A thread's state at a checkpoint.
#[derive(Debug, Clone)]
pub struct StateSnapshot<S: State> {
    /// The values.
    pub values: S,
    /// The checkpoint, or `None` for a thread that has none.
    pub checkpoint: Option<CheckpointMeta>,
    /// The nodes planned next, in task order.
    pub next: Vec<NodeId>,
    /// The planned tasks.
    pub tasks: Vec<TaskInfo>,
    /// Pending interrupts, in task order.
    pub interrupts: Vec<Interrupt>,
    /// The thread's status.
    pub status: ThreadStatus,
}
