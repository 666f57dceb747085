//! The people of a party named one by one ("for my husband and our eldest", "mi esposa, yo
//! y el bebé"), and a request that is "for me" alone.

use std::sync::LazyLock;

use regex::Regex;

use super::{PATTERNS, compile};
use crate::nlu::{numbers, text};

/// One adult, for a request that ends "for me", "para mí", "para mí sola".
pub(in crate::nlu) fn just_me(folded: &str) -> Option<u32> {
    static FOR_ME: LazyLock<Regex> = LazyLock::new(|| {
        compile(r"\b(?:para|for|pa)\s+(?:mi|me|myself)(?:\s+sol[oa]|\s+alone|\s+only)?\W*$")
    });
    let at = FOR_ME.find(folded)?.start();
    // "Dec 3-5 works for me", "me va bien para mí": agreement, not a party.
    let agrees = text::before(folded, at, 24)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .rfind(|w| !w.is_empty())
        .is_some_and(|w| {
            matches!(
                w,
                "works"
                    | "good"
                    | "fine"
                    | "ok"
                    | "okay"
                    | "perfect"
                    | "great"
                    | "best"
                    | "bien"
                    | "vale"
                    | "sirve"
                    | "perfecto"
                    | "genial"
                    | "mejor"
                    | "easier"
                    | "better"
            )
        });
    (!agrees).then_some(1)
}

/// Words that name two people: "my parents".
pub(super) const PAIRS: &[&str] = &[
    "parents",
    "folks",
    "in-laws",
    "inlaws",
    "grandparents",
    "padres",
    "papas",
    "suegros",
    "abuelos",
    "viejos",
];

/// Possessives before a relative: "my", "nuestra".
/// Words that say which one ("my business partner", "my older brother"): no one themselves.
pub(super) const WHICH_ONE: &[&str] = &[
    "business", "best", "old", "little", "big", "younger", "older", "elder", "work", "new",
];

pub(super) const OWNERS: &[&str] = &[
    "my", "our", "his", "her", "their", "mi", "mis", "su", "sus", "nuestro", "nuestra", "nuestros",
    "nuestras", "tu", "tus",
];

/// The people named one by one after "for" ("for my husband and our eldest": 2), before
/// "want to come" ("my sister and her husband wanna come": 2) or opening the message with the
/// guest ("me my husband and 2 kids": 4); "my parents" are two.
pub(super) fn listed(folded: &str) -> Option<u32> {
    let caps = PATTERNS.listed.captures(folded)?;
    let list = caps
        .get(1)
        .or_else(|| caps.get(2))
        .or_else(|| caps.get(3))?;
    // "for my wife's birthday" is about her, not a party of one; "for my wife and kids" names
    // more people than it counts.
    if matches!(
        text::next_word(folded, list.end()),
        "s" | "birthday"
            | "anniversary"
            | "cumple"
            | "cumpleanos"
            | "aniversario"
            | "and"
            | "y"
            | "plus"
            | "with"
            | "con"
            | "e"
    ) {
        return None;
    }
    // "That works for me" says nothing of the party.
    if matches!(
        list.as_str(),
        "me" | "myself" | "yo" | "him" | "her" | "ella"
    ) {
        return None;
    }
    let separators = |c: char| c == ',' || c == '&' || c.is_whitespace();
    let mut people = 0u32;
    let mut owned = false;
    // "Her + her husband": a plus joins like "and".
    let joined = list.as_str().replace('+', " and ");
    let words: Vec<&str> = joined.split(separators).filter(|w| !w.is_empty()).collect();
    let mut counted_noun = false;
    for (i, word) in words.iter().copied().enumerate() {
        // "2 kids": the count says how many, the noun after it adds none.
        if std::mem::take(&mut counted_noun) {
            continue;
        }
        if let Some(n) = numbers::value(word).filter(|_| i + 1 < words.len())
            && !matches!(word, "a" | "an" | "un" | "una")
        {
            people += n;
            counted_noun = true;
            owned = false;
            continue;
        }
        let alone = words
            .get(i + 1)
            .is_none_or(|next| matches!(*next, "y" | "e" | "and"));
        match word {
            // "son in law" is one person.
            "and" | "n" | "plus" | "y" | "e" | "in" | "law" | "-" => {}
            "mi" if !owned && alone => people += 1,
            "me" | "myself" | "yo" if !owned => people += 1,
            // "A friend" is one person, counted at "friend"; "el bebé" at "bebe"; "para mí"
            // at "mi".
            "a" | "an" | "un" | "una" | "the" | "el" | "la" | "para" | "for" => continue,
            // "My business partner": the word saying which one is no one.
            w if owned && WHICH_ONE.contains(&w) => continue,
            // "For him and her": a possessive with no one after it is the person.
            "her" if !owned && alone => people += 1,
            w if OWNERS.contains(&w) => {
                owned = true;
                continue;
            }
            w if PAIRS.contains(&w) => people += 2,
            _ => people += 1,
        }
        owned = false;
    }
    (people > 0).then_some(people)
}
