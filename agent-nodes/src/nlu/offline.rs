//! [`OfflineNlu`], the rule-based engine: no network, no key, deterministic.

use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::NaiveDate;
use regex::Regex;

use super::{
    Entities, Lexicon, Understand, Understanding, dates, guests, identity, intents, lang, lexicon,
    sentiment, text,
};
use crate::error::Error;

mod places;

use places::past_stay;

/// Understands English and Spanish hotel chat with rules: intent with a confidence, dates
/// relative to `today`, head counts, the caller's hotels, cities and room types (typos
/// tolerated), booking reference, email, name, language and sentiment.
///
/// Only the first [`OfflineNlu::MAX_CHARS`] characters of a message are read, and every rule is
/// a linear-time regex or a scan over words, so the work is bounded whatever a guest pastes.
///
/// ```
/// use agent_nodes::nlu::{Lexicon, LexiconHotel, Intent, Language, OfflineNlu};
/// use chrono::NaiveDate;
///
/// let lexicon = Lexicon {
///     hotels: vec![LexiconHotel {
///         id: "sol".into(),
///         name: "Hotel Sol".into(),
///         city: "Madrid".into(),
///         aliases: vec![],
///     }],
///     room_types: vec![],
///     reference: None,
/// };
/// let nlu = OfflineNlu::new(lexicon);
/// let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
/// let u = nlu.analyze("Quiero reservar en el Hotel Sol del 3 al 6 de diciembre, somos 2", today);
/// assert_eq!(u.intent, Intent::ReservationRequest);
/// assert_eq!(u.language, Language::Es);
/// assert_eq!(u.entities.hotel.as_deref(), Some("sol"));
/// assert_eq!(u.entities.check_in, NaiveDate::from_ymd_opt(2026, 12, 3));
/// assert_eq!(u.entities.check_out, NaiveDate::from_ymd_opt(2026, 12, 6));
/// assert_eq!(u.entities.adults, Some(2));
/// ```
#[derive(Debug, Clone)]
pub struct OfflineNlu {
    lexicon: Lexicon,
    index: lexicon::Index,
    reference: Option<regex::Regex>,
}

impl OfflineNlu {
    /// How many characters of a message are analysed; the rest is ignored. Guest messages are
    /// far shorter, and a bound keeps the work on hostile input small.
    pub const MAX_CHARS: usize = 2000;

    /// An engine that knows the hotels and room types of `lexicon`.
    pub fn new(lexicon: Lexicon) -> Self {
        let index = lexicon::Index::new(&lexicon);
        let reference = lexicon.reference.as_deref().and_then(|pattern| {
            regex::Regex::new(pattern)
                .inspect_err(|e| tracing::warn!(%pattern, error = %e, "the lexicon's reference pattern does not compile; reading generic references"))
                .ok()
        });
        OfflineNlu {
            lexicon,
            index,
            reference,
        }
    }

