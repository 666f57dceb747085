//! The join rule: a join waits for all its sources within one run; a run that would end with a
//! join part-way fails with `Error::JoinStarved` (LangGraph drops the target silently,
//! langgraphjs#2666), a join that never started is no error, and a join spans pauses.

use std::sync::Arc;

use graph_core::{
    Ctx, END, Endpoint, Error, NodeId, Resume, RunConfig, RunStatus, START, StateGraph,
};

use crate::{Calls, Log, LogUpdate, append, memory, push};

fn ids(names: &[&str]) -> Vec<NodeId> {
    names.iter().map(|&n| NodeId::from(n)).collect()
}

/// START routes by the input's `v` to a (if it has an `a`), to b (a `b`), or to x; then
/// b → b2, and a join [a, b2] → c.
fn routed_join() -> StateGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    for name in ["a", "b", "b2", "c", "x"] {
        g.add_node(name, append(name));
    }
    g.add_conditional_edge(START, ["a", "b", "x"], |s: &Log| {
        let mut to = Vec::new();
        if s.v.contains('a') {
            to.push(Endpoint::from("a"));
        }
        if s.v.contains('b') {
            to.push(Endpoint::from("b"));
        }
        if to.is_empty() {
            to.push(Endpoint::from("x"));
        }
        to
    });
    g.add_edge("b", "b2").add_join_edge(["a", "b2"], "c");
    g
}

fn input(v: &str) -> LogUpdate {
    LogUpdate::default().v(v)
}

#[tokio::test]
async fn a_join_whose_source_was_skipped_fails_the_run_naming_what_never_arrived() {
    let g = routed_join().compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let err = g.invoke(input("a"), &cfg).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: the run ended with the join into `c` still waiting for `b2` \
         (`a` ran); a join runs its target only once all its sources ran in the same run: to fan \
         in branches that may not all run, use edges into a deferred node"
    );
    let Error::JoinStarved {
        join,
        arrived,
        missing,
        step,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (join, arrived, missing, step),
        ("c".into(), ids(&["a"]), ids(&["b2"]), 0)
    );
    // The work done is kept, and continuing cannot make the join complete.
    assert_eq!(g.get_state(&cfg).await.unwrap().values.log, ["a"]);
    let again = g.resume(&cfg, Resume::Continue).await.unwrap_err();
    assert!(matches!(again, Error::JoinStarved { .. }), "{again:?}");

    // Both sources: the join fires once, after the longer branch.
    let out = g
        .invoke(input("ab"), &RunConfig::thread("both"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["a", "b", "b2", "c"]);
}

#[tokio::test]
async fn a_join_none_of_whose_sources_ran_is_no_error() {
    let out = routed_join()
        .compile()
        .unwrap()
        .invoke(input(""), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["x"]);
}

#[tokio::test]
async fn a_new_input_starts_with_no_join_progress() {
    // Run 1 leaves the join with `a` only; run 2 runs only b's branch. Carried over, a's old
    // arrival would complete the join with sources from two runs.
    let g = routed_join().compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    g.invoke(input("a"), &cfg).await.unwrap_err();
    let err = g.invoke(input("b"), &cfg).await.unwrap_err();
    let Error::JoinStarved {
        arrived, missing, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((arrived, missing), (ids(&["b2"]), ids(&["a"])));
    let out = g.invoke(input("ab"), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["a", "b", "b2", "a", "b", "b2", "c"]);
}

#[tokio::test]
async fn a_join_waits_across_an_interrupt_and_a_resume() {
    // a arrives in superstep 0; b2 asks in superstep 1 and the run pauses; the resumed run
    // completes the join with a's arrival from before the pause.
    let c_runs = Calls::default();
    let runs = c_runs.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", append("b"));
    g.add_node("b2", |_s: Arc<Log>, ctx: Ctx| async move {
        let answer: String = ctx.interrupt("ok?")?;
        Ok(push(format!("b2:{answer}")))
    });
    g.add_node("c", move |_s: Arc<Log>, _c: Ctx| {
        runs.hit();
        async { Ok(push("c")) }
    });
    g.add_edge(START, "a")
        .add_edge(START, "b")
        .add_edge("b", "b2")
        .add_join_edge(["a", "b2"], "c");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert!(
        matches!(out.status, RunStatus::Interrupted(_)),
        "{:?}",
        out.status
    );
    let out = g.resume(&cfg, Resume::value("yes")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["a", "b", "b2:yes", "c"]);
    assert_eq!(c_runs.get(), 1);
}

#[tokio::test]
async fn a_deferred_join_target_waits_for_every_source_and_for_the_other_branches() {
    // START → a → x → y and START → b → b2; join [a, b2] → c with c deferred: c runs after y,
    // once. Without defer it would run beside y.
    let build = |defer: bool| {
        let mut g = StateGraph::<Log>::new();
        for name in ["a", "b", "b2", "x", "y"] {
            g.add_node(name, append(name));
        }
        let c = g.add_node("c", append("c"));
        if defer {
            c.defer();
        }
        g.add_edge(START, "a")
            .add_edge("a", "x")
            .add_edge("x", "y")
            .add_edge(START, "b")
            .add_edge("b", "b2")
            .add_join_edge(["a", "b2"], "c");
        g.compile().unwrap()
    };
    let cfg = RunConfig::thread("t");
    let plain = build(false)
        .invoke(LogUpdate::default(), &cfg)
        .await
        .unwrap();
    assert_eq!(plain.state.log, ["a", "b", "b2", "x", "c", "y"]);
    let deferred = build(true)
        .invoke(LogUpdate::default(), &cfg)
        .await
        .unwrap();
    assert_eq!(deferred.state.log, ["a", "b", "b2", "x", "y", "c"]);
}

#[tokio::test]
async fn edges_into_a_deferred_node_fan_in_whatever_arrived() {
    // The documented alternative to a join over branches that may not all run.
    let mut g = StateGraph::<Log>::new();
    for name in ["a", "b", "b2"] {
        g.add_node(name, append(name));
    }
    g.add_node("c", append("c")).defer();
    g.add_edge(START, "a");
    g.add_conditional_edge(START, [Endpoint::from("b"), END], |s: &Log| {
        if s.flag { Endpoint::from("b") } else { END }
    });
    g.add_edge("b", "b2").add_edge("a", "c").add_edge("b2", "c");
    let g = g.compile().unwrap();
    let cfg = RunConfig::thread("t");
    let one = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert_eq!(one.state.log, ["a", "c"]);
    let both = g
        .invoke(LogUpdate::default().flag(true), &cfg)
        .await
        .unwrap();
    assert_eq!(both.state.log, ["a", "b", "b2", "c"]);
}
