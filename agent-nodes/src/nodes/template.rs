//! [`Template`]: prompt text with `{name}` placeholders.

use serde_json::{Map, Value};

use crate::error::Error;

/// Prompt text with `{name}` placeholders filled from a JSON object. `{{` and `}}` are literal
/// braces. Placeholders are checked when the template is made, and a missing value is an
/// error naming it, so a prompt never goes out with a hole in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Slot(String),
}

impl Template {
    /// Parses `text`; an unclosed `{` or an empty `{}` is an error.
    pub fn new(text: &str) -> Result<Self, Error> {
        let invalid = |reason: String| Error::Template { reason };
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|&(_, c)| c) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            Some((_, c)) if c.is_alphanumeric() || c == '_' || c == '.' => {
                                name.push(c);
                            }
                            Some((_, c)) => {
                                return Err(invalid(format!(
                                    "placeholder at byte {at} has the character {c:?}; names use letters, digits, `_` and `.`"
                                )));
                            }
                            None => {
                                return Err(invalid(format!("unclosed `{{` at byte {at}")));
                            }
                        }
                    }
                    if name.is_empty() {
                        return Err(invalid(format!("empty placeholder at byte {at}")));
                    }
                    pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    pieces.push(Piece::Slot(name));
                }
                '}' => return Err(invalid(format!("unmatched `}}` at byte {at}"))),
                c => literal.push(c),
            }
        }
        pieces.push(Piece::Text(literal));
        pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
        Ok(Self { pieces })
    }

    /// The placeholder names, in order of appearance.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Slot(name) => Some(name.as_str()),
            Piece::Text(_) => None,
        })
    }

    /// Fills the placeholders from `values`; `a.b` reads a nested field. Strings are inserted
    /// as they are, other values as JSON.
    pub fn render(&self, values: &Map<String, Value>) -> Result<String, Error> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Slot(name) => {
                    let mut path = name.split('.');
                    let mut value = path.next().and_then(|key| values.get(key));
                    for key in path {
                        value = value.and_then(|v| v.get(key));
                    }
                    match value {
                        Some(Value::String(s)) => out.push_str(s),
                        Some(Value::Null) | None => {
                            return Err(Error::Template {
                                reason: format!("no value for `{{{name}}}`"),
                            });
                        }
                        Some(other) => out.push_str(&other.to_string()),
                    }
                }
            }
        }
        Ok(out)
    }
}
