//! One clause's answer to a quote: the message read whole, every word of it weighed.

use super::refusals::{DECLINE_PHRASES, DEFER_PHRASES, HEDGES, NO};
use super::words::{FILLER, PRAISE, STRONG, STRONG_PHRASES, WEAK, action_words, thanks_word};
use super::{Answer, Quoted};
use crate::text::{fold, words};

/// `message` folded, with the idioms that only look like a decision taken out: "ahora que lo
/// pienso" is no "lo pienso", "come to think of it" no "think about it", "lo más tarde
/// posible" no "más tarde".
pub(super) fn plain(message: &str) -> String {
    const IDIOMS: &[&str] = &[
        "ahora que lo pienso",
        "pensandolo bien",
        "now that i think about it",
        "come to think of it",
        // "Book jan 4 to feb 3 and i'll sort out the rest later": the rest is put off, not
        // this.
        "sort out the rest later",
        "the rest later",
        // "Eh i'll sort that out later. ok book the standard": the payment question, put off.
        "sort that out later",
        "figure that out later",
        "el resto luego",
        "el resto despues",
        "el resto mas tarde",
        "lo demas luego",
        "lo demas despues",
        // "Lo más tarde que se pueda: entrada el 22": as late as it goes, not later.
        "lo mas tarde",
        "as late as possible",
        "as late as you can",
        // Blessings and greetings that close a message: "Perfecto, confirmo. Que Dios le
        // bendiga."
        "que dios le bendiga",
        "que dios lo bendiga",
        "que dios la bendiga",
        "que dios te bendiga",
        "dios le bendiga",
        "dios lo bendiga",
        "dios te bendiga",
        "god bless you",
        "god bless",
        "muchas bendiciones",
        "bendiciones",
        "un saludo",
        "saludos",
        "cheers",
        // "Ok yes book it at that price": the price just quoted, taken as it is.
        "at that price",
        "at that rate",
        "a ese precio",
        "por ese precio",
        "at the normal price",
        "at the regular price",
        "at the real price",
        "at full price",
        "al precio normal",
        "a precio normal",
        // "Mi jefe dijo que sí: la deluxe del 4 al 6": someone else's yes, reported, is no
        // answer to the quote; the terms are asked again.
        "dijo que si",
        "dice que si",
        "dijeron que si",
        "dicen que si",
        "said yes",
        "says yes",
        "said ok",
        "says ok",
    ];
    let folded = IDIOMS
        .iter()
        .fold(fold(message), |folded, idiom| folded.replace(idiom, " "));
    // "Ok yes book it at that": at the price just quoted.
    let folded = match folded.trim_end().strip_suffix(" at that") {
        Some(head) => head.to_owned(),
        None => folded,
    };
    // "Ty ill get back to u": the texting spellings of "you" and "your".
    let folded = TEXTING.replace_all(
        &folded,
        |c: &regex::Captures<'_>| {
            if &c[0] == "u" { "you" } else { "your" }
        },
    );
    // "Push it a week later" moves the stay; it puts nothing off. The offset stays a word of
    // its own that no list holds, so the message cannot read as a plain yes either.
    OFFSET.replace_all(&folded, " offset ").into_owned()
}

static TEXTING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\b(?:u|ur)\b").unwrap_or_else(|e| panic!("texting rule: {e}"))
});

static OFFSET: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"\b(?:a|an|one|two|three|four|five|six|seven|[0-9]+|un|una|dos|tres|cuatro|cinco)\s+(?:days?|weeks?|nights?|dias?|semanas?|noches?)\s+(?:later|mas\s+tarde|despues)\b",
    )
    .unwrap_or_else(|e| panic!("offset rule: {e}"))
});

/// "Hasta luego", "see you later": a goodbye, not a decision put off.
fn says_goodbye(words: &[&str]) -> bool {
    [
        &["hasta", "luego"][..],
        &["see", "you", "later"],
        &["see", "ya", "later"],
        &["talk", "later"],
        &["chau"],
        &["chao"],
        &["bye"],
        &["adios"],
    ]
    .iter()
    .any(|p| contains_phrase(words, p))
}

/// "¿No se puede poner una cama supletoria?" asks whether something is possible: its "no se" is
/// no "no sé".
fn asks_if_possible(words: &[&str]) -> bool {
    words.windows(3).any(|w| {
        w[0] == "no"
            && w[1] == "se"
            && matches!(
                w[2],
                "puede" | "pueden" | "podria" | "permite" | "admite" | "acepta"
            )
    })
}

