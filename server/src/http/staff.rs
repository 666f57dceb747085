//! The staff's JSON API, `/staff/api/*` (behind the admin token): the conversations handed to
//! a person, each with its transcript, and what staff do with one: reply to the guest, or hand
//! the conversation back to the assistant. The work is `crate::handoff`'s; this is the boundary
//! (bounded input, clear refusals).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use graph_core::RunConfig;
use hotel_agent::{HandoffReason, thread_id};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, OrInternal, RequestId};
use crate::db::{Handoff, HandoffQuery};
use crate::handoff::{self, Refused};
use crate::state::App;

/// The longest staff name accepted, in characters.
pub(crate) const MAX_STAFF_NAME: usize = 64;
/// The longest staff reply, in characters (the chat's bound).
pub(crate) const MAX_REPLY_CHARS: usize = crate::MAX_TEXT_CHARS;
/// The longest note on a hand back, in characters.
pub(crate) const MAX_NOTE_CHARS: usize = 1000;
/// The most handoffs one page lists.
const MAX_PAGE: usize = 200;

/// A handoff as staff see it.
#[derive(Serialize)]
pub(crate) struct HandoffView {
    id: i64,
    channel: String,
    user: String,
    thread_id: String,
    /// `asked_for_person`, `anger`, `legal_or_safety`, `complaint`, `misunderstood`.
    reason: String,
    /// The reason in a sentence.
    why: String,
    status: &'static str,
    opened_ms: i64,
    last_guest_ms: i64,
    closed_ms: Option<i64>,
    closed_by: Option<String>,
    note: Option<String>,
}

impl From<Handoff> for HandoffView {
    fn from(h: Handoff) -> HandoffView {
        let why = HandoffReason::parse(&h.reason).map_or("", HandoffReason::human);
        HandoffView {
            thread_id: thread_id(&h.channel, &h.user),
            why: why.to_owned(),
            status: if h.closed.is_some() { "closed" } else { "open" },
            closed_ms: h.closed.as_ref().map(|c| c.at_ms),
            closed_by: h.closed.as_ref().map(|c| c.by.clone()),
            note: h.closed.and_then(|c| c.note),
            id: h.id,
            channel: h.channel,
            user: h.user,
            reason: h.reason,
            opened_ms: h.opened_ms,
            last_guest_ms: h.last_guest_ms,
        }
    }
}

/// One line of a conversation's transcript.
#[derive(Serialize)]
pub(crate) struct LineView {
    /// `guest`, `agent` or `staff:<name>`.
    from: String,
    text: String,
}

/// A handoff with its conversation.
#[derive(Serialize)]
pub(crate) struct HandoffDetail {
    #[serde(flatten)]
    handoff: HandoffView,
    /// Whether the conversation waits for staff now.
    waiting: bool,
    /// The conversation's latest lines, oldest first.
    transcript: Vec<LineView>,
}

/// `GET /staff/api/handoffs?status=open|closed|all&guest=&channel=&limit=&offset=`, newest
/// first.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<HandoffView>>, ApiError> {
    let open = match query.get("status").map(String::as_str) {
        None | Some("open") => Some(true),
        Some("closed") => Some(false),
        Some("all") => None,
        Some(other) => {
            return Err(ApiError::Invalid(format!(
                "status must be open, closed or all, got {other:?}"
            )));
        }
    };
    let number = |name: &str, default: usize, max: usize| -> Result<usize, ApiError> {
        match query.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| ApiError::Invalid(format!("{name} must be 0–{max}, got {v:?}"))),
        }
    };
    let bounded = |name: &str| -> Result<Option<String>, ApiError> {
        match query.get(name).map(|v| v.trim()) {
            None | Some("") => Ok(None),
            Some(v) if v.chars().count() > MAX_STAFF_NAME => Err(ApiError::Invalid(format!(
                "{name} must be at most {MAX_STAFF_NAME} characters"
            ))),
            Some(v) => Ok(Some(v.to_owned())),
        }
    };
    let query = HandoffQuery {
        open,
        guest: bounded("guest")?,
        channel: bounded("channel")?,
        limit: number("limit", 50, MAX_PAGE)?,
        offset: number("offset", 0, 1_000_000)?,
    };
    let found = app
        .db
        .handoffs(&query)
        .await
        .or_internal(&request_id, "listing handoffs")?;
    Ok(Json(found.into_iter().map(HandoffView::from).collect()))
}

