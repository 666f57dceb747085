//! [`SqliteCache`]: graph-core's node [`Cache`] in the checkpoint database, table `gc_cache`
//! (schema version 3). It shares the checkpointer's connections: a read runs on a pooled reader
//! (on the calling task when one is free), a write goes through the single writer and commits
//! with whatever else is queued.

use std::path::Path;

use async_trait::async_trait;
use graph_core::{Cache, CacheEntry, StorageError};
use rusqlite::{Connection, OptionalExtension};

use crate::codec;
use crate::error::Error;
use crate::writer::Op;
use crate::{SqliteCheckpointer, SqliteOptions};

/// Cached node results in a SQLite file (LangGraph's `SqliteCache`), kept across restarts:
/// give it to a compiled graph with [`graph_core::CompiledGraph::with_cache`]. Get one from the
/// checkpointer of the same file ([`SqliteCheckpointer::cache`]), which shares its connections,
/// or open one on its own ([`SqliteCache::open`]). Cheap to clone.
///
/// An entry is stored with its expiry by the graph's clock; expired entries are swept as new
/// ones are written.
///
/// ```
/// use std::sync::Arc;
/// use checkpoint::SqliteCheckpointer;
/// use graph_core::{CachePolicy, Ctx, RunConfig, START, State, StateGraph};
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Quote {
///     city: String,
///     price: u32,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let path = std::env::temp_dir().join(format!("sqlite-cache-doc-{}.db", std::process::id()));
/// let store = SqliteCheckpointer::open(&path)?;
/// let mut graph = StateGraph::<Quote>::new();
/// graph
///     .add_node("price", |s: Arc<Quote>, _ctx: Ctx| async move {
///         Ok(QuoteUpdate::default().price(s.city.len() as u32 * 10))
///     })
///     .cache(CachePolicy::new());
/// graph.add_edge(START, "price");
/// let graph = graph
///     .compile()?
///     .with_cache(Arc::new(store.cache()))
///     .with_checkpointer(Arc::new(store));
/// for thread in ["t1", "t2"] {
///     let out = graph.invoke(QuoteUpdate::default().city("Porto"), &RunConfig::thread(thread)).await?;
///     assert_eq!(out.state.price, 50);
/// }
/// # drop(graph);
/// # for suffix in ["", "-wal", "-shm"] { let _ = std::fs::remove_file(format!("{}{suffix}", path.display())); }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SqliteCache {
    store: SqliteCheckpointer,
}

impl SqliteCheckpointer {
    /// The node cache in this checkpointer's file, sharing its connections (see the example on
    /// [`SqliteCache`]).
    pub fn cache(&self) -> SqliteCache {
        SqliteCache {
            store: self.clone(),
        }
    }
}

impl SqliteCache {
    /// Opens (creating if needed) the database at `path` with the default [`SqliteOptions`],
    /// migrates it, and returns its node cache. Blocks while it does. To tune the connections,
    /// open a [`SqliteCheckpointer`] with [`SqliteOptions`] and call
    /// [`SqliteCheckpointer::cache`].
    ///
    /// ```no_run
    /// let cache = checkpoint::SqliteCache::open("cache.db")?;
    /// # Ok::<(), checkpoint::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(SqliteOptions::default().open(path)?.cache())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        self.store.path()
    }
}

#[async_trait]
impl Cache for SqliteCache {
    async fn get(&self, ns: &str, key: &[u8]) -> Result<Option<CacheEntry>, StorageError> {
        // As a checkpoint's `get`: on this task when a reader is free, off the runtime if not.
        if let Some(conn) = self.store.inner.readers.try_get() {
            return Ok(read(&conn, ns, key)?);
        }
        let (ns, key) = (ns.to_owned(), key.to_vec());
        let context = format!("node cache namespace `{ns}`: reading");
        Ok(self
            .store
            .read_blocking(context, move |conn, _| read(conn, &ns, &key))
            .await?)
    }

