//! The reschedule and cancellation flows: find the booking, (for a reschedule) collect the new
//! dates, quote the fee or charge, and wait for the guest's yes (see `confirm`); `changed`
//! tells the guest what the `apply_change` tool node did.

use std::sync::Arc;

use agent_nodes::nlu::Language;
use graph_core::NodeError;
use hotel::{Booking, Cents, RescheduleQuote};

use super::HotelAgent;
use super::lookup::{Target, describe, refusal, target};
use super::reply::{date, language, say, stay_error};
use super::state::{ChangeFlow, ChangeKind, Conversation, ConversationUpdate, Pending};
use super::tools::{CANCEL_TOOL, Changed, RESCHEDULE_TOOL};

/// The update that keeps waiting for the rest of a `kind` change to `reference`.
fn waiting(kind: ChangeKind, reference: Option<String>, reply: String) -> ConversationUpdate {
    ConversationUpdate::default()
        .change(Some(ChangeFlow {
            kind,
            reference,
            dates: None,
        }))
        .pending(None)
        .reply(reply)
}

/// The booking a change is about, or the update asking for it (or refusing it).
async fn find(
    agent: &HotelAgent,
    s: &Conversation,
    kind: ChangeKind,
) -> Result<Result<Booking, ConversationUpdate>, NodeError> {
    let today = agent.clock.today();
    let lang = language(s);
    Ok(match target(agent, s, today).await? {
        Target::Ask(reply) => Err(waiting(kind, None, reply)),
        Target::Found(b) => match refusal(lang, &b, today) {
            Some(reply) => Err(ConversationUpdate::default()
                .change(None)
                .pending(None)
                .reply(reply)),
            None => Ok(b),
        },
    })
}

/// How the fee of `q` came about, for the guest.
fn fee_words(lang: Language, q: &RescheduleQuote, check_in_day: bool) -> String {
    if q.fee.total == Cents::ZERO {
        return say(
            lang,
            "The change is free, since it is 2 or more days before check-in.",
            "El cambio es gratuito, ya que faltan 2 días o más para la entrada.",
        );
    }
    let mut en = format!("The change fee is {}", q.fee.total);
    let mut es = format!("La tarifa de cambio es de {}", q.fee.total);
    if check_in_day {
        en.push_str(" (doubled, as today is the check-in day)");
        es.push_str(" (doble, porque hoy es el día de entrada)");
    }
    if q.fee.peak_surcharge > Cents::ZERO {
        let p = q.fee.peak_surcharge;
        en.push_str(&format!(", including a peak-season surcharge of {p}"));
        es.push_str(&format!(", con un recargo de temporada alta de {p}"));
    }
    say(lang, en + ".", es + ".")
}

/// `reschedule`: quotes moving the guest's booking to the new dates, asking for whatever is
/// missing. A new arrival alone keeps the stay's length.
pub(crate) async fn reschedule(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let kind = ChangeKind::Reschedule;
    let b = match find(&agent, &s, kind).await? {
        Ok(b) => b,
        Err(ask) => return Ok(ask),
    };
    let reference = b.reference.to_string();
    // The policy worked out the new stay from the message and the booking.
    let Some((check_in, check_out)) = s.change.as_ref().and_then(|c| c.dates) else {
        let reply = say(
            lang,
            format!(
                "Your booking is {}. What new dates would you like?",
                describe(&agent, lang, &b)
            ),
            format!(
                "Su reserva es {}. ¿Qué nuevas fechas desea?",
                describe(&agent, lang, &b)
            ),
        );
        return Ok(waiting(kind, Some(reference), reply));
    };
    let today = agent.clock.today();
    let q = match agent
        .catalog
        .quote_reschedule(&b, check_in, check_out, today)
    {
        Ok(q) => q,
        Err(error) => return Ok(waiting(kind, Some(reference), stay_error(lang, &error))),
    };
    // The booking's own nights are free for it; the store checks overlapping stays on apply.
    let overlaps = check_in < b.quote.check_out && b.quote.check_in < check_out;
    let (hotel, room) = (&b.quote.hotel, b.quote.room);
    if !overlaps
        && matches!(
            agent
                .store
                .availability(hotel, room, check_in, check_out)
                .await,
            Ok(0)
        )
    {
        let reply = say(
            lang,
            "Sorry, your room type is sold out for those dates. Would you like other dates?",
            "Lo siento, su tipo de habitación está completo en esas fechas. ¿Desea otras fechas?",
        );
        return Ok(waiting(kind, Some(reference), reply));
    }
    let n = q.stay.nights.len();
    let hotel_name = agent
        .catalog
        .hotel(hotel)
        .map_or(hotel.clone(), |h| h.name.clone());
    let fee = fee_words(lang, &q, b.quote.check_in == today);
    let reply = say(
        lang,
        format!(
            "I can move booking {reference} ({hotel_name}) to {} to {} ({n} night(s)); the new total is {}. {fee} Shall I make the change? (yes/no)",
            date(lang, check_in),
            date(lang, check_out),
            q.stay.total
        ),
        format!(
            "Puedo cambiar la reserva {reference} ({hotel_name}) al {} hasta el {} ({n} noche(s)); el nuevo total es {}. {fee} ¿Hago el cambio? (sí/no)",
            date(lang, check_in),
            date(lang, check_out),
            q.stay.total
        ),
    );
    Ok(ConversationUpdate::default()
        .change(None)
        .pending(Some(Pending::Reschedule {
            reference,
            check_in,
            check_out,
            fee_cents: q.fee.total.0,
            total_cents: q.stay.total.0,
        }))
        .reply(reply))
}

