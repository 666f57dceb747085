//! Reads, on pooled connections. Each read runs in one transaction, so it sees a single
//! committed state even while the writer commits; in WAL mode it never blocks the writer.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use graph_core::{
    CheckpointId, CheckpointMeta, FieldVersion, HistoryQuery, LoadedCheckpoint, LoadedField,
    Namespace, NodeId, PendingWrite, TaskId, ThreadId, WriteKind,
};
use rusqlite::{Connection, OptionalExtension};

use crate::codec;
use crate::error::Error;

mod history;
#[cfg(test)]
mod tests;

pub(crate) use history::history;

/// The stored number of a write kind. Part of the file format: never renumber.
pub(crate) fn kind_code(kind: WriteKind) -> i64 {
    match kind {
        WriteKind::Output => 0,
        WriteKind::Error => 1,
        WriteKind::Interrupt => 2,
        WriteKind::Resume => 3,
        WriteKind::Effect => 4,
        WriteKind::Failure => 5,
    }
}

fn kind_from_code(code: i64) -> Option<WriteKind> {
    Some(match code {
        0 => WriteKind::Output,
        1 => WriteKind::Error,
        2 => WriteKind::Interrupt,
        3 => WriteKind::Resume,
        4 => WriteKind::Effect,
        5 => WriteKind::Failure,
        _ => return None,
    })
}

/// Field names by their interned number, shared by all readers. Names are never renumbered, so
/// the cache only grows; a miss reloads the table.
#[derive(Default)]
pub(crate) struct FieldNames(RwLock<HashMap<i64, Arc<str>>>);

impl FieldNames {
    pub(crate) fn name(&self, conn: &Connection, id: i64) -> rusqlite::Result<Option<Arc<str>>> {
        let cached = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .cloned();
        if cached.is_some() {
            return Ok(cached);
        }
        let mut all = HashMap::new();
        let mut stmt = conn.prepare_cached("SELECT id, name FROM gc_fields")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (id, name) = row?;
            all.insert(id, Arc::from(name));
        }
        let found = all.get(&id).cloned();
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = all;
        Ok(found)
    }
}

/// The interned number of namespace `ns` of `thread`, if it has ever been written.
pub(crate) fn thread_row(
    conn: &Connection,
    thread: &ThreadId,
    ns: &Namespace,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM gc_threads WHERE name = ?1 AND ns = ?2")?
        .query_row([thread.as_str(), ns.as_str()], |r| r.get(0))
        .optional()
}

/// How errors name a thread's namespace: the thread alone for its root.
pub(crate) fn place<'a>(thread: &'a ThreadId, ns: &'a Namespace) -> Place<'a> {
    Place(thread, ns)
}

/// A thread's namespace, displayed. Error contexts here are built on every call, failing or not,
/// so this writes into the context's one string instead of allocating one of its own.
pub(crate) struct Place<'a>(&'a ThreadId, &'a Namespace);

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Place(thread, ns) = self;
        if ns.is_root() {
            write!(f, "thread `{thread}`")
        } else {
            write!(f, "thread `{thread}`, namespace `{ns}`")
        }
    }
}

