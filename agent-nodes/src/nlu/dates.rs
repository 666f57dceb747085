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

mod rules;

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::Language;
use super::calendar::When;
use super::text;
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
    let original = folded.clone();
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
    place(mentions, &original, today)
}

/// What a rule found.
#[derive(Debug, Clone, Copy)]
enum Found {
    /// One date.
    One(When),
    /// A range: check-in and check-out.
    Two(When, When),
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

/// Words before a lone date that make it the departure.
static LEAVING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:check\s*-?\s*out|checkout|leav\w*|depart\w*|until|till|hasta|salida|salimos|salgo|vamos|marchamos)\s+(?:(?:on|el|the|dia)\s+)*$",
    )
    .unwrap_or_else(|e| panic!("leaving: {e}"))
});

/// Places the mentions, in text order, as check-in, check-out and nights.
fn place(mut mentions: Vec<(usize, Found)>, original: &str, today: NaiveDate) -> Stay {
    mentions.sort_by_key(|(at, _)| *at);
    let mut stay = Stay::default();
    for (at, found) in mentions {
        let placed = stay.check_in.is_some() || stay.check_out.is_some();
        match found {
            Found::Nights(n) => {
                stay.nights.get_or_insert(n);
            }
            Found::Two(first, last) if !placed => {
                stay.check_in = first.resolve(today);
                stay.check_out = stay.check_in.and_then(|d| last.resolve(d.succ_opt()?));
            }
            Found::Two(..) => {}
            Found::One(when) if !placed => {
                let leaving = LEAVING.is_match(text::before(original, at, 32));
                let date = when.resolve(today);
                if leaving {
                    stay.check_out = date
                } else {
                    stay.check_in = date
                }
            }
            Found::One(when) if stay.check_out.is_none() => {
                let anchor = stay.check_in.and_then(|d| d.succ_opt()).unwrap_or(today);
                stay.check_out = when.resolve(anchor);
            }
            Found::One(_) => {}
        }
    }
    if let (Some(check_in), Some(check_out)) = (stay.check_in, stay.check_out) {
        if check_out <= check_in {
            stay.check_out = None;
        }
    }
    if let (Some(check_in), None, Some(nights)) = (stay.check_in, stay.check_out, stay.nights) {
        stay.check_out = check_in.checked_add_days(chrono::Days::new(nights.into()));
    }
    stay
}
