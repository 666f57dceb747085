//! graph-core's composition features on SQLite, across a reopened file: a deferred node waiting
//! when the process stops still runs once after the restart, a join completes with a source
//! that ran before it, and an Overwrite saved by a task of a superstep cut short still wins.

use std::path::Path;
use std::sync::Arc;

use checkpoint::SqliteCheckpointer;
use graph_core::{
    CompiledGraph, Ctx, EventKind, NodeError, Overwrite, Resume, RunConfig, RunStatus, START,
    State, StateGraph,
};

#[derive(State, Clone, Default, Debug)]
struct Trace {
    #[state(append)]
    log: Vec<String>,
}

fn entry(name: &str) -> TraceUpdate {
    TraceUpdate::default().log(vec![name.to_owned()])
}

/// a → b1 → ask and a → c → agg (deferred): `ask` pauses, and only c's trigger, which waits
/// for ask's branch to end, will ever run agg.
fn deferred_graph(path: &Path) -> CompiledGraph<Trace> {
    let mut graph = StateGraph::<Trace>::new();
    for name in ["a", "b1", "c"] {
        graph.add_node(name, move |_s: Arc<Trace>, _ctx: Ctx| async move {
            Ok(entry(name))
        });
    }
    graph.add_node("ask", |_s: Arc<Trace>, ctx: Ctx| async move {
        let answer: String = ctx.interrupt("go on?")?;
        Ok::<_, NodeError>(entry(&format!("ask:{answer}")))
    });
    graph
        .add_node("agg", |_s: Arc<Trace>, _ctx: Ctx| async {
            Ok(entry("agg"))
        })
        .defer();
    graph
        .add_edge(START, "a")
        .add_edge("a", "b1")
        .add_edge("b1", "ask")
        .add_edge("a", "c")
        .add_edge("c", "agg");
    let store = SqliteCheckpointer::open(path).expect("open");
    graph
        .compile()
        .expect("compile")
        .with_checkpointer(Arc::new(store))
}

#[tokio::test]
async fn a_deferred_node_waiting_at_a_restart_runs_once() {
    let path = crate::temp_db("deferred");
    let config = RunConfig::thread("t");
    {
        let graph = deferred_graph(&path);
        let out = graph.invoke(TraceUpdate::default(), &config).await.unwrap();
        assert!(
            matches!(out.status, RunStatus::Interrupted(_)),
            "{:?}",
            out.status
        );
        assert_eq!(out.state.log, ["a", "b1", "c"]);
    }
    let graph = deferred_graph(&path);
    let out = graph.resume(&config, Resume::value("yes")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["a", "b1", "c", "ask:yes", "agg"]);
    assert_eq!(out.executed, ["ask", "agg"]);
}

/// a ∥ b, b → ask (which pauses), and a join [a, ask] → done.
fn join_graph(path: &Path) -> CompiledGraph<Trace> {
    let mut graph = StateGraph::<Trace>::new();
    for name in ["a", "b", "done"] {
        graph.add_node(name, move |_s: Arc<Trace>, _ctx: Ctx| async move {
            Ok(entry(name))
        });
    }
    graph.add_node("ask", |_s: Arc<Trace>, ctx: Ctx| async move {
        let answer: String = ctx.interrupt("go on?")?;
        Ok::<_, NodeError>(entry(&format!("ask:{answer}")))
    });
    graph
        .add_edge(START, "a")
        .add_edge(START, "b")
        .add_edge("b", "ask")
        .add_join_edge(["a", "ask"], "done");
    let store = SqliteCheckpointer::open(path).expect("open");
    graph
        .compile()
        .expect("compile")
        .with_checkpointer(Arc::new(store))
}

#[tokio::test]
async fn a_join_completes_after_a_restart_with_a_source_from_before_it() {
    let path = crate::temp_db("join");
    let config = RunConfig::thread("t");
    {
        let graph = join_graph(&path);
        let out = graph.invoke(TraceUpdate::default(), &config).await.unwrap();
        assert!(
            matches!(out.status, RunStatus::Interrupted(_)),
            "{:?}",
            out.status
        );
    }
    let graph = join_graph(&path);
    let out = graph.resume(&config, Resume::value("yes")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["a", "b", "ask:yes", "done"]);
}

/// a overwrites the log with ["a"] while z, in the same superstep, appends "z" (or hangs).
fn overwrite_graph(path: &Path, z_hangs: bool) -> CompiledGraph<Trace> {
    let mut graph = StateGraph::<Trace>::new();
    graph.add_node("a", |_s: Arc<Trace>, _ctx: Ctx| async {
        Ok(TraceUpdate::default().log(Overwrite(vec!["a".to_owned()])))
    });
    graph.add_node("z", move |_s: Arc<Trace>, _ctx: Ctx| async move {
        if z_hangs {
            std::future::pending::<()>().await;
        }
        Ok(entry("z"))
    });
    graph.add_edge(START, "a").add_edge(START, "z");
    let store = SqliteCheckpointer::open(path).expect("open");
    graph
        .compile()
        .expect("compile")
        .with_checkpointer(Arc::new(store))
}

#[tokio::test]
async fn an_overwrite_saved_before_a_crash_wins_after_the_restart() {
    let path = crate::temp_db("overwrite");
    let config = RunConfig::thread("t");
    {
        let graph = overwrite_graph(&path, true);
        let mut stream = graph.stream(entry("in"), &config, graph_core::StreamModes::ALL);
        while let Some(event) = stream.next().await {
            if matches!(event.kind, EventKind::TaskEnd { .. })
                && event.node.as_ref().is_some_and(|n| n == "a")
            {
                break;
            }
        }
    }
    let graph = overwrite_graph(&path, false);
    let out = graph.resume(&config, Resume::Continue).await.unwrap();
    assert_eq!(out.executed, ["z"]);
    assert_eq!(out.state.log, ["a"]);
    let again = overwrite_graph(&path, false);
    assert_eq!(again.get_state(&config).await.unwrap().values.log, ["a"]);
}
