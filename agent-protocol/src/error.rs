//! The crate's one error type, and how it becomes an HTTP answer: each kind maps to the status
//! the SDK expects, the body is `{"detail": "…"}` (what langgraph-api sends; the SDK's error
//! types read it), and what may name internal details (storage, a panic) is logged with a
//! request id and answered with a generic message carrying only that id.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// What went wrong with a request or a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A thread, run, checkpoint or item that does not exist.
    #[error("{what} `{id}` not found")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// An assistant id or graph id that names no served graph.
    #[error("no assistant or graph `{given}`; the served graphs are: {known}")]
    UnknownAssistant {
        /// What the request named.
        given: String,
        /// The served graph ids, comma-separated.
        known: String,
    },
    /// A request field that fails validation.
    #[error("`{field}`: {reason}")]
    Invalid {
        /// The field, as a path (`command.resume`, `stream_mode`).
        field: String,
        /// Why.
        reason: String,
    },
    /// The request conflicts with the thread's state (a run in flight, an existing thread).
    #[error("{0}")]
    Conflict(String),
    /// Something the API or the engine does not support yet.
    #[error("{0}")]
    Unsupported(String),
    /// The engine refused or failed.
    #[error(transparent)]
    Graph(graph_core::Error),
    /// Storage failed; the detail is for the log only.
    #[error("storage failed: {0}")]
    Storage(String),
}

impl Error {
    /// A validation failure of `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A missing `what` named `id`.
    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        Error::NotFound {
            what,
            id: id.into(),
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound { .. } | Error::UnknownAssistant { .. } => StatusCode::NOT_FOUND,
            Error::Invalid { .. } | Error::Unsupported(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Graph(e) => graph_status(e),
            Error::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The status of an engine error outside a run: what the caller asked that the thread cannot
/// do is theirs to fix (422), a missing checkpoint is a 404, and storage is ours (500).
fn graph_status(error: &graph_core::Error) -> StatusCode {
    use graph_core::Error as E;
    match error {
        E::CheckpointNotFound { .. } => StatusCode::NOT_FOUND,
        E::Storage { .. }
        | E::Cache(_)
        | E::Decode { .. }
        | E::Encode { .. }
        | E::NoCheckpointer(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = if status.is_server_error() {
            // Storage errors name files and SQL: only the log sees them.
            let id = format!("{:016x}", rand_id());
            tracing::error!(error = %self, request = %id, "agent protocol request failed");
            format!("internal error (request {id})")
        } else {
            self.to_string()
        };
        (status, Json(json!({ "detail": detail }))).into_response()
    }
}

fn rand_id() -> u64 {
    let bytes = uuid::Uuid::new_v4();
    let (high, _) = bytes.as_u64_pair();
    high
}
