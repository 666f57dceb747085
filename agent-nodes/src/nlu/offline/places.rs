//! Places named in a message that are not the stay asked for: a past stay ("the dates i had
//! in chicago") or where the guest goes on to ("a stop in Dallas on the way to Miami").

use crate::nlu::{lexicon, text};

/// Whether a hotel or city is named as a stay the guest had or a place they go on to, not
/// the one asked for: "the dates i had in chicago", "donde estuvimos el año pasado, en
/// Austin", "a stop in Dallas on the way to Miami".
pub(super) fn past_stay(folded: &str, named: &lexicon::Named) -> bool {
    passing_through(folded, named) || stayed(folded, named)
}

/// "A stop in Dallas on the way to Miami", "de camino a Orlando": a place the guest goes on
/// to, after the stay.
fn passing_through(folded: &str, named: &lexicon::Named) -> bool {
    const ON_TO: &[&str] = &[
        "way to",
        "way to the",
        "camino a",
        "camino al",
        "camino a la",
        "rumbo a",
        "rumbo al",
        "before heading to",
        "then on to",
        "antes de ir a",
        "antes de seguir a",
    ];
    let before = text::before(folded, named.span.start, 24);
    let before = before.trim_end();
    ON_TO.iter().any(|p| {
        before
            .strip_suffix(p)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with(' '))
    })
}

/// "Same dates I had in Chicago": a stay in the past.
fn stayed(folded: &str, named: &lexicon::Named) -> bool {
    const PAST: &[&str] = &[
        "had",
        "stayed",
        "tenia",
        "teniamos",
        "tuve",
        "tuvimos",
        "estuve",
        "estuvimos",
        "estabamos",
    ];
    text::before(folded, named.span.start, 24)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .rev()
        .find(|w| {
            !matches!(
                *w,
                "the" | "la" | "el" | "in" | "at" | "en" | "a" | "al" | "del" | "de"
            )
        })
        .is_some_and(|w| PAST.contains(&w))
}
