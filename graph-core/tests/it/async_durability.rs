//! `Durability::Async`: every checkpoint is stored, as with `Sync`, while the next superstep
//! runs; the run returns once all of them are stored.

use std::sync::Arc;

use graph_core::{Ctx, Durability, HistoryQuery, Resume, RunConfig, RunStatus, START, StateGraph};

use crate::{Calls, Log, append, chain, memory, push};

#[tokio::test]
async fn an_async_run_stores_the_same_checkpoints_as_a_sync_one() {
    let g = chain().compile().unwrap().with_checkpointer(memory());
    let mut histories = Vec::new();
    for (thread, durability) in [("s", Durability::Sync), ("a", Durability::Async)] {
        let cfg = RunConfig::thread(thread).durability(durability);
        let out = g.invoke(push("in"), &cfg).await.unwrap();
        assert_eq!(out.state.log, ["in", "a", "b", "c"]);
        // Returned means stored: the state read back is the run's.
        let state = g.get_state(&RunConfig::thread(thread)).await.unwrap();
        assert_eq!(state.values.log, out.state.log);
        let history = g
            .get_state_history(&RunConfig::thread(thread), &HistoryQuery::default())
            .await
            .unwrap();
        let steps: Vec<(i64, Vec<String>)> = history
            .iter()
            .map(|m| (m.step, m.next.iter().map(ToString::to_string).collect()))
            .collect();
        histories.push(steps);
    }
    assert_eq!(histories[0].len(), 4);
    assert_eq!(histories[0], histories[1]);
}

#[tokio::test]
async fn an_async_run_pauses_and_resumes_and_runs_an_effect_once() {
    let effects = Calls::default();
    let counted = effects.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("pay", move |_s: Arc<Log>, ctx: Ctx| {
        let counted = counted.clone();
        async move {
            let receipt: String = ctx
                .effect("charge", |_key| async move {
                    counted.hit();
                    Ok::<_, std::io::Error>("r-1".to_owned())
                })
                .await?;
            let answer: String = ctx.interrupt("confirm?")?;
            Ok(push(format!("{receipt} {answer}")))
        }
    });
    g.add_node("done", append("done"));
    g.add_edge(START, "pay").add_edge("pay", "done");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t").durability(Durability::Async);
    let out = g.invoke(push("in"), &cfg).await.unwrap();
    assert!(matches!(out.status, RunStatus::Interrupted(_)));
    let out = g.resume(&cfg, Resume::value("yes")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["in", "r-1 yes", "done"]);
    assert_eq!(effects.get(), 1);
}
