//! [`Api`]: the served graphs, where threads, runs and store items are kept, and the runs in
//! flight, shared by every handler. Built with [`ApiBuilder`], frozen once built.

use std::sync::Arc;
use std::time::Duration;

use graph_core::Store;
use uuid::Uuid;

use crate::error::Error;
use crate::exclusion::{ThreadHold, ThreadLocks};
use crate::records::{RunStatus, RunStore};
use crate::runs::Runs;
use crate::served::ServedGraph;

/// The namespace of system assistants' ids: `uuid5(this, graph_id)`, as langgraph-api makes
/// them, so an id a client saved against LangGraph's server names the same graph here.
/// How long a run's process may go without a heartbeat ([`Api::tend`]) before, on a shared
/// store, another process takes it for dead and marks its runs interrupted.
pub const STALE_AFTER: Duration = Duration::from_secs(30);

const ASSISTANT_NAMESPACE: Uuid = Uuid::from_u128(0x6ba7b821_9dad_11d1_80b4_00c04fd430c8);

/// The system assistant id of a graph.
pub fn assistant_id(graph_id: &str) -> String {
    Uuid::new_v5(&ASSISTANT_NAMESPACE, graph_id.as_bytes()).to_string()
}

/// Builds an [`Api`].
pub struct ApiBuilder {
    graphs: Vec<Arc<dyn ServedGraph>>,
    runs: Arc<dyn RunStore>,
    items: Option<Arc<dyn Store>>,
    locks: Arc<ThreadLocks>,
    hold: Option<Arc<dyn ThreadHold>>,
    test_hooks: bool,
    retention: Duration,
}

/// How long a run's events are kept after it ended, unless told otherwise.
pub const DEFAULT_EVENT_RETENTION: Duration = Duration::from_secs(3600);

impl ApiBuilder {
    /// Serves `graph` too (its assistant is listed in the order graphs were added).
    pub fn graph(mut self, graph: impl ServedGraph) -> Self {
        self.graphs.push(Arc::new(graph));
        self
    }

    /// Serves the store endpoints from `store` (without one they answer 404).
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.items = Some(store);
        self
    }

    /// Shares these thread locks with whatever else runs graphs on the same threads, so their
    /// runs and this API's never interleave on one thread.
    pub fn locks(mut self, locks: Arc<ThreadLocks>) -> Self {
        self.locks = locks;
        self
    }

    /// Holds each run's thread across processes sharing the host's storage, as the host's
    /// own runners do ([`ThreadHold`]). Without it, runs are kept apart from the host's
    /// runners in this process only.
    pub fn hold(mut self, hold: Arc<dyn ThreadHold>) -> Self {
        self.hold = Some(hold);
        self
    }

    /// Keeps a run's events (for `join_stream` and `Last-Event-ID` replay) this long after it
    /// ended; its record and result stay. Default [`DEFAULT_EVENT_RETENTION`].
    pub fn event_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Enables test hooks: a run whose metadata has `test_cut_stream_after: n` has its first
    /// stream cut after `n` frames (to exercise reconnection).
    pub fn test_hooks(mut self, enabled: bool) -> Self {
        self.test_hooks = enabled;
        self
    }

    /// Freezes the settings. Two graphs with one id are refused.
    pub fn build(self) -> Result<Api, Error> {
        for (i, graph) in self.graphs.iter().enumerate() {
            if self.graphs[..i]
                .iter()
                .any(|g| g.graph_id() == graph.graph_id())
            {
                return Err(Error::Conflict(format!(
                    "graph `{}` is served twice",
                    graph.graph_id()
                )));
            }
        }
        let runs = Arc::new(Runs::new(
            Arc::clone(&self.runs),
            Arc::clone(&self.locks),
            self.hold,
            self.retention,
        ));
        Ok(Api {
            shared: Arc::new(Shared {
                locks: self.locks,
                admission: ThreadLocks::new(),
                graphs: self.graphs,
                store: self.runs,
                items: self.items,
                runs,
                test_hooks: self.test_hooks,
                started_ms: crate::now_ms(),
            }),
        })
    }
}

/// The API: cheap to clone, shared by the handlers ([`Api::router`]).
#[derive(Clone)]
pub struct Api {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    /// The locks runs hold while they run (shared with the host's own runners).
    pub(crate) locks: Arc<ThreadLocks>,
    /// Held briefly while a request reads and changes a thread's record (binding its graph,
    /// admitting a run, merging metadata), so two requests cannot interleave those steps.
    pub(crate) admission: ThreadLocks,
    pub(crate) graphs: Vec<Arc<dyn ServedGraph>>,
    pub(crate) store: Arc<dyn RunStore>,
    pub(crate) items: Option<Arc<dyn Store>>,
    pub(crate) runs: Arc<Runs>,
    pub(crate) test_hooks: bool,
    /// When the API was built: the system assistants' creation time.
    pub(crate) started_ms: i64,
}

