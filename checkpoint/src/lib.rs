//! A durable SQLite [`Checkpointer`] for graph-core: every superstep is one transaction, an
//! acknowledged checkpoint survives a crash or power loss, and a run killed at any moment resumes
//! where it stopped.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use graph_core::{CompiledGraph, RunConfig, State};
//! # #[derive(State, Clone, Default)] struct Chat { question: String }
//! # async fn demo(graph: CompiledGraph<Chat>) -> Result<(), Box<dyn std::error::Error>> {
//! let store = checkpoint::SqliteCheckpointer::open("agent.db")?;
//! let graph = graph.with_checkpointer(Arc::new(store));
//! let config = RunConfig::thread("guest-42");
//! graph.invoke(ChatUpdate::default().question("a room for two?"), &config).await?;
//! let state = graph.get_state(&config).await?; // also after a restart
//! # Ok(()) }
//! ```
//!
//! # How it stores
//!
//! - **Per field, by version.** A checkpoint row holds metadata and, per field, the version
//!   (the checkpoint) that wrote its value; a field is written only when it changes. Fields with
//!   appending reducers are written as deltas with a periodic snapshot, so a superstep costs
//!   about the size of its update, not of the state.
//! - **One writer, group commit.** All writes go through one thread that owns the only write
//!   connection; it commits whatever has queued up in one `BEGIN IMMEDIATE` transaction and
//!   answers each caller after `COMMIT`. Concurrent threads share fsyncs instead of fighting for
//!   the lock, so "database is locked" does not happen inside one process.
//! - **Pooled readers.** Reads use an r2d2 pool in WAL mode and never wait for the writer. A
//!   `get` runs on the calling task (it is a few indexed lookups); a history listing runs on
//!   tokio's blocking pool, and a page of history with values costs a fixed number of queries
//!   whatever its size (`Checkpointer::history`).
//! - **Durable by default.** WAL with `synchronous=FULL`; [`Synchronous::Normal`] trades the
//!   last transactions on power loss (never on a process crash) for fewer fsyncs.
//! - **A node cache too.** [`SqliteCache`] ([`SqliteCheckpointer::cache`]) keeps graph-core's
//!   cached node results in the same file, table `gc_cache`, through the same readers and writer.
//! - **A long-term store too.** [`SqliteStore`] ([`SqliteCheckpointer::store`]) keeps
//!   graph-core's [`Store`](graph_core::Store) items, memory shared by every thread, in the
//!   same file, table `gc_store`, through the same readers and writer.
//! - **Versioned format.** The schema is migrated on open and a file from a newer build is
//!   refused; every BLOB starts with a format byte; a damaged row is reported with its thread
//!   and checkpoint.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use graph_core::{
    Checkpoint, CheckpointId, CheckpointMeta, Checkpointer, HistoryQuery, LoadedCheckpoint,
    Namespace, PendingWrite, StorageError, ThreadId,
};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

mod cache;
mod codec;
mod error;
mod read;
mod schema;
mod store;
mod threads;
mod writer;

pub use cache::SqliteCache;
pub use error::Error;
pub use store::SqliteStore;

use read::FieldNames;
use writer::{Op, Writer};

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// `synchronous=FULL`: a commit returns after the WAL is synced, so an acknowledged
    /// checkpoint survives power loss. The default.
    #[default]
    Full,
    /// `synchronous=NORMAL`: a commit survives a process crash but the last ones may be lost on
    /// power loss or an OS crash. Many times more commits per second.
    Normal,
}

/// Settings for [`SqliteCheckpointer`]; start from [`SqliteCheckpointer::options`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    synchronous: Synchronous,
    busy_timeout: Duration,
    readers: u32,
    max_batch: usize,
    keep_last: Option<usize>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(5),
            readers: 4,
            max_batch: 256,
            keep_last: None,
        }
    }
}

impl SqliteOptions {
    /// The durability of a commit (default [`Synchronous::Full`]).
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// How long a connection waits for another process's lock before failing (default 5 s).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The most pooled read connections (default 4, at least 1).
    pub fn readers(mut self, readers: u32) -> Self {
        self.readers = readers.max(1);
        self
    }

