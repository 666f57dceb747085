//! One way to bring a database's tables to the newest version, for every crate of the workspace
//! that keeps tables (the checkpointers, the bookings, the server's queues), on SQLite and on
//! PostgreSQL.
//!
//! A [`Schema`] lists its migrations in order and names the table that records them. The
//! runner (`sqlite`, feature `sqlite`; `postgres`, feature `postgres`) creates that table if it
//! is missing, reads the newest version recorded, refuses a database from a newer build (or one
//! recording a negative version), applies each migration the database lacks and records it, one
//! row per version with the time it was applied. It runs inside a transaction the caller opened
//! and commits: whatever the caller does beside migrating (seeding a table, say) commits with
//! it, and any failure, the runner's or the caller's, leaves the database as it was. On SQLite
//! the caller opens that transaction `IMMEDIATE`, so two processes opening a file at once take
//! turns; on Postgres the runner first takes a transaction-scoped advisory lock for the same.
//!
//! ```
//! use migrations::{Migrated, Schema};
//!
//! /// Entry `i` brings the tables to version `i + 1`; append only.
//! const NOTES: Schema = Schema {
//!     table: "nt_schema",
//!     lock: i64::from_be_bytes(*b"nt_schem"),
//!     migrations: &["CREATE TABLE nt_notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"],
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut conn = rusqlite::Connection::open_in_memory()?;
//! let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
//! let migrated = migrations::sqlite(&tx, &NOTES)?;
//! tx.execute("INSERT INTO nt_notes (text) VALUES ('seeded with the migration')", [])?;
//! tx.commit()?;
//! assert_eq!(migrated, Migrated { from: 0, to: 1 });
//! # Ok(()) }
//! ```

use std::fmt;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use self::postgres::{postgres, statements};
#[cfg(feature = "sqlite")]
pub use self::sqlite::sqlite;

/// A set of tables and their migrations.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// The table recording the versions applied, `version` and `applied_at_ms` (created if
    /// missing). Written into the SQL as it is, so a constant, never input.
    pub table: &'static str,
    /// The key of the Postgres advisory lock migrations take (unused on SQLite): distinct per
    /// schema, so the schemas sharing a database migrate without waiting on each other.
    pub lock: i64,
    /// The migrations in order: entry `i` brings the tables from version `i` to `i + 1`. Each
    /// may hold several statements. Append only: a database records which ran, so an edited one
    /// never runs again where it ran before.
    pub migrations: &'static [&'static str],
}

impl Schema {
    /// The version the migrations bring a database to: how many there are.
    pub const fn latest(&self) -> i64 {
        self.migrations.len() as i64
    }
}

/// What a run did: the version the database recorded before and the one it records now (equal
/// when there was nothing to do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// The newest version recorded before (0 for a new database).
    pub from: i64,
    /// The newest version recorded after: [`Schema::latest`].
    pub to: i64,
}

/// What the runner was doing when a statement failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Taking the advisory lock (Postgres).
    Lock,
    /// Creating the version table if missing, or reading the newest version recorded.
    ReadVersion,
    /// Applying the migration to this version, or recording it.
    Apply(i64),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Lock => f.write_str("taking the migration lock"),
            Step::ReadVersion => f.write_str("reading the schema version"),
            Step::Apply(version) => write!(f, "migrating to version {version}"),
        }
    }
}

/// A statement of the runner failed: which tables', at which step, and the engine's error.
#[derive(Debug, thiserror::Error)]
#[error("migrating the tables versioned in `{table}`: {step}: {source}")]
pub struct Failed<E: std::error::Error + 'static> {
    /// The version table.
    pub table: &'static str,
    /// What was being done.
    pub step: Step,
    /// What the database (or the connection) said.
    #[source]
    pub source: E,
}

/// Why migrating failed. Every message names the version table, so it says which tables; the
/// caller adds which database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A SQLite statement failed.
    #[cfg(feature = "sqlite")]
    #[error(transparent)]
    Sqlite(#[from] Failed<rusqlite::Error>),
    /// A Postgres statement failed.
    #[cfg(feature = "postgres")]
    #[error(transparent)]
    Postgres(#[from] Failed<tokio_postgres::Error>),
    /// The database records a version this build does not know: a newer build migrated it.
    /// Nothing was applied.
    #[error(
        "`{table}` records schema version {found}, but this build knows versions up to \
         {supported}"
    )]
    NewerSchema {
        /// The version table.
        table: &'static str,
        /// The newest version recorded.
        found: i64,
        /// The newest version this build knows ([`Schema::latest`]).
        supported: i64,
    },
    /// The database records a negative version, which no build writes. Nothing was applied.
    #[error("`{table}` records schema version {found}, which no build writes: it is damaged")]
    Damaged {
        /// The version table.
        table: &'static str,
        /// The version recorded.
        found: i64,
    },
}

/// What both runners share: which migrations are due, their errors, and the log line of one
/// applied.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl Schema {
    /// The migrations a database recording version `found` lacks, each with the version it
    /// brings; an error, and none, if this build cannot migrate from `found`.
    fn due(&self, found: i64) -> Result<impl Iterator<Item = (i64, &'static str)>, Error> {
        let supported = self.latest();
        let table = self.table;
        if found < 0 {
            return Err(Error::Damaged { table, found });
        }
        if found > supported {
            return Err(Error::NewerSchema {
                table,
                found,
                supported,
            });
        }
        // 0 <= found <= the number of migrations, so it converts.
        let done = usize::try_from(found).unwrap_or(self.migrations.len());
        Ok((1..).zip(self.migrations.iter().copied()).skip(done))
    }

    /// Wraps an engine's error of a statement at `step` (`?` then makes it an [`Error`]).
    fn failed<E: std::error::Error>(&self, step: Step) -> impl FnOnce(E) -> Failed<E> {
        let table = self.table;
        move |source| Failed {
            table,
            step,
            source,
        }
    }

    fn applied(&self, version: i64) {
        tracing::info!(table = self.table, version, "applied a schema migration");
    }
}

/// Milliseconds since the Unix epoch, for `applied_at_ms`; 0 on a clock set before it.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
