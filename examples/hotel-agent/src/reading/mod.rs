//! [`Reading`]: what the policy needs from one message beyond the NLU's [`Understanding`] —
//! whether it asks a question, says "same dates", moves a stay by an offset ("push it back a
//! week"), names only a vague period ("sometime in January"), or starts a new request. Plain
//! functions of the text, so they hold whichever understander (offline or a model) read it.

use std::sync::LazyLock;

use agent_nodes::nlu::{Entities, Intent, Understanding};
use regex::Regex;

use crate::text::{fold, words};

mod dates;
mod options;
mod party;
mod turns;

pub use options::{DateOption, date_options};
use party::joins;
pub(crate) use turns::{follows_up, weighs};

use dates::{
    HAS_DAY, KEEPS_DEPARTURE, LEAVING, RELATIVE, VAGUE, extra_nights, kept_months, month_switch,
    months, range_end, shift_days, weekday, year_switch,
};

pub use dates::YearSwitch;
pub(crate) use dates::{acted_on, names_holiday};

/// The weekday a word names ("monday", "lunes", "fri").
pub fn weekday_word(word: &str) -> Option<chrono::Weekday> {
    weekday(word)
}

/// One message as the policy sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The message as the guest wrote it.
    pub message: String,
    /// What the understander made of it.
    pub intent: Intent,
    /// Its slots.
    pub entities: Entities,
    /// Anger, a threat, a safety issue: a person should look.
    pub attention: bool,
    /// It asks something (a question mark, or a question word first).
    pub question: bool,
    /// It asks about something the catalog knows (breakfast, parking, …) beyond prices, which
    /// a quote answers.
    pub topic: bool,
    /// It asks what something costs.
    pub price: bool,
    /// It asks across the hotels ("which of your hotels …", "¿en qué hotel …?").
    pub across: bool,
    /// It weighs options against each other: "Austin or Dallas?", "at each one", "standard
    /// vs family", "¿cuánto costaría cada una?".
    pub weighs: bool,
    /// It asks what, which, when or where ("what dates is that?", "¿cuál era mi número?").
    pub asks_what: bool,
    /// How sure the understander is of the intent, from 0 to 1.
    pub confidence: f32,
    /// "Same dates", "mismas fechas".
    pub same_dates: bool,
    /// "A new booking", "another room", "start over".
    pub fresh_start: bool,
    /// "The same again", "lo mismo": the previous request, with whatever the message changes.
    pub same_request: bool,
    /// "Same people", "misma gente": the previous request's party.
    pub same_people: bool,
    /// "Same room", "la misma habitación": the previous request's room type.
    pub same_room: bool,
    /// "And at the Grand Plaza?", "¿y en el de Chicago?": a short message that asks the last
    /// question again of something else.
    pub follow_up: bool,
    /// "And a standard for my husband", "y otra para mis papás", "a room for my sister too":
    /// one more like the last request, so the same stay unless the message gives dates.
    pub adds: bool,
    /// "For them", "para mis padres": the request is for other people than the last one.
    pub other_party: bool,
    /// "Your biggest room", "la más grande": the largest room of the hotel.
    pub biggest: bool,
    /// "La más barata", "the cheapest one": the cheapest room of the hotel.
    pub cheapest: bool,
    /// A weekday named ("until Monday"), placed after the request's arrival.
    pub weekday: Option<chrono::Weekday>,
    /// The end of a weekday range ("the 18th, mon to fri", "el 19, de viernes a domingo"):
    /// the departure, the first such day after the arrival.
    pub range_end: Option<chrono::Weekday>,
    /// A number on its own ("5 then", "bueno pues 3"): the answer to "how many guests?".
    pub bare_number: Option<u32>,
    /// Text written to steer the agent ("admin mode", "ignore your instructions", "set the
    /// price to $1"): it changes nothing, whatever else it says.
    pub injection: bool,
    /// "I meant January, not December": a month named without a day, to move the request's
    /// dates to.
    pub month_switch: Option<u32>,
    /// "I meant next year, 2027": a year named without a day, to move the request's dates to.
    pub year_switch: Option<YearSwitch>,
    /// Days to move an existing stay by ("a week later" is 7, "two days earlier" is -2).
    pub shift_days: Option<i64>,
    /// Nights added to or taken from a stay ("add a night" is 1, "una noche menos" is -1).
    pub extra_nights: Option<i64>,
    /// It is about leaving ("leaving the 11th", "nos vamos un día antes"): a single date or an
    /// offset moves the departure only.
    pub leaving: bool,
    /// "A day later, checkout stays the same": an offset moves the arrival only.
    pub keeps_departure: bool,
    /// Only a vague period ("next week", "sometime in January", "en primavera"): ask, never
    /// guess.
    pub vague_dates: bool,
    /// Month numbers named in the message ("the one in december").
    pub months: Vec<u32>,
    /// People joining the party named ("her sister's coming too", "se suma mi mamá"): how
    /// many more.
    pub joins: Option<u32>,
    /// Months of bookings the message keeps as they are ("la de diciembre se queda", "keep
    /// the march one"): they name the booking not meant.
    pub kept_months: Vec<u32>,
    /// Its dates are days of the month alone ("del 12 al 15", "the 4th"): during a request
    /// they mean that request's month, not the next such day from today.
    pub day_only: bool,
    /// Stays offered as choices ("dec 18-21 vs jan 8-11"), read by [`date_options`]; empty
    /// until the caller reads them.
    pub date_options: Vec<DateOption>,
}

