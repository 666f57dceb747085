//! [`MemoryRunStore`]: threads, runs and events in memory, for tests and for embedding the API
//! where nothing needs to outlive the process.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::error::Error;
use crate::records::{
    CancelAction, Multitask, REJECTED, RunEnd, RunRecord, RunStatus, RunStore, StoredEvent,
    ThreadQuery, ThreadRecord, ThreadSort, thread_matches,
};

#[derive(Default)]
struct Tables {
    threads: BTreeMap<String, ThreadRecord>,
    /// Runs in creation order.
    runs: Vec<RunRecord>,
    events: BTreeMap<String, Vec<StoredEvent>>,
    results: BTreeMap<String, serde_json::Value>,
    /// Cancel requests of runs in flight ([`RunStore::request_cancel`]).
    cancels: BTreeMap<String, CancelAction>,
}

/// A [`RunStore`] in memory.
#[derive(Default)]
pub struct MemoryRunStore {
    tables: Mutex<Tables>,
}

impl MemoryRunStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        // Every change is one insert or removal: a panic cannot leave a table half-changed.
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Tables {
    /// Whether the run exists and is pending or running.
    fn in_flight(&self, run_id: &str) -> bool {
        self.runs
            .iter()
            .any(|r| r.run_id == run_id && r.status.in_flight())
    }
}

/// Sorts and pages threads as every store does.
pub fn sort_threads(mut threads: Vec<ThreadRecord>, query: &ThreadQuery) -> Vec<ThreadRecord> {
    threads.sort_by(|a, b| {
        let order = match query.sort_by {
            ThreadSort::ThreadId => a.thread_id.cmp(&b.thread_id),
            ThreadSort::CreatedAt => a.created_at_ms.cmp(&b.created_at_ms),
            ThreadSort::UpdatedAt => a.updated_at_ms.cmp(&b.updated_at_ms),
        }
        .then_with(|| a.thread_id.cmp(&b.thread_id));
        if query.ascending {
            order
        } else {
            order.reverse()
        }
    });
    threads
        .into_iter()
        .skip(query.offset)
        .take(query.limit)
        .collect()
}

#[async_trait]
impl RunStore for MemoryRunStore {
    async fn create_thread(&self, thread: &ThreadRecord) -> Result<bool, Error> {
        let mut tables = self.lock();
        if tables.threads.contains_key(&thread.thread_id) {
            return Ok(false);
        }
        tables
            .threads
            .insert(thread.thread_id.clone(), thread.clone());
        Ok(true)
    }

    async fn thread(&self, thread_id: &str) -> Result<Option<ThreadRecord>, Error> {
        Ok(self.lock().threads.get(thread_id).cloned())
    }

    async fn update_thread(&self, thread: &ThreadRecord) -> Result<(), Error> {
        if let Some(stored) = self.lock().threads.get_mut(&thread.thread_id) {
            stored.updated_at_ms = thread.updated_at_ms;
            stored.metadata = thread.metadata.clone();
            stored.graph_id = thread.graph_id.clone();
            stored.status = thread.status;
        }
        Ok(())
    }

    async fn search_threads(&self, query: &ThreadQuery) -> Result<Vec<ThreadRecord>, Error> {
        let matching = self
            .lock()
            .threads
            .values()
            .filter(|t| thread_matches(t, query))
            .cloned()
            .collect();
        Ok(sort_threads(matching, query))
    }

    async fn count_threads(&self, query: &ThreadQuery) -> Result<usize, Error> {
        Ok(self
            .lock()
            .threads
            .values()
            .filter(|t| thread_matches(t, query))
            .count())
    }

    async fn delete_thread(&self, thread_id: &str) -> Result<bool, Error> {
        let mut tables = self.lock();
        let existed = tables.threads.remove(thread_id).is_some();
        let doomed: Vec<String> = tables
            .runs
            .iter()
            .filter(|r| r.thread_id == thread_id)
            .map(|r| r.run_id.clone())
            .collect();
        tables.runs.retain(|r| r.thread_id != thread_id);
        for run in doomed {
            tables.events.remove(&run);
            tables.results.remove(&run);
            tables.cancels.remove(&run);
        }
        Ok(existed)
    }

    async fn insert_run(&self, run: &RunRecord) -> Result<(), Error> {
        self.lock().runs.push(run.clone());
        Ok(())
    }

    async fn run(&self, thread_id: &str, run_id: &str) -> Result<Option<RunRecord>, Error> {
        Ok(self
            .lock()
            .runs
            .iter()
            .find(|r| r.run_id == run_id && r.thread_id == thread_id)
            .cloned())
    }

