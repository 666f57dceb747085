//! Constructors for the server's integration tests: the run stores for the conformance suite,
//! the Postgres statement checks, the staff notifications not yet wired in, and the
//! scheduler's clock, jobs and opt-out reading. Not an API.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use agent_protocol::RunStore;

use crate::Error;
use crate::db::{Db, PgJobs, PgQueue, migrate_pg};
use crate::protocol::{PgRunStore, SqliteRunStore};

/// Staff notifications (webhook and email), until the handoff flow sends them.
pub use crate::staff::{
    Delivery, HandoffReason, MAX_EXCERPT_CHARS, MIN_SECRET_BYTES, Notice, SIGNATURE_HEADER,
    StaffNotify, TIMESTAMP_HEADER, Target, payload, verify,
};

/// The scheduler's clock: tests start a server on a manual one and move it.
pub use crate::sched::Clock;

/// Starts a server whose scheduler runs on `clock`.
pub async fn start_with_clock(config: crate::Config, clock: Clock) -> Result<crate::Server, Error> {
    crate::Server::start_with(config, clock).await
}

/// How `message` reads as an opt-out command: `Some(true)` opting out, `Some(false)` back
/// in, `None` not a command.
pub fn opt_out_command(message: &str) -> Option<bool> {
    crate::optout::read(message).map(|command| command.out)
}

/// Schedules the pre-arrival reminder of booking `reference` of `channel`/`user` (English),
/// arriving `check_in`, due at `due_ms`, in the SQLite file at `path`, as a turn that booked
/// it does.
pub async fn schedule_pre_arrival(
    path: &Path,
    (channel, user): (&str, &str),
    (reference, check_in): (&str, chrono::NaiveDate),
    due_ms: i64,
) -> Result<(), Error> {
    use crate::db::{Jobs, SqliteJobs};
    let job = crate::sched::pre_arrival::job(
        (channel, user),
        (reference, check_in),
        agent_nodes::nlu::Language::En,
        due_ms,
    )?;
    SqliteJobs::new(Db::open(path)?).schedule(job, due_ms).await
}

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

    /// The console's retention: forgets what guests wrote before `before_ms`; how many.
    pub async fn forget_messages(&self, before_ms: i64) -> Result<usize, Error> {
        crate::db::ConsoleStore::forget_messages(&*self.0, before_ms).await
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

/// The scheduler's jobs on `config`'s database (migrated) as one replica sees them, for tests
/// of replicas claiming the same jobs.
pub struct TestJobs(PgJobs);

/// A job [`TestJobs::claim`] claimed.
pub struct TestJob(crate::db::Job);

impl TestJob {
    /// Its idempotency key.
    pub fn key(&self) -> &str {
        &self.0.key
    }
}

impl TestJobs {
    /// Opens the jobs, migrating the server's tables, as a replica whose claims last `claim`.
    pub async fn open(config: tokio_postgres::Config, claim: Duration) -> Result<TestJobs, Error> {
        let pool = crate::storage::pool(&config, DATABASE)?;
        let queue = PgQueue::open(pool, DATABASE.into(), Duration::from_secs(30)).await?;
        Ok(TestJobs(PgJobs::new(queue, claim)))
    }

    /// Schedules a job of kind `test` with `key`, due at `due_ms`.
    pub async fn schedule(&self, key: &str, due_ms: i64) -> Result<(), Error> {
        let job = crate::db::NewJob {
            kind: "test".into(),
            key: key.into(),
            payload: "{}".into(),
            due_ms,
        };
        crate::db::Jobs::schedule(&self.0, job, due_ms).await
    }

    /// Claims up to `limit` test jobs due at `now_ms`.
    pub async fn claim(&self, now_ms: i64, limit: usize) -> Result<Vec<TestJob>, Error> {
        let jobs = crate::db::Jobs::claim_due(&self.0, now_ms, &["test"], limit).await?;
        Ok(jobs.into_iter().map(TestJob).collect())
    }

    /// Finishes `job` as done with a WhatsApp message to `recipient` whose text is the job's
    /// key; `stored`, `opted_out` or `claim_lost`.
    pub async fn finish(
        &self,
        job: &TestJob,
        recipient: &str,
        now_ms: i64,
    ) -> Result<&'static str, Error> {
        use crate::db::{Finished, Outcome, Reply};
        let reply = Reply {
            channel: crate::meta::Channel::Whatsapp,
            recipient: recipient.into(),
            parts: vec![job.0.key.clone()],
            correlation: job.0.key.clone(),
            form: crate::meta::form::Form::Text,
        };
        let finished =
            crate::db::Jobs::finish(&self.0, &job.0, Outcome::Done(Some(reply)), now_ms, now_ms)
                .await?;
        Ok(match finished {
            Finished::Stored => "stored",
            Finished::OptedOut => "opted_out",
            Finished::ClaimLost => "claim_lost",
        })
    }

    /// Records that `user` on WhatsApp opted out (`out`) or back in.
    pub async fn set_opt_out(&self, user: &str, out: bool) -> Result<(), Error> {
        crate::db::Jobs::set_opt_out(&self.0, "whatsapp", user, out, 0).await
    }
}
