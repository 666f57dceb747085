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

mod words;

use crate::text::{fold, words};
use words::{
    DECLINE_PHRASES, DEFER_PHRASES, FILLER, HEDGES, NO, PRAISE, STRONG, STRONG_PHRASES, WEAK,
    action_words,
};

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
        &["original", "dates"],
        &["fechas", "originales"],
    ];
    let folded = plain(message);
    let words = words(&folded);
    KEEPS.iter().any(|p| contains_phrase(&words, p))
}

/// `message` folded, with the idioms that only look like a decision taken out: "ahora que lo
/// pienso" is no "lo pienso", "come to think of it" no "think about it", "lo más tarde
/// posible" no "más tarde".
fn plain(message: &str) -> String {
    const IDIOMS: &[&str] = &[
        "ahora que lo pienso",
        "pensandolo bien",
        "now that i think about it",
        "come to think of it",
        // "Book jan 4 to feb 3 and i'll sort out the rest later": the rest is put off, not
        // this.
        "sort out the rest later",
        "the rest later",
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
    ];
    let folded = IDIOMS
        .iter()
        .fold(fold(message), |folded, idiom| folded.replace(idiom, " "));
    // "Push it a week later" moves the stay; it puts nothing off. The offset stays a word of
    // its own that no list holds, so the message cannot read as a plain yes either.
    OFFSET.replace_all(&folded, " offset ").into_owned()
}

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

/// A word that thanks: "thx", "gracias", "ty".
pub(crate) fn thanks_word(word: &str) -> bool {
    matches!(
        word,
        "thanks" | "thank" | "thx" | "ty" | "tysm" | "gracias" | "tks" | "thnx" | "thanku"
    )
}

/// "Yes cancel it, can't make it anyway", "sí, cancélala, al final no vamos": a yes with its
/// action, then only the reason for it.
fn yes_then_reason(folded: &str, quoted: Quoted) -> bool {
    const REASONS: &[&[&str]] = &[
        &["can", "t", "make", "it"],
        &["cant", "make", "it"],
        &["cannot", "make", "it"],
        &["can", "t", "go"],
        &["cant", "go"],
        &["not", "going"],
        &["plans", "changed"],
        &["trip", "s", "off"],
        &["trips", "off"],
        &["no", "podemos", "ir"],
        &["no", "puedo", "ir"],
        &["no", "vamos"],
        &["no", "voy"],
        &["al", "final", "no"],
        &["se", "cancelo", "el", "viaje"],
    ];
    // Only a cancellation has a reason to give ("can't make it"), and every word after the yes
    // must be part of one: "yes cancel it, not paying the fee though" is no acceptance.
    if quoted != Quoted::Cancellation {
        return false;
    }
    const GLUE: &[&str] = &[
        "anyway",
        "anyways",
        "sadly",
        "so",
        "we",
        "i",
        "it",
        "ya",
        "igual",
        "lamentablemente",
        "que",
        "pena",
        "sorry",
        "unfortunately",
        "the",
        "trip",
    ];
    // Split at each clause boundary in turn: "sí, cancélala, al final no vamos".
    folded.match_indices([',', '.', ';', '!']).any(|(at, _)| {
        let (first, rest) = (&folded[..at], &folded[at + 1..]);
        let rest_words = words(rest);
        let mut covered = vec![false; rest_words.len()];
        for phrase in REASONS {
            for start in phrase_starts(&rest_words, phrase) {
                covered[start..start + phrase.len()].fill(true);
            }
        }
        let only_reasons = covered.iter().any(|c| *c)
            && rest_words
                .iter()
                .zip(&covered)
                .all(|(w, c)| *c || GLUE.contains(w));
        !rest.contains('?')
            && words(first)
                .iter()
                .any(|w| action_words(quoted).contains(w))
            && classify_whole(first, quoted) == Answer::Accept
            && only_reasons
    })
}

/// "Yes book it pls. Is there a shuttle from DFW btw?", "sí, resérvala. ah, y el shuttle
/// cuánto cuesta?": a yes with its action in a sentence of its own, then a question that only
/// asks. A question that bargains or sets a condition ("but is breakfast included?", "¿y si
/// no hay parking?") leaves the message unclear, as does a bare "yes" before it.
fn yes_then_question(folded: &str, quoted: Quoted) -> bool {
    let mut sentences = folded
        .split(['.', '!', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let Some(first) = sentences.next() else {
        return false;
    };
    let rest: Vec<&str> = sentences.collect();
    let acts = words(first)
        .iter()
        .any(|w| action_words(quoted).contains(w));
    // The question must be about the hotel (a catalog topic, what the shuttle costs included),
    // not the terms: "will I get a refund?", "can you do $150 a night?" bargain.
    let asks_only = |s: &&str| {
        let asks = crate::qa::asks(s);
        s.ends_with('?')
            && asks.topic
            && !s.bytes().any(|b| b.is_ascii_digit() || b == b'$')
            && !words(s).iter().any(|w| {
                matches!(
                    *w,
                    "but"
                        | "pero"
                        | "if"
                        | "si"
                        | "only"
                        | "solo"
                        | "unless"
                        | "instead"
                        | "mejor"
                        | "rather"
                        | "change"
                        | "cambia"
                        | "cambiar"
                        | "wait"
                        | "espera"
                        | "no"
                        | "not"
                        | "refund"
                        | "reembolso"
                        | "fee"
                        | "charge"
                        | "cargo"
                        | "discount"
                        | "descuento"
                        | "total"
                        | "price"
                        | "precio"
                        | "cost"
                        | "pay"
                        | "pagar"
                )
            })
    };
    !first.contains('?')
        && acts
        && classify_whole(first, quoted) == Answer::Accept
        && !rest.is_empty()
        && rest.iter().all(asks_only)
}

/// "That is very reasonable. Yes, please book it. Thank you, dear.": a message of several
/// sentences accepts when one of them is a clear yes and every other one only agrees, thanks
/// or praises. A sentence with anything else in it ("Yes. But only if there's a pool.") leaves
/// the message unclear, and the terms are asked again.
fn by_sentence(folded: &str, quoted: Quoted) -> Option<Answer> {
    let sentences: Vec<&str> = folded
        .split(['.', '!', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if sentences.len() < 2 || folded.contains('?') {
        return None;
    }
    let kind = |s: &str| {
        let words = words(s);
        if words
            .iter()
            .all(|w| WEAK.contains(w) || FILLER.contains(w) || PRAISE.contains(w))
        {
            None
        } else {
            Some(classify_whole(s, quoted))
        }
    };
    let kinds: Vec<Option<Answer>> = sentences.iter().map(|s| kind(s)).collect();
    let accepts = kinds.contains(&Some(Answer::Accept));
    let only_yes = kinds
        .iter()
        .all(|k| matches!(k, None | Some(Answer::Accept)));
    (accepts && only_yes).then_some(Answer::Accept)
}

fn classify_whole(message: &str, quoted: Quoted) -> Answer {
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
        } else if WEAK.contains(w) || FILLER.contains(w) || OBJECTS.contains(w) {
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

fn phrase_starts<'a>(words: &'a [&str], phrase: &'a [&str]) -> impl Iterator<Item = usize> + 'a {
    (0..words.len().saturating_sub(phrase.len() - 1))
        .filter(move |&i| words.get(i..i + phrase.len()) == Some(phrase))
}

fn contains_phrase(words: &[&str], phrase: &[&str]) -> bool {
    phrase_starts(words, phrase).next().is_some()
}
