//! Scripted conversations with the hotel agent, each played turn by turn through the compiled
//! graph (SQLite bookings and checkpoints in a temporary directory, today fixed at 2026-11-22)
//! and recorded as one YAML snapshot: per turn the guest's text, the reply, the nodes visited,
//! the intent, the slots, and the guest's bookings whenever they changed. Booking references
//! are random, so they are replaced by `<REF-1>`, `<REF-2>`, … in order of appearance.
//! A [`RESTART`] line in a script stands for a process restart between two turns.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use checkpoint::SqliteCheckpointer;
use chrono::NaiveDate;
use graph_core::{CompiledGraph, Resume, RunConfig};
use hotel::{BookingStore, Catalog, Clock, GuestId, StayRequest};
use hotel_agent::{Conversation, HotelAgent, StaffAction, hotel_agent_graph, thread_id, turn};
use serde::Deserialize;
use serde_json::{Value, json};

const CHANNEL: &str = "test";

/// In a script, not a message: drop the graph, the checkpointer and the booking store, and
/// reopen them from the same files before the next turn, which is recorded as `restarted`.
const RESTART: &str = "<restart>";

/// In a script, not a guest's message: what staff do with a conversation handed to them.
/// `<staff NAME> TEXT` replies; `<hand back NAME> NOTE` hands it back to the assistant.
fn staff_action(line: &str) -> Option<StaffAction> {
    let (tag, rest) = line.strip_prefix('<')?.split_once('>')?;
    let text = rest.trim().to_owned();
    if let Some(by) = tag.strip_prefix("staff ") {
        return Some(StaffAction::Reply {
            by: by.to_owned(),
            text,
        });
    }
    let by = tag.strip_prefix("hand back ")?.to_owned();
    Some(StaffAction::HandBack {
        by,
        note: (!text.is_empty()).then_some(text),
    })
}

pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// A fresh directory for one conversation's databases.
pub(crate) fn scratch(name: &str) -> PathBuf {
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

/// A booking made before the conversation.
#[derive(Debug, Deserialize)]
struct Seed {
    owner: String,
    hotel: String,
    room: String,
    check_in: NaiveDate,
    check_out: NaiveDate,
    guests: u32,
}

/// A scripted conversation (`traces/*.yaml`): the guest, bookings made before it, and the
/// messages in order ([`RESTART`] between two of them restarts the process).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    user: String,
    #[serde(default)]
    seed: Vec<Seed>,
    messages: Vec<String>,
}

/// What one process holds open: the bookings and the agent's graph with its checkpointer.
struct Process {
    store: BookingStore,
    graph: CompiledGraph<Conversation>,
}

impl Process {
    /// Opens the databases in `dir` (creating them on first use).
    fn start(dir: &Path) -> Process {
        // References drawn from a fixed seed: bookings of one day are listed by reference, so
        // random ones would list them in a random order. A restarted process draws the same
        // ones again, and the store draws past those already taken.
        let store = BookingStore::open_seeded(
            dir.join("bookings.db"),
            Catalog::load().unwrap(),
            fastrand::Rng::with_seed(11),
        )
        .unwrap();
        let checkpointer = SqliteCheckpointer::open(dir.join("checkpoints.db")).unwrap();
        let graph = hotel_agent_graph(HotelAgent::offline(store.clone(), Clock::Fixed(today())))
            .unwrap()
            .with_checkpointer(Arc::new(checkpointer));
        Process { store, graph }
    }
}

/// One line per booking of `guest`.
fn bookings_of(store: &BookingStore, guest: &GuestId) -> Vec<String> {
    store
        .bookings_of(guest)
        .unwrap()
        .iter()
        .map(|b| {
            let q = &b.quote;
            format!(
                "{} {} {} {}..{} guests={} total={} {:?}",
                b.reference, q.hotel, q.room, q.check_in, q.check_out, q.guests, q.total, b.status
            )
        })
        .collect()
}

/// Plays `messages` as guest `user` and returns the recorded trace.
async fn play(name: &str, user: &str, messages: &[&str]) -> Value {
    let messages: Vec<String> = messages.iter().map(|m| (*m).to_owned()).collect();
    play_seeded(name, user, &[], &messages).await
}

