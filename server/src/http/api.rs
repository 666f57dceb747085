//! The local JSON API, `/api/*`: chat as any user, read bookings, hotels, thread state and
//! history, and the graph. Errors are `{"error": "..."}` naming the field and the reason; a
//! failure inside the server is a 500 that names nothing but its request id (`internal_error`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use graph_core::{CheckpointId, HistoryQuery, RunConfig};
use hotel::{Booking, BookingRef, BookingStatus, GuestId};
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::Instrument;

use super::text;
use crate::agent::Message;
use crate::limits::{SLOW_DOWN, Verdict};
use crate::state::{App, request_id};

/// The channel name of guests who chat through this API and the test page.
pub const WEB_CHANNEL: &str = "web";
/// The longest chat message accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// The longest user id accepted.
pub const MAX_USER_ID: usize = 64;

/// A JSON error response.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// What a client is told of a failure inside the server.
const INTERNAL: &str = "something went wrong on our side; please try again, and quote the \
     request id if it keeps happening";

/// A 500 for a failure inside the server: a generic message and `request_id` (also in the
/// `x-request-id` header), while `error` goes to the log under that id. Errors from the graph
/// and the stores name tables, checkpoints and threads, which are no client's business.
pub(crate) fn internal_error(
    request_id: &str,
    what: &str,
    error: &dyn std::fmt::Display,
) -> Response {
    tracing::error!(correlation = request_id, error = %error, "{what}");
    let mut response = (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"error": INTERNAL, "request_id": request_id})),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn unprocessable(message: impl Into<String>) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// Checks a user id: 1–64 characters of `[A-Za-z0-9_.:@+-]`.
pub(crate) fn check_user_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.chars().count() > MAX_USER_ID {
        return Err(format!(
            "user_id must be 1–{MAX_USER_ID} characters, got {}",
            id.chars().count()
        ));
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.:@+-".contains(*c)))
    {
        return Err(format!(
            "user_id may only contain letters, digits and _ . : @ + -, found {bad:?}"
        ));
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
pub(crate) async fn chat(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let request: ChatRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) if e.is_syntax() || e.is_eof() => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("the body is not JSON: {e}"),
            );
        }
        Err(e) => {
            return unprocessable(format!(
                "the body must be {{\"user_id\": \"...\", \"text\": \"...\"}}: {e}"
            ));
        }
    };
    let (Value::String(user_id), Value::String(text)) = (&request.user_id, &request.text) else {
        let field = if request.user_id.is_string() {
            "text"
        } else {
            "user_id"
        };
        return unprocessable(format!("{field} must be a string"));
    };
    if let Err(why) = check_user_id(user_id) {
        return unprocessable(why);
    }
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > MAX_TEXT_CHARS {
        return unprocessable(format!(
            "text must be 1–{MAX_TEXT_CHARS} characters and not blank, got {chars}"
        ));
    }
    let correlation = request_id(&headers);
    if let Verdict::Limited { .. } = app.limits.check(&format!("{WEB_CHANNEL}:{user_id}")) {
        return error(StatusCode::TOO_MANY_REQUESTS, SLOW_DOWN);
    }
    let span = tracing::info_span!("turn", correlation, channel = WEB_CHANNEL, user = user_id);
    let message = Message {
        channel: WEB_CHANNEL.to_owned(),
        user: user_id.clone(),
        text: text.clone(),
        message_id: format!("api:{correlation}"),
        correlation: correlation.clone(),
    };
    // If the client leaves, this future is dropped but the turn runs on (`Agent::turn`).
    let result = app.agent.turn(message).instrument(span).await;
    let mut response = match result {
        Ok(turn) => Json(json!({
            "thread_id": turn.thread_id,
            "reply": turn.reply,
            "intent": turn.intent,
            "nodes": turn.nodes,
        }))
        .into_response(),
        Err(e) => return internal_error(&correlation, "chat turn failed", &e),
    };
    if let Ok(value) = HeaderValue::from_str(&correlation) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn booking_json(booking: &Booking, app: &App) -> Value {
    let q = &booking.quote;
    let hotel = app
        .agent
        .catalog
        .hotel(&q.hotel)
        .map_or_else(|_| q.hotel.clone(), |h| h.name.clone());
    json!({
        "reference": booking.reference.as_str(),
        "hotel_code": q.hotel,
        "hotel": hotel,
        "room_type": q.room.name(),
        "check_in": q.check_in.format("%Y-%m-%d").to_string(),
        "check_out": q.check_out.format("%Y-%m-%d").to_string(),
        "guests": q.guests,
        // Dollars with 2 decimals; exact for any realistic total.
        "total": (q.total.0 as f64) / 100.0,
        "status": match booking.status {
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Cancelled => "cancelled",
        },
    })
}

