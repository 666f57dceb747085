//! What takes a whole thread, every namespace of it: delete, copy, retention and rewind. The
//! writers apply them in their batch's transaction; nothing here opens one.

use deadpool_postgres::Transaction;
use graph_core::{CheckpointId, ThreadId};

use crate::codec::{self, StoredVersion, sql_id};
use crate::error::Error;

mod rewind;

pub(crate) use rewind::{CUT, CUT_ROOT, DROP_STARTED_AFTER, rewind};

/// Deletes every namespace of thread `$1`: its rows in every table, its own rows included.
pub(crate) const DELETE: &str = "WITH t AS (SELECT id FROM gc_threads WHERE name = $1),
    w AS (DELETE FROM gc_writes WHERE thread IN (SELECT id FROM t)),
    v AS (DELETE FROM gc_values WHERE thread IN (SELECT id FROM t)),
    c AS (DELETE FROM gc_checkpoints WHERE thread IN (SELECT id FROM t))
    DELETE FROM gc_threads WHERE id IN (SELECT id FROM t)";

/// Whether thread `$1` has a namespace row.
pub(crate) const EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM gc_threads WHERE name = $1)";

/// Whether thread `$1` has a checkpoint in any namespace.
pub(crate) const HAS_CHECKPOINTS: &str = "SELECT EXISTS (SELECT 1 FROM gc_threads t
    JOIN gc_checkpoints c ON c.thread = t.id WHERE t.name = $1)";

/// The namespace rows of thread `$1`.
pub(crate) const NAMESPACES: &str = "SELECT id FROM gc_threads WHERE name = $1 ORDER BY id";

/// Copies every namespace of thread `$1` into thread `$2`, which has no rows: the namespace
/// rows, then checkpoints, values and pending writes. Checkpoints keep their `seq`, so the
/// copy's are stored in the source's order (which `rewind` reads), and every later checkpoint
/// of the copy gets a larger one. Writes are copied in `seq` order, so the copy lists them as
/// the source does.
pub(crate) const COPY: [&str; 4] = [
    "INSERT INTO gc_threads (name, ns) SELECT $2::text, ns FROM gc_threads
     WHERE name = $1::text ORDER BY id",
    "INSERT INTO gc_checkpoints (thread, id, seq, meta, versions, frontier)
     SELECT target.id, c.id, c.seq, c.meta, c.versions, c.frontier
     FROM gc_threads source
     JOIN gc_threads target ON target.name = $2::text AND target.ns = source.ns
     JOIN gc_checkpoints c ON c.thread = source.id
     WHERE source.name = $1::text",
    "INSERT INTO gc_values (thread, version, field, prev, value)
     SELECT target.id, v.version, v.field, v.prev, v.value
     FROM gc_threads source
     JOIN gc_threads target ON target.name = $2::text AND target.ns = source.ns
     JOIN gc_values v ON v.thread = source.id
     WHERE source.name = $1::text",
    "INSERT INTO gc_writes (thread, checkpoint, task, kind, slot, node, value)
     SELECT target.id, w.checkpoint, w.task, w.kind, w.slot, w.node, w.value
     FROM gc_threads source
     JOIN gc_threads target ON target.name = $2::text AND target.ns = source.ns
     JOIN gc_writes w ON w.thread = source.id
     WHERE source.name = $1::text
     ORDER BY w.seq",
];

/// The newest `$2` checkpoints of namespace row `$1`, with the field versions they read.
pub(crate) const NEWEST: &str =
    "SELECT id, versions FROM gc_checkpoints WHERE thread = $1 ORDER BY id DESC LIMIT $2";

/// Retention of namespace row `$1` below the oldest kept checkpoint `$2`: pending writes, then
/// checkpoints (the count is the prune's), then [`PRUNE_VALUES`].
pub(crate) const PRUNE: [&str; 2] = [
    "DELETE FROM gc_writes WHERE thread = $1 AND checkpoint < $2",
    "DELETE FROM gc_checkpoints WHERE thread = $1 AND id < $2",
];

/// The values of namespace row `$1` older than checkpoint `$4` that no kept checkpoint reads:
/// `$2`/`$3` are the (field, version) pairs the kept checkpoints name, followed down their
/// delta chains to the snapshots, which may be far older than the oldest kept checkpoint.
pub(crate) const PRUNE_VALUES: &str = concat!(
    chain!(),
    "DELETE FROM gc_values AS v WHERE v.thread = $1 AND v.version < $4
     AND NOT EXISTS (SELECT 1 FROM chain AS c WHERE c.field = v.field AND c.version = v.version)"
);

fn pg(context: &str) -> impl FnOnce(tokio_postgres::Error) -> Error + '_ {
    move |source| Error::Postgres {
        context: context.to_owned(),
        source,
    }
}

