//! [`Reading`]: what the policy needs from one message beyond the NLU's [`Understanding`] —
//! whether it asks a question, says "same dates", moves a stay by an offset ("push it back a
//! week"), names only a vague period ("sometime in January"), or starts a new request. Plain
//! functions of the text, so they hold whichever understander (offline or a model) read it.

use std::sync::LazyLock;

use agent_nodes::nlu::{Entities, Intent, Understanding};
use regex::Regex;

use crate::text::{fold, words};

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
    /// "For them", "para mis padres": the request is for other people than the last one.
    pub other_party: bool,
    /// "Your biggest room", "la más grande": the largest room of the hotel.
    pub biggest: bool,
    /// "La más barata", "the cheapest one": the cheapest room of the hotel.
    pub cheapest: bool,
    /// A weekday named ("until Monday"), placed after the request's arrival.
    pub weekday: Option<chrono::Weekday>,
    /// A number on its own ("5 then", "bueno pues 3"): the answer to "how many guests?".
    pub bare_number: Option<u32>,
    /// Text written to steer the agent ("admin mode", "ignore your instructions", "set the
    /// price to $1"): it changes nothing, whatever else it says.
    pub injection: bool,
    /// "I meant January, not December": a month named without a day, to move the request's
    /// dates to.
    pub month_switch: Option<u32>,
    /// Days to move an existing stay by ("a week later" is 7, "two days earlier" is -2).
    pub shift_days: Option<i64>,
    /// Nights added to or taken from a stay ("add a night" is 1, "una noche menos" is -1).
    pub extra_nights: Option<i64>,
    /// It is about leaving ("leaving the 11th", "nos vamos un día antes"): a single date or an
    /// offset moves the departure only.
    pub leaving: bool,
    /// Only a vague period ("next week", "sometime in January", "en primavera"): ask, never
    /// guess.
    pub vague_dates: bool,
    /// Month numbers named in the message ("the one in december").
    pub months: Vec<u32>,
    /// Its dates are days of the month alone ("del 12 al 15", "the 4th"): during a request
    /// they mean that request's month, not the next such day from today.
    pub day_only: bool,
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
        Reading {
            message: message.to_owned(),
            intent: u.intent,
            entities,
            attention: u.sentiment.requires_attention,
            question,
            topic: asks.topic,
            price: asks.price,
            asks_what: ASKS_WHAT.is_match(&message.to_lowercase()),
            confidence: u.confidence,
            same_dates: SAME_DATES.is_match(&folded),
            same_request: SAME_REQUEST.is_match(&folded),
            same_people: SAME_PEOPLE.is_match(&folded),
            other_party: OTHER_PARTY.is_match(&folded),
            biggest: BIGGEST.is_match(&folded),
            cheapest: CHEAPEST.is_match(&folded),
            weekday: w.iter().find_map(|word| weekday(word)),
            bare_number: bare_number(&folded, &u.entities),
            injection: INJECTION.is_match(&folded),
            month_switch: month_switch(&folded, &w),
            fresh_start: FRESH.is_match(&folded),
            shift_days: shift_days(&folded),
            extra_nights: extra_nights(&folded),
            leaving: LEAVING.is_match(&folded),
            vague_dates,
            months,
            day_only,
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
        let besides_hotel = e.room_type.is_some()
            || e.check_in.is_some()
            || e.check_out.is_some()
            || e.nights.is_some()
            || e.adults.is_some()
            || e.children.is_some();
        // "Miami?" or "qué tienen en colorado?" asks to go there; "is there a pool at the
        // Seaside?" asks about it.
        besides_hotel
            || self.month_switch.is_some()
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
    compile(r"\b(?:cheapest|least\s+expensive)|(?:la|el)\s+mas\s+(?:barat[oa]|economic[oa])")
});

static SAME_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:the\s+same\s+(?:again|thing|room|for|but)|same\s+(?:again|thing|room)|same\s+as\s+before|(?:the\s+)?(?:next|last|other|third|second)\s+one|(?:la|el)\s+(?:siguiente|otra|otro|ultima|ultimo|tercera|segunda)|lo\s+mismo|la\s+misma\s+(?:habitacion|para|pero)|otra\s+igual|igual\s+que\s+(?:antes|la\s+otra))\b",
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

static VAGUE: LazyLock<Regex> = LazyLock::new(|| {
    let month = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre";
    compile(&format!(
        r"\b(?:(?:sometime|some\s+time|at\s+some\s+point|early|mid|late|end\s+of|beginning\s+of|start\s+of)\s+(?:in\s+)?(?:{month})|(?:some|a)\s+weekend\s+(?:in\s+)?(?:{month})|next\s+(?:week|month)|this\s+(?:week|month)|(?:la\s+)?(?:semana|mes)\s+que\s+viene|(?:la\s+)?proxim[oa]\s+(?:semana|mes)|(?:in\s+(?:the\s+)?|en\s+|this\s+|next\s+)(?:spring|summer|fall|autumn|winter|primavera|verano|otono|invierno)|(?:algun|algún|un)\s+(?:fin\s+de\s+semana|finde)\s+(?:de|en)\s+(?:{month})|(?:a\s+)?(?:principios|mediados|finales)\s+de\s+(?:{month})|(?:en|in)\s+(?:{month})(?:\s+(?:sometime|o\s+algo|or\s+so))?\s*$|sometime\s+soon|(?:en\s+)?algun\s+momento|(?:right\s+|just\s+)?(?:after|before|around)\s+(?:christmas|xmas|new\s+years?|thanksgiving|easter)|(?:justo\s+)?(?:despues|antes)\s+de\s+(?:navidad|nochevieja|ano\s+nuevo|reyes|semana\s+santa))\b"
    ))
});

