//! Booking lookup, and finding the booking a change is about. A guest only ever sees their own
//! bookings: the store answers `BookingNotFound` alike for someone else's reference and an
//! unknown one, and so does the agent.

use std::sync::Arc;

use agent_nodes::nlu::Language;
use chrono::NaiveDate;
use graph_core::{Command, NodeError};
use hotel::{Booking, BookingRef, BookingStatus, GuestId};

use super::HotelAgent;
use super::reply::{date, language, room, say};
use super::state::{ChangeFlow, ChangeKind, Conversation, ConversationUpdate};

/// The guest of the conversation.
pub(crate) fn guest(s: &Conversation) -> GuestId {
    GuestId::new(s.channel.clone(), s.user.clone())
}

/// The booking reference this turn's message names.
pub(crate) fn said_reference(s: &Conversation) -> Option<String> {
    s.understanding
        .as_ref()
        .and_then(|u| u.entities.booking_ref.clone())
}

/// One booking for the guest: reference, hotel, room, dates, guests, total and status.
pub(crate) fn describe(agent: &HotelAgent, lang: Language, b: &Booking) -> String {
    let q = &b.quote;
    let name = agent
        .catalog
        .hotel(&q.hotel)
        .map_or(q.hotel.clone(), |h| h.name.clone());
    let nights = q.nights.len();
    let cancelled = b.status == BookingStatus::Cancelled;
    say(
        lang,
        format!(
            "{}: {name}, {} room, {} to {} ({nights} night(s)), {} guest(s), total {}, {}",
            b.reference,
            q.room,
            date(lang, q.check_in),
            date(lang, q.check_out),
            q.guests,
            q.total,
            if cancelled { "cancelled" } else { "confirmed" }
        ),
        format!(
            "{}: {name}, habitación {}, del {} al {} ({nights} noche(s)), {} huésped(es), total {}, {}",
            b.reference,
            room(lang, q.room.name()),
            date(lang, q.check_in),
            date(lang, q.check_out),
            q.guests,
            q.total,
            if cancelled { "cancelada" } else { "confirmada" }
        ),
    )
}

/// The polite answer for a reference that is not one of the guest's bookings.
pub(crate) fn not_found(lang: Language) -> String {
    say(
        lang,
        "I can't find a booking with that reference under your account. Could you check the reference?",
        "No encuentro ninguna reserva con esa referencia en su cuenta. ¿Podría comprobar la referencia?",
    )
}

/// The booking a change is about, or what to tell the guest instead.
pub(crate) enum Target {
    /// The guest's booking.
    Found(Booking),
    /// Not found or ambiguous: what to ask the guest.
    Ask(String),
}

/// The booking this turn's reference (or the flow's) names, else the guest's only upcoming
/// booking; otherwise asks which.
pub(crate) async fn target(
    agent: &HotelAgent,
    s: &Conversation,
    today: NaiveDate,
) -> Result<Target, NodeError> {
    let lang = language(s);
    // The policy's pick first: it reads the reference said, and which of several is meant
    // ("tengo MVL-… y HPH-…, cancelame la de nueva orleans").
    let reference = s
        .change
        .as_ref()
        .and_then(|c| c.reference.clone())
        .or_else(|| said_reference(s));
    let guest = guest(s);
    if let Some(reference) = reference {
        let found = own_booking(agent, &guest, &reference).await;
        return Ok(found.map_or_else(|| Target::Ask(not_found(lang)), Target::Found));
    }
    let mut upcoming: Vec<Booking> = agent
        .store
        .bookings_of(&guest)
        .await
        .map_err(NodeError::permanent)?
        .into_iter()
        .filter(|b| b.status == BookingStatus::Confirmed && b.quote.check_in >= today)
        .collect();
    if upcoming.len() == 1 {
        return Ok(Target::Found(upcoming.remove(0)));
    }
    if upcoming.is_empty() {
        return Ok(Target::Ask(say(
            lang,
            "I can't find an upcoming booking under your account. What is your booking reference?",
            "No encuentro ninguna reserva próxima en su cuenta. ¿Cuál es su referencia de reserva?",
        )));
    }
    let list: Vec<String> = upcoming.iter().map(|b| describe(agent, lang, b)).collect();
    Ok(Target::Ask(say(
        lang,
        format!(
            "You have these bookings: {}. Which one do you mean? Please give me its reference.",
            list.join("; ")
        ),
        format!(
            "Tiene estas reservas: {}. ¿A cuál se refiere? Indíqueme su referencia, por favor.",
            list.join("; ")
        ),
    )))
}

