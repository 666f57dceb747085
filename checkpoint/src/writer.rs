//! The single writer: one thread owns the only write connection and commits every change.
//!
//! Callers send [`Op`]s over a channel and wait for their reply. The thread takes whatever has
//! queued up (up to a batch limit) and applies it in one `BEGIN IMMEDIATE` transaction; should an
//! op fail (a duplicate checkpoint id, say), the batch is rolled back and applied again with each
//! op in its own savepoint, so the failure fails only its caller. Replies go out only after
//! `COMMIT` returns, so an acknowledged write is durable to the
//! configured `synchronous` level. While one batch is being synced to disk the next one queues,
//! so under load many threads share one fsync (group commit) without any added wait.
//!
//! A batch whose every op is a `Durability::Async` put nobody waits for yet (`submit_later`)
//! lingers up to [`LINGER`] for more ops before it commits: a run's next checkpoints usually
//! follow within microseconds, and one transaction then stores them all (a sequential run costs
//! one fsync, not one per superstep). The first op someone waits for ends the linger at once, so
//! a waiting caller never pays for it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::Error;

mod apply;
mod op;

use apply::{WriterState, commit};
use op::Job;
pub(crate) use op::Op;

/// The handle callers use; dropping it stops the thread after it has finished its queue.
pub(crate) struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// Callers waiting for a reply.
    waiting: std::sync::atomic::AtomicUsize,
    /// Transactions committed so far.
    commits: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Writer {
    pub(crate) fn spawn(
        conn: Connection,
        max_batch: usize,
        keep_last: Option<usize>,
    ) -> Result<Self, Error> {
        let (jobs, queue) = mpsc::channel();
        let commits = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = std::sync::Arc::clone(&commits);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint-writer".into())
            .spawn(move || {
                let mut state = WriterState::new(keep_last);
                run(conn, &queue, max_batch.max(1), &mut state, &counted);
            })
            .map_err(|e| Error::WriterStopped(format!("cannot start it: {e}")))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            commits,
        })
    }

    /// How many transactions the writer has committed.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    fn send(
        &self,
        op: Op,
        urgent: bool,
        taken: Option<Arc<AtomicBool>>,
    ) -> Result<oneshot::Receiver<Result<usize, Error>>, Error> {
        let (reply, done) = oneshot::channel();
        self.jobs
            .as_ref()
            .expect("present until drop")
            .send(Job {
                op,
                reply,
                urgent,
                taken,
            })
            .map_err(|_| Error::WriterStopped("it is no longer receiving".into()))?;
        Ok(done)
    }

    /// Sends `op` at once and lets the writer hold it back (see the module doc) until this
    /// future is polled a second time, which means its caller now waits for it; then it asks the
    /// writer to commit without lingering and waits like [`Writer::submit`].
    pub(crate) async fn submit_later(&self, op: Op) -> Result<usize, Error> {
        let taken = Arc::new(AtomicBool::new(false));
        let mut done = self.send(op, false, Some(Arc::clone(&taken)))?;
        // Return to the caller once, so it goes on while the op waits in the writer's batch. A
        // caller that simply awaits is woken at once and lands below right away.
        let mut first = true;
        std::future::poll_fn(|cx| {
            if std::mem::take(&mut first) {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        })
        .await;
        match done.try_recv() {
            Ok(result) => return result,
            Err(oneshot::error::TryRecvError::Closed) => {
                return Err(Error::WriterStopped(
                    "it dropped a request (did it panic?)".into(),
                ));
            }
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        // Unless its batch is already closed (being committed), an urgent no-op behind it ends
        // the linger; its own reply is not needed.
        if !taken.load(Ordering::Acquire) {
            drop(self.send(Op::Barrier, true, None)?);
        }
        self.wait(done).await
    }

    /// Sends `op` and waits until it is committed (or failed).
    pub(crate) async fn submit(&self, op: Op) -> Result<usize, Error> {
        let done = self.send(op, true, None)?;
        self.wait(done).await
    }

    /// Waits for a reply.
    async fn wait(
        &self,
        mut done: oneshot::Receiver<Result<usize, Error>>,
    ) -> Result<usize, Error> {
        let alone = self.waiting.fetch_add(1, Ordering::Relaxed) == 0;
        let _waiting = Waiting(&self.waiting);
        // A lone caller (one run writing in sequence) keeps its worker awake for the length of
        // a commit by yielding instead of sleeping: waking a parked worker costs 25–30 µs on a
        // VM, a sixth of a synced commit. With company, the worker has other tasks to run.
        if alone {
            let start = Instant::now();
            while start.elapsed() < YIELD_FOR {
                match done.try_recv() {
                    Ok(result) => return result,
                    Err(oneshot::error::TryRecvError::Empty) => tokio::task::yield_now().await,
                    Err(oneshot::error::TryRecvError::Closed) => break,
                }
            }
        }
        done.await
            .map_err(|_| Error::WriterStopped("it dropped a request (did it panic?)".into()))?
    }
}

/// How long a lone caller yields before it sleeps on its reply: a synced commit or two.
const YIELD_FOR: Duration = Duration::from_micros(500);

/// Counts a caller out when its wait ends, however it ends.
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop once the queue is empty; joining lets the
        // connection close (and checkpoint the WAL) before the store is gone.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the SQLite checkpoint writer thread panicked");
        }
    }
}

