//! Placing the dates a message mentions as the stay's arrival, departure and length: which
//! single date is the arrival ("desde", "llegamos"), which the departure ("until", "salimos"),
//! what a range or a holiday gives way to, and the days said alone in whose month.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use super::calendar::When;
use super::text;
use super::{Found, Stay};

/// A holiday's name followed by the end of a range: "nochebuena al 27", "xmas eve to the 27th".
static HOLIDAY_TO_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[a-z]+(?:\s+[a-z]+){0,2}?\s*(?:-|to|till|until|thru|through|al|hasta)\s*(?:the\s+|el\s+)?[0-9]",
    )
    .unwrap_or_else(|e| panic!("holiday-to-day rule: {e}"))
});

/// A holiday's name and the word that ends its range, right before a date: "new years eve
/// to", "nochebuena al".
static HOLIDAY_RANGE_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:eve|day|years?|nye|christmas|xmas|navidad|nochebuena|nochevieja|ano\s+nuevo|reyes)\s*(?:-|to|till|until|thru|through|al|hasta)\s*(?:the\s+|el\s+)?$",
    )
    .unwrap_or_else(|e| panic!("holiday range end rule: {e}"))
});

/// "Tomorrow night", "mañana por la noche": a night named, not a day.
static NIGHT_OF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:tomorrow|tmrw|manana)\s+(?:night|nite|noche|por\s+la\s+noche)\b")
        .unwrap_or_else(|e| panic!("night-of rule: {e}"))
});

/// A day named as a night: "saturday night", "tonight", "el viernes por la noche"; read from
/// the start of the day's mention.
static NIGHT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:tonight|esta\s+noche|(?:(?:el|the|this|este)\s+)?[a-z]+\.?\s+(?:night|nite|noche|por\s+la\s+noche)\b)")
        .unwrap_or_else(|e| panic!("night-after rule: {e}"))
});

/// "La noche del sábado": the night named before the day.
static NIGHT_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bnoche\s+del?\s+$").unwrap_or_else(|e| panic!("night-before rule: {e}"))
});

/// Words that make a night named the whole stay even beside an arrival word: "just saturday
/// night", "one friday night", "solo la noche del sábado", "para el viernes por la noche".
static ONE_NIGHT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:just|only|one|a|for|solo|solamente|una|para)\s+(?:(?:the|this|el|la|este|esta)\s+)?(?:noche\s+del?\s+)?$",
    )
    .unwrap_or_else(|e| panic!("one-night rule: {e}"))
});

/// Words that make a night named the first of a longer stay: "we arrive tomorrow night",
/// "llegamos el viernes por la noche".
static ARRIVAL_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:arriv\w*|llega\w*|llego|llegu\w*|get(?:ting)?\s+in|land\w*|check(?:ing)?\s*-?\s*in|from|desde|starting|empezando)\b")
        .unwrap_or_else(|e| panic!("arrival-word rule: {e}"))
});

/// Words before a lone date that make it the departure.
static LEAVING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:extend\w*(?:\s+(?:it|our\s+stay|my\s+stay|the\s+stay|the\s+booking))?\s+to|alarga\w*(?:\s+(?:la|nuestra|mi)\s+(?:reserva|estancia))?\s+(?:hasta|al)|check\s*-?\s*out|checkout|checking\s+out|out|leav\w*|depart\w*|until|till|til|thru|through|hasta|salida|salimos|salgo|salir|vamos|voy|marchamos|marcho|volvemos|regresamos|vuelvo|regreso|(?:head|heading|go|going|fly|flying|drive|driving)\s+(?:home|back)|(?:check\s*-?\s*out|checkout|salida)\s+(?:to|al|para))\s+(?:(?:on|el|the|dia)\s+)*$",
    )
    .unwrap_or_else(|e| panic!("leaving: {e}"))
});

/// A day's mention followed by the end of a range: "saturday to", "friday night - sunday".
static RANGE_AFTER_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[a-z]+\.?\s*(?:(?:night|nite)\s*)?(?:-|(?:to|till|until|thru|through|al|hasta)\b)",
    )
    .unwrap_or_else(|e| panic!("range-after-day rule: {e}"))
});

/// Words before a lone date that make it the arrival.
static ARRIVING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:arriv\w*|check\s*-?\s*in|checking\s+in|llegu\w*|llega\w*|llego|entra\w*|entro|empezando|starting|desde|from|pasar\w*(?:\s+al)?|pasa\w*(?:\s+al)?|mover\w*(?:\s+al)?|muev\w*(?:\s+al)?|move\s+(?:it|them|my\s+\w+)(?:\s+to)?)\s+(?:(?:on|el|the|dia|mismo)\s+)*$",
    )
    .unwrap_or_else(|e| panic!("arriving: {e}"))
});

