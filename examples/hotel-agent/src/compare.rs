//! `compare`: one stay priced at each hotel the guest weighs, or in each room of one hotel, or
//! several stays at one hotel, and the guest asked to pick. No quote waits for a yes: the one
//! picked is quoted next.

use std::sync::Arc;

use agent_nodes::nlu::Language;
use graph_core::NodeError;
use hotel::{Catalog, RoomKind, StayRequest};

use super::HotelAgent;
use super::booking::next_question;
use super::reply::{date, language, room, say, stay_error};
use super::state::{Conversation, ConversationUpdate};

/// `compare`: prices the request at each hotel in `compared` (when it has no hotel) or in each
/// room of its hotel (the rooms the message names, else every room that fits the party).
pub(crate) async fn compare(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let slots = &s.slots;
    if let (false, Some(hotel)) = (s.weighed_dates.is_empty(), &slots.hotel) {
        return Ok(ConversationUpdate::default().reply(stays(&agent, &s, lang, hotel)));
    }
    let (Some(check_in), Some(check_out)) = (slots.check_in, slots.check_out) else {
        return Ok(ConversationUpdate::default().reply(next_question(&agent.catalog, lang, slots)));
    };
    let guests = slots.guests.unwrap_or(1);
    let wanted = slots
        .room
        .as_deref()
        .and_then(|r| r.parse::<RoomKind>().ok());
    let options: Vec<(String, Option<RoomKind>)> = match &slots.hotel {
        None => s
            .compared
            .iter()
            .map(|h| (h.clone(), room_at(&agent.catalog, h, wanted, guests)))
            .collect(),
        Some(h) => rooms_of(&agent.catalog, h, &s.message, guests)
            .into_iter()
            .map(|kind| (h.clone(), Some(kind)))
            .collect(),
    };
    let today = agent.clock.today();
    let mut lines = Vec::new();
    for (code, kind) in options {
        let name = agent
            .catalog
            .hotel(&code)
            .map_or(code.clone(), |h| h.name.clone());
        let Some(kind) = kind else {
            lines.push(say(
                lang,
                format!("{name}: no room for {guests} guests"),
                format!("{name}: ninguna habitación para {guests} huéspedes"),
            ));
            continue;
        };
        let request = StayRequest {
            hotel: code,
            room: kind,
            check_in,
            check_out,
            guests,
        };
        match agent.catalog.quote(&request, today) {
            Ok(q) => lines.push(format!("{name}, {}: {}", room_name(lang, kind), q.total)),
            // Dates in the past or too long a stay are wrong for every option alike.
            Err(e) => return Ok(ConversationUpdate::default().reply(stay_error(lang, &e))),
        }
    }
    let nights = (check_out - check_in).num_days();
    // A party not yet given is not said: the prices do not depend on it.
    let party = |en: &str, es: &str| match slots.guests {
        Some(n) => say(lang, format!(", {n} {en}"), format!(", {n} {es}")),
        None => String::new(),
    };
    let header = say(
        lang,
        format!(
            "{} to {} ({nights} night(s)){}:",
            date(lang, check_in),
            date(lang, check_out),
            party("guest(s)", "huésped(es)")
        ),
        format!(
            "Del {} al {} ({nights} noche(s)){}:",
            date(lang, check_in),
            date(lang, check_out),
            party("guest(s)", "huésped(es)")
        ),
    );
    let question = match slots.hotel {
        None => say(lang, "Which one would you like?", "¿Cuál prefiere?"),
        Some(_) => say(
            lang,
            "Which room would you like?",
            "¿Qué habitación prefiere?",
        ),
    };
    let reply = format!("{header}\n{}\n{question}", lines.join("\n"));
    Ok(ConversationUpdate::default().reply(reply))
}

/// The room priced at `hotel`: the one asked for if it offers it and it holds the party, else
/// its cheapest room that does.
fn room_at(
    catalog: &Catalog,
    hotel: &str,
    wanted: Option<RoomKind>,
    guests: u32,
) -> Option<RoomKind> {
    let h = catalog.hotel(hotel).ok()?;
    let fits = |r: &&hotel::RoomType| r.max_guests >= guests;
    wanted
        .and_then(|k| h.rooms.iter().filter(fits).find(|r| r.kind == k))
        .or_else(|| h.rooms.iter().filter(fits).min_by_key(|r| r.base))
        .map(|r| r.kind)
}

/// The rooms of `hotel` to price: those `message` names that the hotel offers, else every
/// room that holds the party.
fn rooms_of(catalog: &Catalog, hotel: &str, message: &str, guests: u32) -> Vec<RoomKind> {
    let Ok(h) = catalog.hotel(hotel) else {
        return Vec::new();
    };
    let named: Vec<RoomKind> = crate::nlu::rooms_in(&crate::text::fold(message))
        .into_iter()
        .filter(|k| h.rooms.iter().any(|r| r.kind == *k))
        .collect();
    if named.len() > 1 {
        return named;
    }
    h.rooms
        .iter()
        .filter(|r| r.max_guests >= guests)
        .map(|r| r.kind)
        .collect()
}

fn room_name(lang: Language, kind: RoomKind) -> String {
    say(
        lang,
        format!("{kind} room"),
        format!("habitación {}", room(lang, kind.name())),
    )
}

/// Each stay in `s.weighed_dates` priced at `hotel`, in the room asked for (or its cheapest
/// room that holds the party), and the guest asked to pick.
fn stays(agent: &HotelAgent, s: &Conversation, lang: Language, hotel: &str) -> String {
    let slots = &s.slots;
    let guests = slots.guests.unwrap_or(1);
    let wanted = slots
        .room
        .as_deref()
        .and_then(|r| r.parse::<RoomKind>().ok());
    let name = agent
        .catalog
        .hotel(hotel)
        .map_or(hotel.to_owned(), |h| h.name.clone());
    let Some(kind) = room_at(&agent.catalog, hotel, wanted, guests) else {
        return say(
            lang,
            format!("{name}: no room for {guests} guests"),
            format!("{name}: ninguna habitación para {guests} huéspedes"),
        );
    };
    let today = agent.clock.today();
    let mut lines = Vec::new();
    for (check_in, check_out) in &s.weighed_dates {
        let request = StayRequest {
            hotel: hotel.to_owned(),
            room: kind,
            check_in: *check_in,
            check_out: *check_out,
            guests,
        };
        let nights = (*check_out - *check_in).num_days();
        let when = say(
            lang,
            format!(
                "{} to {} ({nights} night(s))",
                date(lang, *check_in),
                date(lang, *check_out)
            ),
            format!(
                "Del {} al {} ({nights} noche(s))",
                date(lang, *check_in),
                date(lang, *check_out)
            ),
        );
        match agent.catalog.quote(&request, today) {
            Ok(q) => lines.push(format!("{when}: {}", q.total)),
            Err(e) => lines.push(format!("{when}: {}", stay_error(lang, &e))),
        }
    }
    let party = match slots.guests {
        Some(n) => say(
            lang,
            format!(", {n} guest(s)"),
            format!(", {n} huésped(es)"),
        ),
        None => String::new(),
    };
    let header = format!("{name}, {}{party}:", room_name(lang, kind));
    let question = say(lang, "Which dates would you like?", "¿Qué fechas prefiere?");
    format!("{header}\n{}\n{question}", lines.join("\n"))
}
