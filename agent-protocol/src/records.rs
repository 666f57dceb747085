//! What the API stores beside the checkpoints: threads (their metadata), runs and each run's
//! events, as plain records, and [`RunStore`], the small trait a database implements to keep
//! them (SQLite in the server; [`MemoryRunStore`](crate::MemoryRunStore) for tests and
//! embedding). No SQL lives in this crate.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;

/// A thread as the API registers it (its checkpoints live in the graph's checkpointer).
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadRecord {
    /// Its id.
    pub thread_id: String,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// When it was last changed.
    pub updated_at_ms: i64,
    /// The client's metadata (plus `graph_id` and `assistant_id` after its first run).
    pub metadata: Map<String, Value>,
    /// The graph its runs run, once one has.
    pub graph_id: Option<String>,
    /// Its status when no run is in flight.
    pub status: ThreadStatus,
}

/// A thread's status as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThreadStatus {
    /// Nothing to do.
    Idle,
    /// A run is pending or running.
    Busy,
    /// Waiting on an interrupt or at a breakpoint.
    Interrupted,
    /// Its last run failed.
    Error,
}

/// A run's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Waiting for its thread.
    Pending,
    /// Running.
    Running,
    /// It failed.
    Error,
    /// It ran to its end or to an interrupt.
    Success,
    /// It ran out of time.
    Timeout,
    /// It was cancelled, or cut short by a restart.
    Interrupted,
}

impl RunStatus {
    /// Whether the run is still to end.
    pub fn in_flight(self) -> bool {
        matches!(self, RunStatus::Pending | RunStatus::Running)
    }
}

/// What happens when a run is created on a thread that has one in flight (LangGraph's
/// double-texting strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Multitask {
    /// Refuse the new run (409).
    Reject,
    /// Run it after the others.
    #[default]
    Enqueue,
    /// Stop the others where they stand, then run it.
    Interrupt,
    /// Stop the others and erase what they did, then run it.
    Rollback,
}

macro_rules! text_enum {
    ($name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        impl $name {
            /// The name used on the wire and in storage.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)*
                    other => Err(format!(
                        "`{other}` is not one of {}",
                        [$($text),*].join(", ")
                    )),
                }
            }
        }
    };
}

text_enum!(ThreadStatus { Idle = "idle", Busy = "busy", Interrupted = "interrupted", Error = "error" });
text_enum!(RunStatus {
    Pending = "pending",
    Running = "running",
    Error = "error",
    Success = "success",
    Timeout = "timeout",
    Interrupted = "interrupted",
});
text_enum!(CancelAction { Interrupt = "interrupt", Rollback = "rollback" });
text_enum!(Multitask { Reject = "reject", Enqueue = "enqueue", Interrupt = "interrupt", Rollback = "rollback" });

/// How a run in flight is asked to stop (`POST …/cancel?action=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CancelAction {
    /// Stop it; what it checkpointed stays, and the thread can resume.
    Interrupt,
    /// Stop it, rewind its thread to where the run found it, and delete the run.
    Rollback,
}

/// A run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// Its id.
    pub run_id: String,
    /// Its thread.
    pub thread_id: String,
    /// The assistant it runs.
    pub assistant_id: String,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// When its status last changed.
    pub updated_at_ms: i64,
    /// Where it is.
    pub status: RunStatus,
    /// The client's metadata.
    pub metadata: Map<String, Value>,
    /// What it does when its thread is busy.
    pub multitask: Multitask,
    /// The request that created it (input, command, config, stream modes…), as sent.
    pub kwargs: Value,
}

/// One event a run sent, as it went on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Its id within the run, from 0.
    pub seq: u64,
    /// The SSE event name (`metadata`, `values`, `updates|ns`, `end`…).
    pub event: String,
    /// The JSON it carried.
    pub data: String,
}

/// How a run ended: written at once, so the run's status, its events and its thread's status
/// never disagree.
#[derive(Debug, Clone)]
pub struct RunEnd {
    /// The run.
    pub run_id: String,
    /// Its thread.
    pub thread_id: String,
    /// Its final status.
    pub status: RunStatus,
    /// When.
    pub at_ms: i64,
    /// Every event it sent.
    pub events: Vec<StoredEvent>,
    /// The thread's status now.
    pub thread_status: ThreadStatus,
    /// What `wait` and `join` answer: the final values (with `__interrupt__`), or
    /// `{"__error__": …}`.
    pub result: Value,
}