impl Reading {
    /// Reads `message` with what the understander said of it.
    pub fn new(message: &str, u: &Understanding) -> Reading {
        let folded = fold(message);
        let w = words(&folded);
        let question = message.contains('?')
            || message.contains('¿')
            || w.first().is_some_and(|f| QUESTION_WORDS.contains(f));
        let vague_dates = VAGUE.is_match(&folded) && !HAS_DAY.is_match(&folded);
        let months = months(&w);
        let day_only = months.is_empty()
            && HAS_DAY.is_match(&folded)
            && !RELATIVE.is_match(&folded)
            && !folded.contains('/');
        let mut entities = u.entities.clone();
        if vague_dates {
            // "some weekend in January" is no particular weekend.
            (entities.check_in, entities.check_out, entities.nights) = (None, None, None);
        }
        let asks = crate::qa::asks(&folded);
        if asks.hold {
            // "Can you hold it till friday?": friday is how long, not the stay's end.
            (entities.check_in, entities.check_out, entities.nights) = (None, None, None);
        }
        Reading {
            message: message.to_owned(),
            intent: u.intent,
            entities,
            attention: u.sentiment.requires_attention,
            question,
            topic: asks.topic,
            price: asks.price,
            across: crate::qa::across_hotels(&folded),
            weighs: weighs(&folded),
            asks_what: ASKS_WHAT.is_match(&message.to_lowercase()),
            confidence: u.confidence,
            same_dates: SAME_DATES.is_match(&folded),
            // "El último día", "la otra vez" are a day and a time, not "the last one".
            same_request: SAME_REQUEST.find_iter(&folded).any(|m| {
                let next = words(&folded[m.end()..]).first().copied().unwrap_or("");
                !matches!(
                    next,
                    "dia" | "dias" | "day" | "noche" | "night" | "vez" | "time"
                )
            }),
            same_people: SAME_PEOPLE.is_match(&folded),
            same_room: SAME_ROOM.is_match(&folded),
            adds: ADDS.is_match(folded.trim()),
            follow_up: follows_up(&folded),
            other_party: OTHER_PARTY.is_match(&folded),
            biggest: BIGGEST.is_match(&folded),
            cheapest: CHEAPEST.is_match(&folded),
            weekday: w.iter().find_map(|word| weekday(word)),
            range_end: range_end(&folded),
            bare_number: bare_number(&folded, &u.entities),
            injection: INJECTION.is_match(&folded),
            month_switch: month_switch(&folded, &w),
            year_switch: year_switch(&folded),
            // "I have a reservation, can I move it?" names the booking there is.
            fresh_start: FRESH.find_iter(&folded).any(|m| {
                let before = folded[..m.start()].trim_end();
                !["have", "got", "made", "tengo", "tenemos", "hice", "hicimos"]
                    .iter()
                    .any(|w| before.ends_with(w))
            }),
            shift_days: shift_days(&folded),
            extra_nights: extra_nights(&folded),
            leaving: LEAVING.is_match(&folded) && !KEEPS_DEPARTURE.is_match(&folded),
            keeps_departure: KEEPS_DEPARTURE.is_match(&folded),
            vague_dates,
            kept_months: kept_months(&folded),
            joins: joins(&folded),
            months,
            day_only,
            date_options: Vec::new(),
        }
    }

