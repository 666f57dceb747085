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

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use graph_core::{Checkpoint, CheckpointId, FieldValue, Namespace, PendingWrite, ThreadId};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::oneshot;

use crate::cache::CacheOp;
use crate::codec;
use crate::error::Error;
use crate::read::place;
use crate::store::StoreOp;
use crate::threads::{auto_prune, copy, delete, intern_thread, prune, sql_id};

/// A change to make.
pub(crate) enum Op {
    Put(Checkpoint),
    Writes {
        thread: ThreadId,
        ns: Namespace,
        checkpoint: CheckpointId,
        writes: Vec<PendingWrite>,
    },
    Delete(ThreadId),
    Copy {
        from: ThreadId,
        to: ThreadId,
    },
    Prune {
        thread: ThreadId,
        keep: usize,
    },
    /// A change to the node cache (`cache.rs`).
    Cache(CacheOp),
    /// Nothing: its reply comes once every op queued before it is committed or failed, since
    /// the writer takes ops in order (`Checkpointer::barrier`).
    Barrier,
    /// A change to the long-term store (`store.rs`).
    Store(StoreOp),
}

struct Job {
    op: Op,
    /// Someone waits for this op's reply now: the batch it lands in commits without lingering.
    urgent: bool,
    /// For an op sent by `submit_later`: set once the writer has closed the batch the op is in,
    /// so the caller need not hurry it.
    taken: Option<Arc<AtomicBool>>,
    /// The op's result: for a prune, how many checkpoints it deleted; for a store sweep, how
    /// many items.
    reply: oneshot::Sender<Result<usize, Error>>,
}

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
                let mut state = WriterState {
                    fields: HashMap::new(),
                    threads: HashMap::new(),
                    data_version: None,
                    keep_last,
                };
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
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the SQLite checkpoint writer thread panicked");
            }
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

/// Applies a batch in one transaction; one result per job.
///
/// Ops almost never fail, so the batch first runs without savepoints (each costs two parsed
/// statements and a copy of every page its op touches). Should any op fail, or the commit,
/// that transaction is rolled back and the batch runs again through [`commit_isolated`],
/// which fails only the ops that fail and reports why.
fn commit(
    conn: &mut Connection,
    state: &mut WriterState,
    batch: &[Job],
) -> Vec<Result<usize, Error>> {
    state.check_others(conn);
    if let Some(results) = commit_together(conn, state, batch) {
        return results;
    }
    // Field ids interned by the rolled-back transaction are gone with it.
    state.forget();
    commit_isolated(conn, state, batch)
}

/// The batch in one transaction without savepoints: its results if every op succeeded and the
/// commit did, `None` (everything rolled back) otherwise.
fn commit_together(
    conn: &mut Connection,
    state: &mut WriterState,
    batch: &[Job],
) -> Option<Vec<Result<usize, Error>>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .ok()?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        // Dropping `tx` on the way out rolls the transaction back.
        results.push(Ok(apply(&tx, state, &job.op).ok()?));
    }
    tx.commit().ok()?;
    Some(results)
}

/// The batch in one transaction, each op in its own savepoint; one result per job.
///
/// Each op runs in its own savepoint so a failure undoes only that op. If SQLite rolled back
/// the whole transaction itself (it may on a full disk or an I/O error), the ops after it are
/// not applied — they would otherwise run in autocommit mode, be stored, and then be reported
/// as failed — and the batch fails as a whole.
fn commit_isolated(
    conn: &mut Connection,
    state: &mut WriterState,
    batch: &[Job],
) -> Vec<Result<usize, Error>> {
    let fail_all = |context: &str, source: &dyn std::fmt::Display| {
        let message = format!("{context}: {source}");
        batch
            .iter()
            .map(|_| Err(Error::Transaction(message.clone())))
            .collect()
    };
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return fail_all("cannot begin a write transaction", &e),
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let result = match tx.savepoint() {
            Ok(mut savepoint) => {
                let result = apply(&savepoint, state, &job.op);
                let ended = if result.is_ok() {
                    savepoint.commit()
                } else {
                    savepoint.rollback()
                };
                match ended {
                    Ok(()) => result,
                    Err(e) => Err(Error::sqlite("end a savepoint")(e)),
                }
            }
            Err(e) => Err(Error::sqlite("open a savepoint")(e)),
        };
        if result.is_err() {
            // Field ids interned by the failed op are gone with it.
            state.forget();
            if tx.is_autocommit() {
                let reason = result.err().map(|e| e.to_string()).unwrap_or_default();
                return fail_all("SQLite rolled back the transaction", &reason);
            }
        }
        results.push(result);
    }
    if let Err(e) = tx.commit() {
        state.forget();
        return fail_all("cannot commit", &e);
    }
    results
}

