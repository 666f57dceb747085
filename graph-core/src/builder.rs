//! [`StateGraph`]: the mutable builder. It records nodes and edges as written; `compile()` hands
//! them to the plan's checks and wraps the resulting plan in a [`CompiledGraph`].

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::compiled::CompiledGraph;
use crate::config::SubgraphPersistence;
use crate::context::Ctx;
use crate::error::{BuildError, NodeError, NodeFailure};
use crate::ids::NodeId;
use crate::node::{
    Endpoint, ErasedNode, ErrorHandler, FnNode, IntoCommand, Node, PushFnNode, Route, StateNode,
};
use crate::plan::{ConditionalDef, GraphDef, NodeDef, Plan, compile};
use crate::retry::RetryPolicy;
use crate::run::SubgraphNode;
use crate::state::State;
use crate::timeout::TimeoutPolicy;

mod defaults;

pub use defaults::NodeDefaults;

/// Builds a graph: add nodes and edges, then [`StateGraph::compile`] it.
pub struct StateGraph<S: State> {
    def: GraphDef<S>,
    defaults: NodeDefaults<S>,
}

impl<S: State> Default for StateGraph<S> {
    fn default() -> Self {
        Self {
            def: GraphDef::default(),
            defaults: NodeDefaults::default(),
        }
    }
}

/// Options of the node just added: retry, timeout, error handler, breakpoints, command
/// destinations, deferral. Retry, timeout and error handler default to the graph's
/// [`NodeDefaults`].
pub struct NodeOptions<'a, S: State> {
    def: &'a mut NodeDef<S>,
}

