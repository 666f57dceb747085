//! Running runs: each is a stored record and a task that waits for its thread's lock (so a
//! thread's runs happen one at a time, in the order they were created), runs the graph, turns
//! its events into frames that live subscribers read as they come, and at its end stores its
//! status, every frame and its thread's status in one write. Cancelling stops the graph where
//! it stands; a rollback also rewinds the thread to where the run found it and deletes the run.

mod live;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use graph_core::{CheckpointId, Checkpointer, HistoryQuery, Namespace, RunStatus as EngineStatus};
use serde_json::{Value, json};
use tokio::sync::watch;

pub(crate) use self::live::{Cancel, LiveRun};
use crate::error::Error;
use crate::exclusion::ThreadLocks;
use crate::frames::{Framer, interrupts_json};
use crate::records::{Multitask, RunEnd, RunRecord, RunStatus, RunStore, ThreadStatus};
use crate::request::RunRequest;
use crate::served::{ServedGraph, Step};

/// The runs in flight in this process, and what they share.
pub(crate) struct Runs {
    store: Arc<dyn RunStore>,
    locks: Arc<ThreadLocks>,
    live: Mutex<HashMap<String, Arc<LiveRun>>>,
    /// Counts runs under way, for shutdown.
    in_flight: watch::Sender<usize>,
    /// How long ended runs keep their events.
    retention: Duration,
    /// When events were last pruned (ms since the epoch).
    pruned_at: AtomicI64,
    /// The end of the last pruned window: runs that ended before it have no events left.
    pruned_to: AtomicI64,
}

impl Runs {
    pub(crate) fn new(
        store: Arc<dyn RunStore>,
        locks: Arc<ThreadLocks>,
        retention: Duration,
    ) -> Self {
        Runs {
            store,
            locks,
            live: Mutex::new(HashMap::new()),
            in_flight: watch::Sender::new(0),
            retention,
            pruned_at: AtomicI64::new(0),
            pruned_to: AtomicI64::new(i64::MIN),
        }
    }

