//! How a message turns to what came before it: a follow-up ("and at the Plaza?") or options
//! weighed ("Austin or Dallas?").

use std::sync::LazyLock;

use regex::Regex;

use super::compile;
use crate::text::words;

/// Whether `folded` is a short "and at …?", "¿y en el de …?" that asks the last question again.
pub(crate) fn follows_up(folded: &str) -> bool {
    FOLLOW_UP.is_match(folded.trim()) && words(folded).len() <= 8
}

static FOLLOW_UP: LazyLock<Regex> =
    // One short word may come first: "uf. y en el budget?", "ok and at the plaza?".
    LazyLock::new(|| {
        compile(
            r"^\W*(?:[a-z]{1,5}\W+)?(?:(?:and|y|what\s+about|how\s+about|que\s+tal|what\s+of)\b|(?:el|la)\s+de\s+[a-z]+|the\s+one\s+in|is\s+(?:it|that|the\s+\w+(?:\s+one)?)\s+(?:free|included|complimentary)\W*$|(?:es|esta)\s+(?:gratis|incluido|gratuito)\s+en\s+(?:el|la)\s+\w+(?:\s+\w+)?\W*$)",
        )
    });

/// Whether `folded` weighs options against each other: "Austin or Dallas?", "at each one",
/// "¿alguna de las dos tiene piscina?".
pub(crate) fn weighs(folded: &str) -> bool {
    // "Is there a bus or something?", "¿tiene piscina o no?" weigh nothing.
    WEIGHS.is_match(&LOOSE_OR.replace_all(folded, " "))
}

static LOOSE_OR: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:or|o)\s+(?:something|anything|whatever|so|not|no|algo|lo\s+que\s+sea|asi|nada)\b",
    )
});

static WEIGHS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"\b(?:each|both|either|vs|versus|or|compare|comparing|difference|cada|ambos|ambas|los\s+dos|las\s+dos|o|comparar|diferencia|y\s+cuanto|and\s+how\s+much|(?:of|among)\s+(?:those|them|these)|(?:de|entre)\s+(?:esos|esas|estos|estas|ellos|ellas)|mas\s+car[oa]s?\s+\w+(?:\s+\w+)?\s+que|more\s+expensive\s+than|cheaper\s+than|pricier\s+than)\b",
    )
});
