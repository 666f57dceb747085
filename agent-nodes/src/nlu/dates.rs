//! The dates of a stay: check-in, check-out and nights, from the many ways guests write them.
//!
//! Rules run in priority order (nights, then dates with a year, ranges, relative dates, single
//! dates, weekdays, days of the month alone), and each masks what it matched so that a weaker
//! rule cannot read the same digits again. The mentions are then placed in text order: the
//! first is check-in (or check-out after "until", "leaving", "hasta", "salida"), the next is
//! check-out, and a range gives both.
//!
//! Conventions: a date without a year is the next one on or after today (a departure: on or
//! after the day after check-in); `12/03` is month/day in English and day/month in Spanish;
//! "next Friday" is the first Friday after today, "Friday" and "this Friday" may be today; a
//! weekend is Friday and Saturday nights (see [`super::calendar::weekend`]).

mod place;
mod rules;

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use super::Language;
use super::calendar::{self, When};
use super::text;
use place::place;
use rules::RULES;

/// The dates of a stay found in a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Stay {
    pub(super) check_in: Option<NaiveDate>,
    pub(super) check_out: Option<NaiveDate>,
    pub(super) nights: Option<u32>,
}

/// Finds the stay in `folded` and masks what it used.
pub(super) fn extract(folded: &mut String, language: Language, today: NaiveDate) -> Stay {
    // "fri to sun": "sun" is Sunday only at the end of a range (it is the sun elsewhere), and
    // "wed" Wednesday only in one ("we'd" elsewhere).
    if let std::borrow::Cow::Owned(spelled) = WED_STARTS.replace_all(folded, "wednesday${1}") {
        *folded = spelled;
    }
    if let std::borrow::Cow::Owned(spelled) =
        SUN_ENDS.replace_all(folded, |c: &regex::Captures<'_>| {
            let day = if c[0].ends_with("wed") {
                "wednesday"
            } else {
                "sunday"
            };
            format!("{} {day}", &c[1])
        })
    {
        *folded = spelled;
    }
    if let Some(mended) = mend_months(folded) {
        *folded = mended;
    }
    // "dec 3ed to 5th": an ordinal's suffix mistyped is still an ordinal.
    if let std::borrow::Cow::Owned(mended) = ORDINAL_TYPO.replace_all(folded, "${1}th") {
        *folded = mended;
    }
    // "Nos vamos el 1ro", "del 2do al 5to": a Spanish ordinal is the day.
    if let std::borrow::Cow::Owned(mended) = SPANISH_ORDINAL.replace_all(folded, "${1}") {
        *folded = mended;
    }
    // "the 4th, not the 3rd": a date the guest rules out is no date of the stay; "viernes 4":
    // the weekday only names the day that follows.
    let mut ruled_out: Vec<_> = NEGATED.find_iter(folded).map(|m| m.range()).collect();
    // "The concert is on the 5th", "mi cumple es el 5": a date said of something else.
    ruled_out.extend(
        EVENT_DATE
            .find_iter(folded)
            .filter(|m| {
                let before = text::before(folded, m.start(), 24);
                let stay_word = [
                    "check", "arriv", "leav", "lleg", "entrada", "salida", "stay", "estancia",
                ]
                .iter()
                .any(|w| before.contains(w));
                // "It's the 5th to the 8th": a range is the stay itself.
                let range = RANGE_NEXT.is_match(folded.get(m.end()..).unwrap_or(""));
                !stay_word && !range
            })
            .map(|m| m.range()),
    );
    // "Kids go back to school on the 4th": the day life starts again is no date of the stay.
    ruled_out.extend(BACK_TO.find_iter(folded).map(|m| m.range()));
    let named: Vec<_> = WEEKDAY_BEFORE_DAY
        .captures_iter(folded)
        .filter(|c| c.get(0).is_some_and(|m| !count_follows(folded, m.end())))
        .filter_map(|c| {
            let weekday = c.get(1)?;
            let name = weekday.as_str().trim_end_matches([',', '.']);
            let day = c.get(0)?.as_str()[weekday.len()..]
                .split(|ch: char| !ch.is_ascii_digit())
                .find(|d| !d.is_empty())
                .and_then(|d| d.parse().ok());
            Some((weekday.range(), calendar::weekday(name).zip(day)))
        })
        .collect();
    // "Monday the 7th": the weekday names the day that follows, and tells its month.
    let named_days: Vec<(chrono::Weekday, u32)> = named.iter().filter_map(|(_, p)| *p).collect();
    text::mask(
        folded,
        ruled_out
            .into_iter()
            .chain(named.into_iter().map(|(range, _)| range)),
    );
    // Read for "until", "leaving" before a date with the weekday names gone: "til friday the
    // 4th" leaves on the 4th.
    let original = folded.clone();
    // "dec 15-17, no wait 16-18": what follows a correction replaces what came before it.
    let corrected_at = CORRECTION.find_iter(folded).last().map(|m| m.end());
    let mut mentions = Vec::new();
    for rule in RULES.iter() {
        let mut spans = Vec::new();
        for caps in rule.regex.captures_iter(folded) {
            let Some(whole) = caps.get(0) else { continue };
            let at = Context {
                text: folded,
                at: whole.start(),
                end: whole.end(),
                language,
                today,
            };
            if let Some(found) = (rule.parse)(&caps, &at) {
                spans.push(whole.range());
                mentions.push((whole.start(), found));
            }
        }
        text::mask(folded, spans);
    }
    // The month of what a correction replaced anchors the days that replace it.
    let mut replaced_month = None;
    if let Some(at) = corrected_at
        && mentions.iter().any(|(start, _)| *start >= at)
    {
        replaced_month = mentions
            .iter()
            .filter(|(start, _)| *start < at)
            .find_map(|(_, f)| match f {
                Found::Two(first, _) | Found::One(first) => first.resolve(today),
                _ => None,
            })
            .and_then(|d| d.with_day(1));
        mentions.retain(|(start, _)| *start >= at);
    }
    // "miami en febrero, like the 12th to the 15th": a month named apart from the days.
    // "del 8 al 10 de enero, no wait, febrero": a month alone after a correction moves the
    // dates written before it to that month.
    let switched = corrected_at
        .filter(|at| !mentions.iter().any(|(start, _)| *start >= *at))
        .and_then(|at| lone_month(&folded[at..], today));
    // "miami en febrero, like the 12th to the 15th": a month named apart from the days.
    let month = replaced_month.or_else(|| lone_month(folded, today));
    // "La navidad del año que viene, o sea 2027: del 23 al 27 de diciembre": a year said apart
    // from the days places them in it.
    let year = LONE_YEAR
        .captures(folded)
        .and_then(|c| match c.get(1) {
            Some(y) => y.as_str().parse::<i32>().ok(),
            None => Some(today.year() + 1),
        })
        .filter(|y| *y > today.year());
    // "Del jueves 18 al lunes 22" said in November: the 18th that is a Thursday (February),
    // from the month named, if any.
    // A month written beside them ("el jueves 25 de marzo y salimos el domingo 28") places
    // them already.
    let from = month.unwrap_or(today).max(today);
    let calendar = mentions.iter().any(|(_, f)| {
        matches!(
            f,
            Found::One(When::MonthDay { .. } | When::On(_))
                | Found::Two(When::MonthDay { .. } | When::On(_), _)
        )
    });
    for (_, found) in mentions.iter_mut().filter(|_| !calendar) {
        if let Found::One(when) | Found::Two(when, _) = found {
            *when = dated_by_weekday(*when, &named_days, from);
        }
    }
    let mut stay = place(mentions, &original, from, today);
    // "A room for tonight", "solo esta noche": one night.
    if stay.check_in == Some(today)
        && stay.check_out.is_none()
        && stay.nights.is_none()
        && ONE_NIGHT.is_match(&original)
    {
        stay.nights = Some(1);
        stay.check_out = today.succ_opt();
    }
    if let (Some(check_in), None, None) = (stay.check_in, stay.check_out, stay.nights)
        && (HOLIDAY_NIGHT.is_match(&original) || NIGHT_OF_DATE.is_match(&original))
    {
        stay.nights = Some(1);
        stay.check_out = check_in.succ_opt();
    }
    // "El finde del 4 de diciembre", "the weekend of the 12th": Friday to Sunday of that
    // weekend (a weekday before it names the weekend after).
    if let (Some(day), None, None) = (stay.check_in, stay.check_out, stay.nights)
        && WEEKEND_OF.is_match(&original)
    {
        let back = match day.weekday() {
            chrono::Weekday::Sat => 1,
            chrono::Weekday::Sun => 2,
            other => -((4 - i64::from(other.num_days_from_monday())).rem_euclid(7)),
        };
        let friday = day - chrono::Duration::days(back);
        let (check_in, check_out) = (friday.max(today), friday + chrono::Duration::days(2));
        // On a Sunday, "the weekend of today" has no night left to book: the day stays alone.
        if check_out > check_in {
            (stay.check_in, stay.check_out) = (Some(check_in), Some(check_out));
        }
    }
    if let (Some(year), Some(check_in)) = (year, stay.check_in)
        && check_in.year() < year
        && let Some(moved) = check_in.with_year(year)
    {
        stay.check_out = stay.check_out.map(|out| moved + (out - check_in));
        stay.check_in = Some(moved);
    }
    if let (Some(first), Some(check_in)) = (switched, stay.check_in) {
        let moved = first.with_day(check_in.day()).filter(|d| *d >= today);
        if let Some(moved) = moved {
            let length = stay.check_out.map(|out| out - check_in);
            stay.check_in = Some(moved);
            stay.check_out = length.map(|l| moved + l);
        }
    }
    stay
}

