//! Which of the guest's bookings a message is about.

use chrono::Datelike;
use hotel::{Booking, BookingStatus};

use super::{World, named_hotel_of};
use crate::reading::Reading;
use crate::state::Slots;

/// A booking's terms as a request, for "the same again" and "same dates somewhere else".
pub(super) fn terms(b: &Booking) -> Slots {
    let q = &b.quote;
    Slots {
        hotel: Some(q.hotel.clone()),
        room: Some(q.room.name().to_owned()),
        check_in: Some(q.check_in),
        check_out: Some(q.check_out),
        guests: Some(q.guests),
    }
}

/// The booking with `reference` among the guest's.
pub(super) fn booking<'a>(w: World<'a>, reference: &str) -> Option<&'a Booking> {
    w.bookings
        .iter()
        .find(|b| b.reference.as_str().eq_ignore_ascii_case(reference))
}

pub(super) fn upcoming<'a>(w: World<'a>) -> impl Iterator<Item = &'a Booking> {
    w.bookings
        .iter()
        .filter(move |b| b.status == BookingStatus::Confirmed && b.quote.check_in >= w.today)
}

/// The booking a change is about: the one the message names by reference (of several, the
/// one of the hotel it names), else `current`, else the guest's only upcoming booking (if the
/// message names no other hotel), else the only one whose hotel, month, check-in or holiday
/// the message names — leaving out bookings a clause keeps ("la de diciembre se queda").
pub(super) fn pick_booking(r: &Reading, w: World<'_>, current: Option<&str>) -> Option<String> {
    let folded = crate::text::fold(&r.message);
    // The booking named as such, read once: "la de nueva orleans", not in a clause that keeps
    // it ("the dallas one stays").
    let acted_on = designated(w, &crate::reading::acted_on(&folded));
    if let Some(reference) = &r.entities.booking_ref {
        // "Tengo MVL-… y HPH-…, cancelame la de nueva orleans": the reference of the hotel
        // named, not the first one written.
        if let Some(hotel) = acted_on.clone()
            && !reference.starts_with(&hotel)
            && let Some(other) = r
                .message
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                .filter_map(|token| hotel::BookingRef::parse(token).ok())
                .find(|b| b.hotel_code() == hotel)
                .map(|b| b.to_string())
        {
            return Some(other);
        }
        return Some(reference.clone());
    }
    if let Some(current) = current {
        return Some(current.to_owned());
    }
    let mut upcoming: Vec<&Booking> = upcoming(w).collect();
    // "Cancel the one of the 24th, la de diciembre se queda": not the December one.
    if upcoming
        .iter()
        .any(|b| !r.kept_months.contains(&b.quote.check_in.month()))
    {
        upcoming.retain(|b| !r.kept_months.contains(&b.quote.check_in.month()));
    }
    // "Mover la de chicago … así alcanzamos el vuelo a miami": the booking named as such says
    // more than the other places in the message.
    // ("Cancel the orlando trip, the dallas one stays": not the one kept; "keep the miami
    // booking, just move it a day" keeps it from being cancelled.)
    let named = acted_on
        .or_else(|| designated(w, &folded))
        .or_else(|| named_hotel_of(r, w));
    // The only booking, unless the message names other hotels only: "we're doing orlando in
    // march instead" after the Orlando booking was cancelled is no change to the Miami one
    // ("move the budget one and book miami" still moves the Budget Stay booking).
    if let [only] = upcoming.as_slice()
        && (named.as_deref().is_none_or(|h| h == only.quote.hotel)
            || crate::nlu::hotels_in(w.catalog, &crate::text::fold(&r.message))
                .contains(&only.quote.hotel))
    {
        return Some(only.reference.to_string());
    }
    // By hotel and month first ("the February one, push it to the 12th": the 12th is the new
    // date); by the arrival date only when that leaves a choice.
    let by_name = |b: &&&Booking| {
        let q = &b.quote;
        let hotel = named.as_deref().is_none_or(|h| h == q.hotel);
        let month = r.months.is_empty() || r.months.contains(&q.check_in.month());
        hotel && month
    };
    let named_something = named.is_some() || !r.months.is_empty();
    let mut matching: Vec<&&Booking> = upcoming.iter().filter(by_name).collect();
    // "The first one, could I move it to dec 1-3?": a month that is the new dates' names none
    // of the bookings.
    if matching.is_empty() && !r.months.is_empty() {
        matching = upcoming
            .iter()
            .filter(|b| named.as_deref().is_none_or(|h| h == b.quote.hotel))
            .collect();
    }
    // "Tomorrow's chicago booking, the suite": the room type tells two at one hotel apart.
    if matching.len() > 1
        && let Some(kind) = r
            .entities
            .room_type
            .as_deref()
            .and_then(|k| k.parse::<hotel::RoomKind>().ok())
    {
        let of_kind: Vec<&&Booking> = matching
            .iter()
            .copied()
            .filter(|b| b.quote.room == kind)
            .collect();
        if let [one] = of_kind.as_slice() {
            return Some(one.reference.to_string());
        }
    }
    // "Cancel the March one, I keep December's": the month named first is the one meant.
    if matching.len() > 1
        && let [first, _, ..] = r.months.as_slice()
    {
        matching.retain(|b| b.quote.check_in.month() == *first);
    }
    if let [one] = matching.as_slice()
        && named_something
    {
        return Some(one.reference.to_string());
    }
    let on_the_day: Vec<&&&Booking> = matching
        .iter()
        .filter(|b| r.entities.check_in == Some(b.quote.check_in))
        .collect();
    if let [one] = on_the_day.as_slice() {
        return Some(one.reference.to_string());
    }
    // "Cancel the new years one": the holiday falls within one of them.
    if crate::reading::names_holiday(&folded)
        && let Some(day) = r.entities.check_in
        && let [one] = matching
            .iter()
            .filter(|b| b.quote.check_in <= day && day < b.quote.check_out)
            .collect::<Vec<_>>()
            .as_slice()
    {
        return Some(one.reference.to_string());
    }
    // "The middle one", "la última": by place in the list, which is in date order.
    let mut by_date = matching;
    by_date.sort_by_key(|b| b.quote.check_in);
    let at = match ordinal(&crate::text::fold(&r.message))? {
        Ordinal::Nth(n) => n,
        Ordinal::Middle if by_date.len() == 3 => 1,
        Ordinal::Middle => return None,
        Ordinal::Last => by_date.len().checked_sub(1)?,
    };
    by_date.get(at).map(|b| b.reference.to_string())
}

