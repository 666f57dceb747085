//! Subgraphs: a compiled graph as a node of a graph of the same state — its supersteps inside one
//! parent task, its net change as the task's update, its checkpoints in the task's namespace,
//! its events in the parent's stream.

use std::sync::Arc;

use graph_core::{
    CheckpointId, Checkpointer, CompiledGraph, Ctx, EventKind, HistoryQuery, Namespace, NodeId,
    Overwrite, RunConfig, START, Source, StateGraph, SubgraphPersistence, TaskId, TaskPath,
};

use crate::{Calls, Log, LogUpdate, append, memory, push};

/// START → x → y, each appending its name, each counted.
pub(crate) fn counted_child(calls: &Calls) -> CompiledGraph<Log> {
    let mut child = StateGraph::<Log>::new();
    for name in ["x", "y"] {
        let calls = calls.clone();
        child.add_node(name, move |_s: Arc<Log>, _ctx: Ctx| {
            calls.hit();
            async move { Ok(push(name)) }
        });
    }
    child.add_edge(START, "x").add_edge("x", "y");
    child.compile().unwrap()
}

/// START → a → sub → c, with `child` as `sub`.
pub(crate) fn parent_of(child: CompiledGraph<Log>) -> StateGraph<Log> {
    let mut parent = StateGraph::<Log>::new();
    parent.add_node("a", append("a"));
    parent.add_subgraph("sub", child);
    parent.add_node("c", append("c"));
    parent
        .add_edge(START, "a")
        .add_edge("a", "sub")
        .add_edge("sub", "c");
    parent
}

/// The namespace of the `sub` task planned from parent checkpoint `checkpoint`.
pub(crate) fn sub_ns(checkpoint: u64) -> Namespace {
    let path = TaskPath::Pull(NodeId::from("sub"));
    Namespace::root().child(
        &NodeId::from("sub"),
        TaskId::derive(CheckpointId(checkpoint), &path),
    )
}

#[tokio::test]
async fn a_subgraph_runs_its_supersteps_inside_one_parent_task() {
    let calls = Calls::default();
    let g = parent_of(counted_child(&calls)).compile().unwrap();
    let out = g.invoke(push("in"), &RunConfig::thread("t")).await.unwrap();
    // The parent's log is not appended to twice: the subgraph hands back only x and y.
    assert_eq!(out.state.log, ["in", "a", "x", "y", "c"]);
    assert_eq!(out.executed, ["a", "sub", "c"]);
    assert_eq!(calls.get(), 2);
}

#[tokio::test]
async fn the_parents_history_shows_only_its_own_supersteps() {
    let store = memory();
    let g = parent_of(counted_child(&Calls::default()))
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    let history = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    let writers: Vec<_> = history
        .iter()
        .map(|m| (m.id.0, m.writers.clone()))
        .collect();
    assert_eq!(
        writers,
        [
            (3, vec![NodeId::from("c")]),
            (2, vec![NodeId::from("sub")]),
            (1, vec![NodeId::from("a")]),
            (0, vec![]),
        ]
    );
    assert!(history.iter().all(|m| m.ns.is_root()));

    // The subgraph's checkpoints: same thread, the task's namespace (planned from checkpoint 1).
    let ns = sub_ns(1);
    let child = store
        .list(&cfg.thread, &ns, &HistoryQuery::default())
        .await
        .unwrap();
    let summary: Vec<_> = child
        .iter()
        .map(|m| (m.id.0, m.step, m.source, m.writers.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (2, 1, Source::Loop, vec![NodeId::from("y")]),
            (1, 0, Source::Loop, vec![NodeId::from("x")]),
            (0, -1, Source::Input, vec![]),
        ]
    );
    assert!(child.iter().all(|m| m.ns == ns && m.thread == cfg.thread));
    let last = store
        .get(&cfg.thread, &ns, None)
        .await
        .unwrap()
        .expect("the subgraph's last checkpoint");
    let log = last.values.iter().find(|v| v.field == "log").unwrap();
    let mut value: Vec<String> = serde_json::from_slice(&log.snapshot).unwrap();
    for delta in &log.deltas {
        let more: Vec<Vec<String>> = serde_json::from_slice(delta).unwrap();
        value.extend(more.into_iter().flatten());
    }
    // It started from the parent's state.
    assert_eq!(value, ["in", "a", "x", "y"]);
}

