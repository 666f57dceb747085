//! Reads, on pooled connections, outside the writers' queues. Each read runs in one
//! `REPEATABLE READ READ ONLY` transaction, so its statements see one committed state even while
//! writers commit (a child's `put` dropping the parent's pending writes, a `prune`), and it
//! never blocks a writer.
//!
//! A `get` and a page of `history` cost the same three statements whatever their size: the
//! checkpoint rows, every value they read (delta chains included) in one recursive query, and
//! their pending writes (`read/load.rs`).

use std::pin::pin;
use std::sync::Arc;

use deadpool_postgres::{GenericClient, Pool, Transaction};
use futures_util::TryStreamExt;
use graph_core::{
    CheckpointId, CheckpointMeta, HistoryQuery, LoadedCheckpoint, Namespace, PendingWrite, TaskId,
    ThreadId, WriteKind,
};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::codec::{self, StoredVersion};
use crate::error::Error;
use crate::fields::Fields;

mod load;

pub(crate) use load::{VALUES, WRITES};

/// The row of namespace `$2` of thread `$1`.
pub(crate) const THREAD_ROW: &str = "SELECT id FROM gc_threads WHERE name = $1 AND ns = $2";
/// Checkpoint `$2` of the namespace row `$1`.
pub(crate) const BY_ID: &str =
    "SELECT id, meta, versions, frontier FROM gc_checkpoints WHERE thread = $1 AND id = $2";
/// The latest checkpoint of the namespace row `$1`.
pub(crate) const LATEST: &str = "SELECT id, meta, versions, frontier FROM gc_checkpoints
    WHERE thread = $1 ORDER BY id DESC LIMIT 1";
/// A page of history: below id `$2`, newest first, at most `$3` rows (NULL: all).
pub(crate) const PAGE: &str = "SELECT id, meta, versions, frontier FROM gc_checkpoints
    WHERE thread = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
/// A page of `list`: as [`PAGE`] without the values' columns.
pub(crate) const LIST: &str = "SELECT id, meta FROM gc_checkpoints
    WHERE thread = $1 AND id < $2 ORDER BY id DESC LIMIT $3";

/// The stored number of a write kind. Part of the format: never renumber.
pub(crate) fn kind_code(kind: WriteKind) -> i16 {
    match kind {
        WriteKind::Output => 0,
        WriteKind::Error => 1,
        WriteKind::Interrupt => 2,
        WriteKind::Resume => 3,
        WriteKind::Effect => 4,
        WriteKind::Failure => 5,
    }
}

