//! WhatsApp Cloud API webhook payloads (`object = "whatsapp_business_account"`): text,
//! button and list replies are kept; other message types become [`Content::Unsupported`];
//! `failed` statuses are reported, other statuses ignored.

use serde::Deserialize;

use super::{
    Channel, Content, Delivery, DeliveryFailure, Id, Inbound, PayloadError, envelope, lenient,
};

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    value: Value,
}

#[derive(Deserialize)]
struct Value {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    messages: Vec<serde_json::Value>,
    #[serde(default)]
    statuses: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    phone_number_id: Id,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    from: String,
    #[serde(default)]
    from_user_id: Option<String>,
    id: String,
    #[serde(default)]
    timestamp: Id,
    #[serde(rename = "type", default)]
    kind: String,
    text: Option<Text>,
    interactive: Option<Interactive>,
    button: Option<Button>,
}

#[derive(Deserialize)]
struct Text {
    body: String,
}

#[derive(Deserialize)]
struct Interactive {
    button_reply: Option<Reply>,
    list_reply: Option<Reply>,
}

#[derive(Deserialize)]
struct Reply {
    title: String,
}

#[derive(Deserialize)]
struct Button {
    #[serde(default)]
    text: String,
    #[serde(default)]
    payload: String,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    #[serde(default)]
    recipient_id: String,
    #[serde(default)]
    recipient_user_id: Option<String>,
    #[serde(default)]
    errors: Vec<StatusError>,
}

#[derive(Deserialize)]
struct StatusError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: String,
}

/// The guest messages and failed statuses in a WhatsApp webhook `body`. With `phone_number_id`
/// set, changes for other numbers are ignored. Errors only for a body that is not a JSON
/// webhook envelope.
pub fn parse(body: &[u8], phone_number_id: Option<&str>) -> Result<Delivery, PayloadError> {
    let (entries, mut delivery) = envelope(body, "whatsapp_business_account")?;
    for entry in entries {
        let Some(entry) = lenient::<Entry>(entry) else {
            delivery.ignored += 1;
            continue;
        };
        for change in entry.changes {
            let Some(change) = lenient::<Change>(change).filter(|c| c.field == "messages") else {
                delivery.ignored += 1;
                continue;
            };
            let ours = match (&change.value.metadata, phone_number_id) {
                (Some(meta), Some(want)) => meta.phone_number_id.0 == want,
                _ => true,
            };
            if !ours {
                delivery.ignored += change.value.messages.len() + change.value.statuses.len();
                continue;
            }
            for message in change.value.messages {
                match lenient::<Message>(message).and_then(inbound) {
                    Some(message) => delivery.messages.push(message),
                    None => delivery.ignored += 1,
                }
            }
            for status in change.value.statuses {
                match lenient::<Status>(status).and_then(failure) {
                    Some(failure) => delivery.failures.push(failure),
                    None => delivery.ignored += 1,
                }
            }
        }
    }
    Ok(delivery)
}

fn inbound(message: Message) -> Option<Inbound> {
    // The business-scoped user id when present: `from` may be empty for guests known by
    // username only.
    let sender = message
        .from_user_id
        .filter(|id| !id.is_empty())
        .unwrap_or(message.from);
    if sender.is_empty() || message.id.is_empty() {
        return None;
    }
    let content = match message.kind.as_str() {
        "text" => Content::Text(message.text?.body),
        "interactive" => {
            let i = message.interactive?;
            Content::Text(i.button_reply.or(i.list_reply)?.title)
        }
        "button" => {
            let b = message.button?;
            Content::Text(if b.text.is_empty() { b.payload } else { b.text })
        }
        // Reactions and system notices are not messages to answer.
        "reaction" | "system" => return None,
        other => Content::Unsupported(other.to_owned()),
    };
    if matches!(&content, Content::Text(t) if t.trim().is_empty()) {
        return None;
    }
    let seconds: i64 = message.timestamp.0.parse().unwrap_or(0);
    Some(Inbound {
        channel: Channel::Whatsapp,
        message_id: message.id,
        sender,
        content,
        sent_at_ms: seconds.saturating_mul(1000),
    })
}

fn failure(status: Status) -> Option<DeliveryFailure> {
    if status.status != "failed" {
        return None;
    }
    let error = status.errors.into_iter().next();
    let recipient = status
        .recipient_user_id
        .filter(|id| !id.is_empty())
        .unwrap_or(status.recipient_id);
    Some(DeliveryFailure {
        message_id: status.id,
        recipient,
        code: error.as_ref().map_or(0, |e| e.code),
        detail: error.map_or_else(String::new, |e| {
            let details = e.error_data.map(|d| d.details).unwrap_or_default();
            [e.title, e.message, details]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(": ")
        }),
    })
}
