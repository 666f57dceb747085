//! A load test, ignored by default: many simulated guests chat with the in-process server over
//! loopback at once, each on an OS thread of its own sending its messages one after another
//! (so each guest is also one conversation thread); every answer must be a 200 with a reply.
//! Prints throughput, latency percentiles and the intents the agent understood.
//!
//! `cargo test -j2 -p server --test it load -- --ignored --nocapture`; size it with
//! `LOAD_GUESTS` (default 64) and `LOAD_MESSAGES` (messages per guest, default 20).
//!
//! Its companion over real sockets, with the release binary and wrk, is
//! `server/tests/wrk/chat_load.sh`: the message rate, p50 and p99 over four periods on the same
//! guests, to show whether the rate decays as threads grow.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::common;

/// Simulated guests chatting at once, unless `LOAD_GUESTS` says otherwise.
const DEFAULT_GUESTS: usize = 64;
/// Messages each guest sends, unless `LOAD_MESSAGES` says otherwise.
const DEFAULT_MESSAGES: usize = 20;

/// Hotels the guests ask about, as guests write them.
const HOTELS: [&str; 4] = [
    "Grand Plaza",
    "Seaside Resort & Spa",
    "Mountain View Lodge",
    "City Center Inn",
];

/// A positive count from the environment variable `name`, or `default` when it is unset.
pub(crate) fn env_count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Err(_) => default,
        Ok(value) => match value.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => panic!("{name} must be a positive whole number, got {value:?}"),
        },
    }
}

/// The `n`th message of guest `guest`: a greeting, a booking request with a hotel, dates and
/// guests, a question about the hotel, and a "no", over and over.
fn message(guest: usize, n: usize) -> String {
    let hotel = HOTELS[(guest + n / 4) % HOTELS.len()];
    match n % 4 {
        0 => ["Hi there!", "Hello", "Good morning", "Hey, hi"][guest % 4].to_owned(),
        1 => {
            let day = 1 + (guest + n) % 20;
            let adults = 1 + guest % 2;
            format!(
                "I'd like a room at {hotel} from December {day} to December {} for {adults} adults",
                day + 2
            )
        }
        2 => format!("Is there parking at {hotel}?"),
        _ => "no".to_owned(),
    }
}

/// What one request came to: how long it took, and the intent the agent understood or why it
/// was not a good answer.
type Outcome = (Duration, Result<String, String>);

/// Starts guest `guest` on a thread of its own (with its own small runtime and HTTP client)
/// that sends its `messages` messages one after another, timing each; the outcomes come back
/// through the returned receiver, which errs if the thread died.
fn spawn_guest(url: String, guest: usize, messages: usize) -> oneshot::Receiver<Vec<Outcome>> {
    let (done, outcomes) = oneshot::channel();
    std::thread::Builder::new()
        .name(format!("load-guest-{guest}"))
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("build a guest's runtime");
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("build a guest's HTTP client");
            let _ = done.send(runtime.block_on(guest_session(&http, &url, guest, messages)));
        })
        .expect("spawn a guest's thread");
    outcomes
}

/// Sends guest `guest`'s `messages` messages one after another and times each.
async fn guest_session(
    http: &reqwest::Client,
    url: &str,
    guest: usize,
    messages: usize,
) -> Vec<Outcome> {
    let user = format!("load-guest-{guest}");
    let mut outcomes = Vec::with_capacity(messages);
    for n in 0..messages {
        let text = message(guest, n);
        let started = Instant::now();
        let result = http
            .post(url)
            .json(&json!({"user_id": user, "text": text}))
            .send()
            .await;
        let checked = match result {
            Err(e) => Err(format!("{user} {text:?}: {e}")),
            Ok(response) => {
                let status = response.status();
                let body = response.text().await;
                match body {
                    Err(e) => Err(format!("{user} {text:?}: reading the body: {e}")),
                    Ok(body) if status != reqwest::StatusCode::OK => {
                        Err(format!("{user} {text:?}: {status} {body}"))
                    }
                    Ok(body) => match serde_json::from_str::<Value>(&body) {
                        Ok(v) if v["reply"].as_str().is_some_and(|r| !r.is_empty()) => {
                            Ok(v["intent"].as_str().unwrap_or("none").to_owned())
                        }
                        _ => Err(format!("{user} {text:?}: 200 without a reply: {body}")),
                    },
                }
            }
        };
        outcomes.push((started.elapsed(), checked));
    }
    outcomes
}

/// The `p`th percentile (nearest rank) of `sorted`, in milliseconds.
pub(crate) fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank: the smallest value with at least p% of the values at or below it.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1e3
}

/// Many guests chat at once; every turn answers 200 with a reply; prints the figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a load test: run with --ignored --nocapture"]
async fn many_guests_chat_at_once() {
    let guests = env_count("LOAD_GUESTS", DEFAULT_GUESTS);
    let messages = env_count("LOAD_MESSAGES", DEFAULT_MESSAGES);
    let dir = common::fresh_dir("load");
    let running = common::start(common::config(
        &dir,
        &[
            "--rate-limit-per-guest",
            "100000",
            "--rate-limit-global",
            "100000",
        ],
    ))
    .await;
    let url = running.url("/api/chat");

    let started = Instant::now();
    let sessions: Vec<_> = (0..guests)
        .map(|guest| spawn_guest(url.clone(), guest, messages))
        .collect();
    let mut outcomes = Vec::with_capacity(guests * messages);
    for session in sessions {
        outcomes.extend(session.await.expect("a guest's thread panicked"));
    }
    let elapsed = started.elapsed();
    running.server.shutdown().await;

    let failures: Vec<&String> = outcomes
        .iter()
        .filter_map(|(_, r)| r.as_ref().err())
        .collect();
    let mut intents = std::collections::BTreeMap::<&str, usize>::new();
    for intent in outcomes.iter().filter_map(|(_, r)| r.as_ref().ok()) {
        *intents.entry(intent.as_str()).or_default() += 1;
    }
    let mut latencies: Vec<Duration> = outcomes.iter().map(|(d, _)| *d).collect();
    latencies.sort_unstable();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let total = outcomes.len();
    println!("\nload: {guests} guests x {messages} messages = {total} turns over loopback");
    println!("load: {cores} core(s) available; server runtime: 2 worker threads");
    println!(
        "load: {:.2} s, {:.1} messages/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "load: latency ms: p50 {:.1}, p95 {:.1}, p99 {:.1}, max {:.1}",
        percentile_ms(&latencies, 50.0),
        percentile_ms(&latencies, 95.0),
        percentile_ms(&latencies, 99.0),
        percentile_ms(&latencies, 100.0),
    );
    println!("load: intents understood: {intents:?}");
    println!("load: {} failed request(s)\n", failures.len());

    assert_eq!(total, guests * messages, "every message was sent");
    assert!(
        failures.is_empty(),
        "{} of {total} requests failed; the first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}
