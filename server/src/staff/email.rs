//! Staff notices by email: one plain-text message over SMTP (lettre) to every `STAFF_EMAIL_TO`
//! address.
//!
//! # `SMTP_URL`
//!
//! `smtp://[user:password@]host[:port][?tls=starttls|required|none]` or
//! `smtps://[user:password@]host[:port]`, user and password percent-encoded:
//!
//! - `smtp://`, `tls=starttls` or `tls=required` (the same; the default): STARTTLS, which must
//!   succeed. Never opportunistic: a stripped STARTTLS would send the password in clear.
//!   Port 587 by default.
//! - `smtp://`, `tls=none`: no TLS, port 25 by default. With a password only to this machine
//!   (a local relay, a test).
//! - `smtps://`: TLS from the first byte, port 465 by default.
//!
//! Certificates are checked against the webpki (Mozilla) roots. AUTH PLAIN or LOGIN is used
//! when a password is given.
//!
//! # Outcomes
//!
//! `250` after the message is delivered. A 4xx reply (RFC 5321's transient negative
//! completion), a timeout, a refused or dropped connection, a garbled reply and a failed TLS
//! handshake are worth retrying; a 5xx reply, and what the client refuses to send (no common
//! AUTH mechanism, for one), are permanent.

use std::time::{Duration, SystemTime};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use reqwest::Url;
use sha2::{Digest, Sha256};

use super::config::is_loopback;
use super::{Delivery, Notice, describe};

/// How long one message may take, from connecting to the server's `250`, unless configured
/// otherwise. lettre's own timeout covers only connecting.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    /// STARTTLS, required.
    Starttls,
    /// TLS from the first byte.
    Implicit,
    /// None.
    Plain,
}

/// A checked `SMTP_URL`.
#[derive(Clone)]
pub(crate) struct SmtpUrl {
    /// Holds the credentials; lettre's `Debug` of them prints nothing.
    builder: AsyncSmtpTransportBuilder,
    /// What logs show: without the password.
    shown: String,
}

impl std::fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl SmtpUrl {
    /// Checks `raw` (see the module documentation). Errors never quote the URL: it may hold
    /// the password.
    pub(crate) fn parse(raw: &str) -> Result<SmtpUrl, String> {
        let url = Url::parse(raw).map_err(|e| format!("is not a URL: {e}"))?;
        let mut tls_param = None;
        for (key, value) in url.query_pairs() {
            if key != "tls" {
                return Err(format!(
                    "has an unknown parameter `{key}` (only tls=starttls|required|none)"
                ));
            }
            tls_param = Some(value.into_owned());
        }
        let tls = match (url.scheme(), tls_param.as_deref()) {
            ("smtp", None | Some("starttls" | "required")) => Tls::Starttls,
            ("smtp", Some("none")) => Tls::Plain,
            ("smtp", Some(other)) => {
                return Err(format!(
                    "has tls={other}; use tls=starttls (or required) or tls=none"
                ));
            }
            ("smtps", None) => Tls::Implicit,
            ("smtps", Some(_)) => {
                return Err("is smtps:// (TLS from the start) and takes no tls= parameter".into());
            }
            (scheme, _) => {
                return Err(format!("has scheme `{scheme}`; use smtp:// or smtps://"));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("has no host")?;
        if !url.username().is_empty() && url.password().is_none() {
            return Err("has a user but no password".into());
        }
        if url.password().is_some() && tls == Tls::Plain && !is_loopback(&url) {
            return Err(
                "would send the password unencrypted (tls=none) to another machine; use \
                 tls=starttls or smtps://"
                    .into(),
            );
        }
        // lettre's URL vocabulary: STARTTLS required is `tls=required`, no TLS no parameter.
        let mut for_lettre = url.clone();
        for_lettre.set_query((tls == Tls::Starttls).then_some("tls=required"));
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(for_lettre.as_str())
            .map_err(|e| format!("is not usable: {e}"))?;
        let port = url.port().unwrap_or(match tls {
            Tls::Starttls => 587,
            Tls::Implicit => 465,
            Tls::Plain => 25,
        });
        let user = match url.username() {
            "" => String::new(),
            user => format!("{user}@"),
        };
        let protection = match tls {
            Tls::Starttls => "STARTTLS",
            Tls::Implicit => "TLS",
            Tls::Plain => "no TLS",
        };
        Ok(SmtpUrl {
            builder,
            shown: format!("{}://{user}{host}:{port} ({protection})", url.scheme()),
        })
    }
}

/// Sends notices by email.
#[derive(Clone)]
pub(crate) struct Email {
    pub(crate) smtp: SmtpUrl,
    pub(crate) from: Mailbox,
    pub(crate) to: Mailboxes,
    timeout: Duration,
}

impl Email {
    /// Mail from `from` to `to` through `smtp`, each message given up after `timeout`.
    pub(crate) fn new(smtp: SmtpUrl, from: Mailbox, to: Mailboxes, timeout: Duration) -> Email {
        Email {
            smtp,
            from,
            to,
            timeout,
        }
    }

    /// The same sender giving up after `timeout`.
    pub(crate) fn with_timeout(&self, timeout: Duration) -> Email {
        Email {
            timeout,
            ..self.clone()
        }
    }

    /// Mails `notice` (linking to the conversation under `console`, when set) over one new
    /// connection.
    pub(crate) async fn send(
        &self,
        notice: &Notice,
        console: Option<&Url>,
    ) -> Result<(), Delivery> {
        let message = self.message(notice, console)?;
        // Built per message: without lettre's pool, a transport is only its settings.
        let transport = self
            .smtp
            .builder
            .clone()
            .timeout(Some(self.timeout))
            .build::<Tokio1Executor>();
        match tokio::time::timeout(self.timeout, transport.send(message)).await {
            Err(_) => Err(Delivery::Timeout(self.timeout)),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(self.failed(&e)),
        }
    }

    fn message(&self, notice: &Notice, console: Option<&Url>) -> Result<Message, Delivery> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(notice.subject())
            // The notice's time, not the clock's: a retry is the same message.
            .date(SystemTime::from(notice.at()))
            .message_id(Some(self.message_id(notice)));
        for to in self.to.iter() {
            builder = builder.to(to.clone());
        }
        builder
            .header(ContentType::TEXT_PLAIN)
            .body(notice.plain_text(console))
            .map_err(|e| Delivery::Invalid(format!("building the message: {e}")))
    }

    /// The same id for every attempt at one notice, so that a message delivered twice (the
    /// `250` lost, the attempt retried) can be recognised as one.
    fn message_id(&self, notice: &Notice) -> String {
        let mut hash = Sha256::new();
        for part in [
            notice.thread_id(),
            notice.reason().as_str(),
            &notice.at().to_rfc3339(),
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        let digest = hex::encode(hash.finalize());
        format!("<handoff.{}@{}>", &digest[..32], self.from.email.domain())
    }

    fn failed(&self, error: &lettre::transport::smtp::Error) -> Delivery {
        if let Some(code) = error.status() {
            let code = u16::from(code);
            let message = error.to_string();
            if error.is_transient() {
                Delivery::SmtpTransient { code, message }
            } else {
                Delivery::SmtpRejected { code, message }
            }
        } else if error.is_timeout() {
            Delivery::Timeout(self.timeout)
        } else if error.is_client() {
            Delivery::Invalid(describe(error))
        } else {
            Delivery::Connection(describe(error))
        }
    }
}