/// Reads checkpoint `id` of namespace `ns` of `thread` (its latest when `None`) with values and
/// pending writes.
pub(crate) fn get(
    conn: &mut Connection,
    names: &FieldNames,
    thread: &ThreadId,
    ns: &Namespace,
    id: Option<CheckpointId>,
) -> Result<Option<LoadedCheckpoint>, Error> {
    let context = || match id {
        Some(id) => format!("{}: reading checkpoint {id}", place(thread, ns)),
        None => format!("{}: reading its latest checkpoint", place(thread, ns)),
    };
    let tx = conn.transaction().map_err(Error::sqlite(context()))?;
    let Some(thread_id) = thread_row(&tx, thread, ns).map_err(Error::sqlite(context()))? else {
        return Ok(None);
    };
    let wanted = match id {
        Some(id) => match i64::try_from(id.0) {
            Ok(id) => id,
            Err(_) => return Ok(None),
        },
        None => i64::MAX,
    };
    let sql = if id.is_some() {
        "SELECT id, meta, versions, frontier FROM gc_checkpoints WHERE thread = ?1 AND id = ?2"
    } else {
        "SELECT id, meta, versions, frontier FROM gc_checkpoints WHERE thread = ?1 AND id <= ?2
         ORDER BY id DESC LIMIT 1"
    };
    let row = tx
        .prepare_cached(sql)
        .and_then(|mut s| {
            s.query_row((thread_id, wanted), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            })
            .optional()
        })
        .map_err(Error::sqlite(context()))?;
    let Some((id, meta, versions, frontier)) = row else {
        return Ok(None);
    };
    let id = codec::stored_id(thread, id)?;
    let damaged = |what: String| Error::Damaged {
        thread: thread.clone(),
        checkpoint: id,
        what,
    };
    let meta = codec::decode_meta(thread, ns, id, &meta).map_err(damaged)?;
    let frontier = codec::unwrap(&frontier).map_err(|e| damaged(format!("frontier: {e}")))?;
    let stored = codec::decode_versions(&versions).map_err(damaged)?;

    let mut versions = Vec::with_capacity(stored.len());
    let mut values = Vec::with_capacity(stored.len());
    // One descending scan per field from its version, the field compared in the index: a
    // chain's links are usually a few entries apart (the other fields their checkpoints wrote
    // lie between them; so do rows of other branches), which beats a lookup per link.
    let mut chain = tx
        .prepare_cached(
            "SELECT version, prev, value FROM gc_values
             WHERE thread = ?1 AND field = ?2 AND version <= ?3 ORDER BY version DESC",
        )
        .map_err(Error::sqlite(context()))?;
    for (field_id, version, depth) in stored {
        let field = names
            .name(&tx, field_id)
            .map_err(Error::sqlite(context()))?
            .ok_or_else(|| {
                damaged(format!(
                    "it names field number {field_id}, which is unknown"
                ))
            })?;
        // Follow the delta chain back to its snapshot; each step must go to an older version,
        // so a damaged chain cannot loop.
        let mut deltas = Vec::new();
        let mut at = i64::try_from(version)
            .map_err(|_| damaged(format!("field `{field}` has version {version}")))?;
        let mut rows = chain
            .query((thread_id, field_id, at))
            .map_err(Error::sqlite(context()))?;
        let snapshot = loop {
            let missing = || damaged(format!("field `{field}` has no value at version {at}"));
            let Some(row) = rows.next().map_err(Error::sqlite(context()))? else {
                return Err(missing());
            };
            let row_version: i64 = row.get(0).map_err(Error::sqlite(context()))?;
            if row_version > at {
                // A jump back past other rows (a fork's delta onto an old version): seek
                // afresh rather than step through everything in between.
                drop(rows);
                rows = chain
                    .query((thread_id, field_id, at))
                    .map_err(Error::sqlite(context()))?;
                continue;
            }
            if row_version < at {
                return Err(missing());
            }
            let prev: Option<i64> = row.get(1).map_err(Error::sqlite(context()))?;
            let blob = row.get_ref(2).map_err(Error::sqlite(context()))?;
            let bytes = blob
                .as_blob()
                .map_err(|e| e.to_string())
                .and_then(codec::unwrap)
                .map_err(|e| damaged(format!("field `{field}` at version {at}: {e}")))?;
            match prev {
                None => break Arc::<[u8]>::from(bytes),
                Some(prev) if prev < at => {
                    deltas.push(Arc::<[u8]>::from(bytes));
                    at = prev;
                }
                Some(prev) => {
                    return Err(damaged(format!(
                        "field `{field}`: the delta at version {at} points forward to {prev}"
                    )));
                }
            }
        };
        drop(rows);
        deltas.reverse();
        versions.push(FieldVersion {
            field: field.to_string(),
            version: CheckpointId(version),
            depth,
        });
        values.push(LoadedField {
            field: field.to_string(),
            snapshot,
            deltas,
        });
    }
    drop(chain);

    let mut pending_writes = Vec::new();
    let mut stmt = tx
        .prepare_cached(
            "SELECT task, kind, slot, node, value FROM gc_writes
             WHERE thread = ?1 AND checkpoint = ?2 ORDER BY rowid",
        )
        .map_err(Error::sqlite(context()))?;
    let mut rows = stmt
        .query((thread_id, id.0 as i64))
        .map_err(Error::sqlite(context()))?;
    while let Some(row) = rows.next().map_err(Error::sqlite(context()))? {
        pending_writes.push(decode_write(row, 0).map_err(damaged)?);
    }
    drop(rows);
    drop(stmt);
    Ok(Some(LoadedCheckpoint {
        meta,
        versions,
        values,
        frontier: Arc::from(frontier),
        pending_writes,
    }))
}