/// `cancel`: quotes cancelling the guest's booking (free, or the first night).
pub(crate) async fn cancel(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let b = match find(&agent, &s, ChangeKind::Cancel).await? {
        Ok(b) => b,
        Err(ask) => return Ok(ask),
    };
    let today = agent.clock.today();
    let charge = hotel::cancellation_charge(&b, today).map_err(NodeError::permanent)?;
    let terms = if charge == Cents::ZERO {
        say(
            lang,
            "Cancelling is free, since it is 2 or more days before check-in.".to_owned(),
            "La cancelación es gratuita, ya que faltan 2 días o más para la entrada.".to_owned(),
        )
    } else {
        say(
            lang,
            format!(
                "Check-in is less than 2 days away, so cancelling now costs the first night: {charge}."
            ),
            format!(
                "Faltan menos de 2 días para la entrada, así que cancelar ahora cuesta la primera noche: {charge}."
            ),
        )
    };
    let reply = say(
        lang,
        format!(
            "Your booking is {}. {terms} Shall I cancel it? (yes/no)",
            describe(&agent, lang, &b)
        ),
        format!(
            "Su reserva es {}. {terms} ¿La cancelo? (sí/no)",
            describe(&agent, lang, &b)
        ),
    );
    Ok(ConversationUpdate::default()
        .change(None)
        .pending(Some(Pending::Cancel {
            reference: b.reference.to_string(),
            charge_cents: charge.0,
        }))
        .reply(reply))
}

/// `underway`: the guest asked to lengthen a stay already begun. That booking cannot be
/// changed; the nights asked for (in `slots`, set by the policy) can be a booking of their own,
/// quoted when the guest wants it.
pub(crate) async fn underway(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let slots = &s.slots;
    let hotel = slots
        .hotel
        .as_deref()
        .and_then(|c| agent.catalog.hotel(c).ok())
        .map_or_else(String::new, |h| h.name.clone());
    let (Some(check_in), Some(check_out)) = (slots.check_in, slots.check_out) else {
        return Ok(ConversationUpdate::default());
    };
    let room = slots.room.as_deref().unwrap_or_default();
    let guests = slots.guests.unwrap_or_default();
    let reply = say(
        lang,
        format!(
            "Your stay at {hotel} has already begun, so that booking can no longer be changed. I can book the extra night(s) as a separate booking: {room} room, {} to {}, {guests} guest(s). Shall I quote it?",
            date(lang, check_in),
            date(lang, check_out),
        ),
        format!(
            "Su estancia en {hotel} ya ha empezado, así que esa reserva ya no se puede cambiar. Puedo reservar la(s) noche(s) extra como una reserva aparte: habitación {}, del {} al {}, {guests} huésped(es). ¿Se la cotizo?",
            super::reply::room(lang, room),
            date(lang, check_in),
            date(lang, check_out),
        ),
    );
    Ok(ConversationUpdate::default().pending(None).reply(reply))
}

/// `changed`: tells the guest the outcome of the reschedule or cancellation tool.
pub(crate) async fn changed(s: Arc<Conversation>) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let outcome = s
        .tool_results
        .iter()
        .find(|r| r.name == RESCHEDULE_TOOL || r.name == CANCEL_TOOL);
    let done = outcome
        .filter(|r| !r.is_error)
        .and_then(|r| serde_json::from_value::<Changed>(r.output.clone()).ok());
    let reply = match done {
        Some(c) if c.cancelled => say(
            lang,
            format!(
                "Booking {} is cancelled. Charge: {}. Anything else?",
                c.reference,
                Cents(c.fee_cents)
            ),
            format!(
                "La reserva {} está cancelada. Cargo: {}. ¿Algo más?",
                c.reference,
                Cents(c.fee_cents)
            ),
        ),
        Some(c) => say(
            lang,
            format!(
                "Done! Booking {} is now {} to {}. New total: {}; change fee: {}. Anything else?",
                c.reference,
                date(lang, c.check_in),
                date(lang, c.check_out),
                Cents(c.total_cents),
                Cents(c.fee_cents)
            ),
            format!(
                "¡Listo! La reserva {} es ahora del {} al {}. Nuevo total: {}; tarifa de cambio: {}. ¿Algo más?",
                c.reference,
                date(lang, c.check_in),
                date(lang, c.check_out),
                Cents(c.total_cents),
                Cents(c.fee_cents)
            ),
        ),
        None => say(
            lang,
            "Sorry, I could not change the booking; the new dates may have just sold out. Would you like to try other dates?",
            "Lo siento, no pude modificar la reserva; puede que las nuevas fechas se acaben de agotar. ¿Desea probar otras fechas?",
        ),
    };
    Ok(ConversationUpdate::default()
        .pending(None)
        .change(None)
        .reply(reply))
}