/// `GET /staff/api/handoffs/{id}`: the handoff, whether it waits, and its transcript.
pub(crate) async fn detail(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Path(id): Path<String>,
) -> Result<Json<HandoffDetail>, ApiError> {
    let id = handoff_id(&id)?;
    let found = app
        .db
        .handoff(id)
        .await
        .or_internal(&request_id, "reading a handoff")?
        .ok_or_else(|| ApiError::NotFound(format!("no handoff {id}")))?;
    let thread = thread_id(&found.channel, &found.user);
    let state = app
        .agent
        .graph()
        .get_state(&RunConfig::thread(thread))
        .await
        .or_internal(&request_id, "reading a handed-off conversation")?;
    let waiting = state.values.handoff.is_some() && !state.interrupts.is_empty();
    let transcript = state
        .values
        .transcript
        .iter()
        .map(|l| LineView {
            from: l.from.clone(),
            text: l.text.clone(),
        })
        .collect();
    Ok(Json(HandoffDetail {
        handoff: found.into(),
        waiting,
        transcript,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyRequest {
    by: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseRequest {
    by: String,
    #[serde(default)]
    note: Option<String>,
}

/// What a staff reply became.
#[derive(Serialize)]
pub(crate) struct ReplySent {
    /// Parts queued for the guest's channel (0 on the web chat).
    parts: usize,
    /// `text`, `human_agent` (Instagram after 24 hours) or `template`.
    form: String,
}

/// `POST /staff/api/handoffs/{id}/reply` `{"by", "text"}`.
pub(crate) async fn reply(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ReplySent>, ApiError> {
    let id = handoff_id(&id)?;
    let request: ReplyRequest = parse(&body?, r#"{"by": "...", "text": "..."}"#)?;
    let by = staff_name(&request.by)?;
    let chars = request.text.chars().count();
    if request.text.trim().is_empty() || chars > MAX_REPLY_CHARS {
        return Err(ApiError::Invalid(format!(
            "text must be 1–{MAX_REPLY_CHARS} characters and not blank, got {chars}"
        )));
    }
    let sent = handoff::reply(&app, id, by, request.text.trim())
        .await
        .map_err(|e| refused(e, id, &request_id))?;
    let form = match sent.form {
        crate::meta::form::Form::Text => "text",
        crate::meta::form::Form::HumanAgent => "human_agent",
        crate::meta::form::Form::Template(_) => "template",
    };
    Ok(Json(ReplySent {
        parts: sent.parts,
        form: form.to_owned(),
    }))
}

/// `POST /staff/api/handoffs/{id}/close` `{"by", "note"?}`: hands the conversation back.
pub(crate) async fn close(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let id = handoff_id(&id)?;
    let request: CloseRequest = parse(&body?, r#"{"by": "...", "note": "..."}"#)?;
    let by = staff_name(&request.by)?;
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if let Some(note) = note
        && note.chars().count() > MAX_NOTE_CHARS
    {
        return Err(ApiError::Invalid(format!(
            "note must be at most {MAX_NOTE_CHARS} characters"
        )));
    }
    handoff::hand_back(&app, id, by, note)
        .await
        .map_err(|e| refused(e, id, &request_id))?;
    Ok(StatusCode::NO_CONTENT)
}

fn handoff_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::NotFound(format!("no handoff {id:?}")))
}

/// A staff name: 1–64 characters, no control characters (it goes in the history).
fn staff_name(by: &str) -> Result<&str, ApiError> {
    let by = by.trim();
    let chars = by.chars().count();
    if by.is_empty() || chars > MAX_STAFF_NAME || by.chars().any(char::is_control) {
        return Err(ApiError::Invalid(format!(
            "by must be 1–{MAX_STAFF_NAME} characters without control characters, got {chars}"
        )));
    }
    Ok(by)
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            ApiError::Malformed(format!("the body is not JSON: {e}"))
        } else {
            ApiError::Invalid(format!("the body must be {shape}: {e}"))
        }
    })
}

fn refused(refusal: Refused, id: i64, request_id: &RequestId) -> ApiError {
    match refusal {
        Refused::NotFound => ApiError::NotFound(format!("no handoff {id}")),
        Refused::NotOpen => ApiError::Conflict(format!(
            "handoff {id} is closed: the conversation is with the assistant again"
        )),
        Refused::OutsideWindow(why) => ApiError::Conflict(why),
        Refused::Busy => ApiError::Conflict(
            "the guest's conversation is busy with another turn; try again in a moment".into(),
        ),
        Refused::Failed(e) => ApiError::internal(request_id, "a staff action", e),
    }
}
