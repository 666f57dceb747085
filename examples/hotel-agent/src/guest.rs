//! What the agent remembers of a guest across threads and channels: the name and email the
//! guest gave and the language they write in, kept in the graph's long-term
//! [`graph_core::Store`] (the same SQLite file as the checkpoints, in the server).
//!
//! A profile is the item `<thread>` of namespace `["guests"]`. An email, once given, also
//! names its profile as the item `<email>` of `["emails"]` (keys, unlike namespace labels, may
//! hold the dots of addresses and user ids), so a guest who writes from another channel and gives the same email
//! is recognised there. Only what the guest said of themselves is kept, and only in plain
//! words ("my name is Ana", "me llamo Ana", an email address): a guess would greet a guest by
//! the wrong name.

use std::sync::{Arc, LazyLock};

use agent_nodes::nlu::Language;
use graph_core::{NodeError, Store};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// What is known of a guest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The name the guest gave.
    pub name: Option<String>,
    /// The email the guest gave, lowercased.
    pub email: Option<String>,
    /// The language of the guest's last message.
    pub language: Option<Language>,
}

static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:my name is|my name's|me llamo|mi nombre es)\s+(\p{L}[\p{L}'-]*(?:\s+\p{L}[\p{L}'-]*)?)",
    )
    .expect("the name pattern compiles")
});

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b")
        .expect("the email pattern compiles")
});

/// Words that can follow "my name is" without being a name ("my name is on the booking").
const NOT_NAMES: &[&str] = &[
    "on", "in", "under", "the", "not", "en", "el", "la", "no", "is", "es", "a", "at",
];

/// The name and email `message` gives, if it says them plainly.
pub fn introduced(message: &str) -> (Option<String>, Option<String>) {
    let name = NAME.captures(message).and_then(|c| {
        let words: Vec<&str> = c[1]
            .split_whitespace()
            .take_while(|w| !NOT_NAMES.contains(&w.to_lowercase().as_str()))
            .collect();
        (!words.is_empty()).then(|| {
            words
                .iter()
                .map(|w| capitalised(w))
                .collect::<Vec<_>>()
                .join(" ")
        })
    });
    let email = EMAIL.find(message).map(|m| m.as_str().to_lowercase());
    (name, email)
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

const GUESTS: &str = "guests";
const EMAILS: &str = "emails";

fn storage(e: graph_core::StorageError) -> NodeError {
    NodeError::msg(format!("the guest store failed: {e}"))
}

/// The profile of the guest on `thread`, updated with what `message` (in `language`) says, and
/// stored when it changed. A first email that another channel's profile already gave joins
/// that profile: its name comes along.
pub async fn remember(
    store: &Arc<dyn Store>,
    thread: &str,
    message: &str,
    language: Language,
) -> Result<Profile, NodeError> {
    let mut profile: Profile = match store.get(&[GUESTS], thread).await.map_err(storage)? {
        Some(item) => serde_json::from_value(item.value).unwrap_or_default(),
        None => Profile::default(),
    };
    let before = profile.clone();
    let (name, email) = introduced(message);
    if let Some(email) = email
        && profile.email.as_deref() != Some(email.as_str())
    {
        if let Some(other) = linked_profile(store, &email, thread).await? {
            profile.name = profile.name.or(other.name);
            profile.language = profile.language.or(other.language);
        }
        let link = serde_json::json!({ "guest": thread });
        store
            .put(&[EMAILS], &email, link, None)
            .await
            .map_err(storage)?;
        profile.email = Some(email);
    }
    if name.is_some() {
        profile.name = name;
    }
    profile.language = Some(language);
    if profile != before {
        let value = serde_json::to_value(&profile)
            .map_err(|e| NodeError::msg(format!("a guest profile does not encode: {e}")))?;
        store
            .put(&[GUESTS], thread, value, None)
            .await
            .map_err(storage)?;
    }
    Ok(profile)
}

/// The profile another thread stored for `email`, if any.
async fn linked_profile(
    store: &Arc<dyn Store>,
    email: &str,
    thread: &str,
) -> Result<Option<Profile>, NodeError> {
    let Some(link) = store.get(&[EMAILS], email).await.map_err(storage)? else {
        return Ok(None);
    };
    let Some(other) = link.value.get("guest").and_then(|g| g.as_str()) else {
        return Ok(None);
    };
    if other == thread {
        return Ok(None);
    }
    Ok(store
        .get(&[GUESTS], other)
        .await
        .map_err(storage)?
        .and_then(|item| serde_json::from_value(item.value).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_introductions_and_addresses_are_read() {
        assert_eq!(
            introduced("hi, my name is ana lópez and my email is Ana.L@Example.com"),
            (Some("Ana López".into()), Some("ana.l@example.com".into()))
        );
        assert_eq!(introduced("hola me llamo JOSÉ").0.as_deref(), Some("José"));
        assert_eq!(introduced("my name is on the booking").0, None);
        assert_eq!(introduced("i'm looking for a room").0, None);
        assert_eq!(introduced("email me at someone@ at the hotel").1, None);
    }
}
