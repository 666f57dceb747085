//! History with values: each entry is what `get_state` reads at its checkpoint, in memory and
//! through the trait's default (a `get` per checkpoint) for checkpointers that do not override
//! it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use graph_core::{
    Checkpoint, CheckpointId, CheckpointMeta, Checkpointer, CompiledGraph, HistoryQuery,
    InMemoryCheckpointer, LoadedCheckpoint, Namespace, PendingWrite, RunConfig, StorageError,
    ThreadId,
};

use crate::{Log, LogUpdate, chain};

/// An in-memory checkpointer that keeps the default `history` and counts its `get`s.
#[derive(Default)]
struct Plain {
    inner: InMemoryCheckpointer,
    gets: AtomicUsize,
}

#[async_trait]
impl Checkpointer for Plain {
    async fn put(&self, checkpoint: Checkpoint) -> Result<(), StorageError> {
        self.inner.put(checkpoint).await
    }
    async fn put_writes(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        checkpoint: CheckpointId,
        writes: Vec<PendingWrite>,
    ) -> Result<(), StorageError> {
        self.inner.put_writes(thread, ns, checkpoint, writes).await
    }
    async fn get(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        id: Option<CheckpointId>,
    ) -> Result<Option<LoadedCheckpoint>, StorageError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
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

async fn check_against_get_state(graph: &CompiledGraph<Log>, cfg: &RunConfig) -> usize {
    let page = graph
        .get_state_history_values(cfg, &HistoryQuery::default())
        .await
        .unwrap();
    for entry in &page {
        let id = entry.checkpoint.as_ref().unwrap().id;
        let at = graph.get_state(&cfg.clone().at(id)).await.unwrap();
        assert_eq!(entry.values, at.values, "values at {id}");
        assert_eq!(entry.checkpoint, at.checkpoint, "meta at {id}");
        assert_eq!(
            (&entry.next, &entry.tasks),
            (&at.next, &at.tasks),
            "next at {id}"
        );
    }
    page.len()
}

#[tokio::test]
async fn history_entries_are_get_state_at_each_checkpoint() {
    let memory = chain()
        .compile()
        .unwrap()
        .with_checkpointer(crate::memory());
    let plain = Arc::new(Plain::default());
    let by_default = chain()
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&plain) as Arc<dyn Checkpointer>);
    let cfg = RunConfig::thread("t");
    for graph in [&memory, &by_default] {
        graph.invoke(LogUpdate::default().x(3), &cfg).await.unwrap();
        graph.invoke(crate::push("again"), &cfg).await.unwrap();
        // Input, a, b, c, twice.
        assert_eq!(check_against_get_state(graph, &cfg).await, 8);
    }
    let page = |graph: &CompiledGraph<Log>, limit, before| {
        let graph = graph.clone();
        let cfg = cfg.clone();
        async move {
            let query = HistoryQuery {
                limit: Some(limit),
                before,
                ..HistoryQuery::default()
            };
            graph.get_state_history_values(&cfg, &query).await.unwrap()
        }
    };
    let newest = page(&memory, 2, None).await;
    assert_eq!(
        newest[0].values.log,
        ["a", "b", "c", "again", "a", "b", "c"]
    );
    assert_eq!(newest[1].values.log, ["a", "b", "c", "again", "a", "b"]);
    assert_eq!(newest[1].next, ["c"]);
    assert_eq!(newest[0].values.x, 3);
    let cursor = newest[1].checkpoint.as_ref().map(|c| c.id);
    let older = page(&memory, 3, cursor).await;
    let steps: Vec<i64> = older
        .iter()
        .map(|s| s.checkpoint.as_ref().unwrap().step)
        .collect();
    assert_eq!(steps, [4, 3, 2]);
    assert_eq!(older[0].values.log, ["a", "b", "c", "again", "a"]);

    // The default reads one checkpoint per entry; the same page either way.
    let before = plain.gets.load(Ordering::SeqCst);
    let by_plain = page(&by_default, 3, cursor).await;
    assert_eq!(plain.gets.load(Ordering::SeqCst) - before, 3);
    let values = |p: &[graph_core::StateSnapshot<Log>]| {
        p.iter().map(|s| s.values.clone()).collect::<Vec<_>>()
    };
    assert_eq!(values(&by_plain), values(&older));
}

#[tokio::test]
async fn history_with_values_needs_a_checkpointer_and_the_root() {
    let graph = chain().compile().unwrap();
    let err = graph
        .get_state_history_values(&RunConfig::thread("t"), &HistoryQuery::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("get_state_history_values"),
        "{err}"
    );
    let empty = chain()
        .compile()
        .unwrap()
        .with_checkpointer(crate::memory())
        .get_state_history_values(&RunConfig::thread("nobody"), &HistoryQuery::default())
        .await
        .unwrap();
    assert!(empty.is_empty());
}
