//! [`CompiledGraph`]: the public handle on a frozen graph — its plan plus where its checkpoints
//! go — and its API: run, resume, stream, inspect state and history, edit state. Each call hands
//! the plan and the persistence settings to a run; this module holds no run logic.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::cache::Cache;
use crate::checkpoint::{CheckpointMeta, Checkpointer, HistoryQuery};
use crate::config::{Persistence, Resume, RunConfig};
use crate::error::{Error, Result};
use crate::ids::{CheckpointId, Namespace, NodeId};
use crate::outcome::{RunOutput, StateSnapshot};
use crate::plan::Plan;
use crate::run::{Run, Start};
use crate::state::State;
use crate::stream::{EventSink, EventStream};

/// A validated, immutable graph, ready to run. Cloning is cheap (it shares the graph), and one
/// compiled graph serves any number of concurrent runs on different threads.
pub struct CompiledGraph<S: State> {
    pub(crate) plan: Arc<Plan<S>>,
    persistence: Persistence,
}

impl<S: State> Clone for CompiledGraph<S> {
    fn clone(&self) -> Self {
        Self {
            plan: Arc::clone(&self.plan),
            persistence: self.persistence.clone(),
        }
    }
}

impl<S: State> fmt::Debug for CompiledGraph<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledGraph")
            .field(
                "nodes",
                &self.plan.nodes.iter().map(|n| &n.id).collect::<Vec<_>>(),
            )
            .field("checkpointer", &self.persistence.checkpointer.is_some())
            .field("cache", &self.persistence.cache.is_some())
            .finish()
    }
}

impl<S: State> CompiledGraph<S> {
    pub(crate) fn new(plan: Arc<Plan<S>>) -> Self {
        Self {
            plan,
            persistence: Persistence::default(),
        }
    }

    /// The same graph, saving checkpoints to `checkpointer`.
    #[must_use]
    pub fn with_checkpointer(mut self, checkpointer: Arc<dyn Checkpointer>) -> Self {
        self.persistence.checkpointer = Some(checkpointer);
        self
    }

    /// The same graph, keeping the results of its nodes that have a [`crate::CachePolicy`] in
    /// `cache` (LangGraph's `compile(cache=...)`); the example on [`crate::CachePolicy`] uses
    /// one. Its subgraphs use it too, each node in a namespace of its own.
    #[must_use]
    pub fn with_cache(mut self, cache: Arc<dyn Cache>) -> Self {
        self.persistence.cache = Some(cache);
        self
    }

    /// The cache, if any.
    pub fn cache(&self) -> Option<&Arc<dyn Cache>> {
        self.persistence.cache.as_ref()
    }

    /// Removes the cached results of the nodes `nodes` of this graph (a subgraph's node by its
    /// namespace, `sub|node`: see [`Cache`]), or of every node when `None` (LangGraph's
    /// `clear_cache`). Does nothing without a cache.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{CachePolicy, Ctx, InMemoryCache, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Doc {
    ///     #[state(add)]
    ///     calls: u32,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut graph = StateGraph::<Doc>::new();
    /// graph
    ///     .add_node("count", |_s: Arc<Doc>, _ctx: Ctx| async { Ok(DocUpdate::default().calls(1u32)) })
    ///     .cache(CachePolicy::new());
    /// graph.add_edge(START, "count");
    /// let graph = graph.compile()?.with_cache(Arc::new(InMemoryCache::new()));
    /// graph.invoke(DocUpdate::default(), &RunConfig::thread("t1")).await?;
    /// graph.clear_cache(Some(&["count"])).await?;
    /// // Not a hit: a fresh thread starts from the same state, and the node runs again.
    /// let out = graph.invoke(DocUpdate::default(), &RunConfig::thread("t2")).await?;
    /// assert_eq!(out.executed, ["count"]);
    /// # Ok(()) }
    /// ```
    pub async fn clear_cache(&self, nodes: Option<&[&str]>) -> Result<()> {
        let Some(cache) = &self.persistence.cache else {
            return Ok(());
        };
        cache.clear(nodes).await.map_err(Error::Cache)
    }

