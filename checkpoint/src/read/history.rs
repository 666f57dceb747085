//! A page of history with values in a fixed number of statements, whatever the page size: the
//! page's checkpoint rows, then every value they read (delta chains included) in one recursive
//! query, then their pending writes in one more. A `get` per checkpoint would cost a
//! transaction and a chain walk each; here a value shared by several checkpoints of the page
//! (an unchanged field, a chain's common prefix) is read and held once.

use std::collections::HashMap;
use std::sync::Arc;

use graph_core::{
    CheckpointId, FieldVersion, HistoryQuery, LoadedCheckpoint, LoadedField, Namespace,
    PendingWrite, ThreadId,
};
use rusqlite::Connection;

use super::{FieldNames, decode_write, page_bounds, place, thread_row};
use crate::codec::{self, StoredVersion};
use crate::error::Error;

/// The page's checkpoints: newest first, filtered as `list` does.
const PAGE: &str = "SELECT id, meta, versions, frontier FROM gc_checkpoints
    WHERE thread = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3";

/// Every value row the page reads: from each (field, version) the page names, back along `prev`
/// to its snapshot. `UNION` keeps each row once however many checkpoints share it, and only an
/// older `prev` is followed, so damaged rows cannot loop. `?2` is a JSON array of
/// `[field, version]` pairs. `CROSS JOIN` keeps SQLite's join order: each pair (or chain
/// row), then a primary key lookup; the planner would otherwise scan the thread's values.
pub(crate) const VALUES: &str = "WITH RECURSIVE chain(field, version, prev) AS (
        SELECT v.field, v.version, v.prev FROM json_each(?2) AS h
        CROSS JOIN gc_values AS v ON v.thread = ?1
            AND v.field = json_extract(h.value, '$[0]')
            AND v.version = json_extract(h.value, '$[1]')
      UNION
        SELECT v.field, v.version, v.prev FROM chain AS c
        JOIN gc_values AS v ON v.thread = ?1 AND v.field = c.field AND v.version = c.prev
        WHERE c.prev < c.version
    )
    SELECT c.field, c.version, c.prev, v.value FROM chain AS c
    CROSS JOIN gc_values AS v ON v.thread = ?1 AND v.field = c.field AND v.version = c.version";

/// The pending writes of the page's checkpoints (`?2`, a JSON array of ids), in the order they
/// were first written, as `get` returns them.
pub(crate) const WRITES: &str = "SELECT checkpoint, task, kind, slot, node, value FROM gc_writes
    WHERE thread = ?1 AND checkpoint IN (SELECT value FROM json_each(?2)) ORDER BY rowid";

/// A value row by (field, version): the version it is a delta onto (`None` for a snapshot), and
/// its bytes, shared by every checkpoint of the page that reads it.
type ValueRow = (Option<i64>, Arc<[u8]>);

/// A checkpoint row of the page, decoded but for its values.
struct PageRow {
    meta: graph_core::CheckpointMeta,
    versions: Vec<StoredVersion>,
    frontier: Vec<u8>,
}

