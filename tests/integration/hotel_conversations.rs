//! Scripted conversations with the hotel agent, each played turn by turn through the compiled
//! graph (SQLite bookings and checkpoints in a temporary directory, today fixed at 2026-11-22)
//! and recorded as one YAML snapshot: per turn the guest's text, the reply, the nodes visited,
//! the intent, the slots, and the guest's bookings whenever they changed. Booking references
//! are random, so they are replaced by `<REF-1>`, `<REF-2>`, … in order of appearance.

use std::path::PathBuf;
use std::sync::Arc;

use checkpoint::SqliteCheckpointer;
use chrono::NaiveDate;
use examples::hotel_agent::{HotelAgent, hotel_agent_graph, thread_id, turn};
use graph_core::RunConfig;
use hotel::{BookingStore, Catalog, Clock, GuestId};
use serde_json::{Value, json};

const CHANNEL: &str = "test";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// A fresh directory for one conversation's databases.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hotel-conv-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Replaces booking references with placeholders numbered by first appearance.
struct Redactor(Vec<String>);

impl Redactor {
    fn redact(&mut self, text: &str) -> String {
        let mut out = String::new();
        for word in text.split_inclusive(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            let core = word.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-'));
            let tail = &word[core.len()..];
            if is_reference(core) {
                let n = match self.0.iter().position(|r| r == core) {
                    Some(n) => n,
                    None => {
                        self.0.push(core.to_owned());
                        self.0.len() - 1
                    }
                };
                out.push_str(&format!("<REF-{}>{tail}", n + 1));
            } else {
                out.push_str(word);
            }
        }
        out
    }
}

fn is_reference(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() == 10
        && b[..3].iter().all(u8::is_ascii_uppercase)
        && b[3] == b'-'
        && b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Plays `messages` as guest `user` and returns the recorded trace.
async fn play(name: &str, user: &str, messages: &[&str]) -> Value {
    let dir = scratch(name);
    let store = BookingStore::open(dir.join("bookings.db"), Catalog::load().unwrap()).unwrap();
    let checkpointer = SqliteCheckpointer::open(dir.join("checkpoints.db")).unwrap();
    let graph = hotel_agent_graph(HotelAgent::offline(store.clone(), Clock::Fixed(today())))
        .unwrap()
        .with_checkpointer(Arc::new(checkpointer));
    let config = RunConfig::thread(thread_id(CHANNEL, user));
    let guest = GuestId::new(CHANNEL, user);
    let mut redactor = Redactor(Vec::new());
    let mut bookings_before: Vec<String> = Vec::new();
    let mut turns = Vec::new();
    for message in messages {
        let out = graph
            .invoke(turn(CHANNEL, user, message), &config)
            .await
            .unwrap();
        let bookings: Vec<String> = store
            .bookings_of(&guest)
            .unwrap()
            .iter()
            .map(|b| {
                let q = &b.quote;
                format!(
                    "{} {} {} {}..{} guests={} total={} {:?}",
                    b.reference,
                    q.hotel,
                    q.room,
                    q.check_in,
                    q.check_out,
                    q.guests,
                    q.total,
                    b.status
                )
            })
            .collect();
        let u = out.state.understanding.as_ref();
        let mut record = json!({
            "guest": message,
            "reply": redactor.redact(&out.state.reply),
            "nodes": out.executed.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            "intent": u.map(|u| serde_json::to_value(u.intent).unwrap()),
            "language": serde_json::to_value(out.state.language).unwrap(),
            "slots": serde_json::to_value(&out.state.slots).unwrap(),
        });
        if out.state.pending.is_some() {
            record["pending"] = serde_json::to_value(&out.state.pending).unwrap();
        }
        if bookings != bookings_before {
            record["bookings"] = json!(
                bookings
                    .iter()
                    .map(|b| redactor.redact(b))
                    .collect::<Vec<_>>()
            );
            bookings_before = bookings;
        }
        turns.push(record);
    }
    let _ = std::fs::remove_dir_all(&dir);
    json!({ "today": today().to_string(), "user": user, "turns": turns })
}

macro_rules! conversation {
    ($name:ident, $user:expr, [$($msg:expr),+ $(,)?]) => {
        #[tokio::test]
        async fn $name() {
            let trace = play(stringify!($name), $user, &[$($msg),+]).await;
            insta::assert_yaml_snapshot!(stringify!($name), trace);
        }
    };
}

conversation!(
    english_booking_over_several_turns,
    "alice",
    [
        "Hi there",
        "I want to book a room at the Grand Plaza",
        "Deluxe please",
        "from Dec 3 to Dec 6",
        "2 guests",
        "yes",
        "thanks, bye",
    ]
);

conversation!(
    booking_declined_books_nothing,
    "bob",
    [
        "I'd like a standard room at City Center Inn from December 10 to 12 for 2 adults",
        "no",
    ]
);

conversation!(
    spanish_booking,
    "carmen",
    [
        "Hola",
        "Quiero reservar una suite en el Seaside Resort del 10 al 12 de diciembre para 3 personas",
        "sí",
        "gracias, adiós",
    ]
);

conversation!(
    question_answered_from_the_catalog,
    "dave",
    [
        "Do you allow pets at Mountain View Lodge?",
        "What time is check-in at Budget Stay Express?",
        "Is there a casino at the Grand Plaza?",
    ]
);

conversation!(greeting_and_goodbye, "erin", ["Hello!", "Goodbye"]);
