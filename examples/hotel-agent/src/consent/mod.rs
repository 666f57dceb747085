//! The guest's answer to a quote, read from the message itself and from nothing else: not
//! from the intent an NLU or a model reports, so a model that calls "just looking" an
//! acceptance cannot make the agent book.
//!
//! A message is an [`Answer::Accept`] only when every word of it belongs to a clear acceptance:
//! at least one *strong* word or phrase ("yes", "go ahead", "confirm", "sí", "dale", "de
//! acuerdo", "book it") and otherwise only *weak* agreement ("ok", "perfect", "vale") and
//! politeness ("please", "thanks", "porfa"). One word outside those lists — a correction, a
//! question, "just looking", a date — and it is not an acceptance. "ok", "sure" or a 👍 alone are
//! [`Answer::Unclear`]: the agent asks again with the exact terms; thanks and nothing more
//! ("ok thanks, that helps") puts the decision off.
//!
//! Two narrow exceptions keep a clear yes a yes when something harmless follows it in a clause
//! of its own: a question about the hotel ("Yes book it. Is there a shuttle btw?" — never one
//! about the price, a fee, a refund or a condition), answered after the booking; and, for a
//! cancellation only, its reason and nothing else ("yes cancel it, can't make it anyway").

mod clauses;
mod refusals;
mod whole;
mod words;

use crate::text::words;
use clauses::{by_sentence, yes_then_question, yes_then_reason};
use refusals::{DECLINE_PHRASES, DEFER_PHRASES, HEDGES, NO};
use whole::{classify_whole, contains_phrase, plain};
pub(crate) use words::thanks_word;
use words::{STRONG, STRONG_PHRASES, action_words};

/// What a message says to a pending quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// An unambiguous yes to the quoted terms.
    Accept,
    /// A no: the quote is dropped.
    Decline,
    /// Not now ("let me think", "I'll check with my wife", "just looking"): the quote is dropped,
    /// the request kept, and nothing is booked.
    Defer,
    /// Anything else: neither yes nor no.
    Unclear,
}

/// What a pending quote would do, for the verbs that accept it ("book it", "cancel it").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoted {
    /// A new booking.
    Booking,
    /// New dates for a booking.
    Reschedule,
    /// A cancellation.
    Cancellation,
}

/// Whether `message` holds a strong yes ("yes", "confirm", "dale") and nothing that refuses,
/// puts off or asks. Used only where the terms cannot have changed: a message that restates
/// the quote it answers ("ok the deluxe, yes book it" to a quote for the deluxe).
pub fn says_yes(message: &str, quoted: Quoted) -> bool {
    if message.contains('?') || message.contains('¿') {
        return false;
    }
    let folded = plain(message);
    let words = words(&folded);
    let refuses = DECLINE_PHRASES
        .iter()
        .chain(DEFER_PHRASES)
        .chain(HEDGES)
        .any(|p| contains_phrase(&words, p))
        || words.first().is_some_and(|w| NO.contains(w));
    let strong = words
        .iter()
        .any(|w| STRONG.contains(w) || action_words(quoted).contains(w))
        || STRONG_PHRASES.iter().any(|p| contains_phrase(&words, p));
    strong && !refuses
}

/// Whether `message` says a plain yes somewhere ("70 bucks?? fine. yes go ahead"), whatever
/// else it says; verbs like "change" or "book" alone are not one.
pub fn has_yes(message: &str) -> bool {
    let folded = plain(message);
    let words = words(&folded);
    words.iter().any(|w| STRONG.contains(w))
        || STRONG_PHRASES.iter().any(|p| contains_phrase(&words, p))
}

/// Whether `message` puts the decision off until later ("let me think", "I'll check with my
/// wife", "mañana lo confirmo"), whatever else it says: dates in it are not a new request.
pub fn puts_off(message: &str) -> bool {
    let folded = plain(message);
    let words = words(&folded);
    DEFER_PHRASES.iter().any(|p| contains_phrase(&words, p))
}

