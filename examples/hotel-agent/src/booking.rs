//! The booking flow's first half: fill the slots from what the guest said, and ask for what is
//! still missing (the quote and what the booking tool did are in `quote`).

use std::sync::Arc;

use agent_nodes::nlu::{Entities, Language};
use graph_core::NodeError;
use hotel::{Catalog, RoomKind};

use super::HotelAgent;
use super::reply::{date, language, room, say};
use super::state::{Conversation, ConversationUpdate, Slots};

/// The hotel `e` names: by name, or by a city that has only one hotel.
pub(crate) fn named_hotel(catalog: &Catalog, e: &Entities) -> Option<String> {
    e.hotel.clone().or_else(|| {
        let city = e.city.as_ref()?;
        let mut in_city = catalog
            .hotels()
            .iter()
            .filter(|h| h.city.eq_ignore_ascii_case(city));
        match (in_city.next(), in_city.next()) {
            (Some(h), None) => Some(h.code.clone()),
            _ => None,
        }
    })
}

/// `slots` with what `e` adds; a new value replaces an old one.
pub(crate) fn merge(catalog: &Catalog, mut slots: Slots, e: &Entities) -> Slots {
    if let Some(hotel) = named_hotel(catalog, e) {
        if slots.hotel.as_ref() != Some(&hotel) {
            // Another hotel may not have the room type chosen for the first one.
            let offered = slots.room.as_deref().is_some_and(|r| {
                let kind = r.parse::<RoomKind>().ok();
                catalog
                    .hotel(&hotel)
                    .is_ok_and(|h| kind.is_some_and(|k| h.room(k).is_ok()))
            });
            if !offered {
                slots.room = None;
            }
        }
        slots.hotel = Some(hotel);
    }
    if let Some(r) = &e.room_type {
        slots.room = Some(r.clone());
    }
    if let Some(d) = e.check_in {
        // A new arrival alone keeps the departure while it is still later, and otherwise the
        // length of the stay ("we arrive on the 4th, not the 3rd").
        if e.check_out.is_none() && e.nights.is_none() {
            let nights = slots.check_in.zip(slots.check_out).map(|(i, o)| o - i);
            slots.check_out = match (slots.check_out, nights) {
                (Some(out), _) if out > d => Some(out),
                (_, Some(n)) => Some(d + n),
                _ => None,
            };
        }
        slots.check_in = Some(d);
    }
    if let Some(d) = e.check_out {
        slots.check_out = Some(d);
    }
    if let (Some(n), Some(d)) = (e.nights, slots.check_in)
        && e.check_out.is_none()
    {
        slots.check_out = Some(d + chrono::Days::new(u64::from(n)));
    }
    if let Some(a) = e.adults {
        slots.guests = Some(a + e.children.unwrap_or(0));
    }
    slots
}

/// The question for what is still missing, offering room types with prices once the hotel is
/// known. Empty when nothing is missing.
pub(crate) fn next_question(catalog: &Catalog, lang: Language, slots: &Slots) -> String {
    let Some(code) = &slots.hotel else {
        let names: Vec<String> = catalog
            .hotels()
            .iter()
            .map(|h| format!("{} ({})", h.name, h.city))
            .collect();
        return say(
            lang,
            format!("Which hotel would you like? We have: {}.", names.join(", ")),
            format!(
                "¿En qué hotel desea alojarse? Tenemos: {}.",
                names.join(", ")
            ),
        );
    };
    let Ok(hotel) = catalog.hotel(code) else {
        return String::new();
    };
    if slots.room.is_none() {
        let rooms: Vec<String> = hotel
            .rooms
            .iter()
            .map(|r| {
                say(
                    lang,
                    format!(
                        "{} from {}/night (up to {} guests)",
                        r.kind, r.base, r.max_guests
                    ),
                    format!(
                        "{} desde {}/noche (hasta {} huéspedes)",
                        room(lang, r.kind.name()),
                        r.base,
                        r.max_guests
                    ),
                )
            })
            .collect();
        return say(
            lang,
            format!(
                "At {} we have: {}. Which room type would you like?",
                hotel.name,
                rooms.join("; ")
            ),
            format!(
                "En {} tenemos: {}. ¿Qué tipo de habitación desea?",
                hotel.name,
                rooms.join("; ")
            ),
        );
    }
    let mut missing: Vec<String> = Vec::new();
    if slots.check_in.is_none() {
        missing.push(say(lang, "check-in date", "fecha de entrada"));
    }
    if slots.check_out.is_none() {
        missing.push(say(lang, "check-out date", "fecha de salida"));
    }
    if slots.guests.is_none() {
        missing.push(say(lang, "number of guests", "número de huéspedes"));
    }
    if missing.is_empty() {
        return String::new();
    }
    let list = |and: &str| match missing.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {and} {last}", rest.join(", ")),
        None => String::new(),
    };
    let ask = say(
        lang,
        format!("Please tell me your {}.", list("and")),
        format!("Indíqueme su {}, por favor.", list("y")),
    );
    format!("{} {ask}", so_far(lang, hotel, slots))
}