/// `GET /api/users/{user_id}/bookings[?channel=web]`.
pub(crate) async fn user_bookings(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(why) = check_user_id(&user_id) {
        return unprocessable(why);
    }
    let channel = query.get("channel").map_or(WEB_CHANNEL, String::as_str);
    if !["web", "instagram", "whatsapp", "terminal"].contains(&channel) {
        return unprocessable(format!(
            "channel must be web, instagram, whatsapp or terminal, got {channel:?}"
        ));
    }
    let guest = GuestId::new(channel, user_id);
    let store = app.agent.store.clone();
    let read = tokio::task::spawn_blocking(move || store.bookings_of(&guest)).await;
    match read {
        Ok(Ok(bookings)) => Json(
            bookings
                .iter()
                .map(|b| booking_json(b, &app))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Ok(Err(e)) => internal_error(&request_id(&headers), "reading a guest's bookings", &e),
        Err(e) => internal_error(&request_id(&headers), "reading a guest's bookings", &e),
    }
}

/// `GET /api/bookings/{reference}`: any guest's booking, for operators.
pub(crate) async fn booking(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    let Ok(reference) = BookingRef::parse(&reference) else {
        return unprocessable(format!(
            "reference must look like SRS-7K3Q9P, got {reference:?}"
        ));
    };
    let store = app.agent.store.clone();
    let read = tokio::task::spawn_blocking(move || store.find(&reference)).await;
    match read {
        Ok(Ok(Some((guest, booking)))) => {
            let mut body = booking_json(&booking, &app);
            body["channel"] = json!(guest.channel);
            body["user_id"] = json!(guest.user);
            Json(body).into_response()
        }
        Ok(Ok(None)) => error(StatusCode::NOT_FOUND, "no booking has that reference"),
        Ok(Err(e)) => internal_error(&request_id(&headers), "finding a booking", &e),
        Err(e) => internal_error(&request_id(&headers), "finding a booking", &e),
    }
}

/// `GET /api/hotels`: the catalog.
pub(crate) async fn hotels(State(app): State<Arc<App>>) -> Json<Value> {
    let hotels: Vec<Value> = app
        .agent
        .catalog
        .hotels()
        .iter()
        .map(|h| {
            json!({
                "code": h.code,
                "name": h.name,
                "stars": h.stars,
                "city": h.city,
                "area": h.area,
                "check_in": h.check_in.format("%H:%M").to_string(),
                "check_out": h.check_out.format("%H:%M").to_string(),
                "rooms": h.rooms.iter().map(|r| json!({
                    "type": r.kind.name(),
                    "count": r.count,
                    "base_price": (r.base.0 as f64) / 100.0,
                    "max_guests": r.max_guests,
                })).collect::<Vec<_>>(),
                "amenities": h.amenities,
            })
        })
        .collect();
    Json(Value::Array(hotels))
}

fn check_thread_id(thread_id: &str) -> Result<(), &'static str> {
    let ok = !thread_id.is_empty()
        && thread_id.len() <= 160
        && thread_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:@+-".contains(c));
    if ok {
        Ok(())
    } else {
        Err("thread_id must be `<channel>:<user_id>` (letters, digits and _ . : @ + -)")
    }
}

