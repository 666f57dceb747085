//! What a message with no quote waiting says beside its intent: a stay under way it would
//! lengthen, a booking it names by its own dates or tries to recall, thanks, the cheapest room
//! an answer named.

use agent_nodes::nlu::Intent;
use chrono::Datelike;
use hotel::{Booking, Catalog};

use super::bookings::{booking, pick_booking};
use super::{Dialog, World};
use crate::reading::Reading;
use crate::state::Slots;

/// The guest's stay under way (arrived before today, leaving today or later) that `r` asks to
/// lengthen: more nights, or a later departure alone. At the hotel named, if any.
pub(super) fn underway<'a>(r: &Reading, w: World<'a>, named: Option<&str>) -> Option<&'a Booking> {
    let longer = r.extra_nights.is_some_and(|n| n > 0)
        || (r.entities.check_out.is_some() && r.entities.check_in.is_none());
    if !longer || r.fresh_start {
        return None;
    }
    let mut here = w.bookings.iter().filter(|b| {
        b.status == hotel::BookingStatus::Confirmed
            && b.quote.check_in < w.today
            && b.quote.check_out >= w.today
            && named.is_none_or(|h| h == b.quote.hotel)
            && r.entities
                .booking_ref
                .as_deref()
                .is_none_or(|p| b.reference.as_str().eq_ignore_ascii_case(p))
    });
    let only = here.next()?;
    here.next().is_none().then_some(only)
}

/// The hotel of the catalog's cheapest room (among the hotels `among`, unless it is empty).
pub(super) fn cheapest_hotel(catalog: &Catalog, among: &[String]) -> Option<String> {
    catalog
        .hotels()
        .iter()
        .filter(|h| among.is_empty() || among.contains(&h.code))
        .flat_map(|h| h.rooms.iter().map(move |r| (r.base, &h.code)))
        .min_by_key(|(base, _)| *base)
        .map(|(_, code)| code.clone())
}

/// "What's the cheapest room in Miami?", "¿cuál es la más barata?".
pub(super) fn asked_cheapest(question: &str) -> bool {
    let folded = crate::text::fold(question);
    ["cheapest", "least expensive", "mas barat", "mas economic"]
        .iter()
        .any(|c| folded.contains(c))
}

/// The cheapest room of the request's hotel that holds its party.
pub(super) fn cheapest_room(catalog: &Catalog, slots: &Slots) -> Option<String> {
    let hotel = catalog.hotel(slots.hotel.as_deref()?).ok()?;
    hotel
        .rooms
        .iter()
        .filter(|room| slots.guests.is_none_or(|g| room.max_guests >= g))
        .min_by_key(|room| room.base)
        .map(|room| room.kind.name().to_owned())
}

/// Whether a message thanks ("thx", "gracias", "ty").
pub(super) fn thanks(message: &str) -> bool {
    let folded = crate::text::fold(message);
    crate::text::words(&folded)
        .iter()
        .any(|w| crate::consent::thanks_word(w))
}

/// Whether the dates in `r` are exactly those of the booking it is about.
pub(super) fn names_its_own_dates(r: &Reading, w: World<'_>, d: &Dialog) -> bool {
    let reference = pick_booking(r, w, None).or_else(|| d.shown.clone());
    reference
        .as_deref()
        .and_then(|p| booking(w, p))
        .is_some_and(|b| {
            // "Still the 10th to the 12th?" of a stay in March: days alone are the booking's
            // own days, in whatever month the message would place them.
            let same = |said: chrono::NaiveDate, own: chrono::NaiveDate| {
                said == own || (r.day_only && said.day() == own.day())
            };
            r.entities
                .check_in
                .is_some_and(|d| same(d, b.quote.check_in))
                && r.entities
                    .check_out
                    .is_none_or(|out| same(out, b.quote.check_out))
        })
}

/// A request for a new booking, not more about the change in progress: "the New Orleans
/// one" names a booking, "book the Seaside" or "a suite for the 3rd" asks for a new one.
pub(super) fn is_new_booking(r: &Reading) -> bool {
    let booking_intent = matches!(
        r.intent,
        Intent::ReservationRequest | Intent::AvailabilityCheck
    );
    r.fresh_start
        || r.entities.room_type.is_some()
        || (booking_intent && r.confidence >= 0.8 && !r.has_dates())
}

/// Whether a "change it to …" is about the booking being drafted rather than an existing one.
pub(super) fn drafting(d: &Dialog, r: &Reading) -> bool {
    d.slots.started() && r.entities.booking_ref.is_none() && r.has_stay_details()
}

/// Whether the guest is trying to remember their booking ("no me acuerdo si era el 8 o el 9",
/// "can you remind me of the details"): the dates in the message are guesses at its own, not
/// new ones.
pub(super) fn recalls(r: &Reading) -> bool {
    const RECALL: &[&str] = &[
        "i think",
        "creo",
        "can u check",
        "can you check",
        "could you check",
        "puedes revisar",
        "puede revisar",
        "no me acuerdo",
        "no recuerdo",
        "no se si era",
        "dont remember",
        "cant remember",
        "do not remember",
        "cannot remember",
        "not sure if it was",
        "remind me",
        // "No encuentro el correo, ¿me confirmas las fechas?"
        "confirmas las fechas",
        "confirmar las fechas",
        "confirm the dates",
        "confirm my dates",
        "no encuentro",
        "cant find",
        "can t find",
        "recordarme",
        "recuerdame",
        "me recuerdas",
        "me recuerda",
        "details",
        "detalles",
    ];
    let folded = crate::text::fold(&r.message);
    let words = crate::text::words(&folded);
    RECALL
        .iter()
        .any(|phrase| crate::text::has_phrase(&words, phrase))
}

/// Whether `folded` says to change or move something ("change", "muévela", "pasala").
pub(super) fn says_change(folded: &str) -> bool {
    crate::text::words(folded).iter().any(|w| {
        matches!(
            *w,
            "change"
                | "move"
                | "reschedule"
                | "cambiar"
                | "cambiarla"
                | "cambiarlo"
                | "mover"
                | "moverla"
                | "moverlo"
                | "pasarla"
                | "pasarlo"
                | "pasala"
                | "pasamela"
                | "correla"
                | "corremela"
                | "correrla"
                | "muevela"
                | "muevemela"
                | "cambiala"
                | "cambiamela"
        )
    })
}