/// Plays `messages` as guest `user` after booking `seeds`; `{REF1}`, `{REF2}`, … in a message
/// stand for the seeded bookings' references.
async fn play_seeded(name: &str, user: &str, seeds: &[Seed], messages: &[String]) -> Value {
    let dir = scratch(name);
    let mut process = Process::start(&dir);
    let mut refs = Vec::new();
    for (i, seed) in seeds.iter().enumerate() {
        let request = StayRequest {
            hotel: seed.hotel.clone(),
            room: seed.room.parse().unwrap(),
            check_in: seed.check_in,
            check_out: seed.check_out,
            guests: seed.guests,
        };
        let owner = GuestId::new(CHANNEL, &seed.owner);
        let booking = process
            .store
            .book(&owner, &request, &format!("seed-{i}"), today())
            .unwrap();
        refs.push(booking.reference.to_string());
    }
    let config = RunConfig::thread(thread_id(CHANNEL, user));
    let guest = GuestId::new(CHANNEL, user);
    let mut redactor = Redactor(Vec::new());
    // Seeded references are numbered first, in seed order.
    for r in &refs {
        redactor.redact(r);
    }
    let mut bookings_before = bookings_of(&process.store, &guest);
    let seeded: Vec<String> = bookings_before.iter().map(|b| redactor.redact(b)).collect();
    let mut turns = Vec::new();
    let mut restarted = false;
    for message in messages {
        if *message == RESTART {
            // Everything is closed before anything is reopened, as in a new process.
            drop(process);
            process = Process::start(&dir);
            restarted = true;
            continue;
        }
        let mut message = message.clone();
        for (i, r) in refs.iter().enumerate() {
            message = message.replace(&format!("{{REF{}}}", i + 1), r);
        }
        let staff = staff_action(&message);
        let out = match &staff {
            Some(action) => process
                .graph
                .resume(&config, Resume::value(action))
                .await
                .unwrap(),
            None => process
                .graph
                .invoke(turn(CHANNEL, user, &message), &config)
                .await
                .unwrap(),
        };
        let bookings = bookings_of(&process.store, &guest);
        let u = out.state.understanding.as_ref();
        let who = if staff.is_some() { "staff" } else { "guest" };
        let mut record = json!({
            who: redactor.redact(&message),
            "reply": redactor.redact(&out.state.reply),
            "nodes": out.executed.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            "intent": u.map(|u| serde_json::to_value(u.intent).unwrap()),
            "language": serde_json::to_value(out.state.language).unwrap(),
            "slots": serde_json::to_value(&out.state.slots).unwrap(),
        });
        if out.state.pending.is_some() {
            let pending = serde_json::to_string(&out.state.pending).unwrap();
            record["pending"] = serde_json::from_str(&redactor.redact(&pending)).unwrap();
        }
        if let Some(reason) = out.state.handoff {
            record["handoff"] = serde_json::to_value(reason).unwrap();
        }
        if std::mem::take(&mut restarted) {
            record["restarted"] = json!(true);
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
    drop(process);
    let _ = std::fs::remove_dir_all(&dir);
    let mut trace = json!({ "today": today().to_string(), "user": user, "turns": turns });
    if !seeded.is_empty() {
        trace["seeded"] = json!(seeded);
    }
    trace
}

/// Every script in `traces/`, played and snapshot-tested (one snapshot per file).
#[test]
fn conversations() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    insta::glob!("traces/*.yaml", |path| {
        let script: Script =
            serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let trace = runtime.block_on(play_seeded(
            &name,
            &script.user,
            &script.seed,
            &script.messages,
        ));
        insta::assert_yaml_snapshot!(trace);
    });
}

/// One short booking at each of the seven hotels, as one snapshot.
#[tokio::test]
async fn one_booking_at_each_hotel() {
    let hotels = [
        ("GPH", "a suite at the Grand Plaza"),
        ("SRS", "a family room at Seaside Resort"),
        ("MVL", "a standard room at Mountain View Lodge"),
        ("CCI", "a deluxe room at City Center Inn"),
        ("HPH", "a deluxe room at Heritage Palace Hotel"),
        ("ABH", "a standard room at Airport Business Hotel"),
        ("BSE", "a family room at Budget Stay Express"),
    ];
    let mut traces = serde_json::Map::new();
    for (code, what) in hotels {
        let request = format!("I'd like to book {what} from January 12 to January 14 for 2 adults");
        let name = format!("each_hotel_{code}");
        let trace = play(&name, &name, &[&request, "yes"]).await;
        traces.insert(code.to_owned(), trace);
    }
    insta::assert_yaml_snapshot!("one_booking_at_each_hotel", Value::Object(traces));
}

#[test]
fn the_hotel_graph_draws_as_dot_and_mermaid() {
    let dir = scratch("draw");
    let store = BookingStore::open(dir.join("bookings.db"), Catalog::load().unwrap()).unwrap();
    let graph = hotel_agent_graph(HotelAgent::offline(store, Clock::Fixed(today()))).unwrap();
    let dot = graph.to_dot();
    for node in [
        "understand",
        "collect_slots",
        "confirm",
        "create_booking",
        "apply_change",
    ] {
        assert!(
            dot.contains(&format!("label=\"{node}\"")),
            "{node} missing from {dot}"
        );
    }
    insta::assert_snapshot!("hotel_graph_dot", dot);
    insta::assert_snapshot!("hotel_graph_mermaid", graph.to_mermaid());
}
