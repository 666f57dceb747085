//! [`LiveRun`]: a run of this process that has not ended, as its subscribers see it: its
//! frames so far (numbered from 0), a wake-up on each new one, how it ended, and its cancel
//! switch.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use tokio::sync::{Notify, watch};

use super::shared::Mirror;
use crate::records::{RunRecord, RunStatus, StoredEvent};

/// How a run is cancelled (the stored [`CancelAction`], under the name the runs use).
pub(crate) use crate::records::CancelAction as Cancel;

/// Orders runs by creation across threads (a thread's runs queue in this order).
static CREATED: AtomicU64 = AtomicU64::new(0);

/// A run that has not ended (or just ended) in this process.
pub(crate) struct LiveRun {
    /// The run as it was created.
    pub record: RunRecord,
    pub(crate) order: u64,
    log: Mutex<Log>,
    changed: Notify,
    cancel: watch::Sender<Option<Cancel>>,
    /// A test hook: the first stream of the run is cut after this many frames.
    cut_after: Option<u64>,
    cut_used: AtomicBool,
    /// Whether it holds its thread (it is `running`, not `pending`).
    started: AtomicBool,
    /// With a shared store: the task that writes its frames as they come and watches for
    /// cancel requests made elsewhere; stopped before its end is stored.
    mirror: Mutex<Option<Mirror>>,
}

#[derive(Default)]
struct Log {
    frames: Vec<StoredEvent>,
    /// The status it ended with and what `wait` and `join` answer.
    ended: Option<(RunStatus, Value)>,
}

impl LiveRun {
    pub(crate) fn new(record: RunRecord, cut_after: Option<u64>) -> Self {
        LiveRun {
            record,
            order: CREATED.fetch_add(1, Ordering::Relaxed),
            log: Mutex::new(Log::default()),
            changed: Notify::new(),
            cancel: watch::Sender::new(None),
            cut_after,
            cut_used: AtomicBool::new(false),
            started: AtomicBool::new(false),
            mirror: Mutex::new(None),
        }
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        // Each change is one push or one assignment: a panic leaves the log whole.
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, event: &str, data: Value) {
        {
            let mut log = self.log();
            let seq = log.frames.len() as u64;
            log.frames.push(StoredEvent {
                seq,
                event: event.to_owned(),
                data: data.to_string(),
            });
        }
        self.changed.notify_waiters();
    }

    pub(crate) fn frames(&self) -> Vec<StoredEvent> {
        self.log().frames.clone()
    }

    /// The frames from index `from` on (what a mirror has not written yet).
    pub(crate) fn frames_from(&self, from: usize) -> Vec<StoredEvent> {
        self.log()
            .frames
            .get(from..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    pub(crate) fn set_mirror(&self, mirror: Mirror) {
        *self.mirror.lock().unwrap_or_else(PoisonError::into_inner) = Some(mirror);
    }

    /// Stops its mirror, if it has one, and waits until the mirror wrote its last batch, so
    /// nothing the mirror writes can land after the run's end.
    pub(crate) async fn stop_mirror(&self) {
        let mirror = self
            .mirror
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mirror) = mirror {
            mirror.stop().await;
        }
    }

    pub(crate) fn end(&self, status: RunStatus, result: Value) {
        self.log().ended = Some((status, result));
        self.changed.notify_waiters();
    }

    /// Asks the run to stop. The first request wins; later ones change nothing.
    pub(crate) fn cancel(&self, action: Cancel) {
        self.cancel.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(action);
                true
            } else {
                false
            }
        });
    }

    pub(crate) fn watch_cancel(&self) -> watch::Receiver<Option<Cancel>> {
        self.cancel.subscribe()
    }

    /// The frame after `after` (the first when `None`), waiting for it; `None` once the run
    /// has ended and every frame was read.
    pub(crate) async fn next(&self, after: Option<u64>) -> Option<StoredEvent> {
        let want = after.map_or(0, |a| a.saturating_add(1));
        loop {
            // Registered before looking, so a frame pushed in between still wakes us.
            let changed = self.changed.notified();
            {
                let log = self.log();
                let index = usize::try_from(want).unwrap_or(usize::MAX);
                if let Some(frame) = log.frames.get(index) {
                    return Some(frame.clone());
                }
                if log.ended.is_some() {
                    return None;
                }
            }
            changed.await;
        }
    }

    /// Waits for the end: the run's status and what `wait` answers.
    pub(crate) async fn ended(&self) -> (RunStatus, Value) {
        loop {
            let changed = self.changed.notified();
            if let Some(ended) = self.log().ended.clone() {
                return ended;
            }
            changed.await;
        }
    }

    /// How it ended, if it has.
    pub(crate) fn outcome(&self) -> Option<(RunStatus, Value)> {
        self.log().ended.clone()
    }

    /// Whether it has started (holds its thread).
    pub(crate) fn started(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }

    pub(crate) fn mark_started(&self) {
        self.started.store(true, Ordering::Relaxed);
    }

    /// The test hook's cut, for the first stream that asks.
    pub(crate) fn take_cut(&self) -> Option<u64> {
        let cut = self.cut_after?;
        (!self.cut_used.swap(true, Ordering::Relaxed)).then_some(cut)
    }
}

/// Waits until the run is asked to stop.
pub(crate) async fn cancelled(cancel: &mut watch::Receiver<Option<Cancel>>) -> Cancel {
    loop {
        if let Some(action) = *cancel.borrow_and_update() {
            return action;
        }
        if cancel.changed().await.is_err() {
            // The sender lives as long as the run: this never happens while it runs.
            std::future::pending::<()>().await;
        }
    }
}
