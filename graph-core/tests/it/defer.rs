//! Deferred nodes: a triggered deferred node waits while any other task is planned and then runs
//! once (LangGraph's `defer=True`), and its trigger lives in the checkpoint, so it survives a
//! pause, a crash mid-superstep and a breakpoint.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use graph_core::Namespace;
use graph_core::{
    Breakpoint, Checkpointer, Command, Ctx, EventKind, HistoryQuery, NodeError, NodeId, Push,
    Resume, RunConfig, RunStatus, START, StateGraph,
};
use serde_json::json;

use crate::{Calls, Log, LogUpdate, append, memory, push};

/// The node names of `names`, for comparing with `next` and `executed`.
fn ids(names: &[&str]) -> Vec<NodeId> {
    names.iter().map(|&n| NodeId::from(n)).collect()
}

/// A node as a plain function, so tests can swap one node of a graph.
type NodeFn = fn(Arc<Log>, Ctx) -> BoxFuture<'static, Result<LogUpdate, NodeError>>;

/// LangGraph's uneven branches: a → b1 → b2 → agg and a → c → agg. `b2` is given by the caller;
/// `agg` counts its runs and is deferred when `defer` is set.
fn uneven(defer: bool, agg: Calls, b2: NodeFn) -> StateGraph<Log> {
    let mut g = branches(defer, agg, b2);
    g.add_edge("b2", "agg");
    g
}

/// a → b1 → b2 and a → c → agg: only c triggers agg, so once c has run, the trigger that waits
/// for b2's branch to end is the only thing that will ever run agg.
fn branches(defer: bool, agg: Calls, b2: NodeFn) -> StateGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    for name in ["a", "b1", "c"] {
        g.add_node(name, append(name));
    }
    g.add_node("b2", b2);
    let options = g.add_node("agg", move |_s: Arc<Log>, _c: Ctx| {
        agg.hit();
        async { Ok(push("agg")) }
    });
    if defer {
        options.defer();
    }
    g.add_edge(START, "a")
        .add_edge("a", "b1")
        .add_edge("b1", "b2")
        .add_edge("a", "c")
        .add_edge("c", "agg");
    g
}

fn plain_b2(_s: Arc<Log>, _c: Ctx) -> BoxFuture<'static, Result<LogUpdate, NodeError>> {
    Box::pin(async { Ok(push("b2")) })
}

#[tokio::test]
async fn a_deferred_node_waits_for_the_longer_branch_and_runs_once() {
    let agg = Calls::default();
    let g = uneven(true, agg.clone(), plain_b2)
        .compile()
        .unwrap()
        .with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["a", "b1", "c", "b2", "agg"]);
    assert_eq!(out.executed, ids(&["a", "b1", "c", "b2", "agg"]));
    assert_eq!(agg.get(), 1);

    // agg is never planned beside another task: it is not `next` until b2 has run.
    let history = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    let next: Vec<Vec<NodeId>> = history.iter().rev().map(|m| m.next.clone()).collect();
    assert_eq!(
        next,
        [
            ids(&["a"]),
            ids(&["b1", "c"]),
            ids(&["b2"]),
            ids(&["agg"]),
            ids(&[]),
        ]
    );
}

#[tokio::test]
async fn without_defer_the_fan_in_runs_once_per_branch() {
    let agg = Calls::default();
    let out = uneven(false, agg.clone(), plain_b2)
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["a", "b1", "c", "agg", "b2", "agg"]);
    assert_eq!(agg.get(), 2);
}

#[tokio::test]
async fn pending_pushes_hold_a_deferred_entry_node_back() {
    // START → fan (which pushes two workers) and START → agg (deferred): agg runs after the
    // workers, although it was triggered first.
    let mut g = StateGraph::<Log>::new();
    g.add_node("fan", |_s: Arc<Log>, _c: Ctx| async {
        Ok(Command::<Log>::update(push("fan"))
            .and_goto(vec![Push::new("work", &1), Push::new("work", &2)]))
    })
    .destinations(["work"]);
    g.add_push_node("work", |n: u32, _c: Ctx| async move {
        Ok(push(format!("work{n}")))
    });
    g.add_node("agg", append("agg")).defer();
    g.add_edge(START, "fan").add_edge(START, "agg");
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["fan", "work1", "work2", "agg"]);
}