    /// The lexicon it was built from.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Understands `text`, with relative dates counted from `today`. Never fails and never
    /// panics: what is not understood is left out.
    pub fn analyze(&self, text: &str, today: NaiveDate) -> Understanding {
        let raw = text::prefix(text, Self::MAX_CHARS);
        // An email or a reference is copied, not read: both are found before elongations
        // collapse, so "ABH-BNJJJ5" keeps its three J's.
        let mut letters = text::fold_letters(raw);
        let email = identity::email(&mut letters);
        let booking_ref = identity::booking_ref(&mut letters, self.reference.as_ref());

        let folded = text::fold(raw);
        let tokens = text::tokens(&folded);
        let language = lang::detect(raw, &tokens);
        let sentiment = sentiment::analyze(raw, &folded, &tokens, booking_ref.as_deref());

        // Each step masks what it understood, so the next cannot read it again: an email's
        // words are no cue, a reference's digits no date, "Hotel Mar 3" no March, a date's
        // digits no head count.
        let mut folded = text::collapse_elongations(&letters);
        let cue_text = folded.clone();
        let name = identity::name(raw);
        // Of two hotels named, the later is the one asked for ("too cold in Chicago, let's do
        // Miami instead"; "we stayed at the Grand Plaza, this time the Heritage").
        let hotel = self.take_last(&mut folded, |index, t| index.hotel(t));
        let city = self.take(&mut folded, |index, t| index.city(t));
        let room_type = self.take(&mut folded, |index, t| {
            index.room(t).filter(|n| names_a_room(t, n))
        });
        // "the difference between standard and deluxe" chooses neither; "the suite is too
        // much, the deluxe then" chooses the one named last.
        let other_room = self
            .take(&mut folded, |index, t| {
                index.room(t).filter(|n| names_a_room(t, n))
            })
            .filter(|other| Some(other) != room_type.as_ref());
        let room_type = match other_room {
            Some(_) => self
                .settled_room(&cue_text)
                .or_else(|| self.room_not_too_dear(&cue_text)),
            None => room_type,
        };
        let stay = dates::extract(&mut folded, language, today);
        let mut party = guests::extract(&folded);
        // "Estándar en el city center, 3 noches desde el 10, para mí": with a room or dates
        // asked for, a request that ends "for me" is for one ("that works for me" asks nothing).
        let asks_for_a_stay = room_type.is_some() || stay.check_in.is_some();
        if party.adults.is_none() && party.children.is_none() && asks_for_a_stay {
            party.adults = guests::just_me(&folded);
        }

        let signals = intents::Signals {
            dated: stay.check_in.is_some() || stay.check_out.is_some() || stay.nights.is_some(),
            party: party.adults.is_some() || party.children.is_some(),
            place: hotel.is_some() || city.is_some() || room_type.is_some(),
            booking_ref: booking_ref.is_some(),
            question: raw.contains('?'),
            sentiment: sentiment.score,
            attention: sentiment.requires_attention,
        };
        let (intent, confidence) = intents::classify(&cue_text, &signals);
        let entities = Entities {
            check_in: stay.check_in,
            check_out: stay.check_out,
            nights: stay.nights,
            adults: party.adults,
            children: party.children,
            room_type,
            hotel,
            city,
            booking_ref,
            email,
            name,
        };
        Understanding {
            intent,
            confidence,
            language,
            entities,
            sentiment,
            provider: "offline".to_owned(),
        }
    }

    /// The rooms `folded` names (up to four), less those the guest rules out.
    fn rooms_named(&self, folded: &str) -> Vec<lexicon::Named> {
        let mut scratch = folded.to_owned();
        let mut rooms = Vec::new();
        for _ in 0..4 {
            let Some(named) = self
                .index
                .room(&scratch)
                .filter(|n| names_a_room(&scratch, n))
            else {
                break;
            };
            text::mask(&mut scratch, [named.span.clone()]);
            if !ruled_out(folded, &named) {
                rooms.push(named);
            }
        }
        rooms
    }

    /// Of two rooms named, the one left when the other is too dear: "yes but the standard one,
    /// the deluxe is a bit much", "la suite es muy cara, la deluxe".
    fn room_not_too_dear(&self, folded: &str) -> Option<String> {
        let mut kept: Vec<String> = self
            .rooms_named(folded)
            .into_iter()
            .filter(|n| !TOO_DEAR.is_match(folded.get(n.span.end..).unwrap_or("")))
            .map(|n| n.value)
            .collect();
        kept.dedup();
        match kept.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }

    /// Of several rooms named, the one a settling word picks: the room after "mejor", "go
    /// with", "prefer" ("mejor standard, no nos aprueban la deluxe"), or before "then",
    /// "entonces", "instead" ("the suite is too much, the deluxe then"); none without one.
    fn settled_room(&self, folded: &str) -> Option<String> {
        let settles = SETTLES.captures(folded)?;
        let word = settles.get(0)?;
        let rooms = self.rooms_named(folded);
        // Group 1 holds the words whose choice comes before them.
        let chosen = if settles.get(1).is_some() {
            rooms
                .iter()
                .filter(|n| n.span.end <= word.start())
                .max_by_key(|n| n.span.start)
        } else {
            rooms
                .iter()
                .filter(|n| n.span.start >= word.end())
                .min_by_key(|n| n.span.start)
        };
        chosen.map(|n| n.value.clone())
    }

