//! Conditional edges of a task alone in its superstep are taken on the state after the
//! superstep (exactly the starting state plus that task's update) instead of on a copy of the
//! state: the router sees the same thing, and a router that fails still fails the task.

use std::sync::Arc;

use graph_core::{Ctx, Durability, END, Error, Resume, RunConfig, START, StateGraph};

use crate::{Calls, Log, LogUpdate, append, memory, push};

#[tokio::test]
async fn a_lone_tasks_router_sees_its_own_update_and_loops_on_it() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("count", |s: Arc<Log>, _ctx: Ctx| async move {
        Ok(LogUpdate::default()
            .n(1u32)
            .log(vec![format!("n={}", s.n + 1)]))
    });
    g.add_node("done", append("done"));
    g.add_edge(START, "count");
    // Without its own update the router would see n one behind and loop once more.
    g.add_conditional_edge("count", ["count", "done"], |s: &Log| {
        if s.n >= 3 { "done" } else { "count" }
    });
    g.add_edge("done", END);
    let g = g.compile().unwrap().with_checkpointer(memory());
    let out = g.invoke(push("in"), &RunConfig::thread("t")).await.unwrap();
    assert_eq!(out.state.log, ["in", "n=1", "n=2", "n=3", "done"]);
    assert_eq!(out.state.n, 3);
}

#[tokio::test]
async fn a_lone_tasks_failing_router_fails_the_task_and_stores_nothing_of_its_update() {
    for durability in [Durability::Sync, Durability::Exit] {
        let calls = Calls::default();
        let counted = calls.clone();
        let mut g = StateGraph::<Log>::new();
        g.add_node("write", move |_s: Arc<Log>, _ctx: Ctx| {
            counted.hit();
            async { Ok(LogUpdate::default().x(7).log(vec!["write".into()])) }
        });
        g.add_node("other", append("other"));
        g.add_edge(START, "write");
        g.add_conditional_edge("write", ["other"], |s: &Log| -> &'static str {
            assert!(s.x != 7, "no route for x = {}", s.x);
            "other"
        });
        let g = g.compile().unwrap().with_checkpointer(memory());
        let cfg = RunConfig::thread("t").durability(durability);
        let err = g.invoke(push("in"), &cfg).await.unwrap_err();
        match &err {
            Error::Route { node, reason, .. } => {
                assert_eq!(node.as_str(), "write");
                assert!(reason.contains("no route for x = 7"), "{reason}");
            }
            other => panic!("expected a routing error, got {other}"),
        }
        let state = g.get_state(&RunConfig::thread("t")).await.unwrap();
        assert_eq!(state.values.log, ["in"], "{durability:?}");
        assert_eq!(state.values.x, 0);
        let next: Vec<_> = state.next.iter().map(|n| n.as_str()).collect();
        assert_eq!(next, ["write"]);
        let task = &state.tasks[0];
        assert!(!task.finished);
        assert!(
            task.error
                .as_deref()
                .unwrap_or("")
                .contains("no route for x = 7"),
            "{durability:?}: {:?}",
            task.error
        );
        // A resume runs the task again (its output was never saved), and fails the same way.
        let again = g.resume(&cfg, Resume::Continue).await.unwrap_err();
        assert!(matches!(again, Error::Route { .. }));
        assert_eq!(calls.get(), 2);
    }
}

#[tokio::test]
async fn a_lone_tasks_edges_are_taken_once_whatever_the_durability() {
    for durability in [Durability::Sync, Durability::Async, Durability::Exit] {
        let routed = Calls::default();
        let counted = routed.clone();
        let mut g = StateGraph::<Log>::new();
        g.add_node("plan", append("plan"));
        g.add_push_node("worker", |i: u32, _ctx: Ctx| async move {
            Ok::<_, graph_core::NodeError>(push(format!("worker {i}")))
        });
        g.add_edge(START, "plan");
        g.add_conditional_edge("plan", ["worker"], move |_s: &Log| {
            counted.hit();
            (0..3u32)
                .map(|i| graph_core::Push::new("worker", &i))
                .collect::<Vec<_>>()
        });
        let g = g.compile().unwrap().with_checkpointer(memory());
        let cfg = RunConfig::thread("t").durability(durability);
        let out = g.invoke(push("in"), &cfg).await.unwrap();
        assert_eq!(routed.get(), 1, "{durability:?}");
        assert_eq!(
            out.state.log,
            ["in", "plan", "worker 0", "worker 1", "worker 2"],
            "{durability:?}"
        );
    }
}
