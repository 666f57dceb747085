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
use graph_core::{CompiledGraph, RunConfig};
use hotel::{BookingStore, Catalog, Clock, GuestId, RoomKind, StayRequest};
use hotel_agent::{Conversation, HotelAgent, hotel_agent_graph, thread_id, turn};
use serde_json::{Value, json};

const CHANNEL: &str = "test";

/// In a script, not a message: drop the graph, the checkpointer and the booking store, and
/// reopen them from the same files before the next turn, which is recorded as `restarted`.
const RESTART: &str = "<restart>";

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

/// A booking made before the conversation: its owner, hotel, room, check-in, check-out, guests.
type Seed = (
    &'static str,
    &'static str,
    RoomKind,
    &'static str,
    &'static str,
    u32,
);

/// What one process holds open: the bookings and the agent's graph with its checkpointer.
struct Process {
    store: BookingStore,
    graph: CompiledGraph<Conversation>,
}

impl Process {
    /// Opens the databases in `dir` (creating them on first use).
    fn start(dir: &Path) -> Process {
        let store = BookingStore::open(dir.join("bookings.db"), Catalog::load().unwrap()).unwrap();
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
    play_seeded(name, user, &[], messages).await
}

/// Plays `messages` as guest `user` after booking `seeds`; `{REF1}`, `{REF2}`, … in a message
/// stand for the seeded bookings' references.
async fn play_seeded(name: &str, user: &str, seeds: &[Seed], messages: &[&str]) -> Value {
    let dir = scratch(name);
    let mut process = Process::start(&dir);
    let mut refs = Vec::new();
    for (i, (owner, hotel, room, check_in, check_out, guests)) in seeds.iter().enumerate() {
        let request = StayRequest {
            hotel: (*hotel).into(),
            room: *room,
            check_in: check_in.parse().unwrap(),
            check_out: check_out.parse().unwrap(),
            guests: *guests,
        };
        let owner = GuestId::new(CHANNEL, *owner);
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
        let mut message = (*message).to_owned();
        for (i, r) in refs.iter().enumerate() {
            message = message.replace(&format!("{{REF{}}}", i + 1), r);
        }
        let out = process
            .graph
            .invoke(turn(CHANNEL, user, &message), &config)
            .await
            .unwrap();
        let bookings = bookings_of(&process.store, &guest);
        let u = out.state.understanding.as_ref();
        let mut record = json!({
            "guest": redactor.redact(&message),
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
        if out.state.escalated {
            record["escalated"] = json!(true);
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

macro_rules! seeded_conversation {
    ($name:ident, $user:expr, [$($seed:expr),* $(,)?], [$($msg:expr),+ $(,)?]) => {
        #[tokio::test]
        async fn $name() {
            let trace = play_seeded(stringify!($name), $user, &[$($seed),*], &[$($msg),+]).await;
            insta::assert_yaml_snapshot!(stringify!($name), trace);
        }
    };
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

seeded_conversation!(
    lookup_by_reference_and_list,
    "fiona",
    [(
        "fiona",
        "GPH",
        RoomKind::Deluxe,
        "2026-12-03",
        "2026-12-06",
        2
    )],
    [
        "Can you show my booking {REF1}?",
        "What bookings do I have?"
    ]
);

seeded_conversation!(
    someone_elses_reference_refused,
    "gary",
    [(
        "mallory",
        "SRS",
        RoomKind::Suite,
        "2026-12-10",
        "2026-12-12",
        3
    )],
    [
        "Can you show my booking {REF1}?",
        "I want to cancel my booking {REF1}",
    ]
);

seeded_conversation!(
    reschedule_inside_the_free_window,
    "hana",
    [(
        "hana",
        "CCI",
        RoomKind::Standard,
        "2026-12-03",
        "2026-12-05",
        2
    )],
    [
        "I need to reschedule my reservation",
        "from Dec 10 to Dec 12",
        "yes",
    ]
);

seeded_conversation!(
    reschedule_outside_the_free_window_has_a_fee,
    "ivan",
    [(
        "ivan",
        "SRS",
        RoomKind::Deluxe,
        "2026-11-23",
        "2026-11-25",
        2
    )],
    [
        "I want to change my booking {REF1} to Dec 1 to Dec 3",
        "yes"
    ]
);

seeded_conversation!(
    reschedule_on_the_check_in_day_doubles_the_fee,
    "jade",
    [(
        "jade",
        "GPH",
        RoomKind::Standard,
        "2026-11-22",
        "2026-11-24",
        1
    )],
    ["I want to move my stay to Dec 8-10", "yes"]
);

seeded_conversation!(
    reschedule_into_peak_season_adds_a_surcharge,
    "kurt",
    [(
        "kurt",
        "MVL",
        RoomKind::Family,
        "2026-11-23",
        "2026-11-26",
        4
    )],
    [
        "I want to change my booking {REF1} to Dec 21 to Dec 23",
        "yes"
    ]
);

seeded_conversation!(
    cancellation_is_free_well_before_check_in,
    "lena",
    [(
        "lena",
        "ABH",
        RoomKind::Deluxe,
        "2026-12-03",
        "2026-12-06",
        2
    )],
    [
        "Please cancel my reservation",
        "yes",
        "What bookings do I have?"
    ]
);

seeded_conversation!(
    cancellation_the_day_before_charges_the_first_night,
    "marco",
    [(
        "marco",
        "HPH",
        RoomKind::Suite,
        "2026-11-23",
        "2026-11-25",
        2
    )],
    ["I want to cancel my booking {REF1}", "yes"]
);

seeded_conversation!(
    cancelled_booking_cannot_be_rescheduled,
    "nadia",
    [(
        "nadia",
        "BSE",
        RoomKind::Standard,
        "2026-12-03",
        "2026-12-05",
        2
    )],
    [
        "I want to cancel my booking {REF1}",
        "yes",
        "I want to change my booking {REF1} to Dec 10 to Dec 12",
    ]
);

seeded_conversation!(
    spanish_reschedule,
    "olga",
    [(
        "olga",
        "SRS",
        RoomKind::Standard,
        "2026-12-03",
        "2026-12-05",
        2
    )],
    [
        "Quiero cambiar mi reserva al 10 de diciembre hasta el 12",
        "sí"
    ]
);

seeded_conversation!(
    spanish_cancellation,
    "pablo",
    [(
        "pablo",
        "CCI",
        RoomKind::Deluxe,
        "2026-11-23",
        "2026-11-24",
        2
    )],
    ["Quiero cancelar mi reserva", "no"]
);

conversation!(
    complaint_is_escalated,
    "quinn",
    [
        "This is unacceptable, the room was dirty and I want a refund",
        "Estoy muy enfadado, la habitación estaba sucia",
    ]
);

conversation!(
    invalid_dates_get_a_helpful_reply,
    "rosa",
    [
        "I'd like a standard room at City Center Inn from December 12 to December 10 for 2 adults",
        "from December 10 to December 12",
        "no",
    ]
);

conversation!(
    too_many_guests_get_a_helpful_reply,
    "sam",
    [
        "I'd like a standard room at Budget Stay Express from December 10 to 12 for 5 adults",
        "Family room please",
        "4 guests",
        "yes",
    ]
);

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

// Restarts while slots are half collected, while a quote waits for a yes, and after booking.
conversation!(
    restart_between_turns_continues_the_booking,
    "tess",
    [
        "I want to book a deluxe room at Heritage Palace Hotel",
        "from Dec 14 to Dec 17",
        RESTART,
        "2 guests",
        RESTART,
        "yes",
        RESTART,
        "What bookings do I have?",
    ]
);

conversation!(
    relative_dates_tomorrow_for_two_nights,
    "uma",
    [
        "I'd like a standard room at City Center Inn tomorrow for 2 nights for 1 adult",
        "yes",
    ]
);

conversation!(
    relative_dates_next_friday,
    "victor",
    [
        "Book a deluxe room at the Grand Plaza from next Friday for 3 nights",
        "2 guests",
        "yes",
    ]
);

conversation!(
    relative_dates_this_weekend,
    "wendy",
    [
        "Do you have a family room at Mountain View Lodge this weekend for 4 people?",
        "yes",
    ]
);

conversation!(
    question_in_the_middle_of_a_booking,
    "xavier",
    [
        "I want to book a suite at Seaside Resort",
        "Do you allow pets at Seaside Resort?",
        "from Dec 10 to Dec 13 for 2 guests",
        "yes",
    ]
);

conversation!(
    spanish_booking_with_relative_dates,
    "yolanda",
    [
        "Quiero reservar una habitación estándar en el Airport Business Hotel mañana 3 noches para 2 personas",
        "sí",
    ]
);

seeded_conversation!(
    lookup_lists_several_bookings,
    "zoe",
    [
        (
            "zoe",
            "GPH",
            RoomKind::Deluxe,
            "2026-12-03",
            "2026-12-06",
            2
        ),
        (
            "zoe",
            "BSE",
            RoomKind::Standard,
            "2027-01-10",
            "2027-01-12",
            1
        ),
        (
            "zoe",
            "SRS",
            RoomKind::Family,
            "2027-02-14",
            "2027-02-17",
            4
        ),
        (
            "mallory",
            "CCI",
            RoomKind::Deluxe,
            "2026-12-10",
            "2026-12-12",
            2
        ),
    ],
    [
        "What bookings do I have?",
        "Can you show my booking {REF2}?"
    ]
);

// Deluxe at Heritage Palace is $340 a night: Fri Dec 18 and Sat Dec 19 are weekend nights
// ($374 each), Sun Dec 20 and Mon Dec 21 are peak nights ($408 each), $1,564 in all.
conversation!(
    peak_season_booking_shows_the_surcharge,
    "arthur",
    [
        "I'd like a deluxe room at Heritage Palace Hotel from December 18 to December 22 for 2 adults",
        "yes",
    ]
);
