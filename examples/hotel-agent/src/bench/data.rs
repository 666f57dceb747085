//! The conversation files: what a guest says, and what must be true afterwards.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use hotel::{Catalog, RoomKind};
use serde::Deserialize;

use crate::Error;

/// One conversation of one guest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Unique across all files.
    pub id: String,
    /// What it tests (`consent`, `dates`, …); the report groups by it.
    pub category: String,
    /// The guest's language: `en`, `es` or `mixed`.
    pub lang: String,
    /// What the writer meant to test.
    #[serde(default)]
    pub note: Option<String>,
    /// Bookings that exist before the first turn.
    #[serde(default)]
    pub seed: Vec<SeedBooking>,
    /// The guest's messages, in order.
    pub turns: Vec<Turn>,
    /// The guest's bookings at the end, seeded ones included, in any order.
    pub end: Vec<EndBooking>,
    /// The file it came from.
    #[serde(skip)]
    pub file: PathBuf,
}

/// A booking made before the conversation starts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBooking {
    /// Its name in messages: `{REF1}` is its reference (`{REF1:lower}` lower-cased,
    /// `{REF1:spaced}` with a space for the dash).
    #[serde(rename = "ref")]
    pub name: String,
    /// `self` for the guest of the conversation, any other id for someone else.
    pub owner: String,
    /// Hotel code.
    pub hotel: String,
    /// Room type name.
    pub room: String,
    /// Arrival.
    pub check_in: NaiveDate,
    /// Departure.
    pub check_out: NaiveDate,
    /// Guests.
    pub guests: u32,
}

/// One guest message, and what the agent's reply to it must and must not say.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// The message.
    pub say: String,
    /// Facts the reply must contain.
    #[serde(default)]
    pub expect: Vec<Fact>,
    /// Facts the reply must not contain.
    #[serde(default)]
    pub reject: Vec<Fact>,
}

/// Text a reply contains, case-insensitively; a list means any one of its items.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Fact {
    /// This text.
    One(String),
    /// Any of these.
    Any(Vec<String>),
}

impl Fact {
    /// Whether `reply` contains it.
    pub fn holds(&self, reply: &str) -> bool {
        let reply = reply.to_lowercase();
        let has = |s: &String| reply.contains(&s.to_lowercase());
        match self {
            Fact::One(s) => has(s),
            Fact::Any(any) => any.iter().any(has),
        }
    }
}

impl std::fmt::Display for Fact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fact::One(s) => write!(f, "{s:?}"),
            Fact::Any(any) => write!(f, "any of {any:?}"),
        }
    }
}

/// A booking the guest must hold at the end.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndBooking {
    /// Hotel code.
    pub hotel: String,
    /// Room type name.
    pub room: String,
    /// Arrival.
    pub check_in: NaiveDate,
    /// Departure.
    pub check_out: NaiveDate,
    /// Guests.
    pub guests: u32,
    /// Confirmed or cancelled.
    pub status: Status,
    /// The stay's price as shown (`$1,024.00`), when the writer computed it.
    #[serde(default)]
    pub total: Option<String>,
}

/// A booking's status in a conversation file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Booked.
    Confirmed,
    /// Cancelled.
    Cancelled,
}

/// Every conversation in the `*.yaml` files of `dir`, in file then file order, checked
/// against the catalog: ids unique, hotels and room types real, references declared.
pub fn load_dir(dir: impl AsRef<Path>) -> Result<Vec<Script>, Error> {
    let dir = dir.as_ref();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let catalog = Catalog::load().map_err(Error::Hotel)?;
    let mut scripts = Vec::new();
    let mut ids = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
        let parsed: Vec<Script> = serde_norway::from_str(&text).map_err(|e| Error::Data {
            file: file.display().to_string(),
            reason: e.to_string(),
        })?;
        for mut script in parsed {
            script.file.clone_from(&file);
            let bad = |reason: String| Error::Data {
                file: file.display().to_string(),
                reason: format!("{}: {reason}", script.id),
            };
            if !ids.insert(script.id.clone()) {
                return Err(bad("the id is used twice".into()));
            }
            check(&catalog, &script).map_err(bad)?;
            scripts.push(script);
        }
    }
    Ok(scripts)
}

/// Why `script` cannot be played, if it cannot.
fn check(catalog: &Catalog, script: &Script) -> Result<(), String> {
    let room = |hotel: &str, room: &str| -> Result<(), String> {
        let kind: RoomKind = room
            .parse()
            .map_err(|()| format!("no room type {room:?}"))?;
        let h = catalog.hotel(hotel).map_err(|e| e.to_string())?;
        h.room(kind).map(|_| ()).map_err(|e| e.to_string())
    };
    for s in &script.seed {
        room(&s.hotel, &s.room)?;
    }
    for e in &script.end {
        room(&e.hotel, &e.room)?;
    }
    if script.turns.is_empty() {
        return Err("no turns".into());
    }
    for turn in &script.turns {
        let mut rest = turn.say.as_str();
        while let Some(at) = rest.find("{REF") {
            let close = rest[at..].find('}').ok_or("an unclosed {REF")?;
            let name = rest[at + 1..at + close].split(':').next().unwrap_or("");
            if !script.seed.iter().any(|s| s.name == name) {
                return Err(format!("{{{name}}} names no seeded booking"));
            }
            rest = &rest[at + close..];
        }
    }
    Ok(())
}
