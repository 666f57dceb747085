//! History with values on SQLite: every entry of every page equals `get_state` at its checkpoint,
//! through delta chains, periodic snapshots, a fork and a pending interrupt.

use std::sync::Arc;

use checkpoint::SqliteCheckpointer;
use graph_core::{
    CompiledGraph, Ctx, END, Endpoint, HistoryQuery, NodeError, Resume, RunConfig, RunStatus,
    START, State, StateGraph,
};

#[derive(State, Clone, Default, Debug, PartialEq)]
struct Walk {
    #[state(append)]
    log: Vec<String>,
    #[state(add)]
    total: u64,
    rounds: u32,
    last: String,
}

/// One node that loops 20 times, appending, adding and overwriting; it asks once, at round 10.
fn walk(store: SqliteCheckpointer) -> CompiledGraph<Walk> {
    let mut graph = StateGraph::<Walk>::new();
    graph.add_node("step", |s: Arc<Walk>, ctx: Ctx| async move {
        if s.rounds == 10 {
            let _go_on: bool = ctx.interrupt("go on?")?;
        }
        let round = s.rounds + 1;
        Ok::<_, NodeError>(
            WalkUpdate::default()
                .log(vec![format!("r{round}")])
                .total(u64::from(round))
                .rounds(round)
                .last(format!("last {round}")),
        )
    });
    graph.add_edge(START, "step");
    graph.add_conditional_edge("step", [Endpoint::from("step"), END], |s: &Walk| {
        if s.rounds < 20 {
            Endpoint::from("step")
        } else {
            END
        }
    });
    graph
        .compile()
        .expect("compile")
        .with_checkpointer(Arc::new(store))
        .with_snapshot_every(3)
}

/// Pages through the whole history, `size` at a time, and checks every entry against
/// `get_state`; returns how many there were.
async fn check_history(graph: &CompiledGraph<Walk>, cfg: &RunConfig, size: usize) -> usize {
    let all = graph
        .get_state_history(cfg, &HistoryQuery::default())
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let query = HistoryQuery {
            limit: Some(size),
            before,
            ..HistoryQuery::default()
        };
        let page = graph.get_state_history_values(cfg, &query).await.unwrap();
        assert!(page.len() <= size);
        let Some(last) = page.last() else { break };
        before = last.checkpoint.as_ref().map(|c| c.id);
        for entry in page {
            let meta = entry.checkpoint.clone().expect("a stored checkpoint");
            let at = graph.get_state(&cfg.clone().at(meta.id)).await.unwrap();
            assert_eq!(entry.values, at.values, "values at checkpoint {}", meta.id);
            assert_eq!(entry.checkpoint, at.checkpoint, "meta at {}", meta.id);
            assert_eq!(entry.next, at.next, "next at {}", meta.id);
            assert_eq!(entry.tasks, at.tasks, "tasks at {}", meta.id);
            assert_eq!(entry.interrupts, at.interrupts, "interrupts at {}", meta.id);
            assert_eq!(entry.status, at.status, "status at {}", meta.id);
            seen.push(meta);
        }
    }
    assert_eq!(seen, all, "the pages together are the whole listing");
    seen.len()
}

#[tokio::test]
async fn every_history_entry_equals_get_state_at_its_checkpoint() {
    let path = crate::temp_db("history");
    let graph = walk(SqliteCheckpointer::open(&path).unwrap());
    let cfg = RunConfig::thread("walker");

    let out = graph.invoke(WalkUpdate::default(), &cfg).await.unwrap();
    assert!(matches!(out.status, RunStatus::Interrupted(_)));
    // Paused: the newest entry carries the saved interrupt, read from its pending writes.
    let newest = graph
        .get_state_history_values(
            &cfg,
            &HistoryQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(newest[0].interrupts.len(), 1);
    assert_eq!(
        newest[0].tasks[0].interrupt.as_ref().unwrap().value,
        "go on?"
    );
    assert_eq!(newest[0].values.rounds, 10);
    check_history(&graph, &cfg, 4).await;

    let done = graph.resume(&cfg, Resume::value(true)).await.unwrap();
    assert_eq!(done.state.rounds, 20);
    assert_eq!(done.state.total, (1..=20).sum::<u64>());

    // A fork from round 5 writes a delta onto an old version, between newer rows.
    let listing = graph
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    let round5 = listing.iter().find(|m| m.step == 5).unwrap().id;
    graph
        .update_state(
            &cfg.clone().at(round5),
            WalkUpdate::default()
                .log(vec!["fork".into()])
                .last("forked"),
            Some("step"),
        )
        .await
        .unwrap();
    let fork = graph.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(fork.state.log.get(6).map(String::as_str), Some("fork"));
    // The fork asks again at round 10: its head has a pending interrupt too.
    assert!(matches!(fork.status, RunStatus::Interrupted(_)));

    for size in [1, 7, 100] {
        let n = check_history(&graph, &cfg, size).await;
        // Input, 20 supersteps, the edit after round 6, and rounds 7 to 10 again.
        assert_eq!(n, 1 + 20 + 1 + 4, "page size {size}");
    }
    // The history's values are the run's, not just equal to another read.
    let page = graph
        .get_state_history_values(
            &cfg,
            &HistoryQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page[0].values, fork.state);
}

#[tokio::test]
async fn edits_and_commands_are_stored_on_sqlite() {
    let path = crate::temp_db("edits");
    let mut graph = StateGraph::<Walk>::new();
    for name in ["a", "b"] {
        graph.add_node(name, move |_s: Arc<Walk>, _ctx: Ctx| async move {
            Ok::<_, NodeError>(WalkUpdate::default().log(vec![name.to_owned()]))
        });
    }
    graph.add_edge(START, "a").add_edge("a", "b");
    let store = SqliteCheckpointer::open(&path).unwrap();
    let graph = graph.compile().unwrap().with_checkpointer(Arc::new(store));
    let cfg = RunConfig::thread("t");

    let out = graph
        .invoke_command(
            graph_core::Command::update(WalkUpdate::default().last("cmd")).and_goto("b"),
            &cfg,
        )
        .await
        .unwrap();
    assert_eq!(out.state.log, ["b"]);
    graph
        .bulk_update_state(
            &cfg,
            vec![
                vec![
                    (WalkUpdate::default().log(vec!["x".into()]), "a".into()),
                    (WalkUpdate::default().total(2u64), "b".into()),
                ],
                vec![(WalkUpdate::default(), graph_core::UpdateTarget::Copy)],
            ],
        )
        .await
        .unwrap();
    let copy = graph.get_state(&cfg).await.unwrap();
    assert_eq!(
        copy.checkpoint.as_ref().unwrap().source,
        graph_core::Source::Fork
    );
    assert_eq!(copy.next, ["b"]);
    assert_eq!(
        (copy.values.log.clone(), copy.values.total),
        (vec!["b".into(), "x".into()], 2)
    );
    graph
        .update_state(&cfg, WalkUpdate::default(), "__input__")
        .await
        .unwrap();
    let out = graph.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["b", "x", "a", "b"]);
    // Reopened, the history reads the same values.
    drop(graph);
    let store = SqliteCheckpointer::open(&path).unwrap();
    let page = graph_core::Checkpointer::history(
        &store,
        &"t".into(),
        &graph_core::Namespace::root(),
        &HistoryQuery::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        page.len(),
        7,
        "input, b, the bulk edit, its copy, input, a, b"
    );
}