/// A day of the month written as such: "3rd", "el 3", "3-6", "dec 3", "3 de enero", "today"
/// (and not "somos 2").
static HAS_DAY: LazyLock<Regex> = LazyLock::new(|| {
    let month = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic";
    compile(&format!(
        r"\b(?:[0-9]{{1,2}}(?:st|nd|rd|th)|(?:el|del|al|the|on|from|until|till|hasta)\s+(?:dia\s+)?[0-9]{{1,2}}|[0-9]{{1,2}}\s*(?:-|/|al|to|a)\s*[0-9]{{1,2}}|(?:{month})[a-z]*\.?\s+[0-9]{{1,2}}|[0-9]{{1,2}}\s+(?:de\s+|d\s+|of\s+)?(?:{month})|today|tonight|tomorrow|tmrw|hoy|manana)\b"
    ))
});

/// Words that place a date without a month: weekdays, "today", holidays.
static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:today|tonight|tomorrow|tmrw|hoy|manana|weekend|finde|fin\s+de\s+semana|next|this|proximo|que\s+viene|christmas|xmas|navidad|nochebuena|nochevieja|new\s+year|ano\s+nuevo|in\s+[0-9]+\s+(?:days|weeks)|dentro\s+de)\b",
    )
});

static SHIFT: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(a|an|one|1|two|2|three|3|four|4|five|5|six|6|seven|7|un|una|uno|dos|tres|cuatro|cinco|seis|siete)\s+(days?|weeks?|dias?|semanas?)\b",
    )
});

static LATER: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:later|back|after|afterwards|push|postpone|delay|despues|mas\s+tarde|mas\s+adelante|retras\w*|atras\w*|pospon\w*|aplaz\w*|posterior|correr\w*|correla|correlo|pasar\w*|pasala|pasalo|mover\w*|muev\w*|move|shift|bump)\b",
    )
});

static EARLIER: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\b(?:earlier|before|sooner|forward|antes|adelant\w*)\b"));

static LEAVING: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:leav\w*|check\s*-?\s*out|checkout|checking\s+out|depart\w*|salir|salimos|salida|nos\s+vamos|me\s+voy|volvemos|regresamos|go\s+home|head\s+home)\b",
    )
});

static EXTRA_NIGHTS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:(?:add|adding|agregar|anadir|sumar|one\s+more|an?\s+extra|another)\s+(?:more\s+)?(?:a|an|one|two|2|1|otra|una|dos)?\s*(?:extra\s+)?(?:nights?|noches?)|(?:one|a|una)\s+(?:night|noche)\s+(?:less|menos|mas|more)|(?:una|dos|one|two|1|2)\s+noches?\s+mas)\b",
    )
});

/// "Add a night", "one more night", "una noche más" (+1), "one night less" (-1).
fn extra_nights(folded: &str) -> Option<i64> {
    let text = EXTRA_NIGHTS.find(folded)?.as_str();
    let n = if ["two", "dos", "2"].iter().any(|w| text.contains(w)) {
        2
    } else {
        1
    };
    let less = text.contains("less") || text.contains("menos");
    Some(if less { -n } else { n })
}

/// "The following weekend", "el finde siguiente": a week after the booking's own.
static FOLLOWING_WEEK: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:the\s+)?(?:following|week\s+after)\s+(?:weekend|week)|(?:weekend|week)\s+after|(?:fin\s+de\s+semana|finde|semana)\s+siguiente|siguiente\s+(?:fin\s+de\s+semana|finde|semana)",
    )
});

/// The offset of "push it back a week", "two days earlier", "una semana más tarde".
fn shift_days(folded: &str) -> Option<i64> {
    if FOLLOWING_WEEK.is_match(folded) {
        return Some(7);
    }
    let caps = SHIFT.captures(folded)?;
    let n: i64 = match caps.get(1)?.as_str() {
        "a" | "an" | "one" | "1" | "un" | "una" | "uno" => 1,
        "two" | "2" | "dos" => 2,
        "three" | "3" | "tres" => 3,
        "four" | "4" | "cuatro" => 4,
        "five" | "5" | "cinco" => 5,
        "six" | "6" | "seis" => 6,
        _ => 7,
    };
    let unit = if caps.get(2)?.as_str().starts_with('d') {
        1
    } else {
        7
    };
    // "más adelante" is later; "adelantar" is earlier.
    let sign = if EARLIER.is_match(&folded.replace("mas adelante", "")) {
        -1
    } else if LATER.is_match(folded) {
        1
    } else {
        return None;
    };
    Some(sign * n * unit)
}