    /// Whether it says anything a booking needs.
    pub fn has_stay_details(&self) -> bool {
        let e = &self.entities;
        e.hotel.is_some()
            || e.city.is_some()
            || e.room_type.is_some()
            || e.check_in.is_some()
            || e.check_out.is_some()
            || e.nights.is_some()
            || e.adults.is_some()
            || e.children.is_some()
    }

    /// Whether it changes the request: any detail but a hotel, or a hotel named without a
    /// question about it ("is there a shuttle at the airport hotel?" asks; "the airport hotel
    /// then" and "miami?" change it).
    pub fn amends(&self) -> bool {
        let e = &self.entities;
        let besides_hotel = self.names_more_than_a_place();
        // "Miami?" or "qué tienen en colorado?" asks to go there; "is there a pool at the
        // Seaside?" asks about it.
        besides_hotel
            || self.extra_nights.is_some()
            || self.shift_days.is_some()
            || self.month_switch.is_some()
            || self.year_switch.is_some()
            || ((e.hotel.is_some() || e.city.is_some())
                && !self.topic
                && !self.price
                && !self.asks_about_a_feature())
    }

    /// "Is there a casino at the Grand Plaza?", "¿tiene gimnasio el hotel?": a yes/no question
    /// about the hotel, even when the catalog has no answer to it.
    fn asks_about_a_feature(&self) -> bool {
        let folded = fold(&self.message);
        let w = words(&folded);
        self.question
            && w.first().is_some_and(|f| {
                matches!(
                    *f,
                    "is" | "are"
                        | "does"
                        | "do"
                        | "can"
                        | "hay"
                        | "tiene"
                        | "tienen"
                        | "puedo"
                        | "se"
                        | "aceptan"
                        | "admiten"
                        | "any"
                )
            })
    }

    /// Whether it gives any detail of a stay besides a hotel or city: a room, dates, people.
    pub fn names_more_than_a_place(&self) -> bool {
        let e = &self.entities;
        e.room_type.is_some() || self.has_dates() || e.adults.is_some() || e.children.is_some()
    }

    /// The month of a holiday named ("right after xmas" is December, "después de año nuevo"
    /// January), for days given alone afterwards.
    pub fn holiday_month(&self) -> Option<u32> {
        let folded = fold(&self.message);
        let w = words(&folded);
        let has = |phrase: &str| crate::text::has_phrase(&w, phrase);
        if has("new years eve") || has("new year eve") {
            return Some(12);
        }
        if has("ano nuevo") || has("new year") || has("new years") {
            return Some(1);
        }
        let december = [
            "christmas",
            "xmas",
            "navidad",
            "navidades",
            "nochebuena",
            "nochevieja",
            "nye",
        ];
        w.iter().any(|x| december.contains(x)).then_some(12)
    }

    /// Whether it gives dates (or a length of stay).
    pub fn has_dates(&self) -> bool {
        let e = &self.entities;
        e.check_in.is_some() || e.check_out.is_some() || e.nights.is_some()
    }
}

const QUESTION_WORDS: &[&str] = &[
    "what", "whats", "which", "how", "where", "when", "is", "are", "do", "does", "can", "could",
    "que", "cual", "cuales", "como", "donde", "cuando", "cuanto", "cuanta", "hay", "tienen",
    "aceptan", "admiten", "puedo", "podemos", "incluye", "any",
];

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("reading rule {pattern}: {e}"))
}

