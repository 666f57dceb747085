//! What a node is and what it returns: the [`Node`] trait, [`Command`], [`Push`] fan-out, and
//! [`Route`]s for conditional edges. A node's failure, [`NodeError`], is in `error.rs`, where the
//! [`crate::Ctx`] that raises interrupts can reach it without importing this module.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use futures_util::future::BoxFuture;

use crate::context::Ctx;
use crate::error::{NodeError, NodeFailure};
use crate::ids::NodeId;
use crate::state::{State, Update};

mod push;

pub use push::Push;
pub(crate) use push::{PushKind, StateType};

/// An end of an edge: START, a node, or END.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Where every run begins.
    Start,
    /// A node.
    Node(NodeId),
    /// Where a branch ends.
    End,
}

/// The start of the graph: `add_edge(START, "first")`.
pub const START: Endpoint = Endpoint::Start;
/// The end of a branch: `add_edge("last", END)`, or a router returning `END`.
pub const END: Endpoint = Endpoint::End;

impl From<&str> for Endpoint {
    fn from(name: &str) -> Self {
        Endpoint::Node(name.into())
    }
}
impl From<String> for Endpoint {
    fn from(name: String) -> Self {
        Endpoint::Node(name.into())
    }
}
impl From<NodeId> for Endpoint {
    fn from(node: NodeId) -> Self {
        Endpoint::Node(node)
    }
}
impl From<&NodeId> for Endpoint {
    fn from(node: &NodeId) -> Self {
        Endpoint::Node(node.clone())
    }
}
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Start => f.write_str("START"),
            Endpoint::Node(node) => f.write_str(node.as_str()),
            Endpoint::End => f.write_str("END"),
        }
    }
}

/// One destination of a route or command.
#[derive(Debug, Clone, PartialEq)]
pub enum Goto {
    /// Run this node (or end the branch) in the next superstep.
    To(Endpoint),
    /// Run a task with its own input in the next superstep.
    Push(Push),
}

/// What a conditional edge's function returns: zero or more destinations.
/// Converts from a node name, [`END`], a [`Push`], or a `Vec` of any of these.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route(pub(crate) Vec<Goto>);

impl Route {
    /// No destination: the branch ends.
    pub fn none() -> Self {
        Self::default()
    }
    /// Adds a destination.
    #[must_use]
    pub fn and(mut self, goto: impl Into<Route>) -> Self {
        self.0.extend(goto.into().0);
        self
    }
}

impl From<Endpoint> for Route {
    fn from(endpoint: Endpoint) -> Self {
        Route(vec![Goto::To(endpoint)])
    }
}
impl From<&str> for Route {
    fn from(name: &str) -> Self {
        Endpoint::from(name).into()
    }
}
impl From<String> for Route {
    fn from(name: String) -> Self {
        Endpoint::from(name).into()
    }
}
impl From<NodeId> for Route {
    fn from(node: NodeId) -> Self {
        Endpoint::from(node).into()
    }
}
impl From<Push> for Route {
    fn from(push: Push) -> Self {
        Route(vec![Goto::Push(push)])
    }
}
impl From<Goto> for Route {
    fn from(goto: Goto) -> Self {
        Route(vec![goto])
    }
}
impl<T: Into<Route>> From<Vec<T>> for Route {
    fn from(items: Vec<T>) -> Self {
        Route(items.into_iter().flat_map(|item| item.into().0).collect())
    }
}
impl<T: Into<Route>, const N: usize> From<[T; N]> for Route {
    fn from(items: [T; N]) -> Self {
        Route(items.into_iter().flat_map(|item| item.into().0).collect())
    }
}

/// A node's full result: an update, plus destinations for the next superstep that are taken
/// **in addition to** the node's static edges (LangGraph's `Command(update=, goto=)`).
///
/// A node inside a subgraph can address the graph that runs the subgraph instead, with
/// [`Command::parent`].
#[derive(Debug, Clone)]
pub struct Command<S: State> {
    /// The update to apply.
    pub update: S::Update,
    /// Extra destinations.
    pub goto: Route,
    /// Whether the command is for the parent graph (LangGraph's `graph=Command.PARENT`): see
    /// [`Command::parent`].
    pub to_parent: bool,
}

impl<S: State> Default for Command<S> {
    fn default() -> Self {
        Self {
            update: S::Update::default(),
            goto: Route::default(),
            to_parent: false,
        }
    }
}

