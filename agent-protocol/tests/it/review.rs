//! Edge cases found in review: an edit or a delete while a run has the thread, an answer
//! that looks like a map of interrupt ids, a cancelled run's result whatever it streamed, and
//! a store item's ttl too large to hold.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::serve;

#[tokio::test]
async fn edits_and_deletes_wait_for_no_run() {
    let server = serve().await;
    let thread = server.thread().await;
    server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "sleepy", "input": {"ms": 2000}}),
        )
        .await;
    let edit = server
        .post(
            &format!("/threads/{thread}/state"),
            json!({"values": {"log": ["x"]}, "as_node": "sleep"}),
        )
        .await;
    assert_eq!(edit.status(), 409);
    let delete = server
        .http
        .delete(server.url(&format!("/threads/{thread}")))
        .send()
        .await
        .expect("answered");
    assert_eq!(delete.status(), 409);
}

#[tokio::test]
async fn an_answer_shaped_like_ids_that_are_not_pending_is_a_value() {
    let server = serve().await;
    let thread = server.thread().await;
    server
        .post(
            &format!("/threads/{thread}/runs/wait"),
            json!({"assistant_id": "approval", "input": {"ask": "1 night"}}),
        )
        .await
        .text()
        .await
        .expect("paused");
    let answer = json!({"0123456789abcdef0123456789abcdef": "yes"});
    let response = server
        .post(
            &format!("/threads/{thread}/runs/wait"),
            json!({"assistant_id": "approval", "command": {"resume": answer}}),
        )
        .await;
    let result: Value = response.json().await.expect("a result");
    // Taken as the answer itself, which `approve` (wanting text) cannot read; as ids it would
    // have failed as "not pending".
    let message = result["__error__"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("does not decode"), "{result}");
    assert!(!message.contains("not pending"), "{result}");
}

#[tokio::test]
async fn a_cancelled_run_answers_its_threads_values() {
    let server = serve().await;
    let thread = server.thread().await;
    let run: Value = server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "sleepy", "input": {"ms": 5000}, "stream_mode": "updates"}),
        )
        .await
        .json()
        .await
        .expect("a run");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let rid = run["run_id"].as_str().expect("an id");
    let cancelled: Value = server
        .http
        .post(server.url(&format!("/threads/{thread}/runs/{rid}/cancel?wait=1")))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("a result");
    assert_eq!(cancelled["ms"], 5000, "the input it stored: {cancelled}");
    let joined: Value = server
        .get(&format!("/threads/{thread}/runs/{rid}/join"))
        .await
        .json()
        .await
        .expect("a result");
    assert_eq!(joined, cancelled);
}

#[tokio::test]
async fn a_ttl_too_large_is_refused() {
    let server = serve().await;
    let response = server
        .http
        .put(server.url("/store/items"))
        .json(&json!({"namespace": ["a"], "key": "k", "value": {}, "ttl": 1e30}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 422);
}

/// A run that outlasts the keep-alive interval (5 s): the SSE answer carries heartbeat
/// comments and the `wait` answer leading newlines, and both still parse as the SDK reads them.
#[tokio::test]
async fn long_runs_keep_their_connections_alive() {
    let server = serve().await;
    let (a, b) = (server.thread().await, server.thread().await);
    let stream = async {
        server
            .post(
                &format!("/threads/{a}/runs/stream"),
                json!({"assistant_id": "sleepy", "input": {"ms": 5600}, "stream_mode": "updates"}),
            )
            .await
            .text()
            .await
            .expect("a stream")
    };
    let wait = async {
        server
            .post(
                &format!("/threads/{b}/runs/wait"),
                json!({"assistant_id": "sleepy", "input": {"ms": 5600}}),
            )
            .await
            .text()
            .await
            .expect("a body")
    };
    let (streamed, waited) = tokio::join!(stream, wait);
    assert!(streamed.contains(": heartbeat"), "{streamed}");
    assert!(streamed.contains("event: end"), "{streamed}");
    assert!(waited.starts_with('\n'), "{waited:?}");
    let values: Value = serde_json::from_str(&waited).expect("whitespace, then JSON");
    assert_eq!(values["log"], json!(["slept 5600 ms"]));
}
