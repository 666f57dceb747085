//! The guest's answer to a quote, read from the message itself and from nothing else: not
//! from the intent an NLU or a model reports, so a model that calls "just looking" an
//! acceptance cannot make the agent book.
//!
//! A message is an [`Answer::Accept`] only when every word of it belongs to a clear acceptance:
//! at least one *strong* word or phrase ("yes", "go ahead", "confirm", "sí", "dale", "de
//! acuerdo", "book it") and otherwise only *weak* agreement ("ok", "perfect", "vale") and
//! politeness ("please", "thanks", "porfa"). One word outside those lists — a correction, a
//! question, "just looking", a date — and it is not an acceptance. "ok", "sure" or a 👍 alone are
//! [`Answer::Unclear`]: the agent asks again with the exact terms.

use crate::text::{fold, words};

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

/// Words that accept on their own.
const STRONG: &[&str] = &[
    "confirma",
    "hacelo",
    "mandale",
    "dalee",
    "yes",
    "yess",
    "yesss",
    "yeah",
    "yea",
    "yep",
    "yup",
    "ye",
    "yas",
    "si",
    "sii",
    "siii",
    "sip",
    "confirm",
    "confirmed",
    "confirming",
    "confirmo",
    "confirmado",
    "confirmada",
    "confirmamos",
    "confirmalo",
    "confirmala",
    "dale",
    "adelante",
    "absolutely",
    "definitely",
    "deal",
    "proceed",
    "hazlo",
    "hagamoslo",
];

/// Phrases (folded words) that accept on their own.
const STRONG_PHRASES: &[&[&str]] = &[
    &["go", "ahead"],
    &["go", "for", "it"],
    &["do", "it"],
    &["please", "do"],
    &["lets", "do", "it"],
    &["let", "us", "do", "it"],
    &["de", "acuerdo"],
    &["por", "supuesto"],
    &["of", "course"],
    &["claro", "que", "si"],
    &["lo", "confirmo"],
    &["la", "confirmo"],
];

/// Verbs that accept a quote of their own kind ("book it" for a booking, "cancel it" for a
/// cancellation), with or without an object.
fn action_words(quoted: Quoted) -> &'static [&'static str] {
    match quoted {
        Quoted::Booking => &[
            "book",
            "reserve",
            "reservala",
            "reservalo",
            "reservamela",
            "reservamelo",
            "reservanosla",
            "reservanoslo",
            "reserva",
            "reservar",
        ],
        Quoted::Reschedule => &[
            "change",
            "move",
            "reschedule",
            "cambiala",
            "cambialo",
            "cambiamela",
            "cambiamelo",
            "muevela",
            "muevelo",
        ],
        Quoted::Cancellation => &[
            "cancel",
            "cancela",
            "cancelala",
            "cancelalo",
            "cancelar",
            "anula",
            "anulala",
            "anulalo",
        ],
    }
}

/// Agreement that is not enough alone ("ok", "perfect"), but may stand beside a strong word.
const WEAK: &[&str] = &[
    "ok",
    "okay",
    "okey",
    "okk",
    "oki",
    "okis",
    "k",
    "kk",
    "sure",
    "fine",
    "alright",
    "right",
    "vale",
    "venga",
    "bueno",
    "va",
    "perfect",
    "perfecto",
    "perfecta",
    "great",
    "genial",
    "cool",
    "nice",
    "good",
    "bien",
    "buenisimo",
    "excelente",
    "excellent",
    "awesome",
    "super",
    "listo",
    "correct",
    "correcto",
    "exacto",
    "exactly",
    "claro",
    "sounds",
    "works",
    "that",
    "thats",
    "esta",
    "me",
    "parece",
    "vale",
    "all",
    "wonderful",
    "lovely",
    "amazing",
];

