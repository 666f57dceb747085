//! The HTTP plumbing both clients share: one reqwest client, sending, reading bodies whole or
//! chunk by chunk under an idle timeout, and turning transport failures and server delays into
//! [`Error`]s.

use std::error::Error as _;
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};

use crate::error::Error;

/// A reqwest client for one model client. Timeouts are applied per attempt by
/// [`Resilience`](super::Resilience), not here, except for connecting.
pub(crate) fn client(provider: &str, connect_timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .user_agent(concat!("agent-nodes/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| transport_error(provider, &e))
}

/// An API key, kept out of `Debug` output (clients and their builders derive `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ApiKey(String);

impl ApiKey {
    pub(crate) fn new(key: String) -> Self {
        Self(key)
    }

    /// The key itself, for the request header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// A response's status, headers and whole body.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// Sends `request` and waits at most `timeout` for the response's head.
pub(crate) async fn send(
    provider: &str,
    request: RequestBuilder,
    timeout: Duration,
) -> Result<Response, Error> {
    match tokio::time::timeout(timeout, request.send()).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(e)) => Err(transport_error(provider, &e)),
        Err(_) => Err(Error::Timeout {
            provider: provider.to_owned(),
            after: timeout,
        }),
    }
}

/// Sends `request` and reads the whole answer (the caller bounds the time).
pub(crate) async fn exchange(provider: &str, request: RequestBuilder) -> Result<Answer, Error> {
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(provider, &e))?;
    read_all(provider, response).await
}

/// The largest answer body read: far above any chat answer, low enough that a broken or
/// hostile server cannot exhaust memory.
pub(crate) const MAX_BODY: usize = 8 << 20;

/// Reads the rest of `response`, up to [`MAX_BODY`] bytes.
pub(crate) async fn read_all(provider: &str, mut response: Response) -> Result<Answer, Error> {
    let status = response.status();
    let headers = response.headers().clone();
    let too_large = || Error::Malformed {
        provider: provider.to_owned(),
        reason: format!("the answer is larger than {} MiB", MAX_BODY >> 20),
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_BODY as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(provider, &e))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// Reads the rest of `response` within `timeout` (an error answer to a streaming request).
pub(crate) async fn read_all_within(
    provider: &str,
    response: Response,
    timeout: Duration,
) -> Result<Answer, Error> {
    tokio::time::timeout(timeout, read_all(provider, response))
        .await
        .map_err(|_| Error::Timeout {
            provider: provider.to_owned(),
            after: timeout,
        })?
}

/// The next chunk of a streamed body, `None` at its end; fails when none comes within `idle`.
pub(crate) async fn next_chunk(
    provider: &str,
    response: &mut Response,
    idle: Duration,
) -> Result<Option<Vec<u8>>, Error> {
    match tokio::time::timeout(idle, response.chunk()).await {
        Ok(Ok(chunk)) => Ok(chunk.map(|c| c.to_vec())),
        Ok(Err(e)) => Err(transport_error(provider, &e)),
        Err(_) => Err(Error::Timeout {
            provider: provider.to_owned(),
            after: idle,
        }),
    }
}

/// A reqwest failure with its causes spelled out (reqwest's own message is only the outer
/// layer: "error sending request").
pub(crate) fn transport_error(provider: &str, error: &reqwest::Error) -> Error {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    Error::Transport {
        provider: provider.to_owned(),
        reason,
    }
}

/// The `Retry-After` header in seconds (the HTTP-date form is not used by model providers).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    value.parse::<f64>().ok().and_then(seconds)
}

/// A protobuf Duration in its JSON form: `"23s"`, `"29.723877525s"`.
pub(crate) fn proto_duration(text: &str) -> Option<Duration> {
    text.trim()
        .strip_suffix('s')?
        .parse::<f64>()
        .ok()
        .and_then(seconds)
}

fn seconds(value: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(value).ok()
}

/// The body as text for an error message, cut to a readable length.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
