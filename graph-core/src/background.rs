//! Runs that outlive their caller: [`crate::CompiledGraph::spawn`] starts a run in the
//! background and returns a [`RunHandle`]: the run's id and status, an explicit
//! [`RunHandle::cancel`], and any number of [`Subscription`]s that join its event stream late
//! and replay it from a given event id. Events wait in a bounded in-memory buffer per run; a
//! subscriber that falls further behind than the buffer holds skips what was dropped and is
//! told how much. Dropping a subscriber, or the handle, never cancels the run.
//!
//! A cancelled run stops where it is, mid-superstep if need be, as a crash would stop it: what
//! it checkpointed and the outputs its finished tasks saved stay, and a resume continues from
//! there. The run counts as ended only once the checkpointer's [`barrier`] has returned, so
//! nothing the cancelled run queued can land after the thread's next run has read the thread.
//!
//! [`barrier`]: crate::Checkpointer::barrier

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{Notify, mpsc, watch};

use crate::checkpoint::Checkpointer;
use crate::error::{Error, Result};
use crate::ids::{RunId, ThreadId};
use crate::outcome::{RunOutput, RunStatus};
use crate::state::State;
use crate::stream::Event;

/// How many events a background run keeps for late subscribers, unless told otherwise.
pub const DEFAULT_REPLAY_BUFFER: usize = 1024;

/// How to start a background run ([`crate::CompiledGraph::spawn_with`]).
#[derive(Debug, Clone)]
pub struct Background {
    /// The run's id; a random one when `None`.
    pub id: Option<RunId>,
    /// How many of its latest events the run keeps for subscribers who join late.
    pub buffer: usize,
}

impl Default for Background {
    fn default() -> Self {
        Self {
            id: None,
            buffer: DEFAULT_REPLAY_BUFFER,
        }
    }
}

impl Background {
    /// Names the run.
    pub fn id(mut self, id: impl Into<RunId>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Keeps the latest `events` events (at least 1) for late subscribers.
    pub fn buffer(mut self, events: usize) -> Self {
        self.buffer = events;
        self
    }
}

/// Where a background run is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunPhase {
    /// Still running.
    Running,
    /// It ran to the end of the graph.
    Succeeded,
    /// It paused on an interrupt or a breakpoint; a resume continues it.
    Interrupted,
    /// It failed; the message says why.
    Failed(String),
    /// [`RunHandle::cancel`] stopped it.
    Cancelled,
}

impl RunPhase {
    /// Whether the run has ended (its events are all in the buffer, and its writes stored).
    pub fn is_final(&self) -> bool {
        !matches!(self, RunPhase::Running)
    }
}

/// One event of a background run with its id: ids count from 1 in the order the run sent
/// them, so a subscriber that saw event `n` resumes with `subscribe(Some(n))`.
#[derive(Debug, Clone)]
pub struct Numbered<S: State> {
    /// The event's id within its run.
    pub id: u64,
    /// The event.
    pub event: Event<S>,
}

/// What subscribers and the handle share.
struct Shared<S: State> {
    id: RunId,
    thread: ThreadId,
    log: Mutex<Log<S>>,
    /// Woken on every event and when the run ends.
    changed: Notify,
    /// Holds a permit once `cancel` was called.
    cancel: Notify,
    /// The phase, for waiting on the end.
    phase: watch::Sender<RunPhase>,
}

/// The buffered events and, once the run ended, its output.
struct Log<S: State> {
    events: VecDeque<Numbered<S>>,
    capacity: usize,
    /// The id the next event gets.
    next: u64,
    /// Whether the run has ended: no event comes after those buffered.
    ended: bool,
    /// The run's result, until [`RunHandle::join`] takes it.
    output: Option<Result<RunOutput<S>>>,
}

impl<S: State> Shared<S> {
    fn log(&self) -> MutexGuard<'_, Log<S>> {
        // A panic while holding the lock leaves the buffer whole: every change is one push or
        // pop.
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, event: Event<S>) {
        {
            let mut log = self.log();
            let id = log.next;
            log.next += 1;
            if log.events.len() == log.capacity {
                log.events.pop_front();
            }
            log.events.push_back(Numbered { id, event });
        }
        self.changed.notify_waiters();
    }

    fn end(&self, output: Result<RunOutput<S>>, cancelled: bool) {
        let phase = match &output {
            _ if cancelled => RunPhase::Cancelled,
            Ok(out) if matches!(out.status, RunStatus::Done) => RunPhase::Succeeded,
            Ok(_) => RunPhase::Interrupted,
            Err(error) => RunPhase::Failed(error.to_string()),
        };
        {
            let mut log = self.log();
            log.output = Some(output);
            log.ended = true;
        }
        self.phase.send_replace(phase);
        self.changed.notify_waiters();
    }
}

/// A run going on in the background. Dropping the handle leaves the run running.
pub struct RunHandle<S: State> {
    shared: Arc<Shared<S>>,
    phase: watch::Receiver<RunPhase>,
}