/// Politeness and glue that neither accept nor refuse.
const FILLER: &[&str] = &[
    "one",
    "asi",
    "acceptable",
    "aceptable",
    "agreed",
    "fine",
    "exacto",
    "bien",
    "ugh",
    "uf",
    "uff",
    "ay",
    "meh",
    "sigh",
    "well",
    "jeez",
    "oof",
    "bueno",
    "nomas",
    "noma",
    "anyway",
    "anyways",
    "igual",
    "igualmente",
    "same",
    "mismo",
    "misma",
    "seguro",
    "totally",
    "totalmente",
    "much",
    "very",
    "lot",
    "heaps",
    "muchisimas",
    "mucho",
    "please",
    "pls",
    "plz",
    "plis",
    "porfa",
    "porfis",
    "por",
    "favor",
    "thanks",
    "thank",
    "you",
    "thx",
    "ty",
    "gracias",
    "muchas",
    "mil",
    "then",
    "entonces",
    "pues",
    "and",
    "y",
    "it",
    "its",
    "eso",
    "esa",
    "ese",
    "lo",
    "la",
    "las",
    "los",
    "the",
    "el",
    "booking",
    "reservation",
    "room",
    "habitacion",
    "now",
    "ahora",
    "ya",
    "oh",
    "ah",
    "hey",
    "wow",
    "yay",
    "so",
    "just",
    "for",
    "us",
    "para",
    "nosotros",
    "mi",
    "is",
    "es",
    "a",
    "una",
    "que",
    "do",
    "that",
    "this",
    "esta",
    "hecho",
    "also",
    "tambien",
    "go",
    "ahead",
    "haha",
    "jaja",
    "jajaja",
    "lol",
    "problem",
    "worries",
    "problema",
    "hay",
    "sin",
];

/// Refusals: the message starts with one, or is one.
const NO: &[&str] = &[
    "no", "nope", "nah", "naa", "naw", "nop", "nel", "nein", "non",
];

/// Phrases that refuse wherever they are.
const DECLINE_PHRASES: &[&[&str]] = &[
    &["not", "now"],
    &["no", "thanks"],
    &["no", "thank"],
    &["no", "gracias"],
    &["forget", "it"],
    &["forget", "about", "it"],
    &["never", "mind"],
    &["nevermind"],
    &["olvidalo"],
    &["olvidate"],
    &["olvida", "lo"],
    &["dejalo"],
    &["mejor", "no"],
    &["ahora", "no"],
    &["don", "t", "book"],
    &["dont", "book"],
    &["do", "not", "book"],
    &["dont", "cancel"],
    &["do", "not", "cancel"],
    &["no", "la", "reserves"],
    &["no", "lo", "reserves"],
    &["no", "la", "canceles"],
    &["no", "lo", "canceles"],
    &["no", "la", "cambies"],
    &["i", "ll", "pass"],
    &["ill", "pass"],
    &["paso"],
    &["too", "expensive"],
    &["muy", "caro"],
    &["demasiado", "caro"],
    &["cancel", "that"],
    &["la", "dejo"],
    &["lo", "dejo"],
    &["dejala"],
    &["dejala", "asi"],
    &["keep", "it"],
    &["as", "it", "is"],
    &["como", "esta"],
    &["leave", "it"],
    &["keep", "it", "as", "it", "is"],
    &["leave", "it", "as", "it", "is"],
];

/// Hedges: neither yes nor no, and no request either.
const HEDGES: &[&[&str]] = &[
    &["not", "sure"],
    &["maybe"],
    &["perhaps"],
    &["dunno"],
    &["idk"],
    &["hmm"],
    &["hmmm"],
    &["mmm"],
    &["quizas"],
    &["quiza"],
    &["tal", "vez"],
    &["a", "lo", "mejor"],
    &["no", "se"],
    &["no", "estoy", "seguro"],
    &["no", "estoy", "segura"],
];

