//! [`BookingRef`], the code a guest quotes to find a booking: the hotel code, a dash and six
//! characters, e.g. `SRS-7K3Q9P`.
//!
//! The six characters come from [`REFERENCE_ALPHABET`]: digits 2–9 and the letters A–Z without
//! `I`, `L` and `O`, so nothing can be misread as `0`/`O` or `1`/`I`/`L` when read aloud or typed
//! from a screenshot (31 symbols, about 887 million codes per hotel). Generation draws from an
//! injected [`fastrand::Rng`] so tests are reproducible; uniqueness is up to the store that
//! saves bookings (draw again on a collision).

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The symbols of a reference's random part.
pub const REFERENCE_ALPHABET: &str = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Length of the random part.
pub const REFERENCE_LEN: usize = 6;

/// A well-formed booking reference, always uppercase. Build with [`BookingRef::generate`] or
/// [`BookingRef::parse`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BookingRef(String);

impl BookingRef {
    /// A fresh reference for the hotel `code` (expected to be a catalog code: three uppercase
    /// letters; panics otherwise, as that is a programming error, not guest input).
    pub fn generate(code: &str, rng: &mut fastrand::Rng) -> BookingRef {
        assert!(
            code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()),
            "hotel code `{code}` must be three uppercase letters"
        );
        let alphabet = REFERENCE_ALPHABET.as_bytes();
        let mut s = String::with_capacity(4 + REFERENCE_LEN);
        s.push_str(code);
        s.push('-');
        s.extend((0..REFERENCE_LEN).map(|_| char::from(alphabet[rng.usize(..alphabet.len())])));
        BookingRef(s)
    }

    /// Reads a reference as a guest might type it: surrounding spaces are ignored and letters
    /// may be lowercase. Only the format is checked, not whether the hotel or booking exists.
    pub fn parse(text: &str) -> Result<BookingRef> {
        let s = text.trim().to_ascii_uppercase();
        let invalid = |reason| Error::InvalidReference {
            value: text.to_owned(),
            reason,
        };
        let (code, random) = s.split_once('-').ok_or_else(|| invalid("no dash"))?;
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid("the hotel code must be three letters"));
        }
        if random.chars().count() != REFERENCE_LEN {
            return Err(invalid("six characters must follow the dash"));
        }
        if !random.chars().all(|c| REFERENCE_ALPHABET.contains(c)) {
            return Err(invalid("it contains a character never used in references"));
        }
        Ok(BookingRef(s))
    }

    /// The hotel code part, e.g. `SRS`.
    pub fn hotel_code(&self) -> &str {
        &self.0[..3]
    }

    /// The whole reference, e.g. `SRS-7K3Q9P`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BookingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BookingRef {
    type Err = Error;
    fn from_str(s: &str) -> Result<BookingRef> {
        BookingRef::parse(s)
    }
}