/// `guest`'s booking with the reference written `reference`, if it is one and theirs (a
/// failing store reads as not found, as a wrong reference would).
pub(crate) async fn own_booking(
    agent: &HotelAgent,
    guest: &GuestId,
    reference: &str,
) -> Option<Booking> {
    let reference = BookingRef::parse(reference).ok()?;
    agent.store.lookup(guest, &reference).await.ok()
}

/// Why `b` cannot be changed today, if it cannot.
pub(crate) fn refusal(lang: Language, b: &Booking, today: NaiveDate) -> Option<String> {
    if b.status == BookingStatus::Cancelled {
        return Some(say(
            lang,
            format!(
                "Booking {} is cancelled, so it can no longer be changed.",
                b.reference
            ),
            format!(
                "La reserva {} está cancelada, así que ya no se puede modificar.",
                b.reference
            ),
        ));
    }
    (b.quote.check_in < today).then(|| {
        say(
            lang,
            format!(
                "Booking {} started on {}, which has passed, so it can no longer be changed.",
                b.reference,
                date(lang, b.quote.check_in)
            ),
            format!(
                "La reserva {} empezó el {}, fecha ya pasada, así que no se puede modificar.",
                b.reference,
                date(lang, b.quote.check_in)
            ),
        )
    })
}

/// `lookup`: shows the booking the guest names, or lists theirs. A reference sent while a
/// change waits for one goes on with that change instead.
pub(crate) async fn lookup(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<Command<Conversation>, NodeError> {
    let lang = language(&s);
    if let Some(ChangeFlow {
        kind,
        reference: None,
        ..
    }) = &s.change
        && said_reference(&s).is_some()
    {
        return Ok(Command::goto(match kind {
            ChangeKind::Reschedule => "reschedule",
            ChangeKind::Cancel => "cancel",
        }));
    }
    let guest = guest(&s);
    // The booking named by reference; else the one the policy picked by hotel or month when
    // the guest has several; else all of them.
    let bookings = agent
        .store
        .bookings_of(&guest)
        .await
        .map_err(NodeError::permanent)?;
    let picked = s.shown.clone().filter(|_| bookings.len() > 1);
    let named = said_reference(&s).or(picked);
    let reply = if let Some(reference) = named {
        let found = own_booking(&agent, &guest, &reference).await;
        match found {
            Some(b) => say(
                lang,
                format!("Here is your booking: {}.", describe(&agent, lang, &b)),
                format!("Esta es su reserva: {}.", describe(&agent, lang, &b)),
            ),
            None => not_found(lang),
        }
    } else {
        if bookings.is_empty() {
            say(
                lang,
                "I can't find any bookings under your account. If you have a booking reference, please send it to me.",
                "No encuentro reservas en su cuenta. Si tiene una referencia de reserva, envíemela, por favor.",
            )
        } else {
            let list: Vec<String> = bookings.iter().map(|b| describe(&agent, lang, b)).collect();
            say(
                lang,
                format!("Your bookings: {}.", list.join("; ")),
                format!("Sus reservas: {}.", list.join("; ")),
            )
        }
    };
    Ok(Command::update(ConversationUpdate::default().reply(reply)).and_goto("respond"))
}
