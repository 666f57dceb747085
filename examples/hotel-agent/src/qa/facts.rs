//! The catalog's facts, worded: one fact per topic and hotel, the cheapest, dearest or
//! biggest room, and what a hotel is.

use agent_nodes::nlu::Language;
use hotel::{Breakfast, Hotel, Parking, Pets, RoomKind, Shuttle};

use super::topics::Topic;
use crate::reply::say;

fn yes_no(lang: Language, yes: bool) -> String {
    say(
        lang,
        if yes { "yes" } else { "no" },
        if yes { "sí" } else { "no" },
    )
}

/// The catalog's fact about `topic` at `h`.
pub(super) fn fact(lang: Language, h: &Hotel, topic: Topic) -> String {
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
        // The same at every hotel: said once, without a hotel's name.
        Topic::Season => return season(lang),
        Topic::Hold => return hold(lang),
        Topic::Counts => return counts(lang),
        Topic::Changes => return changes(lang),
        Topic::Prices => h
            .rooms
            .iter()
            .map(|r| {
                say(
                    lang,
                    format!("{} from {}/night", r.kind, r.base),
                    format!(
                        "{} desde {}/noche",
                        crate::reply::room(lang, r.kind.name()),
                        r.base
                    ),
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!("{}: {fact}", h.name)
}

/// Why a room cannot be kept without booking it, and why booking it costs nothing to undo.
pub(super) fn hold(lang: Language) -> String {
    say(
        lang,
        "I can't hold a room without booking it, but a booking can be cancelled free of charge up to 2 days before check-in.",
        "No puedo guardar una habitación sin reservarla, pero una reserva se puede cancelar gratis hasta 2 días antes de la llegada.",
    )
}

/// What changing or cancelling a booking costs, the same at every hotel.
pub(super) fn changes(lang: Language) -> String {
    say(
        lang,
        "Changes and cancellations are free up to 2 days before check-in. After that, moving a booking costs a change fee (set by the hotel's stars, doubled on the check-in day, and 20% more when the new dates are in peak season), and cancelling costs the first night. A cancelled booking, or one whose check-in date has passed, can't be changed.",
        "Los cambios y las cancelaciones son gratis hasta 2 días antes de la llegada. Después, cambiar una reserva tiene un cargo (según las estrellas del hotel, el doble el mismo día de llegada y un 20% más si las nuevas fechas son de temporada alta) y cancelarla cuesta la primera noche. Una reserva cancelada, o cuya fecha de llegada ya pasó, no se puede cambiar.",
    )
}

/// Who counts as a guest, the same at every hotel.
pub(super) fn counts(lang: Language) -> String {
    say(
        lang,
        "Everyone who stays counts as a guest, babies and children included, and a room holds up to its maximum number of guests.",
        "Todas las personas que se alojan cuentan como huéspedes, también los bebés y los niños, y cada habitación admite hasta su número máximo de huéspedes.",
    )
}

/// How every hotel prices a stay, for "why is christmas more expensive?".
pub(super) fn season(lang: Language) -> String {
    say(
        lang,
        "Prices are per night: nights from Dec 20 to Jan 5 and from Jul 1 to Aug 31 are peak season (+20%), and Friday and Saturday nights cost 10% more (both together, +32%).",
        "Los precios son por noche: las noches del 20 de diciembre al 5 de enero y del 1 de julio al 31 de agosto son temporada alta (+20%), y las de viernes y sábado cuestan un 10% más (las dos cosas juntas, +32%).",
    )
}

/// Whether a topic is something a hotel has or has not, so "which hotels have a spa" lists
/// those that do.
pub(super) fn has(h: &Hotel, topic: Topic) -> Option<bool> {
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

/// Whether a hotel offers `topic` at no charge, for "which hotel has a free shuttle"; `None`
/// for a topic that has no price.
fn free(h: &Hotel, topic: Topic) -> Option<bool> {
    let a = &h.amenities;
    Some(match topic {
        Topic::Shuttle => matches!(a.airport_shuttle, Shuttle::Free24h),
        Topic::Parking => matches!(a.parking, Parking::Free),
        Topic::Pets => {
            matches!(a.pets, Pets::Allowed { fee_per_night_cents } if fee_per_night_cents == Default::default())
        }
        Topic::Breakfast => matches!(a.breakfast, Breakfast::Included),
        _ => return None,
    })
}

/// Whether a hotel has `topic`, and at no charge when the question asks for it free.
pub(super) fn offers(h: &Hotel, topic: Topic, free_asked: bool) -> Option<bool> {
    match free(h, topic) {
        Some(free) if free_asked => Some(free),
        _ => has(h, topic),
    }
}

/// Whether `folded` asks for something free ("a free shuttle", "parking gratis"), not whether
/// it is ("which have a shuttle and is it free", "¿el parking es gratis?").
pub(super) fn asks_free(folded: &str) -> bool {
    static FREE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"\b(?:free|complimentary)\s+(?:\w+\s+)?(?:shuttle|parking|breakfast|pets?|transfer|pick\s*up|valet)\b|\b(?:shuttle|parking|breakfast|desayuno|traslado|aparcamiento|estacionamiento|parqueadero|mascotas?)\s+(?:(?:al\s+aeropuerto|incluido)\s+)?(?:gratis|gratuit[oa]s?|sin\s+costo|sin\s+cargo)\b",
        )
        .unwrap_or_else(|e| panic!("free rule: {e}"))
    });
    FREE.is_match(folded)
}

/// Whether `folded` asks for the cheapest, the dearest or the biggest room, in that order.
pub(super) fn superlatives(folded: &str) -> [bool; 3] {
    const CHEAPEST: &[&str] = &[
        "cheapest",
        "cheaper",
        "least expensive",
        "lowest price",
        "most affordable",
        "budget option",
        "mas barat",
        "mas economic",
        "menos car",
    ];
    const DEAREST: &[&str] = &[
        "priciest",
        "most expensive",
        "most luxurious",
        "fanciest",
        "nicest",
        "best room",
        "la mejor habitacion",
        "mas elegante",
        "mas car",
        "mas lujos",
    ];
    const BIGGEST: &[&str] = &[
        "biggest",
        "largest",
        "bigger",
        "mas grande",
        "mas amplia",
        "mas espaciosa",
    ];
    // "So jan is cheaper": said of something, not asked for ("which is cheaper?" asks).
    let question = folded.contains('?')
        || crate::text::words(folded)
            .iter()
            .any(|w| matches!(*w, "which" | "cual" | "cuales"));
    let asked = |w: &&str| {
        folded.match_indices(*w).any(|(at, _)| {
            let before = folded[..at].split_whitespace().next_back().unwrap_or("");
            question || !matches!(before, "is" | "its" | "es" | "sale" | "are" | "was" | "son")
        })
    };
    [CHEAPEST, DEAREST, BIGGEST].map(|words| words.iter().any(asked))
}

/// "The cheapest suite", "la habitación más cara": the cheapest or dearest room among
/// `hotels`, of the room kind the message names if it names one.
pub(super) fn superlative(lang: Language, hotels: &[&Hotel], folded: &str) -> Option<String> {
    let [cheapest, dearest, biggest] = superlatives(folded);
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
                crate::reply::room(lang, r.kind.name()),
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
            crate::reply::room(lang, r.kind.name()),
            h.name,
            h.city,
            r.base,
            r.max_guests
        ),
    ))
}