fn apply(conn: &Connection, state: &mut WriterState, op: &Op) -> Result<usize, Error> {
    match op {
        Op::Put(checkpoint) => {
            put(conn, state, checkpoint)?;
            let id = checkpoint.meta.id.0;
            match state.keep_last {
                // Every `keep` checkpoints, so pruning costs O(1) per put on average.
                Some(keep) if id > 0 && id % keep as u64 == 0 => {
                    auto_prune(conn, &checkpoint.meta.thread, &checkpoint.meta.ns, keep);
                }
                _ => {}
            }
            Ok(0)
        }
        Op::Writes {
            thread,
            ns,
            checkpoint,
            writes,
        } => put_writes(conn, state, thread, ns, *checkpoint, writes).map(|()| 0),
        Op::Delete(thread) => {
            state.threads.retain(|(t, _), _| t != thread);
            delete(conn, thread).map(|()| 0)
        }
        Op::Copy { from, to } => copy(conn, from, to).map(|()| 0),
        Op::Prune { thread, keep } => prune(conn, thread, *keep),
        Op::Cache(op) => op.apply(conn).map(|()| 0),
        Op::Barrier => Ok(0),
        Op::Store(op) => op.apply(conn),
    }
}

/// What the writer keeps between batches: the retention setting and interned field names and
/// thread rows, cached. The caches are forgotten whenever a transaction or savepoint rolls
/// back, since an id cached during it may not exist any more; thread rows also when a thread
/// is deleted, when another connection has changed the file (another process may have deleted
/// one), and when there are more than [`MAX_THREADS_CACHED`].
struct WriterState {
    fields: HashMap<String, i64>,
    threads: HashMap<(ThreadId, Namespace), i64>,
    /// The file's `data_version` when the last batch began.
    data_version: Option<i64>,
    keep_last: Option<usize>,
}

/// Thread rows the writer remembers; a lookup saved is one indexed read per put.
const MAX_THREADS_CACHED: usize = 16_384;

impl WriterState {
    fn forget(&mut self) {
        self.fields.clear();
        self.threads.clear();
    }

    /// Forgets the thread rows if another connection has committed since the last batch.
    fn check_others(&mut self, conn: &Connection) {
        let version = conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
            .ok();
        if version.is_none() || version != self.data_version {
            self.threads.clear();
        }
        self.data_version = version;
    }

    /// The row of namespace `ns` of `thread`, made if it is new.
    fn thread(
        &mut self,
        conn: &Connection,
        thread: &ThreadId,
        ns: &Namespace,
    ) -> rusqlite::Result<i64> {
        let key = (thread.clone(), ns.clone());
        if let Some(&id) = self.threads.get(&key) {
            return Ok(id);
        }
        let id = intern_thread(conn, thread, ns)?;
        if self.threads.len() >= MAX_THREADS_CACHED {
            self.threads.clear();
        }
        self.threads.insert(key, id);
        Ok(id)
    }

    fn field(&mut self, conn: &Connection, name: &str) -> rusqlite::Result<i64> {
        if let Some(&id) = self.fields.get(name) {
            return Ok(id);
        }
        let id = intern(conn, "gc_fields", name)?;
        self.fields.insert(name.to_owned(), id);
        Ok(id)
    }
}