impl<S: State> Command<S> {
    /// A command that applies `update`.
    pub fn update(update: S::Update) -> Self {
        Self {
            update,
            goto: Route::default(),
            to_parent: false,
        }
    }
    /// A command that only routes.
    pub fn goto(goto: impl Into<Route>) -> Self {
        Self {
            update: S::Update::default(),
            goto: goto.into(),
            to_parent: false,
        }
    }
    /// A command from a node inside a subgraph to the graph that runs it (LangGraph's
    /// `Command(graph=Command.PARENT, goto=, update=)`): the subgraph stops, and its task in the
    /// parent ends with `update` and `goto` as if it had returned `Command::update(update)
    /// .and_goto(goto)` there: the parent applies `update` to its own state, and runs `goto`,
    /// nodes of the parent, in its next superstep besides the subgraph node's own edges.
    ///
    /// - **What the parent gets.** Only `update`: the subgraph's state, what its earlier
    ///   supersteps changed included, is dropped with it, so `update` carries whatever the
    ///   parent should keep. The node's own edges in the subgraph are not taken.
    /// - **The rest of the superstep.** The node's siblings in the subgraph's superstep still
    ///   finish (a superstep is one barrier), and their updates are dropped too. Two commands
    ///   to the parent in one superstep fail the task: only one can say where the parent goes.
    /// - **Durability.** The command is saved as the task's output in the subgraph's namespace
    ///   before the subgraph stops, like any task output: if the parent's superstep is cut short
    ///   (a failure beside it, a crash), the resumed subgraph finds it and hands it up again
    ///   without running the node again, and the parent's checkpoint then records it like any
    ///   other task's update.
    /// - **Declaring.** A node of the parent that only such commands reach is declared on the
    ///   subgraph's node with [`NodeOptions::destinations`] (LangGraph's `destinations=`), so
    ///   `compile` counts it reachable and exports draw the edge.
    /// - In the root graph, which has no parent, the command fails the task ([`Error::Route`]).
    ///
    /// [`Error::Route`]: crate::Error::Route
    /// [`NodeOptions::destinations`]: crate::NodeOptions::destinations
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use graph_core::{Command, Ctx, NodeError, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Chat {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// let mut child = StateGraph::<Chat>::new();
    /// child.add_node("escalate", |_s: Arc<Chat>, _ctx: Ctx| async {
    ///     let update = ChatUpdate::default().log(vec!["from_sub".to_owned()]);
    ///     Ok::<_, NodeError>(Command::parent("y", update))
    /// });
    /// child.add_node("never", |_s: Arc<Chat>, _ctx: Ctx| async {
    ///     Ok(ChatUpdate::default().log(vec!["never".to_owned()]))
    /// });
    /// child.add_edge(START, "escalate").add_edge("escalate", "never");
    ///
    /// let mut parent = StateGraph::<Chat>::new();
    /// // `y` is reached only by the command: declared, compile knows it is reachable.
    /// parent.add_subgraph("sub", child.compile()?).destinations(["y"]);
    /// parent.add_node("y", |_s: Arc<Chat>, _ctx: Ctx| async {
    ///     Ok(ChatUpdate::default().log(vec!["y".to_owned()]))
    /// });
    /// parent.add_edge(START, "sub");
    /// let out = parent.compile()?.invoke(ChatUpdate::default(), &RunConfig::thread("t")).await?;
    /// assert_eq!(out.state.log, ["from_sub", "y"]);
    /// # Ok(()) }
    /// ```
    pub fn parent(goto: impl Into<Route>, update: S::Update) -> Self {
        Self {
            update,
            goto: goto.into(),
            to_parent: true,
        }
    }
    /// Adds destinations.
    #[must_use]
    pub fn and_goto(mut self, goto: impl Into<Route>) -> Self {
        self.goto = self.goto.and(goto);
        self
    }
}

/// What a node may return: an update, a [`Command`], or `()` for no update.
pub trait IntoCommand<S: State> {
    /// Converts into a command.
    fn into_command(self) -> Command<S>;
}
impl<S: State> IntoCommand<S> for Command<S> {
    fn into_command(self) -> Command<S> {
        self
    }
}
impl<S: State> IntoCommand<S> for () {
    fn into_command(self) -> Command<S> {
        Command::default()
    }
}
impl<U: Update> IntoCommand<U::State> for U {
    fn into_command(self) -> Command<U::State> {
        Command::update(self)
    }
}

/// A node's result.
pub type NodeResult<S> = Result<Command<S>, NodeError>;

/// A reusable node: implement it for a struct and add it with
/// [`crate::StateGraph::add_node_impl`]. Plain async functions and closures are added with
/// [`crate::StateGraph::add_node`] instead.
///
/// `run` receives a snapshot of the state as of the start of the superstep; the node's update
/// becomes visible to other nodes only in the next superstep. A node MAY run more than once for
/// one task (after an interrupt, a failure or a crash), so side effects belong in
/// [`Ctx::effect`].
// dyn-compatible: stored as Arc<dyn Node<S>> in a compiled graph.
#[async_trait]
pub trait Node<S: State>: Send + Sync + 'static {
    /// Runs the node.
    async fn run(&self, state: Arc<S>, ctx: Ctx) -> NodeResult<S>;
}

/// A node's error handler ([`crate::NodeOptions::on_error`]) with its output type erased: a
/// function of the superstep's state and the node's failure, returning what a node returns.
pub(crate) struct ErrorHandler<S: State>(Arc<HandlerFn<S>>);

type HandlerFn<S> =
    dyn Fn(Arc<S>, NodeFailure, Ctx) -> BoxFuture<'static, NodeResult<S>> + Send + Sync;

impl<S: State> Clone for ErrorHandler<S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<S: State> ErrorHandler<S> {
    pub(crate) fn new<F, Fut, O>(f: F) -> Self
    where
        F: Fn(Arc<S>, NodeFailure, Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, NodeError>> + Send + 'static,
        O: IntoCommand<S> + 'static,
    {
        Self(Arc::new(move |state, failure, ctx| {
            let handled = f(state, failure, ctx);
            Box::pin(async move { handled.await.map(IntoCommand::into_command) })
        }))
    }

    pub(crate) fn call(
        &self,
        state: Arc<S>,
        failure: NodeFailure,
        ctx: Ctx,
    ) -> BoxFuture<'static, NodeResult<S>> {
        (self.0)(state, failure, ctx)
    }
}

/// The input a task hands its node.
pub(crate) enum TaskInput<S> {
    State(Arc<S>),
    Arg(serde_json::Value),
}

/// A node with its input type erased.
#[async_trait]
pub(crate) trait ErasedNode<S: State>: Send + Sync + 'static {
    async fn call(&self, input: TaskInput<S>, ctx: Ctx) -> NodeResult<S>;
}

