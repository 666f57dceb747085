//! Background runs: a handle with an id, a phase and an explicit cancel; subscribers who join
//! late and replay from an event id; a bounded buffer; and a cancelled run whose resume
//! continues exactly, without re-running a task that had finished.

use std::sync::Arc;
use std::time::Duration;

use graph_core::{
    Background, Ctx, Error, EventKind, Resume, RunConfig, RunPhase, START, StateGraph, StreamMode,
    StreamModes,
};
use tokio::sync::Notify;

use crate::{Calls, Log, append, chain, memory, push};

/// START → wait → done, where `wait` holds until `go` is notified.
fn gated(go: Arc<Notify>) -> graph_core::CompiledGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    g.add_node("wait", move |_s: Arc<Log>, _ctx: Ctx| {
        let go = Arc::clone(&go);
        async move {
            go.notified().await;
            Ok(push("wait"))
        }
    });
    g.add_node("done", append("done"));
    g.add_edge(START, "wait").add_edge("wait", "done");
    g.compile().unwrap().with_checkpointer(memory())
}

fn describe(kind: &EventKind<Log>) -> String {
    match kind {
        EventKind::Values(s) => format!("values {}", s.log.join(",")),
        EventKind::Update(_) => "update".into(),
        EventKind::End => "end".into(),
        other => format!("{:?}", other.mode()),
    }
}

#[tokio::test]
async fn subscribers_join_late_replay_from_an_id_and_outlive_the_handle() {
    let go = Arc::new(Notify::new());
    let g = gated(Arc::clone(&go));
    let handle = g.spawn(push("in"), &RunConfig::thread("t"), StreamMode::Values);
    assert_eq!(handle.id().as_str().len(), 36);
    assert_eq!(handle.phase(), RunPhase::Running);
    let mut early = handle.subscribe(None);
    let first = early.next().await.unwrap();
    assert_eq!(
        (first.id, describe(&first.event.kind)),
        (1, "values in".into())
    );

    // Dropping a subscriber, and then the handle, leaves the run running.
    drop(early);
    let mut resumed = handle.subscribe(Some(1));
    let mut late = handle.subscribe(None);
    drop(handle);
    go.notify_one();
    let mut seen = Vec::new();
    while let Some(event) = resumed.next().await {
        seen.push((event.id, describe(&event.event.kind)));
    }
    assert_eq!(
        seen,
        [
            (2, "values in,wait".to_owned()),
            (3, "values in,wait,done".to_owned()),
            (4, "end".to_owned()),
        ]
    );
    let mut all = Vec::new();
    while let Some(event) = late.next().await {
        all.push(event.id);
    }
    assert_eq!(all, [1, 2, 3, 4]);
    assert_eq!(late.missed(), 0);
    let state = g.get_state(&RunConfig::thread("t")).await.unwrap();
    assert_eq!(state.values.log, ["in", "wait", "done"]);
    assert!(state.next.is_empty());
}

#[tokio::test]
async fn the_buffer_keeps_the_latest_events_and_says_how_many_a_subscriber_missed() {
    let g = chain().compile().unwrap();
    let handle = g.spawn_with(
        push("in"),
        &RunConfig::thread("t"),
        StreamModes::ALL,
        Background::default().id("run-1").buffer(3),
    );
    assert_eq!(handle.id().as_str(), "run-1");
    assert_eq!(handle.ended().await, RunPhase::Succeeded);
    let mut sub = handle.subscribe(None);
    let mut ids = Vec::new();
    let mut last = None;
    while let Some(event) = sub.next().await {
        ids.push(event.id);
        last = Some(event.event.kind);
    }
    assert_eq!(ids.len(), 3);
    assert!(matches!(last, Some(EventKind::End)));
    assert_eq!(sub.missed(), ids[0] - 1);
    let out = handle.join().await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "b", "c"]);
}

#[tokio::test]
async fn a_run_cancelled_mid_superstep_resumes_without_rerunning_its_finished_task() {
    let fast_calls = Calls::default();
    let go = Arc::new(Notify::new());
    let build = |fast_calls: Calls, go: Arc<Notify>| {
        let mut g = StateGraph::<Log>::new();
        g.add_node("fast", move |_s: Arc<Log>, _ctx: Ctx| {
            fast_calls.hit();
            async { Ok(push("fast")) }
        });
        g.add_node("slow", move |_s: Arc<Log>, _ctx: Ctx| {
            let go = Arc::clone(&go);
            async move {
                go.notified().await;
                Ok(push("slow"))
            }
        });
        g.add_node("after", append("after"));
        g.add_edge(START, "fast")
            .add_edge(START, "slow")
            .add_edge("fast", "after")
            .add_edge("slow", "after");
        g
    };
    let g = build(fast_calls.clone(), Arc::clone(&go))
        .compile()
        .unwrap()
        .with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let handle = g.spawn(push("in"), &cfg, StreamMode::Updates);
    let mut sub = handle.subscribe(None);
    // `fast` has finished (its update is out) while `slow` still waits: mid-superstep.
    let update = sub.next().await.unwrap();
    assert_eq!(update.event.node.unwrap().as_str(), "fast");
    handle.cancel();
    let phase = tokio::time::timeout(Duration::from_secs(10), handle.ended())
        .await
        .expect("a cancelled run ends");
    assert_eq!(phase, RunPhase::Cancelled);
    let mut rest = Vec::new();
    while let Some(event) = sub.next().await {
        rest.push(describe(&event.event.kind));
    }
    assert!(rest.is_empty(), "{rest:?}");
    let id = handle.id().clone();
    match handle.join().await {
        Err(Error::Cancelled { run, .. }) => assert_eq!(run, id),
        other => panic!(
            "expected a cancelled run, got {:?}",
            other.map(|o| o.status)
        ),
    }

    // The resume re-runs only the unfinished task and reaches the state an uncancelled run
    // reaches.
    let paused = g.get_state(&cfg).await.unwrap();
    assert_eq!(paused.values.log, ["in"]);
    go.notify_one();
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["in", "fast", "slow", "after"]);
    assert_eq!(fast_calls.get(), 1);

    let go_now = Arc::new(Notify::new());
    go_now.notify_one();
    let reference = build(Calls::default(), go_now)
        .compile()
        .unwrap()
        .invoke(push("in"), &RunConfig::thread("r"))
        .await
        .unwrap();
    assert_eq!(out.state, reference.state);
}

#[tokio::test]
async fn cancel_after_the_end_changes_nothing() {
    let g = chain().compile().unwrap();
    let handle = g.spawn(push("in"), &RunConfig::thread("t"), StreamModes::NONE);
    assert_eq!(handle.ended().await, RunPhase::Succeeded);
    handle.cancel();
    assert_eq!(handle.phase(), RunPhase::Succeeded);
    assert_eq!(
        handle.join().await.unwrap().state.log,
        ["in", "a", "b", "c"]
    );
}
