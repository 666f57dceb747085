//! Stays weighed against each other: "dec 18-21 vs jan 8-11", "¿me conviene entrar el viernes
//! 11 o el lunes 14? son 2 noches", "o el del 18 o el de navidad (25 al 27)". Each choice is
//! read on its own by the offline NLU, so the two are never taken for one long stay.

use std::sync::LazyLock;

use agent_nodes::nlu::OfflineNlu;
use chrono::{Datelike, NaiveDate};
use regex::Regex;

use super::compile;
use crate::text::fold;

/// One stay offered as a choice: its arrival, and its departure when the message gives one
/// (or the length of the other choices does).
pub type DateOption = (NaiveDate, Option<NaiveDate>);

/// What separates choices: "vs", "or", "o", "compared to" (not "u", which is "you" as often).
static BETWEEN: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"\s(?:vs\.?|versus|or|o|compared\s+to|comparado\s+con|frente\s+a)\s")
});

/// Words that weigh choices, when they are only joined by "or": "which is cheaper", "¿me
/// conviene…?", "q diferencia hay".
static WEIGHS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:which|cheaper|cheapest|better|difference|how\s+much|price|prices|cost|costs|cual|conviene|barat\w*|diferencia|cuanto|precio|precios|sale)\b|\?",
    )
});

/// The stays `message` weighs, in the order written; empty unless it offers two or more
/// different arrivals.
pub fn date_options(nlu: &OfflineNlu, message: &str, today: NaiveDate) -> Vec<DateOption> {
    let folded = fold(message);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut weighed = false;
    for m in BETWEEN.find_iter(&folded) {
        pieces.push(&folded[start..m.start()]);
        start = m.end();
        let word = m.as_str().trim();
        weighed |= !matches!(word, "or" | "o");
    }
    pieces.push(&folded[start..]);
    if pieces.len() < 2 || !(weighed || WEIGHS.is_match(&folded)) {
        return Vec::new();
    }
    let mut options: Vec<(NaiveDate, Option<NaiveDate>, Option<u32>)> = Vec::new();
    for piece in pieces {
        let e = nlu.analyze(piece, today).entities;
        let Some(mut check_in) = e.check_in else {
            continue;
        };
        let mut check_out = e.check_out;
        // "Del 15 al 17 de enero comparado con del 17 al 19": days without a month are in the
        // month of the choice before them.
        let piece_words = crate::text::words(piece);
        // ("Dec 28 or next friday": a relative day stays where it falls.)
        if let Some((before, ..)) = options.last()
            && super::dates::months(&piece_words).is_empty()
            && !super::dates::RELATIVE.is_match(piece)
            && let Some(placed) = before.with_day(1).and_then(|first| {
                first
                    .iter_days()
                    .take(62)
                    .find(|d| d.day() == check_in.day())
            })
            && placed >= today
        {
            // ("Del 26 al 31" read alone fell in November and ran into December: the 31st
            // after the arrival placed.)
            // (A length said in nights keeps it.)
            let length = check_out.map(|out| out - check_in);
            check_out = check_out.and_then(|out| {
                let by_day = placed
                    .iter_days()
                    .skip(1)
                    .take(31)
                    .find(|d| d.day() == out.day());
                match (e.nights, by_day) {
                    (None, Some(day)) => Some(day),
                    _ => length.map(|n| placed + n),
                }
            });
            check_in = placed;
        }
        if !options.iter().any(|(i, ..)| *i == check_in) {
            options.push((check_in, check_out, e.nights));
        }
    }
    if options.len() < 2 {
        return Vec::new();
    }
    // "El viernes 11 o el lunes 14? son 2 noches": a length said once is every choice's.
    let whole = nlu.analyze(&folded, today).entities.nights;
    let length = options
        .iter()
        .find_map(|(i, o, n)| n.map(i64::from).or_else(|| o.map(|o| (o - *i).num_days())))
        .or(whole.map(i64::from));
    options
        .into_iter()
        .map(|(check_in, check_out, _)| {
            let check_out = check_out.or_else(|| {
                length.and_then(|n| check_in.checked_add_signed(chrono::Duration::days(n)))
            });
            (check_in, check_out)
        })
        .collect()
}
