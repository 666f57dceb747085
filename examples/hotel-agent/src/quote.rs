//! The booking flow's second half: quote a complete request (or the room that holds the party),
//! and (after the guest's yes, see `confirm`) tell the guest what the booking tool did.

use std::sync::Arc;

use agent_nodes::nlu::Language;
use graph_core::NodeError;
use hotel::{Catalog, RoomKind, StayRequest};

use super::HotelAgent;
use super::booking::{after_answer, next_question};
use super::reply::{date, language, room, say, stay_error, stay_terms};
use super::state::{Conversation, ConversationUpdate, Pending, Slots, Stay};
use super::tools::{BOOK_TOOL, Booked};

/// The one room of `hotel` that holds `guests`, when the hotel does not offer `room` at all.
fn only_room_instead(
    catalog: &Catalog,
    hotel: &str,
    room: RoomKind,
    guests: u32,
) -> Option<RoomKind> {
    let h = catalog.hotel(hotel).ok()?;
    if h.room(room).is_ok() {
        return None;
    }
    match h
        .rooms
        .iter()
        .filter(|r| r.max_guests >= guests)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [only] => Some(only.kind),
        _ => None,
    }
}

/// When `guests` do not fit the chosen room: the hotel's cheapest room that fits them, or else
/// its largest room.
fn room_for(
    catalog: &Catalog,
    hotel: &str,
    room: RoomKind,
    guests: u32,
) -> Option<(RoomKind, bool)> {
    let h = catalog.hotel(hotel).ok()?;
    let chosen = h.room(room).ok()?;
    if guests <= chosen.max_guests {
        return None;
    }
    let fitting = h
        .rooms
        .iter()
        .filter(|r| r.max_guests >= guests)
        .min_by_key(|r| (r.base, r.max_guests));
    match fitting {
        Some(r) => Some((r.kind, true)),
        None => h
            .rooms
            .iter()
            .max_by_key(|r| r.max_guests)
            .map(|r| (r.kind, false)),
    }
}

/// How the total was reached when any night costs more than the base rate: the base price
/// and how many nights carried each surcharge, so a guest can check the arithmetic.
fn rate_note(lang: Language, nights: &[hotel::NightPrice]) -> String {
    let Some(first) = nights.first() else {
        return String::new();
    };
    let peak = nights.iter().filter(|n| n.peak).count();
    let weekend = nights.iter().filter(|n| n.weekend).count();
    if peak == 0 && weekend == 0 {
        return String::new();
    }
    let mut parts = Vec::new();
    if peak > 0 {
        parts.push(match lang {
            Language::Es => format!("+20% en {peak} noche(s) de temporada alta"),
            Language::En => format!("+20% on {peak} peak-season night(s)"),
        });
    }
    if weekend > 0 {
        parts.push(match lang {
            Language::Es => format!("+10% en {weekend} noche(s) de viernes o sábado"),
            Language::En => format!("+10% on {weekend} Friday/Saturday night(s)"),
        });
    }
    match lang {
        Language::Es => format!(" (tarifa base {}/noche; {})", first.base, parts.join(", ")),
        Language::En => format!(" (base {}/night; {})", first.base, parts.join(", ")),
    }
}

