//! People joining a party already counted: "her sister's coming too", "se suma mi mamá".

use std::sync::LazyLock;

use regex::Regex;

use super::compile;
use crate::text::words;

/// How many people a message says join the party: "her sister's coming too" is one more,
/// "my parents want to join" two, "se suma mi mamá" one.
pub(super) fn joins(folded: &str) -> Option<u32> {
    // Only said as an addition ("too", "también"): "my wife is coming" may be who was counted.
    let words = words(folded);
    let added = words
        .iter()
        .any(|w| matches!(*w, "too" | "also" | "tambien" | "ademas"))
        || folded.contains("as well");
    if OWN_ROOM.is_match(folded) || !added {
        return None;
    }
    let c = JOINS.captures(folded)?;
    let who = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3))?.as_str();
    Some(if PAIR_WORDS.contains(&who) { 2 } else { 1 })
}

/// "They'll get their own room", "otra habitación para ellos": joining the trip, not the room.
static OWN_ROOM: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:(?:own|another|separate|second|other|extra|2nd)\s+(?:room|one)|rooms|(?:otra|propia|segunda)\s+(?:habitacion|pieza|cuarto)|(?:habitacion|pieza|cuarto)\s+(?:aparte|propia|separada)|habitaciones|otro\s+cuarto)\b",
    )
});

const PAIR_WORDS: &[&str] = &[
    "parents",
    "inlaws",
    "in-laws",
    "grandparents",
    "padres",
    "papas",
    "suegros",
    "abuelos",
];

static JOINS: LazyLock<Regex> = LazyLock::new(|| {
    let one = "sister|brother|mom|mum|mother|dad|father|friend|buddy|cousin|aunt|uncle|grandma|grandpa|son|daughter|boyfriend|girlfriend|bf|gf|wife|husband|partner|colleague|coworker|boss|niece|nephew|roommate|parents|grandparents|in-laws";
    let uno = "hermana|hermano|mama|papa|madre|padre|amigo|amiga|prima|primo|tia|tio|abuela|abuelo|hijo|hija|novio|novia|suegra|suegro|sobrino|sobrina|jefe|jefa|colega|padres|papas|suegros|abuelos";
    compile(&format!(
        r"\b(?:my|her|his|our|their)\s+({one})(?:s|\s+is|\s+are|\s+will|\s+wants\s+to|\s+want\s+to|\s+wanna|\s+would\s+like\s+to|\s+decided\s+to|\s+might)?\s+(?:be\s+)?(?:coming|come|join|joining|tag\s+along|tagging\s+along)\b|\b(?:viene|vendra|vienen|vendran|se\s+suma|se\s+suman|se\s+une|se\s+unen|se\s+apunta|se\s+apuntan)\s+(?:tambien\s+)?(?:mi|mis|su|sus)\s+({uno})\b|\b(?:mi|mis|su|sus)\s+({uno})\s+(?:tambien\s+)?(?:viene|vendra|vienen|vendran|se\s+suma|se\s+suman|se\s+une|se\s+unen|se\s+apunta|se\s+apuntan)\b"
    ))
});
