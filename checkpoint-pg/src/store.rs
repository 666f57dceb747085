//! [`PgStore`]: graph-core's long-term [`Store`] in the checkpointer's database, table
//! `gc_store` (schema version 2), a translation of the SQLite crate's `SqliteStore`.
//!
//! Every call runs directly on a pooled connection, not through the writer queues. The queues
//! exist for the checkpointer's ordering rule (a thread's changes take effect in call order);
//! the store's contract has none beyond each call's own atomicity and "a put that returned `Ok`
//! is visible to every later call", which an autocommitted statement gives. Queued behind
//! checkpoint batches, a store write would wait for them and, should one fail, be replayed in a
//! savepoint for nothing. So a `put` is two statements pipelined on one connection, each
//! committing on its own: a bounded purge of expired rows, then the upsert; should the upsert
//! fail, the purge only removed rows nobody could see.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::Pool;
use graph_core::store::{
    decode_namespace, encode_namespace, expires_at, prefix_end, validate_namespace,
    validate_prefix, validate_value,
};
use graph_core::{Item, NamespaceQuery, SearchQuery, StorageError, Store};
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::error::Error;
use crate::{PgCheckpointer, schema};

/// Long-term memory in PostgreSQL (LangGraph's `PostgresStore` without semantic search): give
/// it to a compiled graph with [`graph_core::CompiledGraph::with_store`], and its nodes read and
/// write it through [`graph_core::Ctx::store`], on every thread and every replica. Get one from
/// a checkpointer ([`PgCheckpointer::store`]), which shares its pool, or open one on a pool of
/// its own ([`PgStore::open`]). Cheap to clone.
///
/// Expired items are invisible at once; each put purges a few expired rows, and
/// [`Store::sweep`] purges them all. Time comes from the system clock unless
/// [`PgStore::with_clock`] injects one; with several replicas, their clocks should agree (NTP),
/// since each judges expiry by its own.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use graph_core::{CompiledGraph, State};
/// # #[derive(State, Clone, Default)] struct Chat { question: String }
/// # async fn demo(graph: CompiledGraph<Chat>) -> Result<(), Box<dyn std::error::Error>> {
/// let config: tokio_postgres::Config = "postgres://app@db.internal/agent".parse()?;
/// let db = checkpoint_pg::PgCheckpointer::connect(config).await?;
/// let graph = graph.with_store(Arc::new(db.store())).with_checkpointer(Arc::new(db));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    clock: Arc<dyn Fn() -> u64 + Send + Sync>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl PgCheckpointer {
    /// The long-term store in this checkpointer's database, sharing its pool (see the example
    /// on [`PgStore`]).
    pub fn store(&self) -> PgStore {
        PgStore {
            pool: self.pool().clone(),
            clock: Arc::new(graph_core::system_clock),
        }
    }
}

impl PgStore {
    /// Migrates the schema through `pool` (the checkpointer's tables too: they share one list
    /// of migrations) and returns a store on it, without the checkpointer's writers.
    pub async fn open(pool: Pool) -> Result<Self, Error> {
        schema::migrate_pool(&pool, "opening the store").await?;
        Ok(Self {
            pool,
            clock: Arc::new(graph_core::system_clock),
        })
    }