/// `quote`: prices the complete request and checks availability; on success the quote waits
/// for the guest's yes, otherwise the offending slots are cleared and the guest told why.
pub(crate) async fn quote(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let slots = &s.slots;
    let (Some(hotel), Some(kind), Some(check_in), Some(check_out), Some(guests)) = (
        slots.hotel.clone(),
        slots
            .room
            .as_deref()
            .and_then(|r| r.parse::<RoomKind>().ok()),
        slots.check_in,
        slots.check_out,
        slots.guests,
    ) else {
        return Ok(ConversationUpdate::default().reply(next_question(&agent.catalog, lang, slots)));
    };
    // One booking is one room: a party too big for the room asked is quoted the smallest room
    // that fits it, or told the largest there is.
    let mut prefix = String::new();
    let mut kind = kind;
    // "A suite at the Mountain View for 3": it has none, and only its Family room holds 3.
    if let Some(only) = only_room_instead(&agent.catalog, &hotel, kind, guests) {
        let max = agent
            .catalog
            .hotel(&hotel)
            .and_then(|h| h.room(only).map(|r| r.max_guests))
            .unwrap_or(0);
        prefix = say(
            lang,
            format!("That hotel has no {kind} rooms, so here is the {only} room (up to {max}): "),
            format!(
                "Ese hotel no tiene habitaciones {}, así que le propongo la habitación {} (hasta {max}): ",
                room(lang, kind.name()),
                room(lang, only.name())
            ),
        );
        kind = only;
    }
    if let Some((other, fits)) = room_for(&agent.catalog, &hotel, kind, guests) {
        let max = |k: RoomKind| {
            agent
                .catalog
                .hotel(&hotel)
                .and_then(|h| h.room(k).map(|r| r.max_guests))
                .unwrap_or(0)
        };
        if !fits {
            let name = agent
                .catalog
                .hotel(&hotel)
                .map_or(hotel.clone(), |h| h.name.clone());
            let reply = say(
                lang,
                format!(
                    "One booking is one room, and the largest room at {name}, the {other} room, sleeps {} guests. How many guests will stay in this room? For a bigger group you can make a second booking for the others, or I can suggest a hotel with bigger rooms.",
                    max(other)
                ),
                format!(
                    "Cada reserva es una habitación, y la más grande de {name}, la habitación {}, admite {} huéspedes. ¿Cuántos huéspedes se alojarán en esta habitación? Para un grupo mayor puede hacer una segunda reserva para los demás, o puedo sugerirle un hotel con habitaciones más grandes.",
                    room(lang, other.name()),
                    max(other)
                ),
            );
            let mut slots = slots.clone();
            slots.room = Some(other.name().to_owned());
            let reply = after_answer(&s, reply);
            return Ok(ConversationUpdate::default().slots(slots).reply(reply));
        }
        prefix = say(
            lang,
            format!(
                "A {kind} room sleeps at most {} guests, so here is the {other} room (up to {}): ",
                max(kind),
                max(other)
            ),
            format!(
                "Una habitación {} admite como máximo {} huéspedes, así que le propongo la habitación {} (hasta {}): ",
                room(lang, kind.name()),
                max(kind),
                room(lang, other.name()),
                max(other)
            ),
        );
        kind = other;
    }
    let request = StayRequest {
        hotel: hotel.clone(),
        room: kind,
        check_in,
        check_out,
        guests,
    };
    let today = agent.clock.today();
    let priced = match agent.catalog.quote(&request, today) {
        Ok(q) => agent
            .store
            .availability(&hotel, kind, check_in, check_out)
            .await
            .map(|left| (q, left)),
        Err(e) => Err(e),
    };
    let (quote, left) = match priced {
        Ok(ok) => ok,
        Err(error) => {
            let mut slots = slots.clone();
            let mut reply = stay_error(lang, &error);
            match &error {
                hotel::Error::TooManyGuests { .. } | hotel::Error::NoGuests => slots.guests = None,
                hotel::Error::RoomNotOffered { .. } => {
                    slots.room = None;
                    reply = format!("{reply} {}", next_question(&agent.catalog, lang, &slots));
                }
                // The arrival stands; only the departure was wrong.
                hotel::Error::TooManyNights { .. }
                | hotel::Error::CheckOutNotAfterCheckIn { .. } => {
                    slots.check_out = None;
                }
                // Kept for "sorry, I meant 2027": new dates replace them, and they are never
                // quoted as they are.
                // ("y para este año las mismas fechas?" after dates a year too far.)
                hotel::Error::CheckInInPast { .. } | hotel::Error::CheckInTooFarAhead { .. } => {}
                _ => (slots.check_in, slots.check_out) = (None, None),
            }
            let reply = after_answer(&s, reply);
            return Ok(ConversationUpdate::default().slots(slots).reply(reply));
        }
    };
    if left == 0 {
        // Kept whole: "ok the deluxe then" or new dates re-quote it with the rest unchanged.
        let reply = say(
            lang,
            "Sorry, that room type is sold out for those dates. Would you like other dates or another room type?",
            "Lo siento, ese tipo de habitación está completo en esas fechas. ¿Desea otras fechas u otro tipo de habitación?",
        );
        return Ok(ConversationUpdate::default().reply(after_answer(&s, reply)));
    }
    let name = &agent
        .catalog
        .hotel(&hotel)
        .map(|h| h.name.clone())
        .unwrap_or(hotel.clone());
    let nights = quote.nights.len();
    let reply = say(
        lang,
        format!(
            "{prefix}{name}, {} room for {guests} guest(s), {} to {} ({nights} night(s)): {} in total{}. Shall I book it? (yes/no)",
            kind,
            date(lang, check_in),
            date(lang, check_out),
            quote.total,
            rate_note(lang, &quote.nights),
        ),
        format!(
            "{prefix}{name}, habitación {} para {guests} huésped(es), del {} al {} ({nights} noche(s)): {} en total{}. ¿La reservo? (sí/no)",
            room(lang, kind.name()),
            date(lang, check_in),
            date(lang, check_out),
            quote.total,
            rate_note(lang, &quote.nights),
        ),
    );
    let stay = Stay {
        hotel,
        room: kind.name().to_owned(),
        check_in,
        check_out,
        guests,
    };
    // The request keeps the room the guest asked for; the quote may offer a bigger one, and a
    // later "we're 3 after all" goes back to the guest's choice.
    let reply = after_answer(&s, reply);
    Ok(ConversationUpdate::default()
        .pending(Some(Pending::Book {
            stay,
            total_cents: quote.total.0,
        }))
        .reply(reply))
}

