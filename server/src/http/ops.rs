//! Health checks and metrics: `/health/live`, `/health/ready` and `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::shapes::Text;
use crate::state::{App, now_ms};

/// A reply part unsent for this long means the outbox is stuck (Meta's channel, the token
/// or the network is down), and the server reports itself not ready.
pub(crate) const STUCK_AFTER: Duration = Duration::from_secs(15 * 60);

/// `GET /health/ready`'s answer. The endpoint is public: what failed goes to the log, not
/// into it.
#[derive(Serialize)]
pub(crate) struct Readiness {
    /// `ready` or `not ready`.
    status: &'static str,
    /// `ok` or `error`.
    database: &'static str,
    outbox: OutboxHealth,
}

/// The outbox part of [`Readiness`].
#[derive(Serialize)]
struct OutboxHealth {
    /// `ok`, `stuck` (a reply waited over [`STUCK_AFTER`]) or `unknown` (it could not be read).
    state: &'static str,
    /// Reply parts waiting to be sent; absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<i64>,
    /// How long the oldest has waited, in seconds; absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    oldest_pending_age_s: Option<i64>,
}

pub(crate) async fn live() -> &'static str {
    "ok"
}

/// 200 when the database answers and no reply is stuck, else 503; the body says which.
pub(crate) async fn ready(State(app): State<Arc<App>>) -> (StatusCode, Json<Readiness>) {
    let database = app.db.ping().await;
    let (outbox, stuck) = match app.db.depth().await {
        Ok(d) => {
            let age_ms = d.oldest_created_ms.map_or(0, |at| now_ms() - at);
            let stuck = age_ms > STUCK_AFTER.as_millis() as i64;
            let outbox = OutboxHealth {
                state: if stuck { "stuck" } else { "ok" },
                pending: Some(d.pending),
                oldest_pending_age_s: Some(age_ms / 1000),
            };
            (outbox, stuck)
        }
        Err(e) => {
            tracing::error!(error = %e, "readiness: reading the outbox");
            let outbox = OutboxHealth {
                state: "unknown",
                pending: None,
                oldest_pending_age_s: None,
            };
            (outbox, true)
        }
    };
    if let Err(e) = &database {
        tracing::error!(error = %e, "readiness: the database");
    }
    let ok = database.is_ok() && !stuck;
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: if ok { "ready" } else { "not ready" },
        database: if database.is_ok() { "ok" } else { "error" },
        outbox,
    };
    (status, Json(body))
}

/// `GET /metrics`: the Prometheus registry in the OpenMetrics text format.
pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Text {
    if let Ok(depth) = app.db.depth().await {
        app.metrics.outbox_depth.set(depth.pending);
    }
    app.agent.observe_breaker();
    Text {
        content_type: "application/openmetrics-text; version=1.0.0; charset=utf-8",
        body: app.metrics.render(),
    }
}
