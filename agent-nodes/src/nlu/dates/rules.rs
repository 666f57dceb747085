//! The date rules, in priority order: each is a regex over folded text and a function that
//! turns a match into a [`Found`], or rejects it (a number followed by "nights" is no day).

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::{Context, Found};
use crate::nlu::Language;
use crate::nlu::calendar::{self, When};
use crate::nlu::{numbers, text};

impl Context<'_> {
    /// Whether the word after the match makes the number something else ("3 nights", "Dec 2
    /// adults", "the 3 of us").
    /// A break after the number keeps it a day ("til the 3rd, kids go back to school").
    fn unit_follows(&self) -> bool {
        let parted = self
            .text
            .get(self.end..)
            .unwrap_or("")
            .trim_start()
            .starts_with([',', '.', ';', '!', '?']);
        let next = text::next_word(self.text, self.end);
        // "The 6th of next month" is a day.
        let of_month = next == "of" && {
            let after = self.text[self.end..]
                .find("of")
                .map_or(self.end, |i| self.end + i + 2);
            super::month_after(self.text, after)
        };
        !parted && UNITS.contains(&next) && !of_month
    }

    /// Whether a start ("from", "desde", "starting") follows the match within a few words:
    /// "un mes y medio en el seaside desde el 1 de marzo".
    fn start_follows(&self) -> bool {
        let mut end = (self.end + 90).min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let after = self.text.get(self.end..end).unwrap_or("");
        after
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| matches!(w, "from" | "starting" | "desde" | "empezando" | "partir"))
    }

    /// The word just before the match.
    fn previous_word(&self) -> &str {
        let before = text::before(self.text, self.at, 16).trim_end();
        before
            .rsplit(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or("")
    }
}

/// Words after a number that make it a count, a time or a price rather than a day.
#[rustfmt::skip]
pub(super) const UNITS: &[&str] = &[
    "nights", "night", "noches", "noche", "days", "day", "dias", "dia", "weeks", "week", "semanas",
    "semana", "months", "month", "meses", "mes", "people", "persons", "person", "personas",
    "persona", "guests", "guest", "huespedes", "huesped", "adults", "adult", "adultos", "adulto",
    "children", "child", "kids", "kid", "ninos", "nino", "ninas", "nina", "rooms", "room",
    "habitaciones", "habitacion", "beds", "bed", "camas", "cama", "am", "pm", "h", "hours", "horas",
    "euros", "eur", "dollars", "usd", "stars", "estrellas", "years", "anos", "floor", "planta",
    "piso", "of", "pax", "minutes", "minutos", "guy", "guys", "wheel", "time", "times", "vez",
    "option", "choice", "attempt", "anniversary", "aniversario", "birthday", "cumpleanos", "pers",
    "ppl", "adultos", "adlts", "peeps",
];

/// Words that move a stay: a length after a date in their message is an offset.
const SHIFTS: &[&str] = &[
    "move", "push", "postpone", "shift", "bump", "later", "earlier", "aplaz", "mover", "muev",
    "retras", "adelant", "corr", "pasar", "pasa", "despues", "antes",
];

/// A pattern and what a match of it means.
pub(super) struct Rule {
    pub(super) regex: Regex,
    pub(super) parse: fn(&Captures<'_>, &Context<'_>) -> Option<Found>,
}

fn rule(pattern: &str, parse: fn(&Captures<'_>, &Context<'_>) -> Option<Found>) -> Rule {
    let regex = Regex::new(pattern).unwrap_or_else(|e| panic!("date rule {pattern}: {e}"));
    Rule { regex, parse }
}

fn num(caps: &Captures<'_>, group: usize) -> Option<u32> {
    caps.get(group)?.as_str().parse().ok()
}

fn word<'c>(caps: &'c Captures<'_>, group: usize) -> Option<&'c str> {
    caps.get(group).map(|m| m.as_str())
}

