//! [`Error`], everything the SQLite checkpointer can report.

use std::path::PathBuf;

use graph_core::{CheckpointId, StorageError, ThreadId};

/// What went wrong opening or using a SQLite checkpointer. Converted into graph-core's
/// [`StorageError`] at the [`graph_core::Checkpointer`] boundary, with this error as its source
/// (downcast it to match on the variant).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database file could not be opened or set up.
    #[error("cannot open the SQLite checkpoint database `{}`: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The file cannot be put in WAL mode (an in-memory or unusual VFS, say).
    #[error(
        "the SQLite checkpoint database `{}` cannot use WAL mode (journal_mode stays `{mode}`)",
        path.display()
    )]
    NoWal {
        /// The file.
        path: PathBuf,
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// The file was written by a newer version of this crate.
    #[error(
        "the SQLite checkpoint database `{}` has schema version {found}, but this build knows \
         versions up to {supported}; upgrade the program (the file was not changed)",
        path.display()
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// The version recorded in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// The read pool could not be built.
    #[error("cannot open readers for the SQLite checkpoint database `{}`: {source}", path.display())]
    Pool {
        /// The file.
        path: PathBuf,
        /// What r2d2 said.
        #[source]
        source: r2d2::Error,
    },
    /// A stored record could not be decoded: the row is damaged or from an unknown format.
    #[error("thread `{thread}`, checkpoint {checkpoint}: damaged record: {what}")]
    Damaged {
        /// The thread.
        thread: ThreadId,
        /// The checkpoint the record belongs to (for a pending write: the one it was saved
        /// under).
        checkpoint: CheckpointId,
        /// What is wrong with it.
        what: String,
    },
    /// A stored node-cache entry could not be decoded (see [`crate::SqliteCache`]).
    #[error("node cache namespace `{ns}`: damaged entry: {what}")]
    DamagedCacheEntry {
        /// The entry's namespace (its node).
        ns: String,
        /// What is wrong with it.
        what: String,
    },
    /// A stored long-term store item could not be decoded (see [`crate::SqliteStore`]).
    #[error("store item `{key}` in namespace {namespace:?}: damaged row: {what}")]
    DamagedItem {
        /// The item's namespace.
        namespace: Vec<String>,
        /// The item's key.
        key: String,
        /// What is wrong with it.
        what: String,
    },
    /// A checkpoint with this id is already stored in the thread.
    #[error("thread `{thread}`: checkpoint {checkpoint} already exists (two runs on one thread?)")]
    Duplicate {
        /// The thread.
        thread: ThreadId,
        /// The checkpoint.
        checkpoint: CheckpointId,
    },
    /// The request cannot be carried out as asked (for example copying into a thread that has
    /// checkpoints).
    #[error("{0}")]
    Invalid(String),
    /// A SQLite call failed.
    #[error("{context}: {source}")]
    Sqlite {
        /// What was being done, naming the thread where there is one.
        context: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The transaction that carried the write could not begin or commit; nothing of it was
    /// stored.
    #[error("the write transaction failed: {0}")]
    Transaction(String),
    /// A pooled read connection could not be checked out.
    #[error("{context}: no read connection: {source}")]
    Checkout {
        /// What was being done.
        context: String,
        /// What r2d2 said.
        #[source]
        source: r2d2::Error,
    },
    /// A read on the blocking pool did not complete (it panicked or the runtime is shutting
    /// down).
    #[error("a read did not complete: {0}")]
    Read(String),
    /// The writer thread is gone (it could not start, or it panicked).
    #[error("the SQLite writer thread has stopped: {0}")]
    WriterStopped(String),
}

impl Error {
    pub(crate) fn sqlite(context: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> Error {
        let context = context.into();
        move |source| Error::Sqlite { context, source }
    }
}

impl From<Error> for StorageError {
    fn from(error: Error) -> Self {
        StorageError::with_source(error.to_string(), error)
    }
}
