//! [`NodeDefaults`]: the options every node of a graph takes unless it sets its own.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::CachePolicy;
use crate::context::Ctx;
use crate::error::{NodeError, NodeFailure};
use crate::node::{ErrorHandler, IntoCommand};
use crate::plan::NodeDef;
use crate::retry::RetryPolicy;
use crate::state::State;
use crate::timeout::TimeoutPolicy;

/// Options for every node of a graph that does not set its own (LangGraph's
/// `set_node_defaults`): a retry policy, a timeout policy, an error handler and a cache policy. Give them to
/// [`crate::StateGraph::node_defaults`].
///
/// - **Per-node options win**, each as a whole: a node with its own retry policy, timeout
///   policy (any of its timeouts), error handler or cache policy ([`crate::NodeOptions`]) keeps
///   it, and takes the defaults for the rest.
/// - **Resolved at `compile()`**, so they apply to the nodes added before the call as well as
///   after it; a second call replaces the first.
/// - **Not inherited by subgraphs**: a subgraph is compiled on its own, with its own defaults.
///   Its node in this graph is a node of this graph, and takes this graph's defaults.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use graph_core::{
///     Ctx, NodeDefaults, NodeError, NodeFailure, RetryPolicy, RunConfig, START, State, StateGraph,
/// };
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Job {
///     #[state(append)]
///     log: Vec<String>,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut graph = StateGraph::<Job>::new();
/// graph.node_defaults(
///     NodeDefaults::new()
///         .retry(RetryPolicy::attempts(2).backoff(Duration::ZERO, 1.0, Duration::ZERO))
///         .timeout(Duration::from_secs(30))
///         .on_error(|_s: Arc<Job>, failure: NodeFailure, _ctx: Ctx| async move {
///             Ok(JobUpdate::default().log(vec![format!("{} gave up", failure.node)]))
///         }),
/// );
/// graph.add_node("flaky", |_s: Arc<Job>, _ctx: Ctx| async {
///     Err::<(), _>(NodeError::msg("down"))
/// });
/// graph.add_edge(START, "flaky");
/// let out = graph.compile()?.invoke(JobUpdate::default(), &RunConfig::thread("t")).await?;
/// assert_eq!(out.state.log, ["flaky gave up"]);
/// # Ok(()) }
/// ```
pub struct NodeDefaults<S: State> {
    retry: Option<RetryPolicy>,
    timeout: Option<TimeoutPolicy>,
    on_error: Option<ErrorHandler<S>>,
    cache: Option<CachePolicy<S>>,
}

impl<S: State> Default for NodeDefaults<S> {
    fn default() -> Self {
        Self {
            retry: None,
            timeout: None,
            on_error: None,
            cache: None,
        }
    }
}

impl<S: State> NodeDefaults<S> {
    /// No defaults (see the example on [`NodeDefaults`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Retries every node without a policy of its own ([`crate::NodeOptions::retry`]), as in the
    /// example on [`NodeDefaults`].
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Sets the run timeout of the default [`TimeoutPolicy`]
    /// ([`NodeDefaults::timeout_policy`]), as in the example on [`NodeDefaults`].
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout.get_or_insert_default().run = Some(timeout);
        self
    }

    /// Limits the attempts of every node without a timeout policy of its own
    /// ([`crate::NodeOptions::timeout`], [`crate::NodeOptions::timeout_policy`]): in all, and
    /// idle.
    ///
    /// ```
    /// use std::time::Duration;
    /// use graph_core::{NodeDefaults, State, StateGraph, TimeoutPolicy};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Chat {
    ///     reply: String,
    /// }
    ///
    /// let mut graph = StateGraph::<Chat>::new();
    /// // Every model call gets two minutes in all, and ten seconds between tokens.
    /// graph.node_defaults(NodeDefaults::new().timeout_policy(TimeoutPolicy {
    ///     run: Some(Duration::from_secs(120)),
    ///     idle: Some(Duration::from_secs(10)),
    /// }));
    /// ```
    #[must_use]
    pub fn timeout_policy(mut self, policy: TimeoutPolicy) -> Self {
        self.timeout = Some(policy);
        self
    }

    /// Handles the failures of every node without an error handler of its own
    /// ([`crate::NodeOptions::on_error`], which says what a handler does), as in the example on
    /// [`NodeDefaults`].
    #[must_use]
    pub fn on_error<F, Fut, O>(mut self, handler: F) -> Self
    where
        F: Fn(Arc<S>, NodeFailure, Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, NodeError>> + Send + 'static,
        O: IntoCommand<S> + 'static,
    {
        self.on_error = Some(ErrorHandler::new(handler));
        self
    }

    /// Caches the results of every node without a cache policy of its own
    /// ([`crate::NodeOptions::cache`]; [`CachePolicy`] says what is cached). A node that takes a
    /// [`crate::Push`] takes the policy's ttl and is keyed by its argument, whatever the policy's
    /// key function.
    ///
    /// ```
    /// use std::time::Duration;
    /// use graph_core::{CachePolicy, NodeDefaults, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Chat {
    ///     question: String,
    ///     reply: String,
    /// }
    ///
    /// let mut graph = StateGraph::<Chat>::new();
    /// // Every node answers the same question from the cache for ten minutes.
    /// graph.node_defaults(NodeDefaults::new().cache(
    ///     CachePolicy::new().key(|s: &Chat| s.question.clone()).ttl(Duration::from_secs(600)),
    /// ));
    /// ```
    #[must_use]
    pub fn cache(mut self, policy: CachePolicy<S>) -> Self {
        self.cache = Some(policy);
        self
    }

    /// Gives `node` each default it does not set itself.
    pub(crate) fn apply(&self, node: &mut NodeDef<S>) {
        if node.retry.is_none() {
            node.retry.clone_from(&self.retry);
        }
        if node.timeout.is_none() {
            node.timeout = self.timeout;
        }
        if node.on_error.is_none() {
            node.on_error.clone_from(&self.on_error);
        }
        if node.cache.is_none() {
            node.cache = self.cache.clone().map(|mut policy| {
                // A push node is keyed by its argument (see `NodeDefaults::cache`).
                if node.takes_push {
                    policy.key = None;
                }
                policy
            });
        }
    }
}