/// The weekday a word names.
fn weekday(word: &str) -> Option<chrono::Weekday> {
    use chrono::Weekday::*;
    Some(match word {
        "monday" | "mon" | "lunes" => Mon,
        "tuesday" | "tue" | "tues" | "martes" => Tue,
        "wednesday" | "wed" | "miercoles" => Wed,
        "thursday" | "thu" | "thurs" | "jueves" => Thu,
        "friday" | "fri" | "viernes" => Fri,
        "saturday" | "sat" | "sabado" => Sat,
        "sunday" | "sun" | "domingo" => Sun,
        _ => return None,
    })
}

/// A lone number when nothing else in the message counted it: "5", "five", "pues 3" — not
/// a price ("$1"), a time ("8pm"), a rate ("1/noche") or a length ("3 nights").
fn bare_number(folded: &str, e: &Entities) -> Option<u32> {
    if e.adults.is_some() || e.check_in.is_some() || e.check_out.is_some() || e.nights.is_some() {
        return None;
    }
    // "one", "una", "a" are articles as often as counts ("una estándar"): digits and the
    // larger number words only.
    const WORDS: &[(&str, u32)] = &[
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("dos", 2),
        ("tres", 3),
        ("cuatro", 4),
        ("cinco", 5),
        ("seis", 6),
    ];
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
                "las" | "la" | "at" | "by" | "around" | "sobre" | "hacia"
            ) {
                return None;
            }
            // "a las 12", "at 3": a time.
            let previous = folded[..m.start()]
                .split(|c: char| !c.is_ascii_alphanumeric())
                .rfind(|w| !w.is_empty())
                .unwrap_or("");
            if matches!(
                previous,
                "las" | "la" | "at" | "by" | "around" | "sobre" | "hacia"
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
            if UNITS.contains(&next) {
                return None;
            }
            let w = m.as_str();
            w.parse::<u32>()
                .ok()
                .or_else(|| WORDS.iter().find(|(n, _)| *n == w).map(|(_, v)| *v))
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

/// "Admin mode", "ignore your instructions", "SYSTEM:": text written to steer the agent.
static INJECTION: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:admin(?:istrator)?\s+mode|modo\s+admin\w*|ignore\s+(?:all\s+|your\s+|the\s+)?(?:previous\s+|prior\s+|above\s+)?(?:instructions|rules|prompt)|ignora\s+(?:las\s+|tus\s+)?instrucciones|system\s*:|sistema\s*:|developer\s+mode|you\s+are\s+now|a\s+partir\s+de\s+ahora\s+eres|override|jailbreak|100\s*%\s+(?:discount|descuento)|(?:set|change|cambia|pon)\s+(?:the\s+|el\s+|all\s+)?(?:price|prices|precio|precios|tarifa)\s+(?:to|a)|employee\s+rate|tarifa\s+(?:de\s+)?empleado)",
    )
});

/// The month a correction moves the dates to: "i meant january not december", "mejor en
/// febrero", "the same but in march".
fn month_switch(folded: &str, words: &[&str]) -> Option<u32> {
    if HAS_DAY.is_match(folded) || !SWITCH.is_match(folded) {
        return None;
    }
    // The month that is not ruled out: "january not december" is January.
    let mut ruled_out = Vec::new();
    for pair in words.windows(2) {
        if matches!(pair[0], "not" | "no") {
            ruled_out.extend(months(&pair[1..]));
        }
    }
    let wanted: Vec<u32> = months(words)
        .into_iter()
        .filter(|m| !ruled_out.contains(m))
        .collect();
    match wanted.as_slice() {
        [m] => Some(*m),
        _ => None,
    }
}

static SWITCH: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:meant|mean|instead|not|rather|actually|make\s+it|mejor|en\s+vez|en\s+lugar|quise\s+decir|queria\s+decir|no\s+en|but\s+in|pero\s+en|move\s+it\s+to|pasalo\s+a|cambialo\s+a)\b",
    )
});

/// Month names in the words of a message.
fn months(words: &[&str]) -> Vec<u32> {
    const NAMES: &[(&str, u32)] = &[
        ("january", 1),
        ("jan", 1),
        ("enero", 1),
        ("february", 2),
        ("feb", 2),
        ("febrero", 2),
        ("march", 3),
        ("marzo", 3),
        ("april", 4),
        ("apr", 4),
        ("abril", 4),
        ("may", 5),
        ("mayo", 5),
        ("june", 6),
        ("junio", 6),
        ("july", 7),
        ("julio", 7),
        ("august", 8),
        ("aug", 8),
        ("agosto", 8),
        ("september", 9),
        ("sept", 9),
        ("septiembre", 9),
        ("october", 10),
        ("oct", 10),
        ("octubre", 10),
        ("november", 11),
        ("nov", 11),
        ("noviembre", 11),
        ("december", 12),
        ("dec", 12),
        ("diciembre", 12),
    ];
    words
        .iter()
        .filter_map(|w| NAMES.iter().find(|(n, _)| n == w).map(|(_, m)| *m))
        .collect()
}