    /// The same graph, stamping checkpoints with `clock` (milliseconds since the Unix epoch)
    /// instead of the system clock, e.g. for deterministic snapshots. Cache entries expire by it
    /// too ([`crate::CachePolicy::ttl`]).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.persistence.clock = Arc::new(clock);
        self
    }

    /// The same graph, writing a full snapshot of an append-style field after at most `deltas`
    /// deltas (at least 1; 1 stores every value whole).
    #[must_use]
    pub fn with_snapshot_every(mut self, deltas: u32) -> Self {
        self.persistence.snapshot_every = deltas.max(1);
        self
    }

    /// The checkpointer, if any.
    pub fn checkpointer(&self) -> Option<&Arc<dyn Checkpointer>> {
        self.persistence.checkpointer.as_ref()
    }

    /// The node names, in the order they were added.
    pub fn node_names(&self) -> impl Iterator<Item = &NodeId> {
        self.plan.nodes.iter().map(|n| &n.id)
    }

    /// Applies `input` to the thread's latest state (or to a fresh state) through the reducers
    /// and runs until END, an interrupt, a breakpoint or an error. Tasks left unfinished by an
    /// earlier run of the thread are discarded.
    pub async fn invoke(&self, input: S::Update, config: &RunConfig) -> Result<RunOutput<S>> {
        let sink = EventSink::silent(&config.thread);
        self.execute(config, sink, Start::Input(input)).await
    }

    /// Continues the thread: answers interrupts, passes a breakpoint, re-runs the tasks a failure
    /// or crash left unfinished (finished tasks are not re-run), or — when `config` names an
    /// older checkpoint — replays from it on a fork.
    pub async fn resume(&self, config: &RunConfig, resume: Resume) -> Result<RunOutput<S>> {
        let sink = EventSink::silent(&config.thread);
        self.execute(config, sink, Start::Resume(resume)).await
    }

    /// Like [`CompiledGraph::invoke`], streaming events. Must be called within a Tokio runtime.
    pub fn stream(&self, input: S::Update, config: &RunConfig) -> EventStream<S> {
        self.spawn_stream(config, Start::Input(input))
    }

    /// Like [`CompiledGraph::resume`], streaming events. Must be called within a Tokio runtime.
    pub fn stream_resume(&self, config: &RunConfig, resume: Resume) -> EventStream<S> {
        self.spawn_stream(config, Start::Resume(resume))
    }

    /// A run of this graph on `config`'s thread. It owns what it reads, so a stream can spawn it.
    fn execute(
        &self,
        config: &RunConfig,
        sink: EventSink<S>,
        start: Start<S>,
    ) -> impl Future<Output = Result<RunOutput<S>>> + Send + 'static {
        let (plan, persistence) = (Arc::clone(&self.plan), self.persistence.clone());
        Run::execute(plan, persistence, config.clone(), sink, start)
    }

    fn spawn_stream(&self, config: &RunConfig, start: Start<S>) -> EventStream<S> {
        let (tx, rx) = mpsc::channel(256);
        let sink = EventSink {
            thread: config.thread.clone(),
            ns: Namespace::root(),
            tx: Some(tx),
        };
        let handle = tokio::spawn(self.execute(config, sink, start));
        EventStream {
            events: rx,
            handle: Some(handle),
        }
    }

    /// The thread's state at its latest checkpoint (or the one `config` names): values, what
    /// runs next, pending interrupts and errors.
    pub async fn get_state(&self, config: &RunConfig) -> Result<StateSnapshot<S>> {
        Run::snapshot(Arc::clone(&self.plan), self.persistence.clone(), config).await
    }

    /// The thread's checkpoints, newest first, without their values.
    pub async fn get_state_history(
        &self,
        config: &RunConfig,
        query: &HistoryQuery,
    ) -> Result<Vec<CheckpointMeta>> {
        let checkpointer = self
            .persistence
            .checkpointer
            .as_ref()
            .ok_or(Error::NoCheckpointer("get_state_history"))?;
        checkpointer
            .list(&config.thread, &Namespace::root(), query)
            .await
            .map_err(|source| Error::Storage {
                thread: config.thread.clone(),
                source,
            })
    }

    /// Writes `update` as if node `as_node` had produced it (reducers apply, and the next
    /// superstep follows that node's edges) in a new checkpoint after the latest one (or after the
    /// one `config` names: a fork). Without `as_node`, the node that wrote the base checkpoint is
    /// used if there was exactly one.
    pub async fn update_state(
        &self,
        config: &RunConfig,
        update: S::Update,
        as_node: Option<&str>,
    ) -> Result<CheckpointId> {
        let (plan, persistence) = (Arc::clone(&self.plan), self.persistence.clone());
        Run::update_state(plan, persistence, config, update, as_node).await
    }
}