static SAME_ROOM: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:same\s+(?:kind\s+of\s+|type\s+of\s+)?room(?:\s+type)?|misma\s+habitacion|mismo\s+(?:tipo\s+de\s+habitacion|cuarto|tipo\s+de\s+cuarto)|misma\s+pieza)\b",
    )
});

static SAME_DATES: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:same\s+(?:dates?|days?|nights?|stay|week|weekend)|mism[oa]s?\s+(?:fechas?|dias|noches|semana|finde)|las\s+mismas|those\s+dates|esas\s+fechas)\b",
    )
});

static ASKS_WHAT: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\b(?:what|whats|which|when|where)\b|qué|cuál|cuáles|cuándo|dónde"));

static BIGGEST: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:biggest|largest)\s+(?:room|one)|(?:la|el)\s+mas\s+grande|habitacion\s+mas\s+grande",
    )
});

static CHEAPEST: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:cheapest|least\s+expensive|the\s+cheaper(?:\s+one|\s+room)?\b)|(?:la|el|lo|opcion|habitacion|cuarto|hotel|sale|salga|sale\s+un\s+poco|cuesta|es)\s+mas\s+(?:barat[oa]|economic[oa])|\bcual\s+(?:de\s+(?:esos|esas|ellos|ellas|los\s+\w+|las\s+\w+)\s+)?(?:es|sale|me\s+sale|cuesta|me\s+cuesta)\s+(?:mas\s+)?(?:barat[oa]|economic[oa])",
    )
});

static SAME_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:the\s+same\s+(?:again|thing|room|for|but)|same\s+(?:again|thing|room)|same\s+as\s+before|(?:the\s+)?(?:next|last|third|second)\s+one|(?:la|el)\s+(?:siguiente|otra|otro|ultima|ultimo|tercera|segunda)|lo\s+mismo|la\s+misma\s+(?:habitacion|para|pero)|otra\s+igual\w*|igual\s+que\s+(?:antes|la\s+otra)|(?:book|reserve|take)\s+that\s+(?:one|room|deluxe|standard|suite|family)|(?:reserva|reservame|reservala)\s+(?:esa|ese)(?:\s+(?:misma|mismo|habitacion|deluxe|suite|estandar|familiar))?)\b",
    )
});

static ADDS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"^(?:and|also|plus|y|tambien|ademas|ahora)\b|\b(?:another\s+(?:room|one)|one\s+more\s+room|otra\s+(?:habitacion|igual\w*|mas)|una\s+mas|tambien)\b|\b(?:too|as\s+well)\W*$",
    )
});

static SAME_PEOPLE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:same\s+(?:people|guests|group|party|number)|misma\s+gente|mismas\s+personas|mismo\s+grupo|los\s+mismos)\b",
    )
});

static OTHER_PARTY: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:them|they|their|ellos|ellas|les|para\s+(?:mis|mi|su|sus)\s+\w+|for\s+(?:my|our|his|her)\s+\w+|my\s+(?:parents|mom|mum|dad|sister|brother|daughter|son|friends?|in-laws|kids)|mis\s+(?:padres|suegros|hijos|amigos|amigas|hermanos)|mi\s+(?:madre|padre|hermana|hermano|suegra|suegro|hija|hijo))\b",
    )
});

static FRESH: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:(?:a|one\s+more|another)\s+(?:new\s+|separate\s+|second\s+)?(?:booking|reservation|room)|(?:new|separate|second)\s+(?:booking|reservation)|start\s+over|otra\s+(?:reserva|habitacion)|(?:nueva|segunda)\s+reserva|reserva\s+(?:aparte|separada|nueva)|sumar\s+otra|empezar\s+de\s+nuevo)\b",
    )
});

