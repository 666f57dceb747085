//! Splitting a reply into messages no longer than a platform allows, at word boundaries.

/// How long one message may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// At most this many bytes of UTF-8.
    Bytes(usize),
    /// At most this many characters (Unicode scalar values).
    Chars(usize),
}

impl Limit {
    fn len(self, text: &str) -> usize {
        match self {
            Limit::Bytes(_) => text.len(),
            Limit::Chars(_) => text.chars().count(),
        }
    }

    fn max(self) -> usize {
        match self {
            Limit::Bytes(n) | Limit::Chars(n) => n.max(4),
        }
    }
}

/// `text` in order as parts within `limit`, cut at the last whitespace that fits (a word
/// longer than the limit is cut between characters). Whitespace at the cuts is dropped; no
/// part is empty, and an empty or blank text gives no parts.
pub fn split(text: &str, limit: Limit) -> Vec<String> {
    let max = limit.max();
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if limit.len(rest) <= max {
            parts.push(rest.to_owned());
            break;
        }
        // The longest prefix within the limit, in bytes, on a character boundary.
        let mut fits = 0;
        let mut used = 0;
        for (i, c) in rest.char_indices() {
            let cost = match limit {
                Limit::Bytes(_) => c.len_utf8(),
                Limit::Chars(_) => 1,
            };
            if used + cost > max {
                break;
            }
            used += cost;
            fits = i + c.len_utf8();
        }
        // Cut at the last whitespace inside it, unless that leaves nothing.
        let cut = rest[..fits]
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map(|(i, _)| i)
            .filter(|&i| !rest[..i].trim().is_empty())
            .unwrap_or(fits);
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    parts
}
