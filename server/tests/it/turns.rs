//! Turns whose client leaves: a `/api/chat` request dropped mid-turn still finishes its turn,
//! and the guest's next message, sent at once, runs after it and its writes, never beside
//! them. A failed turn answers a generic 500 with a request id, never storage details.
//!
//! A loopback Gemini holds every call for a few milliseconds (then refuses it, so the offline
//! NLU answers): each turn is slow enough to be cut off mid-flight, and the fake says when a
//! turn is under way, so every message the test sends is one the server started.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::common::{self, Running};

/// How long the fake Gemini holds each call before refusing it, unless told otherwise.
const HOLD: Duration = Duration::from_millis(4);
/// The longest a client waits, once its turn is under way, before it leaves.
const MAX_PATIENCE_MS: u64 = 8;

/// A loopback Gemini that tells who waits for a message when a call carrying it arrives.
#[derive(Clone)]
struct SlowGemini {
    /// Markers of messages sent and not yet seen, and who to tell when they are.
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<()>>>>,
    /// How long it holds each call.
    hold: Duration,
}

impl SlowGemini {
    fn new(hold: Duration) -> SlowGemini {
        SlowGemini {
            waiting: Arc::default(),
            hold,
        }
    }

    /// Starts the fake and returns its base URL.
    async fn start(&self) -> String {
        let fake = self.clone();
        let app = axum::Router::new().route(
            "/v1beta/models/{call}",
            post(move |body: String| {
                let fake = fake.clone();
                async move {
                    fake.seen(&body);
                    tokio::time::sleep(fake.hold).await;
                    // A 400 about the request: no retry, no breaker, the offline NLU answers.
                    (
                        axum::http::StatusCode::BAD_REQUEST,
                        axum::Json(json!({"error": {"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}})),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        base
    }

    /// Tells whoever waits for a marker the call carries.
    fn seen(&self, body: &str) {
        let mut waiting = self.waiting.lock().unwrap();
        let found: Vec<String> = waiting
            .keys()
            .filter(|marker| body.contains(marker.as_str()))
            .cloned()
            .collect();
        for marker in found {
            if let Some(tell) = waiting.remove(&marker) {
                let _ = tell.send(());
            }
        }
    }

    /// A receiver that fires when a call carrying `marker` arrives.
    fn expect(&self, marker: String) -> oneshot::Receiver<()> {
        let (tell, told) = oneshot::channel();
        self.waiting.lock().unwrap().insert(marker, tell);
        told
    }
}

/// Guest `guest`'s `n`th message: a hotel question with a marker no other message contains.
fn message(guest: usize, n: usize) -> (String, String) {
    const QUESTIONS: [&str; 6] = [
        "Is there parking at the Grand Plaza Hotel?",
        "Does the Seaside Resort & Spa have a pool?",
        "What time is check in at Mountain View Lodge?",
        "Is breakfast included at the City Center Inn?",
        "Do you allow pets at the Grand Plaza?",
        "Is there wifi at the Seaside Resort?",
    ];
    let marker = format!("zx{guest:03}q{n:04}zx");
    let text = format!("{} ({marker})", QUESTIONS[(guest + n) % QUESTIONS.len()]);
    (marker, text)
}

/// A server on `dir` whose Gemini is the slow fake, with rate limits out of the way.
async fn start_slow(dir: &std::path::Path, hold: Duration) -> (Running, SlowGemini) {
    let gemini = SlowGemini::new(hold);
    let base = gemini.start().await;
    let mut config = common::config(
        dir,
        &[
            "--gemini-api-key",
            "test-key",
            "--gemini-base-url",
            &base,
            "--rate-limit-per-guest",
            "100000",
            "--rate-limit-global",
            "100000",
        ],
    );
    config.llm_provider = None; // the key alone selects Gemini
    (common::start(config).await, gemini)
}

/// One guest's session: each message but the last is dropped by its client a random few
/// milliseconds after its turn started, and the next is sent at once; the last is awaited.
/// Returns the texts sent and every 5xx (or missing answer) seen.
async fn leave_mid_turn(
    running: &Running,
    gemini: &SlowGemini,
    guest: usize,
    turns: usize,
) -> (Vec<String>, Vec<String>) {
    let user = format!("leaver-{guest}");
    let mut rng = fastrand::Rng::with_seed(guest as u64);
    let mut sent = Vec::with_capacity(turns);
    let mut failures = Vec::new();
    for n in 0..turns {
        let (marker, text) = message(guest, n);
        let started = gemini.expect(marker);
        let request = running
            .http
            .post(running.url("/api/chat"))
            .header("x-request-id", format!("{user}-{n}"))
            .json(&json!({"user_id": user, "text": text}))
            .send();
        sent.push(text.clone());
        let mut request = tokio::spawn(request);
        if n + 1 == turns {
            match request.await.unwrap() {
                Ok(response) if response.status() == 200 => {}
                Ok(response) => failures.push(format!(
                    "{user} {text:?}: {} {}",
                    response.status(),
                    response.text().await.unwrap_or_default()
                )),
                Err(e) => failures.push(format!("{user} {text:?}: {e}")),
            }
            break;
        }
        // Wait until the turn is under way (or the request ends without it: a failure).
        let answered = tokio::select! {
            answered = &mut request => Some(answered),
            told = started => {
                assert!(told.is_ok(), "{user} {text:?}: the fake dropped its waiter");
                None
            }
        };
        let answered = match answered {
            Some(answered) => Some(answered.unwrap()),
            None => {
                tokio::time::sleep(Duration::from_millis(rng.u64(0..=MAX_PATIENCE_MS))).await;
                // The client leaves, unless the answer came first.
                request.abort();
                request.await.ok()
            }
        };
        if let Some(answered) = answered {
            match answered {
                Ok(response) if response.status().is_server_error() => failures.push(format!(
                    "{user} {text:?}: {} {}",
                    response.status(),
                    response.text().await.unwrap_or_default()
                )),
                Ok(_) => {}
                Err(e) => failures.push(format!("{user} {text:?}: {e}")),
            }
        }
    }
    (sent, failures)
}

/// The turns of a thread, oldest first, as (message, reply), read from its history with
/// values: each turn ends at a checkpoint with nothing next, holding its message and reply.
async fn turns_in_history(running: &common::Running, thread: &str) -> Vec<(String, String)> {
    let mut turns = Vec::new();
    let mut before: Option<u64> = None;
    loop {
        let mut path = format!("/api/threads/{thread}/history?limit=100&values=true");
        if let Some(id) = before {
            path.push_str(&format!("&before={id}"));
        }
        let (status, page) = running.get_json(&path).await;
        assert_eq!(status, 200, "{page}");
        for checkpoint in page["checkpoints"].as_array().unwrap() {
            if checkpoint["next"] == json!([]) {
                let values = &checkpoint["values"];
                turns.push((
                    values["message"].as_str().unwrap().to_owned(),
                    values["reply"].as_str().unwrap().to_owned(),
                ));
            }
        }
        match page["next_before"].as_u64() {
            Some(id) => before = Some(id),
            None => break,
        }
    }
    turns.reverse();
    turns
}

/// `guests` guests each send `turns` messages, leaving all but the last mid-turn; then no
/// answer was a 5xx, each guest's history holds every message, in order, each with a reply,
/// and the state's transcript is the window of the last lines of that conversation.
async fn every_turn_left_mid_flight_completes(guests: usize, turns: usize) {
    let dir = common::fresh_dir(&format!("leave-mid-turn-{guests}x{turns}"));
    let (running, gemini) = start_slow(&dir, HOLD).await;
    let running = Arc::new(running);
    let sessions: Vec<_> = (0..guests)
        .map(|guest| {
            let (running, gemini) = (Arc::clone(&running), gemini.clone());
            tokio::spawn(async move { leave_mid_turn(&running, &gemini, guest, turns).await })
        })
        .collect();
    let mut failures = Vec::new();
    let mut missing = Vec::new();
    for (guest, session) in sessions.into_iter().enumerate() {
        let (sent, failed) = session.await.unwrap();
        failures.extend(failed);
        let thread = format!("web:leaver-{guest}");
        let history = turns_in_history(&running, &thread).await;
        let said: Vec<&str> = history.iter().map(|(m, _)| m.as_str()).collect();
        let replied = history.iter().filter(|(_, r)| !r.is_empty()).count();
        if said != sent || replied != turns {
            missing.push(format!(
                "leaver-{guest}: sent {}, history has {} turn(s) and {replied} repl(ies); \
                 first difference at message {:?}",
                sent.len(),
                said.len(),
                sent.iter().zip(&said).position(|(a, b)| a != b),
            ));
            continue;
        }
        let (status, state) = running
            .get_json(&format!("/api/threads/{thread}/state"))
            .await;
        assert_eq!(status, 200, "{state}");
        let window: Vec<(&str, &str)> = state["values"]["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["from"].as_str().unwrap(), l["text"].as_str().unwrap()))
            .collect();
        let lines: Vec<(&str, &str)> = history
            .iter()
            .flat_map(|(m, r)| [("guest", m.as_str()), ("agent", r.as_str())])
            .collect();
        let last = &lines[lines.len().saturating_sub(hotel_agent::TRANSCRIPT_LINES)..];
        assert_eq!(
            window, last,
            "{thread}: the transcript is the conversation's last lines"
        );
    }
    Arc::into_inner(running)
        .expect("the sessions are over")
        .server
        .shutdown()
        .await;
    assert!(
        failures.is_empty(),
        "{} of {} turns failed; the first: {:#?}",
        failures.len(),
        guests * turns,
        &failures[..failures.len().min(5)]
    );
    assert!(missing.is_empty(), "turns missing: {missing:#?}");
}

/// A thousand turns (16 guests × 63), each left by its client mid-flight, the next message sent
/// at once (about 12 s on 2 cores). 63 turns are 126 lines, more than the transcript keeps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_turns_left_mid_flight_complete_in_order() {
    every_turn_left_mid_flight_completes(16, 63).await;
}

/// Shutdown waits for a turn whose client left: after it, the thread holds the turn's reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_a_turn_whose_client_left() {
    let dir = common::fresh_dir("leave-then-stop");
    // Held long enough that shutdown comes well before the turn's end.
    let (running, gemini) = start_slow(&dir, Duration::from_millis(300)).await;
    let (marker, text) = message(0, 0);
    let started = gemini.expect(marker);
    let request = running
        .http
        .post(running.url("/api/chat"))
        .json(&json!({"user_id": "stopper", "text": text}))
        .send();
    let request = tokio::spawn(request);
    started.await.unwrap();
    request.abort();
    let _ = request.await;
    running.server.shutdown().await;

    let running = common::start(common::config(&dir, &[])).await;
    let (status, state) = running.get_json("/api/threads/web:stopper/state").await;
    assert_eq!(status, 200, "{state}");
    let lines = state["values"]["transcript"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "the message and its reply: {lines:?}");
    assert_eq!(lines[0]["text"], text);
    assert_eq!(lines[1]["from"], "agent");
    running.server.shutdown().await;
}

/// A failed turn's 500 says nothing of storage: a trigger makes every checkpoint write fail,
/// and the answer is a generic message with the request id, which the log has the details
/// under. Reads that fail, of threads and of bookings, say as little.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_turn_answers_500_without_storage_details() {
    let dir = common::fresh_dir("failed-turn");
    let running = common::start(common::config(&dir, &[])).await;
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    db.execute_batch(
        "CREATE TRIGGER no_more_checkpoints BEFORE INSERT ON gc_checkpoints
         BEGIN SELECT RAISE(ABORT, 'disk quota exceeded in gc_checkpoints'); END;",
    )
    .unwrap();
    let response = running
        .http
        .post(running.url("/api/chat"))
        .header("x-request-id", "req-failed-1")
        .json(&json!({"user_id": "ivy", "text": "Is there parking at the Grand Plaza Hotel?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["x-request-id"], "req-failed-1");
    let body: Value = response.json().await.unwrap();
    assert_no_internals(&body, "req-failed-1", &dir);

    // Reads that fail say as little: the tables of threads and of bookings are gone.
    db.execute_batch(
        "ALTER TABLE gc_threads RENAME TO gc_gone;
         ALTER TABLE hb_bookings RENAME TO hb_gone;",
    )
    .unwrap();
    for (n, path) in [
        "/api/threads/web:ivy/state",
        "/api/threads/web:ivy/history",
        "/api/users/ivy/bookings",
        "/api/bookings/GPH-222222",
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("req-read-{n}");
        let response = running
            .http
            .get(running.url(path))
            .header("x-request-id", &id)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 500, "{path}");
        assert_eq!(response.headers()["x-request-id"], id.as_str(), "{path}");
        let body: Value = response.json().await.unwrap();
        assert_no_internals(&body, &id, &dir);
    }
    // Without an `x-request-id`, the server makes one up and still answers with it.
    let (status, body) = running.get_json("/api/threads/web:ivy/state").await;
    assert_eq!(status, 500);
    let made_up = body["request_id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(made_up.len(), 16, "{body}");
    assert_no_internals(&body, &made_up, &dir);
    running.server.shutdown().await;
}

/// Fails unless `body` is exactly the generic 500 `{"error", "request_id"}` with
/// `request_id`, naming no storage (SQL, tables, checkpoints, threads) and no file path
/// (the database in `dir`).
#[track_caller]
pub(crate) fn assert_no_internals(body: &Value, request_id: &str, dir: &std::path::Path) {
    let mut fields: Vec<&String> = body.as_object().expect("an object").keys().collect();
    fields.sort();
    assert_eq!(fields, ["error", "request_id"], "{body}");
    assert_eq!(body["request_id"], request_id, "{body}");
    let text = body.to_string().to_lowercase();
    let dir = dir.display().to_string().to_lowercase();
    for word in [
        "sql",
        "select",
        "insert",
        "raise",
        "abort",
        "trigger",
        "table",
        "gc_",
        "hb_",
        "sv_",
        "checkpoint",
        "quota",
        "thread",
        "booking",
        "storage",
        "database",
        "agent.db",
        "/",
        &dir,
    ] {
        assert!(!text.contains(word), "{word:?} leaked: {body}");
    }
}
