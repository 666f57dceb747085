//! The offline NLU (`OfflineNlu`): a table of phrasings that is its spec, focused tests of
//! dates, party, names, language, confidence and sentiment, and property tests on arbitrary
//! input.

mod behaviour;
mod props;
mod sentiment;
mod table;

use agent_nodes::nlu::{Lexicon, LexiconHotel, LexiconRoom, OfflineNlu, Understanding};
use chrono::NaiveDate;

/// A Sunday, so "this weekend" and "next Friday" have one answer.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date")
}

fn date(iso: &str) -> NaiveDate {
    iso.parse().unwrap_or_else(|e| panic!("{iso}: {e}"))
}

fn catalog() -> Lexicon {
    let hotel = |id: &str, name: &str, city: &str, aliases: &[&str]| LexiconHotel {
        id: id.to_owned(),
        name: name.to_owned(),
        city: city.to_owned(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
    };
    let room = |id: &str, names: &[&str]| LexiconRoom {
        id: id.to_owned(),
        names: names.iter().map(|n| (*n).to_owned()).collect(),
    };
    Lexicon {
        hotels: vec![
            hotel("sol", "Hotel Sol", "Madrid", &["Sol"]),
            hotel("mar", "Hotel Mar", "Valencia", &[]),
        ],
        room_types: vec![
            room("double", &["double", "doble", "matrimonial"]),
            room("single", &["single", "individual"]),
            room("suite", &["suite"]),
            room("family", &["family", "familiar"]),
        ],
        reference: None,
    }
}

fn nlu() -> OfflineNlu {
    OfflineNlu::new(catalog())
}

fn analyze(text: &str) -> Understanding {
    nlu().analyze(text, today())
}
