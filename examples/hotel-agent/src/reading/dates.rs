//! The date side of a message: vague periods, days written without a month, offsets ("push
//! it back a week"), added nights, leaving, weekdays and month switches.

use std::sync::LazyLock;

use regex::Regex;

use super::compile;

pub(super) static VAGUE: LazyLock<Regex> = LazyLock::new(|| {
    let month = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre";
    compile(&format!(
        r"\b(?:(?:sometime|some\s+time|at\s+some\s+point|early|mid|late|end\s+of|beginning\s+of|start\s+of)\s+(?:in\s+)?(?:{month})|(?:some|a)\s+weekend\s+(?:in\s+)?(?:{month})|next\s+(?:week|month)|this\s+(?:week|month)|(?:la\s+)?(?:semana|mes)\s+que\s+viene|(?:la\s+)?proxim[oa]\s+(?:semana|mes)|(?:in\s+(?:the\s+)?|en\s+|this\s+|next\s+)(?:spring|summer|fall|autumn|winter|primavera|verano|otono|invierno)|(?:algun|algún|un)\s+(?:fin\s+de\s+semana|finde)\s+(?:de|en)\s+(?:{month})|(?:a\s+)?(?:principios|mediados|finales)\s+de\s+(?:{month})|(?:en|in)\s+(?:{month})(?:\s+(?:sometime|o\s+algo|or\s+so))?\s*$|sometime\s+soon|(?:en\s+)?algun\s+momento|(?:right\s+|just\s+)?(?:after|before|around)\s+(?:christmas|xmas|new\s+years?|thanksgiving|easter)|(?:justo\s+)?(?:despues|antes)\s+de\s+(?:navidad|nochevieja|ano\s+nuevo|reyes|semana\s+santa))\b"
    ))
});

/// A day of the month written as such: "3rd", "el 3", "3-6", "dec 3", "3 de enero", "today"
/// (and not "somos 2").
pub(super) static HAS_DAY: LazyLock<Regex> = LazyLock::new(|| {
    let month = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic";
    compile(&format!(
        r"\b(?:[0-9]{{1,2}}(?:st|nd|rd|th)|(?:el|del|al|the|on|from|until|till|hasta)\s+(?:dia\s+)?[0-9]{{1,2}}|[0-9]{{1,2}}\s*(?:-|/|al|to|a)\s*[0-9]{{1,2}}|(?:{month})[a-z]*\.?\s+[0-9]{{1,2}}|[0-9]{{1,2}}\s+(?:de\s+|d\s+|of\s+)?(?:{month})|today|tonight|tomorrow|tmrw|hoy|manana)\b"
    ))
});

/// Words that place a date without a month: weekdays, "today", holidays.
pub(super) static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:today|tonight|tomorrow|tmrw|hoy|manana|weekend|finde|fin\s+de\s+semana|next|this|proximo|que\s+viene|(?:esta|este)\s+(?:navidad|nochebuena|nochevieja|ano|finde|fin\s+de\s+semana|mes|semana)|in\s+[0-9]+\s+(?:days|weeks)|dentro\s+de)\b",
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

/// "Checkout stays the same", "la salida igual", "me voy el 24 igual": the departure is kept.
pub(super) static KEEPS_DEPARTURE: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:check\s*-?\s*out|checkout|departure|salida)\s+(?:date\s+|day\s+)?(?:stays|remains|is\s+still|still|the\s+same|same|igual|sigue\s+igual|se\s+mantiene|no\s+cambia)\b|\b(?:same|misma)\s+(?:check\s*-?\s*out|checkout|departure|salida)\b|\b(?:still|igual)\s+(?:leaving|leave|check\s*-?\s*out|salimos|nos\s+vamos|me\s+voy)\b",
    )
});

pub(super) static LEAVING: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:extend\w*(?:\s+(?:it|our\s+stay|my\s+stay|the\s+stay|the\s+booking))?\s+(?:to|until|till|through|thru)|alarga\w*|leav\w*|check\s*-?\s*out|checkout|checking\s+out|depart\w*|salir|salimos|salida|nos\s+vamos|me\s+voy|volvemos|regresamos|go\s+home|head\s+home|(?:stay|staying|quedar\w*)\s+(?:until|till|til|through|thru|hasta))\b",
    )
});

static EXTRA_NIGHTS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:(?:add|adding|agregar|anadir|sumar|one\s+more|an?\s+extra|another)\s+(?:more\s+)?(?:a|an|one|two|2|1|otra|una|dos)?\s*(?:extra\s+)?(?:nights?|noches?)|(?:one|a|una)\s+(?:night|noche)\s+(?:less|menos|mas|more)|(?:una|dos|one|two|1|2)\s+noches?\s+mas|extend\w*\s+(?:\w+\s+){0,6}?by\s+(?:a|an|one|two|1|2)\s+nights?|(?:alarg|ampli)\w*\s+(?:\w+\s+){0,3}?(?:una|dos)\s+noches?)\b",
    )
});

