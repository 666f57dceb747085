//! Telling hotel staff that a guest was handed to a person: a signed, Slack-compatible webhook
//! ([`webhook`]) and/or an email over SMTP ([`email`]), configured from the environment
//! ([`config`]). Each attempt reports whether it was delivered, is worth retrying, or never
//! will be ([`Delivery`]); retrying is the caller's business (the scheduler's notice jobs).

mod config;
mod email;
mod notice;
mod webhook;

use std::time::Duration;

use reqwest::Url;

use crate::Error;
use email::Email;
use webhook::Webhook;

pub use config::MIN_SECRET_BYTES;
pub use notice::{HandoffReason, MAX_EXCERPT_CHARS, Notice};
pub use webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, payload, verify};

/// Where notices go: the configured webhook, the configured mailboxes, or both.
#[derive(Clone)]
pub struct StaffNotify {
    webhook: Option<Webhook>,
    email: Option<Email>,
    /// The staff console's base URL: notices link to `{base}/{thread id}`.
    console: Option<Url>,
}

/// One way of telling staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The `STAFF_WEBHOOK_URL` POST.
    Webhook,
    /// The email to `STAFF_EMAIL_TO`.
    Email,
}

impl Target {
    /// `webhook` or `email`.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Webhook => "webhook",
            Target::Email => "email",
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a notice was not delivered, and whether trying again later can help
/// ([`Delivery::is_retryable`]). The texts name no secret and no webhook path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Delivery {
    /// No answer in time. Retryable.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection could not be made, or broke (TLS included). Retryable.
    #[error("connection failed: {0}")]
    Connection(String),
    /// HTTP 429. Retryable, after `retry_after` when the receiver said.
    #[error("rate limited (HTTP 429){}", after(.retry_after))]
    RateLimited {
        /// The `Retry-After` delay (at most an hour).
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx or 408. Retryable.
    #[error("HTTP {status}{}: {detail}", after(.retry_after))]
    Unavailable {
        /// The status.
        status: u16,
        /// The `Retry-After` delay (at most an hour).
        retry_after: Option<Duration>,
        /// The start of the answer's body.
        detail: String,
    },
    /// Any other HTTP answer (4xx, or a redirect, which is not followed). Permanent.
    #[error("refused with HTTP {status}: {detail}")]
    Rejected {
        /// The status.
        status: u16,
        /// The start of the answer's body.
        detail: String,
    },
    /// An SMTP 4xx reply. Retryable.
    #[error("SMTP {message}")]
    SmtpTransient {
        /// The reply code.
        code: u16,
        /// The reply.
        message: String,
    },
    /// An SMTP 5xx reply. Permanent.
    #[error("SMTP {message}")]
    SmtpRejected {
        /// The reply code.
        code: u16,
        /// The reply.
        message: String,
    },
    /// The notice cannot be sent this way at all (it cannot be encoded, the server lacks
    /// what the client needs, the target is not configured). Permanent.
    #[error("cannot send: {0}")]
    Invalid(String),
}

fn after(delay: &Option<Duration>) -> String {
    delay.map_or_else(String::new, |d| format!(", retry after {}s", d.as_secs()))
}

impl Delivery {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Delivery::Timeout(_)
            | Delivery::Connection(_)
            | Delivery::RateLimited { .. }
            | Delivery::Unavailable { .. }
            | Delivery::SmtpTransient { .. } => true,
            Delivery::Rejected { .. } | Delivery::SmtpRejected { .. } | Delivery::Invalid(_) => {
                false
            }
        }
    }

    /// How long the receiver asked to be left alone (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Delivery::RateLimited { retry_after } | Delivery::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

impl StaffNotify {
    /// The settings from the process environment; see [`StaffNotify::from_lookup`].
    pub fn from_env() -> Result<StaffNotify, Error> {
        StaffNotify::from_lookup(|name| std::env::var(name).ok())
    }

    /// The same targets, each attempt given up after `timeout` (by default 10 s for the
    /// webhook, 30 s for an email).
    pub fn with_timeout(self, timeout: Duration) -> Result<StaffNotify, Error> {
        let webhook = match &self.webhook {
            Some(webhook) => Some(
                webhook
                    .with_timeout(timeout)
                    .map_err(|e| Error::Startup(format!("the staff webhook: {e}")))?,
            ),
            None => None,
        };
        Ok(StaffNotify {
            webhook,
            email: self.email.as_ref().map(|email| email.with_timeout(timeout)),
            console: self.console,
        })
    }

    /// The configured targets, webhook first.
    pub fn targets(&self) -> Vec<Target> {
        let mut targets = Vec::new();
        if self.webhook.is_some() {
            targets.push(Target::Webhook);
        }
        if self.email.is_some() {
            targets.push(Target::Email);
        }
        targets
    }

    /// Whether no target is configured (staff are told nothing).
    pub fn is_empty(&self) -> bool {
        self.webhook.is_none() && self.email.is_none()
    }

    /// The console page of `notice`'s conversation, when `CONSOLE_BASE_URL` is set.
    pub fn console_link(&self, notice: &Notice) -> Option<String> {
        let base = self.console.as_ref()?;
        Some(notice::console_link(base, notice.thread_id()).into())
    }

    /// Sends `notice` to every configured target at once; one outcome per target, in
    /// [`StaffNotify::targets`]' order. Nothing is retried here.
    pub async fn notify(&self, notice: &Notice) -> Vec<(Target, Result<(), Delivery>)> {
        let webhook = async {
            match &self.webhook {
                Some(webhook) => Some(webhook.send(notice, self.console.as_ref()).await),
                None => None,
            }
        };
        let email = async {
            match &self.email {
                Some(email) => Some(email.send(notice, self.console.as_ref()).await),
                None => None,
            }
        };
        let (webhook, email) = tokio::join!(webhook, email);
        [(Target::Webhook, webhook), (Target::Email, email)]
            .into_iter()
            .filter_map(|(target, outcome)| outcome.map(|outcome| (target, outcome)))
            .collect()
    }

    /// Sends `notice` to `target` alone: a retry of the one that failed.
    pub async fn send(&self, target: Target, notice: &Notice) -> Result<(), Delivery> {
        let console = self.console.as_ref();
        match target {
            Target::Webhook => match &self.webhook {
                Some(webhook) => webhook.send(notice, console).await,
                None => Err(Delivery::Invalid("no staff webhook is configured".into())),
            },
            Target::Email => match &self.email {
                Some(email) => email.send(notice, console).await,
                None => Err(Delivery::Invalid("no staff email is configured".into())),
            },
        }
    }
}

/// `error` and its sources, `: `-separated, for the log.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let shown = cause.to_string();
        // Some errors repeat their source in their own text.
        if !text.contains(&shown) {
            text.push_str(": ");
            text.push_str(&shown);
        }
        source = cause.source();
    }
    text
}
