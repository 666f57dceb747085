//! Instagram webhook payloads (`object = "instagram"`): guest messages and button taps are
//! kept; echoes of our own messages, reads, reactions, deletions and other apps' (`standby`)
//! threads are ignored.

use serde::Deserialize;

use super::{Channel, Content, Delivery, Id, Inbound, PayloadError, envelope, lenient};

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    id: Id,
    #[serde(default)]
    messaging: Vec<serde_json::Value>,
    #[serde(default)]
    standby: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Party {
    id: Id,
}

#[derive(Deserialize)]
struct Event {
    sender: Party,
    #[serde(default)]
    timestamp: i64,
    message: Option<Message>,
    postback: Option<Postback>,
}

#[derive(Deserialize)]
struct Message {
    mid: String,
    text: Option<String>,
    #[serde(default)]
    is_echo: bool,
    #[serde(default)]
    is_deleted: bool,
    #[serde(default)]
    is_unsupported: bool,
    #[serde(default)]
    attachments: Vec<Attachment>,
}

#[derive(Deserialize)]
struct Attachment {
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Deserialize)]
struct Postback {
    mid: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    payload: String,
}

/// The guest messages in an Instagram webhook `body`. Errors only for a body that is not a
/// JSON webhook envelope; anything else unknown is counted as ignored.
pub fn parse(body: &[u8]) -> Result<Delivery, PayloadError> {
    let (entries, mut delivery) = envelope(body, "instagram")?;
    for entry in entries {
        let Some(entry) = lenient::<Entry>(entry) else {
            delivery.ignored += 1;
            continue;
        };
        // Another app owns these threads: answering would talk over it.
        delivery.ignored += entry.standby.len();
        for event in entry.messaging {
            match lenient::<Event>(event).and_then(|e| inbound(&entry.id, e)) {
                Some(message) => delivery.messages.push(message),
                None => delivery.ignored += 1,
            }
        }
    }
    Ok(delivery)
}

fn inbound(business: &Id, event: Event) -> Option<Inbound> {
    // Our own messages come back as echoes; answering them would loop.
    if event.sender.id == *business {
        return None;
    }
    let (message_id, content) = if let Some(message) = event.message {
        if message.is_echo || message.is_deleted {
            return None;
        }
        let content = match message.text {
            Some(text) if !text.trim().is_empty() => Content::Text(text),
            _ if message.is_unsupported => Content::Unsupported("unsupported".into()),
            _ => Content::Unsupported(
                message
                    .attachments
                    .first()
                    .map_or_else(|| "empty".to_owned(), |a| a.kind.clone()),
            ),
        };
        (message.mid, content)
    } else if let Some(postback) = event.postback {
        let text = if postback.title.is_empty() {
            postback.payload
        } else {
            postback.title
        };
        (postback.mid, Content::Text(text))
    } else {
        // Reads, reactions, referrals, opt-ins…
        return None;
    };
    if message_id.is_empty() {
        return None;
    }
    Some(Inbound {
        channel: Channel::Instagram,
        message_id,
        sender: event.sender.id.0,
        content,
        sent_at_ms: event.timestamp,
    })
}