fn kind_from_code(code: i16) -> Option<WriteKind> {
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

/// A thread's namespace, displayed as errors name it: the thread alone for its root.
pub(crate) struct Place<'a>(pub(crate) &'a ThreadId, pub(crate) &'a Namespace);

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

/// The number of namespace `ns` of `thread`, if it has ever been written.
pub(crate) async fn thread_row<C: GenericClient>(
    client: &C,
    thread: &ThreadId,
    ns: &Namespace,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let stmt = client.prepare_cached(THREAD_ROW).await?;
    let row = client
        .query_opt(&stmt, &[&thread.as_str(), &ns.as_str()])
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

/// A checkpoint row, decoded but for its values.
pub(crate) struct PageRow {
    pub(crate) meta: CheckpointMeta,
    pub(crate) versions: Vec<StoredVersion>,
    pub(crate) frontier: Vec<u8>,
}

fn damaged(thread: &ThreadId, checkpoint: CheckpointId) -> impl Fn(String) -> Error + '_ {
    move |what| Error::Damaged {
        thread: thread.clone(),
        checkpoint,
        what,
    }
}

/// The id and metadata of a row of [`PAGE`], [`BY_ID`], [`LATEST`] or [`LIST`].
fn decode_meta(row: &Row, thread: &ThreadId, ns: &Namespace) -> Result<CheckpointMeta, Error> {
    let raw: i64 = row.try_get(0).map_err(Error::pg(format!(
        "{}: reading a checkpoint",
        Place(thread, ns)
    )))?;
    let id = codec::stored_id(thread, raw)?;
    let blob: &[u8] = row
        .try_get(1)
        .map_err(|e| damaged(thread, id)(e.to_string()))?;
    codec::decode_meta(thread, ns, id, blob).map_err(damaged(thread, id))
}

/// The rest of a row of [`PAGE`], [`BY_ID`] or [`LATEST`].
fn decode_row(row: &Row, meta: CheckpointMeta) -> Result<PageRow, Error> {
    let thread = meta.thread.clone();
    let damaged = damaged(&thread, meta.id);
    let versions: &[u8] = row.try_get(2).map_err(|e| damaged(e.to_string()))?;
    let frontier: &[u8] = row.try_get(3).map_err(|e| damaged(e.to_string()))?;
    let versions = codec::decode_versions(versions).map_err(&damaged)?;
    let frontier = codec::unwrap(frontier)
        .map_err(|e| damaged(format!("frontier: {e}")))?
        .to_vec();
    Ok(PageRow {
        meta,
        versions,
        frontier,
    })
}

/// A pending write from the columns `task, kind, slot, node, value` of `row`, from column
/// `first` on.
pub(crate) fn decode_write(row: &Row, first: usize) -> Result<PendingWrite, String> {
    let task: &[u8] = row.try_get(first).map_err(|e| e.to_string())?;
    let task: [u8; 16] = task
        .try_into()
        .map_err(|_| "a pending write's task id is not 16 bytes".to_owned())?;
    let code: i16 = row.try_get(first + 1).map_err(|e| e.to_string())?;
    let kind =
        kind_from_code(code).ok_or_else(|| format!("a pending write has unknown kind {code}"))?;
    let slot: i64 = row.try_get(first + 2).map_err(|e| e.to_string())?;
    let slot = u32::try_from(slot).map_err(|_| format!("a pending write has slot {slot}"))?;
    let node: &str = row.try_get(first + 3).map_err(|e| e.to_string())?;
    let value: &[u8] = row.try_get(first + 4).map_err(|e| e.to_string())?;
    let value = codec::unwrap(value).map_err(|e| format!("a pending write: {e}"))?;
    Ok(PendingWrite {
        task_id: TaskId(u128::from_be_bytes(task)),
        node: node.into(),
        kind,
        slot,
        value: Arc::from(value),
    })
}

/// A read-only snapshot transaction on a pooled connection, handed to `read`.
async fn snapshot<'c>(
    client: &'c mut deadpool_postgres::Object,
    context: String,
) -> Result<Transaction<'c>, Error> {
    client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(Error::pg(context))
}

/// Reads checkpoint `id` of namespace `ns` of `thread` (its latest when `None`) with values and
/// pending writes.
pub(crate) async fn get(
    pool: &Pool,
    fields: &Fields,
    thread: &ThreadId,
    ns: &Namespace,
    id: Option<CheckpointId>,
) -> Result<Option<LoadedCheckpoint>, Error> {
    let context = || match id {
        Some(id) => format!("{}: reading checkpoint {id}", Place(thread, ns)),
        None => format!("{}: reading its latest checkpoint", Place(thread, ns)),
    };
    let wanted = match id.map(|id| i64::try_from(id.0)) {
        Some(Err(_)) => return Ok(None),
        Some(Ok(id)) => Some(id),
        None => None,
    };
    let mut client = pool.get().await.map_err(Error::checkout(context()))?;
    let tx = snapshot(&mut client, context()).await?;
    let Some(row_id) = thread_row(&tx, thread, ns)
        .await
        .map_err(Error::pg(context()))?
    else {
        return Ok(None);
    };
    let row = match wanted {
        Some(id) => {
            let stmt = tx.prepare_cached(BY_ID).await;
            let stmt = stmt.map_err(Error::pg(context()))?;
            tx.query_opt(&stmt, &[&row_id, &id]).await
        }
        None => {
            let stmt = tx.prepare_cached(LATEST).await;
            let stmt = stmt.map_err(Error::pg(context()))?;
            tx.query_opt(&stmt, &[&row_id]).await
        }
    }
    .map_err(Error::pg(context()))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let page = vec![decode_row(&row, decode_meta(&row, thread, ns)?)?];
    let loaded = load::load(&tx, fields, Place(thread, ns), row_id, page).await?;
    tx.commit().await.map_err(Error::pg(context()))?;
    Ok(loaded.into_iter().next())
}