/// A day of the month said with its weekday ("Saturday the 13th") as the first such date on
/// or after `from`, within a year; anything else as it is.
fn dated_by_weekday(when: When, named: &[(chrono::Weekday, u32)], from: NaiveDate) -> When {
    let When::Day(day) = when else {
        return when;
    };
    let Some((weekday, _)) = named.iter().find(|(_, d)| *d == day) else {
        return when;
    };
    let Some(first) = from.with_day(1) else {
        return when;
    };
    (0..12)
        .find_map(|k| {
            let date = first
                .checked_add_months(chrono::Months::new(k))?
                .with_day(day)?;
            (date >= from && date.weekday() == *weekday).then_some(When::On(date))
        })
        .unwrap_or(when)
}

/// Whether a count follows at `at` ("Friday the 3 of us"): a unit word, or "of" not before a
/// month ("Monday the 7th of December" is a date).
fn count_follows(folded: &str, at: usize) -> bool {
    let next = text::next_word(folded, at);
    if next == "of" || next == "de" {
        let after = folded[at..].find(next).map_or(at, |i| at + i + next.len());
        return !month_after(folded, after);
    }
    rules::UNITS.contains(&next)
}

/// Whether a month is named at byte `at` of `folded`, by name ("december") or as "next
/// month", "el mes que viene": what makes "the 6th of …" a date rather than "the 6 of us".
pub(super) fn month_after(folded: &str, at: usize) -> bool {
    let rest = folded.get(at..).unwrap_or("").trim_start();
    calendar::month(text::next_word(folded, at)).is_some()
        || [
            "next month",
            "this month",
            "the month",
            "the following month",
            "that month",
            "mes",
            "este mes",
            "el mes",
            "proximo mes",
            "el proximo mes",
        ]
        .iter()
        .any(|m| {
            rest.strip_prefix(m)
                .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric()))
        })
}

