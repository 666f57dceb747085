//! [`StateGraph`]: the mutable builder. It records nodes and edges as written; `compile()` hands
//! them to the plan's checks and wraps the resulting plan in a [`CompiledGraph`].

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::compiled::CompiledGraph;
use crate::config::SubgraphPersistence;
use crate::context::Ctx;
use crate::error::{BuildError, NodeError};
use crate::ids::NodeId;
use crate::node::{Endpoint, ErasedNode, FnNode, IntoCommand, Node, PushFnNode, Route, StateNode};
use crate::plan::{ChildGraph, ConditionalDef, GraphDef, NodeDef, compile};
use crate::run::{SameState, SubgraphNode};
use crate::state::State;
use crate::subgraph_map::SubgraphMap;

mod defaults;
mod options;

pub use defaults::NodeDefaults;
pub use options::NodeOptions;

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

impl<S: State> StateGraph<S> {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the options every node takes unless it sets its own: see [`NodeDefaults`]. They are
    /// applied at [`StateGraph::compile`], to the nodes added before this call too; a second
    /// call replaces the first.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::time::Duration;
    /// use graph_core::{Ctx, NodeDefaults, NodeError, RetryPolicy, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Job {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let calls = Arc::new(AtomicU32::new(0));
    /// let counted = Arc::clone(&calls);
    /// let mut graph = StateGraph::<Job>::new();
    /// // Added first, it still takes the defaults: three attempts, the third succeeds.
    /// graph.add_node("flaky", move |_s: Arc<Job>, _ctx: Ctx| {
    ///     let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
    ///     async move {
    ///         if n < 3 {
    ///             return Err(NodeError::msg("busy"));
    ///         }
    ///         Ok(JobUpdate::default().log(vec![format!("ok after {n}")]))
    ///     }
    /// });
    /// let no_wait = RetryPolicy::attempts(3).backoff(Duration::ZERO, 1.0, Duration::ZERO);
    /// graph.node_defaults(NodeDefaults::new().retry(no_wait));
    /// graph.add_edge(START, "flaky");
    /// let out = graph.compile()?.invoke(JobUpdate::default(), &RunConfig::thread("t")).await?;
    /// assert_eq!(out.state.log, ["ok after 3"]);
    /// # Ok(()) }
    /// ```
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
        subgraph: Option<Arc<dyn ChildGraph>>,
    ) -> NodeOptions<'_, S> {
        self.def.nodes.push(NodeDef {
            id,
            runner,
            takes_push,
            retry: None,
            timeout: None,
            on_error: None,
            cache: None,
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

    /// Adds a node that only a [`crate::Push::new`] starts, with the push's argument (of type
    /// `I`) as its input instead of the state. It cannot be the target of an edge
    /// ([`BuildError::PushNodeAsEdgeTarget`]). To fan out to a node that takes the state (and
    /// that edges may reach too), push it a state update instead: [`crate::Push::state`].
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
        let node = SubgraphNode::new(Arc::clone(&child.plan), persistence, Box::new(SameState));
        self.push_subgraph(name.into(), node)
    }

    /// Adds a compiled graph with a state type of its own, `C`, as a node: a subgraph whose
    /// state is mapped both ways by `map` ([`SubgraphMap`]). When the node runs, the subgraph
    /// starts from `C::default()` with the mapped input applied, runs all its supersteps inside
    /// that one task, and the mapped output of its final state becomes the task's update.
    ///
    /// Everything else is as for [`StateGraph::add_subgraph`]: its checkpoints go to the
    /// parent's thread in the task's namespace, an interrupt inside it pauses the parent with
    /// that namespace and the parent's resume answers it, a failure or crash resumes it where it
    /// stopped (its finished nodes do not run again), and it is drawn as a cluster. Its events
    /// come through the parent's stream with its namespace; its state and updates, which the
    /// parent's event type cannot name, come as JSON ([`crate::EventKind::SubgraphValues`],
    /// [`crate::EventKind::SubgraphUpdate`]). A [`crate::Command::parent`] of its nodes routes
    /// the parent by name; its update needs [`SubgraphMap::parent_update`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, RunConfig, START, State, StateGraph, SubgraphMap};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Chat {
    ///     question: String,
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Search {
    ///     query: String,
    ///     #[state(append)]
    ///     hits: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut search = StateGraph::<Search>::new();
    /// search.add_node("lookup", |s: Arc<Search>, _ctx: Ctx| async move {
    ///     Ok(SearchUpdate::default().hits(vec![format!("hit for {}", s.query)]))
    /// });
    /// search.add_edge(START, "lookup");
    ///
    /// let mut chat = StateGraph::<Chat>::new();
    /// chat.add_subgraph_mapped(
    ///     "search",
    ///     search.compile()?,
    ///     SubgraphMap::new(
    ///         |c: &Chat| SearchUpdate::default().query(c.question.clone()),
    ///         |s: &Search| ChatUpdate::default().log(s.hits.clone()),
    ///     ),
    /// );
    /// chat.add_edge(START, "search");
    /// let out = chat.compile()?.invoke(ChatUpdate::default().question("rooms"), &RunConfig::thread("t")).await?;
    /// assert_eq!(out.state.log, ["hit for rooms"]);
    /// # Ok(()) }
    /// ```
    pub fn add_subgraph_mapped<C: State>(
        &mut self,
        name: impl Into<NodeId>,
        child: CompiledGraph<C>,
        map: SubgraphMap<S, C>,
    ) -> NodeOptions<'_, S> {
        let persistence = map.persistence;
        let node = SubgraphNode::new(Arc::clone(&child.plan), persistence, Box::new(map));
        self.push_subgraph(name.into(), node)
    }

    fn push_subgraph<C: State>(
        &mut self,
        id: NodeId,
        node: SubgraphNode<S, C>,
    ) -> NodeOptions<'_, S> {
        let node = Arc::new(node);
        let child: Arc<dyn ChildGraph> = Arc::clone(&node) as _;
        self.push_def(id, node, false, Some(child))
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
