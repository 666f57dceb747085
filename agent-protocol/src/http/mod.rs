//! The HTTP surface: the router and what every handler shares (query strings with repeated
//! keys, JSON answers with pagination headers). One file per resource: `assistants`,
//! `threads` (threads, state, history), `runs` (and `stream`, the SSE side), `store`, `meta`.

mod assistants;
mod follow;
mod meta;
mod runs;
mod store;
mod stream;
mod threads;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use crate::api::{Api, Shared};
use crate::error::Error;

type App = Arc<Shared>;

impl Api {
    /// The routes of LangGraph's HTTP API, at the root (`/assistants`, `/threads`, `/runs`,
    /// `/store`, `/ok`, `/info`). Mount it beside other routes with `Router::merge`; put
    /// authentication and CORS around it as the host server does.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/ok", get(meta::ok))
            .route("/info", get(meta::info))
            .route("/assistants/search", post(assistants::search))
            .route("/assistants/count", post(assistants::count))
            .route("/assistants/{assistant_id}", get(assistants::get))
            .route("/assistants/{assistant_id}/graph", get(assistants::graph))
            .route(
                "/assistants/{assistant_id}/schemas",
                get(assistants::schemas),
            )
            .route(
                "/assistants/{assistant_id}/subgraphs",
                get(assistants::subgraphs),
            )
            .route("/threads", post(threads::create))
            .route("/threads/search", post(threads::search))
            .route("/threads/count", post(threads::count))
            .route(
                "/threads/{thread_id}",
                get(threads::get)
                    .patch(threads::patch)
                    .delete(threads::delete),
            )
            .route("/threads/{thread_id}/copy", post(threads::copy))
            .route(
                "/threads/{thread_id}/state",
                get(threads::state).post(threads::update_state),
            )
            .route(
                "/threads/{thread_id}/state/checkpoint",
                post(threads::state_at_body),
            )
            .route(
                "/threads/{thread_id}/state/{checkpoint_id}",
                get(threads::state_at),
            )
            .route(
                "/threads/{thread_id}/history",
                get(threads::history_get).post(threads::history),
            )
            .route(
                "/threads/{thread_id}/runs",
                get(runs::list).post(runs::create),
            )
            .route("/threads/{thread_id}/stream", get(runs::thread_stream))
            .route("/threads/{thread_id}/runs/stream", post(runs::stream))
            .route("/threads/{thread_id}/runs/wait", post(runs::wait))
            .route(
                "/threads/{thread_id}/runs/{run_id}",
                get(runs::get).delete(runs::delete),
            )
            .route("/threads/{thread_id}/runs/{run_id}/join", get(follow::join))
            .route(
                "/threads/{thread_id}/runs/{run_id}/stream",
                get(follow::join_stream),
            )
            .route(
                "/threads/{thread_id}/runs/{run_id}/cancel",
                post(follow::cancel),
            )
            .route("/runs", post(runs::create_stateless))
            .route("/runs/stream", post(runs::stream_stateless))
            .route("/runs/wait", post(runs::wait_stateless))
            .route("/runs/cancel", post(follow::cancel_many))
            .route(
                "/store/items",
                get(store::get).put(store::put).delete(store::delete),
            )
            .route("/store/items/search", post(store::search))
            .route("/store/namespaces", post(store::namespaces))
            .with_state(Arc::clone(&self.shared))
    }
}

/// A query string's pairs, in order, with repeated keys kept (httpx sends lists so).
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        Query(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The last non-empty value of `key` (httpx sends `None` as an empty value).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every non-empty value of `key`; a value that is a JSON array counts as its items.
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in &self.0 {
            if k != key || v.is_empty() {
                continue;
            }
            match serde_json::from_str::<Vec<String>>(v) {
                Ok(items) if v.trim_start().starts_with('[') => out.extend(items),
                _ => out.push(v.clone()),
            }
        }
        out
    }

    /// `key` as a boolean (`true`/`1`/`false`/`0`), refusing anything else.
    pub(crate) fn flag(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some("true" | "1" | "True") => Ok(Some(true)),
            Some("false" | "0" | "False") => Ok(Some(false)),
            Some(other) => Err(Error::invalid(
                key,
                format!("`{other}` is not true or false"),
            )),
        }
    }

    /// `key` as a number.
    pub(crate) fn number(&self, key: &str) -> Result<Option<usize>, Error> {
        self.get(key)
            .map(|v| {
                v.parse()
                    .map_err(|_| Error::invalid(key, format!("`{v}` is not a count")))
            })
            .transpose()
    }
}

/// A JSON answer.
pub(crate) fn json(body: &impl Serialize) -> Response {
    axum::Json(body).into_response()
}

/// A page of results with `X-Pagination-Total` (and `-Next` when more follow).
pub(crate) fn page(body: &impl Serialize, total: usize, offset: usize, shown: usize) -> Response {
    let mut response = json(body);
    let headers = response.headers_mut();
    headers.insert("x-pagination-total", HeaderValue::from(total));
    if offset + shown < total {
        headers.insert("x-pagination-next", HeaderValue::from(offset + shown));
    }
    response
}

/// `204 No Content`.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Adds `Content-Location` (and `Location`, when given) naming a run.
pub(crate) fn locate(
    mut response: Response,
    thread: &str,
    run: &str,
    location: Option<&str>,
) -> Response {
    let run_path = format!("/threads/{thread}/runs/{run}");
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&run_path) {
        headers.insert(header::CONTENT_LOCATION, value);
    }
    if let Some(suffix) = location
        && let Ok(value) = HeaderValue::from_str(&format!("{run_path}{suffix}"))
    {
        headers.insert(header::LOCATION, value);
    }
    response
}
