//! A thread's rows: the row of each of its namespaces (interned in `gc_threads`), and the
//! changes that take a whole thread, every namespace of it: delete, copy, rewind and retention.
//! The writer thread applies them; nothing here opens a transaction.

use std::collections::HashSet;

use graph_core::{CheckpointId, Namespace, ThreadId};
use rusqlite::{Connection, OptionalExtension};

use crate::codec;
use crate::error::Error;
use crate::read::{place, thread_row};

mod rewind;
#[cfg(test)]
mod tests;

pub(crate) use rewind::rewind;

/// A checkpoint id as SQLite's signed integer.
pub(crate) fn sql_id(thread: &ThreadId, id: CheckpointId) -> Result<i64, Error> {
    i64::try_from(id.0).map_err(|_| {
        Error::Invalid(format!(
            "thread `{thread}`: checkpoint id {id} does not fit SQLite's 63-bit integers"
        ))
    })
}

/// The row of namespace `ns` of `thread`, made if it is new.
pub(crate) fn intern_thread(
    conn: &Connection,
    thread: &ThreadId,
    ns: &Namespace,
) -> rusqlite::Result<i64> {
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

/// Deletes every namespace of `thread`.
pub(crate) fn delete(conn: &Connection, thread: &ThreadId) -> Result<(), Error> {
    let context = || format!("thread `{thread}`: deleting it");
    for (thread_id, _) in namespace_rows(conn, thread)? {
        delete_namespace(conn, thread_id).map_err(Error::sqlite(context()))?;
    }
    Ok(())
}

/// Deletes the namespace stored as `thread_id`: its rows in every table, its own row included.
fn delete_namespace(conn: &Connection, thread_id: i64) -> rusqlite::Result<()> {
    for sql in [
        "DELETE FROM gc_writes WHERE thread = ?1",
        "DELETE FROM gc_values WHERE thread = ?1",
        "DELETE FROM gc_checkpoints WHERE thread = ?1",
        "DELETE FROM gc_threads WHERE id = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([thread_id])?;
    }
    Ok(())
}

pub(crate) fn copy(conn: &Connection, from: &ThreadId, to: &ThreadId) -> Result<(), Error> {
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
    for (_, ns) in &sources {
        intern_thread(conn, to, ns).map_err(Error::sqlite(context()))?;
    }
    copy_rows(conn, from, to).map_err(Error::sqlite(context()))?;
    Ok(())
}

/// Copies the checkpoints, values and pending writes of every namespace of thread `?1` into
/// the same namespace of thread `?2`, whose rows exist.
///
/// Checkpoints are copied in one statement in the source's rowid order, across namespaces: each
/// gets a rowid above every existing one, so the copy's checkpoints keep the order in which the
/// source's were stored, which `rewind` reads. Writes keep their rowid order too, so the copy
/// lists them in the order the source does.
const COPY_ROWS: [&str; 3] = [
    "INSERT INTO gc_checkpoints (thread, id, meta, versions, frontier)
     SELECT target.id, c.id, c.meta, c.versions, c.frontier
     FROM gc_threads source
     JOIN gc_threads target ON target.name = ?2 AND target.ns = source.ns
     JOIN gc_checkpoints c ON c.thread = source.id
     WHERE source.name = ?1
     ORDER BY c.rowid",
    "INSERT INTO gc_values (thread, field, version, prev, value)
     SELECT target.id, v.field, v.version, v.prev, v.value
     FROM gc_threads source
     JOIN gc_threads target ON target.name = ?2 AND target.ns = source.ns
     JOIN gc_values v ON v.thread = source.id
     WHERE source.name = ?1",
    "INSERT INTO gc_writes (thread, checkpoint, task, kind, slot, node, value)
     SELECT target.id, w.checkpoint, w.task, w.kind, w.slot, w.node, w.value
     FROM gc_threads source
     JOIN gc_threads target ON target.name = ?2 AND target.ns = source.ns
     JOIN gc_writes w ON w.thread = source.id
     WHERE source.name = ?1
     ORDER BY w.rowid",
];

fn copy_rows(conn: &Connection, from: &ThreadId, to: &ThreadId) -> rusqlite::Result<()> {
    for sql in COPY_ROWS {
        conn.prepare_cached(sql)?
            .execute([from.as_str(), to.as_str()])?;
    }
    Ok(())
}

/// Retention after a put, in the put's namespace. A failed prune (a damaged row, say) must not
/// fail the put — the thread could never move on — so it runs in a savepoint of its own and is
/// only logged.
pub(crate) fn auto_prune(conn: &Connection, thread: &ThreadId, ns: &Namespace, keep: usize) {
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
pub(crate) fn prune(conn: &Connection, thread: &ThreadId, keep: usize) -> Result<usize, Error> {
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
