//! Text handling shared by the offline rules: the bounded prefix of a message that is analysed,
//! folding to lower-case ASCII, word tokens, and masking of what has been understood.
//!
//! Every rule reads the *folded* text, so one pattern matches "Mañana", "MAÑANA" and "manana",
//! and every regex runs on ASCII (the fast path of the `regex` crate, whose Unicode word
//! boundaries need an ASCII haystack to stay on its DFA).

use std::ops::Range;

/// The first `max_chars` characters of `text`: a guest can paste a novel, and the rules must
/// do bounded work on untrusted input.
pub(super) fn prefix(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// `text` lower-cased and folded to ASCII: accents stripped (`á` → `a`, `ñ` → `n`, `ß` → `ss`),
/// apostrophes dropped (`I'd` → `id`, so rules need not spell both), and any other non-ASCII
/// character (another script, an emoji, `¿`, `¡`) turned into a space. ASCII punctuation is kept:
/// dates and emails need `/`, `-`, `.` and `@`. Letters elongated to three or more collapse
/// to one.
pub fn fold(text: &str) -> String {
    collapse_elongations(&fold_letters(text))
}

/// [`fold`] without collapsing elongations, for what is copied rather than read: a reference
/// ("ABH-BNJJJ5") or an email keeps every letter.
pub(super) fn fold_letters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            if c != '\'' {
                out.push(c.to_ascii_lowercase());
            }
            continue;
        }
        for lower in c.to_lowercase() {
            match fold_char(lower) {
                Folded::One(c) => out.push(c),
                Folded::Two(pair) => out.push_str(pair),
                Folded::Drop => {}
            }
        }
    }
    out
}

/// Three or more of a letter in a row collapse to one: "siii", "yesss" and "graciaaas" are
/// "si", "yes" and "gracias" (no word of either language triples a letter).
pub(super) fn collapse_elongations(folded: &str) -> String {
    let bytes = folded.as_bytes();
    let mut out = String::with_capacity(folded.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let mut run = 1;
        while i + run < bytes.len() && bytes[i + run] == c {
            run += 1;
        }
        let keep = if c.is_ascii_alphabetic() && run >= 3 {
            1
        } else {
            run
        };
        for _ in 0..keep {
            out.push(char::from(c));
        }
        i += run;
    }
    out
}

/// What one lower-case non-ASCII character becomes.
enum Folded {
    One(char),
    Two(&'static str),
    Drop,
}

fn fold_char(c: char) -> Folded {
    let one = match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ā' | 'ą' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'ī' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' | 'ő' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ñ' | 'ń' | 'ň' => 'n',
        'ç' | 'ć' | 'č' => 'c',
        'ý' | 'ÿ' => 'y',
        'ś' | 'š' => 's',
        'ź' | 'ż' | 'ž' => 'z',
        'ł' => 'l',
        'ř' => 'r',
        'ď' => 'd',
        'ť' => 't',
        '–' | '—' | '‐' | '‑' => '-',
        'ß' => return Folded::Two("ss"),
        'æ' => return Folded::Two("ae"),
        'œ' => return Folded::Two("oe"),
        // Typographic apostrophes go the way of ASCII ones; combining accents (a decomposed
        // "a\u{301}") vanish so the base letter stays.
        '’' | '‘' | 'ʼ' | '\u{300}'..='\u{36f}' => return Folded::Drop,
        _ => ' ',
    };
    Folded::One(one)
}

/// A word of the folded text: a run of ASCII letters and digits, with its byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token<'a> {
    /// The word.
    pub(super) text: &'a str,
    /// Where it is in the folded text.
    pub(super) span: Range<usize>,
}

/// The words of a folded text, in order.
pub(super) fn tokens(folded: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, b) in folded.bytes().enumerate() {
        match (b.is_ascii_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Token {
                    text: &folded[s..i],
                    span: s..i,
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Token {
            text: &folded[s..],
            span: s..folded.len(),
        });
    }
    out
}

/// Blanks `spans` of `folded` with spaces, so a later rule does not read a date's digits as a
/// head count or a hotel's name as a month. Offsets stay valid because the length is unchanged.
pub(super) fn mask(folded: &mut String, spans: impl IntoIterator<Item = Range<usize>>) {
    let mut bytes = std::mem::take(folded).into_bytes();
    for span in spans {
        if let Some(part) = bytes.get_mut(span) {
            part.fill(b' ');
        }
    }
    // The folded text is ASCII, so blanking any byte range keeps it UTF-8; the lossy path is
    // there so that a future non-ASCII fold cannot turn into a panic.
    *folded = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

/// The word that follows byte `at` (skipping a few spaces and punctuation), or "". Looks at most
/// a few bytes ahead so that calling it once per match stays linear.
pub(super) fn next_word(folded: &str, at: usize) -> &str {
    let rest = folded.get(at..).unwrap_or("");
    let skip = rest
        .bytes()
        .take(8)
        .take_while(|b| !b.is_ascii_alphanumeric())
        .count();
    let rest = rest.get(skip..).unwrap_or("");
    let len = rest
        .bytes()
        .take(24)
        .take_while(u8::is_ascii_alphanumeric)
        .count();
    rest.get(..len).unwrap_or("")
}

/// The few bytes before `at`, for a rule that looks at what leads up to a match ("until",
/// "check out"). Bounded for the same reason as [`next_word`].
pub(super) fn before(folded: &str, at: usize, max: usize) -> &str {
    let at = at.min(folded.len());
    let mut start = at.saturating_sub(max);
    while !folded.is_char_boundary(start) {
        start += 1;
    }
    &folded[start..at]
}