/// What the request already holds, said back before asking for the rest so a guest can see
/// what was understood (and correct it) before the quote: "Budget Stay Express, Family room,
/// 4 guests, from Jan 25, 2027."
/// The room's price per night is said too: "how much is a suite at the Grand Plaza?" is
/// answered before the dates that make a total are known.
fn so_far(lang: Language, hotel: &hotel::Hotel, slots: &Slots) -> String {
    let mut parts = vec![hotel.name.clone()];
    if let Some(r) = &slots.room {
        let rate = r
            .parse::<RoomKind>()
            .ok()
            .and_then(|kind| hotel.rooms.iter().find(|room| room.kind == kind))
            .map(|room| {
                say(
                    lang,
                    format!(
                        " (from {}/night, up to {} guests)",
                        room.base, room.max_guests
                    ),
                    format!(
                        " (desde {}/noche, hasta {} huéspedes)",
                        room.base, room.max_guests
                    ),
                )
            })
            .unwrap_or_default();
        parts.push(say(
            lang,
            if r == "Suite" {
                format!("{r}{rate}")
            } else {
                format!("{r} room{rate}")
            },
            format!("habitación {}{rate}", room(lang, r)),
        ));
    }
    if let Some(n) = slots.guests {
        parts.push(say(
            lang,
            format!("{n} guest(s)"),
            format!("{n} huésped(es)"),
        ));
    }
    // "How much is a standard fri dec 4 to sun dec 6?" before the party is known: the room's
    // price does not depend on it, so the total is said beside the dates.
    let total = |i, o| {
        let kind = slots.room.as_deref()?.parse::<RoomKind>().ok()?;
        let room = hotel.rooms.iter().find(|room| room.kind == kind)?;
        let nights = hotel::price_nights(room.base, i, o);
        (1..=usize::try_from(hotel::MAX_NIGHTS).unwrap_or(30))
            .contains(&nights.len())
            .then(|| {
                (
                    nights.len(),
                    nights.iter().map(|n| n.price).sum::<hotel::Cents>(),
                )
            })
    };
    match (slots.check_in, slots.check_out) {
        (Some(i), Some(o)) => parts.push(match total(i, o) {
            Some((n, total)) => say(
                lang,
                format!(
                    "{} to {} ({n} night(s): {total} for the room)",
                    date(lang, i),
                    date(lang, o)
                ),
                format!(
                    "del {} al {} ({n} noche(s): {total} la habitación)",
                    date(lang, i),
                    date(lang, o)
                ),
            ),
            None => say(
                lang,
                format!("{} to {}", date(lang, i), date(lang, o)),
                format!("del {} al {}", date(lang, i), date(lang, o)),
            ),
        }),
        (Some(i), None) => parts.push(say(
            lang,
            format!("from {}", date(lang, i)),
            format!("desde el {}", date(lang, i)),
        )),
        (None, Some(o)) => parts.push(say(
            lang,
            format!("until {}", date(lang, o)),
            format!("hasta el {}", date(lang, o)),
        )),
        (None, None) => {}
    }
    format!("{}.", parts.join(", "))
}

/// `collect_slots`: asks for what the request (merged by the policy) still misses; a complete
/// one goes on to `quote`.
pub(crate) async fn collect_slots(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let reply = next_question(&agent.catalog, language(&s), &s.slots);
    Ok(ConversationUpdate::default().reply(reply))
}

/// `reply` after what this turn has already said (an answer to a question asked with the
/// request).
pub(crate) fn after_answer(s: &Conversation, reply: String) -> String {
    if s.reply.is_empty() {
        reply
    } else {
        format!("{}\n{reply}", s.reply)
    }
}

/// `clarify`: the guest named only a vague period; asks for exact dates rather than guess.
pub(crate) async fn clarify(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let ask = say(
        lang,
        "Which exact dates would you like? Please give me the check-in and check-out dates (for example, Jan 10 to Jan 13).",
        "¿Qué fechas exactas desea? Indíqueme la fecha de entrada y la de salida (por ejemplo, del 10 al 13 de enero).",
    );
    // What the request already holds is said back first, as when any other detail is asked.
    let hotel = s
        .slots
        .hotel
        .as_deref()
        .and_then(|c| agent.catalog.hotel(c).ok());
    let reply = match hotel {
        Some(h) => format!("{} {ask}", so_far(lang, h, &s.slots)),
        None => ask,
    };
    Ok(ConversationUpdate::default().reply(reply))
}