impl Api {
    /// Starts building an API that keeps threads, runs and events in `runs`.
    pub fn builder(runs: Arc<dyn RunStore>) -> ApiBuilder {
        ApiBuilder {
            graphs: Vec::new(),
            runs,
            items: None,
            locks: Arc::new(ThreadLocks::new()),
            hold: None,
            test_hooks: false,
            retention: DEFAULT_EVENT_RETENTION,
        }
    }

    /// Marks the runs a stopped process left pending or running as `interrupted`: their
    /// threads keep what they checkpointed, and a run without input continues them. Call it
    /// once at startup, before serving. On a store other processes share, only the runs whose
    /// process stopped sending heartbeats [`STALE_AFTER`] ago count as left (see
    /// [`Api::tend`]). Returns how many were marked.
    pub async fn recover(&self) -> Result<usize, Error> {
        let store = &self.shared.store;
        let unfinished = if store.shared() {
            // Other processes' runs are live unless their heartbeats stopped.
            store.stale_runs(STALE_AFTER).await?
        } else {
            store.unfinished_runs().await?
        };
        for run in &unfinished {
            tracing::warn!(run = %run.run_id, thread = %run.thread_id,
                "a run was cut short by a stop; its thread can be resumed");
            store
                .set_run_status(&run.run_id, RunStatus::Interrupted, crate::now_ms())
                .await?;
        }
        Ok(unfinished.len())
    }

    /// On a store other processes share: records that this process's runs in flight are
    /// alive, then marks ended ([`Api::recover`]) the runs of processes whose heartbeats
    /// stopped [`STALE_AFTER`] ago, so a dead process's runs neither block their threads nor
    /// read as running. A host sharing its store calls this every couple of seconds, and well
    /// within [`STALE_AFTER`]; on a store no one shares it does nothing.
    pub async fn tend(&self) -> Result<usize, Error> {
        let store = &self.shared.store;
        if !store.shared() {
            return Ok(0);
        }
        let live = self.shared.runs.live_ids();
        if !live.is_empty() {
            store.heartbeat(&live).await?;
        }
        self.recover().await
    }

    /// Registers a thread that something else than this API runs `graph_id` on (a server's
    /// own turns), so clients can find and read it; `metadata` is stored with `graph_id` and
    /// `assistant_id`. A thread already registered is left as it is.
    pub async fn register_thread(
        &self,
        thread_id: &str,
        graph_id: &str,
        mut metadata: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), Error> {
        let graph = self.shared.graph(graph_id)?;
        metadata.insert("graph_id".into(), graph.graph_id().into());
        metadata.insert("assistant_id".into(), assistant_id(graph.graph_id()).into());
        let now = crate::now_ms();
        let record = crate::records::ThreadRecord {
            thread_id: thread_id.to_owned(),
            created_at_ms: now,
            updated_at_ms: now,
            metadata,
            graph_id: Some(graph.graph_id().to_owned()),
            status: crate::records::ThreadStatus::Idle,
        };
        self.shared.store.create_thread(&record).await.map(drop)
    }

    /// Waits until no run is under way (for shutdown).
    pub async fn idle(&self) {
        self.shared.runs.idle().await;
    }
}

impl Shared {
    /// The graph an assistant id (a system assistant's uuid or a graph id) names.
    pub(crate) fn graph(&self, assistant: &str) -> Result<Arc<dyn ServedGraph>, Error> {
        self.graphs
            .iter()
            .find(|g| g.graph_id() == assistant || assistant_id(g.graph_id()) == assistant)
            .cloned()
            .ok_or_else(|| Error::UnknownAssistant {
                given: assistant.to_owned(),
                known: self
                    .graphs
                    .iter()
                    .map(|g| g.graph_id())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The graph a thread's runs run, when it has run.
    pub(crate) fn graph_of(&self, graph_id: Option<&str>) -> Option<Arc<dyn ServedGraph>> {
        let id = graph_id?;
        self.graphs.iter().find(|g| g.graph_id() == id).cloned()
    }

    /// The store, or a 404 saying there is none.
    pub(crate) fn items(&self) -> Result<&Arc<dyn Store>, Error> {
        self.items
            .as_ref()
            .ok_or_else(|| Error::not_found("store", "this server has no store"))
    }
}