impl<S: State> NodeOptions<'_, S> {
    /// Retries the node on failure.
    pub fn retry(self, policy: RetryPolicy) -> Self {
        self.def.retry = Some(policy);
        self
    }
    /// Fails an attempt that runs longer than `timeout` (a retryable [`crate::Timeout`]): the
    /// run timeout of the node's [`TimeoutPolicy`], which [`NodeOptions::timeout_policy`] sets
    /// whole.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.def.timeout.get_or_insert_default().run = Some(timeout);
        self
    }
    /// Limits how long an attempt may run in all and how long it may go without emitting an
    /// event (a retryable [`crate::Timeout`] or [`crate::IdleTimeout`]): see [`TimeoutPolicy`].
    /// It replaces the graph's default policy ([`NodeDefaults`]) whole, even where it says
    /// `None`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use graph_core::{Ctx, RunConfig, START, State, StateGraph, TimeoutPolicy};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Chat {
    ///     reply: String,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut graph = StateGraph::<Chat>::new();
    /// graph
    ///     .add_node("stalled_model", |_s: Arc<Chat>, ctx: Ctx| async move {
    ///         ctx.emit("first token").await?;
    ///         tokio::time::sleep(Duration::from_secs(30)).await; // then nothing
    ///         Ok(ChatUpdate::default().reply("done"))
    ///     })
    ///     .timeout_policy(TimeoutPolicy {
    ///         run: Some(Duration::from_secs(120)),
    ///         idle: Some(Duration::from_secs(10)),
    ///     });
    /// graph.add_edge(START, "stalled_model");
    /// let graph = graph.compile().unwrap();
    /// let error = graph.invoke(ChatUpdate::default(), &RunConfig::thread("t")).await.unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "thread `t`, superstep 0: node `stalled_model` failed: timed out: idle for 10s with no event"
    /// );
    /// # }
    /// ```
    pub fn timeout_policy(self, policy: TimeoutPolicy) -> Self {
        self.def.timeout = Some(policy);
        self
    }
    /// Handles the node's failure (LangGraph's `error_handler`): when the node fails after its
    /// retries — it returned an error, timed out or panicked — `handler` runs instead of the run
    /// failing, with the superstep's state and a [`NodeFailure`] naming the node, its error and
    /// its attempts. It returns what a node returns: an update, a [`crate::Command`] (to route,
    /// say to a fallback node) or `()`. An interrupt is a pause, not a failure, and is never
    /// handled; nor are failures of the engine around the node (a bad route, storage).
    ///
    /// - **Its own task**, named `__error_handler__<node>` ([`NodeId::error_handler`]), with its
    ///   own task id, effects and interrupts, in the node's superstep: it shows in the event
    ///   stream (the node's task ends failed, the handler's starts and ends) and in
    ///   [`crate::RunOutput::executed`]. It runs once, with no retry or timeout.
    /// - **In the node's place**: its update applies in the node's place in task order, and the
    ///   superstep's other tasks apply as usual, so a handled failure fails nothing
    ///   (LangGraph's #8277). The node did not finish, so its edges and joins are not taken: the
    ///   run goes where the handler's command says, and ends the branch if it says nowhere.
    ///   Declare a node only the handler routes to with [`NodeOptions::destinations`].
    /// - **Durable**: the failure is saved before the handler runs, and the handler's result is
    ///   saved like a node's, so a resume after a pause or a crash runs the handler again only
    ///   if its result was not saved (never the node), and never once it was (LangGraph re-runs
    ///   it, #9002).
    /// - **If the handler fails** too, the run fails with [`crate::Error::Handler`], naming the
    ///   node and its failure.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Command, Ctx, NodeError, NodeFailure, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Quote {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut graph = StateGraph::<Quote>::new();
    /// graph
    ///     .add_node("live_price", |_s: Arc<Quote>, _ctx: Ctx| async {
    ///         Err::<(), _>(NodeError::msg("pricing service down"))
    ///     })
    ///     .on_error(|_s: Arc<Quote>, failure: NodeFailure, _ctx: Ctx| async move {
    ///         let update = QuoteUpdate::default().log(vec![failure.message]);
    ///         Ok(Command::update(update).and_goto("cached_price"))
    ///     })
    ///     .destinations(["cached_price"]);
    /// graph.add_node("cached_price", |_s: Arc<Quote>, _ctx: Ctx| async {
    ///     Ok(QuoteUpdate::default().log(vec!["cached".to_owned()]))
    /// });
    /// graph.add_edge(START, "live_price");
    /// let out = graph.compile()?.invoke(QuoteUpdate::default(), &RunConfig::thread("t")).await?;
    /// assert_eq!(out.state.log, ["pricing service down", "cached"]);
    /// assert_eq!(out.executed, ["__error_handler__live_price", "cached_price"]);
    /// # Ok(()) }
    /// ```
    pub fn on_error<F, Fut, O>(self, handler: F) -> Self
    where
        F: Fn(Arc<S>, NodeFailure, Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, NodeError>> + Send + 'static,
        O: IntoCommand<S> + 'static,
    {
        self.def.on_error = Some(ErrorHandler::new(handler));
        self
    }
    /// Pauses the run before this node runs (a static breakpoint).
    pub fn interrupt_before(self) -> Self {
        self.def.interrupt_before = true;
        self
    }
    /// Pauses the run after the superstep in which this node ran.
    pub fn interrupt_after(self) -> Self {
        self.def.interrupt_after = true;
        self
    }
    /// Defers the node (LangGraph's `defer=True`): once triggered, it waits while any other task
    /// is planned, and runs in the first superstep that would otherwise have none. However many
    /// times it is triggered while it waits, it runs once. It fans in branches of uneven length,
    /// and branches that may not all run, where a join would fail the run
    /// ([`StateGraph::add_join_edge`]).
    ///
    /// The trigger is part of the checkpoint, so a run paused, failed or cut short while the node
    /// waits still runs it, once, when it resumes. A node that takes a [`crate::Push`] input
    /// cannot be deferred ([`BuildError::DeferredPushNode`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Trace {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // a → b1 → b2 → agg and a → c → agg: agg waits for the longer branch, and runs once.
    /// let mut graph = StateGraph::<Trace>::new();
    /// for name in ["a", "b1", "b2", "c", "agg"] {
    ///     let node = graph.add_node(name, move |_s: Arc<Trace>, _ctx: Ctx| async move {
    ///         Ok(TraceUpdate::default().log(vec![name.to_owned()]))
    ///     });
    ///     if name == "agg" {
    ///         node.defer();
    ///     }
    /// }
    /// graph.add_edge(START, "a").add_edge("a", "b1").add_edge("b1", "b2");
    /// graph.add_edge("b2", "agg").add_edge("a", "c").add_edge("c", "agg");
    /// let graph = graph.compile()?;
    /// let out = graph.invoke(TraceUpdate::default(), &RunConfig::thread("t")).await?;
    /// assert_eq!(out.state.log, ["a", "b1", "c", "b2", "agg"]);
    /// # Ok(()) }
    /// ```
    pub fn defer(self) -> Self {
        self.def.defer = true;
        self
    }
    /// Declares where the node's [`crate::Command`]s may go, so exports can draw them.
    pub fn destinations<T: Into<NodeId>>(self, nodes: impl IntoIterator<Item = T>) -> Self {
        self.def
            .destinations
            .extend(nodes.into_iter().map(Into::into));
        self
    }
}

impl<S: State> StateGraph<S> {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the options every node takes unless it sets its own: see [`NodeDefaults`]. They are
    /// applied at [`StateGraph::compile`], to the nodes added before this call too; a second
    /// call replaces the first.
    pub fn node_defaults(&mut self, defaults: NodeDefaults<S>) -> &mut Self {
        self.defaults = defaults;
        self
    }