#[tokio::test]
async fn a_subgraph_without_persistence_stores_nothing() {
    let store = memory();
    let mut parent = StateGraph::<Log>::new();
    parent.add_subgraph_with(
        "sub",
        counted_child(&Calls::default()),
        SubgraphPersistence::Off,
    );
    parent.add_edge(START, "sub");
    let g = parent
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let out = g.invoke(push("in"), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["in", "x", "y"]);
    let child = store
        .list(&cfg.thread, &sub_ns(0), &HistoryQuery::default())
        .await
        .unwrap();
    assert!(child.is_empty(), "{child:?}");
}

/// A sibling of the subgraph in the same superstep writes the fields the subgraph leaves alone
/// and adds to the ones it adds to: no conflict, nothing lost, nothing twice.
#[tokio::test]
async fn the_subgraphs_update_is_its_net_change() {
    let mut child = StateGraph::<Log>::new();
    child.add_node("work", |s: Arc<Log>, _ctx: Ctx| async move {
        // `v` is written with the value it has: no change, so no write (and no conflict).
        Ok(push("work").n(2u32).x(7).v(s.v.clone()))
    });
    child.add_node("more", |_s: Arc<Log>, _ctx: Ctx| async {
        Ok(push("more").n(3u32))
    });
    child.add_edge(START, "work").add_edge("work", "more");
    let mut parent = StateGraph::<Log>::new();
    parent.add_subgraph("sub", child.compile().unwrap());
    parent.add_node("sibling", |_s: Arc<Log>, _ctx: Ctx| async {
        Ok(push("sibling").n(10u32).v("from sibling"))
    });
    parent.add_edge(START, "sub").add_edge(START, "sibling");
    let g = parent.compile().unwrap();
    let input = push("in").n(1u32).v("start");
    let out = g.invoke(input, &RunConfig::thread("t")).await.unwrap();
    // Task order: `sibling` before `sub` (by name).
    assert_eq!(out.state.log, ["in", "sibling", "work", "more"]);
    assert_eq!(out.state.n, 1 + 10 + 2 + 3);
    assert_eq!(out.state.x, 7);
    assert_eq!(out.state.v, "from sibling");
}

#[tokio::test]
async fn a_list_the_subgraph_emptied_is_overwritten_in_the_parent() {
    let mut child = StateGraph::<Log>::new();
    child.add_node("reset", |_s: Arc<Log>, _ctx: Ctx| async {
        Ok(LogUpdate::default().log(Overwrite(vec!["kept".to_owned()])))
    });
    child.add_edge(START, "reset");
    let g = parent_of(child.compile().unwrap()).compile().unwrap();
    let out = g.invoke(push("in"), &RunConfig::thread("t")).await.unwrap();
    assert_eq!(out.state.log, ["kept", "c"]);
}

#[tokio::test]
async fn subgraphs_nest_with_a_namespace_level_each() {
    let mut inner = StateGraph::<Log>::new();
    inner.add_node("deep", |_s: Arc<Log>, ctx: Ctx| async move {
        let levels: Vec<String> = ctx
            .namespace()
            .levels()
            .map(|(n, _)| n.to_string())
            .collect();
        Ok(push(format!("deep in {}", levels.join("/"))))
    });
    inner.add_edge(START, "deep");
    let mut middle = StateGraph::<Log>::new();
    middle.add_subgraph("inner", inner.compile().unwrap());
    middle.add_edge(START, "inner");
    let store = memory();
    let g = parent_of(middle.compile().unwrap())
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let out = g.invoke(push("in"), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "deep in sub/inner", "c"]);
    // The grandchild's checkpoints: `sub:<task>|inner:<task>`, the inner task planned from the
    // middle graph's input checkpoint.
    let middle_ns = sub_ns(1);
    let path = TaskPath::Pull(NodeId::from("inner"));
    let inner_task = TaskId::derive_in(&middle_ns, CheckpointId(0), &path);
    let inner_ns = middle_ns.child(&NodeId::from("inner"), inner_task);
    assert_eq!(inner_ns.depth(), 2);
    let history = store
        .list(&cfg.thread, &inner_ns, &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "the input and `deep`: {history:?}");
}

