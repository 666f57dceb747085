//! Human in the loop and time travel: interrupts and their answers, breakpoints, resume after a
//! failure, update_state, replay and fork, and the effect journal.

use std::collections::BTreeMap;
use std::sync::Arc;

use graph_core::{
    CheckpointId, Ctx, END, Error, HistoryQuery, NodeError, Resume, RunConfig, RunStatus, START,
    Source, StateGraph, ThreadStatus,
};
use serde_json::json;

use crate::{Calls, Log, LogUpdate, append, memory, push};

#[tokio::test]
async fn an_interrupt_pauses_and_a_resume_answers_each_slot_in_turn() {
    // A node asking twice runs three times; its answers arrive in order.
    let calls = Calls::default();
    let c = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("ask", move |_s: Arc<Log>, ctx: Ctx| {
        let calls = c.clone();
        async move {
            calls.hit();
            let age: u32 = ctx.interrupt(json!({"q": "age?"}))?;
            let name: String = ctx.interrupt(json!({"q": "name?"}))?;
            Ok(LogUpdate::default().v(format!("ask:{age}:{name}")))
        }
    });
    g.add_edge(START, "ask");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");

    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let RunStatus::Interrupted(first) = &out.status else {
        panic!("{:?}", out.status)
    };
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].value, json!({"q": "age?"}));
    assert_eq!(first[0].id.to_string().len(), 32);
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Interrupted);
    assert_eq!(state.interrupts, *first);
    assert_eq!(state.next, ["ask"]);

    let out = g.resume(&cfg, Resume::value(42)).await.unwrap();
    let RunStatus::Interrupted(second) = &out.status else {
        panic!("{:?}", out.status)
    };
    assert_eq!(second[0].value, json!({"q": "name?"}));
    assert_ne!(second[0].id, first[0].id);

    // The first answer is spent: resuming by its id is stale.
    let stale = g
        .resume(&cfg, Resume::by_id([(first[0].id, "x")]))
        .await
        .unwrap_err();
    assert!(
        stale.to_string().contains(&format!(
            "interrupt {} is not pending (pending: {})",
            first[0].id, second[0].id
        )),
        "{stale}"
    );

    let out = g.resume(&cfg, Resume::value("s2")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.v, "ask:42:s2");
    assert_eq!(calls.get(), 3);
    assert_eq!(g.get_state(&cfg).await.unwrap().status, ThreadStatus::Idle);
}

/// p1 ∥ p2, each asking a question and logging `name:answer`.
fn two_askers() -> graph_core::CompiledGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    for name in ["p1", "p2"] {
        g.add_node(name, move |_s: Arc<Log>, ctx: Ctx| async move {
            let answer: String = ctx.interrupt(name)?;
            Ok(push(format!("{name}:{answer}")))
        });
        g.add_edge(START, name);
    }
    g.compile().unwrap().with_checkpointer(memory())
}

#[tokio::test]
async fn several_pending_interrupts_need_answers_by_id() {
    let g = two_askers();
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let RunStatus::Interrupted(pending) = out.status else {
        panic!()
    };
    assert_eq!(pending.len(), 2);

    let err = g.resume(&cfg, Resume::value("A")).await.unwrap_err();
    assert!(
        err.to_string().contains("2 interrupts are pending"),
        "{err}"
    );
    let err = g
        .resume(&cfg, Resume::ById(BTreeMap::new()))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Resume::ById has no answers"),
        "{err}"
    );
    let err = g.resume(&cfg, Resume::Continue).await.unwrap_err();
    assert!(
        err.to_string().contains("is waiting on interrupt(s)"),
        "{err}"
    );

    let by_node = |n: &str| pending.iter().find(|i| i.node == n).unwrap().id;
    let out = g
        .resume(
            &cfg,
            Resume::by_id([(by_node("p1"), "A"), (by_node("p2"), "B")]),
        )
        .await
        .unwrap();
    assert_eq!(out.state.log, ["p1:A", "p2:B"]);
}