/// `GET /api/threads/{thread_id}/state`.
pub(crate) async fn thread_state(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(thread_id): Path<String>,
) -> Response {
    if let Err(why) = check_thread_id(&thread_id) {
        return unprocessable(why);
    }
    let config = RunConfig::thread(thread_id.clone());
    match app.agent.graph().get_state(&config).await {
        Ok(snapshot) if snapshot.checkpoint.is_none() => {
            error(StatusCode::NOT_FOUND, "this thread has no conversation yet")
        }
        Ok(snapshot) => Json(json!({
            "thread_id": thread_id,
            "values": serde_json::to_value(&snapshot.values).unwrap_or(Value::Null),
            "next": snapshot.next,
            "status": format!("{:?}", snapshot.status).to_lowercase(),
            "checkpoint": snapshot.checkpoint,
        }))
        .into_response(),
        Err(e) => internal_error(&request_id(&headers), "reading a thread's state", &e),
    }
}

/// `GET /api/threads/{thread_id}/history?limit=20&before=ID&values=false`: newest first; with
/// `values=true` each checkpoint also carries the thread's values at it.
pub(crate) async fn thread_history(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(thread_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Err(why) = check_thread_id(&thread_id) {
        return unprocessable(why);
    }
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 20,
        Some(Ok(limit @ 1..=100)) => limit,
        Some(_) => return unprocessable("limit must be a number from 1 to 100"),
    };
    let before = match query.get("before").map(|b| b.parse::<u64>()) {
        None => None,
        Some(Ok(id)) => Some(CheckpointId(id)),
        Some(Err(_)) => return unprocessable("before must be a checkpoint id (a number)"),
    };
    let values = match query.get("values").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return unprocessable("values must be true or false"),
    };
    let history = HistoryQuery {
        limit: Some(limit),
        before,
        ..HistoryQuery::default()
    };
    let config = RunConfig::thread(thread_id);
    let graph = app.agent.graph();
    let checkpoints = if values {
        graph
            .get_state_history_values(&config, &history)
            .await
            .map(|page| {
                page.into_iter()
                    .filter_map(|snapshot| {
                        let mut meta = serde_json::to_value(snapshot.checkpoint?).ok()?;
                        meta["values"] =
                            serde_json::to_value(&snapshot.values).unwrap_or(Value::Null);
                        Some(meta)
                    })
                    .collect::<Vec<_>>()
            })
    } else {
        graph
            .get_state_history(&config, &history)
            .await
            .map(|page| {
                page.iter()
                    .filter_map(|meta| serde_json::to_value(meta).ok())
                    .collect()
            })
    };
    match checkpoints {
        Ok(checkpoints) => {
            let next_before = (checkpoints.len() == limit)
                .then(|| checkpoints.last().and_then(|c| c["id"].as_u64()))
                .flatten();
            Json(json!({"checkpoints": checkpoints, "next_before": next_before})).into_response()
        }
        Err(e) => internal_error(&request_id(&headers), "reading a thread's history", &e),
    }
}

/// `GET /api/graph`: vertices and edges as JSON.
pub(crate) async fn graph_json(State(app): State<Arc<App>>) -> Json<graph_core::GraphDescription> {
    Json(app.agent.graph().describe())
}

/// `GET /api/graph.dot`.
pub(crate) async fn graph_dot(State(app): State<Arc<App>>) -> Response {
    text(
        "text/vnd.graphviz; charset=utf-8",
        app.agent.graph().to_dot(),
    )
}

/// `GET /api/graph.mermaid`.
pub(crate) async fn graph_mermaid(State(app): State<Arc<App>>) -> Response {
    text("text/plain; charset=utf-8", app.agent.graph().to_mermaid())
}
