//! Each op's SQL, inside the transaction (or savepoint) of its batch.

use std::collections::HashMap;

use deadpool_postgres::{GenericClient, Transaction};
use graph_core::{Checkpoint, CheckpointId, FieldValue, Namespace, PendingWrite, ThreadId};

use super::Op;
use crate::codec::{self, sql_id};
use crate::error::Error;
use crate::fields::Fields;
use crate::read::{Place, kind_code};
use crate::threads;

/// The row of namespace `$2` of thread `$1`, made if it is new. It returns no row when another
/// transaction made it at the same moment (the insert then does nothing, and this statement's
/// snapshot predates it): [`intern_thread`] asks again.
pub(crate) const INTERN_THREAD: &str = "WITH found AS (
        SELECT id FROM gc_threads WHERE name = $1::text AND ns = $2::text
    ), made AS (
        INSERT INTO gc_threads (name, ns) SELECT $1::text, $2::text
        WHERE NOT EXISTS (SELECT 1 FROM found)
        ON CONFLICT (name, ns) DO NOTHING RETURNING id
    )
    SELECT id FROM found UNION ALL SELECT id FROM made";

/// A checkpoint (`$1` its namespace row, `$2` its id, `$3..$5` its columns), its values (`$6`
/// fields, `$7` the version each delta is onto or NULL for a snapshot, `$8` bytes) and the
/// removal of its parent's (`$9`) pending writes, in one round trip. The id's primary key is
/// the fence: a duplicate inserts nothing, so neither do the values nor the delete, and the
/// count is 0. Two processes racing to store one id take turns on the key: exactly one counts 1.
pub(crate) const PUT: &str = "WITH cp AS (
        INSERT INTO gc_checkpoints (thread, id, meta, versions, frontier)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id
    ), vals AS (
        INSERT INTO gc_values (thread, version, field, prev, value)
        SELECT $1, $2, u.field, u.prev, u.value
        FROM unnest($6::int[], $7::bigint[], $8::bytea[]) AS u(field, prev, value)
        WHERE EXISTS (SELECT 1 FROM cp)
    ), cleared AS (
        DELETE FROM gc_writes WHERE thread = $1 AND checkpoint = $9 AND EXISTS (SELECT 1 FROM cp)
    )
    SELECT count(*) FROM cp";

/// Pending writes of checkpoint `$2` of namespace row `$1` whose first write stands (outputs,
/// effects, failures): a key already stored is left as it is.
pub(crate) const WRITES_KEEP: &str =
    "INSERT INTO gc_writes (thread, checkpoint, task, kind, slot, node, value)
    SELECT $1, $2, u.task, u.kind, u.slot, u.node, u.value
    FROM unnest($3::bytea[], $4::smallint[], $5::bigint[], $6::text[], $7::bytea[])
        AS u(task, kind, slot, node, value)
    ON CONFLICT (thread, checkpoint, task, kind, slot) DO NOTHING";

/// As [`WRITES_KEEP`] for the kinds a later write replaces (errors, interrupts, answers). The
/// row keeps its `seq`, as SQLite's upsert keeps the rowid.
pub(crate) const WRITES_REPLACE: &str =
    "INSERT INTO gc_writes (thread, checkpoint, task, kind, slot, node, value)
    SELECT $1, $2, u.task, u.kind, u.slot, u.node, u.value
    FROM unnest($3::bytea[], $4::smallint[], $5::bigint[], $6::text[], $7::bytea[])
        AS u(task, kind, slot, node, value)
    ON CONFLICT (thread, checkpoint, task, kind, slot)
    DO UPDATE SET node = EXCLUDED.node, value = EXCLUDED.value";

/// Every statement the writers run, for the statements check.
pub(crate) const STATEMENTS: [&str; 4] = [INTERN_THREAD, PUT, WRITES_KEEP, WRITES_REPLACE];

/// Applies one op; for a prune or a rewind, how many checkpoints it deleted.
pub(super) async fn apply(tx: &Transaction<'_>, fields: &Fields, op: &Op) -> Result<usize, Error> {
    match op {
        Op::Put(checkpoint) => put(tx, fields, checkpoint).await.map(|()| 0),
        Op::Writes {
            thread,
            ns,
            checkpoint,
            writes,
        } => put_writes(tx, thread, ns, *checkpoint, writes)
            .await
            .map(|()| 0),
        Op::Delete(thread) => threads::delete(tx, thread).await.map(|()| 0),
        Op::Copy { from, to } => threads::copy(tx, from, to).await.map(|()| 0),
        Op::Prune { thread, keep } => threads::prune(tx, thread, *keep).await,
        Op::Rewind { thread, to } => threads::rewind(tx, thread, *to).await,
        Op::Barrier => Ok(0),
    }
}

/// The row of namespace `ns` of `thread`, made if it is new; `None` if other transactions kept
/// making and deleting it.
pub(crate) async fn intern_thread<C: GenericClient>(
    client: &C,
    thread: &ThreadId,
    ns: &Namespace,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let stmt = client.prepare_cached(INTERN_THREAD).await?;
    // A second try sees a row a concurrent transaction made and committed; should that row be
    // deleted again in between (a delete racing on another replica), the third try makes it.
    let mut tries = 0;
    loop {
        tries += 1;
        let row = client
            .query_opt(&stmt, &[&thread.as_str(), &ns.as_str()])
            .await?;
        match row {
            Some(row) => return Ok(Some(row.try_get(0)?)),
            None if tries < 3 => {}
            None => return Ok(None),
        }
    }
}

