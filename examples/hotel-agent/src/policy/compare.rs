//! Options weighed against each other: one stay priced at several hotels ("Austin or Dallas,
//! which is cheaper?", "how much is a suite at each one?"), in several rooms of one hotel
//! ("standard vs family", "¿cuánto costaría cada una?"), or several stays at one hotel ("dec
//! 18-21 vs jan 8-11"). Nothing is quoted for a yes: the guest picks one, and that one is
//! quoted.

use agent_nodes::nlu::Intent;
use chrono::{Datelike, NaiveDate};
use hotel::{RoomKind, RoomType, StayRequest};

use super::bookings::{Ordinal, ordinal};
use super::request::request;
use super::{Dialog, Route, World, named_hotel};
use crate::nlu::{hotels_in, rooms_in};
use crate::reading::Reading;
use crate::text::fold;

/// The comparison `r` asks for, if any, with the request it prices in `next`. Hotels named
/// together are remembered whether or not there is anything to price yet, for "at each one".
pub(super) fn compare(d: &Dialog, r: &Reading, w: World<'_>, next: &mut Dialog) -> Option<Route> {
    let folded = fold(&r.message);
    if let Some(route) = pick(d, r, w, next) {
        return Some(route);
    }
    if let Some(route) = pick_dates(d, r, w, next) {
        return Some(route);
    }
    if let Some(route) = weigh_dates(d, r, w, next) {
        return Some(route);
    }
    let named = hotels_in(w.catalog, &folded);
    if named.len() > 1 {
        next.compared.clone_from(&named);
    }
    // ("¿Cuánto sale la estándar y la deluxe?" weighs two rooms by naming them.)
    let names_rooms = r.price && rooms_in(&folded).len() > 1;
    if !r.weighs && !names_rooms {
        return None;
    }
    let hotels = if named.len() > 1 {
        named
    } else if named_hotel(r, w.catalog).is_none() && d.compared.len() > 1 {
        d.compared.clone()
    } else {
        Vec::new()
    };
    let mut slots = request(d, r, w, None);
    let dated = slots.check_in.is_some() && slots.check_out.is_some();
    if hotels.len() > 1 {
        slots.hotel = None;
        if !dated {
            return None;
        }
        next.compared = hotels;
        next.slots = slots;
        next.focus = None;
        return Some(Route::Compare);
    }
    // Rooms of one hotel: two named ("standard vs family"), or each of them ("cada una").
    let rooms = rooms_in(&folded);
    // ("Dos piezas estándar de 2 personas cada una" books rooms alike; it weighs none.)
    let each_room = rooms.len() > 1
        || ((folded.contains("cada una") || folded.contains("each room"))
            && !SEVERAL_ROOMS.is_match(&folded));
    if each_room && dated && slots.hotel.is_some() {
        slots.room = None;
        next.slots = slots;
        next.compared = Vec::new();
        return Some(Route::Compare);
    }
    None
}

/// "The cheaper one" after hotels were weighed: the hotel where the room asked for (or the
/// cheapest room that fits) costs least, the rest of the request as it was.
fn pick(d: &Dialog, r: &Reading, w: World<'_>, next: &mut Dialog) -> Option<Route> {
    if !r.cheapest || d.compared.len() < 2 {
        return None;
    }
    // The request in progress, or the one this message makes ("which of those is cheapest
    // for 2 from the 10th to the 12th?").
    let s = &if d.slots.check_in.is_some() {
        d.slots.clone()
    } else {
        // The cheapest of all the hotels is not the question: of those weighed, which.
        let mut s = request(d, r, w, None);
        if named_hotel(r, w.catalog).is_none() {
            s.hotel = None;
        }
        s
    };
    if s.hotel.is_some() || s.check_in.is_none() {
        return None;
    }
    let wanted = s.room.as_deref().and_then(|k| k.parse::<RoomKind>().ok());
    let fits = |room: &&RoomType| s.guests.is_none_or(|g| room.max_guests >= g);
    let price = |code: &String| {
        let h = w.catalog.hotel(code).ok()?;
        let mut rooms = h.rooms.iter().filter(fits);
        match wanted {
            Some(kind) => rooms.find(|room| room.kind == kind).map(|room| room.base),
            None => rooms.map(|room| room.base).min(),
        }
    };
    let cheapest = d
        .compared
        .iter()
        .filter_map(|code| Some((price(code)?, code)))
        .min_by_key(|(base, _)| *base)?;
    next.slots = s.clone();
    next.slots.hotel = Some(cheapest.1.clone());
    next.focus.clone_from(&next.slots.hotel);
    Some(Route::Collect)
}