    /// The most writes committed in one transaction (default 256, at least 1).
    pub fn max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.max(1);
        self
    }

    /// Retention: keep about the last `checkpoints` of every thread (at least 1) and delete
    /// older ones as threads grow, in the same transaction as the put that triggers it. A
    /// thread is pruned back to `checkpoints` each time it has stored `checkpoints` more, so it
    /// holds between `checkpoints` and twice that; values and pending writes that kept
    /// checkpoints still read (a pending interrupt, say) are never deleted. Default: keep
    /// everything. [`Checkpointer::prune`] prunes one thread on demand.
    pub fn keep_last(mut self, checkpoints: usize) -> Self {
        self.keep_last = Some(checkpoints.max(1));
        self
    }

    /// Opens (creating if needed) the database at `path` and migrates its schema. Blocks while
    /// it does; call it at startup, not inside a hot async path.
    pub fn open(self, path: impl AsRef<Path>) -> Result<SqliteCheckpointer, Error> {
        let path = path.as_ref().to_owned();
        let mut conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| Error::Open {
            path: path.clone(),
            source,
        })?;
        configure_writer(&conn, &self, &path)?;
        schema::migrate(&mut conn, &path)?;
        let writer = Writer::spawn(conn, self.max_batch, self.keep_last)?;

        let options = self.clone();
        let manager = SqliteConnectionManager::file(&path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(move |conn| conn.busy_timeout(options.busy_timeout));
        let readers = r2d2::Pool::builder()
            .max_size(self.readers)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|source| Error::Pool {
                path: path.clone(),
                source,
            })?;
        Ok(SqliteCheckpointer {
            inner: Arc::new(Inner {
                path,
                readers,
                writer,
                names: Arc::new(FieldNames::default()),
            }),
        })
    }
}

/// Sets up the write connection. WAL is a property of the file, so setting it here is enough
/// (read-only readers could not set it anyway); the query also fails fast on a file that is not
/// a database.
fn configure_writer(conn: &Connection, options: &SqliteOptions, path: &Path) -> Result<(), Error> {
    let open_error = |source| Error::Open {
        path: path.to_owned(),
        source,
    };
    conn.busy_timeout(options.busy_timeout)
        .map_err(open_error)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(open_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::NoWal {
            path: path.to_owned(),
            mode,
        });
    }
    let level = match options.synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", level)
        .map_err(open_error)?;
    // Statement journals (of a statement that may need undoing on its own, and of each savepoint
    // when a failed batch runs again op by op) stay in memory instead of a temporary file
    // written for every page they change, which cost a sixth of the writer's time under the
    // server's load while every op ran in a savepoint.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(open_error)
}

/// A [`Checkpointer`] on a SQLite file. Cheap to clone; clones share the writer and the pool.
///
/// Open one per file per process: the writer thread is what turns concurrent commits into one
/// transaction. Several processes on one file also work (SQLite's lock and the busy timeout
/// serialise them) but do not share commits.
#[derive(Clone)]
pub struct SqliteCheckpointer {
    inner: Arc<Inner>,
}

// Fields drop in order: the readers close first, so the writer's connection is the last one
// and checkpoints the WAL into the file as it closes.
struct Inner {
    path: PathBuf,
    readers: r2d2::Pool<SqliteConnectionManager>,
    writer: Writer,
    names: Arc<FieldNames>,
}

impl std::fmt::Debug for SqliteCheckpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteCheckpointer")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl SqliteCheckpointer {
    /// Opens the database at `path` with the default [`SqliteOptions`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        SqliteOptions::default().open(path)
    }

    /// Settings to open with.
    pub fn options() -> SqliteOptions {
        SqliteOptions::default()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// How many write transactions the writer has committed since the file was opened: with
    /// `synchronous=FULL`, the fsyncs its writes cost. Group commit makes it smaller than the
    /// number of writes.
    pub fn commits(&self) -> u64 {
        self.inner.writer.commits()
    }

    /// Runs `read` on a pooled connection on tokio's blocking pool, for reads long enough to
    /// hold up other tasks (a history listing decodes a row per checkpoint) or that must wait
    /// for a connection.
    async fn read_blocking<T: Send + 'static>(
        &self,
        context: String,
        read: impl FnOnce(&mut Connection, &FieldNames) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let inner = Arc::clone(&self.inner);
        let what = context.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner
                .readers
                .get()
                .map_err(|source| Error::Checkout { context, source })?;
            read(&mut conn, &inner.names)
        })
        .await
        .map_err(|e| Error::Read(format!("{what}: {e}")))?
    }
}

