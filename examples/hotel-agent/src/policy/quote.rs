//! The guest's message read against the quote waiting for an answer: a clear yes confirms
//! it, a no or a hedge drops it, a correction amends the request, a question is answered and
//! the same terms asked again.

use agent_nodes::nlu::Intent;

use super::bookings::booking;
use super::request::{amendment, only_fitting_room, surprising_length, surprising_move};
use super::reschedule::likely_new_dates;
use super::{Dialog, Route, World, is_other_flow, named_hotel};
use crate::booking::merge;
use crate::consent::{self, Answer, Quoted};
use crate::reading::Reading;
use crate::state::{ChangeFlow, ChangeKind, Pending, Slots};

/// The guest's message read as an answer to the pending quote; `None` when it is another
/// request, to be read afresh.
pub(super) fn answer_quote(
    d: &Dialog,
    pending: &Pending,
    r: &Reading,
    w: World<'_>,
    next: &mut Dialog,
) -> Option<(Route, Dialog)> {
    let kind = quoted(pending);
    // The booking a change was quoted for is what "it" means next ("let me think" then "what if
    // I cancel it instead?"), whatever the answer.
    if let Pending::Reschedule { reference, .. } | Pending::Cancel { reference, .. } = pending {
        next.shown = Some(reference.clone());
    }
    // "Actually forget moving it, just cancel the whole thing": the cancellation is quoted.
    if let Pending::Reschedule {
        reference,
        check_in,
        check_out,
        ..
    } = pending
        && r.intent == Intent::CancellationRequest
        && !r.has_dates()
    {
        // The move dropped is remembered: "no, don't cancel, move it to tomorrow as I said"
        // means the move quoted before.
        let mut moved = booking(w, reference).map(super::bookings::terms);
        if let Some(stay) = moved.as_mut() {
            (stay.check_in, stay.check_out) = (Some(*check_in), Some(*check_out));
            next.previous = moved;
        }
        next.pending = None;
        next.change = Some(ChangeFlow {
            kind: ChangeKind::Cancel,
            reference: Some(reference.clone()),
            dates: None,
        });
        return Some((Route::Cancel, next.clone()));
    }
    // "50 bucks to add a night smh. fine, yes go ahead": the move quoted, said again, is no
    // new change.
    let restates = match pending {
        Pending::Reschedule {
            reference,
            check_in,
            check_out,
            ..
        } => likely_new_dates(r, booking(w, reference), w.today) == Some((*check_in, *check_out)),
        _ => false,
    };
    match consent::classify(&r.message, kind) {
        // A yes that also changes something ("yes, for the 5th") is a correction: the new
        // terms are quoted first (the amendment below confirms only unchanged terms). A yes
        // inside text written to steer the agent ("Assistant: … confirmed. Guest: yes") is
        // no guest's yes.
        Answer::Accept if (!r.amends() || restates) && !r.injection => {
            // "Cancel the seaside one" then "book the lodge, same dates": the cancelled stay.
            if let Pending::Cancel { reference, .. } = pending
                && let Some(b) = booking(w, reference)
            {
                next.previous = Some(super::bookings::terms(b));
            }
            // "The same dates for my colleague" after a move means the new dates.
            if let Pending::Reschedule {
                reference,
                check_in,
                check_out,
                ..
            } = pending
            {
                let mut moved = booking(w, reference).map(super::bookings::terms);
                if let Some(stay) = moved.as_mut() {
                    (stay.check_in, stay.check_out) = (Some(*check_in), Some(*check_out));
                }
                next.previous = moved.or(next.previous.take());
            }
            // "Does the hotel have a gym?" after a move or a cancellation: that booking's hotel.
            if let Pending::Reschedule { reference, .. } | Pending::Cancel { reference, .. } =
                pending
                && let Some(b) = booking(w, reference)
            {
                next.focus = Some(b.quote.hotel.clone());
            }
            return Some((Route::Confirm, next.clone()));
        }
        // "En navidad sale más caro... entonces no, déjala como está": the dates named are
        // the reason, the booking stays.
        // ("Never mind, forget all that, my sister says Miami is too hot": the place is the
        // reason, or where to start again.)
        Answer::Decline
            if !r.amends()
                || (matches!(pending, Pending::Reschedule { .. } | Pending::Cancel { .. })
                    && consent::keeps_as_is(&r.message))
                || (consent::drops_it(&r.message)
                    && !r.names_more_than_a_place()
                    && !r.same_dates
                    && !r.question) =>
        {
            next.pending = None;
            next.change = None;
            if let Pending::Reschedule { reference, .. } | Pending::Cancel { reference, .. } =
                pending
            {
                // "Keep it. Does that hotel have a gym?": the kept booking's hotel.
                if let Some(b) = booking(w, reference) {
                    next.focus = Some(b.quote.hotel.clone());
                }
                return Some((Route::KeepBooking, next.clone()));
            }
            next.previous = Some(d.slots.clone());
            next.slots = Slots::default();
            // "Olvídalo. Oye, ¿el de Austin tiene gimnasio?": the hotel asked about is the
            // one in focus now ("pues resérvame allí una estándar").
            next.focus = named_hotel(r, w.catalog);
            return Some((Route::Decline, next.clone()));
        }
        // "Wait, don't cancel it, I'd rather add a standard room there for my parents": the
        // change is dropped and the room is a new request, read afresh about that booking's
        // hotel and dates ("there", "same dates"). Asking the change again would let the
        // next "yes", meant for the room, cancel the booking.
        Answer::Decline
            if matches!(pending, Pending::Reschedule { .. } | Pending::Cancel { .. })
                && (r.entities.room_type.is_some() || r.entities.adults.is_some())
                && r.entities.booking_ref.is_none() =>
        {
            next.pending = None;
            next.change = None;
            if let Pending::Reschedule { reference, .. } | Pending::Cancel { reference, .. } =
                pending
                && let Some(b) = booking(w, reference)
            {
                next.focus = Some(b.quote.hotel.clone());
                next.previous = Some(super::bookings::terms(b));
            }
            return None;
        }
        // "Hmm and does the Seaside have a spa?": a hedge with a question is answered below.
        // Text written to steer the agent puts nothing off: the quote waits as quoted.
        Answer::Defer
            if !r.injection && (consent::puts_off(&r.message) || (!r.amends() && !r.question)) =>
        {
            next.pending = None;
            return Some((Route::Defer, next.clone()));
        }
        Answer::Accept | Answer::Decline | Answer::Defer | Answer::Unclear => {}
    }
    // "And what did I pay at the seaside?" while the lodge is quoted: the guest's booking
    // there is shown, and the quote is dropped (its hotel is no correction).
    if r.intent == Intent::BookingLookup && !r.topic && !r.has_dates() {
        next.pending = None;
        return None;
    }
    // "So that is three nights, the 9th, the 10th and the 11th, and $1,054 in total, am I
    // reading that right?": the quote read back, not changed; its terms are asked again.
    if let Pending::Book { stay, .. } = pending
        && reads_back(stay, r, w)
    {
        return Some((Route::AskAgain, next.clone()));
    }
    next.pending = None;
    match pending {
        // A correction amends the request; the collect node quotes it again. One that changes
        // nothing, said with a yes ("ok the deluxe, yes book it"), accepts the same terms.
        Pending::Book { stay, .. }
            if (r.amends() || r.bare_number.is_some() || r.joins.is_some())
                && (!is_other_flow(r) || corrects_as_cancel(r, w)) =>
        {
            let mut e = amendment(r, &d.slots, d.month, w.today);
            // "Wait, her sister's coming too": one more than the party quoted.
            if let (None, None, Some(more)) = (e.adults, e.children, r.joins) {
                e.adults = Some(stay.guests.saturating_add(more));
            }
            next.slots = merge(w.catalog, d.slots.clone(), &e);
            only_fitting_room(w.catalog, &mut next.slots);
            next.focus = next.slots.hotel.clone();
            if r.vague_dates
                || surprising_length(stay, &next.slots, r)
                || surprising_move(stay, &next.slots, r)
            {
                (next.slots.check_in, next.slots.check_out) = (None, None);
                return Some((Route::Clarify, next.clone()));
            }
            let same = next.slots.hotel.as_deref() == Some(stay.hotel.as_str())
                && next.slots.room.as_deref() == Some(stay.room.as_str())
                && next.slots.check_in == Some(stay.check_in)
                && next.slots.check_out == Some(stay.check_out)
                && next.slots.guests == Some(stay.guests);
            if same && consent::says_yes(&r.message, kind) && !r.injection {
                next.pending = d.pending.clone();
                return Some((Route::Confirm, next.clone()));
            }
            // "¿Mi hija puede hacer el check-in?": the daughter was counted already; the
            // question is answered and the same terms asked again.
            if same && r.question && r.topic {
                next.pending = d.pending.clone();
                return Some((Route::Answer, next.clone()));
            }
            return Some((Route::Collect, next.clone()));
        }
        // "Actually, can we move it instead?" turns a cancellation into a reschedule.
        Pending::Cancel { reference, .. }
            if r.intent == Intent::ModificationRequest
                || r.shift_days.is_some()
                || (r.has_dates() && r.intent != Intent::CancellationRequest) =>
        {
            let mut dates = likely_new_dates(r, booking(w, reference), w.today);
            // The move quoted before this cancellation, when the guest comes back to it with
            // the same arrival ("no, don't cancel, move it to tomorrow as I said").
            let booked_hotel = booking(w, reference).map(|b| b.quote.hotel.as_str());
            let before = d
                .previous
                .as_ref()
                .filter(|p| p.hotel.as_deref() == booked_hotel)
                .and_then(|p| p.check_in.zip(p.check_out));
            if let Some((from, to)) = before
                && r.entities.check_out.is_none()
                && r.extra_nights.is_none()
                && dates.is_some_and(|(i, _)| i == from)
            {
                dates = Some((from, to));
            }
            next.change = Some(ChangeFlow {
                kind: ChangeKind::Reschedule,
                reference: Some(reference.clone()),
                dates,
            });
            return Some((Route::Reschedule, next.clone()));
        }
        Pending::Reschedule { reference, .. } if r.has_dates() || r.shift_days.is_some() => {
            next.change = Some(ChangeFlow {
                kind: ChangeKind::Reschedule,
                reference: Some(reference.clone()),
                dates: likely_new_dates(r, booking(w, reference), w.today),
            });
            return Some((Route::Reschedule, next.clone()));
        }
        // A change asked for but not read ("one more night pls"): asking the old terms again
        // would let a terse yes book what the guest just tried to change. The quote is
        // dropped and the dates, the usual subject of such a change, are asked for.
        // (With a yes in it, "70 bucks to change?? fine. yes go ahead", the terms are asked
        // again instead.)
        Pending::Book { .. }
            if r.intent == Intent::ModificationRequest
                && !r.topic
                && !is_other_flow(r)
                && !consent::has_yes(&r.message) =>
        {
            (next.slots.check_in, next.slots.check_out) = (None, None);
            return Some((Route::Clarify, next.clone()));
        }
        // The same for a quoted move: the booking's new dates are asked for afresh.
        Pending::Reschedule { reference, .. }
            if r.intent == Intent::ModificationRequest
                && !r.topic
                && !is_other_flow(r)
                && !consent::has_yes(&r.message) =>
        {
            next.change = Some(ChangeFlow {
                kind: ChangeKind::Reschedule,
                reference: Some(reference.clone()),
                dates: None,
            });
            return Some((Route::Reschedule, next.clone()));
        }
        _ => {}
    }
    if r.question
        || r.topic
        || r.intent == Intent::GeneralInquiry
        || (r.follow_up && d.asked.is_some())
    {
        let quoted_hotel = match pending {
            Pending::Book { stay, .. } => Some(stay.hotel.clone()),
            _ => None,
        };
        let named = named_hotel(r, w.catalog);
        let elsewhere = named.is_some() && named != quoted_hotel;
        if elsewhere {
            next.focus = named;
            return Some((Route::Answer, next.clone()));
        }
        if !is_other_flow(r) {
            // Answered, then the same terms asked again: the quote stands.
            next.pending = d.pending.clone();
            return Some((Route::Answer, next.clone()));
        }
    }
    if !is_other_flow(r) && !matches!(r.intent, Intent::Goodbye | Intent::Compliment) {
        next.pending = d.pending.clone();
        return Some((Route::AskAgain, next.clone()));
    }
    // Another request: the quote is gone, and the message is read afresh.
    None
}

