//! The server's own durable tables, and [`Queue`], the one trait the inbox worker, the outbox
//! sender and the webhooks use them through, with a SQLite ([`Db`]) and a PostgreSQL
//! ([`PgQueue`]) implementation side by side:
//!
//! - `sv_inbox`: every guest message a webhook delivered, unique by (channel, message id), so
//!   Meta's redeliveries are recognised for as long as rows are kept (8 days, beyond
//!   WhatsApp's 7 days of retries), also when they reach two replicas at once. A message is
//!   stored before the webhook is answered and marked done in the same transaction that stores
//!   its reply.
//! - `sv_outbox`: every reply part, stored before it is sent, until it is sent or dropped.
//! - `sv_delivery_failures`: WhatsApp's `failed` statuses for our messages.
//! - `sv_handoffs`: the conversations a person was asked to take over ([`Handoffs`]).
//! - `sv_staff`, `sv_sessions`, `sv_messages`: the staff console's accounts and sessions, and
//!   what guests wrote ([`ConsoleStore`]).
//! - `sv_guests` (Postgres): each guest's lease, so that with several replicas one at a time
//!   answers a guest, in order.
//! - `sv_jobs`, `sv_optouts`: the scheduler's jobs and the guests who want no proactive
//!   messages, behind their own trait, [`Jobs`] (`db/jobs.rs`).
//! - `sv_rate` (Postgres): the rate limits' budgets, shared by the replicas ([`PgLimits`]).
//! - `ap_threads`, `ap_runs`, `ap_run_events`: the Agent Protocol's records
//!   ([`crate::protocol`]).
//! - `sv_schema`: the version of these tables; see `db/sqlite_schema.rs` and `db/pg_schema.rs`.

use async_trait::async_trait;

use crate::Error;
use crate::meta::{Channel, DeliveryFailure};

mod console;
mod console_pg;
mod console_sqlite;
mod handoffs;
mod handoffs_pg;
mod handoffs_sqlite;
mod jobs;
mod jobs_pg;
mod jobs_pg_sql;
mod jobs_sqlite;
mod pg;
mod pg_limits;
mod pg_listen;
mod pg_schema;
mod pg_sql;
mod read_row;
mod rows;
mod sqlite;
mod sqlite_schema;

pub(crate) use console::{
    ConsoleStore, ConversationQuery, ConversationRow, ConversationStatus, DAY_MS,
};
pub(crate) use handoffs::{Handoff, HandoffQuery, Handoffs};
pub(crate) use jobs::{Finished, Job, Jobs, NewJob, OPTED_OUT, Outcome};
pub(crate) use jobs_pg::PgJobs;
pub(crate) use jobs_sqlite::SqliteJobs;
pub(crate) use pg::PgQueue;
pub(crate) use pg_limits::{Budget, PgLimits, Taken};
pub(crate) use pg_schema::migrate as migrate_pg;
pub(crate) use read_row::ReadRow;
pub(crate) use rows::*;
pub(crate) use sqlite::Db;

/// `error`, from migrating the server's tables in `database` (either engine), as the server
/// reports it: a newer schema says to run a newer server; anything else names `sv_schema` and
/// the step.
fn migration_failed(database: &str, error: migrations::Error) -> Error {
    let reason = match error {
        migrations::Error::NewerSchema {
            found, supported, ..
        } => format!(
            "the server's tables are at schema version {found}, newer than the newest this \
             build knows ({supported}); run a newer server"
        ),
        other => other.to_string(),
    };
    Error::Database {
        database: database.to_owned(),
        reason,
    }
}

/// A guest: who a lease is on and whose messages are answered in order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Guest {
    pub(crate) channel: Channel,
    pub(crate) user: String,
}

/// Whether a reply was stored by [`Queue::answer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answered {
    /// The message is marked and its reply queued.
    Stored,
    /// This process no longer holds the guest's lease (it expired and another replica took
    /// the guest over): nothing was written, so the reply is not queued twice.
    LeaseLost,
}