/// "Dec 18-21 vs jan 8-11 at the seaside?": each stay priced at the hotel of the request, when
/// every choice has its length (its own, one said once, or the request's).
fn weigh_dates(d: &Dialog, r: &Reading, w: World<'_>, next: &mut Dialog) -> Option<Route> {
    // "Can u move it to the 30th or the 1st?" weighs new dates of a booking: a change.
    let change = matches!(
        r.intent,
        Intent::ModificationRequest | Intent::CancellationRequest
    ) || r.entities.booking_ref.is_some()
        || d.change.is_some();
    if r.date_options.len() < 2 || change {
        return None;
    }
    let length = d.slots.check_in.zip(d.slots.check_out).map(|(i, o)| o - i);
    let options: Vec<(NaiveDate, NaiveDate)> = r
        .date_options
        .iter()
        .map(|(i, o)| Some((*i, o.or_else(|| length.map(|n| *i + n))?)))
        .collect::<Option<_>>()?;
    let mut slots = request(d, r, w, None);
    slots.hotel.as_ref()?;
    (slots.check_in, slots.check_out) = (None, None);
    next.focus.clone_from(&slots.hotel);
    next.slots = slots;
    next.weighed_dates = options;
    next.compared = Vec::new();
    Some(Route::Compare)
}

/// "The january one", "vale, el lunes entonces", "the cheaper one", "la primera" after stays
/// were weighed: that stay, quoted.
fn pick_dates(d: &Dialog, r: &Reading, w: World<'_>, next: &mut Dialog) -> Option<Route> {
    let options = &d.weighed_dates;
    // "So jan is cheaper. whats check in time there", "x q navidad es más caro?": questions
    // about the choices, answered; the guest picks after.
    if options.len() < 2 || ((r.topic || r.question) && !r.cheapest) {
        return None;
    }
    let chosen = if r.cheapest {
        let hotel = d.slots.hotel.as_deref()?;
        let room = w.catalog.hotel(hotel).ok()?.rooms.first()?.kind;
        let total = |(check_in, check_out): &(NaiveDate, NaiveDate)| {
            let stay = StayRequest {
                hotel: hotel.to_owned(),
                room,
                check_in: *check_in,
                check_out: *check_out,
                guests: 1,
            };
            w.catalog.quote(&stay, w.today).ok().map(|q| q.total)
        };
        // (A stay that cannot be quoted is no cheapest one.)
        options
            .iter()
            .filter_map(|o| Some((total(o)?, o)))
            .min_by_key(|(total, _)| *total)?
            .1
    } else if let Some(at) = ordinal(&fold(&r.message)) {
        match at {
            Ordinal::Nth(n) => options.get(n)?,
            Ordinal::Last => options.last()?,
            Ordinal::Middle => return None,
        }
    } else {
        let day = r.entities.check_in.map(|d| d.day());
        let said = r.weekday.is_some() || !r.months.is_empty() || day.is_some();
        let fits = |(check_in, _): &&(NaiveDate, NaiveDate)| {
            r.weekday.is_none_or(|wd| check_in.weekday() == wd)
                && (r.months.is_empty() || r.months.contains(&check_in.month()))
                && (r.weekday.is_some() || day.is_none_or(|day| check_in.day() == day))
        };
        let fitting: Vec<&(NaiveDate, NaiveDate)> = options.iter().filter(fits).collect();
        match fitting.as_slice() {
            [one] if said => *one,
            _ => return None,
        }
    };
    let mut slots = request(d, r, w, None);
    (slots.check_in, slots.check_out) = (Some(chosen.0), Some(chosen.1));
    next.focus.clone_from(&slots.hotel);
    next.slots = slots;
    next.weighed_dates = Vec::new();
    Some(Route::Collect)
}

/// "Dos piezas", "two rooms": rooms booked alike, one by one.
static SEVERAL_ROOMS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\b(?:dos|2|two|tres|3|three)\s+(?:piezas|habitaciones|cuartos|rooms)\b")
        .unwrap_or_else(|e| panic!("several rooms rule: {e}"))
});
