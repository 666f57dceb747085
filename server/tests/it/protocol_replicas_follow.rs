//! LangGraph's API reaching another replica's runs where a client names no run: the
//! thread-wide stream (`GET /threads/{id}/stream`), `POST /runs/cancel` by status, and a
//! stream opened with `cancel_on_disconnect` whose client leaves. Skipped with a notice
//! without the PostgreSQL binaries, unless `REQUIRE_PG_TESTS=1`.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::protocol_replicas::{Pair, frames, names, pair};

impl Pair {
    /// Waits (at most 5 s) until the run's status as B reads it is `want`.
    async fn until_status(&self, thread: &str, run: &str, want: &str) {
        let started = Instant::now();
        loop {
            let status = self.status(&self.b, thread, run).await;
            if status == want {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "run {run} is still {status}, not {want}; A's log:\n{}",
                self.a.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thread_stream_follows_the_runs_of_the_other_replica() {
    let Some(p) = pair("thread_stream").await else {
        return;
    };
    let thread = p.thread("t-thread-stream").await;
    let first = p.sleepy(&p.a, &thread, 800, "enqueue").await;
    let second = p.sleepy(&p.a, &thread, 1, "enqueue").await;
    let streamed = p.get(&p.b, &format!("/threads/{thread}/stream")).await;
    assert_eq!(streamed.status(), 200);
    let frames = frames(&streamed.text().await.unwrap());
    let names = names(&frames);
    assert_eq!(names.first(), Some(&"metadata"), "{frames:?}");
    assert_eq!(
        names.iter().filter(|n| **n == "end").count(),
        2,
        "one end per run: {frames:?}"
    );
    let runs: Vec<&str> = frames
        .iter()
        .map(|(_, id, _)| id.split(':').next().unwrap())
        .collect();
    let switch = runs
        .iter()
        .position(|r| *r == second)
        .expect("the second run's frames");
    assert!(
        runs[..switch].iter().all(|r| *r == first) && runs[switch..].iter().all(|r| *r == second),
        "the first run's frames, then the second's: {runs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_by_status_and_a_leaving_stream_client_stop_the_other_replicas_runs() {
    let Some(p) = pair("cancel_elsewhere").await else {
        return;
    };
    // `POST /runs/cancel` by status, through B, stops A's running run.
    let thread = p.thread("t-by-status").await;
    let run = p.sleepy(&p.a, &thread, 20_000, "enqueue").await;
    p.until_status(&thread, &run, "running").await;
    let cancelled = p
        .post(&p.b, "/runs/cancel", json!({"status": "running"}))
        .await;
    assert_eq!(cancelled.status(), 204);
    p.until_status(&thread, &run, "interrupted").await;

    // A stream of A's run through B, asked to cancel on disconnect: its client leaves.
    let thread = p.thread("t-disconnect").await;
    let run = p.sleepy(&p.a, &thread, 20_000, "enqueue").await;
    p.until_status(&thread, &run, "running").await;
    let mut streaming = p
        .get(
            &p.b,
            &format!("/threads/{thread}/runs/{run}/stream?cancel_on_disconnect=true"),
        )
        .await;
    assert_eq!(streaming.status(), 200);
    let first = streaming.chunk().await.unwrap().expect("a first frame");
    assert!(String::from_utf8_lossy(&first).contains("metadata"));
    drop(streaming);
    p.until_status(&thread, &run, "interrupted").await;

    // Without the flag, a client leaving changes nothing.
    let thread = p.thread("t-stays").await;
    let run = p.sleepy(&p.a, &thread, 1_500, "enqueue").await;
    p.until_status(&thread, &run, "running").await;
    let mut streaming = p
        .get(&p.b, &format!("/threads/{thread}/runs/{run}/stream"))
        .await;
    streaming.chunk().await.unwrap().expect("a first frame");
    drop(streaming);
    p.until_status(&thread, &run, "success").await;
}