/// Whether `message` keeps a booking as it is ("déjala como está", "leave it as it is",
/// "keep the original dates"), whatever dates it mentions on the way ("en navidad sale más
/// caro... déjala como está").
pub fn keeps_as_is(message: &str) -> bool {
    const KEEPS: &[&[&str]] = &[
        &["keep", "it"],
        &["leave", "it"],
        &["as", "it", "is"],
        &["como", "esta"],
        &["dejala"],
        &["dejalo"],
        &["dejarla"],
        &["dejarlo"],
        &["la", "dejo"],
        &["lo", "dejo"],
        &["no", "la", "cambies"],
        &["no", "lo", "cambies"],
        &["no", "la", "muevas"],
        &["dont", "change"],
        &["don", "t", "change"],
        &["dont", "move"],
        &["don", "t", "move"],
        &["mantenerla"],
        &["mantenerlo"],
        &["la", "mantengo"],
        &["original", "dates"],
        &["fechas", "originales"],
    ];
    let folded = plain(message);
    let words = words(&folded);
    KEEPS.iter().any(|p| contains_phrase(&words, p))
}

/// Whether `message` drops the whole request ("forget all that", "never mind", "empezamos de
/// nuevo"): a place named beside it is why, or where to start again, not a correction.
pub fn drops_it(message: &str) -> bool {
    const DROPS: &[&[&str]] = &[
        &["forget", "it"],
        &["forget", "all", "that"],
        &["forget", "that"],
        &["forget", "about", "it"],
        &["never", "mind"],
        &["nevermind"],
        &["scratch", "that"],
        &["start", "over"],
        &["start", "again"],
        &["olvidalo"],
        &["olvida", "eso"],
        &["olvidate"],
        &["empezamos", "de", "nuevo"],
        &["empecemos", "de", "nuevo"],
        &["empezar", "de", "nuevo"],
        &["desde", "cero"],
    ];
    let folded = plain(message);
    let words = words(&folded);
    DROPS.iter().any(|p| contains_phrase(&words, p))
}

/// How `message` answers a pending quote of kind `quoted`.
pub fn classify(message: &str, quoted: Quoted) -> Answer {
    let answer = classify_whole(message, quoted);
    if answer != Answer::Unclear {
        return answer;
    }
    let whole = plain(message);
    if yes_then_question(&whole, quoted) || yes_then_reason(&whole, quoted) {
        return Answer::Accept;
    }
    // "that sucks but yes, cancel it anyway", "bueno, qué se le va a hacer. sí, cancela": the
    // last clause (after the last "but" or full stop) decides, when it is an acceptance on its
    // own and nothing before it refuses, puts off or asks. (A clause that changes the terms is
    // caught by the policy, which quotes the new terms before any yes counts.)
    // The message's own closing stop is no clause boundary: "…hacer. Sí, cancélala."
    let plain = plain(message);
    let folded = plain.trim_end_matches(['.', '!', ';', ' ']);
    let cut = folded
        .rfind(['.', '!', ';'])
        .filter(|at| folded[at + 1..].trim().len() > 1)
        .map(|at| at + 1);
    let words = words(folded);
    let (head, tail) = match words.iter().rposition(|w| matches!(*w, "but" | "pero")) {
        Some(at) => (words[..at].to_vec(), words[at + 1..].join(" ")),
        None => match cut {
            Some(at) => (super::text::words(&folded[..at]), folded[at..].to_owned()),
            None => return answer,
        },
    };
    let head = &head[..];
    let head_refuses = DECLINE_PHRASES
        .iter()
        .chain(DEFER_PHRASES)
        .chain(HEDGES)
        .any(|p| contains_phrase(head, p))
        || head.first().is_some_and(|w| NO.contains(w));
    if !head_refuses
        && !message.contains('?')
        && !message.contains('¿')
        && classify_whole(&tail, quoted) == Answer::Accept
    {
        return Answer::Accept;
    }
    // "Damn ok. nah": a last sentence that refuses refuses.
    if classify_whole(&tail, quoted) == Answer::Decline && !head_refuses {
        return Answer::Decline;
    }
    by_sentence(folded, quoted).unwrap_or(answer)
}
