//! Prints what the offline NLU makes of each line of standard input, against the hotel
//! catalog, with today fixed at 2026-11-22 as in the conversation benchmark:
//! `echo "2 ppl dec 3-6 at the heritage" | cargo run -p hotel-agent --example understand`.
//! The second line is what the policy reads beside it (the flags of its `Reading` that are
//! set).

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
        let r = hotel_agent::reading::Reading::new(&line, &u);
        let flags = [
            ("question", r.question),
            ("topic", r.topic),
            ("price", r.price),
            ("across", r.across),
            ("weighs", r.weighs),
            ("asks_what", r.asks_what),
            ("same_dates", r.same_dates),
            ("fresh_start", r.fresh_start),
            ("same_request", r.same_request),
            ("follow_up", r.follow_up),
            ("adds", r.adds),
            ("other_party", r.other_party),
            ("cheapest", r.cheapest),
            ("biggest", r.biggest),
            ("injection", r.injection),
            ("leaving", r.leaving),
            ("vague_dates", r.vague_dates),
            ("day_only", r.day_only),
        ];
        let set: Vec<&str> = flags
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect();
        println!(
            "  reading: {} shift={:?} extra={:?} weekday={:?}",
            set.join(" "),
            r.shift_days,
            r.extra_nights,
            r.weekday
        );
    }
    Ok(())
}