#[async_trait]
impl Checkpointer for SqliteCheckpointer {
    async fn barrier(&self) -> Result<(), StorageError> {
        self.inner.writer.submit(Op::Barrier).await?;
        Ok(())
    }

    async fn put(&self, checkpoint: Checkpoint) -> Result<(), StorageError> {
        self.inner.writer.submit(Op::Put(checkpoint)).await?;
        Ok(())
    }

    async fn put_later(&self, checkpoint: Checkpoint) -> Result<(), StorageError> {
        self.inner.writer.submit_later(Op::Put(checkpoint)).await?;
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
        self.inner
            .writer
            .submit(Op::Writes {
                thread: thread.clone(),
                ns: ns.clone(),
                checkpoint,
                writes,
            })
            .await?;
        Ok(())
    }

    async fn get(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        id: Option<CheckpointId>,
    ) -> Result<Option<LoadedCheckpoint>, StorageError> {
        // A get is a few indexed lookups, tens of microseconds from the page cache: with a
        // connection free it runs right here, since handing it to another thread costs more
        // (two wake-ups, about 60 µs on a VM) than the read. Otherwise it waits off the runtime.
        if let Some(mut conn) = self.inner.readers.try_get() {
            return Ok(read::get(&mut conn, &self.inner.names, thread, ns, id)?);
        }
        let (thread, ns) = (thread.clone(), ns.clone());
        let context = format!("{}: reading", read::place(&thread, &ns));
        Ok(self
            .read_blocking(context, move |conn, names| {
                read::get(conn, names, &thread, &ns, id)
            })
            .await?)
    }

    async fn list(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Result<Vec<CheckpointMeta>, StorageError> {
        let (thread, ns) = (thread.clone(), ns.clone());
        let query = query.clone();
        let context = format!("{}: listing", read::place(&thread, &ns));
        Ok(self
            .read_blocking(context, move |conn, _| {
                read::list(conn, &thread, &ns, &query)
            })
            .await?)
    }

    async fn history(
        &self,
        thread: &ThreadId,
        ns: &Namespace,
        query: &HistoryQuery,
    ) -> Result<Vec<LoadedCheckpoint>, StorageError> {
        let (thread, ns) = (thread.clone(), ns.clone());
        let query = query.clone();
        let context = format!("{}: reading its history", read::place(&thread, &ns));
        Ok(self
            .read_blocking(context, move |conn, names| {
                read::history(conn, names, &thread, &ns, &query)
            })
            .await?)
    }

    async fn delete_thread(&self, thread: &ThreadId) -> Result<(), StorageError> {
        self.inner.writer.submit(Op::Delete(thread.clone())).await?;
        Ok(())
    }

    async fn copy_thread(&self, from: &ThreadId, to: &ThreadId) -> Result<(), StorageError> {
        self.inner
            .writer
            .submit(Op::Copy {
                from: from.clone(),
                to: to.clone(),
            })
            .await?;
        Ok(())
    }

    async fn prune(&self, thread: &ThreadId, keep: usize) -> Result<usize, StorageError> {
        Ok(self
            .inner
            .writer
            .submit(Op::Prune {
                thread: thread.clone(),
                keep,
            })
            .await?)
    }

    async fn rewind(
        &self,
        thread: &ThreadId,
        to: Option<CheckpointId>,
    ) -> Result<usize, StorageError> {
        Ok(self
            .inner
            .writer
            .submit(Op::Rewind {
                thread: thread.clone(),
                to,
            })
            .await?)
    }
}