    /// After a run ended: drops the events of runs that ended longer ago than the retention,
    /// at most once a minute (or as often as the retention, when it is shorter).
    async fn prune(&self) {
        let now = crate::now_ms();
        let retention = i64::try_from(self.retention.as_millis()).unwrap_or(i64::MAX);
        let every = retention.min(60_000);
        let last = self.pruned_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) < every
            || self
                .pruned_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        // The window starts where the last one ended: each ended run is visited once.
        let to = now.saturating_sub(retention);
        let from = self.pruned_to.swap(to, Ordering::Relaxed).min(to);
        match self.store.prune_events(from, to).await {
            Ok(0) => {}
            Ok(runs) => tracing::debug!(runs, "pruned the events of ended runs"),
            Err(e) => tracing::error!(error = %e, "pruning the events of ended runs"),
        }
    }

    fn live(&self) -> MutexGuard<'_, HashMap<String, Arc<LiveRun>>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A run of this process that has not ended.
    pub(crate) fn get(&self, run_id: &str) -> Option<Arc<LiveRun>> {
        self.live().get(run_id).cloned()
    }

    /// `run` as it is now: a run of this process that has started reads `running`.
    pub(crate) fn overlay(&self, mut run: RunRecord) -> RunRecord {
        if run.status == RunStatus::Pending
            && self.get(&run.run_id).is_some_and(|live| live.started())
        {
            run.status = RunStatus::Running;
        }
        run
    }

    /// Every run that has not ended.
    pub(crate) fn all(&self) -> Vec<Arc<LiveRun>> {
        self.live().values().cloned().collect()
    }

    /// The runs of `thread` that have not ended, oldest first.
    pub(crate) fn of_thread(&self, thread: &str) -> Vec<Arc<LiveRun>> {
        let mut runs: Vec<_> = self
            .live()
            .values()
            .filter(|r| r.record.thread_id == thread)
            .cloned()
            .collect();
        runs.sort_by_key(|r| r.order);
        runs
    }

    /// Waits until no run is under way.
    pub(crate) async fn idle(&self) {
        let mut count = self.in_flight.subscribe();
        let _ = count.wait_for(|n| *n == 0).await;
    }

    /// Admits `record` beside the runs in flight on its thread, as its multitask strategy
    /// says (under one lock, so two runs created at once cannot both pass `reject`), stores
    /// it, and starts its run, which waits for the thread's runs before it.
    pub(crate) async fn start(
        self: &Arc<Self>,
        record: RunRecord,
        request: RunRequest,
        hooks: bool,
    ) -> Result<Arc<LiveRun>, Error> {
        let cut_after = hooks
            .then(|| request.metadata.get("test_cut_stream_after"))
            .flatten()
            .and_then(Value::as_u64);
        let live = Arc::new(LiveRun::new(record, cut_after));
        let before = {
            let mut runs = self.live();
            // The thread's newest run in flight: this one starts after it ends, so the
            // thread's runs run in the order they were admitted.
            let before = runs
                .values()
                .filter(|r| r.record.thread_id == live.record.thread_id)
                .max_by_key(|r| r.order)
                .cloned();
            let in_flight = runs
                .values()
                .filter(|r| r.record.thread_id == live.record.thread_id);
            match request.multitask {
                Multitask::Enqueue => {}
                Multitask::Reject => {
                    if in_flight.count() > 0 {
                        return Err(Error::Conflict(
                            "Thread is already running a task. Wait for it to finish or \
                             choose a different multitask strategy."
                                .into(),
                        ));
                    }
                }
                Multitask::Interrupt => in_flight.for_each(|r| r.cancel(Cancel::Interrupt)),
                Multitask::Rollback => in_flight.for_each(|r| r.cancel(Cancel::Rollback)),
            }
            runs.insert(live.record.run_id.clone(), Arc::clone(&live));
            before
        };
        if let Err(e) = self.store.insert_run(&live.record).await {
            self.live().remove(&live.record.run_id);
            return Err(e);
        }
        self.in_flight.send_modify(|n| *n += 1);
        let runs = Arc::clone(self);
        let driven = Arc::clone(&live);
        tokio::spawn(async move {
            let leaving = Leaving {
                runs: Arc::clone(&runs),
                run: Arc::clone(&driven),
            };
            runs.drive(&driven, request, before).await;
            drop(leaving);
            runs.prune().await;
        });
        Ok(live)
    }

    async fn drive(&self, live: &Arc<LiveRun>, request: RunRequest, before: Option<Arc<LiveRun>>) {
        let record = &live.record;
        let thread = record.thread_id.clone();
        let mut cancel = live.watch_cancel();
        if let Some(before) = before {
            tokio::select! {
                _ = before.ended() => {}
                action = live::cancelled(&mut cancel) => {
                    self.finish(live, Value::Null, action, None).await;
                    return;
                }
            }
        }
        // Waits its turn; a cancel while waiting ends the run before it starts.
        let guard = tokio::select! {
            guard = self.locks.lock(&thread) => guard,
            action = live::cancelled(&mut cancel) => {
                self.finish(live, Value::Null, action, None).await;
                return;
            }
        };
        live.mark_started();
        let graph = Arc::clone(&request.graph);
        let checkpointer = graph.checkpointer().cloned();
        // Where a rollback returns to; `None` when it could not be read, so a rollback then
        // keeps everything rather than wiping the thread.
        let before = match &checkpointer {
            Some(c) => head(&**c, &thread).await,
            None => None,
        };
        // `running` is not written: while the run lives, readers see it from `LiveRun`
        // (`Runs::overlay`), and a run a stop cut short is marked either way at the next start.
        let mut framer = Framer::new(request.modes.clone(), &thread);
        live.push("metadata", json!({ "run_id": record.run_id, "attempt": 1 }));
        let config = request.run_config(&thread, &record.run_id);
        let started = graph
            .start(request.start, config, request.modes.engine())
            .await;
        let mut steps = match started {
            Ok(steps) => steps,
            Err(e) => {
                let message = if e.status().is_server_error() {
                    tracing::error!(error = %e, run = %record.run_id, "a run could not start");
                    "the run could not start".to_owned()
                } else {
                    e.to_string()
                };
                self.finish_with(live, &*graph, Ended::Failed(message))
                    .await;
                drop(guard);
                return;
            }
        };
        let ended = loop {
            tokio::select! {
                biased;
                action = live::cancelled(&mut cancel) => break Ended::Cancelled(action),
                step = steps.next() => match step {
                    Some(Step::Event(event)) => {
                        for (name, data) in framer.frames(&event) {
                            live.push(&name, data);
                        }
                    }
                    Some(Step::Done(Ok(outcome))) => break Ended::Done(outcome.values, outcome.status),
                    Some(Step::Done(Err(e))) => break Ended::Failed(public_message(&e)),
                    None => break Ended::Failed("the run stopped without an outcome".into()),
                }
            }
        };
        // Dropping the steps stops the graph where it stands, as a crash would.
        drop(steps);
        if let Some(checkpointer) = &checkpointer
            && let Err(e) = checkpointer.barrier().await
        {
            tracing::error!(error = %e, run = %record.run_id, "waiting for the run's writes");
        }
        let mut ended = ended;
        if let Ended::Cancelled(Cancel::Rollback) = ended {
            let rewound = match (&checkpointer, before) {
                (Some(checkpointer), Some(to)) => checkpointer
                    .rewind(&thread.as_str().into(), to)
                    .await
                    .map_err(|e| e.to_string()),
                (None, _) => Ok(0),
                (Some(_), None) => Err("the thread's head could not be read".to_owned()),
            };
            if let Err(e) = rewound {
                // The run's checkpoints stay, so the run stays too, as interrupted.
                tracing::error!(error = %e, run = %record.run_id, "rolling the thread back");
                ended = Ended::Cancelled(Cancel::Interrupt);
            }
        }
        self.finish_with(live, &*graph, ended).await;
        drop(guard);
    }

    /// Ends a run: its last frame, its stored end, and what `wait` and `join` answer.
    async fn finish_with(&self, live: &Arc<LiveRun>, graph: &dyn ServedGraph, ended: Ended) {
        let record = &live.record;
        let (status, thread_status, result, last) = match ended {
            Ended::Done(values, status) => {
                let (thread_status, result) = match status {
                    EngineStatus::Done => (ThreadStatus::Idle, values),
                    EngineStatus::Interrupted(interrupts) => {
                        let mut values = object(values);
                        values.insert("__interrupt__".into(), interrupts_json(&interrupts));
                        (ThreadStatus::Interrupted, Value::Object(values))
                    }
                    EngineStatus::Breakpoint { .. } => (ThreadStatus::Interrupted, values),
                };
                let end = json!({ "run_id": record.run_id, "status": "success" });
                (
                    RunStatus::Success,
                    thread_status,
                    result,
                    Some(("end", end)),
                )
            }
            Ended::Failed(message) => {
                let error = error_json(&message);
                let result = json!({ "__error__": error });
                (
                    RunStatus::Error,
                    ThreadStatus::Error,
                    result,
                    Some(("error", error)),
                )
            }
            Ended::Cancelled(action) => {
                // What the thread holds now (after a rollback: what it held before the run),
                // whatever modes the run streamed.
                let (thread_status, values) = thread_now(graph, &record.thread_id).await;
                self.finish(live, values, action, Some(thread_status)).await;
                return;
            }
        };
        if let Some((name, data)) = last {
            live.push(name, data);
        }
        let end = RunEnd {
            run_id: record.run_id.clone(),
            thread_id: record.thread_id.clone(),
            status,
            at_ms: crate::now_ms(),
            events: live.frames(),
            thread_status,
            result: result.clone(),
        };
        if let Err(e) = self.store.end_run(&end).await {
            tracing::error!(error = %e, run = %record.run_id, "could not store the run's end");
        }
        live.end(status, result);
    }

    /// Ends a cancelled run: before it started (`thread_status` `None`: the thread is as it
    /// was) or while it ran. A rollback deletes the run; its subscribers still get the end.
    async fn finish(
        &self,
        live: &Arc<LiveRun>,
        values: Value,
        action: Cancel,
        thread_status: Option<ThreadStatus>,
    ) {
        let record = &live.record;
        let status = RunStatus::Interrupted;
        live.push(
            "end",
            json!({ "run_id": record.run_id, "status": status.as_str() }),
        );
        let stored = if action == Cancel::Rollback {
            self.store
                .delete_run(&record.thread_id, &record.run_id)
                .await
                .map(drop)
        } else {
            let thread_status = match thread_status {
                Some(status) => status,
                None => match self.store.thread(&record.thread_id).await {
                    Ok(Some(t)) => t.status,
                    _ => ThreadStatus::Idle,
                },
            };
            let end = RunEnd {
                run_id: record.run_id.clone(),
                thread_id: record.thread_id.clone(),
                status,
                at_ms: crate::now_ms(),
                events: live.frames(),
                thread_status,
                result: values.clone(),
            };
            self.store.end_run(&end).await
        };
        if let Err(e) = stored {
            tracing::error!(error = %e, run = %record.run_id, "could not store the cancelled run");
        }
        live.end(status, values);
    }
}

