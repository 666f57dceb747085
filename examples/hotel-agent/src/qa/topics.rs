//! What a question is about: the catalog topics it names, read from cue words in English and
//! Spanish.

use super::cued::{asks_changes, asks_counts, asks_hold, asks_season, asks_times};

/// A topic the catalog has facts about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Topic {
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
    /// Why a stay costs what it does: peak season and weekend nights.
    Season,
    /// "Can you hold it till Friday?": a room is kept only by booking it.
    Hold,
    /// "Does the baby count?": who counts as a guest.
    Counts,
    /// "Can I cancel for free?", "¿cuánto me cobran si cancelo?": changes and cancellations.
    Changes,
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
            "valet",
            "car",
            "aparcamiento",
            "estacionamiento",
            "parqueadero",
            "coche",
            "carro",
            "garage",
            "garaje",
            "cochera",
            "aparcar",
            "estacionar",
            "estacionarse",
            "parquear",
            "parqueo",
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
        // Rooms for meetings, not a meeting of the guest's ("my meeting got pushed", "the
        // conference in Orlando got cut").
        &[
            "meeting room",
            "meeting rooms",
            "meeting space",
            "meeting spaces",
            "conference room",
            "conference rooms",
            "conference facilities",
            "hold a meeting",
            "for meetings",
            "business center",
            "sala de reuniones",
            "salas de reuniones",
            "sala de juntas",
            "salas de juntas",
            "salon de reuniones",
            "para reuniones",
            "sala de conferencias",
        ],
    ),
    (
        Topic::Pets,
        &[
            "terrier",
            "schnauzer",
            "beagle",
            "poodle",
            "chihuahua",
            "labrador",
            "retriever",
            "perrito",
            "perrita",
            "pet",
            "pets",
            "dog",
            "dogs",
            "cat",
            "cats",
            "puppy",
            "pup",
            "pups",
            "lab",
            "doggo",
            "doggy",
            "kitty",
            "gatito",
            "gatita",
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
    (
        Topic::Age,
        &[
            "age",
            "old",
            "edad",
            // "Can my son check in on his own?"
            "check in on his own",
            "check in on her own",
            "check in by himself",
            "check in by herself",
            "check in alone",
            // "¿Mi hija puede hacer el check-in?"
            "puede hacer el check",
            "pueda hacer el check",
            "puede hacer el checkin",
        ],
    ),
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
            "check in early",
            "check-in early",
            "checkin early",
            "check out late",
            "check-out late",
            "checkout late",
            "entrar temprano",
            "entrar antes",
            "salir mas tarde",
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

/// What a message asks the catalog about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Asks {
    /// Something the catalog knows, prices aside, or the cheapest, dearest or biggest room.
    pub(crate) topic: bool,
    /// Prices.
    pub(crate) price: bool,
    /// To keep a room without booking it ("can you hold it till friday?", "¿me la guardas?"):
    /// its dates are how long, not a stay.
    pub(crate) hold: bool,
}

/// What the `folded` message asks the catalog about, read in one pass.
pub(crate) fn asks(folded: &str) -> Asks {
    let topics = topics(folded);
    Asks {
        // What a change costs is answered only when nothing else takes the message: "how much
        // if I cancel my Chicago booking?" is a cancellation to quote.
        topic: topics
            .iter()
            .any(|t| !matches!(t, Topic::Prices | Topic::Changes))
            || asks_superlative(folded),
        price: topics.contains(&Topic::Prices),
        hold: topics.contains(&Topic::Hold),
    }
}

/// Whether `folded` asks for the cheapest, dearest or biggest room ("la suite más barata").
fn asks_superlative(folded: &str) -> bool {
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

/// A guest's age said ("my son is 17", "tengo 20 años"), or the minimum age asked after.
static AGED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"\b(?:tiene|tengo|tienen|tenemos|cumple|cumplo)\s+[0-9]{1,2}\s+anos\b|\b(?:son|daughter|kid|he|she|hijo|hija)\s+(?:is|s|es|tiene)\s+(?:only\s+|just\s+|solo\s+)?[0-9]{1,2}\b|\b[0-9]{1,2}\s*(?:years?|yrs?)\s*old\b|\b(?:menor|mayor)\s+de\s+edad\b|\bminimum\s+age\b|\bedad\s+minima\b",
    )
    .unwrap_or_else(|e| panic!("age rule: {e}"))
});

/// The topics the `folded` message asks about, each once, in the catalog's order.
pub(super) fn topics(text: &str) -> Vec<Topic> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let times = asks_times(text, &words);
    let season = asks_season(text, &words);
    let hold = asks_hold(text, &words);
    // "Mi esposa tiene 20 años, ¿hay algún problema?", "he's 19 years old": an age.
    let aged = AGED.is_match(text);
    let counts = asks_counts(&words);
    let changes = asks_changes(text);
    CUES.iter()
        .filter(|(_, cues)| {
            cues.iter().any(|cue| {
                if cue.contains(' ') {
                    text.contains(cue)
                } else {
                    // "Parking's free there right?" folds to "parkings".
                    words
                        .iter()
                        .any(|w| w == cue || w.strip_suffix('s') == Some(*cue))
                }
            })
        })
        .map(|(t, _)| *t)
        .chain(times.then_some(Topic::Times))
        .chain(season.then_some(Topic::Season))
        .chain(hold.then_some(Topic::Hold))
        .chain(aged.then_some(Topic::Age))
        .chain(counts.then_some(Topic::Counts))
        .chain(changes.then_some(Topic::Changes))
        .fold(Vec::new(), |mut all, t| {
            if !all.contains(&t) {
                all.push(t);
            }
            all
        })
}
