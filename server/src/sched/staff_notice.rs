//! Telling staff of a new handoff, as a job per target (the webhook, the email): stored in the
//! same database as the handoff, so a restart or a dead replica loses no notice, and retried
//! with backoff (honouring the receiver's `Retry-After`) until delivered, refused for good,
//! or out of attempts. The one kind that does network I/O: a notice goes to staff, not through
//! the guests' outbox. A crash between a delivery and its record sends that notice again, so
//! receivers get at least one (each carries the same timestamp and content).

use chrono::{TimeZone, Utc};
use hotel_agent::HandoffReason;
use serde::{Deserialize, Serialize};

use super::Scheduler;
use crate::Error;
use crate::db::{Job, NewJob, Outcome};
use crate::staff::{Notice, StaffNotify, Target};
use crate::state::App;

/// The job kind.
pub(crate) const KIND: &str = "staff-notice";

/// Attempts per notice before it is recorded as failed (about an hour of backoff).
const ATTEMPTS: i64 = 10;
/// The first retry's delay; doubled per attempt.
const RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// What a notice job keeps: the notice's fields, as the handoff opened.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    handoff: i64,
    target: String,
    hotel: String,
    channel: String,
    user: String,
    reason: String,
    message: String,
    at_ms: i64,
}

impl Payload {
    fn notice(&self) -> Option<Notice> {
        let reason = HandoffReason::parse(&self.reason)?;
        let at = Utc.timestamp_millis_opt(self.at_ms).single()?;
        Some(Notice::new(
            &self.hotel,
            &self.channel,
            &self.user,
            reason,
            &self.message,
            at,
        ))
    }
}

fn target_of(name: &str) -> Option<Target> {
    [Target::Webhook, Target::Email]
        .into_iter()
        .find(|t| t.as_str() == name)
}

/// A new handoff, as staff are to be told of it.
pub(crate) struct Handoff<'a> {
    pub(crate) id: i64,
    /// The hotel the conversation is about.
    pub(crate) hotel: &'a str,
    pub(crate) channel: &'a str,
    pub(crate) user: &'a str,
    pub(crate) reason: HandoffReason,
    /// The guest's message that opened it.
    pub(crate) message: &'a str,
}

/// Schedules a notice of `handoff` to each of `staff`'s targets.
pub(crate) async fn plan(
    scheduler: &Scheduler,
    staff: &StaffNotify,
    handoff: &Handoff<'_>,
) -> Result<(), Error> {
    let at_ms = scheduler.clock.now_ms();
    for target in staff.targets() {
        let payload = Payload {
            handoff: handoff.id,
            target: target.as_str().to_owned(),
            hotel: handoff.hotel.to_owned(),
            channel: handoff.channel.to_owned(),
            user: handoff.user.to_owned(),
            reason: handoff.reason.as_str().to_owned(),
            message: handoff.message.to_owned(),
            at_ms,
        };
        let payload = serde_json::to_string(&payload)
            .map_err(|e| Error::Scheduler(format!("a staff notice: {e}")))?;
        scheduler
            .schedule(NewJob {
                kind: KIND.to_owned(),
                key: format!("{KIND}:{}:{}", handoff.id, target.as_str()),
                payload,
                due_ms: at_ms,
            })
            .await?;
    }
    Ok(())
}

/// Sends the notice `job` holds; how the attempt ended.
pub(crate) async fn run(app: &App, job: &Job, now_ms: i64) -> Outcome {
    let outcome = attempt(app.staff.as_ref(), job, now_ms).await;
    let label = match &outcome {
        Outcome::Done(_) => "delivered",
        Outcome::Retry { .. } => "retry",
        _ => "failed",
    };
    let target = serde_json::from_str::<Payload>(&job.payload)
        .map_or_else(|_| "unknown".to_owned(), |p| p.target);
    app.metrics.staff_notices(&target, label);
    outcome
}

async fn attempt(staff: Option<&StaffNotify>, job: &Job, now_ms: i64) -> Outcome {
    let Ok(payload) = serde_json::from_str::<Payload>(&job.payload) else {
        return Outcome::Failed(format!("the notice `{}` cannot be read", job.payload));
    };
    let (Some(target), Some(notice)) = (target_of(&payload.target), payload.notice()) else {
        return Outcome::Failed(format!("the notice `{}` cannot be read", job.payload));
    };
    let Some(staff) = staff.filter(|s| s.targets().contains(&target)) else {
        return Outcome::Skipped(format!(
            "staff notices by {} are no longer configured",
            payload.target
        ));
    };
    match staff.send(target, &notice).await {
        Ok(()) => Outcome::Done(None),
        Err(e) if e.is_retryable() && job.attempts + 1 < ATTEMPTS => {
            let wait = e
                .retry_after()
                .unwrap_or_else(|| crate::outbox::backoff(RETRY, job.attempts));
            tracing::warn!(target = payload.target, error = %e, ?wait, "telling staff failed; will retry");
            Outcome::Retry {
                error: e.to_string(),
                due_ms: now_ms + wait.as_millis() as i64,
            }
        }
        Err(e) => Outcome::Failed(e.to_string()),
    }
}
