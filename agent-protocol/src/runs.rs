//! Running runs: each is a stored record and a task that waits for its thread's lock (so a
//! thread's runs happen one at a time, in the order they were created), runs the graph, turns
//! its events into frames that live subscribers read as they come, and at its end stores its
//! status, every frame and its thread's status in one write. Cancelling stops the graph where
//! it stands; a rollback also rewinds the thread to where the run found it and deletes the run.
//! On a store other processes share ([`RunStore::shared`]) the store admits runs, a running
//! run's frames are written as they come, and other processes' runs are followed, cancelled
//! and waited for through it ([`shared`]).

mod ending;
mod live;
pub(crate) mod shared;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use graph_core::{CheckpointId, Checkpointer, HistoryQuery, Namespace};
use serde_json::{Value, json};
use tokio::sync::watch;

pub(crate) use self::ending::error_json;
use self::ending::{Ended, public_message};
pub(crate) use self::live::{Cancel, LiveRun};
use self::shared::Mirror;
use crate::error::Error;
use crate::exclusion::{ThreadHold, ThreadLocks};
use crate::frames::Framer;
use crate::records::{Multitask, REJECTED, RunRecord, RunStatus, RunStore};
use crate::request::RunRequest;
use crate::served::Step;

/// The runs in flight in this process, and what they share.
pub(crate) struct Runs {
    store: Arc<dyn RunStore>,
    locks: Arc<ThreadLocks>,
    /// Holds a run's thread against other processes' runners, when the host has one.
    hold: Option<Arc<dyn ThreadHold>>,
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
    /// The ids of this process's runs in flight (pending or running).
    pub(crate) fn live_ids(&self) -> Vec<String> {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    pub(crate) fn new(
        store: Arc<dyn RunStore>,
        locks: Arc<ThreadLocks>,
        hold: Option<Arc<dyn ThreadHold>>,
        retention: Duration,
    ) -> Self {
        Runs {
            store,
            locks,
            hold,
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
        if self.store.shared() {
            return self.start_shared(live, request).await;
        }
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
                        return Err(Error::Conflict(REJECTED.into()));
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
        self.spawn(&live, request, before, Vec::new());
        Ok(live)
    }

    /// [`Runs::start`] on a store other processes share: the store admits the run against
    /// every process's runs in flight on the thread (refusing it, or recording cancel
    /// requests, as the strategy says); this process's own are also cancelled at once. The run
    /// then waits for this process's runs before it in memory, and for the others' through
    /// their records.
    async fn start_shared(
        self: &Arc<Self>,
        live: Arc<LiveRun>,
        request: RunRequest,
    ) -> Result<Arc<LiveRun>, Error> {
        let in_flight = self.store.admit_run(&live.record).await?;
        let (before, elsewhere) = {
            let mut runs = self.live();
            let before = runs
                .values()
                .filter(|r| r.record.thread_id == live.record.thread_id)
                .max_by_key(|r| r.order)
                .cloned();
            let action = match request.multitask {
                Multitask::Interrupt => Some(Cancel::Interrupt),
                Multitask::Rollback => Some(Cancel::Rollback),
                Multitask::Enqueue | Multitask::Reject => None,
            };
            if let Some(action) = action {
                runs.values()
                    .filter(|r| r.record.thread_id == live.record.thread_id)
                    .for_each(|r| r.cancel(action));
            }
            let elsewhere: Vec<String> = in_flight
                .into_iter()
                .filter(|id| !runs.contains_key(id))
                .collect();
            runs.insert(live.record.run_id.clone(), Arc::clone(&live));
            (before, elsewhere)
        };
        live.set_mirror(Mirror::start(Arc::clone(&self.store), &live));
        self.spawn(&live, request, before, elsewhere);
        Ok(live)
    }

    /// Runs `live` in a task of its own, after `before` (a run of this process) and the runs
    /// `elsewhere` (of other processes) ended.
    fn spawn(
        self: &Arc<Self>,
        live: &Arc<LiveRun>,
        request: RunRequest,
        before: Option<Arc<LiveRun>>,
        elsewhere: Vec<String>,
    ) {
        self.in_flight.send_modify(|n| *n += 1);
        let runs = Arc::clone(self);
        let driven = Arc::clone(live);
        tokio::spawn(async move {
            let leaving = Leaving {
                runs: Arc::clone(&runs),
                run: Arc::clone(&driven),
            };
            runs.drive(&driven, request, before, elsewhere).await;
            drop(leaving);
            runs.prune().await;
        });
    }

    async fn drive(
        &self,
        live: &Arc<LiveRun>,
        request: RunRequest,
        before: Option<Arc<LiveRun>>,
        elsewhere: Vec<String>,
    ) {
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
        // Other processes' runs of the thread admitted before this one: the thread is theirs
        // until their records end.
        for other in &elsewhere {
            tokio::select! {
                _ = shared::ended_elsewhere(&*self.store, &thread, other) => {}
                action = live::cancelled(&mut cancel) => {
                    self.finish(live, Value::Null, action, None).await;
                    return;
                }
            }
        }
        // The thread across processes first, then in this one (the order a host's own
        // runners take them in); a cancel while waiting ends the run before it starts.
        let _held = match &self.hold {
            Some(hold) => tokio::select! {
                held = hold.hold(&thread) => match held {
                    Ok(held) => Some(held),
                    Err(e) => {
                        tracing::error!(error = %e, run = %record.run_id, "holding a run's thread");
                        self.finish_with(
                            live,
                            &*request.graph,
                            Ended::Failed("the run could not hold its thread".into()),
                        )
                        .await;
                        return;
                    }
                },
                action = live::cancelled(&mut cancel) => {
                    self.finish(live, Value::Null, action, None).await;
                    return;
                }
            },
            None => None,
        };
        // Waits its turn; a cancel while waiting ends the run before it starts.
        let guard = tokio::select! {
            guard = self.locks.lock(&thread) => guard,
            action = live::cancelled(&mut cancel) => {
                self.finish(live, Value::Null, action, None).await;
                return;
            }
        };
        live.mark_started();
        if self.store.shared()
            && let Err(e) = self
                .store
                .set_run_status(&record.run_id, RunStatus::Running, crate::now_ms())
                .await
        {
            // Other processes then read it `pending` until it ends; it runs all the same.
            tracing::warn!(error = %e, run = %record.run_id, "marking a run running");
        }
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
