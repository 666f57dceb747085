//! Constructors for the server's integration tests: the run stores for the conformance suite,
//! the Postgres statement checks, and the staff notifications not yet wired in. Not an API.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use agent_protocol::RunStore;

use crate::Error;
use crate::db::{Db, PgQueue, migrate_pg};
use crate::protocol::{PgRunStore, SqliteRunStore};

/// Staff notifications (webhook and email), until the handoff flow sends them.
pub use crate::staff::{
    Delivery, HandoffReason, MAX_EXCERPT_CHARS, MIN_SECRET_BYTES, Notice, SIGNATURE_HEADER,
    StaffNotify, TIMESTAMP_HEADER, Target, payload, verify,
};

/// What error messages call the test's database.
const DATABASE: &str = "the test's schema";

/// The SQLite run store in the file at `path`, created and migrated if new.
pub fn sqlite_run_store(path: &Path) -> Result<Arc<dyn RunStore>, Error> {
    Ok(Arc::new(SqliteRunStore::open(Db::open_relaxed(path)?)))
}

/// The Postgres run store on a pool of `config`'s connections (no TLS), with the server's
/// tables migrated in the connections' `search_path`.
pub async fn pg_run_store(config: tokio_postgres::Config) -> Result<Arc<dyn RunStore>, Error> {
    Ok(Arc::new(pg_store(config).await?))
}

/// Prepares every statement of the Postgres run store against `config`'s database, after
/// migrating it; how many.
pub async fn check_pg_statements(config: tokio_postgres::Config) -> Result<usize, Error> {
    let store = pg_store(config).await?;
    store
        .check_statements()
        .await
        .map_err(|e| Error::Startup(e.to_string()))
}

/// Migrates the server's tables in `config`'s database and prepares every statement of its
/// Postgres queue and rate limits there; how many.
pub async fn check_pg_queue_statements(config: tokio_postgres::Config) -> Result<usize, Error> {
    let pool = crate::storage::pool(&config, DATABASE)?;
    let queue = PgQueue::open(pool, DATABASE.into(), Duration::from_secs(30)).await?;
    queue.check_statements().await
}

async fn pg_store(config: tokio_postgres::Config) -> Result<PgRunStore, Error> {
    let pool = crate::storage::pool(&config, DATABASE)?;
    migrate_pg(&pool, DATABASE).await?;
    // No LISTEN connection here: readers poll, as the trait's default does.
    Ok(PgRunStore::new(pool, Arc::default()))
}

/// The Postgres queue on `config`'s database (migrated), for tests that drive its storing and
/// pruning directly.
pub struct TestQueue(Arc<PgQueue>);

impl TestQueue {
    /// Opens the queue, migrating the server's tables.
    pub async fn open(config: tokio_postgres::Config) -> Result<TestQueue, Error> {
        let pool = crate::storage::pool(&config, DATABASE)?;
        let queue = PgQueue::open(pool, DATABASE.into(), Duration::from_secs(30)).await?;
        Ok(TestQueue(Arc::new(queue)))
    }

    /// Stores an Instagram text message `message_id` from `user`, received at `now_ms`, as a
    /// webhook would; whether it was new.
    pub async fn receive(&self, user: &str, message_id: &str, now_ms: i64) -> Result<bool, Error> {
        use crate::db::{InboxState, Kind, NewMessage, Queue};
        let message = NewMessage {
            channel: crate::meta::Channel::Instagram,
            message_id: message_id.to_owned(),
            user: user.to_owned(),
            kind: Kind::Text,
            text: "hello".to_owned(),
            sent_at_ms: now_ms,
            correlation: format!("test-{message_id}"),
            state: InboxState::Pending,
        };
        let stored = self.0.receive(vec![message], now_ms).await?;
        Ok(stored.first().is_some_and(|(_, new)| *new))
    }

    /// The queue's housekeeping: forgets what is older than `before_ms`; how many rows.
    pub async fn prune(&self, before_ms: i64) -> Result<usize, Error> {
        crate::db::Queue::prune(&*self.0, before_ms).await
    }
}

/// A Postgres run store on `config`'s database whose readers are woken by a `LISTEN`
/// connection of its own, as a replica's are; the connection closes when the returned sender
/// is dropped or sent `true`.
pub async fn pg_listening_run_store(
    config: tokio_postgres::Config,
) -> Result<(Arc<dyn RunStore>, tokio::sync::watch::Sender<bool>), Error> {
    let pool = crate::storage::pool(&config, DATABASE)?;
    let queue = PgQueue::open(pool.clone(), DATABASE.into(), Duration::from_secs(30)).await?;
    let wake = Arc::new(crate::db::Wake::default());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    drop(queue.listen(config, Arc::clone(&wake), stopped));
    let store: Arc<dyn RunStore> = Arc::new(PgRunStore::new(pool, Arc::clone(&wake.runs)));
    Ok((store, stop))
}
