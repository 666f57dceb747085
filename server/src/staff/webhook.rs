//! The staff webhook: a notice POSTed as Slack-compatible JSON, signed so that the receiver can
//! tell it came from this server and was not changed or replayed.
//!
//! # Body
//!
//! `{"text": "<one-line fallback>", "blocks": [{"type": "section", "text": {"type": "mrkdwn",
//! "text": "…", "verbatim": true}}, …]}`: what a Slack incoming webhook takes as is, so the URL
//! may be Slack's own (it ignores the extra headers). Text from the guest is escaped as Slack
//! documents (`&` → `&amp;`, `<` → `&lt;`, `>` → `&gt;`), so it cannot form links or mentions.
//!
//! # Signature (`v1`)
//!
//! Every POST carries two headers:
//!
//! - `X-Hotel-Timestamp: <unix seconds when sent>`
//! - `X-Hotel-Signature: v1=<64 lowercase hex digits>`: HMAC-SHA256, keyed with
//!   `STAFF_WEBHOOK_SECRET`, of the bytes `v1:{timestamp}:{body}` (the timestamp header's value
//!   and the raw body as sent).
//!
//! A receiver recomputes it over the body as received and compares in constant time
//! ([`verify`] does both), and refuses timestamps more than five minutes from its own clock so
//! that a captured request cannot be replayed later. The scheme follows Slack's request signing
//! (`v0:`) under its own version, so neither is taken for the other. Each attempt is signed
//! afresh: a retry carries a new timestamp.
//!
//! # Outcomes
//!
//! Any 2xx is delivered. A timeout, a connection failure, 408, 429 and 5xx are worth retrying
//! (with the `Retry-After` delay when the answer has one); anything else is permanent: other
//! 4xx, and 3xx, since redirects are not followed (the request was signed for this URL, and a
//! redirected POST may turn into a GET).

use std::time::Duration;

use chrono::DateTime;
use hmac::{Hmac, Mac};
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, DATE, HeaderMap, RETRY_AFTER, USER_AGENT};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{Delivery, Notice, describe};

/// The header with the signature, `v1=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Hotel-Signature";

/// The header with the unix time the request was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Hotel-Timestamp";

/// How long a POST may take, connecting included, unless configured otherwise.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest `Retry-After` honoured: staff must still hear about a waiting guest today,
/// whatever a receiver asks for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How much of a refusal's body is kept for the log.
const MAX_DETAIL_BYTES: usize = 300;

/// Posts notices to one URL.
#[derive(Clone)]
pub(crate) struct Webhook {
    url: Url,
    /// The HMAC keyed with the secret, cloned for each signature.
    key: Hmac<Sha256>,
    http: reqwest::Client,
    timeout: Duration,
}

impl Webhook {
    /// A client for `url` signing with `secret`, giving up after `timeout`.
    pub(crate) fn new(url: Url, secret: &str, timeout: Duration) -> Result<Webhook, String> {
        let key = mac(secret).ok_or("cannot key HMAC-SHA256 with this secret")?;
        Ok(Webhook {
            url,
            key,
            http: client(timeout)?,
            timeout,
        })
    }

    /// The same webhook giving up after `timeout`.
    pub(crate) fn with_timeout(&self, timeout: Duration) -> Result<Webhook, String> {
        Ok(Webhook {
            http: client(timeout)?,
            timeout,
            ..self.clone()
        })
    }

    /// Scheme, host and port only: the path of a Slack webhook URL is its credential.
    pub(crate) fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    /// POSTs `notice` (linking to the conversation under `console`, when set) and reads the
    /// answer's status.
    pub(crate) async fn send(
        &self,
        notice: &Notice,
        console: Option<&Url>,
    ) -> Result<(), Delivery> {
        let body = serde_json::to_vec(&payload(notice, console))
            .map_err(|e| Delivery::Invalid(format!("encoding the JSON body: {e}")))?;
        // Only the signature's timestamp reads the clock: it says when this attempt was made.
        let timestamp = (graph_core::system_clock() / 1000).to_string();
        let mut mac = self.key.clone();
        mac.update(&signed_bytes(&timestamp, &body));
        let signature = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
        let response = self
            .http
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, "hotel-agent-staff-notify")
            .header(TIMESTAMP_HEADER, &timestamp)
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| self.failed(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = retry_after(response.headers());
        let detail = detail(response).await;
        let status = status.as_u16();
        Err(match status {
            429 => Delivery::RateLimited { retry_after },
            408 | 500..=599 => Delivery::Unavailable {
                status,
                retry_after,
                detail,
            },
            _ => Delivery::Rejected { status, detail },
        })
    }

    fn failed(&self, error: reqwest::Error) -> Delivery {
        if error.is_timeout() {
            Delivery::Timeout(self.timeout)
        } else {
            // Without the URL: a Slack webhook's path is its credential.
            Delivery::Connection(describe(&error.without_url()))
        }
    }
}

/// The JSON body for `notice`: the `text` fallback and one `mrkdwn` section per part.
pub fn payload(notice: &Notice, console: Option<&Url>) -> Value {
    let blocks: Vec<Value> = notice
        .slack_sections(console)
        .into_iter()
        .map(|text| {
            // `verbatim`: Slack must not turn a guest's words into links or channel mentions.
            json!({"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": true}})
        })
        .collect();
    json!({"text": notice.slack_fallback(), "blocks": blocks})
}

/// Whether `signature_header` (`v1=<hex>`) is the signature of `body` sent at `timestamp` (the
/// `X-Hotel-Timestamp` value) under `secret`. The comparison is constant-time
/// ([`Mac::verify_slice`] compares with `subtle`). It does not judge the timestamp's age: a
/// receiver should also refuse one more than five minutes from its clock.
pub fn verify(secret: &str, timestamp: &str, body: &[u8], signature_header: &str) -> bool {
    let digits = !timestamp.is_empty() && timestamp.bytes().all(|b| b.is_ascii_digit());
    let Some(digest) = signature_header
        .trim()
        .strip_prefix("v1=")
        .filter(|hex| hex.len() == 64)
        .and_then(|hex| hex::decode(hex).ok())
    else {
        return false;
    };
    let Some(mut mac) = mac(secret) else {
        return false;
    };
    mac.update(&signed_bytes(timestamp, body));
    digits && mac.verify_slice(&digest).is_ok()
}

/// `v1:{timestamp}:{body}`: what the signature covers.
fn signed_bytes(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(body.len() + timestamp.len() + 4);
    bytes.extend_from_slice(b"v1:");
    bytes.extend_from_slice(timestamp.as_bytes());
    bytes.push(b':');
    bytes.extend_from_slice(body);
    bytes
}

/// HMAC-SHA256 keyed with `secret` (HMAC takes keys of any length; `None` is unreachable).
fn mac(secret: &str) -> Option<Hmac<Sha256>> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()
}

fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// How long the answer asks to wait: `Retry-After` in seconds, or as an HTTP date measured
/// against the answer's own `Date` (so that neither clock's skew counts); at most an hour.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let delay = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let until = DateTime::parse_from_rfc2822(value).ok()?;
            let now = DateTime::parse_from_rfc2822(headers.get(DATE)?.to_str().ok()?).ok()?;
            (until - now).to_std().unwrap_or(Duration::ZERO)
        }
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// The start of a refusal's body, on one line, for the log; empty if it cannot be read.
async fn detail(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < MAX_DETAIL_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    bytes.truncate(MAX_DETAIL_BYTES);
    String::from_utf8_lossy(&bytes)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}
