//! Month and weekday names, and placing a date as written ("Dec 3", "the 3rd", "next Friday")
//! on the calendar relative to an anchor (today, or the day after check-in for a departure).

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

/// A date as written, before it is placed on the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum When {
    /// A calendar date: written with a year, or relative to today ("tomorrow").
    On(NaiveDate),
    /// A month and day without a year: the next one on or after the anchor.
    MonthDay {
        /// 1 to 12.
        month: u32,
        /// 1 to 31 (an impossible date places nowhere).
        day: u32,
    },
    /// A day of the month alone ("the 3rd", "el 3"): the next one on or after the anchor.
    Day(u32),
    /// A weekday: the next one on or after the anchor; with "next", strictly after it.
    Weekday {
        /// Which day.
        weekday: Weekday,
        /// Said with "next" / "próximo".
        next: bool,
    },
}

impl When {
    /// The date this names, counting from `anchor`; `None` for an impossible date
    /// ("February 30", "the 32nd").
    pub(super) fn resolve(self, anchor: NaiveDate) -> Option<NaiveDate> {
        match self {
            When::On(date) => Some(date),
            // Eight years always reach the next February 29.
            When::MonthDay { month, day } => (0..=8).find_map(|k| {
                let date = NaiveDate::from_ymd_opt(anchor.year().checked_add(k)?, month, day)?;
                (date >= anchor).then_some(date)
            }),
            // Thirteen months always reach a month with a 31st on or after the anchor.
            When::Day(day) => {
                let first = anchor.with_day(1)?;
                (0..13).find_map(|k| {
                    let date = first.checked_add_months(Months::new(k))?.with_day(day)?;
                    (date >= anchor).then_some(date)
                })
            }
            When::Weekday { weekday, next } => {
                let mut ahead = (7 + weekday.num_days_from_monday()
                    - anchor.weekday().num_days_from_monday())
                    % 7;
                if next && ahead == 0 {
                    ahead = 7;
                }
                anchor.checked_add_days(Days::new(ahead.into()))
            }
        }
    }
}

/// A date with an explicit year; two-digit years are 20xx.
pub(super) fn written(year: i32, month: u32, day: u32) -> Option<When> {
    let year = if year < 100 { 2000 + year } else { year };
    NaiveDate::from_ymd_opt(year, month, day).map(When::On)
}

/// The weekend stay of Friday and Saturday nights: check-in Friday (or today, if the weekend
/// has begun), check-out Sunday. "This weekend" is the current Monday-to-Sunday week's, or the
/// following week's once its Sunday has come; "next weekend" is always the following week's.
pub(super) fn weekend(today: NaiveDate, next: bool) -> Option<(NaiveDate, NaiveDate)> {
    let monday =
        today.checked_sub_days(Days::new(today.weekday().num_days_from_monday().into()))?;
    let over = today.weekday() == Weekday::Sun;
    let week = if next || over { 7 } else { 0 };
    let friday = monday.checked_add_days(Days::new(4 + week))?;
    let sunday = monday.checked_add_days(Days::new(6 + week))?;
    Some((friday.max(today), sunday))
}

/// `today` plus `n` units ("days", "semanas", "month", …).
pub(super) fn later(today: NaiveDate, n: u32, unit: &str) -> Option<NaiveDate> {
    match unit.as_bytes().first() {
        Some(b'd') => today.checked_add_days(Days::new(n.into())),
        Some(b'w') | Some(b's') => today.checked_add_days(Days::new(u64::from(n) * 7)),
        Some(b'm') => today.checked_add_months(Months::new(n)),
        _ => None,
    }
}

/// Month names and abbreviations, English and Spanish (folded).
#[rustfmt::skip]
const MONTHS: &[(&str, u32)] = &[
    ("january", 1), ("jan", 1), ("enero", 1), ("ene", 1), ("february", 2), ("febrero", 2),
    ("feb", 2), ("march", 3), ("marzo", 3), ("mar", 3), ("april", 4), ("abril", 4), ("apr", 4),
    ("abr", 4), ("may", 5), ("mayo", 5), ("june", 6), ("junio", 6), ("jun", 6), ("july", 7),
    ("julio", 7), ("jul", 7), ("august", 8), ("agosto", 8), ("aug", 8), ("ago", 8),
    ("september", 9), ("septiembre", 9), ("setiembre", 9), ("sept", 9), ("sep", 9), ("october", 10),
    ("octubre", 10), ("oct", 10), ("november", 11), ("noviembre", 11), ("nov", 11),
    ("december", 12), ("diciembre", 12), ("dec", 12), ("dic", 12),
];

/// A regex group (capturing) of the month names.
pub(super) fn month_pattern() -> String {
    let names: Vec<&str> = MONTHS.iter().map(|(name, _)| *name).collect();
    format!("({})", names.join("|"))
}

/// The month a name means.
pub(super) fn month(name: &str) -> Option<u32> {
    MONTHS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

/// Words one letter from a month's name that are words of their own ("junto al 5", "abrir el 3",
/// "the mayor", "en marcha").
const NOT_MONTHS: &[&str] = &[
    "junto", "junta", "abrir", "mayor", "marcha", "marcho", "jane",
];

/// The month a misspelt name means ("marso", "febrary", "dicimbre", "agost"), when the word is
/// beside a day number, so "junto 2" stays a word: only full names (five letters or more) are
/// mended, within one edit (two from eight letters), with the first letter right.
pub(super) fn misspelt_month(word: &str) -> Option<&'static str> {
    if word.len() < 4 || month(word).is_some() || NOT_MONTHS.contains(&word) {
        return None;
    }
    MONTHS
        .iter()
        .filter(|(name, _)| name.len() >= 5 && name.as_bytes()[0] == word.as_bytes()[0])
        .find(|(name, _)| {
            let allowed = if name.len() >= 8 { 2 } else { 1 };
            word.len().abs_diff(name.len()) <= allowed
                && strsim::damerau_levenshtein(word, name) <= allowed
        })
        .map(|(name, _)| *name)
}

/// Weekday names, English and Spanish (folded).
#[rustfmt::skip]
const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Mon), ("tuesday", Weekday::Tue), ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu), ("friday", Weekday::Fri), ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun), ("lunes", Weekday::Mon), ("martes", Weekday::Tue),
    ("miercoles", Weekday::Wed), ("jueves", Weekday::Thu), ("viernes", Weekday::Fri),
    ("sabado", Weekday::Sat), ("domingo", Weekday::Sun),
    // Short forms, after the full names; "sun", "mar" and "wed" ("we'd" folded) are words of
    // their own.
    ("mon", Weekday::Mon), ("tues", Weekday::Tue), ("tue", Weekday::Tue), ("weds", Weekday::Wed),
    ("thurs", Weekday::Thu), ("thur", Weekday::Thu), ("thu", Weekday::Thu),
    ("fri", Weekday::Fri), ("sat", Weekday::Sat),
    // Spanish short forms ("del vie 11 al lun 14"); "mar" is March or the sea first.
    ("lun", Weekday::Mon), ("mie", Weekday::Wed), ("jue", Weekday::Thu), ("vie", Weekday::Fri),
    ("sab", Weekday::Sat), ("dom", Weekday::Sun),
];

/// A regex group (capturing) of the weekday names.
pub(super) fn weekday_pattern() -> String {
    let names: Vec<&str> = WEEKDAYS.iter().map(|(name, _)| *name).collect();
    format!("({})", names.join("|"))
}

/// The weekday a name means.
pub(super) fn weekday(name: &str) -> Option<Weekday> {
    WEEKDAYS.iter().find(|(n, _)| *n == name).map(|(_, w)| *w)
}
