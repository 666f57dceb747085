//! A message with no quote waiting for it: a change in progress goes on, a booking is looked
//! up, moved or cancelled, a question is answered, a request is collected or weighed.

use agent_nodes::nlu::Intent;
use hotel::Booking;

use super::bookings::{booking, pick_booking, terms, upcoming};
use super::own::about_own_booking;
use super::request::request;
use super::reschedule::{likely_new_dates, new_dates};
use super::signs::{
    asked_cheapest, cheapest_hotel, cheapest_room, drafting, is_new_booking, names_its_own_dates,
    recalls, says_change, thanks, underway,
};
use super::{Dialog, Route, World, compare, is_policy_question, named_hotel};
use crate::consent::{self, Answer, Quoted};
use crate::reading::Reading;
use crate::state::{ChangeFlow, ChangeKind, Slots};

/// A message with no quote waiting for it.
pub(super) fn fresh(d: &Dialog, r: &Reading, w: World<'_>, mut next: Dialog) -> (Route, Dialog) {
    let named = named_hotel(r, w.catalog);
    // "Forget it", "let me think" about a request or a change in progress.
    if d.slots.started() || d.change.is_some() {
        match consent::classify(&r.message, Quoted::Booking) {
            Answer::Decline if !r.amends() => {
                next.change = None;
                if d.slots.started() {
                    next.previous = Some(d.slots.clone());
                }
                next.slots = Slots::default();
                next.focus = named.clone();
                return (Route::Decline, next);
            }
            // "Can we shift it 2 days later?" moves something; it puts nothing off.
            Answer::Defer
                if (!r.amends() || consent::puts_off(&r.message))
                    && r.shift_days.is_none()
                    && r.extra_nights.is_none() =>
            {
                return (Route::Defer, next);
            }
            _ => {}
        }
    }

    // ("¿Cuánto sale del 14 al 19 o del 26 al 31, para 5?" asks for a stay: a cancellation
    // waiting for its booking is dropped.)
    let cancel_waits = d
        .change
        .as_ref()
        .is_some_and(|c| c.kind == ChangeKind::Cancel);
    let stay_instead = cancel_waits && (r.price || r.weighs || r.entities.adults.is_some());
    let without_change;
    let d = if stay_instead {
        without_change = Dialog {
            change: None,
            ..d.clone()
        };
        next.change = None;
        &without_change
    } else {
        d
    };
    // A change waiting for its booking or its dates (a question about a hotel is a question).
    // ("The february one is still on right?" asks; "ok, bye" leaves.)
    if let Some(change) = &d.change
        && !is_new_booking(r)
        && !r.topic
        && !r.asks_what
        && r.intent != Intent::Goodbye
        && !(r.question && super::own::unchanged(&crate::text::fold(&r.message)))
    {
        let picked = pick_booking(r, w, change.reference.as_deref());
        // "Ok cancel the Dallas one then" while a move waits for its dates: a cancellation.
        let kind = if r.intent == Intent::CancellationRequest && !r.has_dates() {
            ChangeKind::Cancel
        } else {
            change.kind
        };
        match kind {
            ChangeKind::Reschedule
                if r.has_dates() || r.shift_days.is_some() || picked.is_some() =>
            {
                // Dates given for a booking already picked answer "which dates?" and are
                // taken as said.
                let read = if change.reference.is_some() {
                    new_dates
                } else {
                    likely_new_dates
                };
                let dates = picked
                    .as_deref()
                    .and_then(|p| read(r, booking(w, p), w.today));
                next.change = Some(ChangeFlow {
                    kind: ChangeKind::Reschedule,
                    reference: picked,
                    dates,
                });
                return (Route::Reschedule, next);
            }
            ChangeKind::Cancel if picked.is_some() => {
                if let Some(b) = picked.as_deref().and_then(|p| booking(w, p))
                    && !d.slots.started()
                {
                    next.previous = Some(terms(b));
                    next.focus = Some(b.quote.hotel.clone());
                }
                next.change = Some(ChangeFlow {
                    kind: ChangeKind::Cancel,
                    reference: picked,
                    dates: None,
                });
                return (Route::Cancel, next);
            }
            _ => {}
        }
    }

    if let Some(route) = compare::compare(d, r, w, &mut next) {
        return (route, next);
    }
    // "And at the Grand Plaza?" after a question: the same question, about that hotel.
    if d.asked.is_some()
        && r.follow_up
        && named.is_some()
        && !r.topic
        && !r.names_more_than_a_place()
    {
        next.focus = named;
        return (Route::Answer, next);
    }
    let asks = r.question || r.topic || r.price || r.intent == Intent::GeneralInquiry;
    // "¿Y en qué hotel cabe una habitación para 5?": answered across the hotels; the details
    // in it go on the request.
    if asks && r.across && named.is_none() {
        if r.names_more_than_a_place() {
            next.slots = request(d, r, w, None);
        }
        // "Which have a spa?" then "and which of those is cheapest for the 10th to the 12th?":
        // the hotels of the answer are the ones weighed next.
        // "Which hotel has a free shuttle?" then "how much is a deluxe there": the one hotel
        // of the answer is in focus.
        let mut with = crate::qa::hotels_with(w.catalog, &crate::text::fold(&r.message));
        // "And of those, which one takes dogs?": among the hotels of the last answer.
        if r.weighs && d.compared.len() > 1 {
            with.retain(|h| d.compared.contains(h));
        }
        match <[String; 1]>::try_from(with) {
            Ok([only]) => {
                next.focus = Some(only);
                next.compared = Vec::new();
            }
            Err(with) if with.len() > 1 => next.compared = with,
            Err(_) => {}
        }
        return (Route::Answer, next);
    }
    // "¿Qué tienen en Miami y en Nueva Orleans?": a question about each hotel named, before
    // any request.
    if r.question
        && !d.slots.started()
        && !r.names_more_than_a_place()
        && !matches!(
            r.intent,
            Intent::CancellationRequest | Intent::ModificationRequest | Intent::BookingLookup
        )
        && crate::nlu::hotels_in(w.catalog, &crate::text::fold(&r.message)).len() > 1
    {
        return (Route::Answer, next);
    }
    let reschedule = |next: &mut Dialog| {
        let reference = pick_booking(r, w, None).or_else(|| d.shown.clone());
        // Whether or not it can be moved, questions and requests next are about its hotel.
        if let Some(b) = reference.as_deref().and_then(|p| booking(w, p)) {
            next.focus = Some(b.quote.hotel.clone());
        }
        let dates = reference
            .as_deref()
            .and_then(|p| likely_new_dates(r, booking(w, p), w.today));
        next.change = Some(ChangeFlow {
            kind: ChangeKind::Reschedule,
            reference,
            dates,
        });
    };
    if let Some(route) = about_own_booking(d, r, w, &mut next) {
        return (route, next);
    }
    // "We're at the Heritage, can we stay one more night, until Tuesday?": a stay under way
    // cannot be changed; the nights after it are offered as a booking of their own, in the
    // same room for the same party.
    // (Before the moves below, which take more nights for the guest's next booking.)
    if !d.slots.started()
        && !r.topic
        && let Some(b) = underway(r, w, named.as_deref())
    {
        let from = b.quote.check_out;
        let to = r.entities.check_out.filter(|out| *out > from).or_else(|| {
            let extra = r.extra_nights.filter(|n| *n > 0)?;
            Some(from + chrono::Duration::days(extra))
        });
        if let Some(to) = to {
            next.slots = Slots {
                check_in: Some(from),
                check_out: Some(to),
                ..terms(b)
            };
            next.focus = Some(b.quote.hotel.clone());
            next.shown = Some(b.reference.to_string());
            next.change = None;
            return (Route::Underway, next);
        }
    }
    // "Need to move MVL-FUUUFB to jan 10-12": a booking named with new dates is a change (a new
    // booking never comes with a reference).
    // ("Me pasas los detalles de mi reserva X? no me acuerdo si era el 8 o el 9" asks for it.)
    if r.entities.booking_ref.is_some()
        && r.has_dates()
        && r.intent != Intent::CancellationRequest
        && !d.slots.started()
        && !recalls(r)
    {
        reschedule(&mut next);
        return (Route::Reschedule, next);
    }
    // "Can we push HPH-Z6A7QE a week?", "quisiera quedarme dos noches más": an offset or
    // nights added move a booking, whatever else is named.
    if (r.shift_days.is_some() || (r.extra_nights.is_some() && !r.fresh_start))
        && (r.entities.booking_ref.is_some() || upcoming(w).next().is_some())
        && !d.slots.started()
        && !recalls(r)
    {
        reschedule(&mut next);
        return (Route::Reschedule, next);
    }
    // "Checking out the 11th instead" with no request in progress: a departure alone is about
    // a booking the guest has, not a new one.
    // ("What time is checkout on the 18th?" asks the time.)
    if r.leaving
        && !r.topic
        && r.entities.check_in.is_none()
        && r.entities.check_out.is_some()
        && r.entities.room_type.is_none()
        && !d.slots.started()
        && (r.entities.booking_ref.is_some() || upcoming(w).next().is_some())
    {
        reschedule(&mut next);
        return (Route::Reschedule, next);
    }
    // "¿Se puede cambiar? Nos vendría mejor del 18 al 20" right after a booking was shown:
    // new dates for it.
    let change_verb = says_change(&crate::text::fold(&r.message));
    // ("La de Nueva Orleans, córremela un día" after several were listed: the one named.)
    // ("Change of plans, we need to cancel the new years one" cancels.)
    if change_verb
        && r.intent != Intent::CancellationRequest
        && (d.shown.is_some() || pick_booking(r, w, None).is_some())
        && r.has_dates()
        && !d.slots.started()
        && r.entities.room_type.is_none()
        && r.entities.adults.is_none()
        && !r.fresh_start
    {
        reschedule(&mut next);
        return (Route::Reschedule, next);
    }
    // "Forget chicago, meeting got cancelled. miami instead, dec 19 to 21, 2 ppl, deluxe" from
    // a guest with no booking: a new stay asked for, not a cancellation.
    let asks_a_stay_instead = r.entities.booking_ref.is_none()
        && upcoming(w).next().is_none()
        && r.has_dates()
        && (r.entities.room_type.is_some() || r.entities.adults.is_some());
    match r.intent {
        Intent::CancellationRequest if !is_policy_question(r) && !asks_a_stay_instead => {
            let reference = pick_booking(r, w, None).or_else(|| d.shown.clone());
            // "Cancel it, and the same dates in Miami instead?": its stay is remembered.
            if let Some(b) = reference.as_deref().and_then(|p| booking(w, p))
                && !d.slots.started()
            {
                next.previous = Some(terms(b));
                next.focus = Some(b.quote.hotel.clone());
            }
            next.change = Some(ChangeFlow {
                kind: ChangeKind::Cancel,
                reference,
                dates: None,
            });
            return (Route::Cancel, next);
        }
        // A change needs a booking to change: "whats the move" from a guest with none asks for
        // a new one.
        // "Orlando in march instead, standard for 2" from a guest with no booking there asks
        // for a new stay.
        Intent::ModificationRequest
            if !drafting(d, r)
                && !r.fresh_start
                && (r.entities.booking_ref.is_some()
                    || pick_booking(r, w, None).is_some()
                    || upcoming(w)
                        .any(|b| named.as_deref().is_none_or(|h| h == b.quote.hotel))) =>
        {
            reschedule(&mut next);
            return (Route::Reschedule, next);
        }
        // "HPH-M88JFG, can I move it to the 30th?": new dates for a booking are a change.
        // "Tengo una reserva del 5 al 7 de diciembre" names the booking by its own dates.
        Intent::BookingLookup
            if r.has_dates()
                && (pick_booking(r, w, None).is_some() || d.shown.is_some())
                && !names_its_own_dates(r, w, d)
                && !recalls(r) =>
        {
            reschedule(&mut next);
            return (Route::Reschedule, next);
        }
        // "I have a booking at the seaside for dec 12. How much would the lodge be for the
        // same dates?" asks for a stay elsewhere, not the booking.
        Intent::BookingLookup
            if !(r.same_dates
                && named.is_some()
                && pick_booking(r, w, None)
                    .and_then(|p| booking(w, &p))
                    .is_some_and(|b| Some(&b.quote.hotel) != named.as_ref())) =>
        {
            next.change = None;
            // "¿Qué reservas tengo? No me acuerdo si hice la de Colorado": all of them, the one
            // named among them.
            let folded = crate::text::fold(&r.message);
            let asks_all = [
                "reservas tengo",
                "reservas tenemos",
                "bookings do i have",
                "bookings do we have",
                "reservations do i have",
                "reservations do we have",
                "all my bookings",
                "todas mis reservas",
            ]
            .iter()
            .any(|p| folded.contains(p));
            next.shown = pick_booking(r, w, None).filter(|_| !asks_all);
            // "What time is check-in at the City Center? I have a booking there": a question
            // about the booking's hotel.
            if r.topic {
                next.focus = next
                    .shown
                    .as_deref()
                    .and_then(|p| booking(w, p))
                    .map(|b| b.quote.hotel.clone())
                    .or(named)
                    .or(next.focus);
                return (Route::Answer, next);
            }
            // The one booking shown is what "the same hotel" and "the same again" refer to.
            let mine: Vec<&Booking> = upcoming(w).collect();
            if let [only] = mine.as_slice() {
                next.focus = Some(only.quote.hotel.clone());
                next.previous = Some(terms(only));
            }
            // Several, all at one hotel: "the hotel" is that one.
            if let [first, rest @ ..] = mine.as_slice()
                && rest.iter().all(|b| b.quote.hotel == first.quote.hotel)
            {
                next.focus = Some(first.quote.hotel.clone());
            }
            return (Route::Lookup, next);
        }
        _ => {}
    }

    // A bare number ("5 then") is a head count only for a request in progress.
    let counted = r.bare_number.is_some() && d.slots.started();
    let books = matches!(
        r.intent,
        Intent::ReservationRequest | Intent::AvailabilityCheck | Intent::ModificationRequest
    ) || r.amends()
        || asks_a_stay_instead
        || counted
        // "Thanks, see you in January" is no request for January.
        || (r.vague_dates && !thanks(&r.message))
        || r.same_dates
        || r.same_request;
    // "Which is the cheapest?" during a request picks its room.
    let picks = (r.cheapest || r.biggest) && d.slots.started();
    // "Orlando I guess. Is breakfast included there?" after two hotels were priced: that one.
    let picks_weighed = d.slots.started()
        && d.slots.hotel.is_none()
        && named.as_ref().is_some_and(|h| d.compared.contains(h));
    let details = r.amends() || counted || r.same_dates || r.same_request || picks || picks_weighed;
    if (books && !asks) || (asks && details) {
        next.change = None;
        next.slots = request(d, r, w, named.as_ref());
        next.focus = next.slots.hotel.clone().or(next.focus);
        // "What's the cheapest room in Miami?" then "how much for the 7th to the 10th?": the
        // room that answer named.
        if next.slots.room.is_none()
            && !d.slots.started()
            && next.slots.hotel.is_some()
            && next.slots.hotel == d.focus
            && d.asked.as_deref().is_some_and(asked_cheapest)
        {
            next.slots.room = cheapest_room(w.catalog, &next.slots);
        }
        if r.vague_dates {
            // "Then in January": the earlier dates are gone; days given next are in January
            // ("right after xmas", then "the 26th to the 30th": in December).
            next.month = r.months.first().copied().or_else(|| r.holiday_month());
            (next.slots.check_in, next.slots.check_out) = (None, None);
            // "Early December — is breakfast included?": the question first; the dates are
            // asked for after it.
            let route = if r.topic {
                Route::AnswerAndCollect
            } else {
                Route::Clarify
            };
            return (route, next);
        }
        if next.slots.check_in.is_some() {
            next.month = None;
        } else if let [month] = r.months.as_slice() {
            // "Orlando in February": days given next ("del 18 al 22") are in February.
            next.month = Some(*month);
        }
        // A question with the request in it is answered, and the request goes on after.
        // Only a question about the hotel needs an answer of its own: a price or "do you have
        // a room" is answered by the quote.
        let route = if r.topic {
            Route::AnswerAndCollect
        } else {
            Route::Collect
        };
        return (route, next);
    }
    // "Sorry, what was the total again?" with the request complete: its quote, again.
    let total_again = crate::text::words(&crate::text::fold(&r.message))
        .iter()
        .any(|w| matches!(*w, "total" | "again"))
        && (r.price || r.question);
    if d.slots.complete() && total_again && !r.topic && !r.across && named.is_none() {
        return (Route::Collect, next);
    }
    if asks {
        if named.is_some() {
            next.focus = named;
        } else if r.cheapest && next.focus.is_none() {
            // "Which is your cheapest hotel?" then "a standard for the 27th": at that hotel
            // (of those just named, for "¿cuál es el más barato de esos?").
            let among: &[String] = if r.weighs { &d.compared } else { &[] };
            next.focus = cheapest_hotel(w.catalog, among);
        }
        // "My husband and I … is breakfast included?": the party is kept for the booking.
        if (r.entities.adults.is_some() || r.entities.children.is_some())
            && !d.slots.started()
            && !r.across
        {
            next.slots.guests =
                crate::booking::merge(w.catalog, Slots::default(), &r.entities).guests;
        }
        return (Route::Answer, next);
    }
    match r.intent {
        Intent::Greeting => (Route::Greet, next),
        Intent::Goodbye | Intent::Compliment => (Route::Goodbye, next),
        Intent::Deny => (Route::Goodbye, next),
        // A yes with nothing pending: go on with the request (a complete one is quoted again),
        // or say that nothing waits for a yes.
        Intent::Affirm if d.slots.started() => (Route::Collect, next),
        // "Perfect, thanks!" with nothing waiting is a thank-you.
        Intent::Affirm if thanks(&r.message) => (Route::Goodbye, next),
        Intent::Affirm => (Route::Confirm, next),
        // "thank u sm!!": thanks, whatever the understander made of the rest.
        _ if thanks(&r.message) => (Route::Goodbye, next),
        _ => {
            next.misses = d.misses + 1;
            // The third miss in a row: a person takes over.
            let route = if next.misses >= crate::handoff::MISSES_BEFORE_HANDOFF {
                Route::Escalate
            } else if d.misses >= 1 {
                Route::Help
            } else {
                Route::Recover
            };
            (route, next)
        }
    }
}