/// Reads the checkpoints `list` would return for `query`, each with what `get` returns for it,
/// in one transaction.
pub(crate) fn history(
    conn: &mut Connection,
    names: &FieldNames,
    thread: &ThreadId,
    ns: &Namespace,
    query: &HistoryQuery,
) -> Result<Vec<LoadedCheckpoint>, Error> {
    let context = || format!("{}: reading its history", place(thread, ns));
    let tx = conn.transaction().map_err(Error::sqlite(context()))?;
    let Some(thread_id) = thread_row(&tx, thread, ns).map_err(Error::sqlite(context()))? else {
        return Ok(Vec::new());
    };
    let page = page(&tx, thread, ns, thread_id, query)?;
    if page.is_empty() {
        return Ok(Vec::new());
    }
    let damaged = |checkpoint: CheckpointId, what: String| Error::Damaged {
        thread: thread.clone(),
        checkpoint,
        what,
    };

    let mut heads: Vec<(i64, u64)> = page
        .iter()
        .flat_map(|row| {
            row.versions
                .iter()
                .map(|&(field, version, _)| (field, version))
        })
        .collect();
    heads.sort_unstable();
    heads.dedup();
    let heads = serde_json::to_string(&heads).map_err(|e| Error::Read(e.to_string()))?;
    let mut values: HashMap<(i64, i64), ValueRow> = HashMap::new();
    let mut stmt = tx
        .prepare_cached(VALUES)
        .map_err(Error::sqlite(context()))?;
    let mut rows = stmt
        .query((thread_id, heads))
        .map_err(Error::sqlite(context()))?;
    while let Some(row) = rows.next().map_err(Error::sqlite(context()))? {
        let field: i64 = row.get(0).map_err(Error::sqlite(context()))?;
        let version: i64 = row.get(1).map_err(Error::sqlite(context()))?;
        let prev: Option<i64> = row.get(2).map_err(Error::sqlite(context()))?;
        let bytes = row
            .get_ref(3)
            .map_err(Error::sqlite(context()))?
            .as_blob()
            .map_err(|e| e.to_string())
            .and_then(codec::unwrap)
            .map_err(|e| {
                let at = CheckpointId(u64::try_from(version).unwrap_or_default());
                damaged(
                    at,
                    format!("field number {field} at version {version}: {e}"),
                )
            })?;
        values.insert((field, version), (prev, Arc::from(bytes)));
    }
    drop(rows);
    drop(stmt);

    let ids: Vec<u64> = page.iter().map(|row| row.meta.id.0).collect();
    let ids = serde_json::to_string(&ids).map_err(|e| Error::Read(e.to_string()))?;
    let mut writes: HashMap<i64, Vec<PendingWrite>> = HashMap::new();
    let mut stmt = tx
        .prepare_cached(WRITES)
        .map_err(Error::sqlite(context()))?;
    let mut rows = stmt
        .query((thread_id, ids))
        .map_err(Error::sqlite(context()))?;
    while let Some(row) = rows.next().map_err(Error::sqlite(context()))? {
        let checkpoint: i64 = row.get(0).map_err(Error::sqlite(context()))?;
        let at = codec::stored_id(thread, checkpoint)?;
        let write = decode_write(row, 1).map_err(|what| damaged(at, what))?;
        writes.entry(checkpoint).or_default().push(write);
    }
    drop(rows);
    drop(stmt);

    let mut out = Vec::with_capacity(page.len());
    for row in page {
        let id = row.meta.id;
        let damaged = |what: String| damaged(id, what);
        let frontier =
            codec::unwrap(&row.frontier).map_err(|e| damaged(format!("frontier: {e}")))?;
        let mut versions = Vec::with_capacity(row.versions.len());
        let mut loaded = Vec::with_capacity(row.versions.len());
        for &(field_id, version, depth) in &row.versions {
            let field = names
                .name(&tx, field_id)
                .map_err(Error::sqlite(context()))?
                .ok_or_else(|| {
                    damaged(format!(
                        "it names field number {field_id}, which is unknown"
                    ))
                })?;
            let mut at = i64::try_from(version)
                .map_err(|_| damaged(format!("field `{field}` has version {version}")))?;
            let mut deltas = Vec::new();
            let snapshot = loop {
                let Some((prev, bytes)) = values.get(&(field_id, at)) else {
                    return Err(damaged(format!(
                        "field `{field}` has no value at version {at}"
                    )));
                };
                match *prev {
                    None => break Arc::clone(bytes),
                    Some(prev) if prev < at => {
                        deltas.push(Arc::clone(bytes));
                        at = prev;
                    }
                    Some(prev) => {
                        return Err(damaged(format!(
                            "field `{field}`: the delta at version {at} points forward to {prev}"
                        )));
                    }
                }
            };
            deltas.reverse();
            versions.push(FieldVersion {
                field: field.to_string(),
                version: CheckpointId(version),
                depth,
            });
            loaded.push(LoadedField {
                field: field.to_string(),
                snapshot,
                deltas,
            });
        }
        out.push(LoadedCheckpoint {
            pending_writes: writes.remove(&(id.0 as i64)).unwrap_or_default(),
            meta: row.meta,
            versions,
            values: loaded,
            frontier: Arc::from(frontier),
        });
    }
    Ok(out)
}

/// The page's checkpoint rows. Without a filter the limit goes to SQLite; with one, rows are
/// filtered as they stream and the scan stops at the limit, as in `list`.
fn page(
    tx: &Connection,
    thread: &ThreadId,
    ns: &Namespace,
    thread_id: i64,
    query: &HistoryQuery,
) -> Result<Vec<PageRow>, Error> {
    let context = || format!("{}: reading its history", place(thread, ns));
    let limit = query.limit.unwrap_or(usize::MAX);
    if limit == 0 {
        return Ok(Vec::new());
    }
    let (before, sql_limit) = page_bounds(query);
    let mut stmt = tx.prepare_cached(PAGE).map_err(Error::sqlite(context()))?;
    let mut rows = stmt
        .query((thread_id, before, sql_limit))
        .map_err(Error::sqlite(context()))?;
    let mut page = Vec::new();
    while let Some(row) = rows.next().map_err(Error::sqlite(context()))? {
        let id = codec::stored_id(
            thread,
            row.get::<_, i64>(0).map_err(Error::sqlite(context()))?,
        )?;
        let damaged = |what: String| Error::Damaged {
            thread: thread.clone(),
            checkpoint: id,
            what,
        };
        let blob = |i: usize| -> Result<&[u8], Error> {
            row.get_ref(i)
                .map_err(Error::sqlite(context()))?
                .as_blob()
                .map_err(|e| damaged(e.to_string()))
        };
        let meta = codec::decode_meta(thread, ns, id, blob(1)?).map_err(damaged)?;
        if !query.matches(&meta) {
            continue;
        }
        page.push(PageRow {
            meta,
            versions: codec::decode_versions(blob(2)?).map_err(damaged)?,
            frontier: blob(3)?.to_vec(),
        });
        if page.len() == limit {
            break;
        }
    }
    Ok(page)
}