#[tokio::test]
async fn answering_one_of_two_interrupts_keeps_the_other_pending() {
    let g = two_askers();
    let cfg = RunConfig::thread("t");
    let RunStatus::Interrupted(pending) =
        g.invoke(LogUpdate::default(), &cfg).await.unwrap().status
    else {
        panic!()
    };
    let p1 = pending.iter().find(|i| i.node == "p1").unwrap().id;
    let out = g.resume(&cfg, Resume::by_id([(p1, "A")])).await.unwrap();
    let RunStatus::Interrupted(left) = out.status else {
        panic!()
    };
    assert_eq!(
        left.iter().map(|i| i.node.as_str()).collect::<Vec<_>>(),
        ["p2"]
    );
    let out = g.resume(&cfg, Resume::value("B")).await.unwrap();
    assert_eq!(out.state.log, ["p1:A", "p2:B"]);
}

#[tokio::test]
async fn resuming_a_failed_parallel_superstep_reruns_only_the_failed_task() {
    // a ∥ b with b failing once, then c: calls a=1, b=2, c=1.
    let (a, b, c) = (Calls::default(), Calls::default(), Calls::default());
    let mut g = StateGraph::<Log>::new();
    let ca = a.clone();
    g.add_node("a", move |_s: Arc<Log>, _c: Ctx| {
        ca.hit();
        async { Ok(push("a")) }
    });
    let cb = b.clone();
    g.add_node("b", move |_s: Arc<Log>, _c: Ctx| {
        let n = cb.hit();
        async move {
            if n == 1 {
                return Err(NodeError::msg("boom"));
            }
            Ok(push("b"))
        }
    });
    let cc = c.clone();
    g.add_node("c", move |_s: Arc<Log>, _c: Ctx| {
        cc.hit();
        async { Ok(push("c")) }
    });
    g.add_edge(START, "a")
        .add_edge(START, "b")
        .add_join_edge(["a", "b"], "c");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let err = g.invoke(LogUpdate::default(), &cfg).await.unwrap_err();
    assert!(
        matches!(&err, Error::Node { node, step: 0, .. } if node == "b"),
        "{err:?}"
    );

    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Error);
    assert_eq!(state.next, ["a", "b"]);
    let task = |n: &str| state.tasks.iter().find(|t| t.node == n).unwrap();
    assert!(task("a").finished && task("a").error.is_none());
    assert!(!task("b").finished);
    assert_eq!(
        task("b").error.as_deref(),
        Some("thread `t`, superstep 0: node `b` failed: boom")
    );

    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["a", "b", "c"]);
    assert_eq!(out.executed, ["b", "c"]);
    assert_eq!((a.get(), b.get(), c.get()), (1, 2, 1));
}

#[tokio::test]
async fn a_journaled_effect_runs_once_across_an_interrupt_and_a_resume() {
    let charges = Calls::default();
    let runs = Calls::default();
    let (ch, r) = (charges.clone(), runs.clone());
    let mut g = StateGraph::<Log>::new();
    g.add_node("book", move |_s: Arc<Log>, ctx: Ctx| {
        let (charges, runs) = (ch.clone(), r.clone());
        async move {
            runs.hit();
            let receipt: String = ctx
                .effect("charge", |key| async move {
                    charges.hit();
                    Ok::<_, NodeError>(format!("receipt-{}", key.len()))
                })
                .await?;
            let ok: bool = ctx.interrupt("confirm?")?;
            Ok(LogUpdate::default().v(format!("{receipt}:{ok}")))
        }
    });
    g.add_edge(START, "book");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert!(matches!(out.status, RunStatus::Interrupted(_)));
    let out = g.resume(&cfg, Resume::value(true)).await.unwrap();
    assert_eq!(out.state.v, "receipt-34:true");
    assert_eq!(runs.get(), 2);
    assert_eq!(charges.get(), 1, "the effect must not run again on resume");
}

