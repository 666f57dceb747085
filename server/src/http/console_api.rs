//! The staff console's JSON API, `/staff/api/*` beside the handoffs' (behind the admin token or
//! a staff login): conversations, bookings (search, one with its change log, the fee of a
//! change, and the change itself on the guest's behalf), the inventory and the activity. The
//! work is `crate::console`'s; this is the boundary (bounded input, clear refusals).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use chrono::NaiveDate;
use hotel::{BookingQuery, BookingStatus};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, OrInternal, RequestId, json_body};
use crate::console::Actor;
use crate::console::activity::{self, Activity, Inventory};
use crate::console::auth::acting;
use crate::console::bookings::{self, Action, BookingView, ChangeDone, ChangeView, QuoteView};
use crate::console::conversation::{self, ConversationDetail, ConversationSummary};
use crate::console::input::Params;
use crate::db::{ConversationQuery, ConversationStatus};
use crate::state::App;

/// The most rows one page lists.
const MAX_PAGE: usize = 200;
/// The longest search text, in characters.
const MAX_SEARCH: usize = 200;
/// The most days the inventory and the activity cover.
const MAX_DAYS: usize = 92;

fn invalid(why: String) -> ApiError {
    ApiError::Invalid(why)
}

/// `GET /staff/api/conversations?status=active|handoff|closed&guest=&channel=&text=&limit=&offset=`,
/// newest first.
pub(crate) async fn conversations(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<ConversationSummary>>, ApiError> {
    let p = Params(&query);
    let status = match p.text("status", 16).map_err(invalid)? {
        None => None,
        Some(s) => Some(ConversationStatus::parse(&s).ok_or_else(|| {
            ApiError::Invalid(format!(
                "status must be active, handoff or closed, got {s:?}"
            ))
        })?),
    };
    let query = ConversationQuery {
        channel: p.text("channel", 32).map_err(invalid)?,
        guest: p.text("guest", MAX_SEARCH).map_err(invalid)?,
        text: p.text("text", MAX_SEARCH).map_err(invalid)?,
        status,
        active_since_ms: conversation::active_since(),
        limit: p.number("limit", 50, MAX_PAGE).map_err(invalid)?,
        offset: p.number("offset", 0, 1_000_000).map_err(invalid)?,
    };
    let found = conversation::list(&app, &query)
        .await
        .or_internal(&request_id, "listing conversations")?;
    Ok(Json(found))
}

/// `GET /staff/api/conversations/{thread_id}` (`channel:user`).
pub(crate) async fn conversation(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Path(thread): Path<String>,
) -> Result<Json<ConversationDetail>, ApiError> {
    let not_found = || ApiError::NotFound(format!("no conversation {thread:?}"));
    let (channel, user) = thread.split_once(':').ok_or_else(not_found)?;
    if thread.chars().count() > 100 || channel.is_empty() || user.is_empty() {
        return Err(not_found());
    }
    conversation::detail(&app, channel, user)
        .await
        .or_internal(&request_id, "reading a conversation")?
        .map(Json)
        .ok_or_else(not_found)
}

fn refused(refusal: bookings::Refused, request_id: &RequestId) -> ApiError {
    match refusal {
        bookings::Refused::NotFound(why) => ApiError::NotFound(why),
        bookings::Refused::Conflict(why) => ApiError::Conflict(why),
        bookings::Refused::Invalid(why) => ApiError::Invalid(why),
        bookings::Refused::Failed(e) => ApiError::internal(request_id, "a booking for staff", e),
    }
}

/// `GET /staff/api/bookings?reference=&guest=&hotel=&from=&to=&status=&limit=&offset=`,
/// newest stays first.
pub(crate) async fn bookings(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<BookingView>>, ApiError> {
    let p = Params(&query);
    let status = match p.text("status", 16).map_err(invalid)?.as_deref() {
        None => None,
        Some("confirmed") => Some(BookingStatus::Confirmed),
        Some("cancelled") => Some(BookingStatus::Cancelled),
        Some(other) => {
            return Err(ApiError::Invalid(format!(
                "status must be confirmed or cancelled, got {other:?}"
            )));
        }
    };
    let query = BookingQuery {
        reference: p.text("reference", 32).map_err(invalid)?,
        guest: p.text("guest", MAX_SEARCH).map_err(invalid)?,
        hotel: p.text("hotel", 8).map_err(invalid)?,
        from: p.date("from").map_err(invalid)?,
        to: p.date("to").map_err(invalid)?,
        status,
        limit: p.number("limit", 50, MAX_PAGE).map_err(invalid)?,
        offset: p.number("offset", 0, 1_000_000).map_err(invalid)?,
    };
    let found = app
        .agent
        .store
        .search(&query)
        .await
        .or_internal(&request_id, "searching bookings")?;
    Ok(Json(
        found
            .iter()
            .map(|f| BookingView::new(&app, &f.guest, &f.booking))
            .collect(),
    ))
}

/// One booking with its change log.
#[derive(Serialize)]
pub(crate) struct BookingDetail {
    booking: BookingView,
    changes: Vec<ChangeView>,
}

/// `GET /staff/api/bookings/{reference}`.
pub(crate) async fn booking(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Path(reference): Path<String>,
) -> Result<Json<BookingDetail>, ApiError> {
    let (guest, booking) = bookings::find(&app, &reference)
        .await
        .map_err(|r| refused(r, &request_id))?;
    let changes = bookings::changes(&app, &guest, &booking)
        .await
        .map_err(|r| refused(r, &request_id))?;
    Ok(Json(BookingDetail {
        booking: BookingView::new(&app, &guest, &booking),
        changes,
    }))
}

/// The action a quote or a change is for.
fn action(
    kind: &str,
    check_in: Option<NaiveDate>,
    check_out: Option<NaiveDate>,
) -> Result<Action, ApiError> {
    match (kind, check_in, check_out) {
        ("cancel", _, _) => Ok(Action::Cancel),
        ("reschedule", Some(a), Some(b)) => Ok(Action::Reschedule(a, b)),
        ("reschedule", _, _) => Err(ApiError::Invalid(
            "a reschedule needs check_in and check_out (YYYY-MM-DD)".into(),
        )),
        (other, _, _) => Err(ApiError::Invalid(format!(
            "action must be cancel or reschedule, got {other:?}"
        ))),
    }
}

/// `GET /staff/api/bookings/{reference}/quote?action=cancel|reschedule&check_in=&check_out=`:
/// the fee the change would cost, by the policy the change applies.
pub(crate) async fn quote(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Path(reference): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<QuoteView>, ApiError> {
    let p = Params(&query);
    let kind = p.text("action", 16).map_err(invalid)?.unwrap_or_default();
    let action = action(
        &kind,
        p.date("check_in").map_err(invalid)?,
        p.date("check_out").map_err(invalid)?,
    )?;
    bookings::quote(&app, &reference, action)
        .await
        .map(Json)
        .map_err(|r| refused(r, &request_id))
}

/// `by` names the staff member with the admin token; a staff login acts under its own name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeRequest {
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    check_in: Option<NaiveDate>,
    #[serde(default)]
    check_out: Option<NaiveDate>,
}

/// `POST /staff/api/bookings/{reference}/cancel` `{"by"?}` and `…/reschedule`
/// `{"check_in", "check_out", "by"?}`: the change for the booking's guest, who is told through
/// their channel when it allows.
pub(crate) async fn change(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    request_id: RequestId,
    Path((reference, kind)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ChangeDone>, ApiError> {
    if kind != "cancel" && kind != "reschedule" {
        return Err(ApiError::NotFound("no such endpoint".into()));
    }
    let shape = r#"{"by": "...", "check_in": "YYYY-MM-DD", "check_out": "YYYY-MM-DD"}"#;
    let request: ChangeRequest = json_body(&body?, shape)?;
    let by = acting(&actor, request.by.as_deref()).map_err(invalid)?;
    let action = action(&kind, request.check_in, request.check_out)?;
    bookings::act(&app, &reference, action, &by)
        .await
        .map(Json)
        .map_err(|r| refused(r, &request_id))
}

/// `GET /staff/api/inventory?from=YYYY-MM-DD&days=30`: rooms booked per night, hotel and room
/// type; from the hotel's today by default.
pub(crate) async fn inventory(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Inventory>, ApiError> {
    let p = Params(&query);
    let from = p
        .date("from")
        .map_err(invalid)?
        .unwrap_or_else(|| app.agent.today());
    let days = p.number("days", 30, MAX_DAYS).map_err(invalid)?;
    activity::inventory(&app, from, u32::try_from(days).unwrap_or(30))
        .await
        .map(Json)
        .or_internal(&request_id, "reading the inventory")
}

/// `GET /staff/api/activity?days=30`: messages, bookings, revenue and handoffs per day up to
/// the hotel's today, and the LLM's use.
pub(crate) async fn activity(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Activity>, ApiError> {
    let days = Params(&query)
        .number("days", 30, MAX_DAYS)
        .map_err(invalid)?
        .max(1);
    activity::activity(&app, u32::try_from(days).unwrap_or(30))
        .await
        .map(Json)
        .or_internal(&request_id, "reading the activity")
}
