//! A PostgreSQL [`Checkpointer`] for graph-core, for when several server replicas share one
//! database: the same per-field, versioned, delta-chained layout as the SQLite crate
//! (`checkpoint`), in tables any replica can read and write.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use graph_core::{CompiledGraph, RunConfig, State};
//! # #[derive(State, Clone, Default)] struct Chat { question: String }
//! # async fn demo(graph: CompiledGraph<Chat>) -> Result<(), Box<dyn std::error::Error>> {
//! let config: tokio_postgres::Config = "postgres://app@db.internal/agent".parse()?;
//! let store = checkpoint_pg::PgCheckpointer::connect(config).await?;
//! let graph = graph.with_checkpointer(Arc::new(store));
//! let config = RunConfig::thread("guest-42");
//! graph.invoke(ChatUpdate::default().question("a room for two?"), &config).await?;
//! let state = graph.get_state(&config).await?; // from any replica
//! # Ok(()) }
//! ```
//!
//! # How it stores
//!
//! - **Per field, by version.** A checkpoint row holds metadata and, per field, the version
//!   (the checkpoint) that wrote its value; a field is written only when it changes, and
//!   appending fields are written as deltas with a periodic snapshot. Values, metadata and the
//!   frontier are BYTEA behind a format byte, with the SQLite crate's encodings, so values
//!   round-trip byte for byte and a row from a future format is reported, never misread.
//! - **Ordered writers, group commit.** A thread's changes go to one of a few queues (by a hash
//!   of its name) during the call's first poll, and each queue's task applies them in order,
//!   whatever has queued up in one transaction, answering after `COMMIT`. That is the trait's
//!   ordering rule, which a pool alone would break (`writer.rs`).
//! - **Pooled readers.** `get`, `list` and `history` run on the calling task with a pooled
//!   connection in a read-only snapshot; a `get` or a page of history costs three statements
//!   whatever its size.
//! - **One fence across replicas.** `put` inserts the checkpoint with `ON CONFLICT DO NOTHING`
//!   on its primary key: of two processes storing one id, exactly one succeeds, and the other
//!   gets [`Error::Duplicate`].
//! - **Migrated on open, safely.** Migrations run in one transaction behind an advisory lock
//!   (two replicas starting at once take turns), are recorded in `gc_schema`, and a schema from
//!   a newer build is refused ([`Error::NewerSchema`]).
//! - **Long-term store and node cache beside the checkpoints.** [`PgCheckpointer::store`] and
//!   [`PgCheckpointer::cache`] give graph-core's `Store` ([`PgStore`], table `gc_store`) and
//!   `Cache` ([`PgCache`], table `gc_cache`) on the same pool. Their calls run directly on
//!   pooled connections, not through the writer queues: neither contract orders one call after
//!   another beyond "a write that returned `Ok` is visible to later calls".
//! - **Where the tables go.** In the connection's `search_path`: set it with
//!   `Config::options("-c search_path=tenant_a")` to keep tenants (or tests) apart.
//!
//! TLS: [`PgCheckpointer::connect`] uses `NoTls`. For TLS, build a
//! [`deadpool_postgres::Pool`] with a `MakeTlsConnect` of your choice (`tokio-postgres-rustls`,
//! say) and hand it to [`PgCheckpointer::from_pool`].

use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use graph_core::{
    Checkpoint, CheckpointId, CheckpointMeta, Checkpointer, HistoryQuery, LoadedCheckpoint,
    Namespace, PendingWrite, StorageError, ThreadId,
};

/// The recursive head of the statements that follow delta chains (`read/load.rs`, `threads.rs`):
/// from each (field `$2[i]`, version `$3[i]`) of namespace row `$1`, back along `prev` to the
/// snapshot. `UNION` keeps each link once however many heads share it, and only an older `prev`
/// is followed, so damaged rows cannot loop. Each step is a primary key lookup.
macro_rules! chain {
    () => {
        "WITH RECURSIVE chain(field, version, prev) AS (
            SELECT v.field, v.version, v.prev
            FROM unnest($2::int[], $3::bigint[]) AS h(field, version)
            JOIN gc_values AS v ON v.thread = $1 AND v.version = h.version AND v.field = h.field
          UNION
            SELECT v.field, v.version, v.prev FROM chain AS c
            JOIN gc_values AS v ON v.thread = $1 AND v.version = c.prev AND v.field = c.field
            WHERE c.prev < c.version
        ) "
    };
}

mod cache;
mod codec;
mod error;
mod fields;
mod read;
mod schema;
mod statements;
mod store;
mod threads;
mod writer;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use cache::PgCache;
pub use error::Error;
pub use store::PgStore;

use fields::Fields;
use writer::{Op, Writers};

/// Settings for opening a [`PgCheckpointer`]; [`PgCheckpointer::options`] starts one.
#[derive(Debug, Clone)]
pub struct PgOptions {
    queues: usize,
    max_batch: usize,
    max_connections: usize,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            queues: 4,
            max_batch: 64,
            max_connections: 16,
        }
    }
}

impl PgOptions {
    /// How many writer queues (and so write transactions at once); 4 by default. A thread's
    /// changes always go to the same queue.
    pub fn queues(mut self, queues: usize) -> Self {
        self.queues = queues.max(1);
        self
    }

