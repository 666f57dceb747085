//! Property: the result of a superstep does not depend on the order in which its tasks finish.

use std::sync::Arc;
use std::time::Duration;

use graph_core::Namespace;
use graph_core::{Checkpointer, Ctx, InMemoryCheckpointer, Push, RunConfig, START, StateGraph};
use proptest::prelude::*;

use crate::{Log, LogUpdate, push};

/// Five parallel nodes and a fan-out of pushes, each sleeping for its given delay.
fn graph(delays: Vec<u64>) -> graph_core::CompiledGraph<Log> {
    let delays = Arc::new(delays);
    let mut g = StateGraph::<Log>::new();
    for i in 0..5usize {
        let delays = Arc::clone(&delays);
        let name: &'static str = ["n0", "n1", "n2", "n3", "n4"][i];
        g.add_node(name, move |_s: Arc<Log>, _c: Ctx| {
            let delay = delays[i];
            async move {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                Ok(push(name).n(u32::try_from(i).unwrap()))
            }
        });
        g.add_edge(START, name);
    }
    let d = Arc::clone(&delays);
    g.add_push_node("w", move |k: usize, _c: Ctx| {
        let delay = d[5 + k];
        async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            Ok(push(format!("w{k}")))
        }
    });
    g.add_conditional_edge("n0", ["w"], |_s: &Log| {
        (0..5usize).map(|k| Push::new("w", &k)).collect::<Vec<_>>()
    });
    g.compile().unwrap()
}

fn run(delays: Vec<u64>) -> (Log, Vec<graph_core::LoadedField>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async move {
        let store = Arc::new(InMemoryCheckpointer::new());
        let g = graph(delays)
            .with_checkpointer(Arc::clone(&store) as _)
            .with_clock(|| 0);
        let cfg = RunConfig::thread("t");
        let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
        let latest = store
            .get(&cfg.thread, &Namespace::root(), None)
            .await
            .unwrap()
            .unwrap();
        (out.state, latest.values)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn merge_is_independent_of_finish_order(delays in proptest::collection::vec(0u64..50, 10)) {
        let (expected_state, expected_stored) = run(vec![0; 10]);
        let (state, stored) = run(delays);
        prop_assert_eq!(&state.log, &expected_state.log);
        prop_assert_eq!(state.n, 10);
        prop_assert_eq!(stored, expected_stored);
    }
}

#[test]
fn the_reference_order_is_node_name_then_push_order() {
    let (state, _) = run(vec![40, 30, 20, 10, 0, 5, 4, 3, 2, 1]);
    assert_eq!(
        state.log,
        ["n0", "n1", "n2", "n3", "n4", "w0", "w1", "w2", "w3", "w4"]
    );
}
