//! How runs are configured. Per call: [`RunConfig`] (the thread, a checkpoint in it, the
//! superstep limit, how many tasks run at once, [`Durability`], metadata, a [`RunContext`]) and [`Resume`], the answer that continues a paused
//! thread. Per compiled graph: [`Persistence`], where and how its runs store checkpoints.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::cache::Cache;
use crate::checkpoint::{Checkpointer, Metadata};
use crate::clock::{Clock, system_clock};
use crate::ids::{CheckpointId, InterruptId, Namespace, NodeId, ThreadId};
use crate::store::Store;

/// Whether a superstep's checkpoint is saved before the next superstep starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every checkpoint and every task's writes are saved before the run goes on (the default).
    #[default]
    Sync,
    /// Only the last checkpoint (and its pending writes) is saved, when the run stops: faster,
    /// but a crash loses the run and the history keeps no intermediate supersteps.
    Exit,
    /// Every checkpoint is saved, but the next superstep starts while it is being stored, and
    /// the run returns (or pauses) only once everything it wrote is stored (LangGraph's
    /// default). A checkpointer that commits in groups, like the SQLite one, then stores a run's
    /// consecutive checkpoints in one commit. A crash loses at most the checkpoints not yet
    /// stored, and the thread resumes from the last one that was. Task writes are still saved
    /// before the task ends, so a journaled effect ([`crate::Ctx::effect`]) happens once: its
    /// record is stored after the checkpoint its task started from, since a checkpointer
    /// applies one thread's calls in the order they were first polled.
    Async,
}

/// Where and how to run: the thread, optionally a checkpoint in it, and limits.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The thread.
    pub thread: ThreadId,
    /// A checkpoint of the thread to start from instead of its latest (replay, fork, or
    /// inspect an older state).
    pub checkpoint: Option<CheckpointId>,
    /// The namespace the call addresses: the root graph's (the default), or a subgraph's
    /// (LangGraph's `checkpoint_ns`), whose history [`crate::CompiledGraph::get_state_history`]
    /// lists and whose `checkpoint` [`crate::CompiledGraph::resume`] replays from. See
    /// [`RunConfig::at_checkpoint`].
    pub ns: Namespace,
    /// The most supersteps one call may run.
    pub max_supersteps: u32,
    /// When checkpoints are saved.
    pub durability: Durability,
    /// Metadata stored with every checkpoint this call makes.
    pub metadata: Metadata,
    /// The most tasks of one superstep that run at once (`None`: all of them). A 1,000-way
    /// fan-out to an LLM node need not open 1,000 calls; updates still apply in task order.
    pub max_concurrency: Option<usize>,
    /// Data for this call's nodes ([`Ctx::context`](crate::Ctx::context)), never stored.
    pub context: Option<RunContext>,
    /// Nodes this call pauses before, besides those compiled with
    /// [`NodeOptions::interrupt_before`](crate::NodeOptions::interrupt_before) (LangGraph's
    /// `interrupt_before` argument). The root graph's nodes only.
    pub interrupt_before: Breakpoints,
    /// Nodes this call pauses after, besides those compiled with
    /// [`NodeOptions::interrupt_after`](crate::NodeOptions::interrupt_after).
    pub interrupt_after: Breakpoints,
}

/// The nodes a call's breakpoints name ([`RunConfig::interrupt_before`]): none, some, or every
/// node (LangGraph's `"*"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Breakpoints {
    /// No node.
    #[default]
    None,
    /// These nodes.
    Nodes(Vec<NodeId>),
    /// Every node.
    All,
}

impl Breakpoints {
    /// Whether the breakpoints name `node`.
    pub(crate) fn names(&self, node: &NodeId) -> bool {
        match self {
            Breakpoints::None => false,
            Breakpoints::Nodes(nodes) => nodes.contains(node),
            Breakpoints::All => true,
        }
    }
}

impl<N: Into<NodeId>, const K: usize> From<[N; K]> for Breakpoints {
    fn from(nodes: [N; K]) -> Self {
        Breakpoints::Nodes(nodes.into_iter().map(Into::into).collect())
    }
}

impl<N: Into<NodeId>> From<Vec<N>> for Breakpoints {
    fn from(nodes: Vec<N>) -> Self {
        Breakpoints::Nodes(nodes.into_iter().map(Into::into).collect())
    }
}

/// Per-call data nodes read with [`Ctx::context`](crate::Ctx::context): a database pool, a
/// user id, a model client. LangGraph's runtime `context`. It is never stored in a
/// checkpoint, so each call (a resume too) passes its own, and dependencies need not be
/// captured in closures when the graph is built.
#[derive(Clone)]
pub struct RunContext {
    value: Arc<dyn Any + Send + Sync>,
    type_name: &'static str,
}

impl RunContext {
    /// Wraps `value`.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Self {
            value: Arc::new(value),
            type_name: std::any::type_name::<T>(),
        }
    }

    /// The value, if it is a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.value.downcast_ref::<T>()
    }
}

impl std::fmt::Debug for RunContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunContext({})", self.type_name)
    }
}

