//! The small talk around the business: hello, goodbye, and what the agent says when it did
//! not understand (once "sorry", then what it can do; a person is asked the third time).

use std::sync::Arc;

use graph_core::{Ctx, NodeError};

use super::HotelAgent;
use super::booking;
use super::confirm::terms_question;
use super::reply::{language, say};
use super::state::{Conversation, ConversationUpdate};

pub(crate) async fn greet(
    s: Arc<Conversation>,
    _ctx: Ctx,
) -> Result<ConversationUpdate, NodeError> {
    let reply = say(
        language(&s),
        "Hello! I can book a room at any of our seven hotels, or answer questions about them. How can I help?",
        "¡Hola! Puedo reservarle una habitación en cualquiera de nuestros siete hoteles o responder a sus preguntas. ¿En qué puedo ayudarle?",
    );
    // A guest the store remembers is greeted by name.
    let name = s.guest.as_ref().and_then(|g| g.name.as_deref());
    let reply = match name.and_then(|name| {
        reply
            .split_once('!')
            .map(|(hello, rest)| (name, hello, rest))
    }) {
        Some((name, hello, rest)) => format!("{hello} {name}!{rest}"),
        None => reply,
    };
    Ok(ConversationUpdate::default().reply(reply))
}

pub(crate) async fn goodbye(
    s: Arc<Conversation>,
    _ctx: Ctx,
) -> Result<ConversationUpdate, NodeError> {
    let reply = say(
        language(&s),
        "Thank you for contacting us. Have a great day!",
        "Gracias por contactarnos. ¡Que tenga un buen día!",
    );
    Ok(ConversationUpdate::default().reply(reply))
}

/// What the agent is waiting for, if anything: the exact terms of a quote, or the next detail
/// of a request.
fn waiting_for(agent: &HotelAgent, s: &Conversation) -> String {
    let lang = language(s);
    match &s.pending {
        Some(p) => terms_question(agent, lang, p),
        None if s.slots.started() => booking::next_question(&agent.catalog, lang, &s.slots),
        None => String::new(),
    }
}

/// `recover`, the first miss: says so, and where the request stands.
pub(crate) async fn recover(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let mut reply = say(
        language(&s),
        "Sorry, I did not quite get that. I can book a room or answer questions about our hotels.",
        "Disculpe, no le he entendido bien. Puedo reservar una habitación o responder preguntas sobre nuestros hoteles.",
    );
    let waiting = waiting_for(&agent, &s);
    if !waiting.is_empty() {
        reply = format!("{reply} {waiting}");
    }
    Ok(ConversationUpdate::default().reply(reply))
}

/// `help`, the second miss in a row: no second "sorry", but what the agent can do, with
/// examples to copy.
pub(crate) async fn help(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let mut reply = say(
        language(&s),
        "Here is what I can do:\n1. Book a room: tell me the hotel, the room type, the dates and how many guests, e.g. \"a deluxe room at the Grand Plaza from Dec 3 to Dec 6 for 2\".\n2. Answer questions about our hotels, e.g. \"is breakfast included at Mountain View Lodge?\".\n3. Show, change or cancel your booking, e.g. \"cancel my booking\" or \"move my stay to Jan 10\".\nIf you would rather talk to a person, just say so.",
        "Esto es lo que puedo hacer:\n1. Reservar una habitación: dígame el hotel, el tipo de habitación, las fechas y cuántos huéspedes, p. ej. \"una deluxe en el Grand Plaza del 3 al 6 de diciembre para 2\".\n2. Responder preguntas sobre nuestros hoteles, p. ej. \"¿el desayuno está incluido en Mountain View Lodge?\".\n3. Ver, cambiar o cancelar su reserva, p. ej. \"cancelar mi reserva\" o \"cambiar mi estancia al 10 de enero\".\nSi prefiere hablar con una persona, dígamelo.",
    );
    let waiting = waiting_for(&agent, &s);
    if !waiting.is_empty() {
        reply = format!("{reply}\n{waiting}");
    }
    Ok(ConversationUpdate::default().reply(reply))
}

/// `refuse`: text written to steer the agent. Prices are the catalog's and bookings their
/// owners'; a quote waiting is asked again as it was.
pub(crate) async fn refuse(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let mut reply = say(
        language(&s),
        "I can't change prices or act on anyone else's booking: I quote our published rates and look after your own bookings only.",
        "No puedo cambiar precios ni tocar reservas de otras personas: le indico nuestras tarifas publicadas y gestiono solo sus propias reservas.",
    );
    let waiting = waiting_for(&agent, &s);
    if !waiting.is_empty() {
        reply = format!("{reply} {waiting}");
    }
    Ok(ConversationUpdate::default().reply(reply))
}