impl<S: State> RunHandle<S> {
    /// Starts `run` on the runtime, its events arriving on `events`.
    pub(crate) fn spawn(
        id: RunId,
        thread: ThreadId,
        capacity: usize,
        checkpointer: Option<Arc<dyn Checkpointer>>,
        mut events: mpsc::Receiver<Event<S>>,
        run: impl Future<Output = Result<RunOutput<S>>> + Send + 'static,
    ) -> Self {
        let (phase, watching) = watch::channel(RunPhase::Running);
        let shared = Arc::new(Shared {
            id,
            thread,
            log: Mutex::new(Log {
                events: VecDeque::new(),
                capacity: capacity.max(1),
                next: 1,
                ended: false,
                output: None,
            }),
            changed: Notify::new(),
            cancel: Notify::new(),
            phase,
        });
        let driver = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut run = Box::pin(run);
            let output = loop {
                tokio::select! {
                    biased;
                    () = driver.cancel.notified() => break None,
                    Some(event) = events.recv() => driver.push(event),
                    output = &mut run => break Some(output),
                }
            };
            // Dropping the run's future stops it at its current await, as a crash would.
            drop(run);
            while let Ok(event) = events.try_recv() {
                driver.push(event);
            }
            if let Some(checkpointer) = &checkpointer
                && let Err(error) = checkpointer.barrier().await
            {
                tracing::error!(run = %driver.id, %error, "could not wait for the run's writes");
            }
            let cancelled = output.is_none();
            let output = output.unwrap_or_else(|| {
                Err(Error::Cancelled {
                    thread: driver.thread.clone(),
                    run: driver.id.clone(),
                })
            });
            driver.end(output, cancelled);
        });
        Self {
            shared,
            phase: watching,
        }
    }

    /// The run's id.
    pub fn id(&self) -> &RunId {
        &self.shared.id
    }

    /// The run's thread.
    pub fn thread(&self) -> &ThreadId {
        &self.shared.thread
    }

    /// Where the run is now.
    pub fn phase(&self) -> RunPhase {
        self.phase.borrow().clone()
    }

    /// Stops the run. It stops at its next await (mid-superstep if need be); what it
    /// checkpointed stays. Does nothing once the run has ended. Wait for the end with
    /// [`RunHandle::join`] or [`RunHandle::ended`].
    pub fn cancel(&self) {
        if !self.phase.borrow().is_final() {
            self.shared.cancel.notify_one();
        }
    }

    /// Waits until the run has ended, every event is buffered and its writes are stored, and
    /// returns how it ended.
    pub async fn ended(&self) -> RunPhase {
        let mut phase = self.phase.clone();
        match phase.wait_for(RunPhase::is_final).await {
            Ok(phase) => phase.clone(),
            // The driver is gone without ending the run: only when the runtime shut down.
            Err(_) => RunPhase::Failed("the runtime stopped before the run ended".into()),
        }
    }

    /// Waits for the end and returns the run's result: its output, or the error that failed
    /// it ([`Error::Cancelled`] after [`RunHandle::cancel`]).
    pub async fn join(self) -> Result<RunOutput<S>> {
        self.ended().await;
        let output = self.shared.log().output.take();
        output.unwrap_or(Err(Error::Unsupported("join after the runtime stopped")))
    }

    /// Joins the run's events: those after event `after` (all that are still buffered when
    /// `None`), then the rest as they come. Any number of subscribers may join, at any time,
    /// even after the run has ended.
    pub fn subscribe(&self, after: Option<u64>) -> Subscription<S> {
        Subscription {
            shared: Arc::clone(&self.shared),
            next: after.map_or(1, |id| id.saturating_add(1)),
            missed: 0,
        }
    }
}

/// One reader of a background run's events. Dropping it leaves the run running.
pub struct Subscription<S: State> {
    shared: Arc<Shared<S>>,
    /// The id of the next event this subscriber wants.
    next: u64,
    missed: u64,
}

impl<S: State> Subscription<S> {
    /// The next event, or `None` once the run has ended and every buffered event was read.
    pub async fn next(&mut self) -> Option<Numbered<S>> {
        loop {
            // Registered before looking, so an event pushed in between still wakes us.
            let changed = self.shared.changed.notified();
            {
                let log = self.shared.log();
                if let Some(first) = log.events.front() {
                    if first.id > self.next {
                        // Dropped from the buffer before this subscriber got to it.
                        self.missed += first.id - self.next;
                        self.next = first.id;
                    }
                    let index = usize::try_from(self.next - first.id).unwrap_or(usize::MAX);
                    if let Some(event) = log.events.get(index) {
                        self.next += 1;
                        return Some(event.clone());
                    }
                }
                if log.ended {
                    return None;
                }
            }
            changed.await;
        }
    }

    /// How many events this subscriber skipped because the buffer had dropped them.
    pub fn missed(&self) -> u64 {
        self.missed
    }
}
