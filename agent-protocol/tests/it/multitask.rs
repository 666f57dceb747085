//! Double-texting: what a run created on a busy thread does (LangGraph's multitask strategies),
//! and cancelling with rollback.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Server, serve};

async fn create(server: &Server, thread: &str, body: Value) -> Value {
    let response = server.post(&format!("/threads/{thread}/runs"), body).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("a run")
}

async fn join(server: &Server, thread: &str, run: &Value) -> Value {
    let rid = run["run_id"].as_str().expect("an id");
    server
        .get(&format!("/threads/{thread}/runs/{rid}/join"))
        .await
        .json()
        .await
        .expect("a result")
}

async fn status(server: &Server, thread: &str, run: &Value) -> Value {
    let rid = run["run_id"].as_str().expect("an id");
    let run: Value = server
        .get(&format!("/threads/{thread}/runs/{rid}"))
        .await
        .json()
        .await
        .expect("a run");
    run["status"].clone()
}

async fn history_len(server: &Server, thread: &str) -> usize {
    let history: Value = server
        .post(&format!("/threads/{thread}/history"), json!({"limit": 100}))
        .await
        .json()
        .await
        .expect("a history");
    history.as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn enqueue_runs_in_creation_order() {
    let server = serve().await;
    let thread = server.thread().await;
    let first = create(
        &server,
        &thread,
        json!({"assistant_id": "sleepy", "input": {"ms": 200}}),
    )
    .await;
    let second = create(
        &server,
        &thread,
        json!({"assistant_id": "sleepy", "input": {"ms": 1}}),
    )
    .await;
    let result = join(&server, &thread, &second).await;
    // The second run waited for the first: its log has the first's line before its own.
    assert_eq!(result["log"], json!(["slept 200 ms", "slept 1 ms"]));
    assert_eq!(status(&server, &thread, &first).await, "success");
    assert_eq!(status(&server, &thread, &second).await, "success");
}

#[tokio::test]
async fn interrupt_stops_the_running_run_and_the_new_one_goes_on_from_its_state() {
    let server = serve().await;
    let thread = server.thread().await;
    let first = create(
        &server,
        &thread,
        json!({"assistant_id": "sleepy", "input": {"ms": 10000}}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = create(
        &server,
        &thread,
        json!({"assistant_id": "sleepy", "input": {"ms": 1}, "multitask_strategy": "interrupt"}),
    )
    .await;
    let result = join(&server, &thread, &second).await;
    assert_eq!(
        result["log"],
        json!(["slept 1 ms"]),
        "the first never finished its sleep"
    );
    assert_eq!(status(&server, &thread, &first).await, "interrupted");
    assert_eq!(status(&server, &thread, &second).await, "success");
}

#[tokio::test]
async fn rollback_leaves_no_checkpoint_of_the_first_run() {
    let server = serve().await;
    let thread = server.thread().await;
    let done = create(
        &server,
        &thread,
        json!({"assistant_id": "sleepy", "input": {"ms": 1}}),
    )
    .await;
    join(&server, &thread, &done).await;
    let before = history_len(&server, &thread).await;
    let first = create(
        &server,
        &thread,
        json!({"assistant_id": "sleepy", "input": {"ms": 10000}}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        history_len(&server, &thread).await > before,
        "the first run stored its input"
    );
    let second = create(
        &server,
        &thread,
        json!({"assistant_id": "sleepy", "input": {"ms": 1}, "multitask_strategy": "rollback"}),
    )
    .await;
    let result = join(&server, &thread, &second).await;
    assert_eq!(
        result["log"],
        json!(["slept 1 ms", "slept 1 ms"]),
        "{result}"
    );
    // The rolled-back run is gone, with its checkpoints: the second run's two follow the first's.
    let rid = first["run_id"].as_str().expect("an id");
    assert_eq!(
        server
            .get(&format!("/threads/{thread}/runs/{rid}"))
            .await
            .status(),
        404
    );
    assert_eq!(history_len(&server, &thread).await, before + 2);
}

#[tokio::test]
async fn cancel_with_rollback_rewinds_the_thread() {
    let server = serve().await;
    let thread = server.thread().await;
    let run = create(
        &server,
        &thread,
        json!({"assistant_id": "sleepy", "input": {"ms": 10000}}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let rid = run["run_id"].as_str().expect("an id");
    let cancelled = server
        .http
        .post(server.url(&format!(
            "/threads/{thread}/runs/{rid}/cancel?wait=1&action=rollback"
        )))
        .send()
        .await
        .expect("answered");
    assert_eq!(cancelled.status(), 200);
    cancelled.text().await.expect("a body");
    assert_eq!(
        history_len(&server, &thread).await,
        0,
        "the thread is as before the run"
    );
    let state: Value = server
        .get(&format!("/threads/{thread}/state"))
        .await
        .json()
        .await
        .expect("a state");
    assert_eq!(state["checkpoint"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_runs_created_at_once_with_reject_one_is_admitted() {
    let server = serve().await;
    let thread = server.thread().await;
    let body =
        json!({"assistant_id": "sleepy", "input": {"ms": 2000}, "multitask_strategy": "reject"});
    let attempts: Vec<_> = (0..10)
        .map(|_| {
            let request = server
                .http
                .post(server.url(&format!("/threads/{thread}/runs")))
                .json(&body);
            tokio::spawn(async move { request.send().await.expect("answered").status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.expect("a client"));
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
}