/// "Scratch that, the intern can't come, just 2 ppl now, switch it to a standard" from a guest
/// with no booking: the "can't come" is about the quote, whose terms it changes.
fn corrects_as_cancel(r: &Reading, w: World<'_>) -> bool {
    r.intent == Intent::CancellationRequest
        && r.entities.booking_ref.is_none()
        && super::bookings::upcoming(w).next().is_none()
        && (r.entities.adults.is_some() || r.entities.room_type.is_some())
        && crate::text::words(&crate::text::fold(&r.message))
            .iter()
            .any(|word| {
                matches!(
                    *word,
                    "switch"
                        | "change"
                        | "now"
                        | "instead"
                        | "cambia"
                        | "cambiala"
                        | "ahora"
                        | "mejor"
                )
            })
}

/// Whether `r` asks whether it has `stay` right: a question whose every date falls within
/// the stay, whose nights are its nights and which names nothing else.
fn reads_back(stay: &crate::state::Stay, r: &Reading, w: World<'_>) -> bool {
    let e = &r.entities;
    let within =
        |d: Option<chrono::NaiveDate>| d.is_none_or(|d| d >= stay.check_in && d <= stay.check_out);
    let nights = (stay.check_out - stay.check_in).num_days();
    r.question
        && e.nights.is_some_and(|n| i64::from(n) == nights)
        && within(e.check_in)
        && within(e.check_out)
        && e.room_type.as_deref().is_none_or(|room| room == stay.room)
        && named_hotel(r, w.catalog).is_none_or(|h| h == stay.hotel)
        && e.adults
            .is_none_or(|g| g.saturating_add(e.children.unwrap_or(0)) == stay.guests)
        && r.shift_days.is_none()
        && r.extra_nights.is_none()
}

fn quoted(p: &Pending) -> Quoted {
    match p {
        Pending::Book { .. } => Quoted::Booking,
        Pending::Reschedule { .. } => Quoted::Reschedule,
        Pending::Cancel { .. } => Quoted::Cancellation,
    }
}
