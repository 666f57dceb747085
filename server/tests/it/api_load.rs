//! A load test of LangGraph's API on the server, ignored by default: clients on loopback each
//! create a thread, stream an `approval` run to its interrupt and resume it with `yes`, over
//! and over; every stream must reach the interrupt and every resume confirm. Prints cycles/s
//! and latency percentiles of both requests.
//!
//! `cargo test --release -j2 -p server --test it api_load -- --ignored --nocapture`; size it
//! with `LOAD_RUNS` (cycles, default 1000) and `LOAD_CLIENTS` (at once, default 16). With
//! `LOAD_URL` it drives that server instead of starting one: LangGraph's own (`langgraph dev`
//! serving an `approval` graph of the same shape) for a side-by-side figure.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common;
use crate::load::{env_count, percentile_ms};

/// One cycle: a thread, a streamed run to the interrupt, a resume. Returns both latencies.
async fn cycle(http: &reqwest::Client, base: &str) -> Result<(Duration, Duration), String> {
    let thread: Value = http
        .post(format!("{base}/threads"))
        .json(&json!({}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let thread = thread["thread_id"]
        .as_str()
        .ok_or("no thread id")?
        .to_owned();
    let started = Instant::now();
    let body = json!({"assistant_id": "approval", "input": {"ask": "suite 2 nights"},
        "stream_mode": ["values", "updates"]});
    let stream = http
        .post(format!("{base}/threads/{thread}/runs/stream"))
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let streamed = started.elapsed();
    // LangGraph's server ends a stream by closing it, without an `end` event.
    if !stream.contains("__interrupt__") {
        return Err(format!("the stream did not reach the interrupt: {stream}"));
    }
    let started = Instant::now();
    let resumed: Value = http
        .post(format!("{base}/threads/{thread}/runs/wait"))
        .json(&json!({"assistant_id": "approval", "command": {"resume": "yes"}}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let waited = started.elapsed();
    let confirmed = resumed["log"]
        .as_array()
        .and_then(|log| log.last())
        .and_then(Value::as_str)
        .is_some_and(|line| line.starts_with("confirmed as"));
    if !confirmed {
        return Err(format!("the resume did not confirm: {resumed}"));
    }
    Ok((streamed, waited))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a load test: run with --ignored --nocapture"]
async fn approval_runs_through_the_api() {
    let runs = env_count("LOAD_RUNS", 1000);
    let clients = env_count("LOAD_CLIENTS", 16);
    let dir = common::fresh_dir("api-load");
    let running = match std::env::var("LOAD_URL") {
        Ok(_) => None,
        Err(_) => Some(common::start(common::config(&dir, &[])).await),
    };
    let base = match &running {
        Some(running) => running.base.clone(),
        None => std::env::var("LOAD_URL").unwrap_or_default(),
    };
    let http = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (http, base, next) = (http.clone(), base.clone(), Arc::clone(&next));
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < runs {
                    outcomes.push(cycle(&http, &base).await);
                }
                outcomes
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(runs);
    for worker in workers {
        outcomes.extend(worker.await.expect("a client panicked"));
    }
    let elapsed = started.elapsed();
    if let Some(running) = running {
        running.server.shutdown().await;
    }

    let failures: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    let (mut streams, mut waits): (Vec<Duration>, Vec<Duration>) = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok().copied())
        .unzip();
    streams.sort_unstable();
    waits.sort_unstable();
    println!(
        "\napi load: {runs} approval cycles (stream to the interrupt, resume) by {clients} clients"
    );
    println!(
        "api load: {:.2} s, {:.1} cycles/s ({:.1} runs/s)",
        elapsed.as_secs_f64(),
        runs as f64 / elapsed.as_secs_f64(),
        2.0 * runs as f64 / elapsed.as_secs_f64()
    );
    println!(
        "api load: stream ms p50 {:.1} p99 {:.1}; resume (wait) ms p50 {:.1} p99 {:.1}",
        percentile_ms(&streams, 50.0),
        percentile_ms(&streams, 99.0),
        percentile_ms(&waits, 50.0),
        percentile_ms(&waits, 99.0),
    );
    println!("api load: {} failed cycle(s)\n", failures.len());
    assert_eq!(outcomes.len(), runs);
    assert!(
        failures.is_empty(),
        "{} failed; the first: {:?}",
        failures.len(),
        failures.first()
    );
}
