//! Breakpoints a call sets (`RunConfig::interrupt_before` / `interrupt_after`, LangGraph's
//! arguments of `invoke`), beside those compiled into nodes.

use graph_core::{Breakpoint, Breakpoints, Error, Resume, RunConfig, RunStatus};

use crate::{LogUpdate, chain, memory, push};

fn paused_at(status: &RunStatus) -> (Breakpoint, Vec<String>) {
    match status {
        RunStatus::Breakpoint { kind, next } => {
            (*kind, next.iter().map(ToString::to_string).collect())
        }
        other => panic!("expected a breakpoint, got {other:?}"),
    }
}

#[tokio::test]
async fn a_call_pauses_before_and_after_the_nodes_it_names() {
    let g = chain().compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t").interrupt_before(["b"]);
    let out = g.invoke(push("in"), &cfg).await.unwrap();
    assert_eq!(
        paused_at(&out.status),
        (Breakpoint::Before, vec!["b".into()])
    );
    assert_eq!(out.state.log, ["in", "a"]);
    // The resume passes the breakpoint; its own config sets the next one.
    let cfg = RunConfig::thread("t").interrupt_after(["b"]);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(
        paused_at(&out.status),
        (Breakpoint::After, vec!["c".into()])
    );
    assert_eq!(out.state.log, ["in", "a", "b"]);
    let out = g
        .resume(&RunConfig::thread("t"), Resume::Continue)
        .await
        .unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["in", "a", "b", "c"]);

    // Another call on another thread, without breakpoints, runs straight through.
    let out = g.invoke(push("in"), &RunConfig::thread("u")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
}

#[tokio::test]
async fn all_pauses_before_every_node() {
    let g = chain().compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t").interrupt_before(Breakpoints::All);
    let mut out = g.invoke(push("in"), &cfg).await.unwrap();
    let mut stops = Vec::new();
    while let RunStatus::Breakpoint { next, .. } = &out.status {
        stops.push(next[0].to_string());
        out = g.resume(&cfg, Resume::Continue).await.unwrap();
    }
    assert_eq!(stops, ["a", "b", "c"]);
    assert_eq!(out.state.log, ["in", "a", "b", "c"]);
}

#[tokio::test]
async fn a_breakpoint_on_a_node_the_graph_lacks_is_refused_by_name() {
    let g = chain().compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t").interrupt_after(["bb"]);
    let err = g.invoke(LogUpdate::default(), &cfg).await.unwrap_err();
    assert!(matches!(err, Error::UnknownBreakpoint { .. }), "{err:?}");
    assert!(
        err.to_string().contains("interrupt_after names `bb`"),
        "{err}"
    );
    // Nothing ran, nothing was stored.
    let state = g.get_state(&RunConfig::thread("t")).await.unwrap();
    assert!(state.checkpoint.is_none());
}
