//! Persistence: the checkpoint sequence, field versions and deltas, durability modes, history
//! queries, resume after a crash, and the in-memory checkpointer's retention and copies.

use std::sync::Arc;

use graph_core::Namespace;
use graph_core::{
    Checkpointer, Ctx, Durability, EventKind, FieldValue, HistoryQuery, Resume, RunConfig, START,
    Source, StateGraph, ThreadId, ThreadStatus,
};
use serde_json::json;

use crate::{Calls, Log, LogUpdate, append, chain, memory, push};

#[tokio::test]
async fn a_three_node_chain_writes_an_input_and_three_loop_checkpoints() {
    let store = memory();
    let g = chain()
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _)
        .with_clock(|| 1_700_000_000_000);
    let cfg = RunConfig::thread("t").metadata("user", "bob");
    g.invoke(push("in"), &cfg).await.unwrap();
    let history = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    let summary: Vec<_> = history
        .iter()
        .map(|m| (m.id.0, m.step, m.source, m.next.clone(), m.writers.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (3, 2, Source::Loop, vec![], vec!["c".into()]),
            (2, 1, Source::Loop, vec!["c".into()], vec!["b".into()]),
            (1, 0, Source::Loop, vec!["b".into()], vec!["a".into()]),
            (0, -1, Source::Input, vec!["a".into()], vec![]),
        ]
    );
    assert!(
        history
            .iter()
            .all(|m| m.created_at_ms == 1_700_000_000_000 && m.metadata["user"] == "bob")
    );

    // A second input on the thread continues from its state.
    let out = g.invoke(push("again"), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "b", "c", "again", "a", "b", "c"]);
    assert_eq!(
        g.get_state_history(&cfg, &HistoryQuery::default())
            .await
            .unwrap()[0]
            .step,
        6
    );
}

#[tokio::test]
async fn history_filters_pages_and_limits_newest_first() {
    let g = chain().compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let mut filter = graph_core::Metadata::new();
    filter.insert("source".into(), json!("loop"));
    let q = HistoryQuery {
        limit: Some(2),
        filter,
        ..Default::default()
    };
    let page = g.get_state_history(&cfg, &q).await.unwrap();
    assert_eq!(page.iter().map(|m| m.step).collect::<Vec<_>>(), [2, 1]);
    let next = HistoryQuery {
        before: Some(page[1].id),
        ..q
    };
    let page = g.get_state_history(&cfg, &next).await.unwrap();
    assert_eq!(page.iter().map(|m| m.step).collect::<Vec<_>>(), [0]);
}

#[tokio::test]
async fn unchanged_fields_are_not_rewritten_and_appends_are_stored_as_deltas() {
    let store = memory();
    let mut g = StateGraph::<Log>::new();
    g.add_node("grow", |s: Arc<Log>, _c: Ctx| async move {
        Ok(push(format!("e{}", s.log.len())))
    });
    g.add_edge(START, "grow");
    g.add_conditional_edge("grow", ["grow".into(), graph_core::END], |s: &Log| {
        if s.log.len() < 10 {
            "grow".into()
        } else {
            graph_core::END
        }
    });
    let g = g
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _)
        .with_snapshot_every(4);
    let cfg = RunConfig::thread("t");
    let out = g
        .invoke(LogUpdate::default().v("fixed"), &cfg)
        .await
        .unwrap();
    assert_eq!(out.state.log.len(), 10);

    let latest = store
        .get(&cfg.thread, &Namespace::root(), None)
        .await
        .unwrap()
        .unwrap();
    let v = latest.versions.iter().find(|v| v.field == "v").unwrap();
    assert_eq!(v.version.0, 0, "`v` was written once, by the input");
    let log = latest.values.iter().find(|f| f.field == "log").unwrap();
    assert!(
        !log.deltas.is_empty() && log.deltas.len() < 4,
        "{} deltas",
        log.deltas.len()
    );
    // Every stored delta holds only that superstep's items.
    let one = store
        .get(
            &cfg.thread,
            &Namespace::root(),
            Some(graph_core::CheckpointId(5)),
        )
        .await
        .unwrap()
        .unwrap();
    let field = one.values.iter().find(|f| f.field == "log").unwrap();
    if let Some(last) = field.deltas.last() {
        assert_eq!(std::str::from_utf8(last).unwrap(), "[[\"e4\"]]");
    }
    // Restoring from the chains gives the exact state.
    assert_eq!(g.get_state(&cfg).await.unwrap().values, out.state);
    let _ = FieldValue::Snapshot(Arc::from([]));
}

#[tokio::test]
async fn exit_durability_saves_only_the_last_checkpoint() {
    let g = chain().compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t").durability(Durability::Exit);
    let out = g.invoke(push("in"), &cfg).await.unwrap();
    let history = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].step, history[0].parent), (2, None));
    assert_eq!(g.get_state(&cfg).await.unwrap().values, out.state);
    // The next run on the thread builds on it, in sync mode too.
    let out = g
        .invoke(push("more"), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["in", "a", "b", "c", "more", "a", "b", "c"]);
    let history = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(history.len(), 5);
}

#[tokio::test]
async fn exit_durability_saves_pending_writes_on_failure() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", |_s: Arc<Log>, _c: Ctx| async {
        Err::<(), _>(graph_core::NodeError::msg("no"))
    });
    g.add_edge(START, "a").add_edge(START, "b");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t").durability(Durability::Exit);
    g.invoke(LogUpdate::default(), &cfg).await.unwrap_err();
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Error);
    assert!(state.tasks.iter().any(|t| t.node == "a" && t.finished));
}

