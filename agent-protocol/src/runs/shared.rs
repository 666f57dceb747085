//! Runs on a store several processes share ([`RunStore::shared`]): a run executes in the
//! process that admitted it, and the others follow it through the store. [`Mirror`] is the
//! executing side (it writes the run's frames as they come and applies cancel requests made
//! elsewhere); [`ended_elsewhere`] and [`Tail`] are the following side (waiting for another
//! process's run to end, and reading its frames as they are stored).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::live::LiveRun;
use crate::records::{RunRecord, RunStore, StoredEvent};

/// How often a mirror writes the frames that came since its last write: what a reader in
/// another process lags behind at most (plus its own polling).
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// How many flushes between two looks at the run's cancel request (every 150 ms).
const CANCEL_CHECK_EVERY: u32 = 3;

/// How often a process waiting for another's run reads its record again.
pub(crate) const POLL_EVERY: Duration = Duration::from_millis(150);

/// How often a reader of another process's run looks for new frames, when the store offers
/// no earlier wake-up ([`RunStore::wait_events`]).
const TAIL_EVERY: Duration = Duration::from_millis(100);

/// The task that mirrors a run of this process into a shared store.
pub(crate) struct Mirror {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Mirror {
    /// Starts mirroring `run`: its frames are appended every [`FLUSH_EVERY`] while it has new
    /// ones, and a cancel request stored for it cancels it as a local cancel would.
    pub(crate) fn start(store: Arc<dyn RunStore>, run: &Arc<LiveRun>) -> Mirror {
        let (stop, mut stopped) = oneshot::channel();
        // Weak: a run that ended and was dropped stops its mirror by itself.
        let weak = Arc::downgrade(run);
        let run_id = run.record.run_id.clone();
        let task = tokio::spawn(async move {
            let mut flushed = 0usize;
            let mut ticks = 0u32;
            let mut cancel_seen = false;
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(FLUSH_EVERY) => {}
                }
                let Some(run) = weak.upgrade() else { return };
                if run.outcome().is_some() {
                    return;
                }
                let frames = run.frames_from(flushed);
                if !frames.is_empty() {
                    match store.append_events(&run_id, &frames).await {
                        Ok(()) => flushed += frames.len(),
                        // Retried with the next batch; the run's end stores every frame anyway.
                        Err(e) => tracing::warn!(error = %e, run = %run_id,
                            "writing a running run's frames"),
                    }
                }
                ticks = ticks.wrapping_add(1);
                if !cancel_seen && ticks.is_multiple_of(CANCEL_CHECK_EVERY) {
                    match store.cancel_requests(std::slice::from_ref(&run_id)).await {
                        Ok(requests) => {
                            if let Some((_, action)) = requests.first() {
                                cancel_seen = true;
                                run.cancel(*action);
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, run = %run_id,
                            "reading a run's cancel request"),
                    }
                }
            }
        });
        Mirror { stop, task }
    }

    /// Stops the task and waits for it (at most one store call it had under way).
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(e) = self.task.await
            && e.is_panic()
        {
            tracing::error!(error = %e, "a run's mirror panicked");
        }
    }
}

/// Waits until the run `run_id` of `thread`, which another process runs, has ended (or was
/// deleted, as a rollback does); returns its last record. Store errors are logged and retried:
/// the run is waited for, not guessed about.
pub(crate) async fn ended_elsewhere(
    store: &dyn RunStore,
    thread: &str,
    run_id: &str,
) -> Option<RunRecord> {
    loop {
        match store.run(thread, run_id).await {
            Ok(Some(run)) if run.status.in_flight() => {}
            Ok(found) => return found,
            Err(e) => tracing::warn!(error = %e, run = %run_id, "reading another process's run"),
        }
        // A run's end stores its events: a store that hears of them wakes this early.
        store.wait_events(run_id, POLL_EVERY).await;
    }
}

/// Reads the frames of a run another process runs, as they are stored, until its record has
/// ended; then the frames its end stored, and an `end` frame if none came (a deleted run, or
/// one whose events were pruned), as a stream of the run in this process would end.
pub(crate) struct Tail {
    store: Arc<dyn RunStore>,
    thread: String,
    run_id: String,
    /// The last frame read.
    after: Option<u64>,
    ready: std::collections::VecDeque<StoredEvent>,
    /// Whether the run's end was seen: what is in `ready` is all that is left.
    done: bool,
    /// Whether the last frame read ends the run (`end` or `error`).
    ended_frame: bool,
}

impl Tail {
    /// Reads the frames of `run_id` after `after` (all when `None`).
    pub(crate) fn new(
        store: Arc<dyn RunStore>,
        thread: String,
        run_id: String,
        after: Option<u64>,
    ) -> Tail {
        Tail {
            store,
            thread,
            run_id,
            after,
            ready: std::collections::VecDeque::new(),
            done: false,
            ended_frame: false,
        }
    }

    /// The store the run's frames are read from.
    pub(crate) fn store(&self) -> Arc<dyn RunStore> {
        Arc::clone(&self.store)
    }

    /// The run's thread.
    pub(crate) fn thread(&self) -> &str {
        &self.thread
    }

    /// The run read.
    pub(crate) fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The next frame, waiting for it; `None` once the run ended and every frame was read.
    pub(crate) async fn next(&mut self) -> Option<StoredEvent> {
        loop {
            if let Some(frame) = self.ready.pop_front() {
                self.after = Some(frame.seq);
                self.ended_frame = matches!(frame.event.as_str(), "end" | "error");
                return Some(frame);
            }
            if self.done {
                return None;
            }
            // The record first: its end and its events are stored in one write, so the events
            // read after seeing the end are all of them.
            let record = match self.store.run(&self.thread, &self.run_id).await {
                Ok(record) => record,
                Err(e) => {
                    tracing::warn!(error = %e, run = %self.run_id, "following another process's run");
                    tokio::time::sleep(TAIL_EVERY).await;
                    continue;
                }
            };
            let ended = record.as_ref().is_none_or(|r| !r.status.in_flight());
            match self.store.events(&self.run_id, self.after).await {
                Ok(frames) => self.ready.extend(frames),
                Err(e) => {
                    tracing::warn!(error = %e, run = %self.run_id, "reading another process's frames");
                    tokio::time::sleep(TAIL_EVERY).await;
                    continue;
                }
            }
            if ended {
                self.done = true;
                let last_ends = self.ready.back().map_or(self.ended_frame, |f| {
                    matches!(f.event.as_str(), "end" | "error")
                });
                if !last_ends {
                    // A rollback deleted the run with its frames, or they were pruned: the
                    // stream still says how it ended (a deleted run was cancelled).
                    let status = record.map_or("interrupted", |r| r.status.as_str());
                    let seq = self
                        .ready
                        .back()
                        .map(|f| f.seq)
                        .or(self.after)
                        .map_or(0, |s| s.saturating_add(1));
                    self.ready.push_back(StoredEvent {
                        seq,
                        event: "end".into(),
                        data: json!({ "run_id": self.run_id, "status": status }).to_string(),
                    });
                }
            } else if self.ready.is_empty() {
                self.store.wait_events(&self.run_id, TAIL_EVERY).await;
            }
        }
    }
}
