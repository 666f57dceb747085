//! The durable scheduler: proactive messages as jobs in the database (`sv_jobs`, the
//! [`Jobs`] trait), run by one task per process.
//!
//! The task claims due jobs (with Postgres, claims that other replicas skip and that lapse if
//! this one dies), runs each, and records how it ended in the transaction that queues its
//! message in the outbox ([`Jobs::finish`]): a job does no network I/O, the outbox sends (and
//! retries, and records a failure). So a restart neither loses a job (it is stored before the
//! turn that booked answers) nor repeats its message (the finish and the queued message commit
//! together), and two replicas never both queue one. A job failing to read what it needs is
//! tried again with backoff, then recorded as failed.
//!
//! Kinds: [`pre_arrival`] (the reminder the day before check-in) and [`staff_notice`] (telling
//! staff of a new handoff: the one kind that does network I/O, at least once). A kind is a
//! `KIND` name, a function that plans it and one that runs it; a message when staff change a
//! booking would be another.

mod clock;
pub(crate) mod pre_arrival;
mod reminder;
pub(crate) mod staff_notice;
pub(crate) mod template;

use std::sync::Arc;
use std::time::Duration;

use agent_nodes::nlu::Language;
use tokio::sync::{Notify, watch};

pub use self::clock::Clock;
use crate::Error;
use crate::db::{Finished, Job, Jobs, NewJob, Outcome};
use crate::metrics::JobLabels;
use crate::state::{App, now_ms};

pub(crate) use pre_arrival::plan as plan_pre_arrival;

/// The kinds this build runs (in a rollout, an older replica leaves newer kinds alone).
const KINDS: &[&str] = &[pre_arrival::KIND, staff_notice::KIND];
/// Jobs claimed at a time.
const BATCH: usize = 16;
/// How often the database is looked at without a wake-up.
const POLL: Duration = Duration::from_secs(2);
/// Attempts at a job that cannot read what it needs before it is recorded as failed.
const MAX_ATTEMPTS: i64 = 5;
/// The first retry's delay; doubled per attempt.
const RETRY: Duration = Duration::from_secs(5);
/// How long finished jobs are kept.
const KEEP_MS: i64 = 30 * 24 * 3600 * 1000;

/// The jobs, the clock they are due on, and the wake-up of the task that runs them.
pub(crate) struct Scheduler {
    pub(crate) jobs: Arc<dyn Jobs>,
    pub(crate) clock: Clock,
    wake: Notify,
}

impl Scheduler {
    pub(crate) fn new(jobs: Arc<dyn Jobs>, clock: Clock) -> Scheduler {
        Scheduler {
            jobs,
            clock,
            wake: Notify::new(),
        }
    }

    /// Stores `job` (idempotent by key) and wakes the task.
    async fn schedule(&self, job: NewJob) -> Result<(), Error> {
        self.jobs.schedule(job, self.clock.now_ms()).await?;
        self.wake.notify_one();
        Ok(())
    }
}

/// The scheduler's task: runs due jobs until `shutdown`; the job under way finishes first.
pub(crate) async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let scheduler = app.agent.scheduler();
    let mut pruned_at: Option<i64> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let now = scheduler.clock.now_ms();
        if pruned_at.is_none_or(|at| now - at > 3_600_000) {
            pruned_at = Some(now);
            if let Err(e) = scheduler.jobs.prune(now - KEEP_MS).await {
                tracing::warn!(error = %e, "pruning old jobs");
            }
        }
        let due = match scheduler.jobs.claim_due(now, KINDS, BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "claiming due jobs");
                Vec::new()
            }
        };
        let full = due.len() == BATCH;
        for job in due {
            let span = tracing::info_span!("job", kind = job.kind, key = job.key);
            tracing::Instrument::instrument(run_one(&app, &scheduler, job), span).await;
        }
        if full {
            continue;
        }
        tokio::select! {
            () = scheduler.wake.notified() => {}
            () = scheduler.clock.moved() => {}
            () = tokio::time::sleep(POLL) => {}
            changed = shutdown.changed() => {
                // A dropped `Server` (no shutdown call) also stops the task.
                if changed.is_err() {
                    break;
                }
            }
        }
    }
}

/// Runs `job` and records how it ended.
async fn run_one(app: &App, scheduler: &Scheduler, job: Job) {
    let now = scheduler.clock.now_ms();
    let ran = match job.kind.as_str() {
        pre_arrival::KIND => pre_arrival::run(app, scheduler, &job.key, &job.payload, now).await,
        staff_notice::KIND => Ok(staff_notice::run(app, &job, now).await),
        other => Ok(Outcome::Failed(format!(
            "no runner for jobs of kind {other}"
        ))),
    };
    let outcome = ran.unwrap_or_else(|e| {
        let error = e.to_string();
        if job.attempts + 1 < MAX_ATTEMPTS {
            let wait = crate::outbox::backoff(RETRY, job.attempts);
            tracing::warn!(
                error,
                attempt = job.attempts + 1,
                ?wait,
                "job failed; will retry"
            );
            Outcome::Retry {
                error,
                due_ms: now + wait.as_millis() as i64,
            }
        } else {
            tracing::error!(error, attempts = job.attempts + 1, "job failed for good");
            Outcome::Failed(error)
        }
    });
    let label = match &outcome {
        Outcome::Done(_) => "done",
        Outcome::Skipped(_) => "skipped",
        Outcome::Retry { .. } => "retry",
        Outcome::Moved { .. } => "moved",
        Outcome::Failed(_) => "failed",
    };
    if let Outcome::Skipped(reason) = &outcome {
        tracing::info!(reason, "job skipped");
    }
    let label = match scheduler.jobs.finish(&job, outcome, now, now_ms()).await {
        Ok(Finished::Stored) => label,
        Ok(Finished::OptedOut) => "skipped",
        Ok(Finished::ClaimLost) => {
            tracing::warn!("the job's claim lapsed; another replica runs it");
            return;
        }
        Err(e) => {
            // Still pending: claimed again once this process's claim is gone (at once with
            // SQLite, after the lease with Postgres).
            tracing::error!(error = %e, "recording a job");
            return;
        }
    };
    if label == "done" {
        app.wake.outbox.notify_one();
    }
    app.metrics
        .jobs
        .get_or_create(&JobLabels {
            kind: job.kind.clone(),
            outcome: label.into(),
        })
        .inc();
}

/// The language `user` on `channel` last wrote in, as the agent's guest profile remembers it.
pub(crate) async fn guest_language(app: &App, channel: &str, user: &str) -> Option<Language> {
    let thread = hotel_agent::thread_id(channel, user);
    match app.agent.long_term_store().get(&["guests"], &thread).await {
        Ok(item) => item
            .and_then(|item| serde_json::from_value::<hotel_agent::guest::Profile>(item.value).ok())
            .and_then(|profile| profile.language),
        Err(e) => {
            tracing::warn!(error = %e, "reading a guest's profile");
            None
        }
    }
}
