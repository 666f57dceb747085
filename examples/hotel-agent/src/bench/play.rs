//! Playing a [`Script`] through the agent graph and judging the result.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use graph_core::{InMemoryCheckpointer, RunConfig};
use hotel::{Booking, BookingStatus, BookingStore, Catalog, Clock, GuestId, StayRequest};

use super::data::{EndBooking, Script, Status};
use crate::{Error, HotelAgent, hotel_agent_graph, thread_id, turn};

/// The benchmark's today: Sunday 2026-11-22, as the conversation writers were told.
pub const TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 22) {
    Some(d) => d,
    None => panic!("a valid date"),
};

const CHANNEL: &str = "bench";
const USER: &str = "guest";

/// How one conversation went.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The script's id.
    pub id: String,
    /// The set it belongs to: the name of its file's folder (`tuning`, `holdout`).
    pub set: String,
    /// Its category.
    pub category: String,
    /// Its language.
    pub lang: String,
    /// Each turn: the message, how it was understood, the nodes that ran and the reply.
    pub transcript: Vec<Exchange>,
    /// Everything that was wrong; empty when the conversation passed.
    pub failures: Vec<String>,
    /// Bookings made, changed or cancelled that the conversation did not call for.
    pub unwanted: usize,
}

/// One turn of a played conversation.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What the guest said.
    pub said: String,
    /// The understander's reading: intent and entities.
    pub understood: String,
    /// The nodes the turn ran.
    pub nodes: Vec<String>,
    /// The agent's reply.
    pub reply: String,
}

