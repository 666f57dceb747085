//! Housekeeping, a task of its own: every hour it deletes what the server no longer needs
//! (handled messages and sent parts past the redelivery window; on Postgres also forgotten
//! guests' leases and full rate budgets, see `Queue::prune`; what guests wrote, kept for the
//! staff console, past `MESSAGE_RETENTION_DAYS`) and forgets the in-memory rate budgets of
//! guests who went quiet. Apart from the outbox, so a slow prune never delays a reply.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::state::{App, now_ms};

/// How long handled messages and finished parts are kept: beyond WhatsApp's 7 days of
/// redeliveries, so a late duplicate is still recognised.
const KEEP: Duration = Duration::from_secs(8 * 24 * 3600);
/// How often it runs (and once at start).
const EVERY: Duration = Duration::from_secs(3600);

/// Runs until `shutdown`.
pub(crate) async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let before = now_ms() - KEEP.as_millis() as i64;
        match app.db.prune(before).await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "pruned old inbox and outbox rows"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning"),
        }
        let retention = i64::from(app.config.message_retention_days) * 24 * 3600 * 1000;
        match app.db.forget_messages(now_ms() - retention).await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "forgot guest messages past retention"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "forgetting old guest messages"),
        }
        app.limits.tidy();
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
