//! Subgraphs that stop: an interrupt inside one surfaces on the root's run with its namespace
//! and the root's resume answers it; a failure or a dropped run inside one resumes the same way.
//! Either way the subgraph continues from its own checkpoint, so what it finished never runs
//! again.

use std::sync::Arc;
use std::time::Duration;

use graph_core::{
    CompiledGraph, Ctx, HistoryQuery, NodeError, Resume, RunConfig, RunStatus, START, StateGraph,
    ThreadStatus,
};

use crate::subgraphs::{parent_of, sub_ns};
use crate::{Calls, Log, memory, push};

/// START → x → ask (interrupts) → y, each counted.
pub(crate) fn asking_child(x: &Calls, ask: &Calls, y: &Calls) -> CompiledGraph<Log> {
    let mut child = StateGraph::<Log>::new();
    let calls = x.clone();
    child.add_node("x", move |_s: Arc<Log>, _ctx: Ctx| {
        calls.hit();
        async { Ok(push("x")) }
    });
    let calls = ask.clone();
    child.add_node("ask", move |_s: Arc<Log>, ctx: Ctx| {
        calls.hit();
        async move {
            let answer: String = ctx.interrupt("ok?")?;
            Ok(push(format!("ask:{answer}")))
        }
    });
    let calls = y.clone();
    child.add_node("y", move |_s: Arc<Log>, _ctx: Ctx| {
        calls.hit();
        async { Ok(push("y")) }
    });
    child
        .add_edge(START, "x")
        .add_edge("x", "ask")
        .add_edge("ask", "y");
    child.compile().unwrap()
}

fn interrupts(status: &RunStatus) -> &[graph_core::Interrupt] {
    match status {
        RunStatus::Interrupted(interrupts) => interrupts,
        other => panic!("expected an interrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn an_interrupt_inside_a_subgraph_pauses_the_parent_and_its_resume_answers_it() {
    let (x, ask, y) = (Calls::default(), Calls::default(), Calls::default());
    let store = memory();
    let g = parent_of(asking_child(&x, &ask, &y))
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let out = g.invoke(push("in"), &cfg).await.unwrap();
    let [asked] = interrupts(&out.status) else {
        panic!("{:?}", out.status)
    };
    assert_eq!(asked.node, "ask");
    assert_eq!(asked.ns, sub_ns(1));
    assert_eq!(asked.value, "ok?");
    assert_eq!(out.state.log, ["in", "a"]);

    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Interrupted);
    assert_eq!(state.interrupts, std::slice::from_ref(asked));
    assert_eq!(state.tasks.len(), 1);
    assert_eq!(state.tasks[0].node, "sub");
    assert_eq!(state.tasks[0].interrupt.as_ref(), Some(asked));

    let out = g.resume(&cfg, Resume::value("yes")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["in", "a", "x", "ask:yes", "y", "c"]);
    // `x` finished before the pause: it does not run again. `ask` runs again to get its answer.
    assert_eq!((x.get(), ask.get(), y.get()), (1, 2, 1));
    let child = g
        .checkpointer()
        .unwrap()
        .list(&cfg.thread, &sub_ns(1), &HistoryQuery::default())
        .await
        .unwrap();
    let writers: Vec<Vec<String>> = child
        .iter()
        .map(|m| m.writers.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(
        writers,
        [vec!["y"], vec!["ask"], vec!["x"], Vec::<&str>::new()]
    );
}

#[tokio::test]
async fn an_effect_before_an_interrupt_in_a_subgraph_runs_once() {
    let charged = Calls::default();
    let mut child = StateGraph::<Log>::new();
    let counter = charged.clone();
    child.add_node("pay", move |_s: Arc<Log>, ctx: Ctx| {
        let counter = counter.clone();
        async move {
            let receipt: usize = ctx
                .effect(
                    "charge",
                    |_key| async move { Ok::<_, NodeError>(counter.hit()) },
                )
                .await?;
            let ok: bool = ctx.interrupt("confirm?")?;
            Ok(push(format!("paid {receipt} {ok}")))
        }
    });
    child.add_edge(START, "pay");
    let g = parent_of(child.compile().unwrap())
        .compile()
        .unwrap()
        .with_checkpointer(memory() as _);
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    let out = g.resume(&cfg, Resume::value(true)).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "paid 1 true", "c"]);
    assert_eq!(charged.get(), 1);
}

