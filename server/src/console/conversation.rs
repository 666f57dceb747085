//! The console's conversations: the list (from what guests wrote, `db::ConsoleStore`, with
//! each one's status) and one conversation as staff read it: the transcript, every turn with
//! the path it took through the graph (read back from the thread's checkpoints), the booking
//! being put together, and the open handoff if a person has it.

use graph_core::{HistoryQuery, RunConfig};
use hotel_agent::{HandoffReason, thread_id};
use serde::Serialize;
use serde_json::Value;

use crate::Error;
use crate::db::{ConversationQuery, ConversationRow, DAY_MS, HandoffQuery};
use crate::state::{App, now_ms};

/// How many of the thread's newest checkpoints the turns are read from.
const CHECKPOINTS: usize = 120;

/// A conversation in the console's list.
#[derive(Serialize)]
pub(crate) struct ConversationSummary {
    thread_id: String,
    channel: String,
    user: String,
    last_ms: i64,
    messages: i64,
    last_text: String,
    /// `active`, `handoff` or `closed`.
    status: &'static str,
    /// The open handoff's id, while a person has the conversation.
    handoff: Option<i64>,
}

/// Since when a conversation counts as active: a day, the channels' reply window.
pub(crate) fn active_since() -> i64 {
    now_ms() - DAY_MS
}

impl ConversationSummary {
    pub(crate) fn new(row: ConversationRow, active_since_ms: i64) -> ConversationSummary {
        ConversationSummary {
            thread_id: thread_id(&row.channel, &row.user),
            status: row.status(active_since_ms).as_str(),
            channel: row.channel,
            user: row.user,
            last_ms: row.last_ms,
            messages: row.messages,
            last_text: row.last_text,
            handoff: row.handoff,
        }
    }
}

/// The conversations `query` selects, newest first.
pub(crate) async fn list(
    app: &App,
    query: &ConversationQuery,
) -> Result<Vec<ConversationSummary>, Error> {
    let rows = app.db.conversations(query).await?;
    Ok(rows
        .into_iter()
        .map(|row| ConversationSummary::new(row, query.active_since_ms))
        .collect())
}

/// One line of the transcript.
#[derive(Serialize)]
pub(crate) struct Line {
    /// `guest`, `agent` or `staff:<name>`.
    from: String,
    text: String,
}

/// One turn: a guest's message and the agent's reply, or a staff action, with the nodes it
/// ran, in order.
#[derive(Serialize)]
pub(crate) struct Turn {
    at_ms: u64,
    /// `guest`, or `staff:<name>` for a staff reply or hand back.
    by: String,
    message: String,
    reply: String,
    nodes: Vec<String>,
}

/// The open handoff of a conversation.
#[derive(Serialize)]
pub(crate) struct OpenHandoff {
    id: i64,
    reason: String,
    why: String,
    opened_ms: i64,
    last_guest_ms: i64,
}

/// A conversation as the console shows it.
#[derive(Serialize)]
pub(crate) struct ConversationDetail {
    thread_id: String,
    channel: String,
    user: String,
    /// Whether it waits for staff now.
    waiting: bool,
    handoff: Option<OpenHandoff>,
    /// The latest lines, oldest first.
    transcript: Vec<Line>,
    /// The latest turns, oldest first.
    turns: Vec<Turn>,
    /// The booking being put together: `slots` (hotel, room, dates, guests), `pending` (a
    /// quote waiting for the guest's yes), `change` (a change to a booking under way) and
    /// `focus` (the hotel talked about).
    draft: Value,
}

/// The conversation of `user` on `channel`; `None` when the thread has no checkpoint.
pub(crate) async fn detail(
    app: &App,
    channel: &str,
    user: &str,
) -> Result<Option<ConversationDetail>, Error> {
    let thread = thread_id(channel, user);
    let config = RunConfig::thread(thread.clone());
    let graph = app.agent.graph();
    let state = graph.get_state(&config).await.map_err(Error::Agent)?;
    if state.checkpoint.is_none() {
        return Ok(None);
    }
    let history = HistoryQuery {
        limit: Some(CHECKPOINTS),
        ..HistoryQuery::default()
    };
    let snapshots = graph
        .get_state_history_values(&config, &history)
        .await
        .map_err(Error::Agent)?;
    let mut turns: Vec<Turn> = Vec::new();
    let mut last_key: Option<String> = None;
    // Newest first from the store; a turn is the run of checkpoints its message or staff
    // action made, which carry its correlation id (and a staff action its staff member's name).
    for snapshot in snapshots.into_iter().rev() {
        let Some(meta) = snapshot.checkpoint else {
            continue;
        };
        let text = |key: &str| meta.metadata.get(key).and_then(Value::as_str);
        let Some(key) = text("correlation").map(str::to_owned) else {
            continue;
        };
        let by = text("staff").map_or_else(|| "guest".to_owned(), |s| format!("staff:{s}"));
        let nodes = meta.writers.iter().map(|n| n.as_str().to_owned());
        match turns.last_mut() {
            Some(turn) if last_key.as_deref() == Some(key.as_str()) => {
                turn.nodes.extend(nodes);
                turn.reply.clone_from(&snapshot.values.reply);
            }
            _ => turns.push(Turn {
                at_ms: meta.created_at_ms,
                message: if by == "guest" {
                    snapshot.values.message.clone()
                } else {
                    String::new()
                },
                reply: snapshot.values.reply.clone(),
                by,
                nodes: nodes.collect(),
            }),
        }
        last_key = Some(key);
    }
    let values = &state.values;
    let draft = serde_json::json!({
        "slots": values.slots,
        "pending": values.pending,
        "change": values.change,
        "focus": values.focus,
    });
    Ok(Some(ConversationDetail {
        waiting: values.handoff.is_some() && !state.interrupts.is_empty(),
        handoff: open_handoff(app, channel, user).await?,
        transcript: values
            .transcript
            .iter()
            .map(|l| Line {
                from: l.from.clone(),
                text: l.text.clone(),
            })
            .collect(),
        turns,
        draft,
        thread_id: thread,
        channel: channel.to_owned(),
        user: user.to_owned(),
    }))
}

/// The guest's open handoff, if any.
async fn open_handoff(app: &App, channel: &str, user: &str) -> Result<Option<OpenHandoff>, Error> {
    let query = HandoffQuery {
        open: Some(true),
        guest: Some(user.to_owned()),
        channel: Some(channel.to_owned()),
        limit: 50,
        offset: 0,
    };
    let found = app.db.handoffs(&query).await?;
    // The search matches ids containing `user`; this guest's is the exact one.
    Ok(found
        .into_iter()
        .find(|h| h.user == user)
        .map(|h| OpenHandoff {
            why: HandoffReason::parse(&h.reason)
                .map_or("", HandoffReason::human)
                .to_owned(),
            id: h.id,
            reason: h.reason,
            opened_ms: h.opened_ms,
            last_guest_ms: h.last_guest_ms,
        }))
}
