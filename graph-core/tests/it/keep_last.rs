//! `#[state(append, keep_last = n)]`: a window over a list that grows every superstep. Only the
//! newest `n` items stay in the state, in checkpoints and in every reload, whether the field was
//! read back from a snapshot or replayed from deltas, so a long thread's state stays small.

use std::sync::Arc;

use graph_core::{Ctx, END, FieldUpdate, HistoryQuery, RunConfig, START, State, StateGraph};

#[derive(State, Clone, Default, Debug, PartialEq)]
struct Recent {
    #[state(append, keep_last = 3)]
    recent: Vec<u32>,
    #[state(add)]
    count: u32,
}

/// A graph that appends the next number to `recent` every superstep until `count` is `steps`.
fn counter(steps: u32, snapshot_every: u32) -> graph_core::CompiledGraph<Recent> {
    let mut g = StateGraph::<Recent>::new();
    g.add_node("tick", |s: Arc<Recent>, _ctx: Ctx| async move {
        Ok(RecentUpdate::default()
            .recent(vec![s.count + 1])
            .count(1u32))
    });
    g.add_edge(START, "tick");
    g.add_conditional_edge("tick", ["tick".into(), END], move |s: &Recent| {
        if s.count < steps { "tick".into() } else { END }
    });
    g.compile()
        .unwrap()
        .with_checkpointer(crate::memory())
        .with_snapshot_every(snapshot_every)
}

/// The window after `count` ticks.
fn window(count: u32) -> Vec<u32> {
    (count.saturating_sub(2).max(1)..=count).collect()
}

#[test]
fn the_reducer_keeps_only_the_newest_items() {
    let mut s = Recent::default();
    s.apply(RecentUpdate::default().recent(vec![1, 2])).unwrap();
    assert_eq!(s.recent, [1, 2]);
    s.apply(RecentUpdate::default().recent(vec![3, 4, 5, 6]))
        .unwrap();
    assert_eq!(s.recent, [4, 5, 6], "an update longer than the window");
    // An overwrite bypasses the reducer, window included.
    s.apply(RecentUpdate::default().recent(graph_core::Overwrite(vec![7, 8, 9, 10])))
        .unwrap();
    assert_eq!(s.recent, [7, 8, 9, 10]);
}

#[tokio::test]
async fn every_checkpoint_reloads_as_its_window_from_deltas_and_snapshots() {
    for snapshot_every in [1, 4, 50] {
        let g = counter(40, snapshot_every);
        let cfg = RunConfig::thread(format!("t{snapshot_every}"));
        let out = g.invoke(RecentUpdate::default(), &cfg).await.unwrap();
        assert_eq!(out.state.recent, [38, 39, 40]);
        let history = g
            .get_state_history_values(&cfg, &HistoryQuery::default())
            .await
            .unwrap();
        assert_eq!(history.len(), 41, "the input and 40 ticks");
        for snapshot in &history {
            let count = snapshot.values.count;
            assert_eq!(
                snapshot.values.recent,
                window(count),
                "after {count} ticks, snapshots every {snapshot_every} deltas"
            );
        }
        // A later run on the thread goes on from the window.
        let cfg = RunConfig::thread(format!("t{snapshot_every}"));
        let state = g.get_state(&cfg).await.unwrap();
        assert_eq!(state.values.recent, [38, 39, 40]);
    }
}

#[test]
fn a_diff_of_a_shifted_window_is_an_overwrite_and_of_a_grown_one_an_append() {
    let before = Recent {
        recent: vec![1, 2],
        count: 2,
    };
    let grown = Recent {
        recent: vec![1, 2, 3],
        count: 3,
    };
    assert_eq!(
        Recent::diff(&before, &grown).unwrap().recent,
        Some(FieldUpdate::Reduce(vec![3]))
    );
    let shifted = Recent {
        recent: vec![2, 3, 4],
        count: 4,
    };
    let update = Recent::diff(&grown, &shifted).unwrap();
    assert_eq!(update.recent, Some(FieldUpdate::Overwrite(vec![2, 3, 4])));
    let mut applied = grown.clone();
    applied.apply(update).unwrap();
    assert_eq!(applied, shifted);
}
