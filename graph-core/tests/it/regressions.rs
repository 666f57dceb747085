//! Regression tests for defects found in review: failed stores, half-applied updates, forks,
//! panicking routers, copied threads, effect journal failures, corrected answers, ids.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use graph_core::Namespace;
use graph_core::{
    Checkpoint, CheckpointId, CheckpointMeta, Checkpointer, Ctx, Durability, END, HistoryQuery,
    InMemoryCheckpointer, LoadedCheckpoint, NodeError, PendingWrite, Resume, RunConfig, RunStatus,
    START, StateGraph, StorageError, ThreadId, ThreadStatus, WriteKind,
};

use crate::{Calls, Log, LogUpdate, append, chain, memory, push};

/// An in-memory checkpointer that fails the put of checkpoint `fail_put` (once) and the next
/// `effects` effect writes.
#[derive(Default)]
pub(crate) struct Flaky {
    inner: InMemoryCheckpointer,
    pub(crate) fail_put: std::sync::Mutex<Option<CheckpointId>>,
    effects: AtomicUsize,
}

fn take(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

#[async_trait]
impl Checkpointer for Flaky {
    async fn put(&self, checkpoint: Checkpoint) -> Result<(), StorageError> {
        let fail = {
            let mut fail = self.fail_put.lock().unwrap();
            let hit = *fail == Some(checkpoint.meta.id);
            if hit {
                *fail = None;
            }
            hit
        };
        if fail {
            return Err(StorageError::new("disk on fire"));
        }
        self.inner.put(checkpoint).await
    }
    async fn put_writes(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        checkpoint: CheckpointId,
        writes: Vec<PendingWrite>,
    ) -> Result<(), StorageError> {
        if writes.iter().any(|w| w.kind == WriteKind::Effect) && take(&self.effects) {
            return Err(StorageError::new("disk on fire"));
        }
        self.inner.put_writes(thread, ns, checkpoint, writes).await
    }
    async fn get(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        id: Option<CheckpointId>,
    ) -> Result<Option<LoadedCheckpoint>, StorageError> {
        self.inner.get(thread, ns, id).await
    }
    async fn list(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Result<Vec<CheckpointMeta>, StorageError> {
        self.inner.list(thread, ns, query).await
    }
}

#[tokio::test]
async fn a_failed_store_leaves_the_thread_resumable_from_its_last_checkpoint() {
    let store = Arc::new(Flaky::default());
    let g = chain()
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    // Input and a's checkpoints (0 and 1) are stored; b's (2) fails.
    *store.fail_put.lock().unwrap() = Some(CheckpointId(2));
    let stream = g.stream(push("in"), &cfg, graph_core::StreamModes::ALL);
    let err = stream.finish().await.unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.values.log, ["in", "a"]);
    assert_eq!(state.next, ["b"]);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "b", "c"]);
    assert_eq!(g.get_state(&cfg).await.unwrap().values, out.state);
}

#[tokio::test]
async fn a_reducer_failure_in_exit_mode_does_not_store_a_half_applied_state() {
    #[derive(graph_core::State, Clone, Default, Debug)]
    struct Two {
        #[state(append)]
        log: Vec<String>,
        #[state(add)]
        n: u8,
    }
    let mut g = StateGraph::<Two>::new();
    g.add_node("a", |_s: Arc<Two>, _c: Ctx| async {
        Ok(TwoUpdate::default().log(vec!["a".into()]))
    });
    g.add_node("b", |_s: Arc<Two>, _c: Ctx| async {
        Ok(TwoUpdate::default().n(255u8))
    });
    g.add_edge(START, "a").add_edge(START, "b");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t").durability(Durability::Exit);
    g.invoke(TwoUpdate::default().n(1u8).log(vec!["in".into()]), &cfg)
        .await
        .unwrap_err();
    // The in-memory state had `a`'s entry applied before `b` overflowed: with nothing stored
    // yet, Exit durability stores nothing rather than that half-applied state.
    let state = g.get_state(&cfg).await.unwrap();
    assert!(state.checkpoint.is_none(), "{:?}", state.values.log);
}

#[tokio::test]
async fn a_replay_fork_is_not_a_breakpoint_and_errors_show_as_errors() {
    let calls = Calls::default();
    let c = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", move |_s: Arc<Log>, _c: Ctx| {
        let n = c.hit();
        async move {
            if n == 2 {
                return Err(NodeError::msg("boom"));
            }
            Ok(push("b"))
        }
    })
    .interrupt_before();
    g.add_edge(START, "a").add_edge("a", "b");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    g.resume(&cfg, Resume::Continue).await.unwrap();
    let before_b = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.next == ["b"])
        .unwrap()
        .id;
    // Replaying runs b again, which now fails.
    g.resume(&cfg.clone().at(before_b), Resume::Continue)
        .await
        .unwrap_err();
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.checkpoint.as_ref().unwrap().breakpoint, None);
    assert_eq!(state.status, ThreadStatus::Error);
}

