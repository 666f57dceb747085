//! [`SqliteStore`]: graph-core's long-term [`Store`] in the checkpoint database, table
//! `gc_store` (schema version 4). It shares the checkpointer's connections: a `get` runs on a
//! pooled reader (on the calling task when one is free), searches and listings on tokio's
//! blocking pool, and every write goes through the single writer thread ([`Op::Store`]) and
//! commits with whatever else is queued, so store writes and checkpoints never fight for the
//! file's lock.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use graph_core::store::{
    decode_namespace, encode_namespace, expires_at, prefix_end, validate_namespace,
    validate_prefix, validate_value,
};
use graph_core::{Item, NamespaceQuery, SearchQuery, StorageError, Store};
use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::Value;

use crate::cache::sql_ms;
use crate::error::Error;
use crate::writer::Op;
use crate::{SqliteCheckpointer, SqliteOptions};

#[cfg(test)]
mod tests;

/// Long-term memory in a SQLite file (LangGraph's `SqliteStore` without semantic search): give
/// it to a compiled graph with [`graph_core::CompiledGraph::with_store`], and its nodes read and
/// write it through [`graph_core::Ctx::store`] on every thread. Get one from the checkpointer of
/// the same file ([`SqliteCheckpointer::store`]), which shares its connections and its writer,
/// or open one on its own ([`SqliteStore::open`]). Cheap to clone.
///
/// Expired items are invisible at once; each put purges a few expired rows, and
/// [`Store::sweep`] purges them all. Time comes from the system clock unless
/// [`SqliteStore::with_clock`] injects one.
///
/// ```
/// use std::sync::Arc;
/// use checkpoint::SqliteCheckpointer;
/// use graph_core::{Ctx, RunConfig, START, State, StateGraph};
/// use serde_json::json;
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Chat {
///     guest: String,
///     visits: u64,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let path = std::env::temp_dir().join(format!("sqlite-store-doc-{}.db", std::process::id()));
/// let db = SqliteCheckpointer::open(&path)?;
/// let mut graph = StateGraph::<Chat>::new();
/// graph.add_node("count", |s: Arc<Chat>, ctx: Ctx| async move {
///     let store = ctx.store().expect("the graph has a store");
///     let ns = ["guests", s.guest.as_str()];
///     let seen = store.get(&ns, "visits").await?;
///     let visits = seen.and_then(|item| item.value["n"].as_u64()).unwrap_or(0) + 1;
///     store.put(&ns, "visits", json!({"n": visits}), None).await?;
///     Ok(ChatUpdate::default().visits(visits))
/// });
/// graph.add_edge(START, "count");
/// let graph = graph
///     .compile()?
///     .with_store(Arc::new(db.store()))
///     .with_checkpointer(Arc::new(db));
/// for (thread, expected) in [("t1", 1), ("t2", 2)] {
///     let out = graph.invoke(ChatUpdate::default().guest("ana"), &RunConfig::thread(thread)).await?;
///     assert_eq!(out.state.visits, expected);
/// }
/// # drop(graph);
/// # for suffix in ["", "-wal", "-shm"] { let _ = std::fs::remove_file(format!("{}{suffix}", path.display())); }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    db: SqliteCheckpointer,
    clock: Arc<dyn Fn() -> u64 + Send + Sync>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.db.path())
            .finish_non_exhaustive()
    }
}

impl SqliteCheckpointer {
    /// The long-term store in this checkpointer's file, sharing its connections and writer
    /// (see the example on [`SqliteStore`]).
    pub fn store(&self) -> SqliteStore {
        SqliteStore {
            db: self.clone(),
            clock: Arc::new(graph_core::system_clock),
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` with the default [`SqliteOptions`],
    /// migrates it, and returns its store. Blocks while it does. To tune the connections, open
    /// a [`SqliteCheckpointer`] with [`SqliteOptions`] and call [`SqliteCheckpointer::store`].
    ///
    /// ```no_run
    /// let store = checkpoint::SqliteStore::open("memory.db")?;
    /// # Ok::<(), checkpoint::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(SqliteOptions::default().open(path)?.store())
    }

    /// The same store, reading the time (milliseconds since the Unix epoch) from `clock`, e.g.
    /// to test expiry without waiting.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        self.db.path()
    }
}

