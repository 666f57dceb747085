//! The local JSON API, `/api/*`: chat as any user, read bookings, hotels, thread state and
//! history, and the graph. A refusal is an [`ApiError`] naming the field and the reason; a
//! failure inside the server is a 500 that names nothing but its request id. What each
//! endpoint answers is a type of [`shapes`](super::shapes).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use graph_core::{CheckpointId, HistoryQuery, RunConfig};
use hotel::{BookingRef, GuestId};
use serde::Deserialize;
use serde_json::Value;
use tracing::Instrument;

use super::error::{ApiError, OrInternal, RequestId};
use super::shapes::{
    BookingView, ChatReply, CheckpointView, GraphView, GuestBooking, HistoryPage, HotelView, Text,
    ThreadState, node_names, status_name,
};
use crate::Error;
use crate::agent::{Hold, Message};
use crate::limits::Verdict;
use crate::state::{App, now_ms};

/// The channel name of guests who chat through this API and the test page.
pub const WEB_CHANNEL: &str = "web";
/// The longest chat message accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// The longest user id accepted.
pub const MAX_USER_ID: usize = 64;

/// Checks a user id: 1–64 characters of `[A-Za-z0-9_.:@+-]`.
fn check_user_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.chars().count() > MAX_USER_ID {
        return Err(ApiError::Invalid(format!(
            "user_id must be 1–{MAX_USER_ID} characters, got {}",
            id.chars().count()
        )));
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.:@+-".contains(*c)))
    {
        return Err(ApiError::Invalid(format!(
            "user_id may only contain letters, digits and _ . : @ + -, found {bad:?}"
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatRequest {
    user_id: Value,
    text: Value,
}

/// `POST /api/chat`: one turn as `user_id` on the web channel.
pub(crate) async fn chat(
    State(app): State<Arc<App>>,
    correlation: RequestId,
    body: Result<Bytes, BytesRejection>,
) -> Result<(RequestId, Json<ChatReply>), ApiError> {
    let request: ChatRequest = match serde_json::from_slice(&body?) {
        Ok(request) => request,
        Err(e) if e.is_syntax() || e.is_eof() => {
            return Err(ApiError::Malformed(format!("the body is not JSON: {e}")));
        }
        Err(e) => {
            return Err(ApiError::Invalid(format!(
                "the body must be {{\"user_id\": \"...\", \"text\": \"...\"}}: {e}"
            )));
        }
    };
    let (Value::String(user_id), Value::String(text)) = (&request.user_id, &request.text) else {
        let field = if request.user_id.is_string() {
            "text"
        } else {
            "user_id"
        };
        return Err(ApiError::Invalid(format!("{field} must be a string")));
    };
    check_user_id(user_id)?;
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > MAX_TEXT_CHARS {
        return Err(ApiError::Invalid(format!(
            "text must be 1–{MAX_TEXT_CHARS} characters and not blank, got {chars}"
        )));
    }
    if let Verdict::Limited { wait, .. } = app
        .limits
        .check(&hotel_agent::thread_id(WEB_CHANNEL, user_id))
        .await
    {
        return Err(ApiError::TooManyRequests { retry_after: wait });
    }
    // For the staff console; a message it misses is still answered.
    if let Err(e) = app
        .db
        .guest_message(WEB_CHANNEL, user_id, text, now_ms())
        .await
    {
        tracing::error!(error = %e, "keeping a guest's message for the console");
    }
    let span = tracing::info_span!(
        "turn",
        correlation = correlation.as_str(),
        channel = WEB_CHANNEL,
        user = user_id
    );
    let message = Message {
        channel: WEB_CHANNEL.to_owned(),
        user: user_id.clone(),
        text: text.clone(),
        message_id: format!("api:{correlation}"),
        correlation: correlation.to_string(),
    };
    // If the client leaves, this future is dropped but the turn runs on (`Agent::turn`),
    // holding the thread against other replicas' turns until it ends.
    let hold = Hold {
        queue: Arc::clone(&app.db),
        lease: app.config.guest_lease(),
    };
    let turn = match app.agent.turn(message, Some(hold)).instrument(span).await {
        Err(Error::ThreadBusy { .. }) => {
            return Err(ApiError::Conflict(
                "another message of this user is still being answered; send it again in a \
                 moment"
                    .into(),
            ));
        }
        other => other.or_internal(&correlation, "chat turn failed")?,
    };
    crate::handoff::after_turn(&app, WEB_CHANNEL, user_id, text, &turn).await;
    Ok((correlation, Json(ChatReply::from(turn))))
}

/// `GET /api/users/{user_id}/bookings[?channel=web]`.
pub(crate) async fn user_bookings(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Path(user_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<BookingView>>, ApiError> {
    check_user_id(&user_id)?;
    let channel = query.get("channel").map_or(WEB_CHANNEL, String::as_str);
    if !["web", "instagram", "whatsapp", "terminal"].contains(&channel) {
        return Err(ApiError::Invalid(format!(
            "channel must be web, instagram, whatsapp or terminal, got {channel:?}"
        )));
    }
    let guest = GuestId::new(channel, user_id);
    let context = "reading a guest's bookings";
    let bookings = app
        .agent
        .store
        .bookings_of(&guest)
        .await
        .or_internal(&request_id, context)?;
    let catalog = &app.agent.catalog;
    Ok(Json(
        bookings
            .iter()
            .map(|b| BookingView::new(b, catalog))
            .collect(),
    ))
}

/// `GET /api/bookings/{reference}`: any guest's booking, for operators.
pub(crate) async fn booking(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Path(reference): Path<String>,
) -> Result<Json<GuestBooking>, ApiError> {
    let Ok(reference) = BookingRef::parse(&reference) else {
        return Err(ApiError::Invalid(format!(
            "reference must look like SRS-7K3Q9P, got {reference:?}"
        )));
    };
    let context = "finding a booking";
    let (guest, booking) = app
        .agent
        .store
        .find(&reference)
        .await
        .or_internal(&request_id, context)?
        .ok_or_else(|| ApiError::NotFound("no booking has that reference".to_owned()))?;
    Ok(Json(GuestBooking::new(guest, &booking, &app.agent.catalog)))
}

/// `GET /api/hotels`: the catalog.
pub(crate) async fn hotels(State(app): State<Arc<App>>) -> Json<Vec<HotelView>> {
    Json(
        app.agent
            .catalog
            .hotels()
            .iter()
            .map(HotelView::from)
            .collect(),
    )
}

fn check_thread_id(thread_id: &str) -> Result<(), ApiError> {
    let ok = !thread_id.is_empty()
        && thread_id.len() <= 160
        && thread_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:@+-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::Invalid(
            "thread_id must be `<channel>:<user_id>` (letters, digits and _ . : @ + -)".to_owned(),
        ))
    }
}

/// `GET /api/threads/{thread_id}/state`.
pub(crate) async fn thread_state(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Path(thread_id): Path<String>,
) -> Result<Json<ThreadState>, ApiError> {
    check_thread_id(&thread_id)?;
    let config = RunConfig::thread(thread_id.clone());
    let snapshot = app
        .agent
        .graph()
        .get_state(&config)
        .await
        .or_internal(&request_id, "reading a thread's state")?;
    let Some(checkpoint) = snapshot.checkpoint else {
        return Err(ApiError::NotFound(
            "this thread has no conversation yet".to_owned(),
        ));
    };
    Ok(Json(ThreadState {
        thread_id,
        values: serde_json::to_value(&snapshot.values).unwrap_or(Value::Null),
        next: node_names(&snapshot.next),
        status: status_name(snapshot.status),
        checkpoint: Some(CheckpointView::from(checkpoint)),
    }))
}

/// `GET /api/threads/{thread_id}/history?limit=20&before=ID&values=false`: newest first; with
/// `values=true` each checkpoint also carries the thread's values at it.
pub(crate) async fn thread_history(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Path(thread_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<HistoryPage>, ApiError> {
    check_thread_id(&thread_id)?;
    let invalid = |why: &str| ApiError::Invalid(why.to_owned());
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 20,
        Some(Ok(limit @ 1..=100)) => limit,
        Some(_) => return Err(invalid("limit must be a number from 1 to 100")),
    };
    let before = match query.get("before").map(|b| b.parse::<u64>()) {
        None => None,
        Some(Ok(id)) => Some(CheckpointId(id)),
        Some(Err(_)) => return Err(invalid("before must be a checkpoint id (a number)")),
    };
    let values = match query.get("values").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(invalid("values must be true or false")),
    };
    let history = HistoryQuery {
        limit: Some(limit),
        before,
        ..HistoryQuery::default()
    };
    let config = RunConfig::thread(thread_id);
    let graph = app.agent.graph();
    let context = "reading a thread's history";
    let checkpoints: Vec<CheckpointView> = if values {
        graph
            .get_state_history_values(&config, &history)
            .await
            .or_internal(&request_id, context)?
            .into_iter()
            .filter_map(|snapshot| {
                let values = serde_json::to_value(&snapshot.values).unwrap_or(Value::Null);
                Some(CheckpointView::from(snapshot.checkpoint?).with_values(values))
            })
            .collect()
    } else {
        graph
            .get_state_history(&config, &history)
            .await
            .or_internal(&request_id, context)?
            .into_iter()
            .map(CheckpointView::from)
            .collect()
    };
    let next_before = (checkpoints.len() == limit)
        .then(|| checkpoints.last().map(CheckpointView::id))
        .flatten();
    Ok(Json(HistoryPage {
        checkpoints,
        next_before,
    }))
}

/// `GET /api/graph`: vertices and edges as JSON.
pub(crate) async fn graph_json(State(app): State<Arc<App>>) -> Json<GraphView> {
    Json(GraphView::from(app.agent.graph().describe()))
}

/// `GET /api/graph.dot`.
pub(crate) async fn graph_dot(State(app): State<Arc<App>>) -> Text {
    Text {
        content_type: "text/vnd.graphviz; charset=utf-8",
        body: app.agent.graph().to_dot(),
    }
}

/// `GET /api/graph.mermaid`.
pub(crate) async fn graph_mermaid(State(app): State<Arc<App>>) -> Text {
    Text {
        content_type: "text/plain; charset=utf-8",
        body: app.agent.graph().to_mermaid(),
    }
}
