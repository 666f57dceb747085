//! "Which of your hotels has a room for 5?": the hotels whose largest room holds a party.

use std::sync::LazyLock;

use agent_nodes::nlu::Language;
use hotel::Hotel;
use regex::Regex;

use crate::reply::{room, say};

/// The answer to a question about which hotels hold `n` guests in one room, when `folded`
/// asks one across several `hotels`.
pub(super) fn capacity(lang: Language, hotels: &[&Hotel], folded: &str) -> Option<String> {
    if hotels.len() < 2 {
        return None;
    }
    let n = party(folded)?;
    let fitting: Vec<String> = hotels
        .iter()
        .filter_map(|h| {
            let largest = h.rooms.iter().max_by_key(|r| r.max_guests)?;
            (largest.max_guests >= n).then(|| {
                let name = room(lang, largest.kind.name());
                say(
                    lang,
                    format!("{} ({name}, up to {})", h.name, largest.max_guests),
                    format!("{} ({name}, hasta {})", h.name, largest.max_guests),
                )
            })
        })
        .collect();
    Some(if fitting.is_empty() {
        let most = hotels
            .iter()
            .flat_map(|h| h.rooms.iter())
            .map(|r| r.max_guests)
            .max()
            .unwrap_or(0);
        say(
            lang,
            format!(
                "None of our rooms holds {n} guests: the largest holds {most}. One booking is one room, so a bigger group can book two rooms."
            ),
            format!(
                "Ninguna de nuestras habitaciones admite {n} huéspedes: la más grande admite {most}. Cada reserva es una habitación, así que un grupo mayor puede reservar dos."
            ),
        )
    } else {
        say(
            lang,
            format!("A room for {n} guests: {}.", fitting.join("; ")),
            format!("Una habitación para {n} huéspedes: {}.", fitting.join("; ")),
        )
    })
}

/// The party a capacity question asks about: "fits 5", "for a group of six", "cabe para 5".
fn party(folded: &str) -> Option<u32> {
    crate::text::number(PARTY.captures(folded)?.get(1)?.as_str())
}

static PARTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:fits?|for|para|caben?|sleeps?|holds?|takes?|admite|entran?)\s+(?:a\s+|an\s+|un\s+|una\s+)?(?:group\s+of\s+|grupo\s+de\s+|party\s+of\s+|family\s+of\s+|familia\s+de\s+)?([0-9]{1,2}|two|three|four|five|six|seven|eight|dos|tres|cuatro|cinco|seis|siete|ocho)\b",
    )
    .unwrap_or_else(|e| panic!("capacity rule: {e}"))
});
