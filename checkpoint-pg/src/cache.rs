//! [`PgCache`]: graph-core's node [`Cache`] in the checkpointer's database, table `gc_cache`
//! (schema version 2), a translation of the SQLite crate's `SqliteCache`.
//!
//! As the store (`store.rs`), every call runs directly on a pooled connection: the cache's
//! contract has no ordering rule across calls, and a cache write has no reason to wait for a
//! queue of checkpoints.

use async_trait::async_trait;
use deadpool_postgres::Pool;
use graph_core::{Cache, CacheEntry, StorageError};
use tokio_postgres::types::ToSql;

use crate::error::Error;
use crate::store::sql_ms;
use crate::{PgCheckpointer, codec, schema};

/// Cached node results in PostgreSQL (LangGraph's `BaseCache`), shared by every replica and
/// kept across restarts: give it to a compiled graph with
/// [`graph_core::CompiledGraph::with_cache`]. Get one from a checkpointer
/// ([`PgCheckpointer::cache`]), which shares its pool, or open one on a pool of its own
/// ([`PgCache::open`]). Cheap to clone.
///
/// An entry is stored with its expiry by the graph's clock; each write purges a few entries
/// that expired by its own time.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use graph_core::{CompiledGraph, State};
/// # #[derive(State, Clone, Default)] struct Quote { city: String }
/// # async fn demo(graph: CompiledGraph<Quote>) -> Result<(), Box<dyn std::error::Error>> {
/// let config: tokio_postgres::Config = "postgres://app@db.internal/agent".parse()?;
/// let db = checkpoint_pg::PgCheckpointer::connect(config).await?;
/// let graph = graph.with_cache(Arc::new(db.cache())).with_checkpointer(Arc::new(db));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PgCache {
    pool: Pool,
}

impl std::fmt::Debug for PgCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgCache")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PgCheckpointer {
    /// The node cache in this checkpointer's database, sharing its pool (see the example on
    /// [`PgCache`]).
    pub fn cache(&self) -> PgCache {
        PgCache {
            pool: self.pool().clone(),
        }
    }
}

impl PgCache {
    /// Migrates the schema through `pool` (the checkpointer's tables too: they share one list
    /// of migrations) and returns a cache on it, without the checkpointer's writers.
    pub async fn open(pool: Pool) -> Result<Self, Error> {
        schema::migrate_pool(&pool, "opening the node cache").await?;
        Ok(Self { pool })
    }
}

/// The entry at (`$1`, `$2`), expired or not (the engine judges freshness).
pub(crate) const GET: &str =
    "SELECT value, stored_at_ms, expires_at_ms FROM gc_cache WHERE ns = $1 AND key = $2";

/// Purges up to `$2` entries expired by `$1`, leaving rows others are purging to them.
pub(crate) const PURGE: &str = "DELETE FROM gc_cache WHERE (ns, key) IN
     (SELECT ns, key FROM gc_cache WHERE expires_at_ms <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)";

pub(crate) const SET: &str = "INSERT INTO gc_cache (ns, key, value, stored_at_ms, expires_at_ms)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value,
        stored_at_ms = EXCLUDED.stored_at_ms,
        expires_at_ms = EXCLUDED.expires_at_ms";

pub(crate) const CLEAR_ALL: &str = "DELETE FROM gc_cache";

pub(crate) const CLEAR_SOME: &str = "DELETE FROM gc_cache WHERE ns = ANY($1)";

/// Every statement of the cache, for the statements check.
pub(crate) const STATEMENTS: [&str; 5] = [GET, PURGE, SET, CLEAR_ALL, CLEAR_SOME];

/// How many expired entries a set purges: more than the one it adds, so sets alone keep the
/// backlog shrinking.
const PURGE_PER_SET: i64 = 16;

#[async_trait]
impl Cache for PgCache {
    async fn get(&self, ns: &str, key: &[u8]) -> Result<Option<CacheEntry>, StorageError> {
        let context = || format!("node cache namespace `{ns}`: reading");
        let client = self.pool.get().await.map_err(Error::checkout(context()))?;
        let row = client
            .query_opt(GET, &[&ns, &key])
            .await
            .map_err(Error::pg(context()))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let value: Vec<u8> = row.try_get(0).map_err(Error::pg(context()))?;
        let stored_at: i64 = row.try_get(1).map_err(Error::pg(context()))?;
        let expires_at: Option<i64> = row.try_get(2).map_err(Error::pg(context()))?;
        let damaged = |what: String| Error::DamagedCacheEntry {
            ns: ns.to_owned(),
            what,
        };
        let ms = |raw: i64| {
            u64::try_from(raw).map_err(|_| damaged(format!("a negative time ({raw} ms)")))
        };
        Ok(Some(CacheEntry {
            value: codec::unwrap(&value).map_err(damaged)?.into(),
            stored_at_ms: ms(stored_at)?,
            expires_at_ms: expires_at.map(ms).transpose()?,
        }))
    }

    async fn set(&self, ns: &str, key: &[u8], entry: CacheEntry) -> Result<(), StorageError> {
        let context = || format!("node cache namespace `{ns}`: storing an entry");
        let now = sql_ms(entry.stored_at_ms);
        let value = codec::wrap(&entry.value);
        let expires = entry.expires_at_ms.map(sql_ms);
        let client = self.pool.get().await.map_err(Error::checkout(context()))?;
        // The new entry's time is the graph's now: a few entries expired by then go first.
        // Pipelined, each committing on its own.
        let purge_params: [&(dyn ToSql + Sync); 2] = [&now, &PURGE_PER_SET];
        let set_params: [&(dyn ToSql + Sync); 5] = [&ns, &key, &value, &now, &expires];
        let purge = client.execute(PURGE, &purge_params);
        let set = client.execute(SET, &set_params);
        futures_util::future::try_join(purge, set)
            .await
            .map_err(Error::pg(context()))?;
        Ok(())
    }

    async fn clear(&self, namespaces: Option<&[&str]>) -> Result<(), StorageError> {
        let context = "node cache: clearing";
        let client = self.pool.get().await.map_err(Error::checkout(context))?;
        match namespaces {
            None => client.execute(CLEAR_ALL, &[]).await,
            Some(namespaces) => client.execute(CLEAR_SOME, &[&namespaces]).await,
        }
        .map_err(Error::pg(context))?;
        Ok(())
    }
}