/// The default superstep limit (LangGraph's `recursion_limit` default is 10,000 too).
pub const DEFAULT_MAX_SUPERSTEPS: u32 = 10_000;

impl RunConfig {
    /// A config for `thread` with the defaults.
    pub fn thread(thread: impl Into<ThreadId>) -> Self {
        Self {
            thread: thread.into(),
            checkpoint: None,
            ns: Namespace::root(),
            max_supersteps: DEFAULT_MAX_SUPERSTEPS,
            durability: Durability::Sync,
            metadata: Metadata::new(),
            max_concurrency: None,
            context: None,
            interrupt_before: Breakpoints::None,
            interrupt_after: Breakpoints::None,
        }
    }

    /// Pauses this call before the nodes `nodes` names, as if they were compiled with
    /// [`NodeOptions::interrupt_before`](crate::NodeOptions::interrupt_before). A resume
    /// passes the breakpoint it stopped at; its own config says where it stops next.
    #[must_use]
    pub fn interrupt_before(mut self, nodes: impl Into<Breakpoints>) -> Self {
        self.interrupt_before = nodes.into();
        self
    }

    /// Pauses this call after the nodes `nodes` names have run.
    #[must_use]
    pub fn interrupt_after(mut self, nodes: impl Into<Breakpoints>) -> Self {
        self.interrupt_after = nodes.into();
        self
    }
    /// Addresses checkpoint `id` instead of the latest.
    #[must_use]
    pub fn at(mut self, id: CheckpointId) -> Self {
        self.checkpoint = Some(id);
        self
    }
    /// Addresses the namespace `ns` (a subgraph's, or the root) without naming a checkpoint:
    /// [`crate::CompiledGraph::get_state_history`] lists that namespace's checkpoints.
    ///
    /// ```
    /// use graph_core::{CheckpointId, Namespace, NodeId, RunConfig, TaskId};
    ///
    /// let ns = Namespace::root().child(&NodeId::from("sub"), TaskId(7));
    /// let cfg = RunConfig::thread("t").namespace(ns.clone());
    /// assert_eq!((cfg.ns, cfg.checkpoint), (ns, None));
    /// ```
    #[must_use]
    pub fn namespace(mut self, ns: Namespace) -> Self {
        self.ns = ns;
        self.checkpoint = None;
        self
    }
    /// Addresses checkpoint `id` of namespace `ns` (LangGraph's `checkpoint_ns` and
    /// `checkpoint_id`): [`crate::CompiledGraph::get_subgraph_state`] reads it, and
    /// [`crate::CompiledGraph::resume`] with [`Resume::Continue`] replays from it. A replay from
    /// a subgraph's checkpoint forks the parent at the checkpoint that planned the subgraph's
    /// task, and the subgraph's new task starts from a copy of checkpoint `id` (a fork, in its
    /// new namespace), so the subgraph's nodes before `id` do not run again.
    ///
    /// ```
    /// use graph_core::{CheckpointId, Namespace, NodeId, RunConfig, TaskId};
    ///
    /// let ns = Namespace::root().child(&NodeId::from("sub"), TaskId(7));
    /// let cfg = RunConfig::thread("t").at_checkpoint(ns.clone(), CheckpointId(2));
    /// assert_eq!((cfg.ns, cfg.checkpoint), (ns, Some(CheckpointId(2))));
    /// ```
    #[must_use]
    pub fn at_checkpoint(mut self, ns: Namespace, id: CheckpointId) -> Self {
        self.ns = ns;
        self.checkpoint = Some(id);
        self
    }
    /// Sets the superstep limit.
    #[must_use]
    pub fn max_supersteps(mut self, limit: u32) -> Self {
        self.max_supersteps = limit;
        self
    }
    /// Runs at most `limit` tasks of a superstep at once (at least one); the rest wait for a
    /// free place, in task order.
    ///
    /// ```
    /// use graph_core::RunConfig;
    ///
    /// let cfg = RunConfig::thread("t").max_concurrency(8);
    /// assert_eq!(cfg.max_concurrency, Some(8));
    /// ```
    #[must_use]
    pub fn max_concurrency(mut self, limit: usize) -> Self {
        self.max_concurrency = Some(limit.max(1));
        self
    }
    /// Gives this call's nodes `value`, read with [`Ctx::context`](crate::Ctx::context).
    #[must_use]
    pub fn context<T: Any + Send + Sync>(mut self, value: T) -> Self {
        self.context = Some(RunContext::new(value));
        self
    }
    /// Sets the durability.
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }
    /// Adds a metadata entry.
    #[must_use]
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

/// What [`crate::CompiledGraph::get_state_with`] reads besides the graph's own state.
///
/// ```
/// use graph_core::StateOptions;
///
/// let options = StateOptions::default().subgraphs(true);
/// assert!(options.subgraphs);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateOptions {
    /// Whether a subgraph node's task that stopped carries the subgraph's state
    /// ([`crate::TaskInfo::state`]), recursively (LangGraph's `subgraphs=True`).
    pub subgraphs: bool,
}

