//! [`CompiledGraph`]: the public handle on a frozen graph — its plan plus where its checkpoints
//! go — and its API: run, resume, stream, inspect state and history, edit state. Each call hands
//! the plan and the persistence settings to a run; this module holds no run logic.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::background::{Background, RunHandle};
use crate::cache::Cache;
use crate::checkpoint::{CheckpointMeta, Checkpointer, HistoryQuery};
use crate::config::{Persistence, Resume, RunConfig, StateOptions};
use crate::error::{Error, Result};
use crate::ids::{Namespace, NodeId, RunId};
use crate::outcome::{RunOutput, StateSnapshot, SubgraphSnapshot};
use crate::plan::{ChildAddress, ChildGraph, Plan};
use crate::run::{Run, Start};
use crate::state::State;
use crate::store::Store;
use crate::stream::{EventSink, EventStream, StreamModes};

mod edit;
mod history;

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
            .field("store", &self.persistence.store.is_some())
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

    /// The same graph, giving its nodes `store` as long-term memory shared by every thread
    /// ([`crate::Ctx::store`]; LangGraph's `compile(store=...)`). Its subgraphs' nodes see the
    /// same store. The store keeps its own time ([`crate::InMemoryStore::with_clock`]), not the
    /// graph's: it outlives graphs and is used outside them.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, InMemoryStore, NodeError, RunConfig, START, State, StateGraph};
    /// use serde_json::json;
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Chat {
    ///     guest: String,
    ///     greeting: String,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut graph = StateGraph::<Chat>::new();
    /// graph.add_node("greet", |s: Arc<Chat>, ctx: Ctx| async move {
    ///     let store = ctx.store().ok_or_else(|| NodeError::msg("no store"))?;
    ///     let ns = ["guests", s.guest.as_str()];
    ///     let seen = store.get(&ns, "profile").await?;
    ///     store.put(&ns, "profile", json!({"visits": 1}), None).await?;
    ///     let greeting = if seen.is_some() { "welcome back" } else { "welcome" };
    ///     Ok(ChatUpdate::default().greeting(greeting))
    /// });
    /// graph.add_edge(START, "greet");
    /// let graph = graph.compile()?.with_store(Arc::new(InMemoryStore::new()));
    ///
    /// let first = graph.invoke(ChatUpdate::default().guest("ana"), &RunConfig::thread("t1")).await?;
    /// let second = graph.invoke(ChatUpdate::default().guest("ana"), &RunConfig::thread("t2")).await?;
    /// assert_eq!((first.state.greeting.as_str(), second.state.greeting.as_str()), ("welcome", "welcome back"));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_store(mut self, store: Arc<dyn Store>) -> Self {
        self.persistence.store = Some(store);
        self
    }

    /// The store, if any.
    pub fn store(&self) -> Option<&Arc<dyn Store>> {
        self.persistence.store.as_ref()
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

    /// Like [`CompiledGraph::invoke`], streaming the events of `modes` (one [`crate::StreamMode`], an
    /// array of them, or [`StreamModes::ALL`]) and the interrupts, breakpoints, errors and end
    /// every stream carries. Only the selected modes' payloads are built. Must be called within
    /// a Tokio runtime.
    pub fn stream(
        &self,
        input: S::Update,
        config: &RunConfig,
        modes: impl Into<StreamModes>,
    ) -> EventStream<S> {
        self.spawn_stream(config, Start::Input(input), modes.into())
    }

    /// Like [`CompiledGraph::resume`], streaming the events of `modes`. Must be called within a
    /// Tokio runtime.
    pub fn stream_resume(
        &self,
        config: &RunConfig,
        resume: Resume,
        modes: impl Into<StreamModes>,
    ) -> EventStream<S> {
        self.spawn_stream(config, Start::Resume(resume), modes.into())
    }

    /// Starts a run in the background, like [`CompiledGraph::stream`] but owned by nobody: it
    /// goes on when the caller, the handle or every subscriber is dropped, until it stops or
    /// [`RunHandle::cancel`] stops it. Its events (of `modes`) wait in a buffer of
    /// [`DEFAULT_REPLAY_BUFFER`](crate::DEFAULT_REPLAY_BUFFER) for subscribers who join late.
    /// Must be called within a Tokio runtime.
    pub fn spawn(
        &self,
        input: S::Update,
        config: &RunConfig,
        modes: impl Into<StreamModes>,
    ) -> RunHandle<S> {
        self.spawn_run(
            config,
            Start::Input(input),
            modes.into(),
            Background::default(),
        )
    }

    /// Like [`CompiledGraph::spawn`], continuing the thread as [`CompiledGraph::resume`] does.
    pub fn spawn_resume(
        &self,
        config: &RunConfig,
        resume: Resume,
        modes: impl Into<StreamModes>,
    ) -> RunHandle<S> {
        self.spawn_run(
            config,
            Start::Resume(resume),
            modes.into(),
            Background::default(),
        )
    }

    /// Like [`CompiledGraph::spawn`], with the run's id and buffer chosen by the caller.
    pub fn spawn_with(
        &self,
        input: S::Update,
        config: &RunConfig,
        modes: impl Into<StreamModes>,
        background: Background,
    ) -> RunHandle<S> {
        self.spawn_run(config, Start::Input(input), modes.into(), background)
    }

    fn spawn_run(
        &self,
        config: &RunConfig,
        start: Start<S>,
        modes: StreamModes,
        background: Background,
    ) -> RunHandle<S> {
        let (sink, rx) = streamed(config, modes);
        RunHandle::spawn(
            background.id.unwrap_or_else(RunId::random),
            config.thread.clone(),
            background.buffer,
            self.persistence.checkpointer.clone(),
            rx,
            self.execute(config, sink, start),
        )
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

    fn spawn_stream(
        &self,
        config: &RunConfig,
        start: Start<S>,
        modes: StreamModes,
    ) -> EventStream<S> {
        let (sink, rx) = streamed(config, modes);
        let handle = tokio::spawn(self.execute(config, sink, start));
        EventStream {
            events: rx,
            handle: Some(handle),
        }
    }

    /// The thread's state at its latest checkpoint (or the one `config` names): values, what
    /// runs next, pending interrupts and errors. The same as [`CompiledGraph::get_state_with`]
    /// and the default [`StateOptions`].
    pub async fn get_state(&self, config: &RunConfig) -> Result<StateSnapshot<S>> {
        self.get_state_with(config, StateOptions::default()).await
    }

    /// Like [`CompiledGraph::get_state`], reading more as `options` say: with `subgraphs`
    /// ([`StateOptions::subgraphs()`]), each planned task of a subgraph node that ran and
    /// stopped (paused on an interrupt inside it, failed, cut short) carries the subgraph's own state in
    /// [`TaskInfo::state`](crate::TaskInfo::state), its tasks carrying their subgraphs' in turn
    /// (LangGraph's `get_state(config, subgraphs=True)`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, InMemoryCheckpointer, RunConfig, START, State, StateGraph, StateOptions};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Doc {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut review = StateGraph::<Doc>::new();
    /// review.add_node("read", |_s: Arc<Doc>, _ctx: Ctx| async {
    ///     Ok(DocUpdate::default().log(vec!["read".to_owned()]))
    /// });
    /// review.add_node("sign", |_s: Arc<Doc>, ctx: Ctx| async move {
    ///     let ok: bool = ctx.interrupt("sign?")?;
    ///     Ok(DocUpdate::default().log(vec![format!("signed: {ok}")]))
    /// });
    /// review.add_edge(START, "read").add_edge("read", "sign");
    /// let mut doc = StateGraph::<Doc>::new();
    /// doc.add_subgraph("review", review.compile()?);
    /// doc.add_edge(START, "review");
    /// let doc = doc.compile()?.with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
    ///
    /// let cfg = RunConfig::thread("t");
    /// doc.invoke(DocUpdate::default(), &cfg).await?;
    /// let state = doc.get_state_with(&cfg, StateOptions::default().subgraphs(true)).await?;
    /// let inside = state.tasks[0].state.as_ref().expect("the subgraph paused");
    /// assert_eq!(inside.next, ["sign"]);
    /// assert_eq!(inside.interrupts[0].value, "sign?");
    /// assert_eq!(inside.values_as::<Doc>()?.log, ["read"]);
    /// # Ok(()) }
    /// ```
    pub async fn get_state_with(
        &self,
        config: &RunConfig,
        options: StateOptions,
    ) -> Result<StateSnapshot<S>> {
        Run::snapshot(
            Arc::clone(&self.plan),
            self.persistence.clone(),
            config,
            options,
        )
        .await
    }

    /// The state of the subgraph whose namespace `config` addresses ([`RunConfig::ns`]), at
    /// its checkpoint `config.checkpoint` (its latest without one): values as JSON, what runs
    /// next in it, its tasks and interrupts. A subgraph may have a state type of its own, so
    /// this is a [`SubgraphSnapshot`]; read its values with [`SubgraphSnapshot::values_as`].
    /// `options` apply to the subgraph's own subgraphs.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, HistoryQuery, InMemoryCheckpointer, RunConfig, START, State, StateGraph, StateOptions};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Doc {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut review = StateGraph::<Doc>::new();
    /// review.add_node("read", |_s: Arc<Doc>, _ctx: Ctx| async {
    ///     Ok(DocUpdate::default().log(vec!["read".to_owned()]))
    /// });
    /// review.add_edge(START, "read");
    /// let mut doc = StateGraph::<Doc>::new();
    /// doc.add_subgraph("review", review.compile()?);
    /// doc.add_edge(START, "review");
    /// let doc = doc.compile()?.with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
    /// let cfg = RunConfig::thread("t");
    /// doc.invoke(DocUpdate::default(), &cfg).await?;
    ///
    /// // The subgraph's namespace, from the parent's checkpoint that planned its task.
    /// let history = doc.get_state_history(&cfg, &HistoryQuery::default()).await?;
    /// let planned = history.iter().find(|m| m.next == ["review"]).expect("planned");
    /// let state = doc.get_state(&cfg.clone().at(planned.id)).await?;
    /// let ns = graph_core::Namespace::root().child(&"review".into(), state.tasks[0].id);
    /// let inside = doc.get_subgraph_state(&cfg.clone().namespace(ns), StateOptions::default()).await?;
    /// assert_eq!(inside.values_as::<Doc>()?.log, ["read"]);
    /// assert!(inside.next.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn get_subgraph_state(
        &self,
        config: &RunConfig,
        options: StateOptions,
    ) -> Result<SubgraphSnapshot> {
        let refuse = |reason: String| Error::Namespace {
            thread: config.thread.clone(),
            ns: config.ns.clone(),
            reason,
        };
        if self.persistence.checkpointer.is_none() {
            return Err(Error::NoCheckpointer("get_subgraph_state"));
        }
        let mut child: Option<Arc<dyn ChildGraph>> = None;
        for (node, _) in config.ns.levels() {
            let next = match &child {
                None => self
                    .plan
                    .index
                    .get(&node)
                    .and_then(|&i| self.plan.nodes[i].subgraph.clone()),
                Some(graph) => graph.child(&node),
            };
            child =
                Some(next.ok_or_else(|| {
                    refuse(format!("the graph has no subgraph node `{node}` there"))
                })?);
        }
        let Some(child) = child else {
            return Err(refuse(
                "get_subgraph_state needs a subgraph's namespace; use get_state for the root"
                    .to_owned(),
            ));
        };
        let snapshot = child
            .snapshot(ChildAddress {
                persistence: &self.persistence,
                thread: &config.thread,
                ns: &config.ns,
                checkpoint: config.checkpoint,
                subgraphs: options.subgraphs,
            })
            .await?;
        match (snapshot, config.checkpoint) {
            (Some(snapshot), _) => Ok(snapshot),
            (None, Some(checkpoint)) => Err(Error::CheckpointNotFound {
                thread: config.thread.clone(),
                checkpoint,
            }),
            (None, None) => Err(refuse("the namespace has no checkpoint".to_owned())),
        }
    }

    /// The checkpoints of the namespace `config` addresses ([`RunConfig::ns`]: the root
    /// graph's by default, or a subgraph's, LangGraph's `checkpoint_ns`), newest first,
    /// without their values.
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
            .list(&config.thread, &config.ns, query)
            .await
            .map_err(|source| Error::Storage {
                thread: config.thread.clone(),
                source,
            })
    }
}

/// A sink for a streamed run of `config`'s thread, and where its events arrive.
fn streamed<S: State>(
    config: &RunConfig,
    modes: StreamModes,
) -> (EventSink<S>, mpsc::Receiver<crate::stream::Event<S>>) {
    let (tx, rx) = mpsc::channel(256);
    let sink = EventSink {
        thread: config.thread.clone(),
        ns: Namespace::root(),
        tx: Some(tx),
        modes,
    };
    (sink, rx)
}