    /// The most changes a queue commits in one transaction; 64 by default.
    pub fn max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.max(1);
        self
    }

    /// The pool size for [`PgOptions::connect`]; 16 by default. Writers hold one connection
    /// per queue while they commit, readers one per read.
    pub fn max_connections(mut self, max_connections: usize) -> Self {
        self.max_connections = max_connections.max(1);
        self
    }

    /// Connects without TLS, migrates the schema and starts the writers (on the current tokio
    /// runtime).
    pub async fn connect(self, config: tokio_postgres::Config) -> Result<PgCheckpointer, Error> {
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(self.max_connections)
            .build()?;
        self.open(pool).await
    }

    /// Uses `pool` (which decides TLS and the connections' settings), migrates the schema and
    /// starts the writers (on the current tokio runtime).
    pub async fn open(self, pool: Pool) -> Result<PgCheckpointer, Error> {
        schema::migrate_pool(&pool, "opening the checkpointer").await?;
        let fields = Arc::new(Fields::default());
        let writers = Writers::spawn(&pool, &fields, self.queues, self.max_batch);
        Ok(PgCheckpointer {
            pool,
            fields,
            writers,
        })
    }
}

/// graph-core's [`Checkpointer`] on PostgreSQL. See the crate docs for how it stores.
pub struct PgCheckpointer {
    pool: Pool,
    fields: Arc<Fields>,
    writers: Writers,
}

impl std::fmt::Debug for PgCheckpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgCheckpointer")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl PgCheckpointer {
    /// The default settings, to change before connecting.
    pub fn options() -> PgOptions {
        PgOptions::default()
    }

    /// Connects with the default settings and no TLS; see [`PgOptions::connect`].
    pub async fn connect(config: tokio_postgres::Config) -> Result<Self, Error> {
        PgOptions::default().connect(config).await
    }

    /// Opens on `pool` with the default settings; see [`PgOptions::open`].
    pub async fn from_pool(pool: Pool) -> Result<Self, Error> {
        PgOptions::default().open(pool).await
    }

    /// The connection pool, to share with other tables of the same database.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Prepares every SQL statement this crate runs, against the live schema, and returns how
    /// many: Postgres checks their syntax, tables, columns and types. A health check after a
    /// deploy, and the tests' stand-in for compile-time checked SQL.
    pub async fn check_statements(&self) -> Result<usize, Error> {
        let client = self
            .pool
            .get()
            .await
            .map_err(Error::checkout("checking the statements"))?;
        let all = statements::all();
        for sql in &all {
            client
                .prepare(sql)
                .await
                .map_err(Error::pg(format!("preparing `{sql}`")))?;
        }
        Ok(all.len())
    }
}

#[async_trait]
impl Checkpointer for PgCheckpointer {
    async fn put(&self, checkpoint: Checkpoint) -> Result<(), StorageError> {
        let thread = checkpoint.meta.thread.clone();
        self.writers.submit(&thread, Op::Put(checkpoint)).await?;
        Ok(())
    }

    async fn put_writes(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        checkpoint: CheckpointId,
        writes: Vec<PendingWrite>,
    ) -> Result<(), StorageError> {
        if writes.is_empty() {
            return Ok(());
        }
        let op = Op::Writes {
            thread: thread.clone(),
            ns: ns.clone(),
            checkpoint,
            writes,
        };
        self.writers.submit(thread, op).await?;
        Ok(())
    }

    async fn get(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        id: Option<CheckpointId>,
    ) -> Result<Option<LoadedCheckpoint>, StorageError> {
        Ok(read::get(&self.pool, &self.fields, thread, ns, id).await?)
    }

    async fn list(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Result<Vec<CheckpointMeta>, StorageError> {
        Ok(read::list(&self.pool, thread, ns, query).await?)
    }

    async fn history(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Result<Vec<LoadedCheckpoint>, StorageError> {
        Ok(read::history(&self.pool, &self.fields, thread, ns, query).await?)
    }

    async fn barrier(&self) -> Result<(), StorageError> {
        Ok(self.writers.barrier().await?)
    }

    async fn delete_thread(&self, thread: &ThreadId) -> Result<(), StorageError> {
        self.writers
            .submit(thread, Op::Delete(thread.clone()))
            .await?;
        Ok(())
    }

    async fn copy_thread(&self, from: &ThreadId, to: &ThreadId) -> Result<(), StorageError> {
        let op = Op::Copy {
            from: from.clone(),
            to: to.clone(),
        };
        self.writers.submit(from, op).await?;
        Ok(())
    }

    async fn prune(&self, thread: &ThreadId, keep: usize) -> Result<usize, StorageError> {
        let op = Op::Prune {
            thread: thread.clone(),
            keep,
        };
        Ok(self.writers.submit(thread, op).await?)
    }

    async fn rewind(
        &self,
        thread: &ThreadId,
        to: Option<CheckpointId>,
    ) -> Result<usize, StorageError> {
        let op = Op::Rewind {
            thread: thread.clone(),
            to,
        };
        Ok(self.writers.submit(thread, op).await?)
    }
}
