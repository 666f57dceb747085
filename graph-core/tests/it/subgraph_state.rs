//! A subgraph's state from its parent (`get_state_with` and `StateOptions::subgraphs`,
//! `get_subgraph_state`), its history (`RunConfig::namespace`), and replays from one of its
//! checkpoints (`RunConfig::at_checkpoint`) that do not run again what it ran before that
//! checkpoint (LangGraph's #8458 re-runs the whole subgraph).

use graph_core::{
    CheckpointId, CompiledGraph, Error, HistoryQuery, Namespace, NodeId, Resume, RunConfig,
    RunOutput, RunStatus, START, Source, StateGraph, StateOptions, TaskId, TaskPath, ThreadStatus,
};

use crate::subgraph_mapped::{Search, asking_search, mapped_parent};
use crate::subgraph_resume::asking_child;
use crate::subgraphs::{counted_child, parent_of, sub_ns};
use crate::{Calls, Log, memory, push};

fn with_memory(graph: StateGraph<Log>) -> CompiledGraph<Log> {
    graph.compile().unwrap().with_checkpointer(memory() as _)
}

/// Replays thread `cfg` of `g` from the checkpoint of its subgraph (`sub_ns(1)`) whose next
/// node is `next`.
async fn replay_before(g: &CompiledGraph<Log>, cfg: &RunConfig, next: &str) -> RunOutput<Log> {
    let history = g
        .get_state_history(&cfg.clone().namespace(sub_ns(1)), &HistoryQuery::default())
        .await
        .unwrap();
    let before = history.iter().find(|m| m.next == [next]).unwrap().id;
    g.resume(
        &cfg.clone().at_checkpoint(sub_ns(1), before),
        Resume::Continue,
    )
    .await
    .unwrap()
}

/// START → a → sub (START → inner) → c: the subgraph nested two deep.
fn two_deep(inner: CompiledGraph<Log>) -> StateGraph<Log> {
    let mut middle = StateGraph::<Log>::new();
    middle.add_subgraph("inner", inner);
    middle.add_edge(START, "inner");
    parent_of(middle.compile().unwrap())
}

/// The namespace of `inner` inside the first `sub` task: planned from the middle graph's
/// input checkpoint, 0.
fn inner_ns() -> Namespace {
    let outer = sub_ns(1);
    let path = TaskPath::Pull(NodeId::from("inner"));
    let task = TaskId::derive_in(&outer, CheckpointId(0), &path);
    outer.child(&NodeId::from("inner"), task)
}

fn writers(history: &[graph_core::CheckpointMeta]) -> Vec<Vec<String>> {
    history
        .iter()
        .map(|m| m.writers.iter().map(ToString::to_string).collect())
        .collect()
}

#[tokio::test]
async fn get_state_with_subgraphs_shows_the_paused_subgraphs_state_recursively() {
    let (x, ask, y) = (Calls::default(), Calls::default(), Calls::default());
    let g = with_memory(two_deep(asking_child(&x, &ask, &y)));
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();

    let plain = g.get_state(&cfg).await.unwrap();
    assert_eq!(plain.tasks[0].state, None);

    let state = g
        .get_state_with(&cfg, StateOptions::default().subgraphs(true))
        .await
        .unwrap();
    assert_eq!(state.status, ThreadStatus::Interrupted);
    let middle = state.tasks[0].state.as_deref().expect("the middle graph");
    assert_eq!(middle.checkpoint.ns, sub_ns(1));
    assert_eq!(middle.next, ["inner"]);
    assert_eq!(middle.status, ThreadStatus::Interrupted);
    let inner = middle.tasks[0].state.as_deref().expect("the inner graph");
    assert_eq!(inner.checkpoint.ns, inner_ns());
    assert_eq!(inner.next, ["ask"]);
    assert_eq!(inner.interrupts.len(), 1);
    assert_eq!(inner.interrupts[0].value, "ok?");
    assert_eq!(
        inner.tasks[0].interrupt.as_ref(),
        Some(&inner.interrupts[0])
    );
    assert_eq!(inner.values_as::<Log>().unwrap().log, ["in", "a", "x"]);
    assert_eq!(state.interrupts, inner.interrupts);

    // Once answered, nothing is left to show.
    g.resume(&cfg, Resume::value("yes")).await.unwrap();
    let state = g
        .get_state_with(&cfg, StateOptions::default().subgraphs(true))
        .await
        .unwrap();
    assert!(state.tasks.is_empty());
}

#[tokio::test]
async fn a_mapped_subgraphs_state_is_its_own_type_as_json() {
    let (x, ask, y) = (Calls::default(), Calls::default(), Calls::default());
    let g = with_memory(mapped_parent(asking_search(&x, &ask, &y)));
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    let state = g
        .get_state_with(&cfg, StateOptions::default().subgraphs(true))
        .await
        .unwrap();
    let inside = state.tasks[0].state.as_deref().expect("paused inside");
    assert_eq!(
        inside.values,
        serde_json::json!({"query": "rooms", "hits": ["x:rooms"]})
    );
    let search: Search = inside.values_as().unwrap();
    assert_eq!(search.hits, ["x:rooms"]);
    assert_eq!(inside.next, ["ask"]);
}