/// Phrases that put the decision off until later.
const DEFER_PHRASES: &[&[&str]] = &[
    &["let", "me", "think"],
    &["lemme", "think"],
    &["let", "me", "check"],
    &["lemme", "check"],
    &["let", "me", "ask"],
    &["lemme", "ask"],
    &["i", "ll", "think"],
    &["ill", "think"],
    &["think", "about", "it"],
    &["check", "with"],
    &["ask", "my"],
    &["talk", "to", "my"],
    &["just", "looking"],
    &["only", "looking"],
    &["just", "browsing"],
    &["just", "asking"],
    &["just", "checking"],
    &["for", "now"],
    &["maybe", "later"],
    &["later"],
    &["get", "back", "to", "you"],
    &["not", "yet"],
    &["lo", "pienso"],
    &["pensarlo"],
    &["pensar"],
    &["lo", "hablo"],
    &["lo", "consulto"],
    &["consultarlo"],
    &["preguntar"],
    &["te", "digo"],
    &["te", "aviso"],
    &["te", "confirmo", "luego"],
    &["luego"],
    &["mas", "tarde"],
    &["manana", "lo", "confirmo"],
    &["lo", "confirmo", "manana"],
    &["manana", "te", "digo"],
    &["manana", "te", "confirmo"],
    &["te", "lo", "confirmo"],
    &["confirm", "tomorrow"],
    &["confirm", "later"],
    &["ill", "confirm"],
    &["ill", "let", "you", "know"],
    &["let", "you", "know"],
    &["sleep", "on", "it"],
    &["run", "it", "by"],
    &["ask", "them"],
    &["ask", "everyone"],
    &["group", "chat"],
    &["consultarlo"],
    &["preguntarle"],
    &["lo", "consulto"],
    &["hold", "on"],
    &["give", "me", "a", "sec"],
    &["un", "momento"],
    &["solo", "mirando"],
    &["estaba", "mirando"],
    &["estoy", "mirando"],
    &["solo", "miraba"],
    &["solo", "estoy", "mirando"],
    &["solo", "preguntaba"],
    &["solo", "queria", "saber"],
    &["por", "ahora"],
    &["de", "momento"],
];

/// Whether `message` holds a strong yes ("yes", "confirm", "dale") and nothing that refuses,
/// puts off or asks. Used only where the terms cannot have changed: a message that restates
/// the quote it answers ("ok the deluxe, yes book it" to a quote for the deluxe).
pub fn says_yes(message: &str, quoted: Quoted) -> bool {
    if message.contains('?') || message.contains('¿') {
        return false;
    }
    let folded = fold(message);
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

/// Whether `message` puts the decision off until later ("let me think", "I'll check with my
/// wife", "mañana lo confirmo"), whatever else it says: dates in it are not a new request.
pub fn puts_off(message: &str) -> bool {
    let folded = fold(message);
    let words = words(&folded);
    DEFER_PHRASES.iter().any(|p| contains_phrase(&words, p))
}

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
    // "that sucks but yes, cancel it anyway", "bueno, qué se le va a hacer. sí, cancela": the
    // last clause (after the last "but" or full stop) decides, when it is an acceptance on its
    // own and nothing before it refuses, puts off or asks. (A clause that changes the terms is
    // caught by the policy, which quotes the new terms before any yes counts.)
    let folded = fold(message);
    let cut = folded
        .rfind(['.', '!', ';'])
        .filter(|at| folded[at + 1..].trim().len() > 1)
        .map(|at| at + 1);
    let words = words(&folded);
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
    answer
}

fn classify_whole(message: &str, quoted: Quoted) -> Answer {
    let folded = fold(message);
    let words = words(&folded);
    if words.is_empty() {
        return Answer::Unclear;
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
    for (i, w) in words.iter().enumerate() {
        if STRONG.contains(w) || actions.contains(w) {
            covered[i] = true;
            strong = true;
        } else if WEAK.contains(w) || FILLER.contains(w) {
            covered[i] = true;
        }
    }
    if strong && covered.iter().all(|c| *c) {
        Answer::Accept
    } else {
        Answer::Unclear
    }
}

fn phrase_starts<'a>(words: &'a [&str], phrase: &'a [&str]) -> impl Iterator<Item = usize> + 'a {
    (0..words.len().saturating_sub(phrase.len() - 1))
        .filter(move |&i| words.get(i..i + phrase.len()) == Some(phrase))
}

fn contains_phrase(words: &[&str], phrase: &[&str]) -> bool {
    phrase_starts(words, phrase).next().is_some()
}
