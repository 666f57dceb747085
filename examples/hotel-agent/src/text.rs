//! Reading a guest's message as words: folded to lower-case ASCII by the NLU's own
//! [`fold`](agent_nodes::nlu::fold) (accents stripped, apostrophes dropped, emoji gone), then split
//! on anything that is not a letter or a digit.

pub(crate) use agent_nodes::nlu::fold;

/// The words of a folded text.
pub(crate) fn words(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `words` (of a folded text) hold `phrase` word for word, wherever it is; the phrase
/// is folded the same way first ("habitación familiar" matches "habitacion familiar").
pub(crate) fn has_phrase(words: &[&str], phrase: &str) -> bool {
    let phrase = fold(phrase);
    let phrase = self::words(&phrase);
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase.as_slice())
}

/// Small counts written as words, English and Spanish: "one", "una" and "a" are left out, being
/// articles as often as counts ("una estándar").
pub(crate) const NUMBER_WORDS: &[(&str, u32)] = &[
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("dos", 2),
    ("tres", 3),
    ("cuatro", 4),
    ("cinco", 5),
    ("seis", 6),
    ("siete", 7),
    ("ocho", 8),
];

/// The value of a count written in digits or as one of [`NUMBER_WORDS`].
pub(crate) fn number(word: &str) -> Option<u32> {
    word.parse().ok().or_else(|| {
        NUMBER_WORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, n)| *n)
    })
}