#[tokio::test]
async fn an_effect_result_survives_a_failure_and_the_key_is_stable() {
    let keys = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let runs = Calls::default();
    let (k, r) = (Arc::clone(&keys), runs.clone());
    let mut g = StateGraph::<Log>::new();
    g.add_node("pay", move |_s: Arc<Log>, ctx: Ctx| {
        let (keys, runs) = (Arc::clone(&k), r.clone());
        async move {
            keys.lock().unwrap().push(ctx.idempotency_key());
            let n = runs.hit();
            let paid: u32 = ctx
                .effect("pay", |_| async { Ok::<_, NodeError>(7) })
                .await?;
            if n == 1 {
                return Err(NodeError::msg("crash after paying"));
            }
            Ok(LogUpdate::default().x(i64::from(paid)))
        }
    });
    g.add_edge(START, "pay");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap_err();
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.x, 7);
    let keys = keys.lock().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys[0], keys[1],
        "the idempotency key is stable across re-runs"
    );
}

fn chain(before_n2: bool) -> graph_core::CompiledGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    g.add_node("n1", append("n1"));
    let n2 = g.add_node("n2", append("n2"));
    if before_n2 {
        n2.interrupt_before();
    } else {
        n2.interrupt_after();
    }
    g.add_node("n3", append("n3"));
    g.add_edge(START, "n1")
        .add_edge("n1", "n2")
        .add_edge("n2", "n3")
        .add_edge("n3", END);
    g.compile().unwrap().with_checkpointer(memory())
}

#[tokio::test]
async fn interrupt_before_stops_with_next_and_a_resume_passes_it_once() {
    let g = chain(true);
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["n1"]);
    assert_eq!(
        out.status,
        RunStatus::Breakpoint {
            kind: graph_core::Breakpoint::Before,
            next: vec!["n2".into()]
        }
    );
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(
        (state.next.as_slice(), state.status),
        (["n2".into()].as_slice(), ThreadStatus::Interrupted)
    );
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["n1", "n2", "n3"]);
    assert_eq!(out.status, RunStatus::Done);
}

#[tokio::test]
async fn interrupt_after_stops_after_the_superstep() {
    let g = chain(false);
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["n1", "n2"]);
    assert!(matches!(
        out.status,
        RunStatus::Breakpoint {
            kind: graph_core::Breakpoint::After,
            ..
        }
    ));
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["n1", "n2", "n3"]);
}

fn abc() -> graph_core::CompiledGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", append("b")).interrupt_before();
    g.add_node("c", append("c"));
    g.add_edge(START, "a").add_edge("a", "b").add_edge("b", "c");
    g.compile().unwrap().with_checkpointer(memory())
}

#[tokio::test]
async fn update_state_as_a_node_follows_its_edges() {
    // Paused before b: update_state({"log":["as_b"]}, as_node="b") → next=['c']; resume → [a, as_b, c].
    let g = abc();
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    g.update_state(&cfg, push("as_b"), Some("b")).await.unwrap();
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.next, ["c"]);
    assert_eq!(state.checkpoint.as_ref().unwrap().source, Source::Update);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["a", "as_b", "c"]);

    let err = g
        .update_state(&cfg, push("x"), Some("nope"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`: cannot update state: node `nope` does not exist"
    );
}

#[tokio::test]
async fn update_state_without_as_node_needs_a_single_last_writer() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", append("b"));
    g.add_edge(START, "a").add_edge(START, "b");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let err = g.update_state(&cfg, push("x"), None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`: cannot update state: ambiguous update: `a`, `b` wrote the base checkpoint; pass as_node"
    );
}

