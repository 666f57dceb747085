//! Reading the staff API's query parameters within bounds: numbers within a range, text up
//! to a length, dates. Each refusal is a sentence naming the parameter, which the handlers
//! answer with as a 422.

use std::collections::HashMap;

use chrono::NaiveDate;

/// A request's query parameters.
pub(crate) struct Params<'a>(pub(crate) &'a HashMap<String, String>);

impl Params<'_> {
    /// `name` as a number up to `max`; `default` when absent.
    pub(crate) fn number(&self, name: &str, default: usize, max: usize) -> Result<usize, String> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("{name} must be 0–{max}, got {v:?}")),
        }
    }

    /// `name` trimmed, at most `max` characters; `None` when absent or blank.
    pub(crate) fn text(&self, name: &str, max: usize) -> Result<Option<String>, String> {
        match self.0.get(name).map(|v| v.trim()) {
            None | Some("") => Ok(None),
            Some(v) if v.chars().count() > max || v.chars().any(char::is_control) => Err(format!(
                "{name} must be at most {max} characters, without control characters"
            )),
            Some(v) => Ok(Some(v.to_owned())),
        }
    }

    /// `name` as a `YYYY-MM-DD` date; `None` when absent or blank.
    pub(crate) fn date(&self, name: &str) -> Result<Option<NaiveDate>, String> {
        self.text(name, 10)?
            .map(|v| {
                NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .map_err(|_| format!("{name} must be a date (YYYY-MM-DD), got {v:?}"))
            })
            .transpose()
    }
}