/// What a hotel is: name, stars, city and area, and its rooms with prices.
pub(super) fn overview(lang: Language, h: &Hotel) -> String {
    let rooms: Vec<String> = h
        .rooms
        .iter()
        .map(|r| {
            say(
                lang,
                format!("{} from {}/night (up to {})", r.kind, r.base, r.max_guests),
                format!(
                    "{} desde {}/noche (hasta {})",
                    crate::reply::room(lang, r.kind.name()),
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

/// Places guests ask to be near, and the words of a hotel's area that place it there.
const NEAR: &[(&[&str], &[&str])] = &[
    (
        &["beach", "playa", "ocean", "oceano", "sea", "mar"],
        &["oceanfront", "beach"],
    ),
    (&["airport", "aeropuerto", "dfw"], &["airport"]),
    // Before "centro": "el centro de convenciones" is the convention center.
    (
        &["convention", "convenciones", "congresos"],
        &["convention"],
    ),
    (&["downtown", "centro"], &["downtown", "business district"]),
    (
        &[
            "mountain",
            "mountains",
            "montana",
            "montanas",
            "ski",
            "snow",
            "nieve",
            "hiking",
        ],
        &["mountain"],
    ),
    (
        &["french", "quarter", "frances", "historic", "historico"],
        &["french quarter", "historic"],
    ),
];

/// "Which hotel is closest to the beach?", "¿cuál está más cerca del aeropuerto?": the hotels
/// whose area is by that place, with where they are; `None` when the message asks no such
/// thing or names a place no area mentions.
pub(super) fn nearest(lang: Language, hotels: &[&Hotel], folded: &str) -> Option<String> {
    let words: Vec<&str> = crate::text::words(folded);
    let asks_near = [
        "closest", "nearest", "near", "close", "cerca", "cercano", "cercana",
    ]
    .iter()
    .any(|w| words.contains(w));
    if !asks_near {
        return None;
    }
    let (_, area_words) = NEAR
        .iter()
        .find(|(place, _)| place.iter().any(|p| words.contains(p)))?;
    let by: Vec<String> = hotels
        .iter()
        .filter(|h| {
            let area = h.area.to_lowercase();
            area_words.iter().any(|a| area.contains(a))
        })
        .map(|h| fact(lang, h, Topic::Location))
        .collect();
    (!by.is_empty()).then(|| by.join("\n"))
}