static RANGE_NEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:-|to|till|until|thru|through|al|hasta|a)\s*(?:the\s+|el\s+)?[0-9]")
        .unwrap_or_else(|e| panic!("range next: {e}"))
});

static SUN_ENDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(to|thru|through|till|til|until|-)\s*(?:sun|wed)\b")
        .unwrap_or_else(|e| panic!("sunday rule: {e}"))
});

static SPANISH_ORDINAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9]{1,2})(?:ro|ero|er|do|to|vo|no)\b")
        .unwrap_or_else(|e| panic!("ordinal rule: {e}"))
});

static ORDINAL_TYPO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b([0-9]{1,2})(?:ed|nth|rth|sth|rh|dh|tg|yh)\b")
        .unwrap_or_else(|e| panic!("ordinal rule: {e}"))
});

/// "wed to sun": "wed" is Wednesday at the start of a range of weekdays.
static WED_STARTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bwed(\s*(?:to|thru|through|till|til|until|-)\s*(?:mon|tue|tues|thu|thur|thurs|fri|sat|sun)[a-z]*)\b")
        .unwrap_or_else(|e| panic!("wednesday rule: {e}"))
});

static LONE_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:(20[2-9][0-9])|next\s+year|del\s+ano\s+que\s+viene|el\s+ano\s+que\s+viene|del\s+proximo\s+ano)\b",
    )
    .unwrap_or_else(|e| panic!("lone year rule: {e}"))
});

static WEEKEND_OF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:weekend|fin\s+de\s+semana|finde)\s+(?:of|del|de)\b")
        .unwrap_or_else(|e| panic!("weekend-of rule: {e}"))
});

/// "La noche del 26 de diciembre", "the night of the 5th": that one night.
static NIGHT_OF_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:la\s+noche\s+del?|the\s+night\s+of)\s+(?:the\s+|el\s+)?[0-9]")
        .unwrap_or_else(|e| panic!("night-of-date rule: {e}"))
});

static ONE_NIGHT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:(?:for|just|only)\s+(?:tonight|this\s+night)|(?:solo|para|por|solamente)\s+esta\s+noche)\b")
        .unwrap_or_else(|e| panic!("one night rule: {e}"))
});

/// "Just Christmas Eve night", "solo la noche de Nochevieja": a holiday night alone.
static HOLIDAY_NIGHT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:christmas\s+eve|new\s+years?\s+eve|nye)\s+night\b|\b(?:just|only|solo|solamente)\s+(?:for\s+|para\s+)?(?:the\s+|la\s+)?(?:noche\s+de\s+)?(?:christmas\s+eve|new\s+years?\s+eve|nochebuena|nochevieja)\b")
        .unwrap_or_else(|e| panic!("one night rule: {e}"))
});

