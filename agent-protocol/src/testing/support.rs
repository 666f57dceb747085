//! What every case uses: builders for valid records and the [`Harness`], whose store calls
//! panic saying which call failed, so a case reads as the behaviour it checks.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::records::{
    Multitask, RunEnd, RunRecord, RunStatus, RunStore, StoredEvent, ThreadQuery, ThreadRecord,
    ThreadStatus,
};

/// An idle thread without a graph, created and updated at `at_ms`, with `metadata` (a JSON
/// object; anything else counts as no metadata).
pub fn thread(thread_id: &str, at_ms: i64, metadata: Value) -> ThreadRecord {
    ThreadRecord {
        thread_id: thread_id.to_owned(),
        created_at_ms: at_ms,
        updated_at_ms: at_ms,
        metadata: as_object(metadata),
        graph_id: None,
        status: ThreadStatus::Idle,
    }
}

/// A run of `thread_id` created and updated at `at_ms`, with some metadata and kwargs.
pub fn run(run_id: &str, thread_id: &str, at_ms: i64, status: RunStatus) -> RunRecord {
    RunRecord {
        run_id: run_id.to_owned(),
        thread_id: thread_id.to_owned(),
        assistant_id: "assistant-1".to_owned(),
        created_at_ms: at_ms,
        updated_at_ms: at_ms,
        status,
        metadata: as_object(json!({"origin": run_id, "n": 1.5})),
        multitask: Multitask::Enqueue,
        kwargs: json!({"input": {"ask": "2 nights", "guests": [1, 2]}, "stream_mode": ["values"]}),
    }
}

/// An event with id `seq`, a name and some JSON data naming it.
pub fn event(seq: u64, name: &str) -> StoredEvent {
    StoredEvent {
        seq,
        event: name.to_owned(),
        data: json!({"seq": seq, "name": name}).to_string(),
    }
}

/// A run's successful end at `at_ms` with `events`, leaving its thread idle.
pub(super) fn end(run: &RunRecord, at_ms: i64, events: Vec<StoredEvent>) -> RunEnd {
    RunEnd {
        run_id: run.run_id.clone(),
        thread_id: run.thread_id.clone(),
        status: RunStatus::Success,
        at_ms,
        events,
        thread_status: ThreadStatus::Idle,
        result: json!({"values": {"answer": run.run_id}}),
    }
}

fn as_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A query with no filters, sorted as the API's default, and a page as large as any case's.
pub(super) fn all() -> ThreadQuery {
    ThreadQuery {
        limit: 1000,
        ..ThreadQuery::default()
    }
}

/// The store under test.
#[derive(Clone)]
pub(super) struct Harness {
    store: Arc<dyn RunStore>,
}

fn ok<T, E: std::fmt::Display>(result: Result<T, E>, what: impl std::fmt::Display) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("{what} failed: {e}"),
    }
}

impl Harness {
    pub(super) fn new(store: Arc<dyn RunStore>) -> Self {
        Self { store }
    }

    /// The store itself, for calls the harness does not wrap.
    pub(super) fn store(&self) -> &dyn RunStore {
        &*self.store
    }

    pub(super) async fn create(&self, thread: &ThreadRecord) -> bool {
        let id = &thread.thread_id;
        ok(
            self.store.create_thread(thread).await,
            format!("create_thread `{id}`"),
        )
    }

    /// Creates threads that must not exist yet.
    pub(super) async fn create_all(&self, threads: &[ThreadRecord]) {
        for thread in threads {
            assert!(
                self.create(thread).await,
                "create_thread `{}` answered false on an empty store",
                thread.thread_id
            );
        }
    }

    pub(super) async fn thread(&self, id: &str) -> Option<ThreadRecord> {
        ok(self.store.thread(id).await, format!("thread `{id}`"))
    }

    pub(super) async fn update(&self, thread: &ThreadRecord) {
        let id = &thread.thread_id;
        ok(
            self.store.update_thread(thread).await,
            format!("update_thread `{id}`"),
        );
    }

    /// The ids `query` finds, in its order.
    pub(super) async fn search(&self, query: &ThreadQuery) -> Vec<String> {
        let found = ok(
            self.store.search_threads(query).await,
            format!("search_threads {query:?}"),
        );
        found.into_iter().map(|t| t.thread_id).collect()
    }

    pub(super) async fn count(&self, query: &ThreadQuery) -> usize {
        ok(
            self.store.count_threads(query).await,
            format!("count_threads {query:?}"),
        )
    }

    pub(super) async fn delete_thread(&self, id: &str) -> bool {
        ok(
            self.store.delete_thread(id).await,
            format!("delete_thread `{id}`"),
        )
    }

    pub(super) async fn insert(&self, runs: &[RunRecord]) {
        for run in runs {
            ok(
                self.store.insert_run(run).await,
                format!("insert_run `{}`", run.run_id),
            );
        }
    }

    pub(super) async fn run(&self, thread: &str, run: &str) -> Option<RunRecord> {
        ok(
            self.store.run(thread, run).await,
            format!("run `{run}` of `{thread}`"),
        )
    }

    /// The ids `list_runs` answers, in its order.
    pub(super) async fn list(
        &self,
        thread: &str,
        status: Option<RunStatus>,
        limit: usize,
        offset: usize,
    ) -> Vec<String> {
        let runs = ok(
            self.store.list_runs(thread, status, limit, offset).await,
            format!("list_runs of `{thread}` ({status:?}, {limit}, {offset})"),
        );
        runs.into_iter().map(|r| r.run_id).collect()
    }

    pub(super) async fn set_status(&self, run: &str, status: RunStatus, at_ms: i64) {
        ok(
            self.store.set_run_status(run, status, at_ms).await,
            format!("set_run_status `{run}`"),
        );
    }

    pub(super) async fn end(&self, end: &RunEnd) {
        ok(
            self.store.end_run(end).await,
            format!("end_run `{}`", end.run_id),
        );
    }

    pub(super) async fn result(&self, run: &str) -> Option<Value> {
        ok(self.store.result(run).await, format!("result `{run}`"))
    }

    pub(super) async fn delete_run(&self, thread: &str, run: &str) -> bool {
        ok(
            self.store.delete_run(thread, run).await,
            format!("delete_run `{run}` of `{thread}`"),
        )
    }

    pub(super) async fn events(&self, run: &str, after: Option<u64>) -> Vec<StoredEvent> {
        ok(
            self.store.events(run, after).await,
            format!("events of `{run}` after {after:?}"),
        )
    }

    /// The seqs of a run's stored events, in the order they come back.
    pub(super) async fn seqs(&self, run: &str) -> Vec<u64> {
        self.events(run, None)
            .await
            .into_iter()
            .map(|e| e.seq)
            .collect()
    }

    pub(super) async fn prune(&self, from_ms: i64, before_ms: i64) -> usize {
        ok(
            self.store.prune_events(from_ms, before_ms).await,
            format!("prune_events {from_ms}..{before_ms}"),
        )
    }

    pub(super) async fn unfinished(&self) -> Vec<String> {
        let runs = ok(self.store.unfinished_runs().await, "unfinished_runs");
        runs.into_iter().map(|r| r.run_id).collect()
    }
}
