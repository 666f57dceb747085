//! Errors: [`BuildError`] from `compile()`, [`Error`] from running a graph, [`NodeError`], what
//! a node returns when it fails or pauses, and [`StorageError`], what a [`crate::Checkpointer`],
//! a [`crate::Cache`] or a [`crate::Store`] reports.
//!
//! Every run-time error that happens inside a superstep names the thread, the superstep and, when
//! one is involved, the node.

use crate::ids::{CheckpointId, Namespace, NodeId, ThreadId};

mod node;

pub use node::{FailureKind, IdleTimeout, Interrupted, NodeError, NodeFailure, Timeout};
pub(crate) use node::{Panicked, Pause};

/// A boxed error from user code or a storage backend.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a graph definition does not compile. Each variant names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// An edge, breakpoint or declared target names a node that was never added.
    #[error("{context} names node `{node}`, which does not exist")]
    UnknownNode {
        /// The missing node.
        node: String,
        /// Where it was named, e.g. "edge from `a`".
        context: String,
    },
    /// Nothing leaves START.
    #[error("the graph has no entry: add an edge from START to a node")]
    MissingEntry,
    /// Two nodes share a name.
    #[error("node `{0}` is added twice")]
    DuplicateNode(String),
    /// A node name is empty, too long, reserved, or has a reserved character (`:`, `|`).
    #[error("node name `{name}` is not allowed: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// END has an outgoing edge.
    #[error("END cannot be the source of an edge (edge from END to `{0}`)")]
    EndAsSource(String),
    /// START is the target of an edge.
    #[error("START cannot be the target of an edge (edge from `{0}` to START)")]
    StartAsTarget(String),
    /// Nodes that no path from START reaches.
    #[error("unreachable node(s) from START: {}", .0.join(", "))]
    Unreachable(Vec<String>),
    /// An edge leads into a node that takes a `Push` input, which only a `Push` can start.
    #[error(
        "node `{node}` takes a Push input, so it cannot be the target of the edge from `{from}`"
    )]
    PushNodeAsEdgeTarget {
        /// The push node.
        node: String,
        /// The edge's source.
        from: String,
    },
    /// A conditional edge declared no targets.
    #[error("the conditional edge from `{0}` declares no targets")]
    NoTargets(String),
    /// A node that takes a `Push` input was deferred; only nodes triggered by edges can be.
    ///
    /// ```
    /// use graph_core::{BuildError, Ctx, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default)]
    /// struct Jobs {
    ///     #[state(add)]
    ///     done: u32,
    /// }
    ///
    /// let mut graph = StateGraph::<Jobs>::new();
    /// graph
    ///     .add_node("plan", |_s: std::sync::Arc<Jobs>, _ctx: Ctx| async { Ok(()) })
    ///     .destinations(["job"]);
    /// graph.add_push_node("job", |_n: u32, _ctx: Ctx| async { Ok(()) }).defer();
    /// graph.add_edge(START, "plan");
    /// let Err(error) = graph.compile() else { panic!("a deferred Push node compiled") };
    /// assert_eq!(error, BuildError::DeferredPushNode("job".into()));
    /// ```
    #[error(
        "node `{0}` takes a Push input, so it cannot be deferred: a Push always runs in the \
         superstep after it is sent"
    )]
    DeferredPushNode(String),
    /// A node that takes a `Push` input was given a cache key function
    /// ([`crate::CachePolicy::key`]): its cache key is its push argument, and a key function
    /// reads the state, which such a node never sees.
    ///
    /// ```
    /// use graph_core::{BuildError, CachePolicy, Ctx, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default)]
    /// struct Jobs {
    ///     #[state(add)]
    ///     done: u32,
    /// }
    ///
    /// let mut graph = StateGraph::<Jobs>::new();
    /// graph
    ///     .add_node("plan", |_s: std::sync::Arc<Jobs>, _ctx: Ctx| async { Ok(()) })
    ///     .destinations(["job"]);
    /// graph
    ///     .add_push_node("job", |_n: u32, _ctx: Ctx| async { Ok(()) })
    ///     .cache(CachePolicy::new().key(|s: &Jobs| s.done.to_string()));
    /// graph.add_edge(START, "plan");
    /// let Err(error) = graph.compile() else { panic!("a key function on a Push node compiled") };
    /// assert_eq!(error, BuildError::CacheKeyOnPushNode("job".into()));
    /// ```
    #[error(
        "node `{0}` takes a Push input, so its cache key is its argument and it cannot have a \
         key function (which reads the state)"
    )]
    CacheKeyOnPushNode(String),
    /// A join edge needs at least one source, and each source once.
    #[error("join edge into `{target}`: {reason}")]
    InvalidJoin {
        /// The join's target.
        target: String,
        /// Why.
        reason: &'static str,
    },
    /// A graph added as a subgraph has a static breakpoint: a subgraph runs inside one task of
    /// its parent, so there is no point between the parent's supersteps to pause at. Use
    /// `ctx.interrupt` inside the subgraph instead.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{BuildError, Ctx, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default)]
    /// struct Doc {
    ///     text: String,
    /// }
    ///
    /// let mut child = StateGraph::<Doc>::new();
    /// child.add_node("review", |_s: Arc<Doc>, _ctx: Ctx| async { Ok(()) }).interrupt_before();
    /// child.add_edge(START, "review");
    /// let mut parent = StateGraph::<Doc>::new();
    /// parent.add_subgraph("edit", child.compile().unwrap());
    /// parent.add_edge(START, "edit");
    /// let Err(error) = parent.compile() else { panic!("a breakpoint in a subgraph compiled") };
    /// assert_eq!(
    ///     error,
    ///     BuildError::SubgraphBreakpoint { subgraph: "edit".into(), node: "review".into() }
    /// );
    /// ```
    #[error(
        "subgraph `{subgraph}` has a breakpoint at node `{node}`; a subgraph cannot pause at a \
         breakpoint (call ctx.interrupt inside it instead)"
    )]
    SubgraphBreakpoint {
        /// The subgraph's node in the parent.
        subgraph: String,
        /// The node of the subgraph with the breakpoint.
        node: String,
    },
}

