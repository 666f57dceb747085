//! What a question is about: the catalog topics it names, read from cue words in English and
//! Spanish.

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
    // "Check in antes de la 1?", "check in before 11am": a number that is an hour.
    let hour = [
        "antes de la",
        "antes de las",
        "despues de la",
        "despues de las",
        "a la 1",
        "a las",
        "before",
        "after",
        "earlier than",
        "later than",
    ]
    .iter()
    .any(|c| text.contains(c))
        || words.iter().any(|w| {
            ["am", "pm"].iter().any(|m| {
                w.strip_suffix(m)
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            })
        });
    // ("Check out tuesday instead of monday" is a date too.)
    let weekday = words.iter().any(|w| {
        matches!(
            *w,
            "monday"
                | "tuesday"
                | "wednesday"
                | "thursday"
                | "friday"
                | "saturday"
                | "sunday"
                | "lunes"
                | "martes"
                | "miercoles"
                | "jueves"
                | "viernes"
                | "sabado"
                | "domingo"
        )
    });
    let dated = !hour && (weekday || words.iter().any(|w| w.bytes().any(|b| b.is_ascii_digit())));
    // "whats check in time there" asks without a question mark.
    let asked = text.contains('?')
        || ["whats", "what", "when", "hora", "time", "horario"]
            .iter()
            .any(|w| words.contains(w));
    // "What time is checkout on the 18th": the time asked outright, whatever day is beside it.
    let outright = ["what time", "a que hora", "que hora", "at what time"]
        .iter()
        .any(|c| text.contains(c));
    named && asked && (!dated || outright)
}

/// "Why is christmas more expensive?", "x q navidad es mas caro?", "is that peak season?":
/// a question about how stays are priced, not about one room's price.
fn asks_season(text: &str, words: &[&str]) -> bool {
    let season = [
        "peak",
        "temporada",
        "high season",
        "low season",
        "off season",
    ]
    .iter()
    .any(|c| text.contains(c));
    let why = [
        "why", "how come", "por que", "porque", "por q", "x q", "xq", "pq",
    ]
    .iter()
    .any(|c| words.contains(c) || (c.contains(' ') && text.contains(c)));
    let dearer = [
        "expensive",
        "pricier",
        "more",
        "higher",
        "caro",
        "cara",
        "mas",
        "subio",
        "sube",
    ]
    .iter()
    .any(|c| words.contains(c));
    season || (why && dearer)
}

static AGED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"\b(?:tiene|tengo|tienen|tenemos|cumple|cumplo)\s+[0-9]{1,2}\s+anos\b|\b(?:son|daughter|kid|he|she|hijo|hija)\s+(?:is|s|es|tiene)\s+(?:only\s+|just\s+|solo\s+)?[0-9]{1,2}\b|\b[0-9]{1,2}\s*(?:years?|yrs?)\s*old\b|\b(?:menor|mayor)\s+de\s+edad\b|\bminimum\s+age\b|\bedad\s+minima\b",
    )
    .unwrap_or_else(|e| panic!("age rule: {e}"))
});

/// "Can you hold it till friday?", "¿me la puedes guardar?", "apártamela": to keep a room
/// without booking it. "Hold on" is a pause, not this.
fn asks_hold(text: &str, words: &[&str]) -> bool {
    // ("Hold it, make that dec 5 to 7" and "hold that thought" are a pause: "hold it" counts
    // only asked of the agent or with how long.)
    const HOLD: &[&str] = &[
        "you hold it",
        "u hold it",
        "hold it for",
        "hold it till",
        "hold it until",
        "hold it til",
        "hold the room",
        "hold a room",
        "hold onto it",
        "hold the reservation",
        "hold the booking",
        "hold the price",
        "put it on hold",
        "put a hold",
        "keep it for me",
        "save it for me",
        "reserve it without paying",
        "book it without paying",
    ];
    // ("¿Guardas las maletas?" keeps luggage: the room is "la" or named.)
    const GUARDAR: &[&str] = &[
        "guardarla",
        "guardarmela",
        "guardarnosla",
        "guardamela",
        "apartarla",
        "apartarmela",
        "apartamela",
        "bloquearla",
        "bloquearmela",
        "prereserva",
        "pre-reserva",
    ];
    const GUARDAR_PHRASES: &[&str] = &[
        "la puedes guardar",
        "la pueden guardar",
        "la podes guardar",
        "la podrias guardar",
        "me la guardas",
        "me la guardan",
        "guardar la habitacion",
        "guardarme la habitacion",
        "me la apartas",
        "apartar la habitacion",
    ];
    HOLD.iter().any(|p| text.contains(p))
        || GUARDAR_PHRASES.iter().any(|p| text.contains(p))
        || GUARDAR.iter().any(|w| words.contains(w))
}

/// "Does the baby count?", "el bebé en la cuna no cuenta, no?", "are kids free?": whether a
/// child counts as a guest.
fn asks_counts(words: &[&str]) -> bool {
    let child = words.iter().any(|w| {
        matches!(
            *w,
            "baby"
                | "babies"
                | "infant"
                | "infants"
                | "toddler"
                | "kid"
                | "kids"
                | "child"
                | "children"
                | "bebe"
                | "bebes"
                | "nino"
                | "ninos"
                | "nina"
                | "ninas"
                | "nene"
                | "nena"
                | "crio"
                | "crios"
        )
    });
    let counts = words.iter().any(|w| {
        matches!(
            *w,
            "count" | "counts" | "counted" | "cuenta" | "cuentan" | "contar" | "cuentas"
        )
    });
    child && counts
}

/// "Can I cancel for free?", "what's your cancellation policy", "¿cuánto me cobran por
/// cancelar?", "is there a change fee": what changing or cancelling a booking costs.
fn asks_changes(text: &str) -> bool {
    [
        "cancellation policy",
        "cancel policy",
        "cancelation policy",
        "politica de cancelacion",
        "politica de cambios",
        "cancel for free",
        "free cancellation",
        "free to cancel",
        "cancelar gratis",
        "cancelacion gratuita",
        "cancelacion gratis",
        "refund",
        "reembolso",
        "cobran por cancelar",
        "cobran si cancel",
        "cobra por cancelar",
        "charge to cancel",
        "charge for cancel",
        "charge if i cancel",
        "charge if we cancel",
        "fee to cancel",
        "cost to cancel",
        "cancellation fee",
        "change fee",
        "fee to change",
        "cargo por cambio",
        "cargo por cancel",
        "penalidad",
        "penalizacion",
    ]
    .iter()
    .any(|c| text.contains(c))
}

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
                    words.contains(cue)
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
