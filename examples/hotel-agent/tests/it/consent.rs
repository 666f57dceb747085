//! Consent is a hard invariant: nothing is booked, moved or cancelled unless the guest's
//! message is a clear yes to the terms just quoted. A table (`tests/data/consent.yaml`) lists
//! how answers are read and checks through the real graph that each acceptance books exactly
//! the quoted stay; a property test throws non-affirmative replies of every kind at pending
//! quotes of every kind and checks that no booking is ever made or changed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use graph_core::{CompiledGraph, InMemoryCheckpointer, RunConfig};
use hotel::{BookingStatus, BookingStore, Catalog, Clock, GuestId, RoomKind, StayRequest};
use hotel_agent::consent::{self, Answer, Quoted};
use hotel_agent::{Conversation, HotelAgent, Pending, hotel_agent_graph, thread_id, turn};
use proptest::prelude::*;

use crate::traces::{scratch, today};

/// `answer` → quote kind → messages.
type Table = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn table() -> Table {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/consent.yaml");
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn kind(name: &str) -> Quoted {
    match name {
        "booking" => Quoted::Booking,
        "reschedule" => Quoted::Reschedule,
        "cancellation" => Quoted::Cancellation,
        other => panic!("unknown quote kind {other}"),
    }
}

fn answer(name: &str) -> Answer {
    match name {
        "accept" => Answer::Accept,
        "decline" => Answer::Decline,
        "defer" => Answer::Defer,
        "unclear" => Answer::Unclear,
        other => panic!("unknown answer {other}"),
    }
}

#[test]
fn the_table_of_answers_is_read_as_written() {
    let mut wrong = Vec::new();
    for (want, kinds) in table() {
        for (quoted, messages) in kinds {
            for message in messages {
                let got = consent::classify(&message, kind(&quoted));
                if got != answer(&want) {
                    wrong.push(format!(
                        "{message:?} to a {quoted} quote: want {want}, got {got:?}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A graph on a fresh store, and its store.
fn agent(name: &str) -> (CompiledGraph<Conversation>, BookingStore) {
    let dir = scratch(name);
    let store = BookingStore::open(dir.join("bookings.db"), Catalog::load().unwrap()).unwrap();
    let graph = hotel_agent_graph(HotelAgent::offline(store.clone(), Clock::Fixed(today())))
        .unwrap()
        .with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
    (graph, store)
}

const REQUEST: &str = "a standard room at City Center Inn from Dec 7 to Dec 9 for 2 adults";

/// Plays the request (which is quoted) and then `reply`, as `user`; returns the last turn's
/// state.
async fn answer_quote(
    graph: &CompiledGraph<Conversation>,
    user: &str,
    reply: &str,
) -> Conversation {
    let config = RunConfig::thread(thread_id("test", user));
    let quoted = graph
        .invoke(turn("test", user, REQUEST), &config)
        .await
        .unwrap();
    assert!(
        matches!(quoted.state.pending, Some(Pending::Book { .. })),
        "{}",
        quoted.state.reply
    );
    graph
        .invoke(turn("test", user, reply), &config)
        .await
        .unwrap()
        .state
}

#[tokio::test]
async fn every_acceptance_books_exactly_the_quoted_stay() {
    let table = table();
    for (i, message) in table["accept"]["booking"].iter().enumerate() {
        // A fresh hotel each time: the rooms would sell out.
        let (graph, store) = agent(&format!("consent-accept-{i}"));
        let user = format!("guest-{i}");
        let state = answer_quote(&graph, &user, message).await;
        let bookings = store.bookings_of(&GuestId::new("test", &user)).unwrap();
        let [b] = bookings.as_slice() else {
            panic!(
                "{message:?} booked {} stays: {}",
                bookings.len(),
                state.reply
            );
        };
        let q = &b.quote;
        assert_eq!(
            (q.hotel.as_str(), q.room, q.guests),
            ("CCI", RoomKind::Standard, 2),
            "{message:?}"
        );
        assert_eq!(
            (q.check_in.to_string(), q.check_out.to_string()),
            ("2026-12-07".to_owned(), "2026-12-09".to_owned())
        );
    }
}

/// Replies that are not a clear yes, by kind, English and Spanish. Corrections change the
/// quoted terms (a Standard at City Center Inn, Dec 7–9, for 2).
const HEDGES: &[&str] = &[
    "maybe",
    "hmm",
    "let me think",
    "I'll check with my wife",
    "not sure",
    "later",
    "just looking",
    "quizás",
    "déjame pensarlo",
    "lo consulto con mi marido",
    "no sé",
    "te digo",
];
const QUESTIONS: &[&str] = &[
    "is breakfast included?",
    "what time is check-in?",
    "can I bring my dog?",
    "how far is the airport?",
    "¿tienen parking?",
    "¿el desayuno va incluido?",
    "y wifi?",
    "is it refundable?",
];
const CORRECTIONS: &[&str] = &[
    "make it 3 nights",
    "can we do 3 people",
    "actually the deluxe",
    "change it to the 10th to the 12th",
    "mejor la deluxe",
    "somos 3 al final",
    "del 10 al 12 mejor",
    "at the grand plaza instead",
];
const DECLINES: &[&str] = &[
    "no",
    "nah",
    "not now",
    "no thanks",
    "forget it",
    "olvídalo",
    "no gracias",
    "mejor no",
    "too pricey",
    "nope",
];
const WEAK: &[&str] = &[
    "ok", "okay", "k", "sure", "vale", "bueno", "👍", "perfect", "genial", "cool", "",
];
const TAILS: &[&str] = &[
    "thanks",
    "gracias",
    "just looking",
    "for now",
    "we'll see",
    "hmm",
    "lol",
];
/// Words a random message may not contain: anything a person could mean as a yes. The test's
/// own list, not the classifier's.
const YES_WORDS: &[&str] = &[
    "yes",
    "yeah",
    "yep",
    "yup",
    "ye",
    "yas",
    "si",
    "sí",
    "sip",
    "dale",
    "confirm",
    "confirmo",
    "book",
    "adelante",
    "acuerdo",
    "claro",
    "ok",
    "okay",
    "sure",
    "go",
    "deal",
    "do",
    "proceed",
    "absolutely",
    "definitely",
    "course",
    "hazlo",
    "venga",
    "vale",
    "reserva",
    "resérvala",
];

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(list).prop_map(str::to_owned)
}

/// Any reply that is not a clear acceptance.
fn non_affirmative() -> impl Strategy<Value = String> {
    let random = "[a-zA-Z0-9áéíóúñ ,.?!]{0,40}".prop_filter("no yes-like word", |s| {
        let lower = s.to_lowercase();
        !lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| YES_WORDS.contains(&w))
    });
    let weak_and_more = (
        pick(WEAK),
        prop_oneof![
            pick(HEDGES),
            pick(QUESTIONS),
            pick(CORRECTIONS),
            pick(TAILS)
        ],
    )
        .prop_map(|(weak, rest)| format!("{weak} {rest}").trim().to_owned());
    prop_oneof![
        pick(HEDGES),
        pick(QUESTIONS),
        pick(CORRECTIONS),
        pick(DECLINES),
        weak_and_more,
        random,
    ]
}

/// A booking of `user`'s, made before the conversation, for change and cancellation quotes.
fn seeded(store: &BookingStore, user: &str) -> hotel::Booking {
    let request = StayRequest {
        hotel: "MVL".into(),
        room: RoomKind::Standard,
        check_in: "2027-01-08".parse().unwrap(),
        check_out: "2027-01-10".parse().unwrap(),
        guests: 2,
    };
    store
        .book(&GuestId::new("test", user), &request, user, today())
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// No reply that is not a clear yes books, moves or cancels anything, whichever quote waits.
    #[test]
    fn nothing_happens_without_a_clear_yes(reply in non_affirmative(), which in 0..3usize) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (graph, store) = agent("consent-prop");
        let user = "guest";
        let guest = GuestId::new("test", user);
        let config = RunConfig::thread(thread_id("test", user));
        let before = match which {
            0 => None,
            _ => Some(seeded(&store, user)),
        };
        let quote = match which {
            0 => REQUEST,
            1 => "I can't make it anymore, please cancel my booking",
            _ => "can we push my booking back a week?",
        };
        let quoted = runtime.block_on(graph.invoke(turn("test", user, quote), &config)).unwrap();
        prop_assert!(quoted.state.pending.is_some(), "no quote: {}", quoted.state.reply);
        let out = runtime.block_on(graph.invoke(turn("test", user, &reply), &config)).unwrap();
        let after = store.bookings_of(&guest).unwrap();
        match &before {
            None => prop_assert!(after.is_empty(), "{reply:?} booked: {}", out.state.reply),
            Some(b) => {
                prop_assert_eq!(after.len(), 1, "{:?}: {}", reply, out.state.reply);
                prop_assert_eq!(&after[0], b, "{:?} changed the booking: {}", reply, out.state.reply);
                prop_assert_eq!(after[0].status, BookingStatus::Confirmed);
            }
        }
    }
}