/// What a checkpointer, cache or store reports: a failed read or write, data it cannot decode,
/// or (from a store) a namespace or value it refuses.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StorageError {
    /// What failed, naming thread and checkpoint where known.
    pub message: String,
    /// The underlying error.
    #[source]
    pub source: Option<BoxError>,
}

impl StorageError {
    /// An error with a message and no source.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }
    /// An error with a message and its cause.
    pub fn with_source(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

/// Why running, resuming or inspecting a graph failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A node failed after its retries (or timed out, or panicked).
    #[error("thread `{thread}`, superstep {step}: node `{node}` failed: {message}")]
    Node {
        /// The thread.
        thread: ThreadId,
        /// The superstep.
        step: i64,
        /// The node.
        node: NodeId,
        /// The node's error, rendered.
        message: String,
        /// The node's error.
        #[source]
        source: Option<BoxError>,
    },
    /// A node failed, and so did the error handler it has ([`crate::NodeOptions::on_error`]):
    /// the run stops as it would have without the handler. A resume runs the handler again (not
    /// the node), with the same [`NodeFailure`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, Error, NodeError, NodeFailure, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Job {
    ///     done: bool,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut graph = StateGraph::<Job>::new();
    /// graph
    ///     .add_node("pay", |_s: Arc<Job>, _ctx: Ctx| async { Err::<(), _>(NodeError::msg("card declined")) })
    ///     .on_error(|_s: Arc<Job>, _f: NodeFailure, _ctx: Ctx| async {
    ///         Err::<(), _>(NodeError::msg("no fallback"))
    ///     });
    /// graph.add_edge(START, "pay");
    /// let graph = graph.compile().unwrap();
    /// let error = graph.invoke(JobUpdate::default(), &RunConfig::thread("t")).await.unwrap_err();
    /// assert!(matches!(&error, Error::Handler { node, .. } if node == "pay"));
    /// assert_eq!(
    ///     error.to_string(),
    ///     "thread `t`, superstep 0: node `pay` failed (card declined) and its error handler \
    ///      failed too: no fallback"
    /// );
    /// # }
    /// ```
    #[error(
        "thread `{thread}`, superstep {step}: node `{node}` failed ({failure}) and its error \
         handler failed too: {message}",
        failure = .failure.message
    )]
    Handler {
        /// The thread.
        thread: ThreadId,
        /// The superstep.
        step: i64,
        /// The node whose failure the handler handled.
        node: NodeId,
        /// The node's failure.
        failure: Box<NodeFailure>,
        /// The handler's error, rendered.
        message: String,
        /// The handler's error.
        #[source]
        source: Option<BoxError>,
    },
    /// Two tasks of one superstep wrote the same field that has no reducer.
    #[error(
        "thread `{thread}`, superstep {step}: nodes `{first}` and `{second}` both wrote field \
         `{field}` in the same superstep; it can receive only one value per superstep: give it a \
         reducer (append, add, merge or a custom fn) to combine concurrent writes"
    )]
    Conflict {
        /// The thread.
        thread: ThreadId,
        /// The superstep.
        step: i64,
        /// The field.
        field: &'static str,
        /// The first writer, in task order.
        first: NodeId,
        /// The second writer.
        second: NodeId,
    },
    /// Two tasks of one superstep overwrote the same field ([`crate::Overwrite`]); LangGraph's
    /// `InvalidUpdateError` "Can receive only one Overwrite value per super-step".
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, Error, Overwrite, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Chat {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut graph = StateGraph::<Chat>::new();
    /// for name in ["a", "b"] {
    ///     graph.add_node(name, move |_s: Arc<Chat>, _ctx: Ctx| async move {
    ///         Ok(ChatUpdate::default().log(Overwrite(vec![name.to_owned()])))
    ///     });
    ///     graph.add_edge(START, name);
    /// }
    /// let graph = graph.compile().unwrap();
    /// let error = graph.invoke(ChatUpdate::default(), &RunConfig::thread("t")).await.unwrap_err();
    /// assert!(matches!(error, Error::OverwriteConflict { field: "log", .. }), "{error}");
    /// # }
    /// ```
    #[error(
        "thread `{thread}`, superstep {step}: nodes `{first}` and `{second}` both overwrote field \
         `{field}` in the same superstep; a field takes at most one Overwrite per superstep"
    )]
    OverwriteConflict {
        /// The thread.
        thread: ThreadId,
        /// The superstep.
        step: i64,
        /// The field.
        field: &'static str,
        /// The first to overwrite it, in task order.
        first: NodeId,
        /// The second.
        second: NodeId,
    },
    /// A reducer refused an update.
    #[error("thread `{thread}`, superstep {step}: update from `{node}` rejected: {source}")]
    Reduce {
        /// The thread.
        thread: ThreadId,
        /// The superstep.
        step: i64,
        /// The node whose update failed (`input` for graph input).
        node: NodeId,
        /// What the reducer said.
        #[source]
        source: crate::state::ReduceError,
    },
    /// A conditional edge, a command or a push named a target that is not allowed.
    #[error("thread `{thread}`, superstep {step}: node `{node}` routed to `{target}`: {reason}")]
    Route {
        /// The thread.
        thread: ThreadId,
        /// The superstep.
        step: i64,
        /// The routing node.
        node: NodeId,
        /// The bad target.
        target: String,
        /// Why it is not allowed.
        reason: String,
    },
    /// The run did not finish within `max_supersteps`.
    #[error(
        "thread `{thread}`: superstep limit of {limit} reached at superstep {step} without \
         reaching END; raise `RunConfig::max_supersteps` if the graph is meant to run longer"
    )]
    SuperstepLimit {
        /// The thread.
        thread: ThreadId,
        /// The superstep that would have run.
        step: i64,
        /// The limit.
        limit: u32,
    },
    /// The run ended (no task left) while a join had heard from some of its sources but not all:
    /// its target would never run. See [`crate::StateGraph::add_join_edge`] for the rule and an
    /// example.
    #[error(
        "thread `{thread}`, superstep {step}: the run ended with the join into `{join}` still \
         waiting for {missing} ({arrived} ran); a join runs its target only once all its sources \
         ran in the same run: to fan in branches that may not all run, use edges into a deferred \
         node",
        missing = names(.missing),
        arrived = names(.arrived)
    )]
    JoinStarved {
        /// The thread.
        thread: ThreadId,
        /// The last superstep of the run.
        step: i64,
        /// The join's target.
        join: NodeId,
        /// The sources that ran, in the join's order.
        arrived: Vec<NodeId>,
        /// The sources that never ran, in the join's order.
        missing: Vec<NodeId>,
    },
    /// A resume did not match the thread's pending interrupts.
    #[error("thread `{thread}`: cannot resume: {reason}")]
    Resume {
        /// The thread.
        thread: ThreadId,
        /// Why.
        reason: String,
    },
    /// `update_state` could not tell or find the node the update is written as.
    #[error("thread `{thread}`: cannot update state: {reason}")]
    StateUpdate {
        /// The thread.
        thread: ThreadId,
        /// Why.
        reason: String,
    },
    /// The operation needs a checkpointer and the graph has none.
    #[error("{0} needs a checkpointer: compile the graph and call `with_checkpointer`")]
    NoCheckpointer(&'static str),
    /// No checkpoint with this id exists in the thread.
    #[error("thread `{thread}` has no checkpoint {checkpoint}")]
    CheckpointNotFound {
        /// The thread.
        thread: ThreadId,
        /// The missing id.
        checkpoint: CheckpointId,
    },
    /// A stored checkpoint or write does not decode into this graph's types.
    #[error("thread `{thread}`, checkpoint {checkpoint}: cannot decode {what}: {reason}")]
    Decode {
        /// The thread.
        thread: ThreadId,
        /// The checkpoint.
        checkpoint: CheckpointId,
        /// What was being decoded (a field, the frontier, a task's write...).
        what: String,
        /// Why.
        reason: String,
    },
    /// Encoding state or an update failed (a value serde cannot represent as JSON).
    #[error("thread `{thread}`, superstep {step}: cannot encode {what}: {reason}")]
    Encode {
        /// The thread.
        thread: ThreadId,
        /// The superstep.
        step: i64,
        /// What was being encoded.
        what: String,
        /// Why.
        reason: String,
    },
    /// The checkpointer failed.
    #[error("thread `{thread}`: checkpointer failed: {source}")]
    Storage {
        /// The thread.
        thread: ThreadId,
        /// What the checkpointer said.
        #[source]
        source: StorageError,
    },
    /// The node cache failed in an operation called on the graph
    /// ([`crate::CompiledGraph::clear_cache`]). A run never fails on its cache: it logs the
    /// failure and runs the node as on a miss.
    #[error("the node cache failed: {0}")]
    Cache(#[source] StorageError),
    /// The checkpointer does not implement an optional operation.
    #[error("the checkpointer does not support {0}")]
    Unsupported(&'static str),
    /// [`crate::RunConfig::interrupt_before`] or `interrupt_after` names a node the graph does
    /// not have.
    #[error(
        "thread `{thread}`: the call's {which} names `{node}`, which is not a node of this graph"
    )]
    UnknownBreakpoint {
        /// The thread.
        thread: ThreadId,
        /// `interrupt_before` or `interrupt_after`.
        which: &'static str,
        /// The name.
        node: String,
    },
    /// A background run ([`crate::RunHandle`]) was cancelled before it stopped on its own.
    /// What it checkpointed stays, and a resume continues from there.
    #[error("thread `{thread}`: run {run} was cancelled")]
    Cancelled {
        /// The thread.
        thread: ThreadId,
        /// The run.
        run: crate::ids::RunId,
    },
    /// A call addressed a subgraph's namespace ([`crate::RunConfig::ns`]) that the graph does
    /// not have, or that the call cannot serve.
    #[error("thread `{thread}`, namespace `{ns}`: {reason}")]
    Namespace {
        /// The thread.
        thread: ThreadId,
        /// The namespace addressed.
        ns: Namespace,
        /// Why.
        reason: String,
    },
    /// A node inside a subgraph with a state type of its own sent [`crate::Command::parent`]
    /// with an update, and the subgraph's [`crate::SubgraphMap`] has no
    /// [`parent_update`](crate::SubgraphMap::parent_update) to turn it into the parent's type.
    #[error(
        "thread `{thread}`: node `{node}` in subgraph `{ns}` sent Command::parent with an update \
         of the subgraph's own state type, which the parent cannot apply: map it with \
         SubgraphMap::parent_update, or send only destinations"
    )]
    UnmappedParentUpdate {
        /// The thread.
        thread: ThreadId,
        /// The subgraph's namespace.
        ns: Namespace,
        /// The node that sent the command.
        node: NodeId,
    },
}

/// Node names for a message: "`a`, `b`".
fn names(nodes: &[NodeId]) -> String {
    nodes
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
