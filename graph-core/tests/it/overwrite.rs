//! `Overwrite`: a write that bypasses a field's reducer (LangGraph's `Overwrite`). One per field
//! per superstep; it wins its superstep over reducer writes; it is stored in checkpoints and
//! pending writes like any write, so a resume after a crash gives the same state.

use std::sync::Arc;

use graph_core::Namespace;
use graph_core::{
    CheckpointId, Checkpointer, Ctx, END, Error, EventKind, Keyed, Overwrite, Resume, RunConfig,
    START, State, StateGraph, WriteKind,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{Calls, Log, LogUpdate, append, chain, memory, push};

/// A node that overwrites `log` with `entries`.
fn overwrite(
    entries: &'static [&'static str],
) -> impl Fn(Arc<Log>, Ctx) -> std::future::Ready<Result<LogUpdate, graph_core::NodeError>>
+ Send
+ Sync
+ 'static {
    move |_, _| {
        let entries: Vec<String> = entries.iter().map(|&e| e.to_owned()).collect();
        std::future::ready(Ok(LogUpdate::default().log(Overwrite(entries))))
    }
}

#[tokio::test]
async fn an_overwrite_replaces_what_the_reducer_built() {
    // LangGraph's check: a appends ["a"], then b overwrites with ["b"].
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", overwrite(&["b"]));
    g.add_edge(START, "a").add_edge("a", "b");
    let out = g
        .compile()
        .unwrap()
        .invoke(push("in"), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["b"]);
}

#[tokio::test]
async fn two_overwrites_of_a_field_in_one_superstep_fail_naming_it() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", overwrite(&["a"]));
    g.add_node("b", overwrite(&["b"]));
    g.add_edge(START, "a").add_edge(START, "b");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let err = g.invoke(push("in"), &cfg).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: nodes `a` and `b` both overwrote field `log` in the same \
         superstep; a field takes at most one Overwrite per superstep"
    );
    assert!(
        matches!(&err, Error::OverwriteConflict { field: "log", first, second, .. }
            if first == "a" && second == "b"),
        "{err:?}"
    );
    // Nothing of the superstep is applied.
    assert_eq!(g.get_state(&cfg).await.unwrap().values.log, ["in"]);
}

#[tokio::test]
async fn an_overwrite_wins_its_superstep_over_reducer_writes_before_and_after_it() {
    // a ∥ b ∥ c in task order: a's append is replaced, c's append is dropped (LangGraph's
    // BinaryOperatorAggregate). Other fields are untouched by it.
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", |_s: Arc<Log>, _c: Ctx| async { Ok(push("a").n(1u32)) });
    g.add_node("b", overwrite(&["b"]));
    g.add_node("c", |_s: Arc<Log>, _c: Ctx| async { Ok(push("c").n(2u32)) });
    g.add_node("d", append("d"));
    for name in ["a", "b", "c"] {
        g.add_edge(START, name).add_edge(name, "d");
    }
    let out = g
        .compile()
        .unwrap()
        .invoke(push("in"), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["b", "d"]);
    assert_eq!(out.state.n, 3);
}

#[tokio::test]
async fn an_overwrite_in_the_input_or_in_update_state_resets_the_field() {
    let g = chain().compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    g.invoke(push("in"), &cfg).await.unwrap();
    let out = g
        .invoke(
            LogUpdate::default().log(Overwrite(vec!["fresh".into()])),
            &cfg,
        )
        .await
        .unwrap();
    assert_eq!(out.state.log, ["fresh", "a", "b", "c"]);

    g.update_state(
        &cfg,
        LogUpdate::default().log(Overwrite(Vec::<String>::new())),
        Some("c"),
    )
    .await
    .unwrap();
    assert!(g.get_state(&cfg).await.unwrap().values.log.is_empty());
}