/// Which threads a search returns.
#[derive(Debug, Clone, Default)]
pub struct ThreadQuery {
    /// Metadata keys each with an equal value.
    pub metadata: Map<String, Value>,
    /// Only these ids, when given.
    pub ids: Option<Vec<String>>,
    /// Only threads with this stored status.
    pub status: Option<ThreadStatus>,
    /// Sort key: `thread_id`, `created_at` or `updated_at` (the default).
    pub sort_by: ThreadSort,
    /// Ascending instead of descending.
    pub ascending: bool,
    /// At most this many.
    pub limit: usize,
    /// Skip this many first.
    pub offset: usize,
}

/// What threads are sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ThreadSort {
    /// Their id.
    ThreadId,
    /// When they were created.
    CreatedAt,
    /// When they last changed.
    #[default]
    UpdatedAt,
}

/// Whether a [`ThreadRecord`] passes `query`'s filters (not its order or page).
pub fn thread_matches(thread: &ThreadRecord, query: &ThreadQuery) -> bool {
    query
        .metadata
        .iter()
        .all(|(k, v)| thread.metadata.get(k) == Some(v))
        && query
            .ids
            .as_ref()
            .is_none_or(|ids| ids.contains(&thread.thread_id))
        && query.status.is_none_or(|s| s == thread.status)
}