/// A history query's bounds as SQL parameters: the id every listed checkpoint is below, and the
/// row limit. Without a filter the limit goes to Postgres; with one, rows are filtered as they
/// stream and the scan stops at the limit, so Postgres gets none (NULL).
fn page_bounds(query: &HistoryQuery) -> (i64, Option<i64>) {
    let before = query
        .before
        .map_or(i64::MAX, |b| i64::try_from(b.0).unwrap_or(i64::MAX));
    let limit = match query.limit {
        Some(limit) if query.filter.is_empty() => i64::try_from(limit).ok(),
        _ => None,
    };
    (before, limit)
}

/// Streams the rows of `sql` (one of [`PAGE`], [`LIST`]) for `query`, keeping those whose
/// metadata matches, up to the query's limit; `keep` finishes each kept row.
async fn scan<T>(
    tx: &Transaction<'_>,
    sql: &str,
    thread: &ThreadId,
    ns: &Namespace,
    row_id: i64,
    query: &HistoryQuery,
    keep: impl Fn(&Row, CheckpointMeta) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let context = || format!("{}: listing its checkpoints", Place(thread, ns));
    let limit = query.limit.unwrap_or(usize::MAX);
    if limit == 0 {
        return Ok(Vec::new());
    }
    let (before, sql_limit) = page_bounds(query);
    let stmt = tx.prepare_cached(sql).await.map_err(Error::pg(context()))?;
    let params: [&(dyn ToSql + Sync); 3] = [&row_id, &before, &sql_limit];
    let rows = tx
        .query_raw(&stmt, params)
        .await
        .map_err(Error::pg(context()))?;
    let mut rows = pin!(rows);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await.map_err(Error::pg(context()))? {
        let meta = decode_meta(&row, thread, ns)?;
        if query.matches(&meta) {
            out.push(keep(&row, meta)?);
            if out.len() == limit {
                break;
            }
        }
    }
    Ok(out)
}

/// Lists the checkpoints of a thread's namespace newest first, decoding only metadata.
pub(crate) async fn list(
    pool: &Pool,
    thread: &ThreadId,
    ns: &Namespace,
    query: &HistoryQuery,
) -> Result<Vec<CheckpointMeta>, Error> {
    let context = || format!("{}: listing its checkpoints", Place(thread, ns));
    let mut client = pool.get().await.map_err(Error::checkout(context()))?;
    let tx = snapshot(&mut client, context()).await?;
    let Some(row_id) = thread_row(&tx, thread, ns)
        .await
        .map_err(Error::pg(context()))?
    else {
        return Ok(Vec::new());
    };
    let out = scan(&tx, LIST, thread, ns, row_id, query, |_, meta| Ok(meta)).await?;
    tx.commit().await.map_err(Error::pg(context()))?;
    Ok(out)
}

/// Reads the checkpoints `list` would return for `query`, each as `get` reads it, in one
/// snapshot and three statements.
pub(crate) async fn history(
    pool: &Pool,
    fields: &Fields,
    thread: &ThreadId,
    ns: &Namespace,
    query: &HistoryQuery,
) -> Result<Vec<LoadedCheckpoint>, Error> {
    let context = || format!("{}: reading its history", Place(thread, ns));
    let mut client = pool.get().await.map_err(Error::checkout(context()))?;
    let tx = snapshot(&mut client, context()).await?;
    let Some(row_id) = thread_row(&tx, thread, ns)
        .await
        .map_err(Error::pg(context()))?
    else {
        return Ok(Vec::new());
    };
    let page = scan(&tx, PAGE, thread, ns, row_id, query, decode_row).await?;
    let out = load::load(&tx, fields, Place(thread, ns), row_id, page).await?;
    tx.commit().await.map_err(Error::pg(context()))?;
    Ok(out)
}
