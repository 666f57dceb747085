//! Applying a batch of ops in SQLite: one transaction for the batch (op by op in savepoints
//! only when one fails), each op's SQL, and what the writer caches between batches.

use std::collections::HashMap;

use graph_core::{Checkpoint, CheckpointId, FieldValue, Namespace, PendingWrite, ThreadId};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::op::{Job, Op};
use crate::codec;
use crate::error::Error;
use crate::read::place;
use crate::threads::{auto_prune, copy, delete, intern_thread, prune, rewind, sql_id};

/// Applies a batch in one transaction; one result per job.
///
/// Ops almost never fail, so the batch first runs without savepoints (each costs two parsed
/// statements and a copy of every page its op touches). Should any op fail, or the commit,
/// that transaction is rolled back and the batch runs again through [`commit_isolated`],
/// which fails only the ops that fail and reports why.
pub(super) fn commit(
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
        Op::Rewind { thread, to } => {
            // A rewind may delete namespace rows, which a later put must make again.
            state.threads.retain(|(t, _), _| t != thread);
            rewind(conn, thread, *to)
        }
        Op::Cache(op) => op.apply(conn).map(|()| 0),
        Op::Barrier => Ok(0),
        Op::Store(op) => op.apply(conn),
    }
}

/// What the writer keeps between batches: the retention setting and interned field names and
/// thread rows, cached. The caches are forgotten whenever a transaction or savepoint rolls
/// back, since an id cached during it may not exist any more; thread rows also when a thread
/// is deleted or rewound, when another connection has changed the file (another process may
/// have deleted one), and when there are more than [`MAX_THREADS_CACHED`].
pub(super) struct WriterState {
    fields: HashMap<String, i64>,
    threads: HashMap<(ThreadId, Namespace), i64>,
    /// The file's `data_version` when the last batch began.
    data_version: Option<i64>,
    keep_last: Option<usize>,
}

/// Thread rows the writer remembers; a lookup saved is one indexed read per put.
const MAX_THREADS_CACHED: usize = 16_384;

impl WriterState {
    /// Nothing cached yet; `keep_last` is the retention setting.
    pub(super) fn new(keep_last: Option<usize>) -> Self {
        Self {
            fields: HashMap::new(),
            threads: HashMap::new(),
            data_version: None,
            keep_last,
        }
    }

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
