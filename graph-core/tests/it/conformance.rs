//! The checkpointer conformance suite (`graph_core::testing`) run against the in-memory
//! checkpointer, and checks that the suite itself is neither too lax nor too strict.

use std::sync::Arc;

use async_trait::async_trait;
use graph_core::Namespace;
use graph_core::testing::{CASES, checkpoint, checkpointer_conformance};
use graph_core::{
    Checkpoint, CheckpointId, CheckpointMeta, Checkpointer, HistoryQuery, InMemoryCheckpointer,
    LoadedCheckpoint, PendingWrite, StorageError, ThreadId,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_in_memory_checkpointer_conforms() {
    checkpointer_conformance(Arc::new(InMemoryCheckpointer::new())).await;
}

#[tokio::test]
async fn the_suite_runs_on_a_single_threaded_runtime() {
    checkpointer_conformance(Arc::new(InMemoryCheckpointer::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_shares_a_store_with_other_data_and_with_itself() {
    let store = Arc::new(InMemoryCheckpointer::new());
    let bystander = ThreadId::from("bystander");
    store.put(checkpoint(&bystander, 0, None)).await.unwrap();
    let before = store
        .get(&bystander, &Namespace::root(), None)
        .await
        .unwrap();

    checkpointer_conformance(Arc::clone(&store) as _).await;
    checkpointer_conformance(Arc::clone(&store) as _).await;
    assert_eq!(
        store
            .get(&bystander, &Namespace::root(), None)
            .await
            .unwrap(),
        before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_the_trait_leaves_open_are_not_checked() {
    checkpointer_conformance(Arc::new(Skewed::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_names_its_case() {
    let store: Arc<dyn Checkpointer> = Arc::new(Skewed {
        ignore_limit: true,
        ..Skewed::default()
    });
    let case = CASES
        .iter()
        .find(|case| case.name() == "list_limit")
        .unwrap();
    let failure = tokio::spawn(async move { case.run(store).await })
        .await
        .unwrap_err()
        .into_panic();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("checkpointer conformance case `list_limit` failed: ")
            && message.contains("list with limit 0"),
        "{message}"
    );
}

#[test]
fn case_names_are_unique() {
    let mut names: Vec<_> = CASES.iter().map(|case| case.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CASES.len());
}

/// The in-memory checkpointer, but returning a checkpoint's versions, values and pending writes
/// in reverse order (which the trait allows), and optionally ignoring `limit` (which it doesn't).
#[derive(Default)]
struct Skewed {
    inner: InMemoryCheckpointer,
    ignore_limit: bool,
}

#[async_trait]
impl Checkpointer for Skewed {
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
        let mut found = self.inner.get(thread, ns, id).await?;
        if let Some(loaded) = &mut found {
            loaded.versions.reverse();
            loaded.values.reverse();
            loaded.pending_writes.reverse();
        }
        Ok(found)
    }

    async fn list(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Result<Vec<CheckpointMeta>, StorageError> {
        let mut query = query.clone();
        if self.ignore_limit {
            query.limit = None;
        }
        self.inner.list(thread, ns, &query).await
    }

    async fn delete_thread(&self, thread: &ThreadId) -> Result<(), StorageError> {
        self.inner.delete_thread(thread).await
    }

    async fn copy_thread(&self, from: &ThreadId, to: &ThreadId) -> Result<(), StorageError> {
        self.inner.copy_thread(from, to).await
    }

    async fn prune(&self, thread: &ThreadId, keep: usize) -> Result<usize, StorageError> {
        self.inner.prune(thread, keep).await
    }

    async fn rewind(
        &self,
        thread: &ThreadId,
        to: Option<CheckpointId>,
    ) -> Result<usize, StorageError> {
        self.inner.rewind(thread, to).await
    }
}
