//! Prints what the offline NLU makes of each line of standard input, against the hotel
//! catalog, with today fixed at 2026-11-22 as in the conversation benchmark:
//! `echo "2 ppl dec 3-6 at the heritage" | cargo run -p hotel-agent --example understand`.

use std::io::BufRead;

use chrono::NaiveDate;

fn main() -> Result<(), hotel::Error> {
    let catalog = hotel::Catalog::load()?;
    let nlu = agent_nodes::nlu::OfflineNlu::new(hotel_agent::nlu_lexicon(&catalog));
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let u = nlu.analyze(&line, today);
        println!(
            "{line}\n  {:?} {:.2} {:?}",
            u.intent, u.confidence, u.entities
        );
    }
    Ok(())
}