    async fn list_runs(
        &self,
        thread_id: &str,
        status: Option<RunStatus>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<RunRecord>, Error> {
        Ok(self
            .lock()
            .runs
            .iter()
            .rev()
            .filter(|r| r.thread_id == thread_id && status.is_none_or(|s| s == r.status))
            .skip(offset)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn set_run_status(
        &self,
        run_id: &str,
        status: RunStatus,
        at_ms: i64,
    ) -> Result<(), Error> {
        let mut tables = self.lock();
        let Some(run) = tables.runs.iter_mut().find(|r| r.run_id == run_id) else {
            return Ok(());
        };
        run.status = status;
        run.updated_at_ms = at_ms;
        Ok(())
    }

    async fn end_run(&self, end: &RunEnd) -> Result<(), Error> {
        let mut tables = self.lock();
        if let Some(run) = tables.runs.iter_mut().find(|r| r.run_id == end.run_id) {
            run.status = end.status;
            run.updated_at_ms = end.at_ms;
        }
        if let Some(thread) = tables.threads.get_mut(&end.thread_id) {
            thread.status = end.thread_status;
            thread.updated_at_ms = end.at_ms;
        }
        // By seq, a repeated seq keeping its last copy, as a table keyed by (run, seq) keeps
        // them; a second end replaces the first's events.
        let events: BTreeMap<u64, StoredEvent> =
            end.events.iter().map(|e| (e.seq, e.clone())).collect();
        tables
            .events
            .insert(end.run_id.clone(), events.into_values().collect());
        tables
            .results
            .insert(end.run_id.clone(), end.result.clone());
        Ok(())
    }

    async fn result(&self, run_id: &str) -> Result<Option<serde_json::Value>, Error> {
        Ok(self.lock().results.get(run_id).cloned())
    }

    async fn delete_run(&self, thread_id: &str, run_id: &str) -> Result<bool, Error> {
        let mut tables = self.lock();
        let before = tables.runs.len();
        tables
            .runs
            .retain(|r| !(r.run_id == run_id && r.thread_id == thread_id));
        let existed = tables.runs.len() < before;
        if existed {
            tables.events.remove(run_id);
            tables.results.remove(run_id);
            tables.cancels.remove(run_id);
        }
        Ok(existed)
    }

    async fn events(&self, run_id: &str, after: Option<u64>) -> Result<Vec<StoredEvent>, Error> {
        Ok(self
            .lock()
            .events
            .get(run_id)
            .map(|events| {
                events
                    .iter()
                    .filter(|e| after.is_none_or(|a| e.seq > a))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn prune_events(&self, ended_from_ms: i64, ended_before_ms: i64) -> Result<usize, Error> {
        let mut tables = self.lock();
        let window = ended_from_ms..ended_before_ms;
        let doomed: Vec<String> = tables
            .runs
            .iter()
            .filter(|r| !r.status.in_flight() && window.contains(&r.updated_at_ms))
            .map(|r| r.run_id.clone())
            .collect();
        Ok(doomed
            .iter()
            .filter_map(|run| tables.events.remove(run))
            .map(|events| events.len())
            .sum())
    }

    async fn append_events(&self, run_id: &str, events: &[StoredEvent]) -> Result<(), Error> {
        let mut tables = self.lock();
        if !tables.in_flight(run_id) {
            return Ok(());
        }
        let stored = tables.events.entry(run_id.to_owned()).or_default();
        let mut by_seq: BTreeMap<u64, StoredEvent> = stored.drain(..).map(|e| (e.seq, e)).collect();
        by_seq.extend(events.iter().map(|e| (e.seq, e.clone())));
        *stored = by_seq.into_values().collect();
        Ok(())
    }

    async fn request_cancel(
        &self,
        thread_id: &str,
        run_id: &str,
        action: CancelAction,
    ) -> Result<bool, Error> {
        let mut tables = self.lock();
        let found = tables
            .runs
            .iter()
            .any(|r| r.run_id == run_id && r.thread_id == thread_id && r.status.in_flight());
        if found {
            tables.cancels.entry(run_id.to_owned()).or_insert(action);
        }
        Ok(found)
    }

    async fn cancel_requests(
        &self,
        run_ids: &[String],
    ) -> Result<Vec<(String, CancelAction)>, Error> {
        let tables = self.lock();
        Ok(run_ids
            .iter()
            .filter(|id| tables.in_flight(id))
            .filter_map(|id| Some((id.clone(), *tables.cancels.get(id)?)))
            .collect())
    }

    async fn admit_run(&self, run: &RunRecord) -> Result<Vec<String>, Error> {
        let mut tables = self.lock();
        let in_flight: Vec<String> = tables
            .runs
            .iter()
            .filter(|r| r.thread_id == run.thread_id && r.status.in_flight())
            .map(|r| r.run_id.clone())
            .collect();
        let action = match run.multitask {
            Multitask::Reject if !in_flight.is_empty() => {
                return Err(Error::Conflict(REJECTED.into()));
            }
            Multitask::Reject | Multitask::Enqueue => None,
            Multitask::Interrupt => Some(CancelAction::Interrupt),
            Multitask::Rollback => Some(CancelAction::Rollback),
        };
        if let Some(action) = action {
            for id in &in_flight {
                tables.cancels.entry(id.clone()).or_insert(action);
            }
        }
        tables.runs.push(run.clone());
        Ok(in_flight)
    }

    async fn unfinished_runs(&self) -> Result<Vec<RunRecord>, Error> {
        Ok(self
            .lock()
            .runs
            .iter()
            .filter(|r| r.status.in_flight())
            .cloned()
            .collect())
    }
}
