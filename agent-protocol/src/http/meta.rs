//! `/ok` and `/info`: liveness and what this server is, for tools that probe it.

use axum::response::Response;
use serde_json::json;

use super::json as answer;

/// `GET /ok`.
pub(super) async fn ok() -> Response {
    answer(&json!({ "ok": true }))
}

/// `GET /info`: the version and the optional features, as langgraph-api reports them.
pub(super) async fn info() -> Response {
    answer(&json!({
        "version": env!("CARGO_PKG_VERSION"),
        "langgraph_py_version": null,
        "flags": {
            "assistants": true,
            "crons": false,
            "langsmith": false,
            "langsmith_tracing_replicas": false,
        },
        "host": { "kind": "self-hosted", "project_id": null, "revision_id": null, "tenant_id": null },
    }))
}