/// Deletes every namespace of `thread`.
pub(crate) async fn delete(tx: &Transaction<'_>, thread: &ThreadId) -> Result<(), Error> {
    let context = format!("thread `{thread}`: deleting it");
    let stmt = tx.prepare_cached(DELETE).await.map_err(pg(&context))?;
    tx.execute(&stmt, &[&thread.as_str()])
        .await
        .map_err(pg(&context))?;
    Ok(())
}

async fn flag(
    tx: &Transaction<'_>,
    sql: &str,
    thread: &ThreadId,
    context: &str,
) -> Result<bool, Error> {
    let stmt = tx.prepare_cached(sql).await.map_err(pg(context))?;
    tx.query_one(&stmt, &[&thread.as_str()])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(pg(context))
}

/// Copies every namespace of `from` into the empty thread `to`.
pub(crate) async fn copy(
    tx: &Transaction<'_>,
    from: &ThreadId,
    to: &ThreadId,
) -> Result<(), Error> {
    if from == to {
        return Err(Error::Invalid(format!(
            "cannot copy thread `{from}` into itself"
        )));
    }
    let context = format!("copying thread `{from}` into `{to}`");
    if !flag(tx, EXISTS, from, &context).await? {
        return Err(Error::Invalid(format!(
            "cannot copy thread `{from}`: no such thread"
        )));
    }
    if flag(tx, HAS_CHECKPOINTS, to, &context).await? {
        return Err(Error::Invalid(format!(
            "cannot copy thread `{from}` into `{to}`: `{to}` is not empty"
        )));
    }
    // Stray pending writes of a thread without checkpoints are replaced, not merged.
    delete(tx, to).await?;
    for sql in COPY {
        let stmt = tx.prepare_cached(sql).await.map_err(pg(&context))?;
        tx.execute(&stmt, &[&from.as_str(), &to.as_str()])
            .await
            .map_err(pg(&context))?;
    }
    Ok(())
}

/// Keeps the newest `keep` checkpoints (at least one) of each namespace of `thread` and every
/// value they read; returns how many checkpoints went.
pub(crate) async fn prune(
    tx: &Transaction<'_>,
    thread: &ThreadId,
    keep: usize,
) -> Result<usize, Error> {
    let context = format!("thread `{thread}`: pruning it");
    let stmt = tx.prepare_cached(NAMESPACES).await.map_err(pg(&context))?;
    let rows = tx
        .query(&stmt, &[&thread.as_str()])
        .await
        .map_err(pg(&context))?;
    let mut deleted = 0;
    for row in rows {
        let row_id: i64 = row.try_get(0).map_err(pg(&context))?;
        deleted += prune_namespace(tx, thread, row_id, keep, &context).await?;
    }
    Ok(deleted)
}

async fn prune_namespace(
    tx: &Transaction<'_>,
    thread: &ThreadId,
    row_id: i64,
    keep: usize,
    context: &str,
) -> Result<usize, Error> {
    let keep = i64::try_from(keep.max(1)).unwrap_or(i64::MAX);
    let stmt = tx.prepare_cached(NEWEST).await.map_err(pg(context))?;
    let rows = tx
        .query(&stmt, &[&row_id, &keep])
        .await
        .map_err(pg(context))?;
    if (rows.len() as i64) < keep {
        return Ok(0);
    }
    let mut oldest_kept = i64::MAX;
    let mut heads: Vec<(i32, i64)> = Vec::new();
    for row in rows {
        let id: i64 = row.try_get(0).map_err(pg(context))?;
        let at = codec::stored_id(thread, id)?;
        let versions: &[u8] = row.try_get(1).map_err(pg(context))?;
        let versions: Vec<StoredVersion> =
            codec::decode_versions(versions).map_err(|what| Error::Damaged {
                thread: thread.clone(),
                checkpoint: at,
                what,
            })?;
        for (field, version, _) in versions {
            heads.push((field, sql_id(thread, CheckpointId(version))?));
        }
        oldest_kept = oldest_kept.min(id);
    }
    heads.sort_unstable();
    heads.dedup();
    let (fields, versions): (Vec<i32>, Vec<i64>) = heads.into_iter().unzip();
    let mut deleted = 0;
    for sql in PRUNE {
        let stmt = tx.prepare_cached(sql).await.map_err(pg(context))?;
        deleted = tx
            .execute(&stmt, &[&row_id, &oldest_kept])
            .await
            .map_err(pg(context))?;
    }
    let stmt = tx.prepare_cached(PRUNE_VALUES).await.map_err(pg(context))?;
    tx.execute(&stmt, &[&row_id, &fields, &versions, &oldest_kept])
        .await
        .map_err(pg(context))?;
    Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
}
