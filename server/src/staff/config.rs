//! The staff notification settings, read through a lookup closure (the process environment in
//! production, a map in tests), checked with errors that name the variable, and shown without
//! secrets.
//!
//! | Variable | |
//! | --- | --- |
//! | `STAFF_WEBHOOK_URL` | where to POST notices; `https://` (`http://` only to this machine) |
//! | `STAFF_WEBHOOK_SECRET` | the signing key, at least 16 bytes; required with the URL |
//! | `SMTP_URL` | the mail server, see [`super::email`] |
//! | `STAFF_EMAIL_FROM` | the sender, `Hotel Agent <agent@hotel.example>` |
//! | `STAFF_EMAIL_TO` | the recipients, comma-separated |
//! | `CONSOLE_BASE_URL` | the staff console; notices link to `{base}/{thread id}` |
//!
//! Every variable is optional; the three email ones go together. Values are trimmed (a secret
//! read from a file keeps no newline), and an empty one counts as unset.

use std::fmt;
use std::net::IpAddr;

use lettre::message::{Mailbox, Mailboxes};
use reqwest::Url;

use super::StaffNotify;
use super::email::{self, Email, SmtpUrl};
use super::webhook::{self, Webhook};
use crate::Error;

const WEBHOOK_URL: &str = "STAFF_WEBHOOK_URL";
const WEBHOOK_SECRET: &str = "STAFF_WEBHOOK_SECRET";
const SMTP_URL: &str = "SMTP_URL";
const EMAIL_FROM: &str = "STAFF_EMAIL_FROM";
const EMAIL_TO: &str = "STAFF_EMAIL_TO";
const CONSOLE_BASE_URL: &str = "CONSOLE_BASE_URL";

/// The shortest webhook secret accepted, in bytes: 128 bits, out of reach of guessing.
pub const MIN_SECRET_BYTES: usize = 16;

impl StaffNotify {
    /// The settings `lookup` gives for the variables in the table above (for the process
    /// environment, `|name| std::env::var(name).ok()`).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<StaffNotify, Error> {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let webhook = match (get(WEBHOOK_URL), get(WEBHOOK_SECRET)) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(invalid(
                    WEBHOOK_SECRET,
                    format!("is set but {WEBHOOK_URL} is not"),
                ));
            }
            (Some(_), None) => {
                return Err(invalid(
                    WEBHOOK_SECRET,
                    format!("is required with {WEBHOOK_URL}: receivers check each POST with it"),
                ));
            }
            (Some(url), Some(secret)) => Some(webhook_target(&url, &secret)?),
        };
        let email = match (get(SMTP_URL), get(EMAIL_FROM), get(EMAIL_TO)) {
            (None, None, None) => None,
            (smtp, from, to) => {
                let missing = |name: &'static str| {
                    invalid(
                        name,
                        format!(
                            "is required for email: {SMTP_URL}, {EMAIL_FROM} and {EMAIL_TO} go together"
                        ),
                    )
                };
                let smtp = smtp.ok_or_else(|| missing(SMTP_URL))?;
                let from = from.ok_or_else(|| missing(EMAIL_FROM))?;
                let to = to.ok_or_else(|| missing(EMAIL_TO))?;
                Some(email_target(&smtp, &from, &to)?)
            }
        };
        let console = match get(CONSOLE_BASE_URL) {
            Some(raw) => Some(console_base(&raw)?),
            None => None,
        };
        Ok(StaffNotify {
            webhook,
            email,
            console,
        })
    }
}

fn webhook_target(raw: &str, secret: &str) -> Result<Webhook, Error> {
    // The URL is never quoted back: a Slack webhook's path is its credential.
    let url = Url::parse(raw).map_err(|e| invalid(WEBHOOK_URL, format!("is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(invalid(
                WEBHOOK_URL,
                "is http:// to another machine; guests' words must travel encrypted (https://)",
            ));
        }
        scheme => {
            return Err(invalid(
                WEBHOOK_URL,
                format!("has scheme `{scheme}`; use https://"),
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(WEBHOOK_URL, "has no host"));
    }
    if secret.len() < MIN_SECRET_BYTES {
        return Err(invalid(
            WEBHOOK_SECRET,
            format!(
                "is {} bytes long; use at least {MIN_SECRET_BYTES} (e.g. `openssl rand -hex 32`)",
                secret.len()
            ),
        ));
    }
    Webhook::new(url, secret, webhook::DEFAULT_TIMEOUT)
        .map_err(|e| Error::Startup(format!("the staff webhook: {e}")))
}

fn email_target(smtp: &str, from: &str, to: &str) -> Result<Email, Error> {
    let smtp = SmtpUrl::parse(smtp).map_err(|e| invalid(SMTP_URL, e))?;
    let from: Mailbox = from.parse().map_err(|e| {
        invalid(
            EMAIL_FROM,
            format!("is not an address like `Hotel <agent@hotel.example>`: {e}"),
        )
    })?;
    let to: Mailboxes = to.parse().map_err(|e| {
        invalid(
            EMAIL_TO,
            format!("is not a comma-separated list of addresses: {e}"),
        )
    })?;
    if to.iter().next().is_none() {
        return Err(invalid(EMAIL_TO, "names no address"));
    }
    Ok(Email::new(smtp, from, to, email::DEFAULT_TIMEOUT))
}

fn console_base(raw: &str) -> Result<Url, Error> {
    let url =
        Url::parse(raw).map_err(|e| invalid(CONSOLE_BASE_URL, format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(
            CONSOLE_BASE_URL,
            format!("`{raw}` is not an http:// or https:// URL"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            CONSOLE_BASE_URL,
            format!("`{raw}` has a ?query or #fragment; the thread id is appended to the path"),
        ));
    }
    Ok(url)
}

/// Whether `url`'s host is this machine: `localhost`, `127.0.0.0/8` or `::1`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    // IPv6 hosts come bracketed; for non-special schemes (`smtp`) IPv4 ones are plain text.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn invalid(variable: &'static str, reason: impl Into<String>) -> Error {
    Error::Config {
        variable,
        reason: reason.into(),
    }
}

impl fmt::Display for StaffNotify {
    /// One line for the startup log: the targets, without the webhook's path, the secret or
    /// the SMTP password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(webhook) = &self.webhook {
            parts.push(format!("webhook to {} (signed)", webhook.origin()));
        }
        if let Some(email) = &self.email {
            parts.push(format!(
                "email via {} from {} to {}",
                email.smtp, email.from, email.to
            ));
        }
        if parts.is_empty() {
            parts.push("no staff notifications".to_owned());
        }
        if let Some(console) = &self.console {
            parts.push(format!("console {console}"));
        }
        f.write_str(&parts.join("; "))
    }
}

impl fmt::Debug for StaffNotify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffNotify")
            .field(
                "webhook",
                &self.webhook.as_ref().map(|webhook| webhook.origin()),
            )
            .field(
                "webhook_secret",
                &self.webhook.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "smtp",
                &self.email.as_ref().map(|email| email.smtp.to_string()),
            )
            .field(
                "email_from",
                &self.email.as_ref().map(|email| email.from.to_string()),
            )
            .field(
                "email_to",
                &self.email.as_ref().map(|email| email.to.to_string()),
            )
            .field("console", &self.console.as_ref().map(Url::as_str))
            .finish()
    }
}
