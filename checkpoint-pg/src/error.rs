//! [`Error`], everything the Postgres checkpointer can report.

use graph_core::{CheckpointId, StorageError, ThreadId};

/// What went wrong opening or using a Postgres checkpointer. Converted into graph-core's
/// [`StorageError`] at the [`graph_core::Checkpointer`] boundary, with this error as its source
/// (downcast it to match on the variant).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection pool could not be built.
    #[error("cannot build the Postgres connection pool: {0}")]
    Pool(#[from] deadpool_postgres::BuildError),
    /// No connection could be checked out of the pool (the server is down or refuses us).
    #[error("{context}: no Postgres connection: {source}")]
    Checkout {
        /// What was being done.
        context: String,
        /// What deadpool said.
        #[source]
        source: deadpool_postgres::PoolError,
    },
    /// The schema could not be created or migrated.
    #[error("cannot migrate the Postgres checkpoint schema: {0}")]
    Migrate(#[source] tokio_postgres::Error),
    /// The database was migrated by a newer version of this crate.
    #[error(
        "the Postgres checkpoint schema has version {found}, but this build knows versions up \
         to {supported}; upgrade the program (the database was not changed)"
    )]
    NewerSchema {
        /// The version recorded in `gc_schema`.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
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
    /// A stored long-term store item could not be decoded (see [`crate::PgStore`]).
    #[error("store item `{key}` in namespace {namespace:?}: damaged row: {what}")]
    DamagedItem {
        /// The item's namespace.
        namespace: Vec<String>,
        /// The item's key.
        key: String,
        /// What is wrong with it.
        what: String,
    },
    /// A stored node cache entry could not be decoded (see [`crate::PgCache`]).
    #[error("node cache namespace `{ns}`: damaged entry: {what}")]
    DamagedCacheEntry {
        /// The entry's namespace (its node).
        ns: String,
        /// What is wrong with it.
        what: String,
    },
    /// A checkpoint with this id is already stored in the thread's namespace.
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
    /// A statement failed.
    #[error("{context}: {source}")]
    Postgres {
        /// What was being done, naming the thread where there is one.
        context: String,
        /// What Postgres (or the connection) said.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The transaction that carried a batch of writes could not begin or commit; nothing of it
    /// was stored.
    #[error("the write transaction failed: {0}")]
    Transaction(String),
    /// The writer task of the thread's queue is gone (the runtime is shutting down).
    #[error("the Postgres checkpoint writer has stopped: {0}")]
    WriterStopped(String),
}

impl Error {
    /// Wraps a Postgres error with what was being done.
    pub(crate) fn pg(context: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Error {
        let context = context.into();
        move |source| Error::Postgres { context, source }
    }

    /// Wraps a pool checkout error with what was being done.
    pub(crate) fn checkout(
        context: impl Into<String>,
    ) -> impl FnOnce(deadpool_postgres::PoolError) -> Error {
        let context = context.into();
        move |source| Error::Checkout { context, source }
    }
}

impl From<Error> for StorageError {
    fn from(error: Error) -> Self {
        StorageError::with_source(error.to_string(), error)
    }
}