    async fn set(&self, ns: &str, key: &[u8], entry: CacheEntry) -> Result<(), StorageError> {
        let op = CacheOp::Set {
            ns: ns.to_owned(),
            key: key.to_vec(),
            entry,
        };
        self.store.inner.writer.submit(Op::Cache(op)).await?;
        Ok(())
    }

    async fn clear(&self, namespaces: Option<&[&str]>) -> Result<(), StorageError> {
        let namespaces = namespaces.map(|all| all.iter().map(|&ns| ns.to_owned()).collect());
        let op = CacheOp::Clear(namespaces);
        self.store.inner.writer.submit(Op::Cache(op)).await?;
        Ok(())
    }
}

fn read(conn: &Connection, ns: &str, key: &[u8]) -> Result<Option<CacheEntry>, Error> {
    let row = conn
        .prepare_cached(
            "SELECT value, stored_at_ms, expires_at_ms FROM gc_cache WHERE ns = ?1 AND key = ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_row((ns, key), |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .optional()
        })
        .map_err(Error::sqlite(format!(
            "node cache namespace `{ns}`: reading"
        )))?;
    let Some((value, stored_at, expires_at)) = row else {
        return Ok(None);
    };
    let damaged = |what: String| Error::DamagedCacheEntry {
        ns: ns.to_owned(),
        what,
    };
    let ms =
        |raw: i64| u64::try_from(raw).map_err(|_| damaged(format!("a negative time ({raw} ms)")));
    Ok(Some(CacheEntry {
        value: codec::unwrap(&value).map_err(damaged)?.into(),
        stored_at_ms: ms(stored_at)?,
        expires_at_ms: expires_at.map(ms).transpose()?,
    }))
}

/// A change to the node cache, applied by the writer.
pub(crate) enum CacheOp {
    Set {
        ns: String,
        key: Vec<u8>,
        entry: CacheEntry,
    },
    /// The namespaces to empty, or all of them.
    Clear(Option<Vec<String>>),
}

/// A time in milliseconds as SQLite stores it (times past the year 292 million are clamped).
pub(crate) fn sql_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

impl CacheOp {
    pub(crate) fn apply(&self, conn: &Connection) -> Result<(), Error> {
        match self {
            CacheOp::Set { ns, key, entry } => {
                let context = || format!("node cache namespace `{ns}`: storing an entry");
                // The new entry's time is the graph's now: whatever expired by then goes.
                conn.prepare_cached("DELETE FROM gc_cache WHERE expires_at_ms <= ?1")
                    .and_then(|mut s| s.execute([sql_ms(entry.stored_at_ms)]))
                    .map_err(Error::sqlite(context()))?;
                conn.prepare_cached(
                    "INSERT INTO gc_cache (ns, key, value, stored_at_ms, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT DO UPDATE SET value = excluded.value,
                        stored_at_ms = excluded.stored_at_ms,
                        expires_at_ms = excluded.expires_at_ms",
                )
                .and_then(|mut s| {
                    s.execute((
                        ns,
                        key,
                        codec::wrap(&entry.value),
                        sql_ms(entry.stored_at_ms),
                        entry.expires_at_ms.map(sql_ms),
                    ))
                })
                .map_err(Error::sqlite(context()))?;
            }
            CacheOp::Clear(None) => {
                conn.execute("DELETE FROM gc_cache", [])
                    .map_err(Error::sqlite("node cache: clearing"))?;
            }
            CacheOp::Clear(Some(namespaces)) => {
                for ns in namespaces {
                    conn.prepare_cached("DELETE FROM gc_cache WHERE ns = ?1")
                        .and_then(|mut s| s.execute([ns]))
                        .map_err(Error::sqlite(format!(
                            "node cache namespace `{ns}`: clearing"
                        )))?;
                }
            }
        }
        Ok(())
    }
}
