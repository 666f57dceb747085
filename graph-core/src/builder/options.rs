//! [`NodeOptions`]: the options of the node just added — retry, timeouts, error handler,
//! cache, breakpoints, command destinations, deferral.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::CachePolicy;
use crate::context::Ctx;
use crate::error::{NodeError, NodeFailure};
use crate::ids::NodeId;
use crate::node::{ErrorHandler, IntoCommand};
use crate::plan::NodeDef;
use crate::retry::RetryPolicy;
use crate::state::State;
use crate::timeout::TimeoutPolicy;

#[cfg(doc)]
use crate::{BuildError, NodeDefaults, StateGraph};

/// Options of the node just added: retry, timeout, error handler, breakpoints, command
/// destinations, deferral. Retry, timeout and error handler default to the graph's
/// [`NodeDefaults`].
pub struct NodeOptions<'a, S: State> {
    pub(super) def: &'a mut NodeDef<S>,
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
    /// Caches the node's results by its input ([`CachePolicy`], which says what is cached and
    /// has an example), in the cache the compiled graph is given
    /// ([`crate::CompiledGraph::with_cache`]); without one, the policy does nothing. It replaces
    /// the graph's default policy ([`NodeDefaults::cache`]).
    pub fn cache(self, policy: CachePolicy<S>) -> Self {
        self.def.cache = Some(policy);
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
