//! Questions answered from the catalog's facts only; anything the catalog does not say is
//! answered with "I don't know", never guessed.

use std::sync::Arc;

use agent_nodes::nlu::Language;
use graph_core::NodeError;
use hotel::{Catalog, Hotel};

use super::HotelAgent;
use super::booking::next_question;
use super::reply::{language, say};
use super::state::{Conversation, ConversationUpdate};
use super::text::fold;

mod capacity;
mod cued;
mod facts;
mod topics;

use capacity::capacity;
use facts::{asks_free, fact, has, nearest, offers, overview, superlative, superlatives};
pub(crate) use topics::asks;
use topics::topics;

/// "Which hotels …", "¿qué hoteles …?", "any hotel with …": a question across hotels.
pub(crate) fn across_hotels(folded: &str) -> bool {
    [
        "which hotel",
        "what hotel",
        "which of your hotels",
        "which of those",
        "which of them",
        "of those which",
        "of them which",
        "cual de esos",
        "cual de esas",
        "cual de ellos",
        "cual de ellas",
        "de esos cual",
        "de esas cual",
        "which of ur hotels",
        "which ones",
        "que hoteles",
        "q hoteles",
        "k hoteles",
        "cuales hoteles",
        "que hotel tiene",
        "cuales tienen",
        "any hotel",
        "any of your hotels",
        "any of the hotels",
        "all your hotels",
        "all of your hotels",
        "across your hotels",
        "de todos sus hoteles",
        "de todos tus hoteles",
        "en todos sus hoteles",
        "en cualquiera de sus hoteles",
        "de todos los hoteles",
        "que hotel",
        "cual hotel",
        "cuales hoteles",
        "cuales de sus hoteles",
        "algun hotel",
        "en que hotel",
        "donde hay",
        "where can i",
    ]
    .iter()
    .any(|p| folded.contains(p))
}

/// "When do I check in at the miami one?", "¿qué día entramos?": the guest asks when their own
/// stay is, not what the hotel's times are.
pub(crate) fn asks_own_day(folded: &str) -> bool {
    [
        "when do i",
        "when do we",
        "what day do i",
        "what day do we",
        "cuando entro",
        "cuando entramos",
        "cuando llego",
        "cuando llegamos",
        "que dia entro",
        "que dia entramos",
        "que dia llego",
        "que dia llegamos",
    ]
    .iter()
    .any(|p| folded.contains(p))
}

/// The hotels that have everything `folded` asks about ("which hotels have a gym and a
/// pool?"), in catalog order; empty when it asks about nothing a hotel can have or lack.
pub(crate) fn hotels_with(catalog: &Catalog, folded: &str) -> Vec<String> {
    let topics = topics(folded);
    let free = asks_free(folded);
    let checkable: Vec<_> = topics
        .iter()
        .copied()
        .filter(|t| catalog.hotels().iter().any(|h| has(h, *t).is_some()))
        .collect();
    if checkable.is_empty() {
        return Vec::new();
    }
    catalog
        .hotels()
        .iter()
        .filter(|h| checkable.iter().all(|t| offers(h, *t, free) == Some(true)))
        .map(|h| h.code.clone())
        .collect()
}