    /// Like [`Self::take`], but reads every mention and returns the value of the last one that
    /// is not a past stay.
    fn take_last(
        &self,
        folded: &mut String,
        find: impl Fn(&lexicon::Index, &str) -> Option<lexicon::Named>,
    ) -> Option<String> {
        // Ranked by (not a past stay, position): "book the dallas one, same dates i had in
        // chicago" asks for Dallas; a past stay named alone is still the one meant ("cancel
        // the room i had in chicago").
        let mut last: Option<((bool, usize), lexicon::Named)> = None;
        for _ in 0..4 {
            let Some(named) = find(&self.index, folded) else {
                break;
            };
            let ruled_out = ruled_out(folded, &named);
            let rank = (!past_stay(folded, &named), named.span.start);
            text::mask(folded, [named.span.clone()]);
            if !ruled_out && last.as_ref().is_none_or(|(r, _)| rank > *r) {
                last = Some((rank, named));
            }
        }
        last.map(|(_, named)| named.value)
    }

    /// Finds one lexicon entry with `find`, masks it, and returns its value. A mention the
    /// guest rules out ("no deluxe, standard is fine", "not the Grand Plaza") is masked and
    /// passed over.
    fn take(
        &self,
        folded: &mut String,
        find: impl Fn(&lexicon::Index, &str) -> Option<lexicon::Named>,
    ) -> Option<String> {
        for _ in 0..4 {
            let named = find(&self.index, folded)?;
            let ruled_out = ruled_out(folded, &named);
            text::mask(folded, [named.span]);
            if !ruled_out {
                return Some(named.value);
            }
        }
        None
    }
}

/// Whether the words just before a mention rule it out: "no", "not", "instead of", "en vez de".
fn ruled_out(folded: &str, named: &lexicon::Named) -> bool {
    let before = text::before(folded, named.span.start, 24);
    let mut words: Vec<&str> = before
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // "instead of the", "en vez del": the phrase with only articles dropped after it.
    let mut phrase_words = words.clone();
    while phrase_words
        .last()
        .is_some_and(|w| matches!(*w, "the" | "la" | "el" | "los" | "las" | "a" | "un" | "una"))
    {
        phrase_words.pop();
    }
    let phrase_tail = phrase_words.join(" ");
    // "not the", "no el de": articles and "of" between the negation and the name.
    while words.last().is_some_and(|w| {
        matches!(
            *w,
            "the"
                | "la"
                | "el"
                | "a"
                | "una"
                | "un"
                | "de"
                | "del"
                | "of"
                | "los"
                | "las"
                | "en"
                | "in"
                | "at"
                | "al"
        )
    }) {
        words.pop();
    }
    if kept(folded, named, &words) {
        return true;
    }
    // "no deluxe" rules the deluxe out; "no, deluxe please" answers no and asks for it.
    let joined = before
        .trim_end()
        .ends_with(|c: char| c.is_ascii_alphanumeric());
    (joined
        && matches!(
            words.last(),
            Some(&("no" | "not" | "sin" | "nor" | "ni" | "forget" | "olvida" | "except"))
        ))
        // "al final no vamos a Colorado", "we're not going to Miami after all".
        || NOT_GOING.iter().any(|p| phrase_tail.ends_with(p))
        // "We're driving down from Orlando", "venimos desde Monterrey": where the guest starts.
        || matches!(words.last(), Some(&("from" | "desde")))
        || [
            "instead of",
            "rather than",
            "en vez de",
            "en vez del",
            "en lugar de",
            "en lugar del",
            "olvidate de",
            "olvidate del",
            "olvida lo de",
            "olvida lo del",
            "olvidate de lo de",
            "olvidate de lo del",
            "forget about",
        ]
        .iter()
        .any(|p| phrase_tail.ends_with(p))
}