/// A pending write from the columns `task, kind, slot, node, value` of `row`, starting at
/// column `first`.
pub(crate) fn decode_write(row: &rusqlite::Row<'_>, first: usize) -> Result<PendingWrite, String> {
    let task: [u8; 16] = row
        .get::<_, Vec<u8>>(first)
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "a pending write's task id is not 16 bytes".to_owned())?;
    let code: i64 = row.get(first + 1).map_err(|e| e.to_string())?;
    let kind =
        kind_from_code(code).ok_or_else(|| format!("a pending write has unknown kind {code}"))?;
    let slot: u32 = row.get(first + 2).map_err(|e| e.to_string())?;
    let node: String = row.get(first + 3).map_err(|e| e.to_string())?;
    let value = row.get_ref(first + 4).map_err(|e| e.to_string())?;
    let value = value
        .as_blob()
        .map_err(|e| e.to_string())
        .and_then(codec::unwrap)
        .map_err(|e| format!("a pending write: {e}"))?;
    Ok(PendingWrite {
        task_id: TaskId(u128::from_be_bytes(task)),
        node: NodeId::from(node),
        kind,
        slot,
        value: Arc::from(value),
    })
}

/// Lists the checkpoints of a thread's namespace newest first, paged by id from the primary key
/// index, decoding only metadata; the scan stops as soon as `limit` matches are found.
pub(crate) fn list(
    conn: &mut Connection,
    thread: &ThreadId,
    ns: &Namespace,
    query: &HistoryQuery,
) -> Result<Vec<CheckpointMeta>, Error> {
    let context = || format!("{}: listing its checkpoints", place(thread, ns));
    let tx = conn.transaction().map_err(Error::sqlite(context()))?;
    let Some(thread_id) = thread_row(&tx, thread, ns).map_err(Error::sqlite(context()))? else {
        return Ok(Vec::new());
    };
    let limit = query.limit.unwrap_or(usize::MAX);
    if limit == 0 {
        return Ok(Vec::new());
    }
    let (before, sql_limit) = page_bounds(query);
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, meta FROM gc_checkpoints WHERE thread = ?1 AND id < ?2
             ORDER BY id DESC LIMIT ?3",
        )
        .map_err(Error::sqlite(context()))?;
    let mut rows = stmt
        .query((thread_id, before, sql_limit))
        .map_err(Error::sqlite(context()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(Error::sqlite(context()))? {
        let id = codec::stored_id(
            thread,
            row.get::<_, i64>(0).map_err(Error::sqlite(context()))?,
        )?;
        let blob = row.get_ref(1).map_err(Error::sqlite(context()))?;
        let meta = blob
            .as_blob()
            .map_err(|e| e.to_string())
            .and_then(|b| codec::decode_meta(thread, ns, id, b))
            .map_err(|what| Error::Damaged {
                thread: thread.clone(),
                checkpoint: id,
                what,
            })?;
        if query.matches(&meta) {
            out.push(meta);
            if out.len() == limit {
                break;
            }
        }
    }
    Ok(out)
}

/// A history query's bounds as SQL parameters: the id every listed checkpoint is below, and the
/// row limit. Without a filter the limit can go to SQLite; with one, rows are filtered as they
/// stream and the scan stops at the limit, so SQLite gets none (-1).
pub(crate) fn page_bounds(query: &HistoryQuery) -> (i64, i64) {
    let before = query
        .before
        .map_or(i64::MAX, |b| i64::try_from(b.0).unwrap_or(i64::MAX));
    let limit = query.limit.unwrap_or(usize::MAX);
    let sql_limit = if query.filter.is_empty() {
        i64::try_from(limit).unwrap_or(-1)
    } else {
        -1
    };
    (before, sql_limit)
}