/// The answer to `message` about the hotels with codes `about` (every hotel when it is
/// empty), from catalog facts only.
pub fn answer_from_catalog(
    catalog: &Catalog,
    lang: Language,
    about: &[String],
    message: &str,
) -> String {
    let folded = fold(message);
    let mut hotels: Vec<&Hotel> = about.iter().filter_map(|c| catalog.hotel(c).ok()).collect();
    if hotels.is_empty() {
        hotels = catalog.hotels().iter().collect();
    }
    if let Some(answer) = capacity(lang, &hotels, &folded) {
        return answer;
    }
    if let Some(answer) = superlative(lang, &hotels, &folded) {
        return answer;
    }
    let mut topics = topics(&folded);
    // "A room near dfw. Is the shuttle free?": where the hotel is, then the rest asked.
    if let Some(answer) = nearest(lang, &hotels, &folded) {
        topics.retain(|t| !matches!(t, topics::Topic::Location | topics::Topic::Prices));
        if topics.is_empty() {
            return answer;
        }
        return format!("{answer}\n{}", topic_lines(lang, &hotels, &folded, &topics));
    }
    // "How much extra per night for the pup?" asks what the pet costs, not the rooms; "why is
    // christmas more expensive?" asks how stays are priced, the same at every hotel.
    if topics.len() > 1 && crate::nlu::rooms_in(&folded).is_empty()
        || topics.contains(&topics::Topic::Season)
    {
        topics.retain(|t| *t != topics::Topic::Prices);
    }
    if topics == [topics::Topic::Season] {
        return facts::season(lang);
    }
    if topics == [topics::Topic::Counts] {
        return facts::counts(lang);
    }
    if topics.contains(&topics::Topic::Changes) {
        return facts::changes(lang);
    }
    // "Can you hold it till friday? and is parking free?": the hold is said once, first,
    // and the rest answered as any question.
    if topics.contains(&topics::Topic::Hold) {
        topics.retain(|t| !matches!(t, topics::Topic::Hold | topics::Topic::Prices));
        let hold = facts::hold(lang);
        if topics.is_empty() {
            return hold;
        }
        return format!("{hold}\n{}", topic_lines(lang, &hotels, &folded, &topics));
    }
    // "Do you have a hotel near DFW?": what the hotel is, when one is named. Any other question
    // ("is there a casino at the Grand Plaza?") is one the catalog cannot answer: it says so.
    if let ([h], true) = (hotels.as_slice(), topics.is_empty()) {
        let about_hotels = [
            "hotel",
            "place",
            "somewhere",
            "anything",
            "algo",
            "alojamiento",
        ]
        .iter()
        .any(|w| folded.contains(w));
        if about_hotels {
            return overview(lang, h);
        }
    }
    // "¿Qué tienen en Miami y en Nueva Orleans?": what each hotel named is.
    let offers_asked = ["tienen", "have", "hay", "ofrecen", "offer"]
        .iter()
        .any(|w| crate::text::words(&folded).contains(w));
    if topics.is_empty() && (2..=3).contains(&hotels.len()) && offers_asked {
        return hotels
            .iter()
            .map(|h| overview(lang, h))
            .collect::<Vec<_>>()
            .join("\n");
    }
    if topics.is_empty() {
        return say(
            lang,
            "I'm sorry, I don't have that information. I can tell you about amenities, prices, check-in times, parking, pets and more, or help you book.",
            "Lo siento, no tengo esa información. Puedo informarle sobre servicios, precios, horarios de entrada, aparcamiento, mascotas y más, o ayudarle a reservar.",
        );
    }
    topic_lines(lang, &hotels, &folded, &topics)
}

/// Each of `topics` at each of `hotels` (those that offer it, when asked across them).
fn topic_lines(
    lang: Language,
    hotels: &[&Hotel],
    folded: &str,
    topics: &[topics::Topic],
) -> String {
    let across = hotels.len() > 1 && across_hotels(folded);
    let free = asks_free(folded);
    let lines: Vec<String> = topics
        .iter()
        .flat_map(|t| {
            let hotels = hotels.to_vec();
            hotels
                .into_iter()
                .filter(move |h| !across || offers(h, *t, free) != Some(false))
                .map(move |h| fact(lang, h, *t))
        })
        .collect();
    // A fact the same at every hotel is said once.
    let mut lines = lines;
    lines.dedup();
    if lines.is_empty() {
        return say(
            lang,
            "None of our hotels has that, I'm afraid.",
            "Me temo que ninguno de nuestros hoteles lo tiene.",
        );
    }
    lines.join("\n")
}