async fn put(tx: &Transaction<'_>, fields: &Fields, checkpoint: &Checkpoint) -> Result<(), Error> {
    let meta = &checkpoint.meta;
    let thread = &meta.thread;
    let id = sql_id(thread, meta.id)?;
    let context = || {
        format!(
            "{}: storing checkpoint {}",
            Place(thread, &meta.ns),
            meta.id
        )
    };
    let encode = |what: &str, e: serde_json::Error| {
        Error::Invalid(format!("{}: cannot encode its {what}: {e}", context()))
    };
    let field = |name: &str| {
        fields.id(name).ok_or_else(|| {
            Error::Invalid(format!("{}: field `{name}` was not interned", context()))
        })
    };
    let mut versions = Vec::with_capacity(checkpoint.versions.len());
    for v in &checkpoint.versions {
        versions.push((field(&v.field)?, v.version.0, v.depth));
    }
    let mut value_fields = Vec::with_capacity(checkpoint.writes.len());
    let mut value_prevs = Vec::with_capacity(checkpoint.writes.len());
    let mut value_bytes = Vec::with_capacity(checkpoint.writes.len());
    for write in &checkpoint.writes {
        let (prev, bytes) = match &write.value {
            FieldValue::Snapshot(bytes) => (None, bytes),
            FieldValue::Delta { prev, updates } => (Some(sql_id(thread, *prev)?), updates),
        };
        value_fields.push(field(&write.field)?);
        value_prevs.push(prev);
        value_bytes.push(codec::wrap(bytes));
    }
    let meta_blob = codec::encode_meta(meta).map_err(|e| encode("metadata", e))?;
    let versions_blob = codec::encode_versions(&versions).map_err(|e| encode("versions", e))?;
    let frontier = codec::wrap(&checkpoint.frontier);
    let parent = match meta.parent {
        Some(parent) => Some(sql_id(thread, parent)?),
        None => None,
    };
    let row_id = intern_thread(tx, thread, &meta.ns)
        .await
        .map_err(Error::pg(context()))?
        .ok_or_else(|| {
            Error::Transaction(format!("{}: its thread row keeps changing", context()))
        })?;
    let stmt = tx.prepare_cached(PUT).await.map_err(Error::pg(context()))?;
    let inserted: i64 = tx
        .query_one(
            &stmt,
            &[
                &row_id,
                &id,
                &meta_blob,
                &versions_blob,
                &frontier,
                &value_fields,
                &value_prevs,
                &value_bytes,
                &parent,
            ],
        )
        .await
        .and_then(|row| row.try_get(0))
        .map_err(Error::pg(context()))?;
    if inserted == 0 {
        return Err(Error::Duplicate {
            thread: thread.clone(),
            checkpoint: meta.id,
        });
    }
    Ok(())
}

/// One statement's columns of pending writes.
#[derive(Default)]
struct WriteColumns {
    tasks: Vec<Vec<u8>>,
    kinds: Vec<i16>,
    slots: Vec<i64>,
    nodes: Vec<String>,
    values: Vec<Vec<u8>>,
}

impl WriteColumns {
    fn push(&mut self, write: &PendingWrite) {
        self.tasks.push(write.task_id.0.to_be_bytes().to_vec());
        self.kinds.push(kind_code(write.kind));
        self.slots.push(i64::from(write.slot));
        self.nodes.push(write.node.as_str().to_owned());
        self.values.push(codec::wrap(&write.value));
    }
}

async fn put_writes(
    tx: &Transaction<'_>,
    thread: &ThreadId,
    ns: &Namespace,
    checkpoint: CheckpointId,
    writes: &[PendingWrite],
) -> Result<(), Error> {
    let context = || {
        format!(
            "{}: storing pending writes of checkpoint {checkpoint}",
            Place(thread, ns)
        )
    };
    let id = sql_id(thread, checkpoint)?;
    let mut keep = WriteColumns::default();
    // One upsert may not touch a row twice: of several writes of one replacing key in this
    // call, the last stands, as if they had come one after another.
    let mut replace: HashMap<(u128, i16, u32), &PendingWrite> = HashMap::new();
    for write in writes {
        if write.kind.replaces() {
            replace.insert((write.task_id.0, kind_code(write.kind), write.slot), write);
        } else {
            keep.push(write);
        }
    }
    let mut replacing = WriteColumns::default();
    for write in writes {
        let key = (write.task_id.0, kind_code(write.kind), write.slot);
        if replace.get(&key).is_some_and(|w| std::ptr::eq(*w, write)) {
            replacing.push(write);
        }
    }
    let row_id = intern_thread(tx, thread, ns)
        .await
        .map_err(Error::pg(context()))?
        .ok_or_else(|| {
            Error::Transaction(format!("{}: its thread row keeps changing", context()))
        })?;
    for (sql, columns) in [(WRITES_KEEP, &keep), (WRITES_REPLACE, &replacing)] {
        if columns.tasks.is_empty() {
            continue;
        }
        let stmt = tx.prepare_cached(sql).await.map_err(Error::pg(context()))?;
        tx.execute(
            &stmt,
            &[
                &row_id,
                &id,
                &columns.tasks,
                &columns.kinds,
                &columns.slots,
                &columns.nodes,
                &columns.values,
            ],
        )
        .await
        .map_err(Error::pg(context()))?;
    }
    Ok(())
}
