//! Small counts written as digits or words, in English and Spanish ("2", "two", "dos", "a"):
//! head counts, nights, "in two weeks".

/// Number words (folded), longest first so a regex alternation built from them prefers
/// "diecisiete" to "diez" and "una" to "un".
#[rustfmt::skip]
const WORDS: &[(&str, u32)] = &[
    ("diecisiete", 17), ("diecinueve", 19), ("dieciseis", 16), ("dieciocho", 18), ("seventeen", 17),
    ("fourteen", 14), ("thirteen", 13), ("eighteen", 18), ("nineteen", 19), ("fifteen", 15),
    ("sixteen", 16), ("catorce", 14), ("twelve", 12), ("twenty", 20), ("cuatro", 4), ("quince", 15),
    ("veinte", 20), ("eleven", 11), ("three", 3), ("seven", 7), ("eight", 8), ("cinco", 5),
    ("siete", 7), ("nueve", 9), ("trece", 13), ("four", 4), ("five", 5), ("nine", 9), ("tres", 3),
    ("seis", 6), ("ocho", 8), ("diez", 10), ("once", 11), ("doce", 12), ("one", 1), ("two", 2),
    ("six", 6), ("ten", 10), ("uno", 1), ("una", 1), ("dos", 2), ("un", 1),
];

/// Articles that count as one in "a child", "an adult", "a night". Kept apart from [`WORDS`]
/// because "for a …" is rarely a head count.
const ARTICLES: &[&str] = &["an", "a"];

/// A regex alternation (no group) of counts: one or two digits and the number words; with
/// `articles`, also "a" and "an".
pub(super) fn pattern(articles: bool) -> String {
    let mut alternatives = vec!["[0-9]{1,2}"];
    alternatives.extend(WORDS.iter().map(|(word, _)| *word));
    if articles {
        alternatives.extend(ARTICLES);
    }
    alternatives.join("|")
}

/// The value of a count matched by [`pattern`].
pub(super) fn value(word: &str) -> Option<u32> {
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return if word.len() <= 2 {
            word.parse().ok()
        } else {
            None
        };
    }
    if ARTICLES.contains(&word) {
        return Some(1);
    }
    WORDS.iter().find(|(w, _)| *w == word).map(|(_, n)| *n)
}
