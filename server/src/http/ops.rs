//! Health checks and metrics: `/health/live`, `/health/ready` and `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::text;
use crate::state::{App, now_ms};

/// A reply part unsent for this long means the outbox is stuck (Meta's channel, the token
/// or the network is down), and the server reports itself not ready.
pub(crate) const STUCK_AFTER: Duration = Duration::from_secs(15 * 60);

pub(crate) async fn live() -> &'static str {
    "ok"
}

pub(crate) async fn ready(State(app): State<Arc<App>>) -> Response {
    let database = app.db.ping().await;
    let depth = app.db.depth().await;
    let (outbox, stuck) = match &depth {
        Ok(d) => {
            let age_ms = d.oldest_created_ms.map_or(0, |at| now_ms() - at);
            let stuck = age_ms > STUCK_AFTER.as_millis() as i64;
            let state = if stuck { "stuck" } else { "ok" };
            (
                json!({"state": state, "pending": d.pending, "oldest_pending_age_s": age_ms / 1000}),
                stuck,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "readiness: reading the outbox");
            (json!({"state": "unknown"}), true)
        }
    };
    // This endpoint is public: what failed goes to the log, not into the answer.
    if let Err(e) = &database {
        tracing::error!(error = %e, "readiness: the database");
    }
    let ok = database.is_ok() && !stuck;
    let body = json!({
        "status": if ok { "ready" } else { "not ready" },
        "database": if database.is_ok() { "ok" } else { "error" },
        "outbox": outbox,
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    if let Ok(depth) = app.db.depth().await {
        app.metrics.outbox_depth.set(depth.pending);
    }
    app.agent.observe_breaker();
    text(
        "application/openmetrics-text; version=1.0.0; charset=utf-8",
        app.metrics.render(),
    )
}