#[tokio::test]
async fn a_deferred_node_runs_again_when_triggered_after_it_ran() {
    // "Once" is per wait: loop → agg (deferred) → loop twice runs agg twice, each time after
    // loop's branch is done.
    let mut g = StateGraph::<Log>::new();
    g.add_node("start", append("start"));
    g.add_node("side", append("side"));
    g.add_node("agg", append("agg")).defer();
    g.add_edge(START, "start")
        .add_edge("start", "agg")
        .add_edge("start", "side");
    g.add_conditional_edge("agg", ["start".into(), graph_core::END], |s: &Log| {
        if s.log.iter().filter(|e| *e == "agg").count() < 2 {
            "start".into()
        } else {
            graph_core::END
        }
    });
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(
        out.state.log,
        ["start", "side", "agg", "start", "side", "agg"]
    );
}

#[tokio::test]
async fn a_deferred_node_waiting_through_an_interrupt_runs_once_after_resume() {
    let agg = Calls::default();
    let g = branches(true, agg.clone(), |_s, ctx| {
        Box::pin(async move {
            let answer: String = ctx.interrupt("go on?")?;
            Ok(push(format!("b2:{answer}")))
        })
    })
    .compile()
    .unwrap()
    .with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert!(
        matches!(out.status, RunStatus::Interrupted(_)),
        "{:?}",
        out.status
    );
    assert_eq!(g.get_state(&cfg).await.unwrap().next, ids(&["b2"]));
    assert_eq!(agg.get(), 0);

    let out = g.resume(&cfg, Resume::value("yes")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["a", "b1", "c", "b2:yes", "agg"]);
    assert_eq!(out.executed, ids(&["b2", "agg"]));
    assert_eq!(agg.get(), 1);
}

#[tokio::test]
async fn a_deferred_trigger_survives_a_crash_mid_superstep() {
    // b2 hangs and the run is dropped while agg waits; a new process resumes from the store.
    let store = memory();
    let agg = Calls::default();
    let hanging = branches(true, agg.clone(), |_s, _c| {
        Box::pin(async {
            std::future::pending::<()>().await;
            Ok(push("never"))
        })
    })
    .compile()
    .unwrap()
    .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let mut stream = hanging.stream(LogUpdate::default(), &cfg, graph_core::StreamModes::ALL);
    while let Some(event) = stream.next().await {
        if matches!(event.kind, EventKind::TaskStart { .. })
            && event.node.as_ref().is_some_and(|n| n == "b2")
        {
            break;
        }
    }
    drop(stream);

    // What waits is stored, by name, with the checkpoint b2's superstep starts from.
    let head = store
        .get(&cfg.thread, &Namespace::root(), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.meta.next, ids(&["b2"]));
    let frontier: serde_json::Value = serde_json::from_slice(&head.frontier).unwrap();
    assert_eq!(frontier["deferred"], json!(["agg"]));

    let g = branches(true, agg.clone(), plain_b2)
        .compile()
        .unwrap()
        .with_checkpointer(store);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["a", "b1", "c", "b2", "agg"]);
    assert_eq!(out.executed, ids(&["b2", "agg"]));
    assert_eq!(agg.get(), 1);
}

#[tokio::test]
async fn a_breakpoint_before_a_deferred_node_stops_when_it_is_released() {
    let mut g = StateGraph::<Log>::new();
    for name in ["a", "b1", "b2", "c"] {
        g.add_node(name, append(name));
    }
    g.add_node("agg", append("agg")).defer().interrupt_before();
    g.add_edge(START, "a")
        .add_edge("a", "b1")
        .add_edge("b1", "b2")
        .add_edge("b2", "agg")
        .add_edge("a", "c")
        .add_edge("c", "agg");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert_eq!(
        out.status,
        RunStatus::Breakpoint {
            kind: Breakpoint::Before,
            next: ids(&["agg"])
        }
    );
    assert_eq!(out.state.log, ["a", "b1", "c", "b2"]);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["a", "b1", "c", "b2", "agg"]);
}