#[tokio::test]
async fn an_interrupt_two_subgraphs_down_is_answered_from_the_root() {
    let (x, ask, y) = (Calls::default(), Calls::default(), Calls::default());
    let mut middle = StateGraph::<Log>::new();
    middle.add_subgraph("inner", asking_child(&x, &ask, &y));
    middle.add_edge(START, "inner");
    let g = parent_of(middle.compile().unwrap())
        .compile()
        .unwrap()
        .with_checkpointer(memory() as _);
    let cfg = RunConfig::thread("t");
    let out = g.invoke(push("in"), &cfg).await.unwrap();
    let [asked] = interrupts(&out.status) else {
        panic!("{:?}", out.status)
    };
    let levels: Vec<String> = asked.ns.levels().map(|(n, _)| n.to_string()).collect();
    assert_eq!(levels, ["sub", "inner"]);
    let out = g.resume(&cfg, Resume::value("deep")).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "x", "ask:deep", "y", "c"]);
    assert_eq!((x.get(), ask.get(), y.get()), (1, 2, 1));
}

/// The parent's own interrupt and one inside a subgraph in the same superstep: both pending,
/// answered by id, one call at a time or together.
#[tokio::test]
async fn parent_and_subgraph_interrupts_are_answered_by_id() {
    let (x, ask, y) = (Calls::default(), Calls::default(), Calls::default());
    let mut parent = StateGraph::<Log>::new();
    parent.add_subgraph("sub", asking_child(&x, &ask, &y));
    parent.add_node("review", |_s: Arc<Log>, ctx: Ctx| async move {
        let verdict: String = ctx.interrupt("review?")?;
        Ok(push(format!("review:{verdict}")))
    });
    parent.add_edge(START, "sub").add_edge(START, "review");
    let g = parent.compile().unwrap().with_checkpointer(memory() as _);
    let cfg = RunConfig::thread("t");
    let out = g.invoke(push("in"), &cfg).await.unwrap();
    let pending = interrupts(&out.status).to_vec();
    assert_eq!(pending.len(), 2);
    let (review, inside) = match pending[0].ns.is_root() {
        true => (pending[0].clone(), pending[1].clone()),
        false => (pending[1].clone(), pending[0].clone()),
    };
    assert_eq!(
        (review.node.as_str(), inside.node.as_str()),
        ("review", "ask")
    );
    assert!(g.resume(&cfg, Resume::value("?")).await.is_err());

    // Answering only the parent's leaves the subgraph's pending, and the subgraph paused.
    let out = g
        .resume(&cfg, Resume::by_id([(review.id, "fine")]))
        .await
        .unwrap();
    assert_eq!(interrupts(&out.status), std::slice::from_ref(&inside));
    let out = g
        .resume(&cfg, Resume::by_id([(inside.id, "go")]))
        .await
        .unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["in", "review:fine", "x", "ask:go", "y"]);
    assert_eq!((x.get(), ask.get(), y.get()), (1, 3, 1));
}

/// A subgraph superstep of two tasks, one of which pauses: the other's saved output is reused.
#[tokio::test]
async fn a_finished_task_beside_the_interrupt_is_not_run_again() {
    let (fast, ask, y) = (Calls::default(), Calls::default(), Calls::default());
    let mut child = StateGraph::<Log>::new();
    let calls = fast.clone();
    child.add_node("fast", move |_s: Arc<Log>, _ctx: Ctx| {
        calls.hit();
        async { Ok(push("fast")) }
    });
    let calls = ask.clone();
    child.add_node("ask", move |_s: Arc<Log>, ctx: Ctx| {
        calls.hit();
        async move {
            let answer: String = ctx.interrupt("ok?")?;
            Ok(push(format!("ask:{answer}")))
        }
    });
    let calls = y.clone();
    child.add_node("y", move |_s: Arc<Log>, _ctx: Ctx| {
        calls.hit();
        async { Ok(push("y")) }
    });
    child.add_edge(START, "fast").add_edge(START, "ask");
    child.add_join_edge(["fast", "ask"], "y");
    let g = parent_of(child.compile().unwrap())
        .compile()
        .unwrap()
        .with_checkpointer(memory() as _);
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    let out = g.resume(&cfg, Resume::value("ok")).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "ask:ok", "fast", "y", "c"]);
    assert_eq!((fast.get(), ask.get(), y.get()), (1, 2, 1));
}

