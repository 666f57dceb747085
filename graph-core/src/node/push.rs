//! [`Push`]: a task of the next superstep with an input of its own (LangGraph's `Send`), a
//! typed argument for a push node or a state update for an ordinary node.

use std::any::TypeId;

use serde::Serialize;

use crate::ids::NodeId;
use crate::state::{State, Update};

/// A task of `node` in the next superstep with an input of its own instead of the state:
/// dynamic fan-out (LangGraph's `Send`). Pushes run in parallel and their updates apply in push
/// order.
///
/// A push takes one of two inputs, matching the node it targets:
///
/// - [`Push::new`]: a typed argument, for a node added with
///   [`crate::StateGraph::add_push_node`], which takes that argument instead of the state.
/// - [`Push::state`]: a state update, for an ordinary node (one that takes the state, a
///   subgraph included): the task runs the node on a private copy of the superstep's state with
///   the update applied through the fields' reducers (LangGraph's `Send` to a node whose input
///   is the state, with a partial state as its argument).
///
/// Sending the other kind is a routing error ([`crate::Error::Route`]) naming the node.
#[doc(alias = "Send")]
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    pub(crate) node: NodeId,
    pub(crate) arg: Result<serde_json::Value, String>,
    pub(crate) kind: PushKind,
}

/// What a [`Push`] hands its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PushKind {
    /// A typed argument ([`Push::new`]), for a push node.
    Arg,
    /// A state update ([`Push::state`]), for an ordinary node, with its state type when known:
    /// a push read back from a stored record has none, and its update is checked by decoding.
    State(Option<StateType>),
}

/// The state type of a [`Push::state`] update, so routing can refuse an update of another
/// graph's state (JSON alone might still decode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StateType {
    pub(crate) id: TypeId,
    pub(crate) name: &'static str,
}

impl StateType {
    pub(crate) fn of<S: State>() -> Self {
        Self {
            id: TypeId::of::<S>(),
            name: std::any::type_name::<S>(),
        }
    }
}

impl Push {
    /// A task of `node` with input `arg`. The node must be added with
    /// [`crate::StateGraph::add_push_node`] for `arg`'s type; an ordinary node takes
    /// [`Push::state`] instead.
    pub fn new(node: impl Into<NodeId>, arg: &impl Serialize) -> Self {
        Self {
            node: node.into(),
            arg: serde_json::to_value(arg).map_err(|e| e.to_string()),
            kind: PushKind::Arg,
        }
    }

    /// A task of the ordinary node `node` (one added with [`crate::StateGraph::add_node`],
    /// [`crate::StateGraph::add_node_impl`] or as a subgraph) whose input is the superstep's
    /// state with `update` applied: LangGraph's `Send(node, partial_state)`.
    ///
    /// - **Private input.** The update is applied, through each field's reducer, to a copy of
    ///   the state for this task only. It is not written to the graph's state: only what the
    ///   node returns is, like any task's update, in push order. Other tasks, the node's
    ///   conditional edges (which see the superstep's state plus the node's own update) and the
    ///   next supersteps never see it.
    /// - **The same node, other ways.** The node stays an ordinary node: edges, conditional
    ///   edges and commands still run it on the shared state. Each push is a task of its own,
    ///   however many target the node in one superstep, and none is deferred
    ///   ([`crate::NodeOptions::defer`] holds back edge triggers only).
    /// - **Durable.** The update is stored in the checkpoint's frontier like a push's argument,
    ///   so a resume after a pause or a crash rebuilds the same input for the same task id.
    /// - **Cache, error handler.** A cached node ([`crate::NodeOptions::cache`]) is keyed by
    ///   this input state, and the node's error handler ([`crate::NodeOptions::on_error`]) is
    ///   given it too. An update that does not decode or apply fails the task like the node's
    ///   own permanent failure (not retried; handled by its error handler, given the shared
    ///   state then).
    /// - **Types.** `update` must be of the graph's state (checked when the push is routed:
    ///   [`crate::Error::Route`]); a node added with [`crate::StateGraph::add_push_node`] takes
    ///   [`Push::new`] instead.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, Push, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Essay {
    ///     topics: Vec<String>,
    ///     topic: String,
    ///     #[state(append)]
    ///     drafts: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut graph = StateGraph::<Essay>::new();
    /// graph.add_node("plan", |_s: Arc<Essay>, _ctx: Ctx| async { Ok(()) });
    /// // An ordinary node: it reads `topic` from the state it is given.
    /// graph.add_node("write", |s: Arc<Essay>, _ctx: Ctx| async move {
    ///     Ok(EssayUpdate::default().drafts(vec![format!("on {}", s.topic)]))
    /// });
    /// graph.add_edge(START, "plan");
    /// graph.add_conditional_edge("plan", ["write"], |s: &Essay| {
    ///     let each = |t: &String| Push::state("write", EssayUpdate::default().topic(t.clone()));
    ///     s.topics.iter().map(each).collect::<Vec<_>>()
    /// });
    /// let graph = graph.compile()?;
    /// let topics = vec!["cats".to_owned(), "dogs".to_owned()];
    /// let out = graph.invoke(EssayUpdate::default().topics(topics), &RunConfig::thread("t")).await?;
    /// assert_eq!(out.state.drafts, ["on cats", "on dogs"]);
    /// // The pushed `topic`s were each task's own input, never the graph's state.
    /// assert_eq!(out.state.topic, "");
    /// # Ok(()) }
    /// ```
    pub fn state<U: Update>(node: impl Into<NodeId>, update: U) -> Self {
        Self {
            node: node.into(),
            arg: serde_json::to_value(&update).map_err(|e| e.to_string()),
            kind: PushKind::State(Some(StateType::of::<U::State>())),
        }
    }

    /// The target node.
    pub fn node(&self) -> &NodeId {
        &self.node
    }
}
