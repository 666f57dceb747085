//! The outbox sender: sends stored reply parts through the Send APIs, each guest's in order,
//! retrying 429s, 5xx, Meta's transient codes and network errors with exponential backoff,
//! and dropping, with the reason logged and stored, what can never be sent.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::db::Outgoing;
use crate::meta::send::{SendApi, SendError};
use crate::metrics::SendLabels;
use crate::state::{App, now_ms};

/// Attempts at one part before it is dropped.
pub(crate) const MAX_ATTEMPTS: i64 = 12;
/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Parts sent at the same time.
const BATCH: usize = 32;

pub(crate) async fn run(app: Arc<App>, api: SendApi, mut shutdown: watch::Receiver<bool>) {
    let api = Arc::new(api);
    loop {
        if *shutdown.borrow() {
            break;
        }
        let due = match app.db.claim_due(now_ms(), BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "reading the outbox");
                Vec::new()
            }
        };
        if due.is_empty() {
            let next_due = match app.db.depth().await {
                Ok(depth) => {
                    app.metrics.outbox_depth.set(depth.pending);
                    depth.next_due_ms
                }
                Err(_) => None,
            };
            // A part due already but not claimable (behind an earlier part of its guest, or
            // claimed by another replica) is looked at again in a while, not in a busy loop.
            let wait = next_due.map_or(Duration::from_secs(1), |at| {
                let ms = at - now_ms();
                Duration::from_millis(if ms > 0 { ms.clamp(5, 1000) } else { 250 } as u64)
            });
            tokio::select! {
                () = app.wake.outbox.notified() => {}
                () = tokio::time::sleep(wait) => {}
                changed = shutdown.changed() => {
                // A dropped `Server` (no shutdown call) also stops the task.
                if changed.is_err() {
                    break;
                }
            }
            }
            continue;
        }
        // A send in flight finishes even during shutdown, so its result is recorded.
        let mut sends = JoinSet::new();
        for part in due {
            let (app, api) = (Arc::clone(&app), Arc::clone(&api));
            let span = tracing::info_span!(
                "send",
                correlation = part.correlation,
                channel = %part.channel,
                outbox_id = part.id
            );
            sends.spawn(async move { send(&app, &api, part).await }.instrument(span));
        }
        let all = async { while sends.join_next().await.is_some() {} };
        let grace = app.config.shutdown_grace();
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("sends still running after {grace:?}; they are retried later");
        }
    }
}

/// The wait before attempt `attempts + 1`: `base` doubled per attempt, capped, with jitter.
pub(crate) fn backoff(base: Duration, attempts: i64) -> Duration {
    let doubled = base.saturating_mul(1 << attempts.clamp(0, 20) as u32);
    let capped = doubled.min(MAX_BACKOFF);
    // ±20% so that many parts failing together do not retry together.
    capped.mul_f64(0.8 + fastrand::f64() * 0.4)
}

async fn send(app: &App, api: &SendApi, part: Outgoing) {
    let channel = part.channel;
    let endpoint = app.channel(channel).and_then(|c| c.endpoint.as_ref());
    let result = match (endpoint, &part.form) {
        (_, Err(reason)) => Err(SendError {
            retry: false,
            reason: reason.clone(),
        }),
        (Some(endpoint), Ok(form)) => {
            api.send(channel, endpoint, &part.recipient, &part.text, form)
                .await
        }
        (None, Ok(_)) => Err(SendError {
            retry: false,
            reason: format!(
                "no {} access token is configured, so replies cannot be sent",
                channel.as_str().to_uppercase()
            ),
        }),
    };
    let now = now_ms();
    let (outcome, stored) = match result {
        Ok(remote_id) => {
            tracing::info!(remote_id, "reply sent");
            ("sent", record_sent(app, part.id, remote_id, now).await)
        }
        Err(e) if e.retry && part.attempts + 1 < MAX_ATTEMPTS => {
            let wait = backoff(app.config.outbox_retry(), part.attempts);
            tracing::warn!(
                reason = e.reason,
                attempt = part.attempts + 1,
                ?wait,
                "send failed; will retry"
            );
            let at = now + wait.as_millis() as i64;
            (
                "retry",
                app.db.send_failed(part.id, e.reason, Some(at), now).await,
            )
        }
        Err(e) => {
            tracing::error!(
                reason = e.reason,
                attempts = part.attempts + 1,
                "reply dropped"
            );
            // A scheduled message (its correlation is its job's key) did not go out after all.
            let jobs = &app.agent.scheduler().jobs;
            if let Err(failed) = jobs.undelivered(&part.correlation, &e.reason).await {
                tracing::error!(error = %failed, "recording a job's message as undelivered");
            }
            (
                "dropped",
                app.db.send_failed(part.id, e.reason, None, now).await,
            )
        }
    };
    app.metrics
        .sends
        .get_or_create(&SendLabels {
            channel: channel.as_str().into(),
            outcome: outcome.into(),
        })
        .inc();
    if let Err(e) = stored {
        tracing::error!(error = %e, "recording a send");
    }
}

/// How long recording a sent part is tried again through a database outage: well inside the
/// shortest claim (20 s), so the part is not claimed and sent again meanwhile.
const RECORD_SENT_FOR: Duration = Duration::from_secs(10);

/// Records that part `id` went out. The guest has it now, so a database blip must not lose
/// the record, or the part would be sent again once its claim lapsed: tried again with backoff
/// for [`RECORD_SENT_FOR`] (past it, the part may go out twice: at least once).
async fn record_sent(app: &App, id: i64, remote_id: String, now: i64) -> Result<(), crate::Error> {
    let deadline = tokio::time::Instant::now() + RECORD_SENT_FOR;
    let mut wait = Duration::from_millis(100);
    loop {
        match app.db.sent(id, remote_id.clone(), now).await {
            Err(e) if tokio::time::Instant::now() + wait < deadline => {
                tracing::warn!(error = %e, ?wait, "recording a sent reply failed; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            recorded => return recorded,
        }
    }
}