/// The server's queues: the inbox, the guests' leases, the outbox and the delivery failures.
///
/// **Per-guest order.** A guest's messages are answered by one holder of the guest's lease at
/// a time ([`Queue::claim_guests`]), which renews it while it works ([`Queue::renew`]) and
/// gives it back when the guest has nothing pending ([`Queue::release`]). Storing an answer
/// checks the lease in the same transaction, so a holder that lost it writes nothing.
#[async_trait]
pub(crate) trait Queue: Handoffs + ConsoleStore + Send + Sync + 'static {
    /// Whether the database answers.
    async fn ping(&self) -> Result<(), Error>;

    /// Which of `message_ids` of `channel` are stored already (redeliveries): the webhook
    /// charges only new messages to the rate limits, so Meta delivering again (after a 500,
    /// or just because) costs a guest nothing.
    async fn stored_already(
        &self,
        channel: Channel,
        message_ids: Vec<String>,
    ) -> Result<std::collections::HashSet<String>, Error>;

    /// Stores `messages` in one transaction and hands each back with whether it is new
    /// (false: a redelivery, also one another replica stored first).
    async fn receive(
        &self,
        messages: Vec<NewMessage>,
        now_ms: i64,
    ) -> Result<Vec<(NewMessage, bool)>, Error>;

    /// Takes the lease of up to `limit` guests with pending messages that no one holds,
    /// oldest waiting first.
    async fn claim_guests(&self, limit: usize) -> Result<Vec<Guest>, Error>;

    /// The pending messages of `guest` (whose lease this process holds), in the order they
    /// were sent.
    async fn pending_of(&self, guest: &Guest) -> Result<Vec<Pending>, Error>;

    /// Extends this process's lease on `guest`; false when it has lost it.
    async fn renew(&self, guest: &Guest) -> Result<bool, Error>;

    /// Gives `guest`'s lease back.
    async fn release(&self, guest: &Guest) -> Result<(), Error>;

    /// Holds the thread of `user` on `channel` for a turn that does not come from the inbox
    /// (the web chat), so that no other replica runs one on it meanwhile: waits (polling)
    /// until no one else holds it, at most `wait`; false when it could not. One process needs
    /// no hold (its turns take the thread's lock): the SQLite queue always answers true.
    async fn hold(
        &self,
        channel: &str,
        user: &str,
        wait: std::time::Duration,
    ) -> Result<bool, Error>;

    /// Extends this process's hold on the thread of `user` on `channel`; false when lost.
    async fn renew_hold(&self, channel: &str, user: &str) -> Result<bool, Error>;

    /// Ends this process's hold on the thread of `user` on `channel`.
    async fn unhold(&self, channel: &str, user: &str) -> Result<(), Error>;

    /// Marks message `seq` handled ([`InboxState::Done`] or [`InboxState::Failed`]) and
    /// queues its `reply`, in one transaction that also checks this process still holds the
    /// guest's lease: a reply is never lost nor queued twice.
    async fn answer(
        &self,
        seq: i64,
        state: InboxState,
        detail: Option<String>,
        reply: Reply,
        now_ms: i64,
    ) -> Result<Answered, Error>;

    /// Counts a failed attempt at message `seq`.
    async fn attempt_failed(&self, seq: i64, detail: String) -> Result<(), Error>;

    /// Queues a `reply` not tied to an inbox message (the rate-limit notice).
    async fn send_later(&self, reply: Reply, now_ms: i64) -> Result<(), Error>;

    /// Claims reply parts due at `now_ms` for this process to send: each recipient's oldest
    /// unsent part, so a guest's parts go out in order even when one is being retried. A
    /// claim lapses if the part is neither sent nor failed in time (the process died), and
    /// the part is sent again: at least once.
    async fn claim_due(&self, now_ms: i64, limit: usize) -> Result<Vec<Outgoing>, Error>;

    /// Records that part `id` was sent.
    async fn sent(&self, id: i64, remote_id: String, now_ms: i64) -> Result<(), Error>;

    /// Records a failed attempt at part `id`: tried again at `retry_at_ms`, or dropped when
    /// `None`.
    async fn send_failed(
        &self,
        id: i64,
        reason: String,
        retry_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<(), Error>;

    /// How many parts wait to be sent, since when, and when the next one is due.
    async fn depth(&self) -> Result<OutboxDepth, Error>;

    /// Records a failed-delivery status (once per message).
    async fn delivery_failed(
        &self,
        channel: Channel,
        failure: DeliveryFailure,
        now_ms: i64,
    ) -> Result<(), Error>;

    /// Deletes handled messages and finished parts older than `before_ms`; on Postgres also
    /// the leases of guests not heard from since (with nothing pending, lease lapsed) and rate
    /// budgets full again for an hour.
    async fn prune(&self, before_ms: i64) -> Result<usize, Error>;
}

/// What wakes the inbox worker and the outbox sender: this process storing work, or (with
/// Postgres) another replica's `NOTIFY`.
#[derive(Debug, Default)]
pub(crate) struct Wake {
    /// Messages were stored.
    pub(crate) inbox: tokio::sync::Notify,
    /// Reply parts were stored.
    pub(crate) outbox: tokio::sync::Notify,
    /// With Postgres: an API run's events or end were stored (by any replica); every reader
    /// following a run is woken (`notify_waiters`).
    pub(crate) runs: std::sync::Arc<tokio::sync::Notify>,
}