/// Takes a run out of the runs in flight however its task ends. A task that panicked (a state
/// that failed to serialise, an engine bug) ends the run as failed, so nobody waits on it
/// forever; its stored record stays `pending` and is marked at the next start.
struct Leaving {
    runs: Arc<Runs>,
    run: Arc<LiveRun>,
}

impl Drop for Leaving {
    fn drop(&mut self) {
        if self.run.outcome().is_none() {
            let error = error_json("the run stopped unexpectedly");
            self.run.push("error", error.clone());
            self.run
                .end(RunStatus::Error, json!({ "__error__": error }));
        }
        self.runs.live().remove(&self.run.record.run_id);
        self.runs.in_flight.send_modify(|n| *n -= 1);
    }
}

/// How a run's graph stopped.
enum Ended {
    Done(Value, EngineStatus),
    Failed(String),
    Cancelled(Cancel),
}

/// The latest checkpoint of the thread's root namespace (`Some(None)`: it has none), where a
/// rollback returns to; `None` when it could not be read.
async fn head(checkpointer: &dyn Checkpointer, thread: &str) -> Option<Option<CheckpointId>> {
    let query = HistoryQuery {
        limit: Some(1),
        ..HistoryQuery::default()
    };
    match checkpointer
        .list(&thread.into(), &Namespace::root(), &query)
        .await
    {
        Ok(page) => Some(page.first().map(|c| c.id)),
        Err(e) => {
            tracing::error!(error = %e, thread, "reading the thread's head; a rollback will keep it");
            None
        }
    }
}

/// The thread's status and values (with the interrupts it waits on) as they are now.
async fn thread_now(graph: &dyn ServedGraph, thread: &str) -> (ThreadStatus, Value) {
    match graph.state(&graph_core::RunConfig::thread(thread)).await {
        Ok(state) => {
            let mut values = object(state.values);
            if !state.interrupts.is_empty() {
                values.insert("__interrupt__".into(), interrupts_json(&state.interrupts));
            }
            (
                crate::shapes::status_of(state.status),
                Value::Object(values),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, thread, "reading a cancelled run's thread");
            (ThreadStatus::Idle, Value::Null)
        }
    }
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// The `error` frame: what the SDK raises.
pub(crate) fn error_json(message: &str) -> Value {
    json!({ "error": "GraphError", "message": message })
}

/// A run's error as a client may read it: storage failures name files and SQL, so they are
/// logged and told only as such.
fn public_message(error: &graph_core::Error) -> String {
    match error {
        graph_core::Error::Storage { .. } | graph_core::Error::Cache(_) => {
            tracing::error!(%error, "a run failed in storage");
            "the run failed to store its state".into()
        }
        other => other.to_string(),
    }
}
