//! Booking references: format, alphabet, reproducible generation, parsing.

use std::collections::HashSet;

use hotel::{BookingRef, Error, REFERENCE_ALPHABET};

#[test]
fn the_alphabet_has_no_ambiguous_characters() {
    for c in ['0', 'O', '1', 'I', 'L'] {
        assert!(!REFERENCE_ALPHABET.contains(c), "{c}");
    }
    assert_eq!(REFERENCE_ALPHABET.len(), 31);
    let unique: HashSet<char> = REFERENCE_ALPHABET.chars().collect();
    assert_eq!(unique.len(), 31);
}

#[test]
fn generated_references_are_well_formed() {
    let mut rng = fastrand::Rng::with_seed(42);
    for _ in 0..1_000 {
        let reference = BookingRef::generate("SRS", &mut rng);
        let s = reference.as_str();
        assert_eq!(s.len(), 10, "{s}");
        assert!(s.starts_with("SRS-"), "{s}");
        assert!(
            s[4..].chars().all(|c| REFERENCE_ALPHABET.contains(c)),
            "{s}"
        );
        assert_eq!(BookingRef::parse(s).unwrap(), reference);
        assert_eq!(reference.hotel_code(), "SRS");
    }
}

/// 31^6 ≈ 887 million codes, so 2,000 draws collide with probability about 0.2% (birthday
/// bound); the store still retries on a collision. These seeds are fixed, so this never flakes.
#[test]
fn generated_references_are_unique_over_many_draws() {
    for seed in 1..=5 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut seen = HashSet::new();
        for _ in 0..2_000 {
            let reference = BookingRef::generate("GPH", &mut rng);
            assert!(
                seen.insert(reference.clone()),
                "seed {seed}: duplicate {reference}"
            );
        }
    }
}

/// Every symbol is used about equally often, so no part of the alphabet is wasted.
#[test]
fn generated_symbols_are_uniform() {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut counts = std::collections::HashMap::new();
    for _ in 0..10_000 {
        for c in BookingRef::generate("ABH", &mut rng).as_str()[4..].chars() {
            *counts.entry(c).or_insert(0_u32) += 1;
        }
    }
    assert_eq!(counts.len(), REFERENCE_ALPHABET.len());
    // 60,000 symbols over 31: about 1,935 each, standard deviation about 43.
    for (c, n) in counts {
        assert!((1_635..=2_235).contains(&n), "{c}: {n}");
    }
}

#[test]
fn the_same_seed_gives_the_same_references() {
    let draw = |seed| {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..5)
            .map(|_| BookingRef::generate("GPH", &mut rng))
            .collect::<Vec<_>>()
    };
    assert_eq!(draw(1), draw(1));
    assert_ne!(draw(1), draw(2));
}

#[test]
fn parse_normalises_what_a_guest_types() {
    for text in ["SRS-7K3Q9P", "srs-7k3q9p", "  Srs-7K3q9P\n"] {
        let reference: BookingRef = text.parse().unwrap();
        assert_eq!(reference.to_string(), "SRS-7K3Q9P", "{text:?}");
    }
}

#[test]
fn parse_rejects_malformed_references_saying_why() {
    let cases = [
        ("SRS7K3Q9P", "no dash"),
        ("SR-7K3Q9P", "the hotel code must be three letters"),
        ("S1S-7K3Q9P", "the hotel code must be three letters"),
        ("SRS-7K3Q9", "six characters must follow the dash"),
        ("SRS-7K3Q9PP", "six characters must follow the dash"),
        (
            "SRS-0K3Q9P",
            "it contains a character never used in references",
        ),
        (
            "SRS-OK3Q9P",
            "it contains a character never used in references",
        ),
        (
            "SRS-1K3Q9P",
            "it contains a character never used in references",
        ),
        (
            "SRS-IK3Q9P",
            "it contains a character never used in references",
        ),
        (
            "SRS-LK3Q9P",
            "it contains a character never used in references",
        ),
        (
            "SRS-7K3Q9-",
            "it contains a character never used in references",
        ),
        ("", "no dash"),
    ];
    for (text, why) in cases {
        match BookingRef::parse(text) {
            Err(Error::InvalidReference { value, reason }) => {
                assert_eq!((value.as_str(), reason), (text, why));
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let message = BookingRef::parse("SRS-0").unwrap_err().to_string();
    assert_eq!(
        message,
        "`SRS-0` is not a booking reference (six characters must follow the dash); expected e.g. SRS-7K3Q9P"
    );
}