    fn push_node(
        &mut self,
        id: NodeId,
        runner: Arc<dyn ErasedNode<S>>,
        takes_push: bool,
    ) -> NodeOptions<'_, S> {
        self.push_def(id, runner, takes_push, None)
    }

    fn push_def(
        &mut self,
        id: NodeId,
        runner: Arc<dyn ErasedNode<S>>,
        takes_push: bool,
        subgraph: Option<Arc<Plan<S>>>,
    ) -> NodeOptions<'_, S> {
        self.def.nodes.push(NodeDef {
            id,
            runner,
            takes_push,
            retry: None,
            timeout: None,
            on_error: None,
            destinations: Vec::new(),
            interrupt_before: false,
            interrupt_after: false,
            defer: false,
            subgraph,
        });
        let def = self.def.nodes.last_mut().expect("just pushed");
        NodeOptions { def }
    }

    /// Adds a node that is an async function or closure of `(Arc<S>, Ctx)` returning an
    /// update, a [`crate::Command`] or `()`.
    pub fn add_node<F, Fut, O>(&mut self, name: impl Into<NodeId>, f: F) -> NodeOptions<'_, S>
    where
        F: Fn(Arc<S>, Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, NodeError>> + Send + 'static,
        O: IntoCommand<S> + 'static,
    {
        let node = StateNode(FnNode(f, PhantomData));
        self.push_node(name.into(), Arc::new(node), false)
    }

    /// Adds a node that implements [`Node`].
    pub fn add_node_impl(
        &mut self,
        name: impl Into<NodeId>,
        node: impl Node<S>,
    ) -> NodeOptions<'_, S> {
        self.push_node(name.into(), Arc::new(StateNode(node)), false)
    }

    /// Adds a node that only a [`crate::Push`] starts, with the push's argument (of type `I`) as
    /// its input instead of the state.
    pub fn add_push_node<I, F, Fut, O>(
        &mut self,
        name: impl Into<NodeId>,
        f: F,
    ) -> NodeOptions<'_, S>
    where
        I: DeserializeOwned + Send + 'static,
        F: Fn(I, Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, NodeError>> + Send + 'static,
        O: IntoCommand<S> + 'static,
    {
        let node = PushFnNode(f, PhantomData);
        self.push_node(name.into(), Arc::new(node), true)
    }

    /// Adds a compiled graph of the same state type as a node: a **subgraph**. When the node
    /// runs, the subgraph runs all its supersteps inside that one task, starting from the
    /// parent's state, and its net change becomes the task's update ([`State::diff`]): fields it
    /// did not change are not written, an `append` field gets only the items the subgraph
    /// appended (never the parent's own a second time), an `add` field the difference.
    ///
    /// The subgraph's checkpoints and pending writes go to the parent's checkpointer, on the
    /// parent's thread, in the namespace `<node>:<task id>` ([`crate::Namespace`]), so the
    /// parent's history shows only the parent's supersteps; the subgraph's own checkpointer, if
    /// it has one, is not used. An interrupt inside the subgraph pauses the parent's run with
    /// the interrupt's namespace, and the parent's resume answers it: the subgraph continues
    /// from its own checkpoint, so its finished nodes do not run again; a failure or crash
    /// inside it resumes the same way. Its events come through the parent's stream with its
    /// namespace. A subgraph cannot have static breakpoints
    /// ([`BuildError::SubgraphBreakpoint`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Trip {
    ///     city: String,
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut booking = StateGraph::<Trip>::new();
    /// booking.add_node("hotel", |s: Arc<Trip>, _ctx: Ctx| async move {
    ///     Ok(TripUpdate::default().log(vec![format!("hotel in {}", s.city)]))
    /// });
    /// booking.add_node("car", |_s: Arc<Trip>, _ctx: Ctx| async {
    ///     Ok(TripUpdate::default().log(vec!["car".to_owned()]))
    /// });
    /// booking.add_edge(START, "hotel").add_edge("hotel", "car");
    ///
    /// let mut trip = StateGraph::<Trip>::new();
    /// trip.add_node("plan", |_s: Arc<Trip>, _ctx: Ctx| async {
    ///     Ok(TripUpdate::default().city("Lima").log(vec!["plan".to_owned()]))
    /// });
    /// trip.add_subgraph("book", booking.compile()?);
    /// trip.add_edge(START, "plan").add_edge("plan", "book");
    /// let out = trip.compile()?.invoke(TripUpdate::default(), &RunConfig::thread("t")).await?;
    /// assert_eq!(out.state.log, ["plan", "hotel in Lima", "car"]);
    /// # Ok(()) }
    /// ```
    pub fn add_subgraph(
        &mut self,
        name: impl Into<NodeId>,
        child: CompiledGraph<S>,
    ) -> NodeOptions<'_, S> {
        self.add_subgraph_with(name, child, SubgraphPersistence::Inherit)
    }

    /// Like [`StateGraph::add_subgraph`], choosing whether the subgraph stores checkpoints
    /// ([`SubgraphPersistence`]).
    pub fn add_subgraph_with(
        &mut self,
        name: impl Into<NodeId>,
        child: CompiledGraph<S>,
        persistence: SubgraphPersistence,
    ) -> NodeOptions<'_, S> {
        let plan = Arc::clone(&child.plan);
        let node = SubgraphNode {
            plan: Arc::clone(&plan),
            persistence,
        };
        self.push_def(name.into(), Arc::new(node), false, Some(plan))
    }

    /// Adds an edge: when `from` runs, `to` runs in the next superstep. Several edges into one
    /// node run it once per superstep in which any of their sources ran.
    pub fn add_edge(&mut self, from: impl Into<Endpoint>, to: impl Into<Endpoint>) -> &mut Self {
        self.def.edges.push((from.into(), to.into()));
        self
    }

    /// Adds a conditional edge: after `from` runs, `route` picks destinations among `targets`
    /// (declared so the graph can be drawn and checked). Returning anything else is a run-time
    /// error. `from` may be START.
    pub fn add_conditional_edge<R, T>(
        &mut self,
        from: impl Into<Endpoint>,
        targets: impl IntoIterator<Item = T>,
        route: impl Fn(&S) -> R + Send + Sync + 'static,
    ) -> &mut Self
    where
        R: Into<Route>,
        T: Into<Endpoint>,
    {
        self.def.conditional.push(ConditionalDef {
            from: from.into(),
            targets: targets.into_iter().map(Into::into).collect(),
            route: Arc::new(move |state: &S| route(state).into()),
        });
        self
    }

    /// Adds a join edge: `to` runs once after every one of `sources` has run (since `to` last
    /// ran), however many supersteps apart they finish (LangGraph's `add_edge([a, b], c)`).
    ///
    /// A join waits within one run: from an input until no task is left, across interrupts,
    /// breakpoints, failures and resumes, which continue the run. When a run would end while a
    /// join has heard from some of its sources but not all, so its target can no longer run,
    /// the run fails with [`crate::Error::JoinStarved`], naming the join and the sources that
    /// never ran. (LangGraph drops that target silently, langgraphjs#2666.) A join none of whose
    /// sources ran is no error, and a new input starts with no join progress. A deferred target
    /// ([`NodeOptions::defer`]) waits for every source too; to fan in branches that may not all
    /// run, add plain edges into a deferred node instead, which runs once with whatever arrived.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, END, Endpoint, Error, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Trip {
    ///     fly: bool,
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut graph = StateGraph::<Trip>::new();
    /// for name in ["hotel", "flight", "confirm"] {
    ///     graph.add_node(name, move |_s: Arc<Trip>, _ctx: Ctx| async move {
    ///         Ok(TripUpdate::default().log(vec![name.to_owned()]))
    ///     });
    /// }
    /// graph.add_edge(START, "hotel");
    /// graph.add_conditional_edge(START, [Endpoint::from("flight"), END], |s: &Trip| {
    ///     if s.fly { Endpoint::from("flight") } else { END }
    /// });
    /// graph.add_join_edge(["hotel", "flight"], "confirm");
    /// let graph = graph.compile()?;
    ///
    /// let out = graph.invoke(TripUpdate::default().fly(true), &RunConfig::thread("t1")).await?;
    /// assert_eq!(out.state.log, ["flight", "hotel", "confirm"]);
    ///
    /// // Without a flight, the join can never complete: the run says so.
    /// let err = graph.invoke(TripUpdate::default(), &RunConfig::thread("t2")).await.unwrap_err();
    /// let Error::JoinStarved { join, missing, .. } = err else { panic!("{err}") };
    /// assert_eq!((join.as_str(), missing.as_slice()), ("confirm", ["flight".into()].as_slice()));
    /// # Ok(()) }
    /// ```
    pub fn add_join_edge<T: Into<NodeId>>(
        &mut self,
        sources: impl IntoIterator<Item = T>,
        to: impl Into<NodeId>,
    ) -> &mut Self {
        self.def
            .joins
            .push((sources.into_iter().map(Into::into).collect(), to.into()));
        self
    }

    /// Validates the graph and freezes it.
    pub fn compile(self) -> Result<CompiledGraph<S>, BuildError> {
        let Self { mut def, defaults } = self;
        for node in &mut def.nodes {
            defaults.apply(node);
        }
        compile(def).map(|plan| CompiledGraph::new(Arc::new(plan)))
    }
}
