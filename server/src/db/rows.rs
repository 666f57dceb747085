//! What crosses the boundary of the server's tables: the queue states and message kinds as
//! enums (stored as their names), and the rows as structs.

use rusqlite::ToSql;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};

use crate::meta::Channel;
use crate::meta::form::Form;

/// The kind of a stored guest message (`sv_inbox.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text the agent can read.
    Text,
    /// Anything else (a photo, a voice note, …); the message's text holds its kind.
    Unsupported,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Unsupported => "unsupported",
        }
    }

    /// The kind stored as `text`; anything but `text` cannot be read by the agent.
    pub(crate) fn parse(text: &str) -> Kind {
        if text == Kind::Text.as_str() {
            Kind::Text
        } else {
            Kind::Unsupported
        }
    }
}

/// Where a guest message stands (`sv_inbox.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InboxState {
    /// Waiting for its turn.
    Pending,
    /// Answered.
    Done,
    /// Given up on after its attempts; the guest was sent an apology.
    Failed,
    /// Over the rate limit: stored as handled, never answered.
    Limited,
}

impl InboxState {
    const ALL: [InboxState; 4] = [
        InboxState::Pending,
        InboxState::Done,
        InboxState::Failed,
        InboxState::Limited,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            InboxState::Pending => "pending",
            InboxState::Done => "done",
            InboxState::Failed => "failed",
            InboxState::Limited => "limited",
        }
    }

    /// The state stored as `text`; `None` for one this build does not know.
    pub(crate) fn parse(text: &str) -> Option<InboxState> {
        InboxState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Where a reply part stands (`sv_outbox.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutboxState {
    /// Waiting to be sent (again).
    Pending,
    /// Sent.
    Sent,
    /// Given up on.
    Dropped,
}

impl OutboxState {
    const ALL: [OutboxState; 3] = [
        OutboxState::Pending,
        OutboxState::Sent,
        OutboxState::Dropped,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Dropped => "dropped",
        }
    }

    /// The state stored as `text`; `None` for one this build does not know.
    pub(crate) fn parse(text: &str) -> Option<OutboxState> {
        OutboxState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The enums stored as their names: bound as text, and read back failing (not panicking) on
/// a name this build does not know.
macro_rules! stored_as_text {
    ($($ty:ident => $parse:expr),* $(,)?) => {$(
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(text).ok_or_else(|| {
                    FromSqlError::Other(
                        format!("unknown {} {text:?}", stringify!($ty)).into(),
                    )
                })
            }
        }
    )*};
}

stored_as_text! {
    Kind => |t| Some(Kind::parse(t)),
    InboxState => InboxState::parse,
    OutboxState => OutboxState::parse,
}

/// Reply parts to queue for one guest.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) channel: Channel,
    pub(crate) recipient: String,
    pub(crate) parts: Vec<String>,
    pub(crate) correlation: String,
    /// How each part is sent.
    pub(crate) form: Form,
}

/// A guest message to store in the inbox.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage {
    pub(crate) channel: Channel,
    pub(crate) message_id: String,
    pub(crate) user: String,
    /// Whether the agent can read it; when not, `text` holds its kind (`image`, …).
    pub(crate) kind: Kind,
    pub(crate) text: String,
    pub(crate) sent_at_ms: i64,
    pub(crate) correlation: String,
    /// [`InboxState::Pending`], or [`InboxState::Limited`] when over the rate limit (stored
    /// as already handled).
    pub(crate) state: InboxState,
}

impl NewMessage {
    /// What the staff console shows of it (`sv_messages`): its text, or its kind in brackets.
    pub(crate) fn shown(&self) -> String {
        match self.kind {
            Kind::Text => self.text.clone(),
            Kind::Unsupported => format!("[{}]", self.text),
        }
    }
}

/// A stored guest message waiting for its turn.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) seq: i64,
    pub(crate) channel: Channel,
    pub(crate) message_id: String,
    pub(crate) user: String,
    pub(crate) kind: Kind,
    pub(crate) text: String,
    pub(crate) correlation: String,
    pub(crate) attempts: i64,
}

/// A reply part to send.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) id: i64,
    pub(crate) channel: Channel,
    pub(crate) recipient: String,
    pub(crate) text: String,
    pub(crate) correlation: String,
    pub(crate) attempts: i64,
    /// How to send it, or why the stored form could not be read (the part is then dropped).
    pub(crate) form: Result<Form, String>,
}

/// How many reply parts wait, since when, and when the next is due.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OutboxDepth {
    pub(crate) pending: i64,
    pub(crate) oldest_created_ms: Option<i64>,
    pub(crate) next_due_ms: Option<i64>,
}