#[tokio::test]
async fn an_overwrite_is_stored_as_a_snapshot_and_appends_after_it_as_deltas() {
    // A loop appends; its fourth round trims the list to its last entry; the thread reads back
    // exactly, and the trimmed checkpoint holds a snapshot with no deltas before it.
    let store = memory();
    let mut g = StateGraph::<Log>::new();
    g.add_node("grow", |s: Arc<Log>, _c: Ctx| async move {
        let round = s.n + 1;
        let update = if round == 4 {
            LogUpdate::default().log(Overwrite(vec![format!("trimmed at round {round} of 7")]))
        } else {
            push(format!("e{round}"))
        };
        Ok(update.n(1u32))
    });
    g.add_edge(START, "grow");
    g.add_conditional_edge("grow", ["grow".into(), END], |s: &Log| {
        if s.n < 7 { "grow".into() } else { END }
    });
    let g = g
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    // A long first entry leaves room for deltas, so the trim is a snapshot by choice.
    let out = g.invoke(push("x".repeat(200)), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["trimmed at round 4 of 7", "e5", "e6", "e7"]);
    assert_eq!(g.get_state(&cfg).await.unwrap().values, out.state);

    // Checkpoint 4 is superstep 3, the trim.
    let trimmed = store
        .get(&cfg.thread, &Namespace::root(), Some(CheckpointId(4)))
        .await
        .unwrap()
        .unwrap();
    let log = trimmed.values.iter().find(|f| f.field == "log").unwrap();
    assert_eq!(&*log.snapshot, br#"["trimmed at round 4 of 7"]"#);
    assert!(log.deltas.is_empty());
    let before = store
        .get(&cfg.thread, &Namespace::root(), Some(CheckpointId(3)))
        .await
        .unwrap()
        .unwrap();
    let log = before.values.iter().find(|f| f.field == "log").unwrap();
    assert_eq!(log.deltas.len(), 3, "appends before the trim are deltas");
    let latest = store
        .get(&cfg.thread, &Namespace::root(), None)
        .await
        .unwrap()
        .unwrap();
    let log = latest.values.iter().find(|f| f.field == "log").unwrap();
    assert_eq!(&*log.snapshot, br#"["trimmed at round 4 of 7"]"#);
    assert_eq!(log.deltas.len(), 3);
}

#[tokio::test]
async fn an_overwrite_saved_before_a_crash_is_reused_on_resume() {
    // a overwrites and saves its output; z hangs and the run is dropped. On resume a is not run
    // again, its saved Overwrite still wins over z's append, as in an uninterrupted run.
    let store = memory();
    let a_calls = Calls::default();
    let build = |z_hangs: bool, a_calls: Calls| {
        let mut g = StateGraph::<Log>::new();
        g.add_node("a", move |_s: Arc<Log>, _c: Ctx| {
            a_calls.hit();
            async { Ok(LogUpdate::default().log(Overwrite(vec!["a".to_owned()]))) }
        });
        g.add_node("z", move |_s: Arc<Log>, _c: Ctx| async move {
            if z_hangs {
                std::future::pending::<()>().await;
            }
            Ok(push("z"))
        });
        g.add_edge(START, "a").add_edge(START, "z");
        g.compile().unwrap()
    };
    let uninterrupted = build(false, Calls::default())
        .invoke(push("in"), &RunConfig::thread("whole"))
        .await
        .unwrap();
    assert_eq!(uninterrupted.state.log, ["a"]);

    let g = build(true, a_calls.clone()).with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let mut stream = g.stream(push("in"), &cfg, graph_core::StreamModes::ALL);
    while let Some(event) = stream.next().await {
        if matches!(event.kind, EventKind::TaskEnd { .. })
            && event.node.as_ref().is_some_and(|n| n == "a")
        {
            break;
        }
    }
    drop(stream);

    // a's pending write holds the Overwrite in LangGraph's wire form.
    let head = store
        .get(&cfg.thread, &Namespace::root(), None)
        .await
        .unwrap()
        .unwrap();
    let output = head
        .pending_writes
        .iter()
        .find(|w| w.node == "a" && w.kind == WriteKind::Output)
        .unwrap();
    let output: serde_json::Value = serde_json::from_slice(&output.value).unwrap();
    assert_eq!(
        output["update"]["log"],
        json!({"type": "__overwrite__", "value": ["a"]})
    );

    let g = build(false, a_calls.clone()).with_checkpointer(store);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state, uninterrupted.state);
    assert_eq!(out.executed, ["z"]);
    assert_eq!(a_calls.get(), 1);
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Note {
    id: String,
    text: String,
}
impl Keyed for Note {
    fn key(&self) -> &str {
        &self.id
    }
}

fn keep_max(current: &mut i64, update: i64) {
    *current = (*current).max(update);
}

fn add_word(current: &mut Vec<String>, word: String) {
    current.push(word);
}

#[derive(State, Clone, Default, Debug)]
struct Board {
    #[state(merge)]
    notes: Vec<Note>,
    #[state(reducer = keep_max)]
    best: i64,
    #[state(reducer = add_word, update = String)]
    words: Vec<String>,
}

#[tokio::test]
async fn every_kind_of_reducer_field_can_be_overwritten() {
    let note = |id: &str, text: &str| Note {
        id: id.into(),
        text: text.into(),
    };
    let mut g = StateGraph::<Board>::new();
    g.add_node("reset", move |_s: Arc<Board>, _c: Ctx| async move {
        Ok(BoardUpdate::default()
            .notes(Overwrite(vec![note("2", "only")]))
            .best(Overwrite(-1i64))
            // The overwrite of a custom reducer takes the field's type, not its update type.
            .words(Overwrite(vec!["w".to_owned()])))
    });
    g.add_edge(START, "reset");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let input = BoardUpdate::default()
        .notes(vec![note("1", "a")])
        .best(10i64)
        .words("hello");
    let out = g.invoke(input, &cfg).await.unwrap();
    assert_eq!(out.state.notes, [note("2", "only")]);
    assert_eq!(out.state.best, -1);
    assert_eq!(out.state.words, ["w"]);
    // And it reads back the same.
    let stored = g.get_state(&cfg).await.unwrap().values;
    assert_eq!(
        (stored.notes, stored.best, stored.words),
        (out.state.notes, out.state.best, out.state.words)
    );
}
