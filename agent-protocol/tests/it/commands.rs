//! Starting runs other ways than with input: answers by interrupt id, `goto`, a replay or a
//! fork from a checkpoint, and breakpoints per run.

use serde_json::{Value, json};

use crate::common::{Server, frames, serve};

async fn wait(server: &Server, thread: &str, body: Value) -> Value {
    let response = server
        .post(&format!("/threads/{thread}/runs/wait"), body)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("a result")
}

#[tokio::test]
async fn an_interrupt_is_answered_by_its_id() {
    let server = serve().await;
    let thread = server.thread().await;
    let paused = wait(
        &server,
        &thread,
        json!({"assistant_id": "approval", "input": {"ask": "3 nights"}}),
    )
    .await;
    let id = paused["__interrupt__"][0]["id"]
        .as_str()
        .expect("an interrupt id")
        .to_owned();
    let done = wait(
        &server,
        &thread,
        json!({"assistant_id": "approval", "command": {"resume": {id: "yes"}}}),
    )
    .await;
    assert_eq!(done["approved"], true, "{done}");
    let unknown = server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "approval", "command": {"resume": "yes"}, "input": {}}),
        )
        .await;
    assert_eq!(unknown.status(), 422, "input and command together");
}

#[tokio::test]
async fn goto_runs_the_named_node_next() {
    let server = serve().await;
    let thread = server.thread().await;
    let out = wait(
        &server,
        &thread,
        json!({"assistant_id": "approval", "command": {"update": {"ask": "1 night"}, "goto": "decline"}}),
    )
    .await;
    assert_eq!(out["log"], json!(["declined"]), "{out}");
    assert_eq!(out["ask"], "1 night");
}

#[tokio::test]
async fn a_checkpoint_id_replays_without_input_and_forks_with_it() {
    let server = serve().await;
    let thread = server.thread().await;
    wait(
        &server,
        &thread,
        json!({"assistant_id": "approval", "input": {"ask": "2 nights"}}),
    )
    .await;
    wait(
        &server,
        &thread,
        json!({"assistant_id": "approval", "command": {"resume": "no"}}),
    )
    .await;
    // Checkpoint 1 is after `draft`, before `approve` asked.
    let replay = wait(
        &server,
        &thread,
        json!({"assistant_id": "approval", "checkpoint_id": "1"}),
    )
    .await;
    assert!(
        replay.get("__interrupt__").is_some(),
        "the replay asks again: {replay}"
    );
    let fork = wait(
        &server,
        &thread,
        json!({"assistant_id": "approval", "checkpoint": {"checkpoint_id": "0"}, "input": {"ask": "5 nights"}}),
    )
    .await;
    assert_eq!(fork["quote_cents"], 5 * 22_000, "{fork}");
    let bad = server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "approval", "checkpoint_id": "latest"}),
        )
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn breakpoints_per_run() {
    let server = serve().await;
    let thread = server.thread().await;
    let body = server
        .post(
            &format!("/threads/{thread}/runs/stream"),
            json!({"assistant_id": "approval", "input": {"ask": "2 nights"}, "interrupt_before": ["approve"],
                   "stream_mode": "updates"}),
        )
        .await
        .text()
        .await
        .expect("a stream");
    let names: Vec<String> = frames(&body).into_iter().map(|f| f.0).collect();
    assert_eq!(names, ["metadata", "updates", "end"], "{body}");
    let state: Value = server
        .get(&format!("/threads/{thread}/state"))
        .await
        .json()
        .await
        .expect("a state");
    assert_eq!(state["next"], json!(["approve"]));
    assert_eq!(
        state["interrupts"],
        json!([]),
        "a breakpoint, not an interrupt"
    );
    let everything = server
        .post(
            &format!("/threads/{thread}/runs/wait"),
            json!({"assistant_id": "approval", "interrupt_after": "*"}),
        )
        .await;
    assert_eq!(everything.status(), 200);
}
