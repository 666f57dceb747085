//! [`Error`], everything this crate reports.

use std::time::Duration;

/// What went wrong calling a model, understanding a message or running a tool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client lacks a setting (a key, a base URL, a model).
    #[error("{provider}: not configured: {what}")]
    NotConfigured {
        /// The provider.
        provider: String,
        /// What is missing.
        what: String,
    },
    /// The provider answered with an error status (after any retries).
    #[error("{provider}: HTTP {status}{}: {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Http {
        /// The provider.
        provider: String,
        /// The HTTP status.
        status: u16,
        /// The provider's error code or status name (`RESOURCE_EXHAUSTED`, `API_KEY_INVALID`,
        /// `invalid_request_error`, …), when it gave one.
        code: Option<String>,
        /// The provider's message.
        message: String,
        /// How long the provider asked to wait before retrying, when it said.
        retry_after: Option<Duration>,
    },
    /// The connection failed (refused, reset, TLS, a body cut short).
    #[error("{provider}: transport error: {reason}")]
    Transport {
        /// The provider.
        provider: String,
        /// What failed.
        reason: String,
    },
    /// No answer within the request timeout.
    #[error("{provider}: no answer within {after:?}")]
    Timeout {
        /// The provider.
        provider: String,
        /// The timeout.
        after: Duration,
    },
    /// The provider answered but gave nothing usable: a blocked prompt, a safety stop, an empty
    /// or blank answer.
    #[error("{provider}: no usable answer: {reason}")]
    Blocked {
        /// The provider.
        provider: String,
        /// Why (the block or finish reason).
        reason: String,
    },
    /// The answer could not be decoded (garbage JSON, a truncated body, a bad stream frame, a
    /// structured answer that does not fit its schema).
    #[error("{provider}: malformed answer: {reason}")]
    Malformed {
        /// The provider.
        provider: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Calls are paused after consecutive failures.
    #[error("{provider}: circuit open after repeated failures; next try in {retry_in:?}")]
    CircuitOpen {
        /// The provider.
        provider: String,
        /// Until the breaker lets a trial call through.
        retry_in: Duration,
    },
    /// Every model of a fallback chain failed.
    #[error("every model failed: {}", failures.iter().map(|(_, e)| e.as_str()).collect::<Vec<_>>().join("; "))]
    Exhausted {
        /// Each provider and how it failed, in the order tried.
        failures: Vec<(String, String)>,
    },
    /// A prompt template is malformed, or a value it names is missing.
    #[error("prompt template: {reason}")]
    Template {
        /// What is wrong.
        reason: String,
    },
    /// The model called a tool that was not offered.
    #[error("unknown tool `{tool}`")]
    UnknownTool {
        /// The name it used.
        tool: String,
    },
    /// A tool cannot be put in a toolbox (a duplicate name, an invalid schema).
    #[error("tool `{tool}` cannot be offered: {reason}")]
    InvalidTool {
        /// The tool.
        tool: String,
        /// Why.
        reason: String,
    },
    /// A tool call's arguments do not fit the tool's schema.
    #[error("tool `{tool}`: bad arguments: {reason}")]
    ToolArguments {
        /// The tool.
        tool: String,
        /// What is wrong, in words the model can act on.
        reason: String,
    },
    /// A tool ran and failed.
    #[error("tool `{tool}` failed: {reason}")]
    Tool {
        /// The tool.
        tool: String,
        /// Why.
        reason: String,
    },
}

impl Error {
    /// The provider the error came from, if any.
    pub fn provider(&self) -> Option<&str> {
        match self {
            Error::NotConfigured { provider, .. }
            | Error::Http { provider, .. }
            | Error::Transport { provider, .. }
            | Error::Timeout { provider, .. }
            | Error::Blocked { provider, .. }
            | Error::Malformed { provider, .. }
            | Error::CircuitOpen { provider, .. } => Some(provider),
            _ => None,
        }
    }
}
