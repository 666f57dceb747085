//! LangGraph's HTTP API on this server (the `agent-protocol` crate): the hotel agent as graph
//! `hotel`, the `approval` sample, and with `AGENT_TEST_GRAPHS=1` the `sleepy` sample and the
//! API's test hooks. Threads, runs and events live in the same SQLite file ([`runs_db`]), or in
//! the shared Postgres database ([`runs_pg`]), through which replicas follow, cancel and admit
//! each other's runs; the store is the agent's long-term store; runs share the agent's
//! per-thread locks, so an SDK run and a guest's turn on one thread never interleave.

mod runs_db;
mod runs_pg;

pub(crate) use runs_db::SqliteRunStore;
pub(crate) use runs_pg::PgRunStore;

use std::sync::Arc;

use agent_protocol::{Api, RunStore, Served, samples};

use crate::Error;
use crate::agent::{Agent, HOTEL_GRAPH, Hold};
use crate::config::Config;
use crate::db::Queue;

/// Builds the API over the agent's graph, checkpointer and store, and marks runs a previous
/// process left unfinished.
pub(crate) async fn open(
    config: &Config,
    agent: &Agent,
    runs: Arc<dyn RunStore>,
    queue: Arc<dyn Queue>,
) -> Result<Api, Error> {
    // Replicas sharing the database: runs hold their thread as the server's turns do.
    let hold = runs.shared().then(|| Hold {
        queue,
        lease: config.guest_lease(),
    });
    let checkpointer = Arc::clone(agent.checkpointer());
    let startup =
        |what: &str, e: graph_core::BuildError| Error::Startup(format!("the {what} graph: {e}"));
    let approval = samples::approval_graph()
        .map_err(|e| startup("approval", e))?
        .with_checkpointer(Arc::clone(&checkpointer));
    let mut builder = Api::builder(runs)
        .graph(Served::new(HOTEL_GRAPH, agent.graph().clone()))
        .graph(Served::new("approval", approval))
        .store(agent.long_term_store())
        .locks(agent.locks())
        .test_hooks(config.agent_test_graphs);
    if let Some(hold) = hold {
        builder = builder.hold(Arc::new(hold));
    }
    if config.agent_test_graphs {
        let sleepy = samples::sleepy_graph()
            .map_err(|e| startup("sleepy", e))?
            .with_checkpointer(checkpointer);
        builder = builder.graph(Served::new("sleepy", sleepy));
    }
    let api = builder
        .build()
        .map_err(|e| Error::Startup(format!("the agent protocol: {e}")))?;
    let marked = api
        .recover()
        .await
        .map_err(|e| Error::Startup(format!("the agent protocol's runs: {e}")))?;
    agent.register_threads_with(api.clone());
    if marked > 0 {
        tracing::warn!(
            runs = marked,
            "runs cut short by the last stop were marked interrupted"
        );
    }
    Ok(api)
}

/// On a database replicas share: every 2 s, records this replica's API runs as alive and marks
/// ended the runs of replicas that died ([`Api::tend`]), until `stop`.
pub(crate) fn tend(
    api: Api,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                _ = stop.wait_for(|stop| *stop) => return,
            }
            match api.tend().await {
                Ok(0) => {}
                Ok(marked) => tracing::warn!(
                    runs = marked,
                    "runs of a replica that stopped were marked interrupted"
                ),
                Err(e) => tracing::warn!(error = %e, "keeping the API's runs alive"),
            }
        }
    })
}
