//! Background runs on SQLite: a run cancelled at any point, with its writes still queued to
//! the writer, is followed at once by a resume on the same thread. The cancelled run ends only
//! after the writer's barrier, so the resume never reads the thread before those writes land
//! (which would make it store a checkpoint id that already exists), and it reaches the state an
//! uncancelled run reaches.

use std::sync::Arc;

use checkpoint::SqliteCheckpointer;
use graph_core::{
    CompiledGraph, Ctx, Resume, RunConfig, RunPhase, START, State, StateGraph, StreamModes,
};

#[derive(State, Clone, Default, Debug, PartialEq)]
struct Steps {
    #[state(append)]
    log: Vec<String>,
}

/// START → a and b in parallel → c → d: every superstep stores writes and a checkpoint.
fn graph(store: Arc<SqliteCheckpointer>) -> CompiledGraph<Steps> {
    let mut g = StateGraph::<Steps>::new();
    for name in ["a", "b", "c", "d"] {
        g.add_node(name, move |_s: Arc<Steps>, _ctx: Ctx| async move {
            tokio::task::yield_now().await;
            Ok(StepsUpdate::default().log(vec![name.to_owned()]))
        });
    }
    g.add_edge(START, "a")
        .add_edge(START, "b")
        .add_edge("a", "c")
        .add_edge("b", "c")
        .add_edge("c", "d");
    g.compile().unwrap().with_checkpointer(store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_right_after_a_cancel_continues_exactly() {
    let store = Arc::new(SqliteCheckpointer::open(crate::temp_db("cancel")).unwrap());
    let g = graph(store);
    let mut cancelled = 0;
    for round in 0..60u32 {
        let cfg = RunConfig::thread(format!("t{round}"));
        let input = StepsUpdate::default().log(vec!["in".to_owned()]);
        let handle = g.spawn(input, &cfg, StreamModes::NONE);
        // Cancel at a different point of the run each round.
        for _ in 0..round % 12 {
            tokio::task::yield_now().await;
        }
        handle.cancel();
        if handle.ended().await == RunPhase::Cancelled {
            cancelled += 1;
        }
        let out = match g.get_state(&cfg).await.unwrap().checkpoint {
            None => g
                .invoke(StepsUpdate::default().log(vec!["in".to_owned()]), &cfg)
                .await
                .unwrap(),
            Some(_) => g.resume(&cfg, Resume::Continue).await.unwrap(),
        };
        assert_eq!(out.state.log, ["in", "a", "b", "c", "d"], "round {round}");
    }
    assert!(cancelled > 0, "no round cancelled a run before it ended");
}
