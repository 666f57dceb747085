//! Finding the caller's hotels, cities and room types in a message, tolerating typos.
//!
//! Every name, alias and synonym of the [`Lexicon`] is folded and split into words; a message
//! names it when consecutive words of the message match all its words. Two words match when
//! they are equal or, for a catalog word of 4 letters or more, when they start with the same
//! letter and are within a Damerau-Levenshtein distance (`strsim`) of 1 (2 from 8 letters):
//! "Madird", "dobule", "suit" and "Valenica" match, while short words ("Sol", "Mar") must be
//! exact, because one edit away from a 3-letter word is half the dictionary.

use std::ops::Range;

use super::Lexicon;
use super::text::{self, Token};

/// Words longer than this are never compared with an edit distance: no catalog word is that
/// long, and it keeps each comparison bounded on hostile input.
const MAX_WORD: usize = 32;

/// One thing a message can name, and the phrases that name it.
#[derive(Debug, Clone)]
struct Entry {
    /// What is reported: a hotel id, a city as the catalog spells it, a room type id.
    value: String,
    /// Each phrase as folded words.
    phrases: Vec<Vec<String>>,
}

impl Entry {
    fn new<'a>(value: &str, names: impl IntoIterator<Item = &'a str>) -> Entry {
        let phrases = names
            .into_iter()
            .map(|name| {
                let folded = text::fold(name);
                text::tokens(&folded)
                    .into_iter()
                    .map(|t| t.text.to_owned())
                    .collect::<Vec<_>>()
            })
            .filter(|words| !words.is_empty())
            .collect();
        Entry {
            value: value.to_owned(),
            phrases,
        }
    }
}

/// A match of an entry in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Named {
    /// The entry's value.
    pub(super) value: String,
    /// The matched words in the folded text.
    pub(super) span: Range<usize>,
}

/// The catalog, folded and split once for matching.
#[derive(Debug, Clone)]
pub(super) struct Index {
    hotels: Vec<Entry>,
    cities: Vec<Entry>,
    rooms: Vec<Entry>,
}

impl Index {
    pub(super) fn new(catalog: &Lexicon) -> Index {
        let hotels = catalog
            .hotels
            .iter()
            .map(|h| {
                let names =
                    std::iter::once(h.name.as_str()).chain(h.aliases.iter().map(String::as_str));
                Entry::new(&h.id, names)
            })
            .collect();
        let mut cities: Vec<Entry> = Vec::new();
        for hotel in &catalog.hotels {
            if !cities.iter().any(|c| c.value == hotel.city) {
                cities.push(Entry::new(&hotel.city, [hotel.city.as_str()]));
            }
        }
        let rooms = catalog
            .room_types
            .iter()
            .map(|r| Entry::new(&r.id, r.names.iter().map(String::as_str)))
            .collect();
        Index {
            hotels,
            cities,
            rooms,
        }
    }

    /// The hotel named in `folded`.
    pub(super) fn hotel(&self, folded: &str) -> Option<Named> {
        best(&self.hotels, &text::tokens(folded))
    }

    /// The city named in `folded`.
    pub(super) fn city(&self, folded: &str) -> Option<Named> {
        best(&self.cities, &text::tokens(folded))
    }

    /// The room type named in `folded`.
    pub(super) fn room(&self, folded: &str) -> Option<Named> {
        best(&self.rooms, &text::tokens(folded))
    }
}

/// The best match of any entry: fewest edits, then most words, then earliest.
fn best(entries: &[Entry], tokens: &[Token<'_>]) -> Option<Named> {
    let mut best: Option<((usize, usize, usize), Named)> = None;
    for (start, _) in tokens.iter().enumerate() {
        for entry in entries {
            for phrase in &entry.phrases {
                let Some(window) = tokens.get(start..start + phrase.len()) else {
                    continue;
                };
                let Some(cost) = phrase_edits(phrase, window) else {
                    continue;
                };
                let rank = (cost, usize::MAX - phrase.len(), start);
                if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                    let span = window[0].span.start..window[window.len() - 1].span.end;
                    best = Some((
                        rank,
                        Named {
                            value: entry.value.clone(),
                            span,
                        },
                    ));
                }
            }
        }
    }
    best.map(|(_, named)| named)
}

/// Total edits for `window` to spell `phrase`, if every word matches.
fn phrase_edits(phrase: &[String], window: &[Token<'_>]) -> Option<usize> {
    phrase
        .iter()
        .zip(window)
        .map(|(want, got)| edits(got.text, want))
        .sum()
}

/// Edits for `word` to spell the catalog word `target`, within the tolerance described in the
/// module docs.
fn edits(word: &str, target: &str) -> Option<usize> {
    if word == target {
        return Some(0);
    }
    // Words of their own, a letter or two from a name: "las mañanas" is no "las montañas",
    // "la playa" no "la plaza".
    // ("Mucha plata" is a lot of money, not the Plaza.)
    const WORDS: &[&str] = &[
        "manana", "mananas", "playa", "playas", "place", "places", "standing", "plata", "platas",
    ];
    if WORDS.contains(&word) {
        return None;
    }
    let allowed = match target.len() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    let comparable = allowed > 0
        && word.len() >= 4
        && word.len() <= MAX_WORD
        && word.as_bytes().first() == target.as_bytes().first()
        && word.len().abs_diff(target.len()) <= allowed;
    if !comparable {
        return None;
    }
    let distance = strsim::damerau_levenshtein(word, target);
    (distance <= allowed).then_some(distance)
}
