//! [`ApiError`]: every way a handler can fail, and the one place that turns a failure into a
//! status and the server's JSON error body, `{"error": "..."}`.
//!
//! A client's mistake is answered with what is wrong, naming the field. A failure inside the
//! server (storage, the agent, a task that panicked) is answered with a generic message and the
//! request id only; its detail, which names files, tables and SQL, goes to the log under that
//! id and never into a response.

use std::convert::Infallible;
use std::fmt;
use std::time::Duration;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::extract::rejection::BytesRejection;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};
use serde::Serialize;

use crate::limits::SLOW_DOWN;
use crate::state::request_id;

/// What an internal failure carries to the log.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a client is told of a failure inside the server.
const INTERNAL: &str = "something went wrong on our side; please try again, and \
     quote the request id if it keeps happening";

/// What a client without the admin token is told.
const UNAUTHORIZED: &str = "this endpoint requires `Authorization: Bearer <ADMIN_TOKEN>`";

/// Why a request failed. Each variant has one status; see [`ApiError::status`].
#[derive(Debug)]
pub(crate) enum ApiError {
    /// 400: the request cannot be read at all (the body is not JSON, a webhook's payload is
    /// not Meta's, a handshake's challenge is malformed).
    Malformed(String),
    /// 422: the request parses but a value is wrong; the message names the field and why.
    Invalid(String),
    /// 404: no such endpoint, booking, thread or channel.
    NotFound(String),
    /// 401 with `WWW-Authenticate: Bearer`: the admin token is missing or wrong.
    Unauthorized,
    /// 401 without a challenge: a staff login's name or password is wrong (never saying
    /// which).
    LoginFailed,
    /// 401 without a challenge: a webhook's `X-Hub-Signature-256` is missing or wrong.
    BadSignature(String),
    /// 403: a webhook handshake's verify token does not match.
    Forbidden(String),
    /// 429 with `Retry-After` (whole seconds, at least 1): over a rate limit.
    TooManyRequests {
        /// How long until the next message would be accepted.
        retry_after: Duration,
    },
    /// 413: the body is over `MAX_BODY_BYTES`.
    PayloadTooLarge,
    /// 409: the thread is busy with another turn (on another replica) for too long.
    Conflict(String),
    /// 500: a failure inside the server. Only `request_id` reaches the client.
    Internal {
        /// The request's correlation id, in the body, the `x-request-id` header and the log.
        request_id: RequestId,
        /// What the server was doing, for the log.
        context: String,
        /// The failure, for the log.
        source: BoxError,
    },
}

impl ApiError {
    /// A failure inside the server while doing `context`.
    pub(crate) fn internal(
        request_id: &RequestId,
        context: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> ApiError {
        ApiError::Internal {
            request_id: request_id.clone(),
            context: context.into(),
            source: source.into(),
        }
    }

    /// The status it answers with.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized | ApiError::LoginFailed | ApiError::BadSignature(_) => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The body of every error response.
#[derive(Serialize)]
struct ErrorBody<'a> {
    /// What went wrong, for a person.
    error: &'a str,
    /// Only on a 500: the id the log has the details under.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

fn body(status: StatusCode, error: &str) -> Response {
    let body = ErrorBody {
        error,
        request_id: None,
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            ApiError::Malformed(message)
            | ApiError::Invalid(message)
            | ApiError::NotFound(message)
            | ApiError::BadSignature(message)
            | ApiError::Forbidden(message)
            | ApiError::Conflict(message) => body(status, &message),
            ApiError::Unauthorized => {
                let challenge = [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))];
                (challenge, body(status, UNAUTHORIZED)).into_response()
            }
            ApiError::TooManyRequests { retry_after } => {
                // Rounded up: a client that waits this long is let in.
                let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                let retry = [(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)))];
                (retry, body(status, SLOW_DOWN)).into_response()
            }
            ApiError::PayloadTooLarge => {
                body(status, "the body is larger than this server accepts")
            }
            ApiError::LoginFailed => body(status, "wrong name or password"),
            ApiError::Internal {
                request_id,
                context,
                source,
            } => {
                tracing::error!(correlation = request_id.as_str(), error = %source, "{context}");
                let body = Json(ErrorBody {
                    error: INTERNAL,
                    request_id: Some(request_id.as_str()),
                })
                .into_response();
                (status, request_id, body).into_response()
            }
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::Malformed("the body could not be read".to_owned())
        }
    }
}

/// A JSON body of type `T`: 400 when it is not JSON, 422 naming `shape` when it does not fit.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    shape: &str,
) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ApiError::Malformed(format!("the body is not JSON: {e}"))
        } else {
            ApiError::Invalid(format!("the body must be {shape}: {e}"))
        }
    })
}

/// Turns a storage or agent failure into [`ApiError::Internal`].
pub(crate) trait OrInternal<T> {
    /// `Err(e)` becomes a 500 for `request_id`, logged with `context`.
    fn or_internal(self, request_id: &RequestId, context: &str) -> Result<T, ApiError>;
}

impl<T, E: Into<BoxError>> OrInternal<T> for Result<T, E> {
    fn or_internal(self, request_id: &RequestId, context: &str) -> Result<T, ApiError> {
        self.map_err(|e| ApiError::internal(request_id, context, e))
    }
}

/// A request's correlation id: the caller's `x-request-id` when it is a sensible one, else a
/// fresh one. As a response part it sets the `x-request-id` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestId(String);

impl RequestId {
    /// The id of a request with `headers` (as the extractor finds it).
    pub(crate) fn from_headers(headers: &HeaderMap) -> RequestId {
        RequestId(request_id(headers))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<RequestId, Infallible> {
        Ok(RequestId(request_id(&parts.headers)))
    }
}

impl IntoResponseParts for RequestId {
    type Error = Infallible;

    fn into_response_parts(self, mut parts: ResponseParts) -> Result<ResponseParts, Infallible> {
        // Always valid: visible ASCII (checked by `request_id`) or hex.
        if let Ok(value) = HeaderValue::from_str(&self.0) {
            parts.headers_mut().insert("x-request-id", value);
        }
        Ok(parts)
    }
}