#[tokio::test]
async fn a_failure_after_a_breakpoint_shows_as_an_error() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", |_s: Arc<Log>, _c: Ctx| async {
        Err::<(), _>(NodeError::msg("boom"))
    })
    .interrupt_before();
    g.add_edge(START, "a").add_edge("a", "b");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert_eq!(
        g.get_state(&cfg).await.unwrap().status,
        ThreadStatus::Interrupted
    );
    g.resume(&cfg, Resume::Continue).await.unwrap_err();
    assert_eq!(g.get_state(&cfg).await.unwrap().status, ThreadStatus::Error);
}

#[tokio::test]
async fn a_panicking_start_router_is_an_error() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_conditional_edge(START, ["a"], |s: &Log| -> &'static str {
        let empty: Vec<&str> = Vec::new();
        empty[s.log.len()]
    });
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "thread `t`, superstep -1: node `START` routed to `?`: the conditional edge panicked"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn update_state_on_a_recompiled_graph_names_the_missing_writer() {
    let store = memory();
    let mut g = StateGraph::<Log>::new();
    g.add_node("old", append("old"));
    g.add_edge(START, "old");
    let g = g
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let mut g = StateGraph::<Log>::new();
    g.add_node("new", append("new"));
    g.add_edge(START, "new");
    let g = g.compile().unwrap().with_checkpointer(store);
    let err = g.update_state(&cfg, push("x"), None).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("node `old`, which wrote the base checkpoint, is no longer in the graph"),
        "{err}"
    );
}

#[tokio::test]
async fn a_copied_thread_keeps_its_pending_interrupt() {
    let store = memory();
    let mut g = StateGraph::<Log>::new();
    g.add_node("ask", |_s: Arc<Log>, ctx: Ctx| async move {
        let answer: String = ctx.interrupt("name?")?;
        Ok(push(answer))
    });
    g.add_edge(START, "ask");
    let g = g
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    g.invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    store.copy_thread(&"t".into(), &"t2".into()).await.unwrap();
    let copy = RunConfig::thread("t2");
    assert_eq!(
        g.get_state(&copy).await.unwrap().status,
        ThreadStatus::Interrupted
    );
    let out = g.resume(&copy, Resume::value("ann")).await.unwrap();
    assert_eq!(out.state.log, ["ann"]);
}

#[tokio::test]
async fn an_effect_whose_result_cannot_be_saved_is_not_retried() {
    let store = Arc::new(Flaky::default());
    store.effects.store(1, Ordering::SeqCst);
    let charges = Calls::default();
    let ch = charges.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("pay", move |_s: Arc<Log>, ctx: Ctx| {
        let charges = ch.clone();
        async move {
            ctx.effect("charge", |_| async move {
                charges.hit();
                Ok::<_, NodeError>(1)
            })
            .await?;
            Ok(())
        }
    })
    .retry(graph_core::RetryPolicy::attempts(3).jitter(false).backoff(
        std::time::Duration::ZERO,
        1.0,
        std::time::Duration::ZERO,
    ));
    g.add_edge(START, "pay");
    let g = g
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    let err = g
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("effect `charge` ran but its result could not be saved"),
        "{err}"
    );
    assert_eq!(charges.get(), 1);
}

#[tokio::test]
async fn an_answer_of_the_wrong_type_can_be_corrected() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("ask", |_s: Arc<Log>, ctx: Ctx| async move {
        let n: u32 = ctx.interrupt("how many?")?;
        Ok(LogUpdate::default().n(n))
    });
    g.add_edge(START, "ask").add_edge("ask", END);
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let err = g.resume(&cfg, Resume::value("three")).await.unwrap_err();
    assert!(
        err.to_string().contains("does not decode as `u32`"),
        "{err}"
    );
    let out = g.resume(&cfg, Resume::value(3)).await.unwrap();
    assert_eq!((out.status, out.state.n), (RunStatus::Done, 3));
}

#[test]
fn unencodable_answers_are_refused_with_the_reason() {
    let mut map = std::collections::HashMap::new();
    map.insert((1, 2), "x");
    let resume = Resume::value(map);
    assert!(
        matches!(&resume, Resume::Unencodable(r) if r.contains("key must be a string")),
        "{resume:?}"
    );
}

#[test]
fn mermaid_ids_never_collide() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("my node", append("x"));
    g.add_node("node2", append("y"));
    g.add_node("__node1", append("z"));
    g.add_edge(START, "my node").add_edge("my node", "node2");
    let _ = g.compile().unwrap_err(); // `__node1` is reserved: ids with `__` cannot clash
    let mut g = StateGraph::<Log>::new();
    g.add_node("my node", append("x"));
    g.add_node("node1", append("y"));
    g.add_edge(START, "my node").add_edge("my node", "node1");
    let mermaid = g.compile().unwrap().to_mermaid();
    assert!(mermaid.contains("__node1(\"my node\")"), "{mermaid}");
    assert!(mermaid.contains("\tnode1(node1)"), "{mermaid}");
    assert!(mermaid.contains("__node1 --> node1;"), "{mermaid}");
}
