//! The single writer: one thread owns the only write connection and commits every change.
//!
//! Callers send [`Op`]s over a channel and wait for their reply. The thread takes whatever has
//! queued up (up to a batch limit) and applies it in one `BEGIN IMMEDIATE` transaction, each op
//! inside its own savepoint so one op's failure (a duplicate checkpoint id, say) fails only its
//! caller. Replies go out only after `COMMIT` returns, so an acknowledged write is durable to the
//! configured `synchronous` level. While one batch is being synced to disk the next one queues,
//! so under load many threads share one fsync (group commit) without any added wait.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use graph_core::{Checkpoint, CheckpointId, FieldValue, Namespace, PendingWrite, ThreadId};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::oneshot;

use crate::codec;
use crate::error::Error;
use crate::read::{place, thread_row};

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
}

struct Job {
    op: Op,
    /// The op's result: for a prune, how many checkpoints it deleted.
    reply: oneshot::Sender<Result<usize, Error>>,
}

/// The handle callers use; dropping it stops the thread after it has finished its queue.
pub(crate) struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// Callers waiting for a reply.
    waiting: std::sync::atomic::AtomicUsize,
}

impl Writer {
    pub(crate) fn spawn(
        conn: Connection,
        max_batch: usize,
        keep_last: Option<usize>,
    ) -> Result<Self, Error> {
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint-writer".into())
            .spawn(move || {
                let mut state = WriterState {
                    fields: HashMap::new(),
                    keep_last,
                };
                run(conn, &queue, max_batch.max(1), &mut state);
            })
            .map_err(|e| Error::WriterStopped(format!("cannot start it: {e}")))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
            waiting: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Sends `op` and waits until it is committed (or failed).
    pub(crate) async fn submit(&self, op: Op) -> Result<usize, Error> {
        use std::sync::atomic::Ordering;
        let (reply, mut done) = oneshot::channel();
        self.jobs
            .as_ref()
            .expect("present until drop")
            .send(Job { op, reply })
            .map_err(|_| Error::WriterStopped("it is no longer receiving".into()))?;
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
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = next_job(queue) {
        batch.push(first);
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = commit(&mut conn, state, &batch);
        for (job, result) in batch.drain(..).zip(results) {
            // The caller may have given up waiting (its future was dropped); the write stands.
            let _ = job.reply.send(result);
        }
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
/// Each op runs in its own savepoint so a failure undoes only that op. If SQLite rolled back
/// the whole transaction itself (it may on a full disk or an I/O error), the ops after it are
/// not applied — they would otherwise run in autocommit mode, be stored, and then be reported
/// as failed — and the batch fails as a whole.
fn commit(
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
        } => put_writes(conn, thread, ns, *checkpoint, writes).map(|()| 0),
        Op::Delete(thread) => delete(conn, thread).map(|()| 0),
        Op::Copy { from, to } => copy(conn, from, to).map(|()| 0),
        Op::Prune { thread, keep } => prune(conn, thread, *keep),
    }
}

/// What the writer keeps between batches: the retention setting and interned field names,
/// cached. The cache is forgotten whenever a transaction or savepoint rolls back, since an id
/// cached during it may not exist any more.
struct WriterState {
    fields: HashMap<String, i64>,
    keep_last: Option<usize>,
}

impl WriterState {
    fn forget(&mut self) {
        self.fields.clear();
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

/// The row of namespace `ns` of `thread`, made if it is new.
fn intern_thread(conn: &Connection, thread: &ThreadId, ns: &Namespace) -> rusqlite::Result<i64> {
    if let Some(id) = thread_row(conn, thread, ns)? {
        return Ok(id);
    }
    conn.prepare_cached("INSERT INTO gc_threads (name, ns) VALUES (?1, ?2)")?
        .execute([thread.as_str(), ns.as_str()])?;
    Ok(conn.last_insert_rowid())
}

/// The rows of every namespace of `thread`, with their namespaces.
fn namespace_rows(conn: &Connection, thread: &ThreadId) -> Result<Vec<(i64, Namespace)>, Error> {
    let context = || format!("thread `{thread}`: reading its namespaces");
    let mut stmt = conn
        .prepare_cached("SELECT id, ns FROM gc_threads WHERE name = ?1 ORDER BY id")
        .map_err(Error::sqlite(context()))?;
    let rows = stmt
        .query_map([thread.as_str()], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(Error::sqlite(context()))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, ns) = row.map_err(Error::sqlite(context()))?;
        let ns = ns
            .parse()
            .map_err(|e| Error::Invalid(format!("thread `{thread}`: a stored {e}")))?;
        out.push((id, ns));
    }
    Ok(out)
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

/// A checkpoint id as SQLite's signed integer.
pub(crate) fn sql_id(thread: &ThreadId, id: CheckpointId) -> Result<i64, Error> {
    i64::try_from(id.0).map_err(|_| {
        Error::Invalid(format!(
            "thread `{thread}`: checkpoint id {id} does not fit SQLite's 63-bit integers"
        ))
    })
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
    let thread_id = intern_thread(conn, thread, &meta.ns).map_err(Error::sqlite(context()))?;
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
    let thread_id = intern_thread(conn, thread, ns).map_err(Error::sqlite(context()))?;
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

/// Deletes every namespace of `thread`.
fn delete(conn: &Connection, thread: &ThreadId) -> Result<(), Error> {
    let context = || format!("thread `{thread}`: deleting it");
    for (thread_id, _) in namespace_rows(conn, thread)? {
        for sql in [
            "DELETE FROM gc_writes WHERE thread = ?1",
            "DELETE FROM gc_values WHERE thread = ?1",
            "DELETE FROM gc_checkpoints WHERE thread = ?1",
            "DELETE FROM gc_threads WHERE id = ?1",
        ] {
            conn.prepare_cached(sql)
                .and_then(|mut s| s.execute([thread_id]))
                .map_err(Error::sqlite(context()))?;
        }
    }
    Ok(())
}

fn copy(conn: &Connection, from: &ThreadId, to: &ThreadId) -> Result<(), Error> {
    if from == to {
        return Err(Error::Invalid(format!(
            "cannot copy thread `{from}` into itself"
        )));
    }
    let context = || format!("copying thread `{from}` into `{to}`");
    let sources = namespace_rows(conn, from)?;
    if sources.is_empty() {
        return Err(Error::Invalid(format!(
            "cannot copy thread `{from}`: no such thread"
        )));
    }
    for (target, _) in namespace_rows(conn, to)? {
        let used: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM gc_checkpoints WHERE thread = ?1)",
                [target],
                |r| r.get(0),
            )
            .map_err(Error::sqlite(context()))?;
        if used {
            return Err(Error::Invalid(format!(
                "cannot copy thread `{from}` into `{to}`: `{to}` is not empty"
            )));
        }
    }
    // Stray pending writes of a thread without checkpoints are replaced, not merged.
    delete(conn, to)?;
    for (source, ns) in sources {
        let target = intern_thread(conn, to, &ns).map_err(Error::sqlite(context()))?;
        copy_rows(conn, source, target).map_err(Error::sqlite(context()))?;
    }
    Ok(())
}

/// Copies the checkpoints, values and pending writes of one namespace's row into another's.
fn copy_rows(conn: &Connection, source: i64, target: i64) -> rusqlite::Result<()> {
    for sql in [
        "INSERT INTO gc_checkpoints (thread, id, meta, versions, frontier)
         SELECT ?2, id, meta, versions, frontier FROM gc_checkpoints WHERE thread = ?1",
        "INSERT INTO gc_values (thread, field, version, prev, value)
         SELECT ?2, field, version, prev, value FROM gc_values WHERE thread = ?1",
        // In rowid order, so the copy lists writes in the order the source does.
        "INSERT INTO gc_writes (thread, checkpoint, task, kind, slot, node, value)
         SELECT ?2, checkpoint, task, kind, slot, node, value FROM gc_writes WHERE thread = ?1
         ORDER BY rowid",
    ] {
        conn.execute(sql, (source, target))?;
    }
    Ok(())
}

/// Retention after a put, in the put's namespace. A failed prune (a damaged row, say) must not
/// fail the put — the thread could never move on — so it runs in a savepoint of its own and is
/// only logged.
fn auto_prune(conn: &Connection, thread: &ThreadId, ns: &Namespace, keep: usize) {
    let outcome = conn
        .execute_batch("SAVEPOINT auto_prune")
        .map_err(Error::sqlite(format!("{}: pruning it", place(thread, ns))));
    let outcome = outcome.and_then(|()| match thread_row(conn, thread, ns) {
        Ok(Some(row)) => prune_namespace(conn, thread, row, keep),
        Ok(None) => Ok(0),
        Err(e) => Err(Error::sqlite(format!("{}: pruning it", place(thread, ns)))(
            e,
        )),
    });
    let end = match &outcome {
        Ok(_) => "RELEASE auto_prune",
        Err(_) => "ROLLBACK TO auto_prune; RELEASE auto_prune",
    };
    if let Err(error) = outcome {
        tracing::warn!(%thread, %error, "retention skipped for this thread");
    }
    if let Err(error) = conn.execute_batch(end) {
        tracing::warn!(%thread, %error, "could not end the retention savepoint");
    }
}

/// Keeps the newest `keep` checkpoints (at least one) of each namespace of `thread` and every
/// value they read.
fn prune(conn: &Connection, thread: &ThreadId, keep: usize) -> Result<usize, Error> {
    let mut deleted = 0;
    for (row, _) in namespace_rows(conn, thread)? {
        deleted += prune_namespace(conn, thread, row, keep)?;
    }
    Ok(deleted)
}

/// Keeps the newest `keep` checkpoints (at least one) of the namespace stored as `thread_id`, and
/// every value they read.
fn prune_namespace(
    conn: &Connection,
    thread: &ThreadId,
    thread_id: i64,
    keep: usize,
) -> Result<usize, Error> {
    let context = || format!("thread `{thread}`: pruning it");
    let keep = i64::try_from(keep.max(1)).unwrap_or(i64::MAX);
    let mut kept = Vec::new();
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, versions FROM gc_checkpoints WHERE thread = ?1 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(Error::sqlite(context()))?;
        let mut rows = stmt
            .query((thread_id, keep))
            .map_err(Error::sqlite(context()))?;
        while let Some(row) = rows.next().map_err(Error::sqlite(context()))? {
            let id = codec::stored_id(thread, row.get(0).map_err(Error::sqlite(context()))?)?;
            let blob = row.get_ref(1).and_then(|v| Ok(v.as_blob()?));
            let versions = blob
                .map_err(|e| e.to_string())
                .and_then(codec::decode_versions)
                .map_err(|what| Error::Damaged {
                    thread: thread.clone(),
                    checkpoint: id,
                    what,
                })?;
            kept.push((sql_id(thread, id)?, versions));
        }
    }
    let Some(&(oldest_kept, _)) = kept.last() else {
        return Ok(0);
    };
    if (kept.len() as i64) < keep {
        return Ok(0);
    }
    // Every (field, version) a kept checkpoint reads, following delta chains back to their
    // snapshots, which may be far older than the oldest kept checkpoint.
    let mut live: HashSet<(i64, i64)> = HashSet::new();
    let mut prev_of = conn
        .prepare_cached(
            "SELECT prev FROM gc_values WHERE thread = ?1 AND field = ?2 AND version = ?3",
        )
        .map_err(Error::sqlite(context()))?;
    for (id, versions) in &kept {
        for &(field, version, _) in versions {
            let mut at = sql_id(thread, CheckpointId(version))?;
            while live.insert((field, at)) {
                let prev: Option<Option<i64>> = prev_of
                    .query_row((thread_id, field, at), |r| r.get(0))
                    .optional()
                    .map_err(Error::sqlite(context()))?;
                match prev {
                    Some(Some(prev)) if prev < at => at = prev,
                    Some(Some(prev)) => {
                        return Err(Error::Damaged {
                            thread: thread.clone(),
                            checkpoint: CheckpointId(id.unsigned_abs()),
                            what: format!("the delta at version {at} points forward to {prev}"),
                        });
                    }
                    _ => break,
                }
            }
        }
    }
    conn.prepare_cached("DELETE FROM gc_writes WHERE thread = ?1 AND checkpoint < ?2")
        .and_then(|mut s| s.execute((thread_id, oldest_kept)))
        .map_err(Error::sqlite(context()))?;
    let deleted = conn
        .prepare_cached("DELETE FROM gc_checkpoints WHERE thread = ?1 AND id < ?2")
        .and_then(|mut s| s.execute((thread_id, oldest_kept)))
        .map_err(Error::sqlite(context()))?;
    let mut doomed = Vec::new();
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT field, version FROM gc_values WHERE thread = ?1 AND version < ?2",
            )
            .map_err(Error::sqlite(context()))?;
        let rows = stmt
            .query_map((thread_id, oldest_kept), |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(Error::sqlite(context()))?;
        for row in rows {
            let key: (i64, i64) = row.map_err(Error::sqlite(context()))?;
            if !live.contains(&key) {
                doomed.push(key);
            }
        }
    }
    let mut delete_value = conn
        .prepare_cached("DELETE FROM gc_values WHERE thread = ?1 AND field = ?2 AND version = ?3")
        .map_err(Error::sqlite(context()))?;
    for (field, version) in doomed {
        delete_value
            .execute((thread_id, field, version))
            .map_err(Error::sqlite(context()))?;
    }
    Ok(deleted)
}
