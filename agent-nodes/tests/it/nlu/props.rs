//! Properties on arbitrary input: no panic, scores in range, dates never in the past unless a
//! year was written, a departure always after the arrival, the same answer every time.

use std::sync::LazyLock;

use agent_nodes::nlu::{OfflineNlu, Understanding};
use proptest::prelude::*;
use regex::Regex;

use super::{nlu, today};

static NLU: LazyLock<OfflineNlu> = LazyLock::new(nlu);

/// Whether `text` may spell a year the way the NLU reads one (`2026`, `3/12/26`), after the
/// apostrophes and combining marks it drops are dropped here too.
fn may_write_a_year(text: &str) -> bool {
    static YEAR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"20[0-9]{2}|[0-9][/.\-][0-9]{1,2}[/.\-][0-9]{2}").expect("valid regex")
    });
    let kept: String = text
        .chars()
        .filter(|c| !matches!(c, '\'' | '’' | '‘' | 'ʼ' | '\u{300}'..='\u{36f}'))
        .collect();
    YEAR.is_match(&kept)
}

fn check(text: &str, u: &Understanding) -> Result<(), TestCaseError> {
    prop_assert!(
        (0.0..=1.0).contains(&u.confidence),
        "confidence {}",
        u.confidence
    );
    prop_assert!(
        (-1.0..=1.0).contains(&u.sentiment.score),
        "score {}",
        u.sentiment.score
    );
    prop_assert_eq!(
        u.sentiment.requires_attention,
        !u.sentiment.reasons.is_empty()
    );
    let e = &u.entities;
    if let (Some(check_in), Some(check_out)) = (e.check_in, e.check_out) {
        prop_assert!(check_out > check_in, "{:?} .. {:?}", check_in, check_out);
    }
    if !may_write_a_year(text) {
        for date in [e.check_in, e.check_out].into_iter().flatten() {
            prop_assert!(date >= today(), "{:?} from {:?}", date, text);
        }
    }
    Ok(())
}

/// Words and marks dates, counts and names are made of, so random sentences hit the rules.
const VOCABULARY: &[&str] = &[
    "the",
    "of",
    "to",
    "from",
    "until",
    "and",
    "for",
    "on",
    "in",
    "next",
    "this",
    "weekend",
    "tomorrow",
    "today",
    "day",
    "after",
    "nights",
    "night",
    "weeks",
    "days",
    "a",
    "two",
    "3rd",
    "1st",
    "22nd",
    "31st",
    "december",
    "dec",
    "february",
    "feb",
    "nov",
    "may",
    "mar",
    "friday",
    "sunday",
    "check",
    "out",
    "leaving",
    "de",
    "del",
    "al",
    "el",
    "dia",
    "hasta",
    "desde",
    "proximo",
    "viernes",
    "domingo",
    "fin",
    "semana",
    "mañana",
    "pasado",
    "hoy",
    "dentro",
    "noches",
    "diciembre",
    "febrero",
    "somos",
    "adults",
    "kids",
    "niños",
    "dos",
    "for",
    "para",
    "0",
    "1",
    "3",
    "6",
    "12",
    "29",
    "30",
    "31",
    "32",
    "99",
    "/",
    "-",
    ",",
    "12/03",
    "31/12",
    "2/30",
    "Hotel",
    "Sol",
    "Mar",
    "suite",
    "soy",
    "I'm",
    "Ana",
    "my name is",
    "SOL-88213",
    "@",
    ".",
    "?",
    "!",
    "¿",
    "ñ",
];

fn sentence() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..24).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics_and_stays_in_range(text in any::<String>()) {
        let u = NLU.analyze(&text, today());
        check(&text, &u)?;
    }

    #[test]
    fn unicode_text_never_panics_and_stays_in_range(text in "\\PC{0,400}") {
        let u = NLU.analyze(&text, today());
        check(&text, &u)?;
    }

    #[test]
    fn date_like_sentences_place_dates_from_today(text in sentence()) {
        let u = NLU.analyze(&text, today());
        check(&text, &u)?;
        prop_assert_eq!(&u, &NLU.analyze(&text, today()));
    }

    #[test]
    fn long_repeated_text_is_bounded(unit in sentence(), times in 1usize..400) {
        let text = unit.repeat(times);
        let u = NLU.analyze(&text, today());
        check(&text, &u)?;
    }
}