#[tokio::test]
async fn a_subgraphs_events_come_in_order_with_its_namespace() {
    let mut child = StateGraph::<Log>::new();
    child.add_node("x", |_s: Arc<Log>, ctx: Ctx| async move {
        ctx.emit("from x").await?;
        Ok(push("x"))
    });
    child.add_edge(START, "x");
    let g = parent_of(child.compile().unwrap())
        .compile()
        .unwrap()
        .with_checkpointer(memory() as _);
    let mut stream = g.stream(
        push("in"),
        &RunConfig::thread("t"),
        graph_core::StreamModes::ALL,
    );
    let mut seen = Vec::new();
    while let Some(event) = stream.next().await {
        let what = match &event.kind {
            EventKind::TaskStart { .. } => "start",
            EventKind::TaskEnd { .. } => "end",
            EventKind::Update(_) => "update",
            EventKind::Custom(_) => "custom",
            EventKind::Values(_) => "values",
            EventKind::Checkpoint { .. } => "checkpoint",
            EventKind::End => "END",
            _ => "other",
        };
        let node = event
            .node
            .as_ref()
            .map_or("-".to_owned(), ToString::to_string);
        let ns = event
            .ns
            .levels()
            .map(|(n, _)| n.to_string())
            .collect::<Vec<_>>()
            .join("/");
        seen.push(format!("{ns}|{node}|{what}"));
    }
    stream.finish().await.unwrap();
    let from_sub: Vec<&str> = seen
        .iter()
        .map(String::as_str)
        .skip_while(|e| *e != "|sub|start")
        .take_while(|e| *e != "|sub|update")
        .collect();
    assert_eq!(
        from_sub,
        [
            "|sub|start",
            "sub|-|values",
            "sub|-|checkpoint",
            "sub|x|start",
            "sub|x|custom",
            "sub|x|update",
            "sub|x|end",
            "sub|-|values",
            "sub|-|checkpoint",
        ]
    );
    assert_eq!(seen.last().map(String::as_str), Some("|-|END"));
    assert_eq!(seen.iter().filter(|e| e.ends_with("END")).count(), 1);
}

/// Every reducer kind's net change, derived by `#[derive(State)]`.
mod diff {
    use graph_core::{FieldUpdate, Keyed, State};
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub(super) struct Msg {
        id: String,
        text: String,
    }
    impl Keyed for Msg {
        fn key(&self) -> &str {
            &self.id
        }
    }
    fn msg(id: &str, text: &str) -> Msg {
        Msg {
            id: id.into(),
            text: text.into(),
        }
    }

    fn keep_max(current: &mut i64, update: i64) {
        *current = (*current).max(update);
    }

    #[derive(State, Clone, Default, Debug)]
    pub(super) struct All {
        #[state(merge)]
        messages: Vec<Msg>,
        #[state(reducer = keep_max)]
        best: i64,
        #[state(add)]
        score: f64,
        #[state(add)]
        left: u32,
    }

    #[test]
    fn merge_hands_back_changed_and_new_items() {
        let before = All {
            messages: vec![msg("1", "hi"), msg("2", "yo")],
            ..All::default()
        };
        let after = All {
            messages: vec![msg("1", "hi"), msg("2", "edited"), msg("3", "new")],
            ..before.clone()
        };
        let update = All::diff(&before, &after).unwrap();
        assert_eq!(
            update.messages,
            Some(FieldUpdate::Reduce(vec![
                msg("2", "edited"),
                msg("3", "new")
            ]))
        );
        let mut applied = before.clone();
        applied.apply(update).unwrap();
        assert_eq!(applied.messages, after.messages);

        // A removed item cannot be merged back: the list is replaced.
        let removed = All {
            messages: vec![msg("2", "yo")],
            ..before.clone()
        };
        assert_eq!(
            All::diff(&before, &removed).unwrap().messages,
            Some(FieldUpdate::Overwrite(vec![msg("2", "yo")]))
        );
    }

    #[test]
    fn custom_reducers_and_inexact_differences_overwrite() {
        let before = All {
            best: 3,
            score: 1e20,
            left: 5,
            ..All::default()
        };
        let after = All {
            best: 9,
            score: 0.1,
            left: 2,
            ..All::default()
        };
        let update = All::diff(&before, &after).unwrap();
        assert_eq!(update.best, Some(FieldUpdate::Overwrite(9)));
        // 0.1 - 1e20 rounds to -1e20, which adds back to 0, not 0.1: no exact difference.
        assert_eq!(update.score, Some(FieldUpdate::Overwrite(0.1)));
        // An unsigned counter that went down has no difference to add.
        assert_eq!(update.left, Some(FieldUpdate::Overwrite(2)));
        assert!(All::diff(&before, &before).unwrap().messages.is_none());
        assert!(graph_core::Update::is_empty(
            &All::diff(&before, &before).unwrap()
        ));
    }
}