/// "Add a night", "one more night", "una noche más" (+1), "one night less" (-1).
pub(super) fn extra_nights(folded: &str) -> Option<i64> {
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
pub(super) fn shift_days(folded: &str) -> Option<i64> {
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
/// "Wed" and "sun" are left out: folded, "we'd" is "wed", and "sun" is the sun.
pub(super) fn weekday(word: &str) -> Option<chrono::Weekday> {
    use chrono::Weekday::*;
    Some(match word {
        "monday" | "mon" | "lunes" => Mon,
        "tuesday" | "tue" | "tues" | "martes" => Tue,
        "wednesday" | "weds" | "miercoles" => Wed,
        "thursday" | "thu" | "thurs" | "jueves" => Thu,
        "friday" | "fri" | "viernes" => Fri,
        "saturday" | "sat" | "sabado" => Sat,
        "sunday" | "domingo" => Sun,
        _ => return None,
    })
}

static WEEKDAY_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    let day = "mon|monday|tue|tues|tuesday|wed|weds|wednesday|thu|thurs|thursday|fri|friday|sat|saturday|sun|sunday|lunes|martes|miercoles|jueves|viernes|sabado|domingo";
    compile(&format!(
        r"\b(?:{day})\s*(?:-|to|till|til|until|thru|through|a|al|hasta)\s*(?:el\s+)?({day})\b"
    ))
});

/// The end of a weekday range ("mon to fri", "de viernes a domingo"): the departure is the
/// first such day after the arrival, whatever month the arrival is placed in.
pub(super) fn range_end(folded: &str) -> Option<chrono::Weekday> {
    let end = WEEKDAY_RANGE.captures(folded)?.get(1)?.as_str();
    // In a range, "wed" and "sun" are days.
    weekday(match end {
        "sun" => "sunday",
        "wed" => "wednesday",
        other => other,
    })
}

/// The month a correction moves the dates to: "i meant january not december", "mejor en
/// febrero", "the same but in march".
pub(super) fn month_switch(folded: &str, words: &[&str]) -> Option<u32> {
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

/// "I meant next year, 2027", "no, en 2027": the year to move the request's dates to, as a
/// year or as a number of years after the request's own.
pub(super) fn year_switch(folded: &str) -> Option<YearSwitch> {
    if HAS_DAY.is_match(folded) {
        return None;
    }
    if let Some(c) = YEAR.captures(folded) {
        return c.get(1)?.as_str().parse().ok().map(YearSwitch::To);
    }
    if THIS_YEAR.is_match(folded) {
        return Some(YearSwitch::This);
    }
    NEXT_YEAR.is_match(folded).then_some(YearSwitch::Later(1))
}

/// The year a message moves a request to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearSwitch {
    /// That year.
    To(i32),
    /// That many years after the request's.
    Later(i32),
    /// Today's year ("y para este año las mismas fechas?" after dates too far ahead).
    This,
}

static YEAR: LazyLock<Regex> = LazyLock::new(|| compile(r"\b(202[6-9])\b"));

static THIS_YEAR: LazyLock<Regex> =
    LazyLock::new(|| compile(r"\b(?:this\s+year|(?:para\s+|en\s+)?este\s+ano)\b"));

static NEXT_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:next\s+year|the\s+year\s+after|(?:el\s+)?ano\s+que\s+viene|(?:el\s+)?proximo\s+ano|el\s+ano\s+siguiente)\b",
    )
});

static SWITCH: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:meant|mean|instead|not|rather|actually|make\s+it|mejor|en\s+vez|en\s+lugar|quise\s+decir|queria\s+decir|no\s+en|but\s+in|pero\s+en|move\s+it\s+to|pasalo\s+a|cambialo\s+a)\b",
    )
});

/// Months named in the clauses of `folded` that keep a booking as it is ("cancel the one of
/// the 24th, la de december se queda", "keep the march one").
pub(super) fn kept_months(folded: &str) -> Vec<u32> {
    CLAUSES
        .split(folded)
        .filter(|clause| keeps(clause))
        .flat_map(|clause| months(&crate::text::words(clause)))
        .collect()
}

/// The clauses of `folded` that do not keep a booking as it is: where a booking to act on
/// is named ("cancel the orlando trip, the dallas one stays" acts on Orlando's).
pub(crate) fn acted_on(folded: &str) -> String {
    if !CLAUSES.split(folded).any(keeps) {
        return folded.to_owned();
    }
    CLAUSES
        .split(folded)
        .filter(|clause| !keeps(clause))
        .collect::<Vec<_>>()
        .join(" , ")
}

/// Whether a clause keeps a booking as it is: "la de diciembre se queda", "keep the march one".
fn keeps(clause: &str) -> bool {
    // Said at the clause's end: "la de diciembre se queda" ("se queda una noche más" stays
    // longer; "déjala para el 5" moves it).
    const ENDS: &[&str] = &[
        "se queda",
        "queda igual",
        "sigue igual",
        "se mantiene",
        "la mantengo",
        "lo mantengo",
        "como esta",
        "stays",
        "stays as is",
        "is fine",
        "can stay",
    ];
    const SAYS: &[&str] = &["no la toques", "no lo toques", "keep the", "keeping the"];
    let clause = clause.trim();
    (ENDS.iter().any(|k| clause.ends_with(k)) || SAYS.iter().any(|k| clause.contains(k)))
        && !clause.contains(" same ")
        && !clause.ends_with(" same")
}

static CLAUSES: LazyLock<Regex> = LazyLock::new(|| compile(r"[,.;!?]|\b(?:but|pero|and|y)\b"));

/// Month names in the words of a message.
pub(super) fn months(words: &[&str]) -> Vec<u32> {
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

/// Whether `folded` names a holiday ("san valentín", "christmas", "nochevieja").
pub(crate) fn names_holiday(folded: &str) -> bool {
    HOLIDAY.is_match(folded)
}

static HOLIDAY: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:christmas|xmas|navidad|nochebuena|nochevieja|new\s+years?|ano\s+nuevo|fin\s+de\s+ano|valentines?|san\s+valentin|reyes|halloween|thanksgiving|independence\s+day|4th\s+of\s+july|fourth\s+of\s+july)\b",
    )
});