#[async_trait]
impl Store for SqliteStore {
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
        let op = StoreOp::Put {
            ns: encode_namespace(namespace),
            key: key.to_owned(),
            value: value.to_string(),
            now_ms,
            expires_at_ms: expires_at(now_ms, ttl),
        };
        self.db.inner.writer.submit(Op::Store(op)).await?;
        Ok(())
    }

    async fn get(&self, namespace: &[&str], key: &str) -> Result<Option<Item>, StorageError> {
        validate_namespace(namespace)?;
        let now_ms = (self.clock)();
        let ns = encode_namespace(namespace);
        // As a checkpoint's `get`: one indexed lookup, on this task when a reader is free.
        if let Some(conn) = self.db.inner.readers.try_get() {
            return Ok(read_item(&conn, &ns, key, now_ms)?);
        }
        let key = key.to_owned();
        let context = format!("store item `{key}` in {namespace:?}: reading");
        Ok(self
            .db
            .read_blocking(context, move |conn, _| read_item(conn, &ns, &key, now_ms))
            .await?)
    }

    async fn delete(&self, namespace: &[&str], key: &str) -> Result<(), StorageError> {
        validate_namespace(namespace)?;
        let op = StoreOp::Delete {
            ns: encode_namespace(namespace),
            key: key.to_owned(),
        };
        self.db.inner.writer.submit(Op::Store(op)).await?;
        Ok(())
    }

    async fn search(
        &self,
        prefix: &[&str],
        query: &SearchQuery,
    ) -> Result<Vec<Item>, StorageError> {
        validate_prefix(prefix)?;
        let now_ms = (self.clock)();
        let ns = encode_namespace(prefix);
        let query = query.clone();
        let context = format!("store search under {prefix:?}");
        Ok(self
            .db
            .read_blocking(context, move |conn, _| search(conn, &ns, &query, now_ms))
            .await?)
    }

    async fn list_namespaces(
        &self,
        query: &NamespaceQuery,
    ) -> Result<Vec<Vec<String>>, StorageError> {
        query.validate()?;
        let now_ms = (self.clock)();
        let query = query.clone();
        let context = "store list_namespaces".to_owned();
        Ok(self
            .db
            .read_blocking(context, move |conn, _| namespaces(conn, &query, now_ms))
            .await?)
    }

    async fn sweep(&self) -> Result<usize, StorageError> {
        let op = StoreOp::Sweep {
            now_ms: (self.clock)(),
        };
        Ok(self.db.inner.writer.submit(Op::Store(op)).await?)
    }
}

/// The live item at (`?1`, `?2`) at time `?3`: a primary-key lookup.
const GET: &str = "SELECT ns, key, value, created_at_ms, updated_at_ms, expires_at_ms
     FROM gc_store
     WHERE ns = ?1 AND key = ?2 AND (expires_at_ms IS NULL OR expires_at_ms > ?3)";

/// Items under an encoded prefix, live at `?3`, in store order: a range of the primary key from
/// `?1` up to (not including) `?2`.
pub(crate) const SEARCH_RANGE: &str = "SELECT ns, key, value, created_at_ms, updated_at_ms, \
     expires_at_ms FROM gc_store
     WHERE ns >= ?1 AND ns < ?2 AND (expires_at_ms IS NULL OR expires_at_ms > ?3)
     ORDER BY ns, key";

/// [`SEARCH_RANGE`] for the empty prefix, whose range has no end (the whole table).
const SEARCH_ALL: &str = "SELECT ns, key, value, created_at_ms, updated_at_ms, expires_at_ms \
     FROM gc_store WHERE expires_at_ms IS NULL OR expires_at_ms > ?1 ORDER BY ns, key";

/// The encoded namespaces of live items under a prefix, in store order, one row per namespace.
pub(crate) const NAMESPACES_RANGE: &str = "SELECT DISTINCT ns FROM gc_store
     WHERE ns >= ?1 AND ns < ?2 AND (expires_at_ms IS NULL OR expires_at_ms > ?3) ORDER BY ns";

