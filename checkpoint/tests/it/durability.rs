//! `Durability::Async` on SQLite: a sequential run hands each checkpoint to the writer and goes
//! on, and the writer holds checkpoints nobody waits for yet until the run's next ones join them
//! (or the run waits at its end), so a run's checkpoints are stored in one transaction: one
//! commit (fsync, at `synchronous=FULL`) per run instead of `Durability::Sync`'s one per
//! superstep, with the same checkpoints stored.

use std::sync::Arc;

use checkpoint::SqliteCheckpointer;
use graph_core::{
    CompiledGraph, Ctx, Durability, HistoryQuery, RunConfig, START, State, StateGraph,
};

#[derive(State, Clone, Default, Debug, PartialEq)]
struct Chain {
    #[state(append)]
    log: Vec<String>,
}

const NODES: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

fn chain(store: Arc<SqliteCheckpointer>) -> CompiledGraph<Chain> {
    let mut g = StateGraph::<Chain>::new();
    for name in NODES {
        g.add_node(name, move |_s: Arc<Chain>, _ctx: Ctx| async move {
            Ok(ChainUpdate::default().log(vec![name.to_owned()]))
        });
    }
    g.add_edge(START, NODES[0]);
    for pair in NODES.windows(2) {
        g.add_edge(pair[0], pair[1]);
    }
    g.compile().unwrap().with_checkpointer(store)
}

/// Commits per run of the chain, over `runs` runs on fresh threads.
async fn commits_per_run(durability: Durability, runs: u32) -> f64 {
    let store = Arc::new(SqliteCheckpointer::open(crate::temp_db("durability")).unwrap());
    let g = chain(Arc::clone(&store));
    let before = store.commits();
    for run in 0..runs {
        let cfg = RunConfig::thread(format!("t{run}")).durability(durability);
        let input = ChainUpdate::default().log(vec!["in".to_owned()]);
        let out = g.invoke(input, &cfg).await.unwrap();
        assert_eq!(out.state.log.len(), 1 + NODES.len());
        // Every superstep's checkpoint is stored, and stored before the run returned.
        let history = g
            .get_state_history(
                &RunConfig::thread(format!("t{run}")),
                &HistoryQuery::default(),
            )
            .await
            .unwrap();
        assert_eq!(history.len(), 1 + NODES.len(), "{durability:?}");
    }
    (store.commits() - before) as f64 / f64::from(runs)
}

// On two workers, as a server runs: the run's last waits race the writer's replies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_run_stores_its_checkpoints_in_one_commit() {
    let sync = commits_per_run(Durability::Sync, 10).await;
    let pipelined = commits_per_run(Durability::Async, 50).await;
    eprintln!("commits per run of 7 checkpoints: sync {sync}, async {pipelined}");
    // Sync commits each of the 7 checkpoints on its own.
    assert!(sync >= 7.0, "sync: {sync} commits per run");
    // One per run; a run descheduled for over a millisecond on a busy machine may take two.
    assert!(
        pipelined <= 1.5,
        "async: {pipelined} commits per run, sync: {sync}"
    );
}

/// Bytes of stored values in the file at `path`.
fn stored_bytes(path: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT SUM(LENGTH(value)) FROM gc_values", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn an_async_run_stores_a_growing_list_as_deltas_as_a_sync_one_does() {
    let mut sizes = Vec::new();
    for durability in [Durability::Sync, Durability::Async] {
        let path = crate::temp_db("deltas");
        let store = Arc::new(SqliteCheckpointer::open(&path).unwrap());
        let g = chain(Arc::clone(&store));
        // Thirty runs on one thread: the list grows to 30 × 7 entries.
        for _ in 0..30 {
            let cfg = RunConfig::thread("grows").durability(durability);
            let input = ChainUpdate::default().log(vec!["in".to_owned()]);
            g.invoke(input, &cfg).await.unwrap();
        }
        drop(g);
        drop(store);
        sizes.push(stored_bytes(&path));
    }
    // Whole-list snapshots at every superstep would store about 100 times more.
    assert!(
        sizes[1] <= sizes[0] * 3 / 2,
        "sync {} B, async {} B",
        sizes[0],
        sizes[1]
    );
}
