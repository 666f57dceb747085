//! graph-core runs on SQLite: resuming after the process's store is gone, and storage that
//! grows with the size of each update, not of the state.

use std::path::Path;
use std::sync::Arc;

use checkpoint::SqliteCheckpointer;
use graph_core::{
    CompiledGraph, Ctx, END, NodeError, Resume, RunConfig, RunStatus, START, State, StateGraph,
};

#[derive(State, Clone, Default, Debug)]
struct Trip {
    #[state(append)]
    log: Vec<String>,
    rounds: u32,
}

fn approval_graph(path: &Path) -> CompiledGraph<Trip> {
    let mut graph = StateGraph::<Trip>::new();
    graph.add_node("plan", |_s: Arc<Trip>, _ctx: Ctx| async {
        Ok(TripUpdate::default().log(vec!["planned".into()]))
    });
    graph.add_node("approve", |_s: Arc<Trip>, ctx: Ctx| async move {
        let answer: String = ctx.interrupt("approve the plan?")?;
        Ok::<_, NodeError>(TripUpdate::default().log(vec![format!("answer {answer}")]))
    });
    graph.add_node("book", |_s: Arc<Trip>, _ctx: Ctx| async {
        Ok(TripUpdate::default().log(vec!["booked".into()]))
    });
    graph.add_edge(START, "plan");
    graph.add_edge("plan", "approve");
    graph.add_edge("approve", "book");
    graph.add_edge("book", END);
    let store = SqliteCheckpointer::open(path).expect("open");
    graph
        .compile()
        .expect("compile")
        .with_checkpointer(Arc::new(store))
}

#[tokio::test]
async fn an_interrupted_run_resumes_from_a_reopened_file() {
    let path = crate::temp_db("resume");
    let config = RunConfig::thread("guest-1");
    {
        let graph = approval_graph(&path);
        let out = graph.invoke(TripUpdate::default(), &config).await.unwrap();
        assert!(
            matches!(out.status, RunStatus::Interrupted(_)),
            "{:?}",
            out.status
        );
    }
    // A new store on the same file, as after a restart.
    let graph = approval_graph(&path);
    let paused = graph.get_state(&config).await.unwrap();
    assert_eq!(paused.values.log, ["planned"]);
    assert_eq!(paused.interrupts.len(), 1);
    let done = graph.resume(&config, Resume::value("yes")).await.unwrap();
    assert_eq!(done.status, RunStatus::Done);
    assert_eq!(done.state.log, ["planned", "answer yes", "booked"]);
    let history = graph
        .get_state_history(&config, &Default::default())
        .await
        .unwrap();
    assert!(history.len() >= 4, "{}", history.len());
}

fn counting_loop(path: &Path, steps: u32) -> CompiledGraph<Trip> {
    let store = SqliteCheckpointer::open(path).expect("open");
    counting_loop_on(Arc::new(store), steps)
}

fn counting_loop_on(store: Arc<SqliteCheckpointer>, steps: u32) -> CompiledGraph<Trip> {
    let mut graph = StateGraph::<Trip>::new();
    graph.add_node("work", |s: Arc<Trip>, _ctx: Ctx| async move {
        Ok(TripUpdate::default()
            .log(vec![format!("step {}", s.rounds)])
            .rounds(s.rounds + 1))
    });
    graph.add_edge(START, "work");
    graph.add_conditional_edge("work", ["work".into(), END], move |s: &Trip| {
        if s.rounds < steps { "work".into() } else { END }
    });
    graph.compile().expect("compile").with_checkpointer(store)
}

/// Bytes stored for thread `thread`: its checkpoint rows plus the values they wrote.
fn stored_bytes(path: &Path, thread: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT (SELECT SUM(LENGTH(meta) + LENGTH(versions) + LENGTH(frontier))
                 FROM gc_checkpoints WHERE thread = t.id)
              + (SELECT SUM(LENGTH(value)) FROM gc_values WHERE thread = t.id)
         FROM gc_threads t WHERE t.name = ?1 AND t.ns = ''",
        [thread],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test]
