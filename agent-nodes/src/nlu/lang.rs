//! The language of a message: English or Spanish, by counting marker words of each (function
//! words and the vocabulary of hotel chat) plus Spanish-only characters (`ñ`, accents, `¿`,
//! `¡`). Words both languages use ("no", "hotel", "suite", "a", "me") count for neither. A tie,
//! an empty message or one in another language is English.

use super::Language;
use super::text::Token;

/// Folded words that mark English.
#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    "the", "to", "and", "i", "is", "of", "for", "in", "my", "you", "we", "it", "want", "book",
    "room", "rooms", "please", "hello", "hi", "hey", "thanks", "thank", "night", "nights", "people",
    "would", "like", "can", "could", "do", "does", "have", "has", "what", "how", "are", "there",
    "with", "from", "at", "this", "that", "need", "be", "will", "your", "our", "yes", "yeah", "yep",
    "bye", "goodbye", "good", "morning", "next", "tomorrow", "today", "weekend", "adults", "adult",
    "kids", "children", "child", "cancel", "change", "booking", "reservation", "name", "am", "im",
    "id", "its", "was", "were", "not", "dont", "any", "available", "much", "staff", "stay", "wife",
    "husband", "us", "just", "on", "an", "free", "where", "when", "breakfast", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "june", "july", "august", "september", "october", "november", "december", "great",
    "thats", "okay", "sure", "nope", "two", "three", "four", "weeks", "week", "days", "day",
    "check", "see", "speak", "talk", "person", "human",
];

/// Folded words that mark Spanish.
#[rustfmt::skip]
const SPANISH: &[&str] = &[
    "de", "la", "el", "que", "y", "en", "los", "las", "del", "al", "un", "una", "por", "para",
    "con", "quiero", "quisiera", "reservar", "reserva", "habitacion", "habitaciones", "hola",
    "gracias", "noches", "noche", "somos", "es", "esta", "estan", "mi", "mis", "tengo", "tienen",
    "hay", "cuanto", "cuesta", "necesito", "buenos", "buenas", "dias", "tardes", "adios", "si",
    "fin", "semana", "manana", "proximo", "dentro", "nosotros", "adultos", "ninos", "nino",
    "cancelar", "cambiar", "puedo", "podria", "hasta", "desde", "muy", "pero", "como", "donde",
    "cuando", "gustaria", "llamo", "soy", "vale", "claro", "personas", "persona", "fecha", "fechas",
    "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo", "enero", "febrero",
    "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre",
    "diciembre", "dos", "tres", "cuatro", "hablar", "estancia", "desayuno", "nuestra", "nuestro",
    "todo", "mucho", "muchas", "bien", "ya", "pasado", "hoy", "este", "ese", "eso", "le", "lo",
    "nos", "os", "su", "sus", "tu", "te", "estoy", "estamos", "fue", "ha", "han", "hemos", "tiene",
    "queremos", "necesitamos", "habia", "perfecto", "correcto", "localizador", "servicio",
    "excelente", "volveremos", "seguro", "mejor", "olvidalo", "acuerdo", "humano", "alguien",
    "mujer", "marido", "hijo", "hija",
];

/// Spanish-only characters count, but at most this many times: an English message that names
/// "Ana López" or "Málaga" stays English.
const MAX_ACCENT_MARKS: usize = 2;

/// The language of `raw` (whose folded words are `tokens`).
pub(super) fn detect(raw: &str, tokens: &[Token<'_>]) -> Language {
    let mut english = 0usize;
    let mut spanish = 0usize;
    for token in tokens {
        if ENGLISH.contains(&token.text) {
            english += 1;
        } else if SPANISH.contains(&token.text) {
            spanish += 1;
        }
    }
    let accents = raw
        .chars()
        .filter(|c| {
            matches!(
                c,
                'ñ' | 'Ñ'
                    | 'á'
                    | 'é'
                    | 'í'
                    | 'ó'
                    | 'ú'
                    | 'Á'
                    | 'É'
                    | 'Í'
                    | 'Ó'
                    | 'Ú'
                    | '¿'
                    | '¡'
            )
        })
        .take(MAX_ACCENT_MARKS)
        .count();
    if spanish + accents > english {
        Language::Es
    } else {
        Language::En
    }
}