/// `booked`: tells the guest the outcome of the booking tool and clears the finished request.
pub(crate) async fn booked(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let outcome = s.tool_results.iter().find(|r| r.name == BOOK_TOOL);
    let done = outcome
        .filter(|r| !r.is_error)
        .and_then(|r| serde_json::from_value::<Booked>(r.output.clone()).ok());
    // What was booked is said with its reference, so the guest can check it at a glance.
    let stay = match &s.pending {
        Some(Pending::Book { stay, .. }) => {
            let name = agent
                .catalog
                .hotel(&stay.hotel)
                .map_or(stay.hotel.clone(), |h| h.name.clone());
            let room = if stay.room == "Suite" {
                stay.room.clone()
            } else {
                format!("{} room", stay.room)
            };
            format!(": {}", stay_terms(lang, &name, &room, stay))
        }
        _ => String::new(),
    };
    let reply = match &done {
        Some(b) => say(
            lang,
            format!(
                "Done! Your booking reference is {}{stay}. Total: {}. Anything else?",
                b.reference,
                hotel::Cents(b.total_cents)
            ),
            format!(
                "¡Listo! Su número de reserva es {}{stay}. Total: {}. ¿Algo más?",
                b.reference,
                hotel::Cents(b.total_cents)
            ),
        ),
        None => say(
            lang,
            "Sorry, I could not complete the booking; the room may have just sold out. Would you like to try other dates or another room?",
            "Lo siento, no pude completar la reserva; puede que la habitación se acabe de agotar. ¿Desea probar otras fechas u otra habitación?",
        ),
    };
    // "Yes book it. Is there a shuttle from DFW btw?": the question is answered too.
    let folded = crate::text::fold(&s.message);
    let reply = match s.slots.hotel.as_ref() {
        Some(hotel) if done.is_some() && crate::qa::asks(&folded).topic => {
            let answer = crate::qa::answer_from_catalog(
                &agent.catalog,
                lang,
                std::slice::from_ref(hotel),
                &s.message,
            );
            format!("{reply}\n{answer}")
        }
        _ => reply,
    };
    // The booked request is remembered for "the same again for the 8th".
    let previous = done
        .is_some()
        .then(|| s.slots.clone())
        .or(s.previous.clone());
    Ok(ConversationUpdate::default()
        .pending(None)
        .previous(previous)
        .slots(Slots::default())
        .reply(reply))
}