/// A month named on its own, as the first day of its next occurrence on or after `today`'s
/// month: the anchor of days written alone.
fn lone_month(folded: &str, today: NaiveDate) -> Option<NaiveDate> {
    let month = text::tokens(folded)
        .iter()
        .filter(|t| t.text.len() >= 3 && t.text != "mar" && t.text != "may")
        .find_map(|t| calendar::month(t.text))?;
    let first = today.with_day(1)?;
    (0..12).find_map(|k| {
        let d = first.checked_add_months(chrono::Months::new(k))?;
        (d.month() == month).then_some(d)
    })
}

static CORRECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:no\s+wait|wait\s+no|wait|actually|i\s+mean|i\s+meant|sorry|or\s+rather|correction|perdon|digo|quise\s+decir|espera|no\s+espera)\b",
    )
    .unwrap_or_else(|e| panic!("correction: {e}"))
});

static NEGATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:not|no|instead\s+of|rather\s+than|en\s+vez\s+del?|en\s+lugar\s+del?)\s+(?:on\s+)?(?:the\s+|el\s+|dia\s+)?(?:[0-9]{1,2}(?:st|nd|rd|th)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miercoles|jueves|viernes|sabado|domingo)\b",
    )
    .unwrap_or_else(|e| panic!("negated: {e}"))
});

static EVENT_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:es|is|was|fue|sera|will\s+be|its)\s+(?:on\s+)?(?:el|the)\s+[0-9]{1,2}(?:st|nd|rd|th)?\b",
    )
    .unwrap_or_else(|e| panic!("event date: {e}"))
});

/// "Back to school on the 4th", "school starts the 4th", "vuelven al cole el 4".
static BACK_TO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:back\s+(?:to|at)\s+(?:school|work|class|classes|uni|college|the\s+office)|(?:school|work|classes|class)\s+(?:starts?|begins?)|(?:vuelven?|volvemos|vuelvo|regresan?)\s+(?:al|a\s+la)\s+(?:cole|colegio|escuela|trabajo|oficina|uni|universidad)|(?:empieza|empiezan|arranca|arrancan)\s+(?:el\s+cole|el\s+colegio|la\s+escuela|las\s+clases|el\s+trabajo))\s+(?:on\s+)?(?:el|the)?\s*[0-9]{1,2}(?:st|nd|rd|th)?\b",
    )
    .unwrap_or_else(|e| panic!("back to: {e}"))
});

static WEEKDAY_BEFORE_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b((?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|lunes|martes|miercoles|jueves|viernes|sabado|domingo|lun|mie|jue|vie|sab|dom)\.?,?)\s+(?:the\s+|el\s+|dia\s+)?(?:[0-9]{1,2}(?:st|nd|rd|th)?\b|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+[0-9])",
    )
    .unwrap_or_else(|e| panic!("weekday before day: {e}"))
});

/// What a rule found.
#[derive(Debug, Clone, Copy)]
enum Found {
    /// One date.
    One(When),
    /// A range: check-in and check-out.
    Two(When, When),
    /// "This weekend": a range that gives way to any date written out.
    Weekend(When, When),
    /// A holiday ("Christmas Eve"): one date that gives way to a range written out ("for
    /// Christmas, from the 24th to the 26th").
    Holiday(When),
    /// A length of stay.
    Nights(u32),
}

/// Where a match is, for rules that look around it.
struct Context<'a> {
    text: &'a str,
    at: usize,
    end: usize,
    language: Language,
    today: NaiveDate,
}

/// `folded` with misspelt month names beside a day number spelt right ("del 20 al 22 de marso",
/// "febuary 3rd"), or `None` when there are none.
fn mend_months(folded: &str) -> Option<String> {
    let tokens = text::tokens(folded);
    let is_day = |t: Option<&text::Token<'_>>| {
        t.is_some_and(|t| {
            let digits = t.text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            !digits.is_empty()
                && digits.len() <= 2
                && digits.bytes().all(|b| b.is_ascii_digit())
                && matches!(t.text.len() - digits.len(), 0 | 2)
        })
    };
    let mut out = String::new();
    let mut last = 0;
    for (i, t) in tokens.iter().enumerate() {
        if !t.text.bytes().all(|b| b.is_ascii_alphabetic()) {
            continue;
        }
        // "20 de marso", "20 of febuary", "marso 20".
        let before = match tokens.get(i.wrapping_sub(1)) {
            Some(p) if matches!(p.text, "de" | "of") => tokens.get(i.wrapping_sub(2)),
            p => p,
        };
        if !is_day(before) && !is_day(tokens.get(i + 1)) {
            continue;
        }
        if let Some(name) = calendar::misspelt_month(t.text) {
            out.push_str(&folded[last..t.span.start]);
            out.push_str(name);
            last = t.span.end;
        }
    }
    (last > 0).then(|| {
        out.push_str(&folded[last..]);
        out
    })
}
