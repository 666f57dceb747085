//! Questions answered from the catalog's facts only; anything the catalog does not say is
//! answered with "I don't know", never guessed.

use std::sync::Arc;

use agent_nodes::nlu::Language;
use graph_core::NodeError;
use hotel::{Breakfast, Catalog, Hotel, Parking, Pets, RoomKind, Shuttle};

use super::HotelAgent;
use super::booking::next_question;
use super::reply::{language, say};
use super::state::{Conversation, ConversationUpdate};
use super::text::fold;

/// A topic the catalog has facts about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    Breakfast,
    Pool,
    Spa,
    Gym,
    Parking,
    Shuttle,
    Restaurant,
    Meetings,
    Pets,
    Smoking,
    Age,
    Wifi,
    Times,
    Prices,
    Location,
}

/// Words that name each topic, English and Spanish, accent-free and lower-case.
const CUES: &[(Topic, &[&str])] = &[
    (Topic::Breakfast, &["breakfast", "desayuno"]),
    (
        Topic::Pool,
        &[
            "pool", "pools", "piscina", "alberca", "pileta", "swim", "swimming",
        ],
    ),
    (Topic::Spa, &["spa"]),
    (Topic::Gym, &["gym", "fitness", "gimnasio"]),
    (
        Topic::Parking,
        &[
            "parking",
            "park",
            "car",
            "aparcamiento",
            "estacionamiento",
            "parqueadero",
            "coche",
        ],
    ),
    (
        Topic::Shuttle,
        &[
            "shuttle",
            "transfer",
            "traslado",
            "traslados",
            "pick up",
            "pickup",
            "to the airport",
            "from the airport",
            "al aeropuerto",
            "desde el aeropuerto",
            "del aeropuerto al",
            "recogida",
            "transporte",
        ],
    ),
    (
        Topic::Restaurant,
        &["restaurant", "restaurante", "dinner", "cena"],
    ),
    (
        Topic::Meetings,
        &["meeting", "conference", "reuniones", "reunion"],
    ),
    (
        Topic::Pets,
        &[
            "pet",
            "pets",
            "dog",
            "dogs",
            "cat",
            "cats",
            "puppy",
            "mascota",
            "mascotas",
            "perro",
            "perros",
            "perrito",
            "perrita",
            "gato",
            "gatos",
            "pet-friendly",
        ],
    ),
    (Topic::Smoking, &["smoke", "smoking", "fumar", "fumadores"]),
    (Topic::Age, &["age", "old", "edad"]),
    (Topic::Wifi, &["wifi", "wi-fi", "internet"]),
    (
        Topic::Times,
        &[
            "what time",
            "check-in time",
            "checkin time",
            "check in time",
            "check-out time",
            "checkout time",
            "check out time",
            "when is check",
            "when can we check",
            "when can i check",
            "late check",
            "early check",
            "wat time",
            "chekin",
            "check in time",
            "hora",
            "horas",
            "horario",
            "horarios",
            "a las",
            "o clock",
            "noon",
            "mediodia",
        ],
    ),
    (
        Topic::Location,
        &[
            "where is",
            "where are",
            "located",
            "location",
            "address",
            "neighborhood",
            "neighbourhood",
            "what area",
            "ubicado",
            "ubicada",
            "ubicacion",
            "donde esta",
            "donde queda",
            "direccion",
            "barrio",
            "zona",
            "on the beach",
            "near the beach",
            "beachfront",
            "en la playa",
            "cerca de la playa",
            "how far",
            "far from",
            "que tan lejos",
            "downtown",
            "el centro",
        ],
    ),
    (
        Topic::Prices,
        &[
            "price",
            "prices",
            "cost",
            "rate",
            "rates",
            "how much",
            "precio",
            "precios",
            "cuesta",
            "cuanto",
            "tarifa",
            "what rooms",
            "which rooms",
            "room types",
            "types of rooms",
            "que habitaciones",
            "tipos de habitacion",
            "cheapest",
            "cheaper",
            "priciest",
            "expensive",
            "barata",
            "barato",
            "economica",
            "economico",
            "cara",
            "caro",
        ],
    ),
];

/// Whether `message` asks about something the catalog knows, prices aside.
pub(crate) fn asks_topic(message: &str) -> bool {
    topics(message).iter().any(|t| *t != Topic::Prices)
}

