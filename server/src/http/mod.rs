//! The HTTP boundary: the router, its middleware (the admin token, request metrics and logs,
//! the body limit, the JSON 404) and the handlers, each module one group of endpoints.
//!
//! Handlers take the shared [`App`] from `crate::state` and answer with a type of [`shapes`]
//! or an [`ApiError`]; the state module and the background workers know nothing of this
//! module. LangGraph's Agent Protocol (the `agent-protocol` crate) brings its own router,
//! merged here behind the same token.

mod api;
mod error;
mod ops;
mod shapes;
mod staff;
mod ui;
mod webhook;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use api::{MAX_TEXT_CHARS, MAX_USER_ID, WEB_CHANNEL};

use self::error::ApiError;
use crate::metrics::RequestLabels;
use crate::state::{App, secret_eq};

/// The routes. Admin and state endpoints sit behind the admin token when one is set.
pub(crate) fn router(app: Arc<App>) -> Router {
    let protected = Router::new()
        .route("/api/chat", post(api::chat))
        .route("/api/users/{user_id}/bookings", get(api::user_bookings))
        .route("/api/bookings/{reference}", get(api::booking))
        .route("/api/threads/{thread_id}/state", get(api::thread_state))
        .route("/api/threads/{thread_id}/history", get(api::thread_history))
        .route("/metrics", get(ops::metrics))
        .route("/staff/api/handoffs", get(staff::list))
        .route("/staff/api/handoffs/{id}", get(staff::detail))
        .route("/staff/api/handoffs/{id}/reply", post(staff::reply))
        .route("/staff/api/handoffs/{id}/close", post(staff::close))
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
        .fallback(|| async { ApiError::NotFound("no such endpoint".to_owned()) })
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
        ApiError::Unauthorized.into_response()
    }
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