/// A month and day, with the year when one was written.
fn month_day(month: u32, day: u32, year: Option<u32>) -> Option<When> {
    match year {
        Some(year) => calendar::written(i32::try_from(year).ok()?, month, day),
        None => Some(When::MonthDay { month, day }),
    }
}

/// The first day of a range that ends in `month` on a smaller day ("28 to 2 December") is in
/// the month before.
fn range_start(month: u32, first: u32, last: u32, year: Option<u32>) -> Option<When> {
    if first <= last {
        return month_day(month, first, year);
    }
    match (month, year) {
        (1, Some(year)) => month_day(12, first, Some(year.checked_sub(1)?)),
        (1, None) => month_day(12, first, None),
        (month, year) => month_day(month - 1, first, year),
    }
}

/// "12/03": month/day in English, day/month in Spanish, unless only the other order is a date
/// ("12/20" is December 20th in both).
fn numeric(language: Language, a: u32, b: u32) -> (u32, u32) {
    match language {
        // "12/20" can only be December 20th, whatever the language around it.
        Language::Es if b > 12 && a <= 12 => (a, b),
        Language::En if a > 12 && b <= 12 => (b, a),
        Language::En => (a, b),
        Language::Es => (b, a),
    }
}

/// "mar" is the sea in Spanish ("vistas al mar 2 adultos"), so it is not read as March there.
fn plausible_month(name: &str, language: Language) -> Option<u32> {
    if language == Language::Es && name == "mar" {
        return None;
    }
    calendar::month(name)
}

