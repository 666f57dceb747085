//! Reply templates in English and Spanish, and the language a reply is written in.

use agent_nodes::nlu::Language;
use chrono::{Datelike, NaiveDate};
use hotel::Error;

use super::state::{Conversation, Stay};

/// `en` or `es` by `lang`.
pub(crate) fn say(lang: Language, en: impl Into<String>, es: impl Into<String>) -> String {
    match lang {
        Language::En => en.into(),
        Language::Es => es.into(),
    }
}

/// The language to answer this turn in: Spanish when the message reads as Spanish; a short
/// message ("yes", "2", "ok") keeps the conversation's language; otherwise English.
pub(crate) fn language(s: &Conversation) -> Language {
    match &s.understanding {
        Some(u) if u.language == Language::Es => Language::Es,
        _ if s.message.split_whitespace().count() <= 3 => s.language,
        Some(u) => u.language,
        None => s.language,
    }
}

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// A date for the guest: `Dec 3, 2026` or `3 de diciembre de 2026`.
pub fn date(lang: Language, d: NaiveDate) -> String {
    match lang {
        Language::En => d.format("%b %-d, %Y").to_string(),
        Language::Es => format!(
            "{} de {} de {}",
            d.day(),
            MONTHS_ES[d.month0() as usize],
            d.year()
        ),
    }
}

/// A room kind's name for the guest.
pub(crate) fn room(lang: Language, kind: &str) -> String {
    match (lang, kind) {
        (Language::Es, "Standard") => "estándar".into(),
        (Language::Es, "Deluxe") => "deluxe".into(),
        (Language::Es, "Suite") => "suite".into(),
        (Language::Es, "Family") => "familiar".into(),
        (_, other) => other.to_owned(),
    }
}

/// Why a stay cannot be booked, worded for the guest.
pub(crate) fn stay_error(lang: Language, error: &Error) -> String {
    match error {
        Error::TooManyGuests { room: r, max, .. } => say(
            lang,
            format!(
                "A {r} room sleeps at most {max} guests. How many guests will stay, or would you like a bigger room?"
            ),
            format!(
                "Una habitación {} admite como máximo {max} huéspedes. ¿Cuántos huéspedes serán, o prefiere una habitación más grande?",
                room(lang, r.name())
            ),
        ),
        Error::NoGuests => say(
            lang,
            "How many guests will stay?",
            "¿Cuántos huéspedes serán?",
        ),
        Error::CheckOutNotAfterCheckIn { .. } => say(
            lang,
            "The check-out date must be after the check-in date. What dates would you like?",
            "La fecha de salida debe ser posterior a la de entrada. ¿Qué fechas desea?",
        ),
        Error::TooManyNights { nights } => say(
            lang,
            format!(
                "A stay can be at most {} nights, and those dates make {nights}. What dates would you like? (For a longer stay, book up to 30 nights and the rest as a second stay.)",
                hotel::MAX_NIGHTS
            ),
            format!(
                "Una estancia puede durar como máximo {} noches, y esas fechas suman {nights}. ¿Qué fechas desea? (Para una estancia más larga, reserve hasta 30 noches y el resto como una segunda estancia.)",
                hotel::MAX_NIGHTS
            ),
        ),
        Error::CheckInInPast { today, .. } => say(
            lang,
            format!(
                "That check-in date has already passed (today is {}). What dates would you like?",
                date(lang, *today)
            ),
            format!(
                "Esa fecha de entrada ya pasó (hoy es {}). ¿Qué fechas desea?",
                date(lang, *today)
            ),
        ),
        Error::CheckInTooFarAhead { latest, .. } => say(
            lang,
            format!(
                "We take bookings up to a year ahead (latest check-in {}). What dates would you like?",
                date(lang, *latest)
            ),
            format!(
                "Aceptamos reservas con hasta un año de antelación (entrada como muy tarde el {}). ¿Qué fechas desea?",
                date(lang, *latest)
            ),
        ),
        Error::RoomNotOffered { room: r, .. } => say(
            lang,
            format!("That hotel has no {r} rooms. Which room type would you like?"),
            format!(
                "Ese hotel no tiene habitaciones {}. ¿Qué tipo de habitación desea?",
                room(lang, r.name())
            ),
        ),
        Error::SoldOut { night, .. } => say(
            lang,
            format!(
                "Sorry, that room type is sold out for the night of {}. Would you like other dates or another room type?",
                date(lang, *night)
            ),
            format!(
                "Lo siento, ese tipo de habitación está completo la noche del {}. ¿Desea otras fechas u otro tipo de habitación?",
                date(lang, *night)
            ),
        ),
        other => say(
            lang,
            format!("Sorry, I could not do that: {other}."),
            format!("Lo siento, no pude hacerlo: {other}."),
        ),
    }
}

/// A stay's terms as quoted and as booked: "Grand Plaza Hotel, Deluxe room, Dec 3, 2026 to
/// Dec 6, 2026, 2 guest(s)"; `room_en` is the room as the English reply names it.
pub(crate) fn stay_terms(lang: Language, hotel: &str, room_en: &str, stay: &Stay) -> String {
    say(
        lang,
        format!(
            "{hotel}, {room_en}, {} to {}, {} guest(s)",
            date(lang, stay.check_in),
            date(lang, stay.check_out),
            stay.guests
        ),
        format!(
            "{hotel}, habitación {}, del {} al {}, {} huésped(es)",
            room(lang, &stay.room),
            date(lang, stay.check_in),
            date(lang, stay.check_out),
            stay.guests
        ),
    )
}
