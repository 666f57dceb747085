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