    /// The same store, reading the time (milliseconds since the Unix epoch) from `clock`, e.g.
    /// to test expiry without waiting.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

/// A time in milliseconds as a BIGINT (times past the year 292 million are clamped).
pub(crate) fn sql_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// The live item at (`$1`, `$2`) at time `$3`: a primary-key lookup.
pub(crate) const GET: &str = "SELECT ns, key, value, created_at_ms, updated_at_ms, expires_at_ms
     FROM gc_store
     WHERE ns = $1 AND key = $2 AND (expires_at_ms IS NULL OR expires_at_ms > $3)";

/// Items under an encoded prefix, live at `$3`, in store order: a range of the primary key from
/// `$1` up to (not including) `$2`.
pub(crate) const SEARCH_RANGE: &str = "SELECT ns, key, value, created_at_ms, updated_at_ms, \
     expires_at_ms FROM gc_store
     WHERE ns >= $1 AND ns < $2 AND (expires_at_ms IS NULL OR expires_at_ms > $3)
     ORDER BY ns, key";

/// [`SEARCH_RANGE`] for the empty prefix, whose range has no end (the whole table).
pub(crate) const SEARCH_ALL: &str = "SELECT ns, key, value, created_at_ms, updated_at_ms, \
     expires_at_ms FROM gc_store WHERE expires_at_ms IS NULL OR expires_at_ms > $1 \
     ORDER BY ns, key";

/// The encoded namespaces of live items under a prefix, in store order, one row per namespace.
pub(crate) const NAMESPACES_RANGE: &str = "SELECT DISTINCT ns FROM gc_store
     WHERE ns >= $1 AND ns < $2 AND (expires_at_ms IS NULL OR expires_at_ms > $3) ORDER BY ns";

/// [`NAMESPACES_RANGE`] for the empty prefix.
pub(crate) const NAMESPACES_ALL: &str = "SELECT DISTINCT ns FROM gc_store
     WHERE expires_at_ms IS NULL OR expires_at_ms > $1 ORDER BY ns";

/// Purges up to `$2` rows expired by `$1`. `SKIP LOCKED`: rows another replica's put or sweep
/// is purging (or a put is overwriting) are left to it rather than waited for.
pub(crate) const PURGE: &str = "DELETE FROM gc_store WHERE (ns, key) IN
     (SELECT ns, key FROM gc_store WHERE expires_at_ms <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)";

/// The upsert of a put at time `$4`. An overwrite keeps `created_at_ms` unless the old row had
/// expired (it was gone, merely not purged yet).
pub(crate) const PUT: &str = "INSERT INTO gc_store
        (ns, key, value, created_at_ms, updated_at_ms, expires_at_ms)
     VALUES ($1, $2, $3, $4, $4, $5)
     ON CONFLICT (ns, key) DO UPDATE SET
        value = EXCLUDED.value,
        created_at_ms = CASE WHEN gc_store.expires_at_ms <= EXCLUDED.updated_at_ms
            THEN EXCLUDED.created_at_ms ELSE gc_store.created_at_ms END,
        updated_at_ms = EXCLUDED.updated_at_ms,
        expires_at_ms = EXCLUDED.expires_at_ms";

pub(crate) const DELETE: &str = "DELETE FROM gc_store WHERE ns = $1 AND key = $2";

pub(crate) const SWEEP: &str = "DELETE FROM gc_store WHERE expires_at_ms <= $1";

/// Every statement of the store, for the statements check.
pub(crate) const STATEMENTS: [&str; 9] = [
    GET,
    SEARCH_RANGE,
    SEARCH_ALL,
    NAMESPACES_RANGE,
    NAMESPACES_ALL,
    PURGE,
    PUT,
    DELETE,
    SWEEP,
];

/// How many expired rows a put purges: more than the one row a put adds, so puts alone keep
/// the expired backlog shrinking, and few enough to cost a put nothing noticeable.
const PURGE_PER_PUT: i64 = 16;

/// The most rows a search fetches at a time while its filter skips rows.
const SEARCH_CHUNK: usize = 256;

#[async_trait]
impl Store for PgStore {
    async fn put(
        &self,
        namespace: &[&str],
        key: &str,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<(), StorageError> {
        validate_namespace(namespace)?;
        validate_value(namespace, key, &value)?;
        let now_ms = (self.clock)();
        let (ns, value) = (encode_namespace(namespace), value.to_string());
        let (now, expires) = (sql_ms(now_ms), expires_at(now_ms, ttl).map(sql_ms));
        let context = || format!("store item `{key}` in {namespace:?}: storing it");
        let client = self.pool.get().await.map_err(Error::checkout(context()))?;
        // Pipelined: both go out at once, and run (and commit) one after the other.
        let purge_params: [&(dyn ToSql + Sync); 2] = [&now, &PURGE_PER_PUT];
        let put_params: [&(dyn ToSql + Sync); 5] = [&ns, &key, &value, &now, &expires];
        let purge = client.execute(PURGE, &purge_params);
        let put = client.execute(PUT, &put_params);
        futures_util::future::try_join(purge, put)
            .await
            .map_err(Error::pg(context()))?;
        Ok(())
    }

    async fn get(&self, namespace: &[&str], key: &str) -> Result<Option<Item>, StorageError> {
        validate_namespace(namespace)?;
        let now = sql_ms((self.clock)());
        let ns = encode_namespace(namespace);
        let context = || format!("store item `{key}` in {namespace:?}: reading");
        let client = self.pool.get().await.map_err(Error::checkout(context()))?;
        let row = client
            .query_opt(GET, &[&ns, &key, &now])
            .await
            .map_err(Error::pg(context()))?;
        Ok(row.as_ref().map(decode).transpose()?)
    }

    async fn delete(&self, namespace: &[&str], key: &str) -> Result<(), StorageError> {
        validate_namespace(namespace)?;
        let ns = encode_namespace(namespace);
        let context = || format!("store item `{key}` in {namespace:?}: deleting it");
        let client = self.pool.get().await.map_err(Error::checkout(context()))?;
        client
            .execute(DELETE, &[&ns, &key])
            .await
            .map_err(Error::pg(context()))?;
        Ok(())
    }

    async fn search(
        &self,
        prefix: &[&str],
        query: &SearchQuery,
    ) -> Result<Vec<Item>, StorageError> {
        validate_prefix(prefix)?;
        let now = sql_ms((self.clock)());
        Ok(search(&self.pool, prefix, query, now).await?)
    }

    async fn list_namespaces(
        &self,
        query: &NamespaceQuery,
    ) -> Result<Vec<Vec<String>>, StorageError> {
        query.validate()?;
        let now = sql_ms((self.clock)());
        let context = || format!("store list_namespaces under {:?}", query.prefix);
        let ns = encode_namespace(&query.prefix);
        let client = self.pool.get().await.map_err(Error::checkout(context()))?;
        let rows = match prefix_end(&ns) {
            Some(end) => client.query(NAMESPACES_RANGE, &[&ns, &end, &now]).await,
            None => client.query(NAMESPACES_ALL, &[&now]).await,
        }
        .map_err(Error::pg(context()))?;
        let paths: Vec<String> = rows
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<_, _>>()
            .map_err(Error::pg(context()))?;
        // graph-core cuts, de-duplicates and pages, so both stores answer alike.
        Ok(query.collect(paths.iter().map(String::as_str)))
    }

    async fn sweep(&self) -> Result<usize, StorageError> {
        let now = sql_ms((self.clock)());
        let context = "store: sweeping expired items";
        let client = self.pool.get().await.map_err(Error::checkout(context))?;
        let purged = client
            .execute(SWEEP, &[&now])
            .await
            .map_err(Error::pg(context))?;
        Ok(usize::try_from(purged).unwrap_or(usize::MAX))
    }
}

/// The items of a search: the prefix's range of the primary key, filtered and paged here.
///
/// The filter runs in Rust on the decoded value, not in SQL with JSONB operators: it compares
/// whole JSON values exactly as graph-core's `SearchQuery::matches` does (`1` apart from `1.0`,
/// which `jsonb` equality treats as equal), so this store, the SQLite one and the in-memory one
/// answer alike. The index still bounds the work: rows are read through a portal in chunks
/// (the first one just large enough for an unfiltered page), and reading stops once the page is
/// full.
async fn search(
    pool: &Pool,
    prefix: &[&str],
    query: &SearchQuery,
    now: i64,
) -> Result<Vec<Item>, Error> {
    let context = || format!("store search under {prefix:?}");
    let mut out = Vec::new();
    if query.limit == 0 {
        return Ok(out);
    }
    let ns = encode_namespace(prefix);
    let end = prefix_end(&ns);
    let mut client = pool.get().await.map_err(Error::checkout(context()))?;
    // A portal lives in a transaction.
    let tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .await
        .map_err(Error::pg(context()))?;
    let portal = match &end {
        Some(end) => tx.bind(SEARCH_RANGE, &[&ns, end, &now]).await,
        None => tx.bind(SEARCH_ALL, &[&now]).await,
    }
    .map_err(Error::pg(context()))?;
    let chunk = query
        .offset
        .saturating_add(query.limit)
        .clamp(1, SEARCH_CHUNK);
    let mut skipped = 0;
    loop {
        let rows = tx
            .query_portal(&portal, chunk as i32)
            .await
            .map_err(Error::pg(context()))?;
        let last = rows.len() < chunk;
        for row in &rows {
            let item = decode(row)?;
            if !query.matches(&item.value) {
                continue;
            }
            if skipped < query.offset {
                skipped += 1;
                continue;
            }
            out.push(item);
            if out.len() == query.limit {
                return Ok(out);
            }
        }
        if last {
            return Ok(out);
        }
    }
}

/// An item from its row (`ns, key, value, created_at_ms, updated_at_ms, expires_at_ms`).
fn decode(row: &Row) -> Result<Item, Error> {
    let context = "store: reading an item's row";
    let ns: String = row.try_get(0).map_err(Error::pg(context))?;
    let key: String = row.try_get(1).map_err(Error::pg(context))?;
    let text: String = row.try_get(2).map_err(Error::pg(context))?;
    let created: i64 = row.try_get(3).map_err(Error::pg(context))?;
    let updated: i64 = row.try_get(4).map_err(Error::pg(context))?;
    let expires: Option<i64> = row.try_get(5).map_err(Error::pg(context))?;
    let namespace = decode_namespace(&ns);
    let damaged = |what: String| Error::DamagedItem {
        namespace: namespace.clone(),
        key: key.clone(),
        what,
    };
    let ms =
        |raw: i64| u64::try_from(raw).map_err(|_| damaged(format!("a negative time ({raw} ms)")));
    let value: Value =
        serde_json::from_str(&text).map_err(|e| damaged(format!("the value is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(damaged("the value is not a JSON object".into()));
    }
    Ok(Item {
        created_at_ms: ms(created)?,
        updated_at_ms: ms(updated)?,
        expires_at_ms: expires.map(ms).transpose()?,
        value,
        key,
        namespace,
    })
}