#[tokio::test]
async fn a_subgraphs_history_is_listed_by_its_namespace() {
    let g = with_memory(parent_of(counted_child(&Calls::default())));
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    let history = g
        .get_state_history(&cfg.clone().namespace(sub_ns(1)), &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(
        writers(&history),
        [vec!["y"], vec!["x"], Vec::<&str>::new()]
    );
    assert!(history.iter().all(|m| m.ns == sub_ns(1)));

    // One of them, read exactly.
    let before_y = history.iter().find(|m| m.next == ["y"]).unwrap();
    let at = cfg.clone().at_checkpoint(sub_ns(1), before_y.id);
    let inside = g
        .get_subgraph_state(&at, StateOptions::default())
        .await
        .unwrap();
    assert_eq!(inside.checkpoint.id, before_y.id);
    assert_eq!(inside.values_as::<Log>().unwrap().log, ["in", "a", "x"]);
    assert_eq!(inside.next, ["y"]);
}

/// Replaying from the subgraph's checkpoint before `y`: `x` does not run again, `y` and what
/// follows the subgraph in the parent do.
#[tokio::test]
async fn replaying_from_a_subgraphs_checkpoint_does_not_rerun_its_earlier_nodes() {
    let calls = Calls::default();
    let g = with_memory(parent_of(counted_child(&calls)));
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    assert_eq!(calls.get(), 2);
    let out = replay_before(&g, &cfg, "y").await;
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["in", "a", "x", "y", "c"]);
    assert_eq!(out.executed, ["sub", "c"]);
    // Only `y` ran again in the subgraph.
    assert_eq!(calls.get(), 3);

    // The parent forked the checkpoint that planned `sub`; the new task's subgraph forked the
    // addressed checkpoint in its own, new namespace.
    let parent = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    let fork = parent.iter().find(|m| m.source == Source::Fork).unwrap();
    assert_eq!(fork.next, ["sub"]);
    let new_ns = Namespace::root().child(
        &NodeId::from("sub"),
        TaskId::derive(fork.id, &TaskPath::Pull(NodeId::from("sub"))),
    );
    let replayed = g
        .get_state_history(&cfg.clone().namespace(new_ns), &HistoryQuery::default())
        .await
        .unwrap();
    let shape: Vec<(Source, Vec<String>)> = replayed
        .iter()
        .map(|m| {
            (
                m.source,
                m.writers.iter().map(ToString::to_string).collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [(Source::Loop, vec!["y".to_owned()]), (Source::Fork, vec![])]
    );
}

/// A replay to before the subgraph's interrupt asks again; the node before it does not run.
#[tokio::test]
async fn replaying_to_before_a_subgraphs_interrupt_asks_again() {
    let (x, ask, y) = (Calls::default(), Calls::default(), Calls::default());
    let g = with_memory(parent_of(asking_child(&x, &ask, &y)));
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    g.resume(&cfg, Resume::value("first")).await.unwrap();
    let out = replay_before(&g, &cfg, "ask").await;
    let RunStatus::Interrupted(asked) = &out.status else {
        panic!("{:?}", out.status)
    };
    assert_eq!(asked[0].node, "ask");
    assert_ne!(asked[0].ns, sub_ns(1), "a new task, a new namespace");
    let out = g.resume(&cfg, Resume::value("second")).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "x", "ask:second", "y", "c"]);
    assert_eq!((x.get(), ask.get(), y.get()), (1, 4, 2));
}

/// Two subgraphs deep: both levels fork, and the inner one's first node does not run again.
#[tokio::test]
async fn replaying_two_subgraphs_down_forks_each_level() {
    let calls = Calls::default();
    let g = with_memory(two_deep(counted_child(&calls)));
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    let history = g
        .get_state_history(&cfg.clone().namespace(inner_ns()), &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(
        writers(&history),
        [vec!["y"], vec!["x"], Vec::<&str>::new()]
    );
    let before_y = history.iter().find(|m| m.next == ["y"]).unwrap().id;
    let out = g
        .resume(
            &cfg.clone().at_checkpoint(inner_ns(), before_y),
            Resume::Continue,
        )
        .await
        .unwrap();
    assert_eq!(out.state.log, ["in", "a", "x", "y", "c"]);
    assert_eq!(calls.get(), 3);
}

#[tokio::test]
async fn replaying_from_a_mapped_subgraphs_checkpoint_does_not_rerun_its_earlier_nodes() {
    let (x, ask, y) = (Calls::default(), Calls::default(), Calls::default());
    let g = with_memory(mapped_parent(asking_search(&x, &ask, &y)));
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    g.resume(&cfg, Resume::value("one")).await.unwrap();
    let out = replay_before(&g, &cfg, "y").await;
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["in", "a", "x:rooms", "ask:one", "y", "c"]);
    assert_eq!((x.get(), ask.get(), y.get()), (1, 2, 2));
}

#[tokio::test]
async fn addressing_a_subgraphs_namespace_is_checked() {
    let g = with_memory(parent_of(counted_child(&Calls::default())));
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    let at = cfg.clone().at_checkpoint(sub_ns(1), CheckpointId(1));

    let error = g.invoke(push("again"), &at).await.unwrap_err();
    assert!(matches!(error, Error::Namespace { .. }), "{error}");
    let error = g.get_state(&at).await.unwrap_err();
    assert!(error.to_string().contains("get_subgraph_state"), "{error}");
    let error = g.resume(&at, Resume::value(1)).await.unwrap_err();
    assert!(matches!(error, Error::Resume { .. }), "{error}");

    let nowhere = Namespace::root().child(&NodeId::from("c"), TaskId(1));
    let error = g
        .get_subgraph_state(
            &cfg.clone().namespace(nowhere.clone()),
            StateOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("no subgraph node `c`"),
        "{error}"
    );
    for (ns, id) in [(sub_ns(7), 0), (sub_ns(1), 99)] {
        let error = g
            .resume(
                &cfg.clone().at_checkpoint(ns.clone(), CheckpointId(id)),
                Resume::Continue,
            )
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "thread `t`, namespace `{ns}`: cannot replay from it: it has no checkpoint {id}"
            )
        );
    }
    // Nothing forked.
    let history = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    assert!(history.iter().all(|m| m.source != Source::Fork));
}
