//! [`Jobs`], the durable scheduler's table (`sv_jobs`) and the guests' opt-outs
//! (`sv_optouts`), with a SQLite ([`SqliteJobs`]) and a PostgreSQL ([`PgJobs`]) implementation.
//!
//! A job is a row with a kind, a unique idempotency key, a JSON payload and a due time. Due
//! jobs are claimed ([`Jobs::claim_due`]), run by the scheduler (`crate::sched`) and finished
//! ([`Jobs::finish`]) in one transaction that also queues the job's message in the outbox: a
//! job never does network I/O itself, so a crash before the finish runs the job again (it
//! wrote nothing), and one after it leaves a queued message the outbox sends. On Postgres a
//! claim is a lease on the database's clock, and the finish is fenced by it: a replica whose
//! claim lapsed (another then took the job) writes nothing.

use async_trait::async_trait;

use super::Reply;
use crate::Error;

/// Where a job stands (`sv_jobs.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobState {
    /// Waiting for its due time, or being run.
    Pending,
    /// Ran; its message, if any, is in the outbox.
    Done,
    /// Decided against, with the reason in `detail` (cancelled, opted out, outside a window…).
    Skipped,
    /// Gave up after its attempts, with the last error; or ran, but the outbox dropped its
    /// message, with the outbox's reason.
    Failed,
}

impl JobState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Done => "done",
            JobState::Skipped => "skipped",
            JobState::Failed => "failed",
        }
    }
}

/// A job to schedule.
#[derive(Debug, Clone)]
pub(crate) struct NewJob {
    /// What runs it (`pre-arrival`, …).
    pub(crate) kind: String,
    /// The idempotency key: scheduling a key again keeps one job.
    pub(crate) key: String,
    /// What the job needs, as JSON.
    pub(crate) payload: String,
    /// When it is due, in ms on the scheduler's clock.
    pub(crate) due_ms: i64,
}

/// A claimed job.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) id: i64,
    pub(crate) kind: String,
    pub(crate) key: String,
    pub(crate) payload: String,
    pub(crate) due_ms: i64,
    /// Failed attempts so far.
    pub(crate) attempts: i64,
}

/// How a run of a job ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Done; the message (if any) is queued in the same transaction, unless the guest opted
    /// out, which is checked there too (then the job is skipped instead).
    Done(Option<Reply>),
    /// Decided against, for this reason.
    Skipped(String),
    /// Failed for now (`error`); tried again at `due_ms`.
    Retry { error: String, due_ms: i64 },
    /// Not due yet after all (the booking moved): runs at `due_ms`, no attempt counted.
    Moved { due_ms: i64 },
    /// Failed for good.
    Failed(String),
}

/// What [`Jobs::finish`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finished {
    /// The outcome is recorded (and the message queued).
    Stored,
    /// The guest opted out: the job was skipped and nothing queued.
    OptedOut,
    /// The claim lapsed and another replica may have the job: nothing was written.
    ClaimLost,
}

/// The reason a job is skipped when its guest opted out.
pub(crate) const OPTED_OUT: &str = "the guest opted out of proactive messages";

/// The scheduler's jobs and the guests' opt-outs.
#[async_trait]
pub(crate) trait Jobs: Send + Sync + 'static {
    /// Schedules `job` unless its key is taken. A pending job of the same key takes the new
    /// due time and payload (a booking moved); a finished one is left as it is.
    async fn schedule(&self, job: NewJob, now_ms: i64) -> Result<(), Error>;

    /// Claims up to `limit` pending jobs due at `now_ms` of the `kinds` this build runs, for
    /// this process, earliest due first.
    async fn claim_due(&self, now_ms: i64, kinds: &[&str], limit: usize)
    -> Result<Vec<Job>, Error>;

    /// Records how claimed `job` ended, in one transaction with queueing its message (see
    /// [`Outcome::Done`]); `now_ms` is the scheduler's clock, `queued_ms` the outbox's.
    async fn finish(
        &self,
        job: &Job,
        outcome: Outcome,
        now_ms: i64,
        queued_ms: i64,
    ) -> Result<Finished, Error>;

    /// When `user` on `channel` last wrote (Meta's timestamp, ms), if they ever did.
    async fn last_heard(&self, channel: &str, user: &str) -> Result<Option<i64>, Error>;

    /// Records that `user` on `channel` wants no proactive messages (`out`), or wants them
    /// again; idempotent.
    async fn set_opt_out(
        &self,
        channel: &str,
        user: &str,
        out: bool,
        now_ms: i64,
    ) -> Result<(), Error>;

    /// Whether `user` on `channel` opted out.
    async fn opted_out(&self, channel: &str, user: &str) -> Result<bool, Error>;

    /// Deletes finished jobs older than `before_ms`; how many.
    async fn prune(&self, before_ms: i64) -> Result<usize, Error>;

    /// Records that the message of job `key`, done, never reached the guest: the outbox
    /// dropped it for `reason`. The job is then failed, with the reason; a key that names no
    /// done job (a guest's reply's correlation id) changes nothing.
    async fn undelivered(&self, key: &str, reason: &str) -> Result<(), Error>;
}

/// The columns a finish writes, from an [`Outcome`] (after the opt-out check).
pub(super) struct Record {
    pub(super) state: JobState,
    /// Added to `attempts`.
    pub(super) attempts: i64,
    /// The new due time, if it changes.
    pub(super) due_ms: Option<i64>,
    pub(super) last_error: Option<String>,
    pub(super) detail: Option<String>,
    /// Set when the job is finished.
    pub(super) done_ms: Option<i64>,
}

impl Record {
    /// What `outcome` writes at `now_ms`; `opted_out` turns a message into a skip.
    pub(super) fn of(outcome: &Outcome, opted_out: bool, now_ms: i64) -> Record {
        let end = |state, last_error, detail| Record {
            state,
            attempts: 0,
            due_ms: None,
            last_error,
            detail,
            done_ms: Some(now_ms),
        };
        match outcome {
            Outcome::Done(Some(_)) if opted_out => {
                end(JobState::Skipped, None, Some(OPTED_OUT.to_owned()))
            }
            Outcome::Done(_) => end(JobState::Done, None, None),
            Outcome::Skipped(reason) => end(JobState::Skipped, None, Some(reason.clone())),
            Outcome::Failed(error) => Record {
                attempts: 1,
                ..end(JobState::Failed, Some(error.clone()), None)
            },
            Outcome::Retry { error, due_ms } => Record {
                state: JobState::Pending,
                attempts: 1,
                due_ms: Some(*due_ms),
                last_error: Some(error.clone()),
                detail: None,
                done_ms: None,
            },
            Outcome::Moved { due_ms } => Record {
                state: JobState::Pending,
                attempts: 0,
                due_ms: Some(*due_ms),
                last_error: None,
                detail: None,
                done_ms: None,
            },
        }
    }
}

/// The message a finish queues: the reply of a job done, for a guest who did not opt out.
pub(super) fn message(outcome: &Outcome) -> Option<&Reply> {
    match outcome {
        Outcome::Done(reply) => reply.as_ref(),
        _ => None,
    }
}