pub(crate) struct StateNode<N>(pub(crate) N);

#[async_trait]
impl<S: State, N: Node<S>> ErasedNode<S> for StateNode<N> {
    async fn call(&self, input: TaskInput<S>, ctx: Ctx) -> NodeResult<S> {
        match input {
            TaskInput::State(state) => self.0.run(state, ctx).await,
            TaskInput::Arg(_) => Err(NodeError::permanent(NodeError::msg(
                "this node takes the graph state and cannot receive a Push::new argument",
            ))),
        }
    }
}

pub(crate) struct FnNode<F, Fut, O>(pub(crate) F, pub(crate) PhantomData<fn() -> (Fut, O)>);

#[async_trait]
impl<S, F, Fut, O> Node<S> for FnNode<F, Fut, O>
where
    S: State,
    F: Fn(Arc<S>, Ctx) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, NodeError>> + Send + 'static,
    O: IntoCommand<S> + 'static,
{
    async fn run(&self, state: Arc<S>, ctx: Ctx) -> NodeResult<S> {
        (self.0)(state, ctx).await.map(IntoCommand::into_command)
    }
}

pub(crate) struct PushFnNode<F, I, Fut, O>(pub(crate) F, pub(crate) PhantomData<fn(I) -> (Fut, O)>);

#[async_trait]
impl<S, F, I, Fut, O> ErasedNode<S> for PushFnNode<F, I, Fut, O>
where
    S: State,
    F: Fn(I, Ctx) -> Fut + Send + Sync + 'static,
    I: DeserializeOwned + Send + 'static,
    Fut: Future<Output = Result<O, NodeError>> + Send + 'static,
    O: IntoCommand<S> + 'static,
{
    async fn call(&self, input: TaskInput<S>, ctx: Ctx) -> NodeResult<S> {
        let arg = match input {
            TaskInput::Arg(arg) => arg,
            TaskInput::State(_) => {
                return Err(NodeError::permanent(NodeError::msg(
                    "this node takes a Push input and cannot run from an edge",
                )));
            }
        };
        let input = serde_json::from_value::<I>(arg).map_err(|e| {
            NodeError::permanent(NodeError::msg(format!(
                "the Push input does not decode as `{}`: {e}",
                std::any::type_name::<I>()
            )))
        })?;
        (self.0)(input, ctx).await.map(IntoCommand::into_command)
    }
}
