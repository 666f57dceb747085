//! Questions about the guest's own bookings that come with no quote waiting: a hotel question
//! with a reference or the booking's own dates, "when do I check in at the miami one", "so it's
//! still the 10th to the 12th?", "¿me recuerdas las fechas?".

use agent_nodes::nlu::Intent;

use super::bookings::{booking, pick_booking};
use super::signs::{names_its_own_dates, recalls};
use super::{Dialog, Route, World};
use crate::reading::Reading;

/// The route for a question about one of the guest's bookings, with `next` pointed at it;
/// `None` when the message is something else.
pub(super) fn about_own_booking(
    d: &Dialog,
    r: &Reading,
    w: World<'_>,
    next: &mut Dialog,
) -> Option<Route> {
    // "abh-bpc76t what time can we check in?": a question about the booking's hotel.
    if r.topic
        && !r.has_dates()
        && let Some(b) = r
            .entities
            .booking_ref
            .as_deref()
            .and_then(|p| booking(w, p))
    {
        next.focus = Some(b.quote.hotel.clone());
        next.shown = Some(b.reference.to_string());
        return Some(Route::Answer);
    }
    // "When do i check in at the miami one and from what time": the guest's booking there.
    if r.topic
        && !r.has_dates()
        && !d.slots.started()
        && crate::qa::asks_own_day(&crate::text::fold(&r.message))
        && let Some(b) = pick_booking(r, w, None)
            .as_deref()
            .and_then(|p| booking(w, p))
    {
        next.focus = Some(b.quote.hotel.clone());
        next.shown = Some(b.reference.to_string());
        return Some(Route::Answer);
    }
    // "Mañana llegamos a Nueva Orleans, ¿a qué hora es el check-in?": a question about the
    // booking those dates are, not a new request.
    if r.topic
        && r.has_dates()
        && !d.slots.started()
        && r.shift_days.is_none()
        && r.extra_nights.is_none()
        && names_its_own_dates(r, w, d)
        && let Some(b) = pick_booking(r, w, None)
            .as_deref()
            .and_then(|p| booking(w, p))
    {
        next.focus = Some(b.quote.hotel.clone());
        next.shown = Some(b.reference.to_string());
        return Some(Route::Answer);
    }
    // "¿Y me recuerdas las fechas y para cuántos es?" right after a booking was shown: that
    // booking again.
    if recalls(r)
        && !r.has_dates()
        && !d.slots.started()
        && d.pending.is_none()
        && let Some(shown) = d.shown.as_deref().filter(|p| booking(w, p).is_some())
    {
        next.shown = Some(shown.to_owned());
        return Some(Route::Lookup);
    }
    // "So it's still the 10th to the 12th, right?": a booking's own dates asked about.
    if r.question
        && r.has_dates()
        && !d.slots.started()
        && !matches!(
            r.intent,
            Intent::CancellationRequest | Intent::ModificationRequest
        )
        && r.shift_days.is_none()
        && r.extra_nights.is_none()
        && !r.topic
        && names_its_own_dates(r, w, d)
    {
        next.shown = pick_booking(r, w, None).or_else(|| d.shown.clone());
        // "Tengo algo en Orlando del 12, no?" then "¿el desayuno está incluido?": that hotel.
        if let Some(b) = next.shown.as_deref().and_then(|p| booking(w, p)) {
            next.focus = Some(b.quote.hotel.clone());
        }
        return Some(Route::Lookup);
    }
    None
}