#[tokio::test]
async fn replaying_an_old_checkpoint_reruns_only_what_came_after_it() {
    let g = abc();
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    g.resume(&cfg, Resume::Continue).await.unwrap();
    let history = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    let steps: Vec<(i64, Source)> = history.iter().map(|m| (m.step, m.source)).collect();
    assert_eq!(
        steps,
        [
            (2, Source::Loop),
            (1, Source::Loop),
            (0, Source::Loop),
            (-1, Source::Input)
        ]
    );

    // The checkpoint before b ran (step 0, next = [b]).
    let before_b = history.iter().find(|m| m.next == ["b"]).unwrap().id;
    let out = g
        .resume(&cfg.clone().at(before_b), Resume::Continue)
        .await
        .unwrap();
    assert_eq!(out.executed, ["b", "c"]);
    assert_eq!(out.state.log, ["a", "b", "c"]);
    let history = g
        .get_state_history(
            &cfg,
            &HistoryQuery {
                limit: Some(3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let head: Vec<(i64, Source, Option<CheckpointId>)> = history
        .iter()
        .map(|m| (m.step, m.source, m.parent))
        .collect();
    assert_eq!(head[2], (0, Source::Fork, Some(before_b)));
    assert_eq!(head[1].1, Source::Loop);
    assert_eq!(head[0].1, Source::Loop);
}

#[tokio::test]
async fn forking_by_editing_an_old_checkpoint_continues_from_the_edit() {
    let g = abc();
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    g.resume(&cfg, Resume::Continue).await.unwrap();
    let history = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    let after_a = history.iter().find(|m| m.next == ["b"]).unwrap().id;
    let edited = g
        .update_state(&cfg.clone().at(after_a), push("edited"), Some("a"))
        .await
        .unwrap();
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.checkpoint.as_ref().unwrap().id, edited);
    assert_eq!(state.checkpoint.as_ref().unwrap().parent, Some(after_a));
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["a", "edited", "b", "c"]);
}

#[tokio::test]
async fn resume_errors_are_clear() {
    let g = abc();
    let err = g
        .resume(&RunConfig::thread("none"), Resume::Continue)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `none`: cannot resume: the thread has no checkpoint"
    );
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let err = g.resume(&cfg, Resume::value(1)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`: cannot resume: the thread has no pending interrupt to answer"
    );
    let err = g
        .resume(&cfg.clone().at(CheckpointId(99)), Resume::Continue)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "thread `t` has no checkpoint 99");
}

#[tokio::test]
async fn new_input_on_an_interrupted_thread_discards_the_interrupt() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("ask", |_s: Arc<Log>, ctx: Ctx| async move {
        let _: String = ctx.interrupt("q")?;
        Ok(())
    });
    g.add_node("other", append("other"));
    g.add_edge(START, "ask");
    g.add_conditional_edge(START, ["other".into(), END], |s: &Log| {
        if s.flag { "other".into() } else { END }
    });
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    assert!(matches!(
        g.invoke(LogUpdate::default(), &cfg).await.unwrap().status,
        RunStatus::Interrupted(_)
    ));
    let first = g.get_state(&cfg).await.unwrap().interrupts[0].id;
    // The new input plans `ask` again (it asks again, with a fresh id) and also `other`, which
    // finishes; the superstep waits for the answer before applying either.
    let out = g
        .invoke(LogUpdate::default().flag(true), &cfg)
        .await
        .unwrap();
    let RunStatus::Interrupted(again) = out.status else {
        panic!()
    };
    assert_ne!(again[0].id, first);
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.interrupts.len(), 1);
    assert!(state.tasks.iter().any(|t| t.node == "other" && t.finished));
    let out = g.resume(&cfg, Resume::value("ok")).await.unwrap();
    assert_eq!(out.state.log, ["other"]);
    assert_eq!(out.executed, ["ask"]);
}

#[tokio::test]
async fn an_answer_is_stored_with_the_failure_of_the_task_it_answered() {
    let runs = Calls::default();
    let r = runs.clone();
    let store = memory();
    let build = || {
        let r = r.clone();
        let mut g = StateGraph::<Log>::new();
        g.add_node("book", move |_s: Arc<Log>, ctx: Ctx| {
            let runs = r.clone();
            async move {
                runs.hit();
                let room: String = ctx.interrupt("which room?")?;
                if runs.get() == 2 {
                    return Err(NodeError::msg("the booking system is down"));
                }
                Ok(push(room))
            }
        });
        g.add_edge(START, "book");
        g.compile()
            .unwrap()
            .with_checkpointer(Arc::clone(&store) as _)
    };
    let cfg = RunConfig::thread("t");
    build().invoke(LogUpdate::default(), &cfg).await.unwrap();
    build()
        .resume(&cfg, Resume::value("suite"))
        .await
        .unwrap_err();
    // A new graph on the same store: the answer was stored with the failure, so the retry
    // neither asks again nor needs the answer resent.
    let out = build().resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["suite"]);
    assert_eq!(runs.get(), 3);
}