impl Outcome {
    /// Whether everything was right.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The offline agent (no key, no network) on `store`, today fixed at [`TODAY`].
pub fn offline(store: BookingStore) -> HotelAgent {
    HotelAgent::offline(store, Clock::Fixed(TODAY))
}

/// Plays every script, each on its own fresh database under a temporary folder.
pub async fn play_all(
    scripts: &[Script],
    agent: impl Fn(BookingStore) -> HotelAgent,
) -> Result<Vec<Outcome>, Error> {
    let root = std::env::temp_dir().join(format!("converse-bench-{}", std::process::id()));
    let mut outcomes = Vec::with_capacity(scripts.len());
    for (i, script) in scripts.iter().enumerate() {
        let dir = root.join(i.to_string());
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let outcome = play(script, &dir, &agent).await;
        let _ = std::fs::remove_dir_all(&dir);
        outcomes.push(outcome?);
    }
    let _ = std::fs::remove_dir_all(&root);
    Ok(outcomes)
}

/// Plays `script` with bookings in `dir/bookings.db` and judges it.
pub async fn play(
    script: &Script,
    dir: &Path,
    agent: impl Fn(BookingStore) -> HotelAgent,
) -> Result<Outcome, Error> {
    // References drawn from a seed of the conversation's id (FNV-1a): every run reads the
    // same references, so a result never depends on the letters a reference happened to get.
    let seed = script.id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let store = BookingStore::open_seeded(
        dir.join("bookings.db"),
        Catalog::load()?,
        fastrand::Rng::with_seed(seed),
    )?;
    let guest = GuestId::new(CHANNEL, USER);
    let mut seeded = Vec::new();
    for (i, seed) in script.seed.iter().enumerate() {
        let owner = match seed.owner.as_str() {
            "self" => guest.clone(),
            other => GuestId::new(CHANNEL, other),
        };
        let request = StayRequest {
            hotel: seed.hotel.clone(),
            room: seed.room.parse().map_err(|()| Error::Data {
                file: script.file.display().to_string(),
                reason: format!("{}: no room type {}", script.id, seed.room),
            })?,
            check_in: seed.check_in,
            check_out: seed.check_out,
            guests: seed.guests,
        };
        // A stay under way (or over) was booked before it began.
        let booked_on = TODAY.min(seed.check_in);
        let booking = store.book(&owner, &request, &format!("seed-{i}"), booked_on)?;
        seeded.push((seed.name.clone(), owner, booking));
    }
    let graph = hotel_agent_graph(agent(store.clone()))?
        .with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
    let config = RunConfig::thread(thread_id(CHANNEL, USER));

    let mut failures = Vec::new();
    let mut transcript = Vec::new();
    let mut misses_in_a_row = 0;
    for (n, t) in script.turns.iter().enumerate() {
        let message = with_references(&t.say, &seeded);
        let out = graph.invoke(turn(CHANNEL, USER, &message), &config).await?;
        let reply = out.state.reply.clone();
        let nodes: Vec<String> = out.executed.iter().map(|n| n.to_string()).collect();
        let turn_no = n + 1;
        if reply.trim().is_empty() {
            failures.push(format!("turn {turn_no}: empty reply"));
        }
        if leaks_an_error(&reply) {
            failures.push(format!("turn {turn_no}: a raw error reached the guest"));
        }
        if nodes.iter().any(|n| n == "recover") {
            misses_in_a_row += 1;
            if misses_in_a_row == 2 {
                failures.push(format!(
                    "turn {turn_no}: a second 'did not get that' in a row"
                ));
            }
        } else {
            misses_in_a_row = 0;
        }
        for fact in &t.expect {
            let fact = fact_with_references(fact, &seeded);
            if !fact.holds(&reply) {
                failures.push(format!("turn {turn_no}: the reply lacks {fact}"));
            }
        }
        for fact in &t.reject {
            let fact = fact_with_references(fact, &seeded);
            if fact.holds(&reply) {
                failures.push(format!("turn {turn_no}: the reply has {fact}"));
            }
        }
        let understood = out.state.understanding.as_ref().map_or(String::new(), |u| {
            let entities = serde_json::to_string(&u.entities).unwrap_or_default();
            format!("{:?} {entities}", u.intent)
        });
        transcript.push(Exchange {
            said: message,
            understood,
            nodes,
            reply,
        });
    }

    let unwanted = judge_bookings(script, &store, &guest, &seeded, &mut failures)?;
    Ok(Outcome {
        id: script.id.clone(),
        set: script
            .file
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        category: script.category.clone(),
        lang: script.lang.clone(),
        transcript,
        failures,
        unwanted,
    })
}

/// Compares the guest's bookings with `script.end`, and checks that nobody else's changed.
/// Returns how many bookings were made or changed without being called for.
fn judge_bookings(
    script: &Script,
    store: &BookingStore,
    guest: &GuestId,
    seeded: &[(String, GuestId, Booking)],
    failures: &mut Vec<String>,
) -> Result<usize, Error> {
    let mut unwanted = 0;
    let mut expected: Vec<&EndBooking> = script.end.iter().collect();
    for b in store.bookings_of(guest)? {
        let seed = seeded.iter().find(|(_, _, s)| s.reference == b.reference);
        if let Some(i) = expected.iter().position(|e| matches(e, &b)) {
            expected.remove(i);
            continue;
        }
        let untouched = seed.is_some_and(|(_, _, s)| s == &b);
        if !untouched {
            unwanted += 1;
        }
        failures.push(format!(
            "{} booking not expected: {}",
            if seed.is_some() { "seeded" } else { "new" },
            describe(&b)
        ));
    }
    for e in expected {
        failures.push(format!(
            "missing booking: {} {} {}..{} guests={} {:?}{}",
            e.hotel,
            e.room,
            e.check_in,
            e.check_out,
            e.guests,
            e.status,
            e.total
                .as_deref()
                .map(|t| format!(" total={t}"))
                .unwrap_or_default()
        ));
    }
    for (_, owner, before) in seeded.iter().filter(|(_, owner, _)| owner != guest) {
        let now = store.find(&before.reference)?.map(|(_, b)| b);
        if now.as_ref() != Some(before) {
            unwanted += 1;
            failures.push(format!(
                "{owner}'s booking {} was changed",
                before.reference
            ));
        }
    }
    Ok(unwanted)
}

fn matches(e: &EndBooking, b: &Booking) -> bool {
    let q = &b.quote;
    let status = match b.status {
        BookingStatus::Confirmed => Status::Confirmed,
        BookingStatus::Cancelled => Status::Cancelled,
    };
    e.hotel == q.hotel
        && e.room.eq_ignore_ascii_case(q.room.name())
        && e.check_in == q.check_in
        && e.check_out == q.check_out
        && e.guests == q.guests
        && e.status == status
        && e.total.as_ref().is_none_or(|t| *t == q.total.to_string())
}

fn describe(b: &Booking) -> String {
    let q = &b.quote;
    format!(
        "{} {} {}..{} guests={} {:?} total={}",
        q.hotel, q.room, q.check_in, q.check_out, q.guests, b.status, q.total
    )
}

/// Internal error text that must never reach a guest.
fn leaks_an_error(reply: &str) -> bool {
    ["could not do that:", "no pude hacerlo:", "Error", "error:"]
        .iter()
        .any(|m| reply.contains(m))
}

/// `text` with `{NAME}`, `{NAME:lower}` and `{NAME:spaced}` replaced by seeded references.
fn with_references(text: &str, seeded: &[(String, GuestId, Booking)]) -> String {
    let mut out = text.to_owned();
    for (name, _, b) in seeded {
        let r = b.reference.to_string();
        out = out
            .replace(&format!("{{{name}}}"), &r)
            .replace(&format!("{{{name}:lower}}"), &r.to_lowercase())
            .replace(&format!("{{{name}:spaced}}"), &r.replace('-', " "));
    }
    out
}

fn fact_with_references(fact: &super::Fact, seeded: &[(String, GuestId, Booking)]) -> super::Fact {
    match fact {
        super::Fact::One(s) => super::Fact::One(with_references(s, seeded)),
        super::Fact::Any(v) => {
            super::Fact::Any(v.iter().map(|s| with_references(s, seeded)).collect())
        }
    }
}
