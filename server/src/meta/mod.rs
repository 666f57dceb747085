//! Meta's messaging platforms: webhook signatures, the Instagram and WhatsApp webhook payloads,
//! their Send APIs, and splitting replies at each platform's length limit. Formats follow
//! Meta's public documentation: webhooks and signatures
//! (<https://developers.facebook.com/docs/graph-api/webhooks/getting-started>), the Instagram
//! messaging API (<https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/messaging-api>)
//! and the WhatsApp Cloud API (<https://developers.facebook.com/docs/whatsapp/cloud-api>).

pub mod form;
pub mod instagram;
pub mod send;
pub mod signature;
pub mod split;
pub mod whatsapp;

use std::fmt;

use serde::{Deserialize, Serialize};

/// A messaging channel the server answers on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Instagram Direct Messages.
    Instagram,
    /// WhatsApp Cloud API.
    Whatsapp,
}

impl Channel {
    /// Both channels.
    pub const ALL: [Channel; 2] = [Channel::Instagram, Channel::Whatsapp];

    /// `instagram` or `whatsapp`: the thread prefix, the metric label and the URL segment.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Instagram => "instagram",
            Channel::Whatsapp => "whatsapp",
        }
    }

    /// The channel named `name`.
    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The longest text one message may carry, in the unit [`split::split`] measures.
    pub fn limit(self) -> split::Limit {
        match self {
            // UTF-8 bytes (Instagram counts bytes, so accents and emoji take 2–4).
            Channel::Instagram => split::Limit::Bytes(1000),
            Channel::Whatsapp => split::Limit::Chars(4096),
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a guest sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Text (a typed message, or the title of a tapped button).
    Text(String),
    /// Something the agent cannot read (an image, a voice note, a location…): its kind.
    Unsupported(String),
}

/// One guest message from a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// Where it came from.
    pub channel: Channel,
    /// Meta's id for it (`mid` / `wamid`): the deduplication key.
    pub message_id: String,
    /// The guest: the Instagram-scoped id, or the WhatsApp user id (the business-scoped id
    /// when present, else the phone number). Replies go to it.
    pub sender: String,
    /// What they sent.
    pub content: Content,
    /// When they sent it, in milliseconds since the Unix epoch.
    pub sent_at_ms: i64,
}

/// A WhatsApp message of ours that Meta reports it could not deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryFailure {
    /// The `wamid` of our message.
    pub message_id: String,
    /// Who it was for.
    pub recipient: String,
    /// Meta's error code (131047: outside the 24-hour window), 0 when absent.
    pub code: i64,
    /// Meta's explanation.
    pub detail: String,
}

/// Everything one webhook delivery carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Guest messages, in payload order.
    pub messages: Vec<Inbound>,
    /// Failed-delivery statuses of our messages.
    pub failures: Vec<DeliveryFailure>,
    /// Events ignored on purpose: echoes of our own messages, reads, reactions, delivery
    /// statuses, other apps' threads, fields we do not subscribe to, unknown kinds.
    pub ignored: usize,
}

/// Why a webhook body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError(pub String);

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses `body` as JSON, checks it is a webhook envelope (an object whose `entry`, when
/// present, is a list), and returns its entries with an empty delivery to fill. An envelope
/// for another `object` than `expected` has no entries to read, and counts as ignored.
fn envelope(
    body: &[u8],
    expected: &str,
) -> Result<(Vec<serde_json::Value>, Delivery), PayloadError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| PayloadError(format!("the body is not JSON: {e}")))?;
    let serde_json::Value::Object(mut map) = value else {
        return Err(PayloadError("the body is not a JSON object".into()));
    };
    let object = match map.remove("object") {
        Some(serde_json::Value::String(object)) => object,
        None => String::new(),
        Some(_) => return Err(PayloadError("`object` is not a string".into())),
    };
    let entries = match map.remove("entry") {
        Some(serde_json::Value::Array(entries)) => entries,
        None => Vec::new(),
        Some(_) => return Err(PayloadError("`entry` is not a list".into())),
    };
    if object == expected {
        return Ok((entries, Delivery::default()));
    }
    let foreign = Delivery {
        ignored: entries.len().max(1),
        ..Delivery::default()
    };
    Ok((Vec::new(), foreign))
}

/// Reads a JSON value as `T`, or `None` when it has another shape: one odd event must not
/// cost the rest of its batch.
fn lenient<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Option<T> {
    serde_json::from_value(value).ok()
}

/// An id Meta may send as a string or a number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Id(String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Id(s)),
            serde_json::Value::Number(n) => Ok(Id(n.to_string())),
            _ => Err(serde::de::Error::custom("an id is a string or a number")),
        }
    }
}