/// `answer`: answers a question from the catalog; mid-booking, then picks the booking up where
/// it was.
pub(crate) async fn answer(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let entities = s.understanding.as_ref().map(|u| &u.entities);
    let asked = entities.and_then(|e| super::booking::named_hotel(&agent.catalog, e));
    // "Which of your hotels take dogs?" is about all of them, whatever is in focus.
    // "And the priciest room you have?": the cheapest, dearest or biggest of all the hotels,
    // unless the question says "there".
    let folded = fold(&s.message);
    let there = crate::text::words(&folded)
        .iter()
        .any(|w| matches!(*w, "there" | "ahi" | "alli" | "alla"));
    // "Solo yo. la más barata" during a request at a hotel picks that hotel's room.
    let at_hotel = s.slots.started() && s.slots.hotel.is_some();
    let across =
        across_hotels(&folded) || (superlatives(&folded).contains(&true) && !there && !at_hotel);
    let hotel = asked.or_else(|| {
        (!across)
            .then(|| s.focus.clone().or_else(|| s.slots.hotel.clone()))
            .flatten()
    });
    // "Check-in at the Seaside and at the Mountain View?": each hotel named.
    let named = crate::nlu::hotels_in(&agent.catalog, &folded);
    // "¿Alguna de las dos tiene piscina?" after two hotels were weighed: those two.
    let about = if named.len() > 1 {
        named
    } else if named.is_empty() && s.compared.len() > 1 && crate::reading::weighs(&folded) {
        s.compared.clone()
    } else if let Some(asked) = s
        .asked
        .as_deref()
        .filter(|_| named.is_empty() && crate::reading::follows_up(&folded))
    {
        // "¿Y la salida?" after a question about two hotels: about those two again.
        let before = crate::nlu::hotels_in(&agent.catalog, &fold(asked));
        if before.len() > 1 {
            before
        } else {
            hotel.into_iter().collect()
        }
    } else {
        hotel.into_iter().collect()
    };
    // "And at the Grand Plaza?": the last question, about the hotel named now.
    // "¿Y el de Chicago cuánto cobra por noche?" after a question about parking: what that
    // costs there, not its rooms (a room or dates named ask for the rooms).
    let only_price = topics(&folded) == [topics::Topic::Prices]
        && crate::nlu::rooms_in(&folded).is_empty()
        && entities.is_none_or(|e| e.check_in.is_none());
    let question = match &s.asked {
        Some(asked)
            if (topics(&folded).is_empty() && crate::reading::follows_up(&folded))
                || (only_price && !topics(&fold(asked)).contains(&topics::Topic::Prices)) =>
        {
            asked.as_str()
        }
        _ => s.message.as_str(),
    };
    let mut reply = answer_from_catalog(&agent.catalog, lang, &about, question);
    // "Whats the date on my miami booking again and what time can we get into the room": the
    // booking asked about, then the answer.
    let own = s
        .understanding
        .as_ref()
        .is_some_and(|u| u.intent == agent_nodes::nlu::Intent::BookingLookup)
        || asks_own_day(&folded);
    let shown = match s.shown.as_deref().filter(|_| own) {
        Some(r) => crate::lookup::own_booking(&agent, &crate::lookup::guest(&s), r).await,
        None => None,
    };
    if let Some(b) = shown {
        let about = crate::lookup::describe(&agent, lang, &b);
        reply = say(
            lang,
            format!("Here is your booking: {about}.\n{reply}"),
            format!("Esta es su reserva: {about}.\n{reply}"),
        );
    }
    // A quote still standing is asked again with its exact terms; a complete request goes on
    // to `quote`, an incomplete one asks for what it lacks.
    let follow_up = match &s.pending {
        Some(p) => super::confirm::terms_question(&agent, lang, p),
        None if s.slots.started() => next_question(&agent.catalog, lang, &s.slots),
        None => String::new(),
    };
    if !follow_up.is_empty() {
        reply = format!("{reply}\n{follow_up}");
    }
    Ok(ConversationUpdate::default().reply(reply))
}
