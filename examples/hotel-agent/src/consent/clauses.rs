//! A yes among other clauses: a question about the hotel after it, a cancellation's reason,
//! sentences that only agree, thank or praise around it.

use super::whole::{classify_whole, phrase_starts};
use super::words::{FILLER, PRAISE, WEAK, action_words};
use super::{Answer, Quoted};
use crate::text::words;

/// "Yes cancel it, can't make it anyway", "sí, cancélala, al final no vamos": a yes with its
/// action, then only the reason for it.
pub(super) fn yes_then_reason(folded: &str, quoted: Quoted) -> bool {
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
pub(super) fn yes_then_question(folded: &str, quoted: Quoted) -> bool {
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
pub(super) fn by_sentence(folded: &str, quoted: Quoted) -> Option<Answer> {
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