async fn a_growing_list_costs_the_same_per_step() {
    let path = crate::temp_db("flat");
    let mut per_step = Vec::new();
    for steps in [100u32, 800] {
        let graph = counting_loop(&path, steps);
        let thread = format!("long-{steps}");
        let config = RunConfig::thread(thread.as_str()).max_supersteps(steps);
        let out = graph.invoke(TripUpdate::default(), &config).await.unwrap();
        assert_eq!(out.state.log.len(), steps as usize);
        per_step.push(stored_bytes(&path, &thread) / i64::from(steps));

        // The state reads back exactly from the stored deltas and snapshots.
        let again = counting_loop(&path, steps);
        let state = again.get_state(&config).await.unwrap().values;
        assert_eq!(state.log, out.state.log);
        assert_eq!(state.rounds, steps);
    }
    // Whole-state snapshots at a fixed interval would make the 800-step thread cost several
    // times more per step; deltas bounded by their snapshot keep it flat.
    let (short, long) = (per_step[0], per_step[1]);
    assert!(
        long <= short + short / 4,
        "{long} bytes per step over 800 steps, {short} over 100: storage grows with the state"
    );
}

#[tokio::test]
async fn retention_keeps_the_last_checkpoints_and_a_pending_interrupt() {
    let path = crate::temp_db("retention");
    let store = SqliteCheckpointer::options()
        .keep_last(4)
        .open(&path)
        .unwrap();
    let mut graph = StateGraph::<Trip>::new();
    graph.add_node("work", |s: Arc<Trip>, _ctx: Ctx| async move {
        Ok(TripUpdate::default()
            .log(vec![format!("step {}", s.rounds)])
            .rounds(s.rounds + 1))
    });
    graph.add_node("ask", |_s: Arc<Trip>, ctx: Ctx| async move {
        let answer: String = ctx.interrupt("done?")?;
        Ok::<_, NodeError>(TripUpdate::default().log(vec![answer]))
    });
    graph.add_edge(START, "work");
    graph.add_conditional_edge("work", ["work", "ask"], |s: &Trip| {
        if s.rounds < 30 { "work" } else { "ask" }
    });
    graph.add_edge("ask", END);
    let graph = graph.compile().unwrap().with_checkpointer(Arc::new(store));
    let config = RunConfig::thread("kept");
    let out = graph.invoke(TripUpdate::default(), &config).await.unwrap();
    assert!(matches!(out.status, RunStatus::Interrupted(_)));

    let history = graph
        .get_state_history(&config, &Default::default())
        .await
        .unwrap();
    assert!(
        (4..=8).contains(&history.len()),
        "{} checkpoints kept",
        history.len()
    );
    // The oldest kept checkpoint still reads, though its log's snapshot and deltas were
    // written by checkpoints that are gone.
    let oldest = history.last().unwrap().id;
    let old = graph.get_state(&config.clone().at(oldest)).await.unwrap();
    assert_eq!(old.values.log.len(), old.values.rounds as usize);

    let done = graph.resume(&config, Resume::value("yes")).await.unwrap();
    assert_eq!(done.state.log.len(), 31);
    assert_eq!(done.state.log[30], "yes");
}

#[tokio::test]
async fn a_damaged_row_stops_retention_not_the_run() {
    let path = crate::temp_db("prune-fails");
    let store = SqliteCheckpointer::options()
        .keep_last(4)
        .open(&path)
        .unwrap();
    let graph = counting_loop_on(Arc::new(store), 12);
    let config = RunConfig::thread("t");
    // Run to checkpoint 6, damage checkpoint 5's versions (not the head, which the resume
    // reads), then go on: the prune that put 8 triggers reads 5 and fails, and the put, the
    // run and later prunes must not.
    graph
        .invoke(TripUpdate::default(), &config.clone().max_supersteps(6))
        .await
        .unwrap_err();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("UPDATE gc_checkpoints SET versions = x'02' WHERE id = 5")
        .unwrap();
    let out = graph.resume(&config, Resume::Continue).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.rounds, 12);
}
