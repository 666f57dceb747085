//! Runs through the API: streamed to an interrupt, resumed, waited for, in the background.

use serde_json::{Value, json};

use crate::common::{frames, serve, serve_with};

#[tokio::test]
async fn a_streamed_run_pauses_at_the_interrupt_and_a_resume_confirms() {
    let server = serve().await;
    let thread = server.thread().await;
    let response = server
        .post(
            &format!("/threads/{thread}/runs/stream"),
            json!({"assistant_id": "approval", "input": {"ask": "suite 2 nights"},
                   "stream_mode": ["values", "updates"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.contains("text/event-stream"), "{content_type}");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("/threads/{thread}/runs/")) && location.ends_with("/stream")
    );
    let body = response.text().await.unwrap();
    let frames = frames(&body);
    let names: Vec<&str> = frames.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names.first(), Some(&"metadata"), "{body}");
    assert_eq!(names.last(), Some(&"end"), "{body}");
    let interrupted = frames
        .iter()
        .find(|f| f.0 == "values" && f.2.get("__interrupt__").is_some())
        .expect("a values frame with the interrupt");
    assert_eq!(
        interrupted.2["__interrupt__"][0]["value"]["quote_usd"],
        "440.00"
    );
    assert!(
        frames
            .iter()
            .any(|f| f.0 == "updates" && f.2.get("__interrupt__").is_some())
    );

    let state: Value = server
        .get(&format!("/threads/{thread}/state"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(state["next"], json!(["approve"]));
    let thread_view: Value = server
        .get(&format!("/threads/{thread}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(thread_view["status"], "interrupted");

    let resumed: Value = server
        .post(
            &format!("/threads/{thread}/runs/wait"),
            json!({"assistant_id": "approval", "command": {"resume": "yes"}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let log = resumed["log"].as_array().unwrap();
    assert!(
        log.last()
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("confirmed as REF-"),
        "{resumed}"
    );
}

#[tokio::test]
async fn multitask_reject_refuses_and_cancel_interrupts() {
    let server = serve().await;
    let thread = server.thread().await;
    let run: Value = server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "sleepy", "input": {"ms": 5000}}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(run["status"], "pending");
    let rejected = server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "sleepy", "input": {"ms": 1}, "multitask_strategy": "reject"}),
        )
        .await;
    assert_eq!(rejected.status(), 409);
    let run_id = run["run_id"].as_str().unwrap();
    let cancelled = server
        .http
        .post(server.url(&format!(
            "/threads/{thread}/runs/{run_id}/cancel?wait=1&action=interrupt"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let _ = cancelled.text().await.unwrap();
    let after: Value = server
        .get(&format!("/threads/{thread}/runs/{run_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["status"], "interrupted");
}

#[tokio::test]
async fn an_unknown_assistant_is_a_404_naming_the_graphs() {
    let server = serve().await;
    let thread = server.thread().await;
    let response = server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "nope", "input": {}}),
        )
        .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("approval, sleepy"),
        "{body}"
    );
}

#[tokio::test]
async fn ended_runs_lose_their_events_after_the_retention_but_keep_their_result() {
    let server = serve_with(|b| b.event_retention(std::time::Duration::ZERO)).await;
    let thread = server.thread().await;
    let first = server
        .post(
            &format!("/threads/{thread}/runs/wait"),
            json!({"assistant_id": "sleepy", "input": {"ms": 1}}),
        )
        .await;
    let run_at = first.headers()["content-location"]
        .to_str()
        .unwrap()
        .to_owned();
    first.text().await.unwrap();
    // The next run's end prunes what ended before it.
    server
        .post(
            &format!("/threads/{thread}/runs/wait"),
            json!({"assistant_id": "sleepy", "input": {"ms": 1}}),
        )
        .await
        .text()
        .await
        .unwrap();
    let mut names = Vec::new();
    for _ in 0..50 {
        let body = server
            .get(&format!("{run_at}/stream"))
            .await
            .text()
            .await
            .unwrap();
        names = frames(&body).into_iter().map(|f| f.0).collect::<Vec<_>>();
        if names == ["end"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        names,
        ["end"],
        "only the end is told once the events are gone"
    );
    let joined: Value = server
        .get(&format!("{run_at}/join"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(joined["log"], json!(["slept 1 ms"]), "the result stays");
}
