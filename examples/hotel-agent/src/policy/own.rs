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
    let folded = crate::text::fold(&r.message);
    // A question about a booking's hotel: "abh-bpc76t what time can we check in?" (named by
    // reference), "when do i check in at the miami one and from what time" (picked among the
    // guest's), "mañana llegamos a Nueva Orleans, ¿a qué hora es el check-in?" (named by its
    // own dates, not a new request).
    let picked = || pick_booking(r, w, None).and_then(|p| booking(w, &p));
    // ("Need to cancel HPH-QE72UA, the client dinner fell through" cancels: the dinner is the
    // reason, no question.)
    let change = matches!(
        r.intent,
        Intent::CancellationRequest | Intent::ModificationRequest
    );
    let asked_of = if !r.topic || (change && !r.question) {
        None
    } else if !r.has_dates() {
        r.entities
            .booking_ref
            .as_deref()
            .and_then(|p| booking(w, p))
            .or_else(|| {
                (!d.slots.started() && crate::qa::asks_own_day(&folded))
                    .then(picked)
                    .flatten()
            })
    } else if !d.slots.started()
        && r.shift_days.is_none()
        && r.extra_nights.is_none()
        && names_its_own_dates(r, w, d)
    {
        picked()
    } else {
        None
    };
    if let Some(b) = asked_of {
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
    // "¿Y cuánto nos sale en total?" right after a booking was shown: its total, shown again.
    if d.pending.is_none()
        && !d.slots.started()
        && !r.has_dates()
        && r.entities.room_type.is_none()
        && r.entities.adults.is_none()
        && asks_its_total(&folded)
        && let Some(shown) = d.shown.as_deref().filter(|p| booking(w, p).is_some())
    {
        next.shown = Some(shown.to_owned());
        return Some(Route::Lookup);
    }
    // "Y la de miami se queda igual verdad?" after another was moved: that one, shown as it
    // stands.
    if r.question
        && !d.slots.started()
        && unchanged(&folded)
        && let Some(picked) = pick_booking(r, w, None)
    {
        if let Some(b) = booking(w, &picked) {
            next.focus = Some(b.quote.hotel.clone());
        }
        next.shown = Some(picked);
        return Some(Route::Lookup);
    }
    // "So it's still the 10th to the 12th, right?": a booking's own dates asked about ("the
    // lodge for the same dates?" asks for a stay).
    if r.question
        && r.has_dates()
        && !r.same_dates
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

/// Whether `folded` asks if something stays as it is: "se queda igual", "is still on".
pub(super) fn unchanged(folded: &str) -> bool {
    [
        "se queda igual",
        "queda igual",
        "sigue igual",
        "sigue en pie",
        "sigue vigente",
        "no cambia",
        "no se toca",
        "still the same",
        "stays the same",
        "stays as is",
        "unchanged",
        "still on",
        "still stands",
        "still good",
        "not affected",
    ]
    .iter()
    .any(|p| folded.contains(p))
}

/// Whether `folded` asks what a stay costs in all: "¿cuánto nos sale en total?", "what's our
/// total".
fn asks_its_total(folded: &str) -> bool {
    [
        "en total",
        "in total",
        "the total",
        "our total",
        "my total",
        "el total",
        "cuanto pagamos",
        "cuanto pague",
        "cuanto nos sale",
        "cuanto nos cuesta",
        "cuanto nos cobran",
        "how much do we owe",
        "how much are we paying",
    ]
    .iter()
    .any(|p| folded.contains(p))
}
