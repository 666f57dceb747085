//! How a message goes out beyond plain text: Instagram's human agent tag, and WhatsApp's
//! message templates, the only ways to reach a guest after the platform's 24-hour window.
//!
//! Stored with each outbox part (`sv_outbox.form`, JSON; NULL for plain text), so a retry sends
//! the part exactly as it was queued.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How a message is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "form")]
pub enum Form {
    /// Plain text, inside the platform's 24-hour window.
    #[default]
    Text,
    /// Instagram: a person's reply with the `HUMAN_AGENT` tag, allowed up to 7 days after the
    /// guest's last message.
    HumanAgent,
    /// WhatsApp: an approved template, the only message allowed outside the 24-hour window.
    /// The part's text is what it says, for the log and the console.
    Template(Template),
}

/// A WhatsApp message template and the values of its body's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// The approved template's name.
    pub name: String,
    /// Its language code (`en_US`, `es`, …).
    pub language: String,
    /// The body's `{{1}}`, `{{2}}`, … in order.
    pub params: Vec<String>,
}

impl Form {
    /// The JSON kept in the outbox; `None` for plain text.
    pub(crate) fn stored(&self) -> Option<String> {
        match self {
            Form::Text => None,
            other => serde_json::to_string(other).ok(),
        }
    }

    /// A form read back from the outbox; plain text when there is none. A value this build
    /// does not know is refused, so the part is dropped with a reason rather than sent as
    /// something it is not.
    pub(crate) fn from_stored(stored: Option<&str>) -> Result<Form, String> {
        match stored {
            None => Ok(Form::Text),
            Some(json) => serde_json::from_str(json)
                .map_err(|e| format!("the stored message form `{json}` is unknown: {e}")),
        }
    }

    /// The Instagram Send API body for `text` to `recipient`.
    pub(crate) fn instagram_body(&self, recipient: &str, text: &str) -> Value {
        match self {
            Form::HumanAgent => json!({
                "recipient": {"id": recipient},
                "messaging_type": "MESSAGE_TAG",
                "tag": "HUMAN_AGENT",
                "message": {"text": text},
            }),
            Form::Text | Form::Template(_) => {
                json!({"recipient": {"id": recipient}, "message": {"text": text}})
            }
        }
    }

    /// The WhatsApp Cloud API body for `text` to `recipient`.
    pub(crate) fn whatsapp_body(&self, recipient: &str, text: &str) -> Value {
        match self {
            Form::Template(t) => json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": recipient,
                "type": "template",
                "template": {
                    "name": t.name,
                    "language": {"code": t.language},
                    "components": [{
                        "type": "body",
                        "parameters": t.params.iter()
                            .map(|p| json!({"type": "text", "text": p}))
                            .collect::<Vec<_>>(),
                    }],
                },
            }),
            Form::Text | Form::HumanAgent => json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": recipient,
                "type": "text",
                "text": {"preview_url": false, "body": text},
            }),
        }
    }
}