impl StateOptions {
    /// Sets the `subgraphs` field.
    #[must_use]
    pub fn subgraphs(mut self, subgraphs: bool) -> Self {
        self.subgraphs = subgraphs;
        self
    }
}

/// How to continue a paused, failed or crashed thread.
#[derive(Debug, Clone, PartialEq)]
pub enum Resume {
    /// Run what is planned: after a breakpoint, a failure or a crash, or to replay from an
    /// older checkpoint.
    Continue,
    /// Answer the single pending interrupt.
    Value(serde_json::Value),
    /// Answer pending interrupts by id.
    ById(BTreeMap<InterruptId, serde_json::Value>),
    /// An answer [`Resume::value`] or [`Resume::by_id`] could not encode as JSON; resuming with
    /// it fails with this reason.
    Unencodable(String),
}

impl Resume {
    /// Answers the single pending interrupt with `value`.
    pub fn value(value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(value) => Resume::Value(value),
            Err(e) => Resume::Unencodable(e.to_string()),
        }
    }
    /// Answers interrupts by id.
    pub fn by_id<V: Serialize>(answers: impl IntoIterator<Item = (InterruptId, V)>) -> Self {
        let mut map = BTreeMap::new();
        for (id, value) in answers {
            match serde_json::to_value(value) {
                Ok(value) => map.insert(id, value),
                Err(e) => return Resume::Unencodable(format!("the answer to {id}: {e}")),
            };
        }
        Resume::ById(map)
    }
}

/// The most deltas of an append-style field stored before the next full snapshot. Snapshots
/// are normally taken sooner, once a field's deltas add up to the size of its last snapshot;
/// this bounds the rows a read visits when updates are tiny next to the value.
pub const DEFAULT_SNAPSHOT_EVERY: u32 = 1024;

/// Whether a subgraph ([`crate::StateGraph::add_subgraph_with`]) stores checkpoints of its own.
///
/// ```
/// use std::sync::Arc;
/// use graph_core::{Ctx, RunConfig, START, State, StateGraph, SubgraphPersistence};
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Doc {
///     #[state(append)]
///     log: Vec<String>,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut child = StateGraph::<Doc>::new();
/// child.add_node("spell", |_s: Arc<Doc>, _ctx: Ctx| async {
///     Ok(DocUpdate::default().log(vec!["spelled".to_owned()]))
/// });
/// child.add_edge(START, "spell");
/// let mut parent = StateGraph::<Doc>::new();
/// // A quick, side-effect-free check: not worth a checkpoint per step.
/// parent.add_subgraph_with("check", child.compile()?, SubgraphPersistence::Off);
/// parent.add_edge(START, "check");
/// let out = parent.compile()?.invoke(DocUpdate::default(), &RunConfig::thread("t")).await?;
/// assert_eq!(out.state.log, ["spelled"]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SubgraphPersistence {
    /// Its checkpoints go to the parent's checkpointer, on the parent's thread, in a namespace
    /// of the parent task's (the default, LangGraph's `checkpointer=None`). A pause inside it,
    /// a failure or a crash resumes it where it stopped.
    #[default]
    Inherit,
    /// It keeps nothing: each run of its parent task runs it from its start, and an interrupt
    /// inside it cannot be answered (LangGraph's `checkpointer=False`).
    Off,
}

/// What a subgraph task needs of the call its parent runs in to run the subgraph the same way.
pub(crate) struct CallSettings {
    pub(crate) persistence: Persistence,
    pub(crate) config: RunConfig,
    /// A replay from a subgraph's checkpoint: the task (of the superstep after the fork) whose
    /// subgraph forks toward it.
    pub(crate) replay: Option<(crate::ids::TaskId, ReplayTarget)>,
}

/// A checkpoint inside a subgraph that a replay continues from (`RunConfig::at_checkpoint`).
#[derive(Debug, Clone)]
pub(crate) struct ReplayTarget {
    /// The subgraph's namespace.
    pub(crate) ns: Namespace,
    /// Its checkpoint; `None`, its latest.
    pub(crate) checkpoint: Option<CheckpointId>,
}

/// Where and how a compiled graph's runs store checkpoints, set by its `with_*` methods. Cheap to
/// clone: every run takes a copy.
#[derive(Clone)]
pub(crate) struct Persistence {
    /// Where checkpoints go; without one, runs keep everything in memory and cannot resume.
    pub(crate) checkpointer: Option<Arc<dyn Checkpointer>>,
    /// What time a checkpoint records, and what a cache entry's expiry is checked against.
    pub(crate) clock: Clock,
    /// Where nodes with a cache policy keep their results.
    pub(crate) cache: Option<Arc<dyn Cache>>,
    /// Long-term memory the nodes reach through `Ctx::store`; subgraphs share it.
    pub(crate) store: Option<Arc<dyn Store>>,
    /// The most deltas of an append-style field before a full snapshot.
    pub(crate) snapshot_every: u32,
}

impl Default for Persistence {
    fn default() -> Self {
        Self {
            checkpointer: None,
            clock: Arc::new(system_clock),
            cache: None,
            store: None,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
        }
    }
}