/// The hotel of a booking named as such: "la de chicago", "el del aeropuerto", "the miami
/// one", "my orlando booking".
fn designated(w: World<'_>, folded: &str) -> Option<String> {
    static DESIGNATED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"\b(?:(?:la|el)\s+(?:reserva\s+|reservacion\s+)?(?:de|del|en)\s+([a-z]+(?:\s+[a-z]+){0,2})|the\s+((?:[a-z]+\s+){1,2})(?:one|booking|reservation|stay|trip)\b|(?:my|our)\s+((?:[a-z]+\s+){1,2})(?:booking|reservation|stay|trip)\b)",
        )
        .unwrap_or_else(|e| panic!("designated booking rule: {e}"))
    });
    let mut hotels = DESIGNATED.captures_iter(folded).filter_map(|c| {
        let words = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3))?;
        match crate::nlu::hotels_in(w.catalog, words.as_str()).as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    });
    let first = hotels.next()?;
    hotels.all(|h| h == first).then_some(first)
}

/// A place in a list the guest was shown: of bookings, or of stays weighed.
pub(super) enum Ordinal {
    /// First, second, third (from 0).
    Nth(usize),
    Middle,
    Last,
}

/// "The middle one", "the last booking", "la primera", "la del medio"; not "the first night"
/// or "la última semana".
pub(super) fn ordinal(folded: &str) -> Option<Ordinal> {
    static ORDINAL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"\b(?:the\s+)?(first|second|third|middle|last|latest)\s+(?:one|booking|reservation|stay)\b|\b(?:la|el)\s+(primera|primer|primero|segunda|segundo|tercera|tercer|tercero|ultima|ultimo|del\s+medio|de\s+en\s+medio|de\s+enmedio)\b(?:\s+(?:reserva|booking))?(\s+(?:noche|noches|semana|vez|dia)\b)?",
        )
        .unwrap_or_else(|e| panic!("ordinal rule: {e}"))
    });
    let caps = ORDINAL.captures(folded)?;
    if caps.get(3).is_some() {
        return None;
    }
    let word = caps.get(1).or_else(|| caps.get(2))?.as_str();
    Some(match word {
        "first" | "primera" | "primer" | "primero" => Ordinal::Nth(0),
        "second" | "segunda" | "segundo" => Ordinal::Nth(1),
        "third" | "tercera" | "tercer" | "tercero" => Ordinal::Nth(2),
        "last" | "latest" | "ultima" | "ultimo" => Ordinal::Last,
        _ => Ordinal::Middle,
    })
}
