//! `Checkpointer::rewind`: a thread's root history cut back to a checkpoint, and the subgraph
//! namespaces started after the cut deleted.
//!
//! Which namespaces started after the cut is read from rowids. `gc_checkpoints` is a rowid
//! table (no `INTEGER PRIMARY KEY`, no `AUTOINCREMENT`), and SQLite gives a new row the largest
//! rowid in the table plus one. A rowid freed by a delete may be given again, but only to a row
//! stored after every row that still exists, so of two rows that both exist, the one stored
//! later has the larger rowid. (That holds until a rowid reaches 2^63 - 1, when SQLite would
//! pick free ones at random: a billion checkpoints a second for 290 years.) `VACUUM` keeps them
//! (it copies a table that has an index rowid for rowid), and `copy_thread` copies a thread's
//! checkpoints in rowid order, so the copy's are in the source's order.

use graph_core::{CheckpointId, Namespace, ThreadId};
use rusqlite::Connection;

use super::delete_namespace;
use crate::error::Error;
use crate::read::thread_row;

/// The rowid of the first stored of the root checkpoints after the cut (`?1` the root's row,
/// `?2` the cut), or NULL when there is none. It reads the primary key's index alone.
pub(super) const CUT: &str = "SELECT MIN(rowid) FROM gc_checkpoints WHERE thread = ?1 AND id > ?2";

/// The other namespaces of thread `?1` (`?2` the root's row) whose first checkpoint was stored
/// after rowid `?3`. A namespace without checkpoints has no first one, and NULL compares as
/// false, so it is kept. Each namespace's first rowid is read from the primary key's index
/// (every entry of the namespace: rowids are not in key order), never from the table.
pub(super) const STARTED_AFTER: &str = "SELECT t.id FROM gc_threads t
     WHERE t.name = ?1 AND t.id <> ?2
       AND (SELECT MIN(c.rowid) FROM gc_checkpoints c WHERE c.thread = t.id) > ?3";

/// What the root keeps no more: pending writes, values and checkpoints after the cut (`?1` the
/// root's row, `?2` the cut), each a range of its table's primary key. The last one's count is
/// the rewind's result.
pub(super) const CUT_ROOT: [&str; 3] = [
    "DELETE FROM gc_writes WHERE thread = ?1 AND checkpoint > ?2",
    "DELETE FROM gc_values WHERE thread = ?1 AND version > ?2",
    "DELETE FROM gc_checkpoints WHERE thread = ?1 AND id > ?2",
];

/// Rewinds `thread` to checkpoint `to` of its root (`None`: before its first), as the trait
/// documents; returns how many root checkpoints it deleted.
pub(crate) fn rewind(
    conn: &Connection,
    thread: &ThreadId,
    to: Option<CheckpointId>,
) -> Result<usize, Error> {
    let context = || match to {
        Some(to) => format!("thread `{thread}`: rewinding it to checkpoint {to}"),
        None => format!("thread `{thread}`: rewinding it to before its first checkpoint"),
    };
    // Stored ids are never negative, so -1 cuts before all of them; an id past SQLite's
    // integers has no stored id above it.
    let cut = match to.map(|to| i64::try_from(to.0)) {
        None => -1,
        Some(Ok(to)) => to,
        Some(Err(_)) => return Ok(0),
    };
    let Some(root) =
        thread_row(conn, thread, &Namespace::root()).map_err(Error::sqlite(context()))?
    else {
        return Ok(0);
    };
    let first_deleted: Option<i64> = conn
        .prepare_cached(CUT)
        .and_then(|mut s| s.query_row((root, cut), |r| r.get(0)))
        .map_err(Error::sqlite(context()))?;
    // With nothing after `to`, no namespace was planned from a deleted checkpoint.
    if let Some(first_deleted) = first_deleted {
        let doomed: Vec<i64> = conn
            .prepare_cached(STARTED_AFTER)
            .and_then(|mut s| {
                s.query_map((thread.as_str(), root, first_deleted), |r| r.get(0))?
                    .collect()
            })
            .map_err(Error::sqlite(context()))?;
        for namespace in doomed {
            delete_namespace(conn, namespace).map_err(Error::sqlite(context()))?;
        }
    }
    cut_root(conn, root, cut).map_err(Error::sqlite(context()))
}

/// Deletes the root's rows after `cut`; returns how many checkpoints went.
fn cut_root(conn: &Connection, root: i64, cut: i64) -> rusqlite::Result<usize> {
    let mut deleted = 0;
    for sql in CUT_ROOT {
        deleted = conn.prepare_cached(sql)?.execute((root, cut))?;
    }
    Ok(deleted)
}
