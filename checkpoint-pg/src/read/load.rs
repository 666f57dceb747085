//! The values and pending writes of a page of checkpoint rows, in two statements whatever the
//! page's size: every value the page reads (delta chains included) by one recursive query, then
//! the page's pending writes. A value shared by several checkpoints of the page (an unchanged
//! field, a chain's common prefix) is read and held once.

use std::collections::HashMap;
use std::sync::Arc;

use deadpool_postgres::{GenericClient, Transaction};
use graph_core::{CheckpointId, FieldVersion, LoadedCheckpoint, LoadedField, PendingWrite};

use super::{PageRow, Place, decode_write};
use crate::codec;
use crate::error::Error;
use crate::fields::Fields;

/// Every value row the heads read, with its bytes.
pub(crate) const VALUES: &str = concat!(
    chain!(),
    "SELECT c.field, c.version, c.prev, v.value FROM chain AS c
     JOIN gc_values AS v ON v.thread = $1 AND v.version = c.version AND v.field = c.field"
);

/// The pending writes of the checkpoints `$2` of namespace row `$1`, in the order they were
/// first written.
pub(crate) const WRITES: &str = "SELECT checkpoint, task, kind, slot, node, value FROM gc_writes
    WHERE thread = $1 AND checkpoint = ANY($2::bigint[]) ORDER BY seq";

/// A value row by (field, version): the version it is a delta onto (`None` for a snapshot), and
/// its bytes.
type ValueRow = (Option<i64>, Arc<[u8]>);

/// The page's rows with their values and pending writes, in the page's order.
pub(super) async fn load(
    tx: &Transaction<'_>,
    fields: &Fields,
    place: Place<'_>,
    row_id: i64,
    page: Vec<PageRow>,
) -> Result<Vec<LoadedCheckpoint>, Error> {
    if page.is_empty() {
        return Ok(Vec::new());
    }
    let Place(thread, _) = place;
    let context = || format!("{place}: reading checkpoint values");
    let damaged = |checkpoint: CheckpointId, what: String| Error::Damaged {
        thread: thread.clone(),
        checkpoint,
        what,
    };

    let mut heads: Vec<(i32, i64)> = Vec::new();
    for row in &page {
        for &(field, version, _) in &row.versions {
            let version = i64::try_from(version)
                .map_err(|_| damaged(row.meta.id, format!("a field has version {version}")))?;
            heads.push((field, version));
        }
    }
    heads.sort_unstable();
    heads.dedup();
    let (head_fields, head_versions): (Vec<i32>, Vec<i64>) = heads.into_iter().unzip();
    let stmt = tx
        .prepare_cached(VALUES)
        .await
        .map_err(Error::pg(context()))?;
    let rows = tx
        .query(&stmt, &[&row_id, &head_fields, &head_versions])
        .await
        .map_err(Error::pg(context()))?;
    let mut values: HashMap<(i32, i64), ValueRow> = HashMap::with_capacity(rows.len());
    for row in rows {
        let field: i32 = row.try_get(0).map_err(Error::pg(context()))?;
        let version: i64 = row.try_get(1).map_err(Error::pg(context()))?;
        let prev: Option<i64> = row.try_get(2).map_err(Error::pg(context()))?;
        let at = CheckpointId(version.unsigned_abs());
        let bytes: &[u8] = row
            .try_get(3)
            .map_err(|e| damaged(at, format!("field number {field}: {e}")))?;
        let bytes = codec::unwrap(bytes).map_err(|e| {
            damaged(
                at,
                format!("field number {field} at version {version}: {e}"),
            )
        })?;
        values.insert((field, version), (prev, Arc::from(bytes)));
    }
    fields.load(tx, &head_fields).await?;

    let ids: Vec<i64> = page.iter().map(|row| row.meta.id.0 as i64).collect();
    let stmt = tx
        .prepare_cached(WRITES)
        .await
        .map_err(Error::pg(context()))?;
    let rows = tx
        .query(&stmt, &[&row_id, &ids])
        .await
        .map_err(Error::pg(context()))?;
    let mut writes: HashMap<i64, Vec<PendingWrite>> = HashMap::new();
    for row in rows {
        let checkpoint: i64 = row.try_get(0).map_err(Error::pg(context()))?;
        let at = codec::stored_id(thread, checkpoint)?;
        let write = decode_write(&row, 1).map_err(|what| damaged(at, what))?;
        writes.entry(checkpoint).or_default().push(write);
    }

    let mut out = Vec::with_capacity(page.len());
    for row in page {
        let id = row.meta.id;
        let damaged = |what: String| damaged(id, what);
        let mut versions = Vec::with_capacity(row.versions.len());
        let mut loaded = Vec::with_capacity(row.versions.len());
        for &(field_id, version, depth) in &row.versions {
            let field = fields.name(field_id).ok_or_else(|| {
                damaged(format!(
                    "it names field number {field_id}, which is unknown"
                ))
            })?;
            let mut at = version as i64;
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
            frontier: Arc::from(row.frontier),
        });
    }
    Ok(out)
}
