//! The Send APIs: one text message to one guest, and what a failure means for retrying.
//!
//! Instagram: `POST {base}/{version}/{account id or me}/messages` with
//! `{"recipient":{"id"},"message":{"text"}}`. WhatsApp: `POST {base}/{version}/{phone number
//! id}/messages` with `{"messaging_product":"whatsapp","to","type":"text","text":{"body"}}`.
//! Both take a Bearer token. A part may go out in another [`Form`]: Instagram's human agent
//! tag, a WhatsApp template. Errors are classified by Graph API `code`, not HTTP status.

use std::time::Duration;

use serde::Deserialize;

use super::Channel;
use super::form::Form;

/// Where and as whom a channel sends.
#[derive(Clone)]
pub struct Endpoint {
    /// `https://graph.instagram.com`, `https://graph.facebook.com` or a test server.
    pub base_url: String,
    /// The Graph API version, e.g. `v25.0`.
    pub version: String,
    /// The Instagram account id (or `me`) or the WhatsApp phone number id.
    pub sender_id: String,
    /// The access token.
    pub token: String,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("sender_id", &self.sender_id)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Why a send failed, and whether trying again later can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Worth retrying (rate limits, Meta's transient errors, 5xx, network trouble).
    pub retry: bool,
    /// What happened, for the log and the outbox row.
    pub reason: String,
}

/// Sends text messages through the Send APIs.
#[derive(Debug, Clone)]
pub struct SendApi {
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct GraphError {
    error: GraphErrorBody,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    message: String,
}

/// Graph API error codes that mean "not now" rather than "never": temporary failures and
/// the app, account, business and pair rate limits of both platforms.
const TRANSIENT_CODES: &[i64] = &[
    1, 2, 4, 17, 32, 613, 80002, 80007, 130429, 131000, 131016, 131056,
];

impl SendApi {
    /// A client whose requests give up after `timeout`.
    pub fn new(timeout: Duration) -> Result<SendApi, reqwest::Error> {
        Ok(SendApi {
            http: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .build()?,
        })
    }

    /// Sends `text` to `recipient` on `channel` through `endpoint`, in `form`; the platform's
    /// message id on success.
    pub async fn send(
        &self,
        channel: Channel,
        endpoint: &Endpoint,
        recipient: &str,
        text: &str,
        form: &Form,
    ) -> Result<String, SendError> {
        let url = format!(
            "{}/{}/{}/messages",
            endpoint.base_url.trim_end_matches('/'),
            endpoint.version,
            endpoint.sender_id
        );
        let body = match channel {
            Channel::Instagram => form.instagram_body(recipient, text),
            Channel::Whatsapp => form.whatsapp_body(recipient, text),
        };
        let response = self
            .http
            .post(&url)
            .bearer_auth(&endpoint.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError {
                retry: true,
                reason: format!("{channel} send failed: {}", transport(&e)),
            })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| SendError {
            retry: true,
            reason: format!(
                "{channel} send: reading the answer failed: {}",
                transport(&e)
            ),
        })?;
        if status.is_success() {
            let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let id = match channel {
                Channel::Instagram => value["message_id"].as_str(),
                Channel::Whatsapp => value["messages"][0]["id"].as_str(),
            };
            return Ok(id.unwrap_or_default().to_owned());
        }
        Err(classify(channel, status, &bytes))
    }
}

fn transport(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        error.to_string()
    }
}

fn classify(channel: Channel, status: reqwest::StatusCode, body: &[u8]) -> SendError {
    match serde_json::from_slice::<GraphError>(body) {
        Ok(GraphError { error }) => {
            let subcode = error
                .error_subcode
                .map(|s| format!("/{s}"))
                .unwrap_or_default();
            SendError {
                // The code decides, except that 429 and 5xx always mean "later".
                retry: TRANSIENT_CODES.contains(&error.code)
                    || status.as_u16() == 429
                    || status.is_server_error(),
                reason: format!(
                    "{channel} send refused (HTTP {}, code {}{subcode}): {}",
                    status.as_u16(),
                    error.code,
                    error.message
                ),
            }
        }
        Err(_) => SendError {
            retry: status.as_u16() == 429 || status.is_server_error(),
            reason: format!(
                "{channel} send failed with HTTP {}: {}",
                status.as_u16(),
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ),
        },
    }
}
