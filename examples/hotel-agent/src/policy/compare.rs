//! Options weighed against each other: one stay priced at several hotels ("Austin or Dallas,
//! which is cheaper?", "how much is a suite at each one?") or in several rooms of one hotel
//! ("standard vs family", "¿cuánto costaría cada una?"). Nothing is quoted for a yes: the
//! guest picks one, and that one is quoted.

use hotel::{RoomKind, RoomType};

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
    let named = hotels_in(w.catalog, &folded);
    if named.len() > 1 {
        next.compared.clone_from(&named);
    }
    if !r.weighs {
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
    let each_room = rooms.len() > 1 || folded.contains("cada una") || folded.contains("each room");
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