pub(super) fn classify_whole(message: &str, quoted: Quoted) -> Answer {
    let folded = plain(message);
    let words = words(&folded);
    if words.is_empty() {
        return Answer::Unclear;
    }
    // "No wait", "espera": a pause on its own (with more after it, "no wait, until friday",
    // it leads a correction).
    let pause = words.iter().all(|w| {
        matches!(
            *w,
            "no" | "wait"
                | "espera"
                | "a"
                | "sec"
                | "second"
                | "minute"
                | "un"
                | "momento"
                | "segundo"
        )
    }) && words.iter().any(|w| matches!(*w, "wait" | "espera"));
    if pause {
        return Answer::Defer;
    }
    // "nah forget it" refuses even with a "hmm" in it; "no, let me think" only puts it off.
    if DECLINE_PHRASES.iter().any(|p| contains_phrase(&words, p)) {
        return Answer::Decline;
    }
    if DEFER_PHRASES
        .iter()
        .chain(HEDGES)
        .any(|p| contains_phrase(&words, p))
        && !asks_if_possible(&words)
        && !says_goodbye(&words)
    {
        return Answer::Defer;
    }
    // "no problem, go ahead" and "no hay problema" are no refusal.
    let no_problem = matches!(words.get(1), Some(&("problem" | "worries" | "hay")));
    let words = if no_problem { &words[1..] } else { &words[..] };
    if NO.contains(&words[0]) {
        return Answer::Decline;
    }
    if message.contains('?') || message.contains('¿') {
        return Answer::Unclear;
    }
    // Every word must be part of the acceptance.
    let actions = action_words(quoted);
    let mut covered = vec![false; words.len()];
    let mut strong = false;
    for phrase in STRONG_PHRASES {
        for start in phrase_starts(words, phrase) {
            covered[start..start + phrase.len()].fill(true);
            strong = true;
        }
    }
    // "ok no problem, sí, book it": a "no" that waves a worry away refuses nothing.
    for phrase in NO_WORRIES {
        for start in phrase_starts(words, phrase) {
            covered[start..start + phrase.len()].fill(true);
        }
    }
    // "Sí, cancela aunque me cobren los $210": the charge just quoted, taken on; the amount
    // after it is that charge.
    for phrase in FEE_TAKEN {
        for start in phrase_starts(words, phrase) {
            let mut end = start + phrase.len();
            while words.get(end).is_some_and(|w| {
                w.bytes().all(|b| b.is_ascii_digit())
                    || matches!(
                        *w,
                        "los" | "las" | "the" | "that" | "esos" | "dollars" | "dolares" | "bucks"
                    )
            }) {
                end += 1;
            }
            covered[start..end].fill(true);
        }
    }
    for (i, w) in words.iter().enumerate() {
        if STRONG.contains(w) || actions.contains(w) {
            covered[i] = true;
            strong = true;
        } else if WEAK.contains(w)
            || FILLER.contains(w)
            || OBJECTS.contains(w)
            || objects_of(quoted).contains(w)
        {
            covered[i] = true;
        }
    }
    if strong && covered.iter().all(|c| *c) {
        return Answer::Accept;
    }
    // "Ok thanks, that helps a lot", "gracias!": thanks and nothing more take no decision now.
    let thanks = words.iter().any(|w| thanks_word(w));
    let only_thanks = words.iter().all(|w| {
        WEAK.contains(w)
            || FILLER.contains(w)
            || PRAISE.contains(w)
            || matches!(
                *w,
                "helps"
                    | "helped"
                    | "helpful"
                    | "lot"
                    | "much"
                    | "know"
                    | "ayuda"
                    | "mucho"
                    | "muchas"
                    | "muchisimas"
                    | "saberlo"
                    | "info"
            )
    });
    if thanks && only_thanks && !strong {
        Answer::Defer
    } else {
        Answer::Unclear
    }
}

/// What the quote is about, named beside the yes: "sí, cancela la reserva".
const OBJECTS: &[&str] = &[
    "booking",
    "reservation",
    "reserva",
    "reservacion",
    "room",
    "habitacion",
    "stay",
    "estancia",
];

/// What only a quote of its own kind is about: "sí, confirmo el cambio".
fn objects_of(quoted: Quoted) -> &'static [&'static str] {
    match quoted {
        Quoted::Booking => &[],
        Quoted::Reschedule => &["cambio", "change", "changes", "move"],
        Quoted::Cancellation => &["cancelacion", "cancellation"],
    }
}

/// A charge taken on with the yes: "aunque me cobren", "even with the fee".
const FEE_TAKEN: &[&[&str]] = &[
    &["aunque", "me", "cobren"],
    &["aunque", "me", "cobres"],
    &["aunque", "me", "cobre"],
    &["aunque", "cobren"],
    &["aunque", "haya", "cargo"],
    &["con", "el", "cargo"],
    &["pago", "el", "cargo"],
    &["even", "if", "you", "charge", "me"],
    &["even", "if", "i", "get", "charged"],
    &["even", "with", "the", "fee"],
    &["even", "with", "the", "charge"],
    &["fee", "is", "fine"],
    &["charge", "is", "fine"],
    &["ill", "pay", "the", "fee"],
    &["i", "ll", "pay", "the", "fee"],
    &["accept", "the", "fee"],
    &["i", "accept", "the", "fee"],
    &["accept", "the", "charge"],
    &["fine", "with", "the", "fee"],
    &["ok", "with", "the", "fee"],
    &["acepto", "el", "cargo"],
    &["acepto", "el", "cobro"],
    &["acepto", "la", "tarifa"],
    &["pago", "la", "tarifa"],
];

/// Phrases with a "no" in them that refuse nothing.
const NO_WORRIES: &[&[&str]] = &[
    &["no", "problem"],
    &["no", "problemo"],
    &["no", "probs"],
    &["no", "worries"],
    &["no", "hay", "problema"],
    &["no", "pasa", "nada"],
];

pub(super) fn phrase_starts<'a>(
    words: &'a [&str],
    phrase: &'a [&str],
) -> impl Iterator<Item = usize> + 'a {
    (0..words.len().saturating_sub(phrase.len() - 1))
        .filter(move |&i| words.get(i..i + phrase.len()) == Some(phrase))
}

pub(super) fn contains_phrase(words: &[&str], phrase: &[&str]) -> bool {
    phrase_starts(words, phrase).next().is_some()
}