/// A node inside the subgraph fails once: the parent's run fails; its resume re-runs only the
/// failed node.
#[tokio::test]
async fn a_failure_inside_a_subgraph_resumes_without_repeating_finished_nodes() {
    let (x, flaky) = (Calls::default(), Calls::default());
    let mut child = StateGraph::<Log>::new();
    let calls = x.clone();
    child.add_node("x", move |_s: Arc<Log>, _ctx: Ctx| {
        calls.hit();
        async { Ok(push("x")) }
    });
    let calls = flaky.clone();
    child.add_node("flaky", move |_s: Arc<Log>, _ctx: Ctx| {
        let first = calls.hit() == 1;
        async move {
            if first {
                Err(NodeError::msg("boom"))
            } else {
                Ok(push("flaky"))
            }
        }
    });
    child.add_edge(START, "x").add_edge("x", "flaky");
    let g = parent_of(child.compile().unwrap())
        .compile()
        .unwrap()
        .with_checkpointer(memory() as _);
    let cfg = RunConfig::thread("t");
    let error = g.invoke(push("in"), &cfg).await.unwrap_err();
    assert!(error.to_string().contains("boom"), "{error}");
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Error);
    assert_eq!(state.next, ["sub"]);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "x", "flaky", "c"]);
    assert_eq!((x.get(), flaky.get()), (1, 2));
}

/// The run is dropped while a node inside the subgraph is in flight (a cancelled request, a
/// timeout): resuming runs that node, not the ones the subgraph finished.
#[tokio::test]
async fn a_run_dropped_inside_a_subgraph_resumes_where_the_subgraph_was() {
    let (x, slow) = (Calls::default(), Calls::default());
    let mut child = StateGraph::<Log>::new();
    let calls = x.clone();
    child.add_node("x", move |_s: Arc<Log>, _ctx: Ctx| {
        calls.hit();
        async { Ok(push("x")) }
    });
    let calls = slow.clone();
    child.add_node("slow", move |_s: Arc<Log>, _ctx: Ctx| {
        let first = calls.hit() == 1;
        async move {
            if first {
                std::future::pending::<()>().await;
            }
            Ok(push("slow"))
        }
    });
    child.add_edge(START, "x").add_edge("x", "slow");
    let g = parent_of(child.compile().unwrap())
        .compile()
        .unwrap()
        .with_checkpointer(memory() as _);
    let cfg = RunConfig::thread("t");
    let dropped =
        tokio::time::timeout(Duration::from_millis(200), g.invoke(push("in"), &cfg)).await;
    assert!(dropped.is_err(), "the first run should hang in `slow`");
    assert_eq!(
        g.get_state(&cfg).await.unwrap().status,
        ThreadStatus::Pending
    );
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "x", "slow", "c"]);
    assert_eq!((x.get(), slow.get()), (1, 2));
}

/// An answer the node inside the subgraph cannot decode fails the run; the interrupt takes a
/// corrected answer, as a root graph's does.
#[tokio::test]
async fn a_wrong_answer_to_a_subgraphs_interrupt_can_be_corrected() {
    let (x, ask, y) = (Calls::default(), Calls::default(), Calls::default());
    let g = parent_of(asking_child(&x, &ask, &y))
        .compile()
        .unwrap()
        .with_checkpointer(memory() as _);
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    let error = g.resume(&cfg, Resume::value(42)).await.unwrap_err();
    assert!(error.to_string().contains("does not decode"), "{error}");
    let out = g.resume(&cfg, Resume::value("fixed")).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "x", "ask:fixed", "y", "c"]);
    assert_eq!((x.get(), y.get()), (1, 1));
}