#[tokio::test]
async fn a_run_cancelled_mid_superstep_resumes_without_rerunning_finished_tasks() {
    // Simulates a crash: b hangs, a finishes and saves its output, then the run is dropped.
    let store = memory();
    let a_calls = Calls::default();
    let build = |b_hangs: bool, a_calls: Calls| {
        let mut g = StateGraph::<Log>::new();
        g.add_node("a", move |_s: Arc<Log>, _c: Ctx| {
            a_calls.hit();
            async { Ok(push("a")) }
        });
        g.add_node("b", move |_s: Arc<Log>, _c: Ctx| async move {
            if b_hangs {
                std::future::pending::<()>().await;
            }
            Ok(push("b"))
        });
        g.add_edge(START, "a").add_edge(START, "b");
        g.compile().unwrap()
    };
    let g = build(true, a_calls.clone()).with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let mut stream = g.stream(LogUpdate::default(), &cfg, graph_core::StreamModes::ALL);
    while let Some(event) = stream.next().await {
        if matches!(event.kind, EventKind::TaskEnd { .. })
            && event.node.as_ref().is_some_and(|n| n == "a")
        {
            break;
        }
    }
    drop(stream);
    assert_eq!(
        g.get_state(&cfg).await.unwrap().status,
        ThreadStatus::Pending
    );

    let g = build(false, a_calls.clone()).with_checkpointer(store);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["a", "b"]);
    assert_eq!(out.executed, ["b"]);
    assert_eq!(a_calls.get(), 1);
}

#[tokio::test]
async fn in_memory_retention_copy_and_delete() {
    let store = memory();
    let g = chain()
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _)
        .with_snapshot_every(2);
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    g.invoke(push("again"), &cfg).await.unwrap();
    let before = g.get_state(&cfg).await.unwrap().values;

    store
        .copy_thread(&cfg.thread, &ThreadId::from("copy"))
        .await
        .unwrap();
    assert_eq!(
        g.get_state(&RunConfig::thread("copy"))
            .await
            .unwrap()
            .values,
        before
    );
    assert!(
        store
            .copy_thread(&cfg.thread, &ThreadId::from("copy"))
            .await
            .is_err()
    );

    let deleted = store.prune(&cfg.thread, 2).await.unwrap();
    assert_eq!(deleted, 6);
    assert_eq!(
        g.get_state_history(&cfg, &HistoryQuery::default())
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        g.get_state(&cfg).await.unwrap().values,
        before,
        "kept checkpoints still read their delta chains"
    );
    let out = g.invoke(push("third"), &cfg).await.unwrap();
    assert_eq!(out.state.log.len(), before.log.len() + 4);

    store.delete_thread(&cfg.thread).await.unwrap();
    assert!(g.get_state(&cfg).await.unwrap().checkpoint.is_none());
    assert_eq!(
        g.get_state(&RunConfig::thread("copy"))
            .await
            .unwrap()
            .values,
        before
    );
}

#[tokio::test]
async fn operations_without_a_checkpointer_say_so() {
    let g = chain().compile().unwrap();
    let cfg = RunConfig::thread("t");
    let err = g.resume(&cfg, Resume::Continue).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "resume needs a checkpointer: compile the graph and call `with_checkpointer`"
    );
    let err = g.get_state(&cfg).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "get_state needs a checkpointer: compile the graph and call `with_checkpointer`"
    );
}

#[tokio::test]
async fn update_state_is_stored_in_full_whatever_the_durability() {
    // See: an Exit-durability config once made update_state store empty field values.
    let g = chain().compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t").durability(Durability::Exit);
    g.invoke(push("in"), &cfg).await.unwrap();
    g.update_state(&cfg, push("edit").v("changed"), Some("c"))
        .await
        .unwrap();
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.values.log, ["in", "a", "b", "c", "edit"]);
    assert_eq!(state.values.v, "changed");
    assert_eq!(state.checkpoint.unwrap().source, Source::Update);
}

/// A write of the value a field already holds stores nothing: the checkpoint keeps the field's
/// stored version (no new row), and every checkpoint still reads its values as they were, across
/// runs (the run that writes the same value again restored the field from storage).
#[tokio::test]
async fn a_write_of_the_same_value_keeps_the_stored_version() {
    let store = memory();
    let mut g = StateGraph::<Log>::new();
    g.add_node("same", |_s: Arc<Log>, _ctx: Ctx| async move {
        Ok(LogUpdate::default().v("same").x(1))
    });
    g.add_node("other", |_s: Arc<Log>, _ctx: Ctx| async move {
        Ok(LogUpdate::default().v("same").x(2))
    });
    g.add_edge(START, "same").add_edge("same", "other");
    let g = g
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let version_of = |loaded: &graph_core::LoadedCheckpoint, field: &str| {
        loaded
            .versions
            .iter()
            .find(|v| v.field == field)
            .map(|v| v.version.0)
    };
    for run in 0..2 {
        g.invoke(LogUpdate::default(), &cfg).await.unwrap();
        let head = store
            .get(&ThreadId::from("t"), &Namespace::root(), None)
            .await
            .unwrap()
            .unwrap();
        // `v` was first written by `same` in the first run (checkpoint 1); `x` changed at the
        // head.
        assert_eq!(version_of(&head, "v"), Some(1), "run {run}");
        assert_eq!(version_of(&head, "x"), Some(head.meta.id.0), "run {run}");
        assert!(
            head.values
                .iter()
                .all(|v| v.field != "v" || &*v.snapshot == b"\"same\"")
        );
    }
    let history = g
        .get_state_history_values(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    let read: Vec<(String, i64)> = history
        .iter()
        .map(|s| (s.values.v.clone(), s.values.x))
        .collect();
    assert_eq!(
        read,
        [
            ("same".into(), 2),
            ("same".into(), 1),
            ("same".into(), 2),
            ("same".into(), 2),
            ("same".into(), 1),
            (String::new(), 0),
        ]
    );
}