/// Whether `message` asks for the cheapest, dearest or biggest room ("la suite más barata").
pub(crate) fn asks_superlative(message: &str) -> bool {
    let folded = fold(message);
    [
        "cheapest",
        "cheaper",
        "least expensive",
        "most affordable",
        "priciest",
        "most expensive",
        "biggest",
        "largest",
        "mas barat",
        "mas economic",
        "mas car",
        "mas grande",
    ]
    .iter()
    .any(|p| folded.contains(p))
}

/// Whether `message` asks about prices.
pub(crate) fn asks_price(message: &str) -> bool {
    topics(message).contains(&Topic::Prices)
}

/// Check-in or check-out named without a time word: a question about times only when asked
/// as one ("y el check out??") with no date beside it ("check in jan 20" is a date).
fn asks_times(text: &str, words: &[&str]) -> bool {
    let named = [
        "check-in",
        "checkin",
        "check in",
        "check-out",
        "checkout",
        "check out",
        "entrada",
        "salida",
    ]
    .iter()
    .any(|c| text.contains(c));
    let dated = words.iter().any(|w| w.bytes().any(|b| b.is_ascii_digit()));
    named && text.contains('?') && !dated
}

fn topics(message: &str) -> Vec<Topic> {
    let text = fold(message);
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let times = asks_times(&text, &words);
    CUES.iter()
        .filter(|(_, cues)| {
            cues.iter().any(|cue| {
                if cue.contains(' ') {
                    text.contains(cue)
                } else {
                    words.contains(cue)
                }
            })
        })
        .map(|(t, _)| *t)
        .chain(times.then_some(Topic::Times))
        .fold(Vec::new(), |mut all, t| {
            if !all.contains(&t) {
                all.push(t);
            }
            all
        })
}

fn yes_no(lang: Language, yes: bool) -> String {
    say(
        lang,
        if yes { "yes" } else { "no" },
        if yes { "sí" } else { "no" },
    )
}

