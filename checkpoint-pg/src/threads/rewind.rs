//! `Checkpointer::rewind`: a thread's root history cut back to a checkpoint, and the subgraph
//! namespaces started after the cut deleted.
//!
//! Which namespaces started after the cut is read from `gc_checkpoints.seq`, filled from the
//! sequence `gc_checkpoint_order` when a checkpoint is inserted. A sequence hands out its
//! values in the order `nextval` is called, never twice, whichever session calls it (with the
//! default `CACHE 1`, which the migration keeps; a larger cache would give each session a block
//! of its own and break this). The value is taken at insert time, not at commit time, so two
//! transactions inserting into one thread at once could commit in the other order. They never
//! do here: a thread's changes all go through one writer queue (`writer.rs`), which applies
//! them one after another, each batch committed before the next begins, and a batch's ops in
//! queue order. So of two checkpoints of one thread, the one stored later has the larger `seq`.
//! (Two processes writing one thread at once are two runs racing, which the duplicate-id fence
//! of `put` reports; their order is then undefined anyway.) `copy_thread` copies `seq` as it is,
//! so a copy's checkpoints keep their source's order, and the copy's later ones are larger.

use deadpool_postgres::Transaction;
use graph_core::{CheckpointId, Namespace, ThreadId};

use crate::error::Error;
use crate::read::thread_row;

/// The `seq` of the first stored of the root checkpoints after the cut (`$1` the root's row,
/// `$2` the cut), or NULL when there is none.
pub(crate) const CUT: &str = "SELECT MIN(seq) FROM gc_checkpoints WHERE thread = $1 AND id > $2";

/// Deletes the other namespaces of thread `$1` (`$2` the root's row) whose first checkpoint was
/// stored after `seq` `$3`, each whole. A namespace without checkpoints has no first one, and
/// NULL compares as false, so it is kept.
pub(crate) const DROP_STARTED_AFTER: &str = "WITH t AS (
        SELECT t.id FROM gc_threads t
        WHERE t.name = $1 AND t.id <> $2
          AND (SELECT MIN(c.seq) FROM gc_checkpoints c WHERE c.thread = t.id) > $3
    ),
    w AS (DELETE FROM gc_writes WHERE thread IN (SELECT id FROM t)),
    v AS (DELETE FROM gc_values WHERE thread IN (SELECT id FROM t)),
    c AS (DELETE FROM gc_checkpoints WHERE thread IN (SELECT id FROM t))
    DELETE FROM gc_threads WHERE id IN (SELECT id FROM t)";

/// What the root keeps no more: pending writes, values and checkpoints after the cut (`$1` the
/// root's row, `$2` the cut). The last one's count is the rewind's result.
pub(crate) const CUT_ROOT: [&str; 3] = [
    "DELETE FROM gc_writes WHERE thread = $1 AND checkpoint > $2",
    "DELETE FROM gc_values WHERE thread = $1 AND version > $2",
    "DELETE FROM gc_checkpoints WHERE thread = $1 AND id > $2",
];

/// Rewinds `thread` to checkpoint `to` of its root (`None`: before its first), as the trait
/// documents; returns how many root checkpoints it deleted.
pub(crate) async fn rewind(
    tx: &Transaction<'_>,
    thread: &ThreadId,
    to: Option<CheckpointId>,
) -> Result<usize, Error> {
    let context = || match to {
        Some(to) => format!("thread `{thread}`: rewinding it to checkpoint {to}"),
        None => format!("thread `{thread}`: rewinding it to before its first checkpoint"),
    };
    // Stored ids are never negative, so -1 cuts before all of them; an id past BIGINT has no
    // stored id above it.
    let cut: i64 = match to.map(|to| i64::try_from(to.0)) {
        None => -1,
        Some(Ok(to)) => to,
        Some(Err(_)) => return Ok(0),
    };
    let Some(root) = thread_row(tx, thread, &Namespace::root())
        .await
        .map_err(Error::pg(context()))?
    else {
        return Ok(0);
    };
    let stmt = tx.prepare_cached(CUT).await.map_err(Error::pg(context()))?;
    let first_deleted: Option<i64> = tx
        .query_one(&stmt, &[&root, &cut])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(Error::pg(context()))?;
    // With nothing after `to`, no namespace was planned from a deleted checkpoint.
    if let Some(first_deleted) = first_deleted {
        let stmt = tx
            .prepare_cached(DROP_STARTED_AFTER)
            .await
            .map_err(Error::pg(context()))?;
        tx.execute(&stmt, &[&thread.as_str(), &root, &first_deleted])
            .await
            .map_err(Error::pg(context()))?;
    }
    let mut deleted = 0;
    for sql in CUT_ROOT {
        let stmt = tx.prepare_cached(sql).await.map_err(Error::pg(context()))?;
        deleted = tx
            .execute(&stmt, &[&root, &cut])
            .await
            .map_err(Error::pg(context()))?;
    }
    Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
}