fn run(
    mut conn: Connection,
    queue: &mpsc::Receiver<Job>,
    max_batch: usize,
    state: &mut WriterState,
    commits: &std::sync::atomic::AtomicU64,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = next_job(queue) {
        batch.push(first);
        drain(queue, &mut batch, max_batch);
        linger(queue, &mut batch, max_batch);
        for taken in batch.iter().filter_map(|job| job.taken.as_ref()) {
            taken.store(true, Ordering::Release);
        }
        let results = if batch.iter().all(|job| matches!(job.op, Op::Barrier)) {
            // Everything before these barriers is committed: nothing to write.
            batch.iter().map(|_| Ok(0)).collect()
        } else {
            commits.fetch_add(1, Ordering::Relaxed);
            commit(&mut conn, state, &batch)
        };
        for (job, result) in batch.drain(..).zip(results) {
            // The caller may have given up waiting (its future was dropped); the write stands.
            let _ = job.reply.send(result);
        }
    }
}

/// Adds whatever has queued, up to `max_batch`.
fn drain(queue: &mpsc::Receiver<Job>, batch: &mut Vec<Job>, max_batch: usize) {
    while batch.len() < max_batch {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
}

/// The longest a batch nobody waits for yet waits for company (see the module doc). A
/// superstep of engine work takes microseconds; one that calls a model takes far longer than
/// this, and its checkpoint is then stored alone, at most this late.
const LINGER: Duration = Duration::from_millis(1);

/// While nothing in `batch` is urgent and it has room, waits up to [`LINGER`] for more jobs.
fn linger(queue: &mpsc::Receiver<Job>, batch: &mut Vec<Job>, max_batch: usize) {
    let until = Instant::now() + LINGER;
    while batch.len() < max_batch && !batch.iter().any(|job| job.urgent) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        // A run's next checkpoint follows within microseconds: poll briefly before sleeping,
        // for the same reason `next_job` spins.
        let job = match queue.try_recv() {
            Ok(job) => job,
            Err(mpsc::TryRecvError::Disconnected) => return,
            Err(mpsc::TryRecvError::Empty) if LINGER - left < SPIN => {
                std::thread::yield_now();
                continue;
            }
            Err(mpsc::TryRecvError::Empty) => match queue.recv_timeout(left) {
                Ok(job) => job,
                Err(_) => return,
            },
        };
        batch.push(job);
        drain(queue, batch, max_batch);
    }
}

/// How long the writer polls for the next job before it sleeps. A run's next checkpoint
/// usually arrives within this window (it follows the reply after only engine work), and a
/// sleeping thread costs 25–30 µs to wake on a VM, as much as the commit itself without fsync.
const SPIN: Duration = Duration::from_micros(200);

/// The next job, or `None` once every sender is gone.
fn next_job(queue: &mpsc::Receiver<Job>) -> Option<Job> {
    let start = Instant::now();
    while start.elapsed() < SPIN {
        match queue.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => std::thread::yield_now(),
        }
    }
    queue.recv().ok()
}
