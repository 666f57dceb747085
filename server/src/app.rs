//! The shared state of a running server and its router.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use subtle::ConstantTimeEq;

use crate::agent::Agent;
use crate::config::{ChannelConfig, Config};
use crate::db::Db;
use crate::limits::RateLimits;
use crate::meta::Channel;
use crate::metrics::{Metrics, RequestLabels};
use crate::{api, ops, ui, webhook};

/// Everything a request handler or background task needs.
pub(crate) struct App {
    pub(crate) config: Config,
    pub(crate) agent: Arc<Agent>,
    /// LangGraph's HTTP API, mounted at the root.
    pub(crate) protocol: agent_protocol::Api,
    pub(crate) db: Db,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) limits: RateLimits,
    instagram: Option<ChannelConfig>,
    whatsapp: Option<ChannelConfig>,
    /// Wakes the inbox worker when messages were stored.
    pub(crate) inbox_wake: tokio::sync::Notify,
    /// Wakes the outbox sender when replies were stored.
    pub(crate) outbox_wake: tokio::sync::Notify,
}

impl App {
    pub(crate) fn new(
        config: Config,
        agent: Arc<Agent>,
        protocol: agent_protocol::Api,
        db: Db,
        metrics: Arc<Metrics>,
    ) -> App {
        App {
            instagram: config.channel(Channel::Instagram),
            whatsapp: config.channel(Channel::Whatsapp),
            limits: RateLimits::new(config.rate_limit_per_guest, config.rate_limit_global),
            config,
            agent,
            protocol,
            db,
            metrics,
            inbox_wake: tokio::sync::Notify::new(),
            outbox_wake: tokio::sync::Notify::new(),
        }
    }

    /// `channel`'s settings, `None` when it is not configured.
    pub(crate) fn channel(&self, channel: Channel) -> Option<&ChannelConfig> {
        match channel {
            Channel::Instagram => self.instagram.as_ref(),
            Channel::Whatsapp => self.whatsapp.as_ref(),
        }
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A fresh id that follows one inbound message or request through the logs, the graph run's
/// checkpoints and its replies.
pub(crate) fn correlation_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// The caller's `x-request-id` when it is a sensible one (1–64 visible ASCII characters), else
/// a fresh [`correlation_id`]: what a request's log lines and a 500's body are marked with.
pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(correlation_id, str::to_owned)
}

/// The routes. Admin and state endpoints sit behind the admin token when one is set.
pub(crate) fn router(app: Arc<App>) -> Router {
    let protected = Router::new()
        .route("/api/chat", post(api::chat))
        .route("/api/users/{user_id}/bookings", get(api::user_bookings))
        .route("/api/bookings/{reference}", get(api::booking))
        .route("/api/threads/{thread_id}/state", get(api::thread_state))
        .route("/api/threads/{thread_id}/history", get(api::thread_history))
        .route("/metrics", get(ops::metrics))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            require_admin,
        ));
    let public = Router::new()
        .route("/", get(ui::index))
        .route("/ui/app.js", get(ui::script))
        .route("/ui/style.css", get(ui::style))
        .route("/api/hotels", get(api::hotels))
        .route("/api/graph", get(api::graph_json))
        .route("/api/graph.dot", get(api::graph_dot))
        .route("/api/graph.mermaid", get(api::graph_mermaid))
        .route("/health/live", get(ops::live))
        .route("/health/ready", get(ops::ready))
        .route(
            "/webhooks/{channel}",
            get(webhook::verify).post(webhook::receive),
        );
    // LangGraph's SDK sends the key as `x-api-key`; browser tools need CORS.
    let protocol = app
        .protocol
        .router()
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            require_admin,
        ))
        .layer(tower_http::cors::CorsLayer::permissive());
    let limit = usize::try_from(app.config.max_body_bytes).unwrap_or(usize::MAX);
    protected
        .merge(public)
        .with_state(Arc::clone(&app))
        .merge(protocol)
        .fallback(|| async { api::error(StatusCode::NOT_FOUND, "no such endpoint") })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(app, observe))
}

/// Refuses requests without `Authorization: Bearer $ADMIN_TOKEN` (or `x-api-key:
/// $ADMIN_TOKEN`, what LangGraph's SDK sends) when a token is set.
async fn require_admin(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some(token) = app.config.admin_token.as_deref() else {
        return next.run(request).await;
    };
    let headers = request.headers();
    let given = bearer(headers)
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .unwrap_or_default();
    if secret_eq(given.as_bytes(), token.as_bytes()) {
        next.run(request).await
    } else {
        let mut response = api::error(
            StatusCode::UNAUTHORIZED,
            "this endpoint requires `Authorization: Bearer <ADMIN_TOKEN>`",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    }
}

/// Whether a presented secret equals the configured one, in time independent of where they
/// differ.
pub(crate) fn secret_eq(given: &[u8], expected: &[u8]) -> bool {
    bool::from(given.ct_eq(expected))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Counts and times every request by route and status, and logs it.
async fn observe(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let labels = RequestLabels {
        method: method.clone(),
        route: route.clone(),
        status: response.status().as_u16(),
    };
    app.metrics.requests.get_or_create(&labels).inc();
    app.metrics
        .request_seconds
        .get_or_create(&labels)
        .observe(elapsed.as_secs_f64());
    tracing::debug!(
        method,
        route,
        status = response.status().as_u16(),
        ms = elapsed.as_secs_f64() * 1e3,
        "request"
    );
    response
}

/// How long shutdown waits for running turns and sends.
pub(crate) const DRAIN: Duration = Duration::from_secs(20);

/// Plain text with a content type.
pub(crate) fn text(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}