/// [`NAMESPACES_RANGE`] for the empty prefix.
const NAMESPACES_ALL: &str = "SELECT DISTINCT ns FROM gc_store
     WHERE expires_at_ms IS NULL OR expires_at_ms > ?1 ORDER BY ns";

fn read_item(conn: &Connection, ns: &str, key: &str, now_ms: u64) -> Result<Option<Item>, Error> {
    let context = || format!("store item `{key}` in {:?}: reading", decode_namespace(ns));
    let row = conn
        .prepare_cached(GET)
        .and_then(|mut stmt| {
            stmt.query_row((ns, key, sql_ms(now_ms)), raw_item)
                .optional()
        })
        .map_err(Error::sqlite(context()))?;
    row.map(RawItem::decode).transpose()
}

/// The items of a search: the prefix's range of the primary key, filtered and paged here.
///
/// The filter runs in Rust on the decoded value, not in SQL with `json_extract`: it compares
/// whole JSON values exactly as graph-core's `SearchQuery::matches` does (objects by content,
/// `null` apart from a missing field, `1` apart from `1.0`, `true` apart from `1`), which
/// `json_extract` cannot (it turns `true` into 1 and an object into text whose key order decides
/// equality), so both stores answer alike. The index still bounds the work: only rows in the
/// prefix's range are read, and reading stops once the page is full.
fn search(
    conn: &Connection,
    ns: &str,
    query: &SearchQuery,
    now_ms: u64,
) -> Result<Vec<Item>, Error> {
    let context = || format!("store search under {:?}", decode_namespace(ns));
    let mut out = Vec::new();
    if query.limit == 0 {
        return Ok(out);
    }
    let now = sql_ms(now_ms);
    let end = prefix_end(ns);
    let sql = if end.is_some() {
        SEARCH_RANGE
    } else {
        SEARCH_ALL
    };
    let mut stmt = conn.prepare_cached(sql).map_err(Error::sqlite(context()))?;
    let mut rows = match &end {
        Some(end) => stmt.query((ns, end.as_str(), now)),
        None => stmt.query([now]),
    }
    .map_err(Error::sqlite(context()))?;
    let mut skipped = 0;
    while let Some(row) = rows.next().map_err(Error::sqlite(context()))? {
        let item = raw_item(row).map_err(Error::sqlite(context()))?.decode()?;
        if !query.matches(&item.value) {
            continue;
        }
        if skipped < query.offset {
            skipped += 1;
            continue;
        }
        out.push(item);
        if out.len() == query.limit {
            break;
        }
    }
    Ok(out)
}

/// The namespaces of `list_namespaces`: the distinct encoded namespaces in the prefix's range
/// (an index range; `DISTINCT` on the key's first column costs no sort), cut, de-duplicated and
/// paged by graph-core's `NamespaceQuery::collect`, so both stores answer alike.
fn namespaces(
    conn: &Connection,
    query: &NamespaceQuery,
    now_ms: u64,
) -> Result<Vec<Vec<String>>, Error> {
    let context = || format!("store list_namespaces under {:?}", query.prefix);
    let ns = encode_namespace(&query.prefix);
    let now = sql_ms(now_ms);
    let paths: Vec<String> = match prefix_end(&ns) {
        Some(end) => conn
            .prepare_cached(NAMESPACES_RANGE)
            .and_then(|mut stmt| stmt.query_map((&ns, &end, now), |r| r.get(0))?.collect()),
        None => conn
            .prepare_cached(NAMESPACES_ALL)
            .and_then(|mut stmt| stmt.query_map([now], |r| r.get(0))?.collect()),
    }
    .map_err(Error::sqlite(context()))?;
    Ok(query.collect(paths.iter().map(String::as_str)))
}

/// An item's row, before its namespace and value are decoded.
struct RawItem {
    ns: String,
    key: String,
    value: String,
    created_at_ms: i64,
    updated_at_ms: i64,
    expires_at_ms: Option<i64>,
}

fn raw_item(row: &Row<'_>) -> rusqlite::Result<RawItem> {
    Ok(RawItem {
        ns: row.get(0)?,
        key: row.get(1)?,
        value: row.get(2)?,
        created_at_ms: row.get(3)?,
        updated_at_ms: row.get(4)?,
        expires_at_ms: row.get(5)?,
    })
}