pub(super) static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let count = numbers::pattern(true);
    let month = calendar::month_pattern();
    let weekday = calendar::weekday_pattern();
    let day = "([0-9]{1,2})(?:st|nd|rd|th)?";
    let year = r"(?:,?\s*(?:de\s+|del\s+)?(20[0-9]{2})\b)?";
    let to = r"(?:-|to|until|till|through|thru|and|al|a|hasta\s+el|hasta|y\s+el|y)";
    vec![
        rule(
            &format!(
                r"\b(?:for\s+|por\s+|durante\s+)?(?:(?:a\s+)?(couple)\s+of|({count}))\s*(?:nights?|nites?|nts?|nghts?|noches?|nochs?)\b"
            ),
            // "una noche más", "one night less" change a stay's length; they are not one.
            |c, at| {
                if matches!(
                    text::next_word(at.text, at.end),
                    "mas" | "menos" | "less" | "more"
                ) {
                    return None;
                }
                // "add a night", "one more night", "an extra night" lengthen a stay.
                let before = text::before(at.text, at.at, 24);
                let last = before.split_whitespace().last().unwrap_or("");
                if matches!(
                    last,
                    "add" | "extra" | "another" | "more" | "agregar" | "anadir" | "sumar"
                ) {
                    return None;
                }
                let n = if c.get(1).is_some() {
                    2
                } else {
                    numbers::value(word(c, 2)?)?
                };
                (1..=365).contains(&n).then_some(Found::Nights(n))
            },
        ),
        rule(
            r"\b((?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|lunes|martes|miercoles|jueves|viernes|sabado|domingo)(?:\s*(?:,|and|&|\+|y|n)\s*(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|lunes|martes|miercoles|jueves|viernes|sabado|domingo))+)\s+(?:nights?|noches?)\b",
            // "fri and sat night": as many nights as weekdays named.
            |c, _| {
                let days = word(c, 1)?
                    .split(|ch: char| !ch.is_ascii_alphanumeric())
                    .filter(|w| !matches!(*w, "" | "and" | "y" | "n"))
                    .count();
                u32::try_from(days)
                    .ok()
                    .filter(|n| *n >= 2)
                    .map(Found::Nights)
            },
        ),
        rule(
            &format!(
                r"\b(for\s+|por\s+|durante\s+)?({count})\s+(?:months?|mes|meses)(\s+(?:y\s+medio|and\s+a\s+half))?\b"
            ),
            // "for a month", "un mes y medio desde el 1 de marzo": a length of stay.
            |c, at| {
                let starting = matches!(
                    text::next_word(at.text, at.end),
                    "from" | "starting" | "desde" | "empezando" | "a" | "partir"
                ) || at.start_follows();
                let booked = matches!(
                    at.previous_word(),
                    "book" | "stay" | "reservar" | "quedarnos"
                );
                if c.get(1).is_none() && !starting && !booked {
                    return None;
                }
                let n = numbers::value(word(c, 2)?)?;
                let half = if c.get(3).is_some() { 15 } else { 0 };
                (1..=12).contains(&n).then(|| Found::Nights(n * 30 + half))
            },
        ),
        rule(
            &format!(r"\b({count})\s+weeks?\s+from\s+(?:(next|this)\s+)?(?:on\s+)?{weekday}\b"),
            // "A deluxe a week from friday, 2 nights": the Friday after this one, a date ("for a
            // week from friday" is a length, read below).
            |c, at| {
                if matches!(
                    at.previous_word(),
                    "for" | "book" | "reserve" | "stay" | "staying" | "by"
                ) {
                    return None;
                }
                let weeks = numbers::value(word(c, 1)?)?;
                let day = When::Weekday {
                    weekday: calendar::weekday(word(c, 3)?)?,
                    next: word(c, 2) == Some("next"),
                }
                .resolve(at.today)?;
                (1..=8)
                    .contains(&weeks)
                    .then(|| Found::One(When::On(day + chrono::Duration::weeks(i64::from(weeks)))))
            },
        ),
        rule(
            &format!(
                r"\b(for\s+|por\s+|durante\s+)?({count})\s+(?:(whole|full|entire)\s+)?(?:weeks?|semanas?)(\s+(?:entera|enteras|completa|completas))?\b"
            ),
            |c, at| {
                // "for a week", "book a week", "reservar una semana" are a length of stay; "in a
                // week" is a date and "aplazar la reserva una semana" a change.
                // ("Y si fueran dos semanas?", "what if it were two weeks": the length asked
                // about instead.)
                let booked = matches!(
                    at.previous_word(),
                    "book"
                        | "reserve"
                        | "stay"
                        | "reservar"
                        | "quedarnos"
                        | "quedarme"
                        | "alojarnos"
                        | "fueran"
                        | "fuera"
                        | "fuesen"
                        | "sean"
                        | "were"
                );
                // ("Una semana en el seaside a partir del 10": a start a few words on.)
                let starting = matches!(
                    text::next_word(at.text, at.end),
                    "from" | "starting" | "desde" | "empezando" | "a" | "partir"
                ) || at.start_follows();
                let whole = c.get(3).is_some() || c.get(4).is_some();
                // "desde año nuevo, una semana": a length after a start.
                // "el viernes 8 de enero, una semana": a length after a date, unless the
                // message moves something ("aplazar la del 8 una semana").
                let before = text::before(at.text, at.at, 40);
                let moves = SHIFTS.iter().any(|w| at.text.contains(w));
                let started = ["desde ", "from ", "starting "]
                    .iter()
                    .any(|w| before.contains(w))
                    || (before.bytes().any(|b| b.is_ascii_digit()) && !moves);
                let whole = whole || started;
                if c.get(1).is_none() && !booked && !starting && !whole {
                    return None;
                }
                let n = numbers::value(word(c, 2)?)?;
                (1..=52).contains(&n).then_some(Found::Nights(n * 7))
            },
        ),
        rule(r"\b(20[0-9]{2})-([0-9]{1,2})-([0-9]{1,2})\b", |c, _| {
            let year = i32::try_from(num(c, 1)?).ok()?;
            calendar::written(year, num(c, 2)?, num(c, 3)?).map(Found::One)
        }),
        rule(
            r"\b([0-9]{1,2})/([0-9]{1,2})\s*(?:-|to|until|till|thru|through|al|a|hasta)\s*([0-9]{1,2})/([0-9]{1,2})\b",
            // "12/3-12/6": a range of two numeric dates.
            |c, at| {
                let (m1, d1) = numeric(at.language, num(c, 1)?, num(c, 2)?);
                let (m2, d2) = numeric(at.language, num(c, 3)?, num(c, 4)?);
                Some(Found::Two(
                    month_day(m1, d1, None)?,
                    month_day(m2, d2, None)?,
                ))
            },
        ),
        rule(
            r"\b([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]((?:20)?[0-9]{2})\b",
            |c, at| {
                let (month, day) = numeric(at.language, num(c, 1)?, num(c, 2)?);
                let year = i32::try_from(num(c, 3)?).ok()?;
                calendar::written(year, month, day).map(Found::One)
            },
        ),
        rule(
            r"\b(?:(this\s+coming|this|next|the|coming|este|el\s+proximo|proximo|el)\s+)?(?:weekend|fin\s+de\s+semana|finde)(?:\s+(que\s+viene))?\b",
            |c, at| {
                // "the weekend of December 12" leaves the date to a date rule.
                if matches!(text::next_word(at.text, at.end), "of" | "de" | "del") {
                    return None;
                }
                let next = matches!(word(c, 1), Some("next" | "proximo" | "el proximo"))
                    || c.get(2).is_some();
                let (check_in, check_out) = calendar::weekend(at.today, next)?;
                Some(Found::Weekend(When::On(check_in), When::On(check_out)))
            },
        ),
        rule(
            &format!(
                r"\b(?:from\s+|between\s+|del\s+|desde\s+el\s+|desde\s+|entre\s+el\s+|entre\s+)?(?:the\s+|el\s+)?(?:dia\s+)?{day}\s*{to}\s*(?:the\s+|el\s+)?(?:dia\s+)?{day}\s+(?:of\s+|de\s+|d\s+)?{month}\b\.?{year}"
            ),
            |c, at| {
                let (first, last) = (num(c, 1)?, num(c, 2)?);
                let month = plausible_month(word(c, 3)?, at.language)?;
                let year = num(c, 4);
                let start = range_start(month, first, last, year)?;
                Some(Found::Two(start, month_day(month, last, year)?))
            },
        ),
        rule(
            &format!(
                r"\b(?:from\s+|between\s+)?{month}\b\.?\s+(?:the\s+)?{day}\s*{to}\s*(?:the\s+)?{day}\b{year}"
            ),
            |c, at| {
                if at.unit_follows() {
                    return None;
                }
                let month = plausible_month(word(c, 1)?, at.language)?;
                let (first, last, year) = (num(c, 2)?, num(c, 3)?, num(c, 4));
                if first >= last {
                    return None;
                }
                Some(Found::Two(
                    month_day(month, first, year)?,
                    month_day(month, last, year)?,
                ))
            },
        ),
        rule(
            r"\b(?:from\s+|between\s+)?the\s+([0-9]{1,2})(?:st|nd|rd|th)?\s*(?:-|to|until|till|through|thru|and)\s*(?:the\s+)?([0-9]{1,2})(?:st|nd|rd|th)?\b",
            |c, at| {
                if at.unit_follows() {
                    return None;
                }
                Some(Found::Two(When::Day(num(c, 1)?), When::Day(num(c, 2)?)))
            },
        ),
        rule(
            r"\b(?:from\s+|between\s+)?([0-9]{1,2})(st|nd|rd|th)\s*(?:-|to|until|till|through|thru|and)\s*(?:the\s+)?([0-9]{1,2})(?:st|nd|rd|th)?\b",
            |c, at| {
                if at.unit_follows() {
                    return None;
                }
                Some(Found::Two(When::Day(num(c, 1)?), When::Day(num(c, 3)?)))
            },
        ),
        rule(
            r"\b([0-9]{1,2})\s*-\s*([0-9]{1,2})\b",
            // "no wait, 16-18": a bare range of days, only right after a correction.
            |c, at| {
                let before = text::before(at.text, at.at, 24);
                let corrected = [
                    "wait", "actually", "mean", "meant", "sorry", "perdon", "mejor", "digo",
                ]
                .iter()
                .any(|w| before.contains(w));
                if !corrected || at.unit_follows() {
                    return None;
                }
                Some(Found::Two(When::Day(num(c, 1)?), When::Day(num(c, 2)?)))
            },
        ),
        rule(
            r"\b(?:del|desde\s+el|entre\s+el)\s+(?:dia\s+)?([0-9]{1,2})\s+(?:al|hasta\s+el|y\s+el)\s+(?:dia\s+)?([0-9]{1,2})\b",
            |c, at| {
                if at.unit_follows() {
                    return None;
                }
                Some(Found::Two(When::Day(num(c, 1)?), When::Day(num(c, 2)?)))
            },
        ),
        rule(
            r"\b(christmas\s+eve|xmas\s+eve|christmas\s+day|christmas|xmas|boxing\s+day|new\s+years?\s+eve|nye|new\s+years?\s+day|new\s+years?|nochebuena|noche\s+buena|navidad|navidades|nochevieja|noche\s+vieja|fin\s+de\s+ano|ano\s+nuevo|reyes|dia\s+de\s+reyes|valentines?\s+day|san\s+valentin|independence\s+day|fourth\s+of\s+july|4th\s+of\s+july|halloween)(?:\s+(?:de\s+|of\s+|del\s+)?(20[0-9]{2}))?\b",
            |c, at| {
                // "right after Christmas", "antes de Navidad" are no date: ask, do not guess.
                let before = text::before(at.text, at.at, 16).trim_end();
                if [
                    "after",
                    "before",
                    "around",
                    "despues de",
                    "antes de",
                    "alrededor de",
                ]
                .iter()
                .any(|w| before.ends_with(w))
                {
                    return None;
                }
                // "Christmas week" or "las navidades" are no single day: ask, do not guess.
                if matches!(
                    text::next_word(at.text, at.end),
                    "week" | "holidays" | "period" | "season" | "break"
                ) {
                    return None;
                }
                let name = word(c, 1)?;
                let (month, day) = match name {
                    n if n.contains("eve") && n.contains("new") => (12, 31),
                    n if n.contains("eve") => (12, 24),
                    "nye" | "nochevieja" | "noche vieja" | "fin de ano" => (12, 31),
                    "nochebuena" | "noche buena" => (12, 24),
                    "boxing day" => (12, 26),
                    n if n.starts_with("new year") || n == "ano nuevo" => (1, 1),
                    "reyes" | "dia de reyes" => (1, 6),
                    n if n.starts_with("valentine") || n == "san valentin" => (2, 14),
                    "independence day" | "fourth of july" | "4th of july" => (7, 4),
                    "halloween" => (10, 31),
                    "navidades" => return None,
                    _ => (12, 25),
                };
                let when = match num(c, 2) {
                    Some(year) => calendar::written(i32::try_from(year).ok()?, month, day)?,
                    None => When::MonthDay { month, day },
                };
                Some(Found::Holiday(when))
            },
        ),
        rule(
            r"\b(?:(?:the\s+)?day\s+after\s+tomorrow|pasado\s+manana)\b",
            |_, at| {
                at.today
                    .succ_opt()?
                    .succ_opt()
                    .map(|d| Found::One(When::On(d)))
            },
        ),
        rule(
            r"\b(la\s+|hasta\s+)?(tomorrow|tomorow|tomorro|tomoro|tmrw|tmrrw|tmw|tmr|2moro|2morrow|manana)\b",
            |c, at| {
                // "por la mañana" is the morning; "¡hasta mañana!" is a goodbye unless a stay
                // started earlier in the message ("desde hoy hasta mañana").
                let started = || {
                    let before = text::before(at.text, at.at, 48);
                    before.contains("desde") || before.contains("hoy")
                };
                match word(c, 1).map(str::trim) {
                    Some("la") => None,
                    Some("hasta") if word(c, 2) == Some("manana") && !started() => None,
                    // "tmr" can be a typo of anything; it is tomorrow only as a whole word, which
                    // the pattern's word boundaries already require.
                    _ => at.today.succ_opt().map(|d| Found::One(When::On(d))),
                }
            },
        ),
        rule(r"\b(?:today|tonight|hoy|esta\s+noche)\b", |_, at| {
            // "Sorry, indecisive today", "my flight got cancelled today": said of the guest's
            // day, not the stay.
            let previous = at.previous_word();
            let of_the_day = previous.len() > 3 && previous.ends_with("ed")
                || matches!(
                    previous,
                    "indecisive" | "busy" | "tired" | "sick" | "confused" | "lazy" | "slow"
                );
            if of_the_day {
                return None;
            }
            Some(Found::One(When::On(at.today)))
        }),
        rule(
            &format!(
                r"\b(?:in|within|dentro\s+de|en)\s+({count})\s+(days?|weeks?|months?|dias?|semanas?|mes|meses)\b"
            ),
            |c, at| {
                let n = numbers::value(word(c, 1)?)?;
                calendar::later(at.today, n, word(c, 2)?).map(|d| Found::One(When::On(d)))
            },
        ),
        rule(
            &format!(r"\b{month}\b\.?\s+(?:the\s+)?{day}\b{year}"),
            |c, at| {
                if at.unit_follows() {
                    return None;
                }
                let month = plausible_month(word(c, 1)?, at.language)?;
                month_day(month, num(c, 2)?, num(c, 3)).map(Found::One)
            },
        ),
        rule(
            &format!(
                r"\b(?:the\s+|el\s+)?(?:dia\s+)?{day}\s+(?:of\s+|de\s+|d\s+)?{month}\b\.?{year}"
            ),
            |c, at| {
                let month = plausible_month(word(c, 2)?, at.language)?;
                month_day(month, num(c, 1)?, num(c, 3)).map(Found::One)
            },
        ),
        rule(r"\b([0-9]{1,2})/([0-9]{1,2})\b", |c, at| {
            // "10/10" and "5/5" are ratings.
            if num(c, 1) == num(c, 2) && matches!(num(c, 1), Some(5 | 10)) {
                return None;
            }
            let (month, day) = numeric(at.language, num(c, 1)?, num(c, 2)?);
            month_day(month, day, None).map(Found::One)
        }),
        rule(
            &format!(
                r"\b(?:(next|this\s+coming|this|coming|el\s+proximo|el\s+siguiente|este|proximo|siguiente|el)\s+)?{weekday}(?:\s+(que\s+viene|proximo|siguiente))?\b"
            ),
            |c, at| {
                // "every Friday", "los viernes" are habits, not dates.
                if matches!(at.previous_word(), "every" | "los" | "cada" | "todos") {
                    return None;
                }
                let next = matches!(
                    word(c, 1),
                    Some("next" | "el proximo" | "el siguiente" | "proximo" | "siguiente")
                ) || c.get(3).is_some();
                Some(Found::One(When::Weekday {
                    weekday: calendar::weekday(word(c, 2)?)?,
                    next,
                }))
            },
        ),
        rule(r"\bthe\s+([0-9]{1,2})(st|nd|rd|th)?\b", |c, at| {
            let led = matches!(
                at.previous_word(),
                "on" | "from" | "until" | "till" | "by" | "starting" | "for" | "to" | "and"
            );
            if at.unit_follows() || (c.get(2).is_none() && !led) {
                return None;
            }
            Some(Found::One(When::Day(num(c, 1)?)))
        }),
        rule(r"\b([0-9]{1,2})(?:st|nd|rd|th)\b", |c, at| {
            if at.unit_follows() {
                return None;
            }
            Some(Found::One(When::Day(num(c, 1)?)))
        }),
        rule(
            r"\b(?:el|del|al)\s+(?:mismo\s+|propio\s+)?(?:dia\s+)?([0-9]{1,2})\b",
            |c, at| {
                if at.unit_follows() {
                    return None;
                }
                Some(Found::One(When::Day(num(c, 1)?)))
            },
        ),
    ]
});
