//! Node defaults (`StateGraph::node_defaults`): every node without its own retry policy, timeout
//! or error handler takes the graph's, a node's own wins, a subgraph keeps its own; and the
//! failures a handler is told about, by kind.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_core::{Ctx, END, FailureKind, NodeDefaults, NodeFailure, RunConfig, START, StateGraph};

use crate::error_handler::{failing, quick_retries};
use crate::{Calls, Log, LogUpdate, push};

#[tokio::test(start_paused = true)]
async fn timeouts_and_panics_are_handled_and_say_which_they_were() {
    let told = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&told);
    let mut g = StateGraph::<Log>::new();
    g.node_defaults(NodeDefaults::new().on_error(
        move |_s: Arc<Log>, failure: NodeFailure, _c: Ctx| {
            seen.lock().unwrap().push(failure.clone());
            async move { Ok(push(format!("{} handled", failure.node))) }
        },
    ));
    g.add_node("slow", |_s: Arc<Log>, _c: Ctx| async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok(())
    })
    .timeout(Duration::from_secs(1));
    g.add_node("buggy", |_s: Arc<Log>, _c: Ctx| async {
        if true {
            panic!("kaboom");
        }
        Ok(())
    });
    g.add_edge(START, "slow").add_edge(START, "buggy");
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["buggy handled", "slow handled"]);
    let mut told: Vec<_> = told
        .lock()
        .unwrap()
        .iter()
        .map(|f| (f.node.to_string(), f.message.clone(), f.kind))
        .collect();
    told.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        told,
        [
            (
                "buggy".into(),
                "panicked: kaboom".into(),
                FailureKind::Panic
            ),
            (
                "slow".into(),
                "timed out after 1s".into(),
                FailureKind::Timeout
            ),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn node_defaults_apply_to_every_node_and_a_nodes_own_options_win() {
    let (a, b, c, d) = (
        Calls::default(),
        Calls::default(),
        Calls::default(),
        Calls::default(),
    );
    let mut g = StateGraph::<Log>::new();
    // Added before the defaults are set: they apply all the same.
    g.add_node("a", failing("a broke", a.clone()));
    g.node_defaults(
        NodeDefaults::new()
            .retry(quick_retries(2))
            .timeout(Duration::from_secs(1))
            .on_error(|_s: Arc<Log>, f: NodeFailure, _c: Ctx| async move {
                Ok(push(format!(
                    "default {} x{} {:?}",
                    f.node, f.attempts, f.kind
                )))
            }),
    );
    g.add_node("b", failing("b broke", b.clone()))
        .retry(quick_retries(4))
        .on_error(|_s: Arc<Log>, f: NodeFailure, _c: Ctx| async move {
            Ok(push(format!("own {} x{}", f.node, f.attempts)))
        });
    let c_calls = c.clone();
    g.add_node("c", move |_s: Arc<Log>, _c: Ctx| {
        c_calls.hit();
        async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(push("c"))
        }
    });
    let d_calls = d.clone();
    g.add_node("d", move |_s: Arc<Log>, _c: Ctx| {
        d_calls.hit();
        async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(push("d"))
        }
    })
    .timeout(Duration::from_secs(10));
    for node in ["a", "b", "c", "d"] {
        g.add_edge(START, node);
    }
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(
        out.state.log,
        [
            "default a x2 Error",
            "own b x4",
            "default c x2 Timeout",
            "d",
        ]
    );
    assert_eq!((a.get(), b.get(), c.get(), d.get()), (2, 4, 2, 1));
}

#[tokio::test]
async fn a_subgraph_does_not_inherit_its_parents_defaults() {
    let inner = Calls::default();
    let mut child = StateGraph::<Log>::new();
    child.add_node("inner", failing("inner broke", inner.clone()));
    child.add_edge(START, "inner");
    let mut parent = StateGraph::<Log>::new();
    parent.node_defaults(NodeDefaults::new().retry(quick_retries(2)).on_error(
        |_s: Arc<Log>, f: NodeFailure, _c: Ctx| async move {
            Ok(push(format!("{} x{}", f.node, f.attempts)))
        },
    ));
    parent.add_subgraph("sub", child.compile().unwrap());
    parent.add_edge(START, "sub").add_edge("sub", END);
    let out = parent
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    // `inner` has neither the parent's retries nor its handler: it fails once per run of the
    // subgraph's node, which the parent retries and then handles.
    assert_eq!(out.state.log, ["sub x2"]);
    assert_eq!(inner.get(), 2);
}