/// Where the API keeps threads, runs and run events. Every call is one transaction.
#[async_trait]
pub trait RunStore: Send + Sync + 'static {
    /// Stores a new thread; `Ok(false)` (and nothing written) when its id is taken.
    async fn create_thread(&self, thread: &ThreadRecord) -> Result<bool, Error>;

    /// A thread by id.
    async fn thread(&self, thread_id: &str) -> Result<Option<ThreadRecord>, Error>;

    /// Replaces a thread's metadata, graph and status (its id and creation time stay).
    async fn update_thread(&self, thread: &ThreadRecord) -> Result<(), Error>;

    /// Threads that pass `query`, in its order, paged.
    async fn search_threads(&self, query: &ThreadQuery) -> Result<Vec<ThreadRecord>, Error>;

    /// How many threads pass `query`'s filters.
    async fn count_threads(&self, query: &ThreadQuery) -> Result<usize, Error>;

    /// Deletes a thread with its runs and their events; whether it existed.
    async fn delete_thread(&self, thread_id: &str) -> Result<bool, Error>;

    /// Stores a new run.
    async fn insert_run(&self, run: &RunRecord) -> Result<(), Error>;

    /// A run of a thread.
    async fn run(&self, thread_id: &str, run_id: &str) -> Result<Option<RunRecord>, Error>;

    /// A thread's runs, newest first, optionally only those of one status.
    async fn list_runs(
        &self,
        thread_id: &str,
        status: Option<RunStatus>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<RunRecord>, Error>;

    /// Sets a run's status (used for runs a stopped process left unfinished).
    async fn set_run_status(
        &self,
        run_id: &str,
        status: RunStatus,
        at_ms: i64,
    ) -> Result<(), Error>;

    /// Records a run's end: its status, its events and its thread's status.
    async fn end_run(&self, end: &RunEnd) -> Result<(), Error>;

    /// The result an ended run stored with its end ([`RunEnd::result`]).
    async fn result(&self, run_id: &str) -> Result<Option<Value>, Error>;

    /// Deletes a run and its events; whether it existed.
    async fn delete_run(&self, thread_id: &str, run_id: &str) -> Result<bool, Error>;

    /// A run's stored events after `after` (all when `None`), in order.
    async fn events(&self, run_id: &str, after: Option<u64>) -> Result<Vec<StoredEvent>, Error>;

    /// Deletes the stored events of runs that ended at or after `ended_from_ms` and before
    /// `ended_before_ms` (their records and results stay); returns how many events were
    /// deleted. The caller moves the window forward, so each run is visited once.
    async fn prune_events(&self, ended_from_ms: i64, ended_before_ms: i64) -> Result<usize, Error>;

    /// Runs left pending or running (by a process that stopped), oldest first.
    async fn unfinished_runs(&self) -> Result<Vec<RunRecord>, Error>;

    // What follows lets several processes share one store (server replicas on one database):
    // a run executes in the process that admitted it, and the others follow it through the
    // store. A store only one process uses keeps the defaults of `shared` (false) and
    // `wait_events`; the API then never calls the other methods below on its own runs.

    /// Whether other processes may share this store. When true, the API writes a running
    /// run's events as they come ([`RunStore::append_events`]), marks it `running` when it
    /// starts, admits runs through [`RunStore::admit_run`], follows runs of other processes
    /// through the store (their events, their cancel requests, their end) and waits for them
    /// before running a thread's next run. Default false: everything stays in memory until
    /// the run's end, as one process needs.
    fn shared(&self) -> bool {
        false
    }

    /// Stores events of a run in flight before its end, so other processes can stream them.
    /// An event whose `(run_id, seq)` is stored already is replaced. Nothing is written (and
    /// `Ok` returned) unless the run exists and is in flight (`pending` or `running`): once
    /// [`RunStore::end_run`] stored the run's events, a late append cannot change them.
    /// `end_run` still receives (and replaces the run's events with) every event.
    async fn append_events(&self, run_id: &str, events: &[StoredEvent]) -> Result<(), Error>;

    /// Records that the run `run_id` of `thread_id` is asked to stop, for the process running
    /// it to see through [`RunStore::cancel_requests`]. The first request wins: a later one
    /// (another action too) changes nothing. Returns whether the run exists in that thread and
    /// is in flight (whether or not an earlier request was there); nothing is recorded when not.
    async fn request_cancel(
        &self,
        thread_id: &str,
        run_id: &str,
        action: CancelAction,
    ) -> Result<bool, Error>;

    /// The cancel requests recorded for those of `run_ids` that are in flight, in any order;
    /// runs without one (or ended, or unknown) are left out.
    async fn cancel_requests(
        &self,
        run_ids: &[String],
    ) -> Result<Vec<(String, CancelAction)>, Error>;

    /// Stores `run` (which must be in flight) beside its thread's runs in flight (`pending` or
    /// `running`), as its [`RunRecord::multitask`] says, in one step that no other
    /// `admit_run` of the same thread interleaves with, in any process sharing the store:
    /// with [`Multitask::Reject`] and any run in flight, nothing is stored and the answer is
    /// [`Error::Conflict`]; with [`Multitask::Interrupt`] or [`Multitask::Rollback`], a cancel
    /// request of that action is recorded on each (as [`RunStore::request_cancel`] would,
    /// the first request winning); with [`Multitask::Enqueue`], they are left alone. Returns
    /// the ids of the runs that were in flight on the thread, oldest first (`run` excluded):
    /// the runs it must wait for.
    async fn admit_run(&self, run: &RunRecord) -> Result<Vec<String>, Error>;

    /// Records that this process still has `run_ids` in flight (running them, or holding them
    /// pending behind another run), now on the store's clock: what [`RunStore::stale_runs`]
    /// tells live runs from those of a process that died. The default does nothing (one
    /// process: its runs are either live or were cut short by its own stop).
    async fn heartbeat(&self, run_ids: &[String]) -> Result<(), Error> {
        let _ = run_ids;
        Ok(())
    }

    /// Runs in flight whose process sent no [`RunStore::heartbeat`] for `older_than` (or,
    /// never having sent one, that were created longer ago), oldest first: the runs of a
    /// process that died, which another may mark ended. Measured on the store's clock, so
    /// processes' clocks need not agree. The default is every run in flight
    /// ([`RunStore::unfinished_runs`]), right for a store no other process shares.
    async fn stale_runs(&self, older_than: std::time::Duration) -> Result<Vec<RunRecord>, Error> {
        let _ = older_than;
        self.unfinished_runs().await
    }

    /// Resolves when events of `run_id` may have been appended (or its end stored) since it
    /// was called, or after `within` at the latest; a reader of another process's run calls it
    /// between reads. The
    /// default sleeps `within` (polling); a store with a notification channel can wake earlier.
    async fn wait_events(&self, run_id: &str, within: std::time::Duration) {
        let _ = run_id;
        tokio::time::sleep(within).await;
    }
}

/// The message of a run refused by [`Multitask::Reject`] (langgraph-api's words).
pub const REJECTED: &str = "Thread is already running a task. Wait for it to finish or choose a \
                            different multitask strategy.";
