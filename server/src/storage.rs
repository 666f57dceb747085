//! [`Storage`]: everything the server keeps, opened in one place for the configured database,
//! each behind its trait so the rest of the server does not know which it is.
//!
//! | kept | SQLite (`sqlite://PATH`, one file) | PostgreSQL (`postgres://…`, shared by replicas) |
//! |---|---|---|
//! | conversations (checkpoints) | `checkpoint::SqliteCheckpointer` | `checkpoint_pg::PgCheckpointer` |
//! | guests remembered (the Store) | its `SqliteStore` | `checkpoint_pg::PgStore` |
//! | bookings | `hotel::BookingStore` | `hotel::PgBookingStore` |
//! | inbox, leases, outbox | [`crate::db::Db`] | [`crate::db::PgQueue`] |
//! | scheduled jobs, opt-outs | [`crate::db::SqliteJobs`] | [`crate::db::PgJobs`] |
//! | rate limits | in memory (`governor`) | [`crate::db::PgLimits`], shared |
//! | Agent Protocol runs | `protocol::runs_db` | `protocol::runs_pg` |
//!
//! On Postgres every part shares one connection pool, and each migrates its own tables in a
//! transaction behind its own advisory lock, so replicas starting together take turns.

use std::sync::Arc;
use std::time::Duration;

use agent_protocol::RunStore;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use graph_core::{Checkpointer, Store};
use hotel::{Bookings, Catalog};

use crate::Error;
use crate::config::{Config, DatabaseUrl, PgUrl};
use crate::db::{Db, Jobs, PgJobs, PgLimits, PgQueue, Queue, SqliteJobs, Wake};
use crate::protocol::{PgRunStore, SqliteRunStore};

/// Connections one replica opens at most (the checkpointer's writers hold up to 4).
const POOL_SIZE: usize = 32;
/// How long a request waits for a connection, or for one to be made, before failing: when the
/// database is down, requests fail fast (and readiness says so) instead of piling up.
const POOL_WAIT: Duration = Duration::from_secs(5);

/// A pool of connections (no TLS) to `config`'s database, which error messages call
/// `database`: broken connections replaced when next taken, and every wait bounded.
pub(crate) fn pool(config: &tokio_postgres::Config, database: &str) -> Result<Pool, Error> {
    let manager = Manager::from_config(
        config.clone(),
        tokio_postgres::NoTls,
        ManagerConfig {
            // A connection that broke while idle (the database restarted) is noticed and
            // replaced when it is next taken, not handed out broken.
            recycling_method: RecyclingMethod::Verified,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(POOL_WAIT),
            create: Some(POOL_WAIT),
            recycle: Some(POOL_WAIT),
        })
        .build()
        .map_err(|e| Error::Database {
            database: database.to_owned(),
            reason: format!("the connection pool: {e}"),
        })
}

/// tokio-postgres' keepalive idle time when a URL does not set one (the operating system's).
const DEFAULT_KEEPALIVE_IDLE: Duration = Duration::from_secs(2 * 60 * 60);

/// What the server keeps, opened.
pub(crate) struct Storage {
    pub(crate) checkpointer: Arc<dyn Checkpointer>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) bookings: Arc<dyn Bookings>,
    pub(crate) queue: Arc<dyn Queue>,
    pub(crate) jobs: Arc<dyn Jobs>,
    pub(crate) runs: Arc<dyn RunStore>,
    /// With Postgres: the queue and how to connect, to `LISTEN` for other replicas' work.
    pub(crate) listen: Option<(PgQueue, tokio_postgres::Config)>,
    /// With Postgres: the rate limits' budgets, shared by the replicas.
    pub(crate) limits: Option<PgLimits>,
    /// What wakes the workers and the API's readers when work is stored.
    pub(crate) wake: Arc<Wake>,
}

impl Storage {
    /// Opens (creating and migrating) everything in `config`'s database.
    pub(crate) async fn open(config: &Config, catalog: &Catalog) -> Result<Storage, Error> {
        match &config.database_url {
            DatabaseUrl::Sqlite(path) => {
                let database = path.display().to_string();
                let fail = |reason: String| Error::Database {
                    database: database.clone(),
                    reason,
                };
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| fail(format!("cannot create its directory: {e}")))?;
                }
                let bookings = hotel::BookingStore::open(path, catalog.clone())
                    .map_err(|e| fail(e.to_string()))?;
                let checkpointer =
                    checkpoint::SqliteCheckpointer::open(path).map_err(|e| fail(e.to_string()))?;
                let store = Arc::new(checkpointer.store());
                let db = Db::open(path)?;
                Ok(Storage {
                    checkpointer: Arc::new(checkpointer),
                    store,
                    bookings: Arc::new(bookings),
                    queue: Arc::new(db.clone()),
                    jobs: Arc::new(SqliteJobs::new(db)),
                    runs: Arc::new(SqliteRunStore::open(Db::open_relaxed(path)?)),
                    listen: None,
                    limits: None,
                    wake: Arc::new(Wake::default()),
                })
            }
            DatabaseUrl::Postgres(url) => Storage::open_postgres(config, url, catalog).await,
        }
    }

    async fn open_postgres(
        config: &Config,
        url: &PgUrl,
        catalog: &Catalog,
    ) -> Result<Storage, Error> {
        let database = url.to_string();
        let fail = |what: &str, reason: String| Error::Database {
            database: database.clone(),
            reason: format!("{what}: {reason}"),
        };
        let mut connect = url.config().clone();
        if connect.get_connect_timeout().is_none() {
            connect.connect_timeout(POOL_WAIT);
        }
        // A peer that vanished without closing (a partition, a host gone) is noticed in about
        // a minute instead of the operating system's two hours: queries on its connections
        // fail, and the pool replaces them. (Unix sockets need none of this.) A URL that sets
        // its own keepalives keeps them.
        if connect.get_keepalives() && connect.get_keepalives_idle() == DEFAULT_KEEPALIVE_IDLE {
            connect
                .keepalives_idle(Duration::from_secs(30))
                .keepalives_interval(Duration::from_secs(10))
                .keepalives_retries(3);
        }
        let pool = pool(&connect, &database)?;
        // Fail at start, naming the database, rather than on the first message.
        drop(
            pool.get()
                .await
                .map_err(|e| fail("cannot connect", e.to_string()))?,
        );
        let checkpointer = checkpoint_pg::PgCheckpointer::from_pool(pool.clone())
            .await
            .map_err(|e| fail("the checkpoints", e.to_string()))?;
        let store = Arc::new(checkpointer.store());
        let bookings = hotel::PgBookingStore::open(pool.clone(), catalog.clone())
            .await
            .map_err(|e| fail("the bookings", e.to_string()))?;
        let queue = PgQueue::open(pool.clone(), database.clone(), config.guest_lease()).await?;
        // The queue's migrations created the run store's, the jobs' and the limits' tables. A
        // job's claim lasts as long as a reply part's.
        let jobs = PgJobs::new(
            queue.clone(),
            (config.guest_lease() * 2).max(Duration::from_secs(20)),
        );
        let wake = Arc::new(Wake::default());
        let runs = PgRunStore::new(pool.clone(), Arc::clone(&wake.runs));
        let limits = PgLimits::new(pool, database.clone());
        Ok(Storage {
            checkpointer: Arc::new(checkpointer),
            store,
            bookings: Arc::new(bookings),
            queue: Arc::new(queue.clone()),
            jobs: Arc::new(jobs),
            runs: Arc::new(runs),
            listen: Some((queue, connect)),
            wake,
            limits: Some(limits),
        })
    }
}