/// Places the mentions, in text order, as check-in, check-out and nights.
pub(super) fn place(
    mut mentions: Vec<(usize, Found)>,
    original: &str,
    day_anchor: NaiveDate,
    today: NaiveDate,
) -> Stay {
    mentions.sort_by_key(|(at, _)| *at);
    let written = mentions
        .iter()
        .any(|(_, f)| matches!(f, Found::One(_) | Found::Two(..)));
    // "For Christmas 2027, from the 24th to the 27th": days alone are in the holiday's month.
    let holiday = mentions.iter().find_map(|(_, f)| match f {
        Found::Holiday(when) => when.resolve(today),
        _ => None,
    });
    let holiday_month = holiday.and_then(|d| d.with_day(1));
    // "el 18 no puede, que llegue el 19": a date said as the arrival replaces the single
    // dates before it.
    let mut replaced_month = None;
    if let Some(arrival) = mentions
        .iter()
        .rev()
        .find(|(at, f)| {
            // "Pasar navidad allí, desde nochebuena": a holiday said as the arrival too, and
            // one that starts a range ("esta navidad? de nochebuena al 27").
            matches!(f, Found::One(_) | Found::Holiday(_))
                && ARRIVING.is_match(text::before(original, *at, 32))
                || matches!(f, Found::Holiday(_))
                    && HOLIDAY_TO_DAY.is_match(original.get(*at..).unwrap_or(""))
        })
        .map(|(at, _)| *at)
    {
        // "Her birthday is March 5; we'd arrive on the 4th": the days after are in that month.
        replaced_month = mentions
            .iter()
            .filter(|(at, _)| *at < arrival)
            .find_map(|(_, f)| match f {
                Found::One(when @ (When::MonthDay { .. } | When::On(_))) => when.resolve(today),
                _ => None,
            })
            .and_then(|d| d.with_day(1));
        mentions.retain(|(at, f)| {
            !matches!(f, Found::One(_) | Found::Holiday(_))
                || *at >= arrival
                || LEAVING.is_match(text::before(original, *at, 32))
        });
    }
    // The replaced date's month, from today on: "tomorrow, no, from the 1st" is the next 1st.
    let day_anchor = replaced_month.map_or(day_anchor, |m| m.max(today));
    // "El lunes es puente y nos vamos el lunes": the same day said again as the departure is
    // only the departure.
    let leaving_days: Vec<chrono::Weekday> = mentions
        .iter()
        .filter(|(at, _)| LEAVING.is_match(text::before(original, *at, 32)))
        .filter_map(|(_, f)| match f {
            Found::One(When::Weekday { weekday, .. }) => Some(*weekday),
            _ => None,
        })
        .collect();
    mentions.retain(|(at, f)| match f {
        Found::One(When::Weekday { weekday, .. })
            if !LEAVING.is_match(text::before(original, *at, 32)) =>
        {
            !leaving_days.contains(weekday)
        }
        _ => true,
    });
    // "Stay through Thursday night, so checking out Friday the 11th": of two departures, the
    // one with its day written is meant.
    let leaves = |at: usize| LEAVING.is_match(text::before(original, at, 32));
    let dated_departure = mentions.iter().any(|(at, f)| {
        leaves(*at) && matches!(f, Found::One(w) if !matches!(w, When::Weekday { .. }))
    });
    if dated_departure {
        mentions.retain(|(at, f)| !(leaves(*at) && matches!(f, Found::One(When::Weekday { .. }))));
    }
    // "Just saturday night", "solo la noche del sábado": the weekday of a night that is the
    // whole stay (kept apart from its date, which the next rule may drop).
    let one_night: Vec<chrono::Weekday> = mentions
        .iter()
        .filter(|(at, f)| {
            let before = text::before(original, *at, 32);
            matches!(f, Found::One(When::Weekday { .. } | When::On(_)))
                && (NIGHT_AFTER.is_match(original.get(*at..).unwrap_or(""))
                    || NIGHT_BEFORE.is_match(before))
                && (ONE_NIGHT.is_match(before) || !ARRIVAL_WORD.is_match(original))
        })
        .filter_map(|(_, f)| match f {
            Found::One(when) => when.resolve(today).map(|d| d.weekday()),
            _ => None,
        })
        .collect();
    // "One saturday night at the plaza, dec 5": a weekday that is the weekday of a date
    // written in the same message, in the same role, names that date; it is no second date
    // ("saturday to saturday dec 5" keeps both: the weekday starts a range).
    let written_dates: Vec<(NaiveDate, bool)> = mentions
        .iter()
        .filter_map(|(at, f)| match f {
            Found::One(when @ (When::MonthDay { .. } | When::On(_))) => {
                Some((when.resolve(today)?, leaves(*at)))
            }
            _ => None,
        })
        .collect();
    mentions.retain(|(at, f)| match f {
        Found::One(When::Weekday { weekday, .. }) => {
            let starts_range = RANGE_AFTER_DAY.is_match(original.get(*at..).unwrap_or(""));
            starts_range
                || !written_dates
                    .iter()
                    .any(|(d, leaving)| d.weekday() == *weekday && *leaving == leaves(*at))
        }
        _ => true,
    });
    // "The 18th or the 25th, 2 nights": a date offered as another choice is no departure;
    // the first choice is read (and the guest sees it quoted).
    let choices: Vec<usize> = mentions
        .windows(2)
        .filter(|pair| {
            let [(a, first), (b, second)] = pair else {
                return false;
            };
            let between = original.get(*a..*b).unwrap_or("");
            let words: Vec<&str> = between
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            matches!(first, Found::One(_) | Found::Holiday(_))
                && matches!(second, Found::One(_) | Found::Holiday(_))
                && words.iter().any(|w| matches!(*w, "or" | "o" | "u"))
                && !words.iter().any(|w| {
                    matches!(
                        *w,
                        "to" | "till" | "until" | "thru" | "through" | "al" | "hasta" | "and" | "y"
                    )
                })
                && !between.contains('-')
        })
        .map(|pair| pair[1].0)
        .collect();
    mentions.retain(|(at, _)| !choices.contains(at));
    let range = mentions.iter().any(|(_, f)| matches!(f, Found::Two(..)));
    // "En vez del 8 al 10 de enero sería del 15 al 17": the month of a date the range replaces
    // is the month of the range's days.
    let replaced_by_range = mentions
        .iter()
        .filter(|_| range)
        .find_map(|(_, f)| match f {
            Found::One(when @ (When::MonthDay { .. } | When::On(_))) => when.resolve(today),
            _ => None,
        })
        .and_then(|d| d.with_day(1));
    // A written range is a whole stay: "can't make it tomorrow, move it to Dec 21-22" stays
    // Dec 21-22, whatever single dates come before it.
    if range {
        mentions.retain(|(_, f)| matches!(f, Found::Two(..) | Found::Nights(_)));
    }
    // A holiday gives way to a written range or a written calendar date ("Nochevieja, del 30
    // de diciembre al 2 de enero"), not to a day alone ("Christmas Eve to the 27th").
    // "Desde año nuevo hasta el 4 de enero": a departure leaves the holiday as the arrival.
    // ("New years eve to jan 2", "nochebuena al 27 de diciembre": the date ends the
    // holiday's range.)
    let calendar_date = mentions.iter().any(|(at, f)| {
        matches!(f, Found::One(When::MonthDay { .. } | When::On(_)))
            && !leaves(*at)
            && !HOLIDAY_RANGE_END.is_match(text::before(original, *at, 40))
    });
    mentions.retain(|(_, f)| {
        !(written && matches!(f, Found::Weekend(..))
            || (range || calendar_date) && matches!(f, Found::Holiday(_)))
    });
    let mut stay = Stay::default();
    // The day of an arrival written as a day alone ("entramos el 30 y salimos el 2 de enero").
    let mut arrival_day = None;
    for (at, found) in mentions {
        let placed = stay.check_in.is_some() || stay.check_out.is_some();
        match found {
            Found::Nights(n) => {
                stay.nights.get_or_insert(n);
            }
            Found::Two(first, last) | Found::Weekend(first, last) if !placed => {
                let anchor = match first {
                    When::Day(_) => holiday_month
                        .or(replaced_by_range)
                        .unwrap_or(day_anchor)
                        .max(today),
                    _ => today,
                };
                let range = |anchor: NaiveDate| {
                    let check_in = first.resolve(anchor);
                    (check_in, check_in.and_then(|d| last.resolve(d.succ_opt()?)))
                };
                (stay.check_in, stay.check_out) = range(anchor);
                // "New Year's, del 31 al 2": days around the holiday, from the month before.
                if let (When::Day(_), Some(day)) = (first, holiday)
                    && !matches!(range(anchor), (Some(i), Some(o)) if i <= day && day <= o)
                    && let Some(before) = anchor.checked_sub_months(chrono::Months::new(1))
                    && let (Some(i), Some(o)) = range(before.max(today))
                    && i <= day
                    && day <= o
                {
                    (stay.check_in, stay.check_out) = (Some(i), Some(o));
                }
            }
            Found::Two(..) | Found::Weekend(..) => {}
            Found::One(when) | Found::Holiday(when) if !placed => {
                let leaving = LEAVING.is_match(text::before(original, at, 32));
                let date = match when {
                    When::Day(_) => when.resolve(day_anchor),
                    _ => when.resolve(today),
                };
                if leaving {
                    stay.check_out = date
                } else {
                    stay.check_in = date;
                    arrival_day = match when {
                        When::Day(day) => Some(day),
                        _ => None,
                    };
                }
            }
            // "Hasta Año Nuevo: llegamos el 24 y nos vamos el 1 de enero": an arrival said after
            // the departure, placed before it.
            Found::One(when)
                if stay.check_in.is_none()
                    && ARRIVING.is_match(text::before(original, at, 32))
                    && !LEAVING.is_match(text::before(original, at, 32)) =>
            {
                if let Some(out) = stay.check_out {
                    let from = (out - chrono::Duration::days(31)).max(today);
                    let date = match when {
                        When::Day(_) => when.resolve(from),
                        _ => when.resolve(today),
                    };
                    if let Some(date) = date.filter(|d| *d < out && (out - *d).num_days() <= 30) {
                        stay.check_in = Some(date);
                    }
                }
            }
            // The same day said twice ("New Year's Eve, December 31") is one date.
            Found::One(when @ When::MonthDay { .. }) | Found::Holiday(when)
                if when.resolve(today) == stay.check_in => {}
            // "Tonight and tomorrow night": a night of the stay, so the day after is the
            // departure.
            Found::One(when)
                if stay.check_out.is_none()
                    && stay.check_in.is_some()
                    && NIGHT_OF.is_match(original.get(at..).unwrap_or("")) =>
            {
                stay.check_out = when.resolve(today).and_then(|d| d.succ_opt());
            }
            Found::One(when) | Found::Holiday(when) if stay.check_out.is_none() => {
                let anchor = stay.check_in.and_then(|d| d.succ_opt()).unwrap_or(today);
                let date = when.resolve(anchor);
                // "in Jan 20, out Jan 17" is a slip, not a year-long stay, and so is "in Dec 12,
                // out the 9th" a four-week one: no departure (a departure is always after the
                // arrival), so the caller asks for it.
                let nights = date.zip(stay.check_in).map(|(d, i)| (d - i).num_days());
                let slip = match when {
                    When::MonthDay { .. } => nights.is_some_and(|n| n > 300),
                    When::Day(day) => {
                        stay.check_in.is_some_and(|i| day < i.day())
                            && nights.is_some_and(|n| n > 14)
                    }
                    _ => false,
                };
                if !slip {
                    stay.check_out = date;
                }
            }
            Found::One(_) | Found::Holiday(_) => {}
        }
    }
    if let (Some(check_in), Some(check_out)) = (stay.check_in, stay.check_out)
        && check_out <= check_in
    {
        stay.check_out = None;
    }
    // A day alone before a written departure is in the departure's month or the one before:
    // "el 30 … el 2 de enero" is December 30, not November 30.
    if let (Some(day), Some(check_in), Some(check_out)) =
        (arrival_day, stay.check_in, stay.check_out)
        && (check_out - check_in).num_days() > 20
    {
        let same_month = check_out.with_day(day).filter(|d| *d < check_out);
        let month_before = check_out
            .with_day(1)
            .and_then(|d| d.pred_opt())
            .and_then(|d| d.with_day(day));
        if let Some(closer) = same_month
            .or(month_before)
            .filter(|d| *d > check_in && *d >= today)
        {
            stay.check_in = Some(closer);
        }
    }
    // "La navidad de 2028, del 23 al 27 de diciembre": the year written with the holiday is
    // the year of the days around it.
    if let (Some(day), Some(check_in)) = (holiday, stay.check_in)
        && day.year() > check_in.year()
        && day.month() == check_in.month()
    {
        let years = day.year() - check_in.year();
        stay.check_in = check_in.with_year(check_in.year() + years);
        stay.check_out = stay.check_out.and_then(|d| d.with_year(d.year() + years));
    }
    if stay.check_out.is_none()
        && stay.nights.is_none()
        && stay
            .check_in
            .is_some_and(|d| one_night.contains(&d.weekday()))
    {
        stay.nights = Some(1);
    }
    match (stay.check_in, stay.check_out, stay.nights) {
        (Some(check_in), None, Some(nights)) => {
            stay.check_out = check_in.checked_add_days(chrono::Days::new(nights.into()));
        }
        // "2 nights, leaving on the 6th".
        (None, Some(check_out), Some(nights)) => {
            stay.check_in = check_out
                .checked_sub_days(chrono::Days::new(nights.into()))
                .filter(|d| *d >= today);
        }
        _ => {}
    }
    stay
}