/// The catalog's fact about `topic` at `h`.
fn fact(lang: Language, h: &Hotel, topic: Topic) -> String {
    let a = &h.amenities;
    let fact = match topic {
        Topic::Breakfast => match a.breakfast {
            Breakfast::Included => say(lang, "breakfast is included", "el desayuno está incluido"),
            Breakfast::PerPersonPerDay { price_cents } => say(
                lang,
                format!("breakfast is {price_cents} per person per day"),
                format!("el desayuno cuesta {price_cents} por persona y día"),
            ),
        },
        Topic::Pool => say(
            lang,
            format!("pool: {}", yes_no(lang, a.pool)),
            format!("piscina: {}", yes_no(lang, a.pool)),
        ),
        Topic::Spa => format!("spa: {}", yes_no(lang, a.spa)),
        Topic::Gym => say(
            lang,
            format!("gym: {}", yes_no(lang, a.gym)),
            format!("gimnasio: {}", yes_no(lang, a.gym)),
        ),
        Topic::Parking => match &a.parking {
            Parking::Free => say(lang, "parking is free", "el aparcamiento es gratuito"),
            Parking::Paid {
                per_night_cents,
                valet,
            } => say(
                lang,
                format!(
                    "{}parking is {per_night_cents} per night",
                    if *valet { "valet " } else { "" }
                ),
                format!(
                    "el aparcamiento{} cuesta {per_night_cents} por noche",
                    if *valet { " con valet" } else { "" }
                ),
            ),
            Parking::None { note } => say(
                lang,
                format!(
                    "there is no parking at the hotel{}",
                    note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
                ),
                format!(
                    "el hotel no tiene aparcamiento{}",
                    note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
                ),
            ),
        },
        Topic::Shuttle => match a.airport_shuttle {
            Shuttle::None => say(lang, "no airport shuttle", "no hay traslado al aeropuerto"),
            Shuttle::Free24h => say(
                lang,
                "a free airport shuttle around the clock",
                "traslado gratuito al aeropuerto las 24 horas",
            ),
            Shuttle::PerTrip { price_cents } => say(
                lang,
                format!("an airport shuttle at {price_cents} per trip"),
                format!("traslado al aeropuerto por {price_cents} el trayecto"),
            ),
        },
        Topic::Restaurant => say(
            lang,
            format!("restaurant: {}", yes_no(lang, a.restaurant)),
            format!("restaurante: {}", yes_no(lang, a.restaurant)),
        ),
        Topic::Meetings => say(
            lang,
            format!("meeting rooms: {}", yes_no(lang, a.meeting_rooms)),
            format!("salas de reuniones: {}", yes_no(lang, a.meeting_rooms)),
        ),
        Topic::Pets => match a.pets {
            Pets::NotAllowed => say(lang, "pets are not allowed", "no se admiten mascotas"),
            Pets::Allowed {
                fee_per_night_cents,
            } => say(
                lang,
                format!("pets are welcome for {fee_per_night_cents} per night"),
                format!("se admiten mascotas por {fee_per_night_cents} por noche"),
            ),
        },
        Topic::Smoking => say(
            lang,
            if a.non_smoking {
                "all rooms are non-smoking"
            } else {
                "smoking rooms are available"
            },
            if a.non_smoking {
                "todas las habitaciones son para no fumadores"
            } else {
                "hay habitaciones para fumadores"
            },
        ),
        Topic::Age => say(
            lang,
            format!("the minimum check-in age is {}", a.min_check_in_age),
            format!(
                "la edad mínima para registrarse es {} años",
                a.min_check_in_age
            ),
        ),
        Topic::Wifi => say(
            lang,
            format!("free WiFi: {}", yes_no(lang, a.free_wifi)),
            format!("WiFi gratis: {}", yes_no(lang, a.free_wifi)),
        ),
        Topic::Times => say(
            lang,
            format!(
                "check-in from {}, check-out by {}",
                h.check_in.format("%H:%M"),
                h.check_out.format("%H:%M")
            ),
            format!(
                "entrada desde las {}, salida hasta las {}",
                h.check_in.format("%H:%M"),
                h.check_out.format("%H:%M")
            ),
        ),
        Topic::Location => say(
            lang,
            format!("in {}, {}", h.city, h.area),
            format!("en {}, {}", h.city, h.area),
        ),
        Topic::Prices => h
            .rooms
            .iter()
            .map(|r| {
                say(
                    lang,
                    format!("{} from {}/night", r.kind, r.base),
                    format!(
                        "{} desde {}/noche",
                        super::reply::room(lang, r.kind.name()),
                        r.base
                    ),
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!("{}: {fact}", h.name)
}

/// Whether a topic is something a hotel has or has not, so "which hotels have a spa" lists
/// those that do.
fn has(h: &Hotel, topic: Topic) -> Option<bool> {
    let a = &h.amenities;
    Some(match topic {
        Topic::Pool => a.pool,
        Topic::Spa => a.spa,
        Topic::Gym => a.gym,
        Topic::Restaurant => a.restaurant,
        Topic::Meetings => a.meeting_rooms,
        Topic::Wifi => a.free_wifi,
        Topic::Pets => !matches!(a.pets, Pets::NotAllowed),
        Topic::Shuttle => !matches!(a.airport_shuttle, Shuttle::None),
        Topic::Breakfast => matches!(a.breakfast, Breakfast::Included),
        Topic::Parking => !matches!(a.parking, Parking::None { .. }),
        _ => return None,
    })
}

/// "Which hotels …", "¿qué hoteles …?", "any hotel with …": a question across hotels.
fn across_hotels(folded: &str) -> bool {
    [
        "which hotel",
        "what hotel",
        "which of your hotels",
        "which of ur hotels",
        "which ones",
        "que hoteles",
        "cuales tienen",
        "any hotel",
        "any of your hotels",
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

/// "The cheapest suite", "la habitación más cara": the cheapest or dearest room among
/// `hotels`, of the room kind the message names if it names one.
fn superlative(lang: Language, hotels: &[&Hotel], folded: &str) -> Option<String> {
    let cheapest = [
        "cheapest",
        "cheaper",
        "least expensive",
        "lowest price",
        "most affordable",
        "budget option",
        "mas barat",
        "mas economic",
        "menos car",
    ]
    .iter()
    .any(|p| folded.contains(p));
    let dearest = [
        "priciest",
        "most expensive",
        "most luxurious",
        "mas car",
        "mas lujos",
    ]
    .iter()
    .any(|p| folded.contains(p));
    let biggest = [
        "biggest",
        "largest",
        "bigger",
        "mas grande",
        "mas amplia",
        "mas espaciosa",
    ]
    .iter()
    .any(|p| folded.contains(p));
    if biggest && !cheapest && !dearest {
        let (h, r) = hotels
            .iter()
            .flat_map(|h| h.rooms.iter().map(move |r| (*h, r)))
            .max_by_key(|(_, r)| (r.max_guests, std::cmp::Reverse(r.base)))?;
        return Some(say(
            lang,
            format!(
                "The biggest room is the {} at {}: up to {} guests, from {}/night.",
                r.kind, h.name, r.max_guests, r.base
            ),
            format!(
                "La habitación más grande es la {} de {}: hasta {} huéspedes, desde {}/noche.",
                super::reply::room(lang, r.kind.name()),
                h.name,
                r.max_guests,
                r.base
            ),
        ));
    }
    if !cheapest && !dearest {
        return None;
    }
    let kind = RoomKind::ALL.into_iter().find(|k| {
        let name = k.name().to_lowercase();
        folded.contains(&name)
            || (*k == RoomKind::Standard && folded.contains("estandar"))
            || (*k == RoomKind::Family && folded.contains("familiar"))
    });
    let rooms = hotels
        .iter()
        .flat_map(|h| h.rooms.iter().map(move |r| (*h, r)));
    let rooms = rooms.filter(|(_, r)| kind.is_none_or(|k| r.kind == k));
    let (h, r) = if cheapest {
        rooms.min_by_key(|(_, r)| r.base)?
    } else {
        rooms.max_by_key(|(_, r)| r.base)?
    };
    Some(say(
        lang,
        format!(
            "The {} room is the {} at {} ({}), from {}/night for up to {} guests.",
            if cheapest {
                "cheapest"
            } else {
                "most expensive"
            },
            r.kind,
            h.name,
            h.city,
            r.base,
            r.max_guests
        ),
        format!(
            "La habitación {} es la {} de {} ({}), desde {}/noche para hasta {} huéspedes.",
            if cheapest { "más barata" } else { "más cara" },
            super::reply::room(lang, r.kind.name()),
            h.name,
            h.city,
            r.base,
            r.max_guests
        ),
    ))
}

/// What a hotel is: name, stars, city and area, and its rooms with prices.
fn overview(lang: Language, h: &Hotel) -> String {
    let rooms: Vec<String> = h
        .rooms
        .iter()
        .map(|r| {
            say(
                lang,
                format!("{} from {}/night (up to {})", r.kind, r.base, r.max_guests),
                format!(
                    "{} desde {}/noche (hasta {})",
                    super::reply::room(lang, r.kind.name()),
                    r.base,
                    r.max_guests
                ),
            )
        })
        .collect();
    say(
        lang,
        format!(
            "{} is a {}-star hotel in {} ({}). Rooms: {}.",
            h.name,
            h.stars,
            h.city,
            h.area,
            rooms.join("; ")
        ),
        format!(
            "{} es un hotel de {} estrellas en {} ({}). Habitaciones: {}.",
            h.name,
            h.stars,
            h.city,
            h.area,
            rooms.join("; ")
        ),
    )
}

/// The answer to `message` about `hotel` (or every hotel), from catalog facts only.
pub fn answer_from_catalog(
    catalog: &Catalog,
    lang: Language,
    hotel: Option<&str>,
    message: &str,
) -> String {
    let folded = fold(message);
    let hotels: Vec<&Hotel> = match hotel.and_then(|code| catalog.hotel(code).ok()) {
        Some(h) => vec![h],
        None => catalog.hotels().iter().collect(),
    };
    if let Some(answer) = superlative(lang, &hotels, &folded) {
        return answer;
    }
    let topics = topics(message);
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
    if topics.is_empty() {
        return say(
            lang,
            "I'm sorry, I don't have that information. I can tell you about amenities, prices, check-in times, parking, pets and more, or help you book.",
            "Lo siento, no tengo esa información. Puedo informarle sobre servicios, precios, horarios de entrada, aparcamiento, mascotas y más, o ayudarle a reservar.",
        );
    }
    let across = hotels.len() > 1 && across_hotels(&folded);
    let lines: Vec<String> = topics
        .iter()
        .flat_map(|t| {
            let hotels = hotels.clone();
            hotels
                .into_iter()
                .filter(move |h| !across || has(h, *t) != Some(false))
                .map(move |h| fact(lang, h, *t))
        })
        .collect();
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
    let across = across_hotels(&fold(&s.message));
    let hotel = asked.or_else(|| {
        (!across)
            .then(|| s.focus.clone().or_else(|| s.slots.hotel.clone()))
            .flatten()
    });
    let mut reply = answer_from_catalog(&agent.catalog, lang, hotel.as_deref(), &s.message);
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