fn intern(conn: &Connection, table: &str, name: &str) -> rusqlite::Result<i64> {
    let found = conn
        .prepare_cached(&format!("SELECT id FROM {table} WHERE name = ?1"))?
        .query_row([name], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    conn.prepare_cached(&format!("INSERT INTO {table} (name) VALUES (?1)"))?
        .execute([name])?;
    Ok(conn.last_insert_rowid())
}

fn put(conn: &Connection, state: &mut WriterState, checkpoint: &Checkpoint) -> Result<(), Error> {
    let meta = &checkpoint.meta;
    let thread = &meta.thread;
    let id = sql_id(thread, meta.id)?;
    let context = || {
        format!(
            "{}: storing checkpoint {}",
            place(thread, &meta.ns),
            meta.id
        )
    };
    let encode = |what: &str, e: serde_json::Error| {
        Error::Invalid(format!("{}: cannot encode its {what}: {e}", context()))
    };
    let thread_id = state
        .thread(conn, thread, &meta.ns)
        .map_err(Error::sqlite(context()))?;
    let mut versions = Vec::with_capacity(checkpoint.versions.len());
    for v in &checkpoint.versions {
        let field = state
            .field(conn, &v.field)
            .map_err(Error::sqlite(context()))?;
        versions.push((field, v.version.0, v.depth));
    }
    let meta_blob = codec::encode_meta(meta).map_err(|e| encode("metadata", e))?;
    let versions_blob = codec::encode_versions(&versions).map_err(|e| encode("versions", e))?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO gc_checkpoints (thread, id, meta, versions, frontier)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut s| {
            s.execute((
                thread_id,
                id,
                meta_blob,
                versions_blob,
                codec::wrap(&checkpoint.frontier),
            ))
        })
        .map_err(Error::sqlite(context()))?;
    if inserted == 0 {
        return Err(Error::Duplicate {
            thread: thread.clone(),
            checkpoint: meta.id,
        });
    }
    let mut insert_value = conn
        .prepare_cached(
            "INSERT INTO gc_values (thread, field, version, prev, value) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(Error::sqlite(context()))?;
    for write in &checkpoint.writes {
        let field = state
            .field(conn, &write.field)
            .map_err(Error::sqlite(context()))?;
        let (prev, bytes) = match &write.value {
            FieldValue::Snapshot(bytes) => (None, bytes),
            FieldValue::Delta { prev, updates } => (Some(sql_id(thread, *prev)?), updates),
        };
        insert_value
            .execute((thread_id, field, id, prev, codec::wrap(bytes)))
            .map_err(Error::sqlite(format!(
                "{}: field `{}`",
                context(),
                write.field
            )))?;
    }
    if let Some(parent) = meta.parent {
        conn.prepare_cached("DELETE FROM gc_writes WHERE thread = ?1 AND checkpoint = ?2")
            .and_then(|mut s| s.execute((thread_id, sql_id(thread, parent).unwrap_or(-1))))
            .map_err(Error::sqlite(context()))?;
    }
    Ok(())
}

fn put_writes(
    conn: &Connection,
    state: &mut WriterState,
    thread: &ThreadId,
    ns: &Namespace,
    checkpoint: CheckpointId,
    writes: &[PendingWrite],
) -> Result<(), Error> {
    let context = || {
        format!(
            "{}: storing pending writes of checkpoint {checkpoint}",
            place(thread, ns)
        )
    };
    let thread_id = state
        .thread(conn, thread, ns)
        .map_err(Error::sqlite(context()))?;
    let id = sql_id(thread, checkpoint)?;
    for write in writes {
        // The first write of a key stands, except for the kinds a later write supersedes.
        let sql = if write.kind.replaces() {
            "INSERT INTO gc_writes (thread, checkpoint, task, kind, slot, node, value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT DO UPDATE SET node = excluded.node, value = excluded.value"
        } else {
            "INSERT INTO gc_writes (thread, checkpoint, task, kind, slot, node, value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING"
        };
        conn.prepare_cached(sql)
            .and_then(|mut s| {
                s.execute((
                    thread_id,
                    id,
                    write.task_id.0.to_be_bytes(),
                    crate::read::kind_code(write.kind),
                    write.slot,
                    write.node.as_str(),
                    codec::wrap(&write.value),
                ))
            })
            .map_err(Error::sqlite(context()))?;
    }
    Ok(())
}