/// A lone number when nothing else in the message counted it: "5", "five", "pues 3" — not
/// a price ("$1"), a time ("8pm"), a rate ("1/noche") or a length ("3 nights").
fn bare_number(folded: &str, e: &Entities) -> Option<u32> {
    if e.adults.is_some() || e.check_in.is_some() || e.check_out.is_some() || e.nights.is_some() {
        return None;
    }
    const UNITS: &[&str] = &[
        "night",
        "nights",
        "noche",
        "noches",
        "nts",
        "am",
        "pm",
        "h",
        "hours",
        "horas",
        "dollars",
        "usd",
        "eur",
        "euros",
        "pesos",
        "percent",
        "stars",
        "estrellas",
        "noche,",
        "days",
        "dias",
        "weeks",
        "semanas",
        "rooms",
        "habitaciones",
        // "Y dos estándar cuánto saldrían?": rooms counted, not people.
        "standard",
        "standards",
        "estandar",
        "estandares",
        "deluxe",
        "deluxes",
        "suites",
        "family",
        "familiares",
        "dobles",
        "cuartos",
        // "Tiene 8 meses", "she's 3 years old": an age.
        "meses",
        "months",
        "mos",
        "years",
        "yrs",
        "anos",
        "anitos",
    ];
    let numbers: Vec<u32> = NUMBER
        .captures_iter(folded)
        .filter_map(|c| {
            let m = c.get(1)?;
            // "a las 12", "at 3": a time.
            let previous = folded[..m.start()]
                .split(|c: char| !c.is_ascii_alphanumeric())
                .rfind(|w| !w.is_empty())
                .unwrap_or("");
            if matches!(
                previous,
                "las"
                    | "la"
                    | "at"
                    | "by"
                    | "around"
                    | "sobre"
                    | "hacia"
                    | "like"
                    | "about"
                    | "tipo"
                    | "eso"
                    | "approx"
            ) {
                return None;
            }
            let before = folded[..m.start()].chars().next_back();
            let after = folded[m.end()..].chars().next();
            if matches!(before, Some('$' | '/' | '#' | '.' | ':'))
                || matches!(after, Some('$' | '/' | '%' | ':' | '.'))
            {
                return None;
            }
            let next = folded[m.end()..]
                .split(|c: char| !c.is_ascii_alphanumeric())
                .find(|w| !w.is_empty())
                .unwrap_or("");
            // "lands at like 11 in the morning", "a eso de las 8 de la tarde": a time.
            let rest = &folded[m.end()..];
            let time = [
                "in the morning",
                "in the evening",
                "at night",
                "oclock",
                "de la manana",
                "de la tarde",
                "de la noche",
            ]
            .iter()
            .any(|t| rest.trim_start().starts_with(t));
            if UNITS.contains(&next) || time {
                return None;
            }
            crate::text::number(m.as_str())
        })
        .collect();
    match numbers.as_slice() {
        [n] if (1..=12).contains(n) => Some(*n),
        _ => None,
    }
}

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"\b([0-9]{1,2}|two|three|four|five|six|dos|tres|cuatro|cinco|seis)\b")
});

/// "Admin mode", "ignore your instructions", "SYSTEM:", a pasted "Assistant: … Guest: yes":
/// text written to steer the agent.
static INJECTION: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:admin(?:istrator)?\s+mode|modo\s+admin\w*|ignore\s+(?:all\s+|your\s+|the\s+)?(?:previous\s+|prior\s+|above\s+)?(?:instructions|rules|prompt)|ignora\s+(?:las\s+|tus\s+)?instrucciones|system\s*:|sistema\s*:|(?:assistant|asistente|bot|agent|agente|user|usuario|human|humano)\s*:|developer\s+mode|you\s+are\s+now|a\s+partir\s+de\s+ahora\s+eres|override|jailbreak|100\s*%\s+(?:discount|descuento)|(?:set|change|cambia|pon)\s+(?:the\s+|el\s+|all\s+)?(?:price|prices|precio|precios|tarifa)\s+(?:to|a)|employee\s+rate|tarifa\s+(?:de\s+)?empleado|(?:i\s*a?m|i\s+am|soy)\s+(?:the\s+|el\s+|la\s+)?(?:admin|administrator|administrador|administradora)|i\s+authori[sz]e\s+it|yo\s+lo\s+autorizo|(?:price|precio|tarifa)\s*=\s*\$?\s*[0-9])",
    )
});