impl RawItem {
    fn decode(self) -> Result<Item, Error> {
        let namespace = decode_namespace(&self.ns);
        let damaged = |what: String| Error::DamagedItem {
            namespace: namespace.clone(),
            key: self.key.clone(),
            what,
        };
        let ms = |raw: i64| {
            u64::try_from(raw).map_err(|_| damaged(format!("a negative time ({raw} ms)")))
        };
        let value: Value = serde_json::from_str(&self.value)
            .map_err(|e| damaged(format!("the value is not JSON: {e}")))?;
        if !value.is_object() {
            return Err(damaged("the value is not a JSON object".into()));
        }
        Ok(Item {
            created_at_ms: ms(self.created_at_ms)?,
            updated_at_ms: ms(self.updated_at_ms)?,
            expires_at_ms: self.expires_at_ms.map(ms).transpose()?,
            value,
            key: self.key.clone(),
            namespace,
        })
    }
}

/// A change to the long-term store, applied by the writer.
pub(crate) enum StoreOp {
    Put {
        /// The encoded namespace.
        ns: String,
        key: String,
        /// The JSON object, as text.
        value: String,
        /// The put's time by the store's clock (the writer keeps none).
        now_ms: u64,
        expires_at_ms: Option<u64>,
    },
    Delete {
        ns: String,
        key: String,
    },
    Sweep {
        now_ms: u64,
    },
}

/// How many expired rows a put purges: more than the one row a put adds, so puts alone keep
/// the expired backlog shrinking, and few enough to cost a put nothing noticeable.
const PURGE_PER_PUT: i64 = 16;

impl StoreOp {
    /// Applies the op; returns how many items a sweep purged (0 for the others).
    pub(crate) fn apply(&self, conn: &Connection) -> Result<usize, Error> {
        match self {
            StoreOp::Put {
                ns,
                key,
                value,
                now_ms,
                expires_at_ms,
            } => {
                let context = || {
                    format!(
                        "store item `{key}` in {:?}: storing it",
                        decode_namespace(ns)
                    )
                };
                let now = sql_ms(*now_ms);
                conn.prepare_cached(
                    "DELETE FROM gc_store WHERE (ns, key) IN
                     (SELECT ns, key FROM gc_store WHERE expires_at_ms <= ?1 LIMIT ?2)",
                )
                .and_then(|mut s| s.execute((now, PURGE_PER_PUT)))
                .map_err(Error::sqlite(context()))?;
                // An overwrite keeps created_at unless the old row had expired (it was gone,
                // merely not purged yet).
                conn.prepare_cached(
                    "INSERT INTO gc_store
                        (ns, key, value, created_at_ms, updated_at_ms, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5)
                     ON CONFLICT (ns, key) DO UPDATE SET
                        value = excluded.value,
                        created_at_ms = CASE WHEN gc_store.expires_at_ms <= excluded.updated_at_ms
                            THEN excluded.created_at_ms ELSE gc_store.created_at_ms END,
                        updated_at_ms = excluded.updated_at_ms,
                        expires_at_ms = excluded.expires_at_ms",
                )
                .and_then(|mut s| s.execute((ns, key, value, now, expires_at_ms.map(sql_ms))))
                .map_err(Error::sqlite(context()))?;
                Ok(0)
            }
            StoreOp::Delete { ns, key } => {
                conn.prepare_cached("DELETE FROM gc_store WHERE ns = ?1 AND key = ?2")
                    .and_then(|mut s| s.execute((ns, key)))
                    .map_err(Error::sqlite(format!(
                        "store item `{key}` in {:?}: deleting it",
                        decode_namespace(ns)
                    )))?;
                Ok(0)
            }
            StoreOp::Sweep { now_ms } => conn
                .prepare_cached("DELETE FROM gc_store WHERE expires_at_ms <= ?1")
                .and_then(|mut s| s.execute([sql_ms(*now_ms)]))
                .map_err(Error::sqlite("store: sweeping expired items")),
        }
    }
}