/// Ways of saying the guest is not going somewhere, before its name; checked with the
/// articles after them dropped ("no vamos a" ends as "no vamos").
const NOT_GOING: &[&str] = &[
    "no vamos",
    "no voy",
    "no iremos",
    "no vamos al",
    "not going to",
    "wont go to",
];

/// What follows a room the guest finds too dear: "is a bit much", "es muy cara".
static TOO_DEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:one\s+|room\s+|habitacion\s+)?(?:is|s|es|esta|sounds|seems|looks)\s+(?:a\s+bit\s+|a\s+little\s+|way\s+|un\s+poco\s+|muy\s+|demasiado\s+|too\s+|bastante\s+)?(?:much|expensive|pricey|steep|caro|cara|costly|mucho|out\s+of\s+(?:my|our)\s+budget)\b",
    )
    .unwrap_or_else(|e| panic!("too-dear rule: {e}"))
});

/// Words that settle a choice between options named: "the suite is too much, the deluxe
/// then", "mejor la estándar".
static SETTLES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:(then|entonces|instead)|mejor|prefer\w*|go\s+with|lets\s+do|vamos\s+con|me\s+quedo\s+con|nos\s+quedamos\s+con)\b",
    )
    .unwrap_or_else(|e| panic!("settles rule: {e}"))
});

/// Whether the guest keeps what they name, so it is not what the message asks about: "cancel
/// the Orlando trip, the Dallas one stays", "keep the Miami one", "la de Austin la mantengo".
fn kept(folded: &str, named: &lexicon::Named, before: &[&str]) -> bool {
    const AFTER: &[&str] = &[
        "stays",
        "remains",
        "queda",
        "mantengo",
        "mantenemos",
        "sigue",
        "dejo",
        "dejamos",
    ];
    const BEFORE: &[&str] = &[
        "keep",
        "keeping",
        "mantener",
        "mantengo",
        "conservar",
        "conservo",
    ];
    let after = folded.get(named.span.end..).unwrap_or("");
    let next: Vec<&str> = after
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(3)
        .collect();
    next.iter().any(|w| AFTER.contains(w))
        || before.iter().rev().take(2).any(|w| BEFORE.contains(w))
}

/// Whether a room word names a room rather than describing something else: "family" in "a
/// family of five", "a family trip" or "un viaje familiar" is no family room.
fn names_a_room(folded: &str, named: &lexicon::Named) -> bool {
    const NOT_AFTER: &[&str] = &[
        "of",
        "trip",
        "trips",
        "vacation",
        "vacations",
        "holiday",
        "holidays",
        "reunion",
        "friendly",
        "member",
        "members",
        "emergency",
        "thing",
        "issue",
        "stuff",
        "plan",
        "plans",
        "visit",
        "event",
        "getaway",
        "matter",
        "matters",
        "de",
    ];
    const NOT_BEFORE: &[&str] = &[
        "viaje",
        "reunion",
        "asunto",
        "emergencia",
        "plan",
        "visita",
        "evento",
        "escapada",
        "problema",
        "motivo",
        "motivos",
        "our",
        "my",
        "mi",
        "nuestra",
        "whole",
    ];
    let next = text::next_word(folded, named.span.end);
    let before = text::before(folded, named.span.start, 24).trim_end();
    let previous = before
        .rsplit(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("");
    let word = folded.get(named.span.clone()).unwrap_or("");
    // "Con la familia" are the people; the room is "la familiar".
    if word == "familia" {
        return false;
    }
    let generic = matches!(word, "family" | "familiar") && !matches!(next, "room" | "rooms");
    !(generic && (NOT_AFTER.contains(&next) || NOT_BEFORE.contains(&previous)))
}

// dyn-compatible: stored as Box<dyn Understand> in a fallback chain.
#[async_trait]
impl Understand for OfflineNlu {
    fn provider(&self) -> &str {
        "offline"
    }

    async fn understand(&self, text: &str, today: NaiveDate) -> Result<Understanding, Error> {
        Ok(self.analyze(text, today))
    }
}
