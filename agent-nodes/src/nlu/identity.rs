//! Who the guest is and which booking they mean: email, booking reference and name.
//!
//! A booking reference is 2 to 4 letters, an optional dash and 4 to 8 digits (`SOL-88213`,
//! `ABC12345`), or 5 to 10 digits right after a word that announces one ("booking number
//! 88213", "localizador 88213"); it is reported upper-cased, dash kept as written.
//!
//! A name is read from the original text (its case and accents matter) after "my name is",
//! "under the name", "me llamo", "mi nombre es" or "a nombre de", in any case ("my name is ana
//! lópez" gives "Ana López"); after "I am", "I'm" or "soy" only when capitalised, because those
//! also start "I'm looking for…" and "soy alérgico…". A title ("Mr.", "Sra.") is skipped.

use std::sync::LazyLock;

use regex::Regex;

use super::text;

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("identity rule {pattern}: {e}"))
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}\b",
    )
});

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| compile(r"\b[a-z]{2,4}-?[0-9]{4,8}\b"));

static ANNOUNCED: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:booking|reservation|confirmation|reference|ref|reserva|localizador|codigo)\s*(?:number|num|no|code|numero|de\s+reserva)?\s*[:#]?\s*([0-9]{5,10})\b",
    )
});

/// Finds the email in `folded` (lower-case by folding) and masks it, so its words are not read
/// as anything else ("book@…").
pub(super) fn email(folded: &mut String) -> Option<String> {
    let (email, span) = EMAIL
        .find(folded)
        .map(|m| (m.as_str().to_owned(), m.range()))?;
    text::mask(folded, [span]);
    Some(email)
}

/// Finds the booking reference in `folded` and masks it: the business's own shape when the
/// lexicon gives one (`own`), the generic shapes otherwise.
pub(super) fn booking_ref(folded: &mut String, own: Option<&Regex>) -> Option<String> {
    if let Some(own) = own {
        let caps = own.captures(folded)?;
        let whole = caps.get(0)?;
        let value = match (caps.get(1), caps.get(2)) {
            (Some(a), Some(b)) => format!("{}-{}", a.as_str(), b.as_str()),
            _ => whole.as_str().to_owned(),
        }
        .to_ascii_uppercase();
        let span = whole.range();
        text::mask(folded, [span]);
        return Some(value);
    }
    let (value, span) = match REFERENCE.find(folded) {
        Some(m) => (m.as_str().to_ascii_uppercase(), m.range()),
        None => {
            let caps = ANNOUNCED.captures(folded)?;
            let digits = caps.get(1)?;
            (digits.as_str().to_owned(), digits.range())
        }
    };
    text::mask(folded, [span]);
    Some(value)
}

/// A title before a name ("Mr. Thompson", "Sra. Ruiz"): skipped, the name follows.
const TITLE: &str = r"(?:(?:Mr|Mrs|Ms|Miss|Dr|Sr|Sra|Srta|Don|Doña|Dña)\.?[ \t]+)?";

/// A name word as written: letters, with inner apostrophes and hyphens ("O'Neill", "Ana-Belén").
const WORD: &str = r"\p{L}[\p{L}'’-]*";

static INTRODUCED: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?i:\bmy\s+name\s+is|\bmy\s+name['’]?s|\bunder\s+the\s+name(?:\s+of)?|\bme\s+llamo|\bmi\s+nombre\s+es|\ba\s+nombre\s+de)\s+{TITLE}({WORD}(?:[ \t]+{WORD}){{0,4}})"
    ))
});

static CAPITALISED: LazyLock<Regex> = LazyLock::new(|| {
    let cap = r"\p{Lu}[\p{L}'’-]*";
    compile(&format!(
        r"(?i:\bi\s+am|\bi['’]?m|\bsoy)[ \t]+{TITLE}({cap}(?:[ \t]+(?:(?:de|del|la|las|los|van|von|da|di|le)[ \t]+)*{cap}){{0,3}})"
    ))
});

/// Words that end a name or show the words are not one ("my name is Ana and…", "I'm Looking").
#[rustfmt::skip]
const NOT_NAME: &[&str] = &[
    "and", "y", "e", "i", "im", "from", "with", "con", "my", "mi", "email", "correo", "phone",
    "telefono", "want", "quiero", "would", "need", "necesito", "please", "por", "favor", "for",
    "para", "desde", "booking", "reservation", "reserva", "the", "el", "a", "an", "un", "una", "is",
    "es", "at", "en", "in", "to", "room", "habitacion", "here", "aqui", "thanks", "gracias", "hi",
    "hello", "hola", "looking", "interested", "calling", "writing", "sorry", "not", "no", "very",
    "so", "happy", "glad", "going", "trying", "staying", "travelling", "traveling", "arriving",
    "coming", "planning", "sure", "afraid", "still", "just", "also", "already", "alergico",
    "alergica", "cliente", "huesped", "guest", "muy", "yo", "nuevo", "nueva", "interesado",
    "interesada", "buscando", "llamando", "escribiendo", "english", "spanish", "espanol",
    "espanola", "ingles", "inglesa", "vegetarian", "vegetariano", "vegetariana", "pregnant",
    "embarazada", "de", "del", "la", "las", "los", "but", "pero", "can", "could", "will", "we",
    "our", "nuestra", "nuestro", "ok", "okay", "vale", "fine", "bien", "good", "disappointed",
    "upset", "angry", "furious", "enfadado", "enfadada", "tired", "cansado", "cansada", "new",
    "back", "done", "ready", "listo", "lista",
];

/// Finds the guest's name in `raw`, the original text.
pub(super) fn name(raw: &str) -> Option<String> {
    let after = |regex: &Regex| {
        regex
            .captures_iter(raw)
            .find_map(|c| c.get(1).and_then(|m| clean(m.as_str())))
    };
    after(&INTRODUCED).or_else(|| after(&CAPITALISED))
}

/// Keeps the words before the first one that is not part of a name, and capitalises a name
/// written in lower case. Particles ("de", "la") stay only between two name words.
fn clean(words: &str) -> Option<String> {
    let words: Vec<&str> = words.split_whitespace().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let folded = text::fold(word);
        if PARTICLES.contains(&folded.as_str()) && !kept.is_empty() {
            let next_is_name = words[i + 1..]
                .iter()
                .find(|w| !PARTICLES.contains(&text::fold(w).as_str()))
                .is_some_and(|w| w.chars().next().is_some_and(char::is_uppercase));
            if next_is_name {
                kept.push(word);
                continue;
            }
            break;
        }
        if NOT_NAME.contains(&folded.as_str()) || folded.ends_with("ing") {
            break;
        }
        kept.push(word);
    }
    if kept.is_empty() {
        return None;
    }
    let name: Vec<String> = kept.iter().map(|w| capitalise(w)).collect();
    Some(name.join(" "))
}

/// Particles of Spanish and other surnames.
#[rustfmt::skip]
const PARTICLES: &[&str] = &[
    "de", "del", "la", "las", "los", "van", "von", "da", "di", "le",
];

/// "ana" → "Ana"; particles and words already capitalised are kept.
fn capitalise(word: &str) -> String {
    if PARTICLES.contains(&text::fold(word).as_str()) || word.chars().any(char::is_uppercase) {
        return word.to_owned();
    }
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
