//! The wire: the requests of a typical SDK script (as `langgraph_sdk` 0.4.14 sends them), their
//! answers as insta snapshots with ids and times redacted, the headers the SDK relies on, the
//! status codes it turns into exceptions, and query strings as httpx encodes them.

use serde_json::{Value, json};

use crate::common::{Server, frames, serve};

/// Replaces what differs between runs (uuids, times, task and interrupt ids) with placeholders.
fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "created_at" | "updated_at" | "state_updated_at" | "timestamp" => {
                            json!("[time]")
                        }
                        "id" | "task_id" | "langgraph_task_id" if v.is_string() => json!("[id]"),
                        _ => redact(v),
                    };
                    (
                        if looks_generated(&k) {
                            "[id]".into()
                        } else {
                            k
                        },
                        v,
                    )
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        Value::String(s) if looks_generated(&s) => json!("[id]"),
        Value::String(s) if s.starts_with("REF-") => json!("REF-[effect]"),
        Value::String(s) if s.starts_with("confirmed as REF-") => {
            json!("confirmed as REF-[effect]")
        }
        other => other,
    }
}

/// A uuid, or a 32-digit hex id (tasks, interrupts).
fn looks_generated(s: &str) -> bool {
    let uuid = s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4;
    let hex = s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit());
    (uuid && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())) || hex
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("a JSON body")
}

async fn interrupted_thread(server: &Server) -> String {
    let thread = server.thread().await;
    let body = server
        .post(
            &format!("/threads/{thread}/runs/stream"),
            json!({"assistant_id": "approval", "input": {"ask": "suite 2 nights"},
                   "stream_mode": ["values", "updates"], "stream_resumable": false,
                   "stream_subgraphs": false}),
        )
        .await
        .text()
        .await
        .expect("a stream");
    assert!(body.contains("__interrupt__"), "{body}");
    thread
}

#[tokio::test]
async fn the_typical_scripts_answers() {
    let server = serve().await;
    let assistants = json_of(
        server
            .post(
                "/assistants/search",
                json!({"graph_id": "approval", "limit": 10, "offset": 0}),
            )
            .await,
    )
    .await;
    insta::assert_json_snapshot!("assistants_search", redact(assistants.clone()));
    let aid = assistants[0]["assistant_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(aid, "e234584d-b7bf-527f-9d06-ba77f8f5172d");
    let graph = json_of(
        server
            .get(&format!("/assistants/{aid}/graph?xray=false"))
            .await,
    )
    .await;
    insta::assert_json_snapshot!("assistant_graph", graph);

    let thread = interrupted_thread(&server).await;
    let state = json_of(
        server
            .get(&format!("/threads/{thread}/state?subgraphs=false"))
            .await,
    )
    .await;
    insta::assert_json_snapshot!("state_at_interrupt", redact(state));
    let view = json_of(server.get(&format!("/threads/{thread}")).await).await;
    insta::assert_json_snapshot!("thread_interrupted", redact(view));

    let history = json_of(
        server
            .post(&format!("/threads/{thread}/history"), json!({"limit": 3}))
            .await,
    )
    .await;
    let ids: Vec<&str> = history
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| s["checkpoint_id"].as_str().expect("an id"))
        .collect();
    assert_eq!(ids, ["1", "0"], "newest first");
    let before = json!({"checkpoint_id": "1", "checkpoint_ns": "", "thread_id": thread});
    let older = json_of(
        server
            .post(
                &format!("/threads/{thread}/history"),
                json!({"before": before, "limit": 100}),
            )
            .await,
    )
    .await;
    assert_eq!(older.as_array().map(Vec::len), Some(1));
    assert_eq!(older[0]["checkpoint_id"], "0");

    let resumed = json_of(
        server
            .post(
                &format!("/threads/{thread}/runs/wait"),
                json!({"assistant_id": aid, "command": {"resume": "no"}}),
            )
            .await,
    )
    .await;
    insta::assert_json_snapshot!("wait_after_resume_no", redact(resumed));

    let edited = json_of(
        server
            .post(
                &format!("/threads/{thread}/state"),
                json!({"as_node": "confirm", "values": {"log": ["manual note"]}}),
            )
            .await,
    )
    .await;
    insta::assert_json_snapshot!("update_state", redact(edited));

    let runs = json_of(
        server
            .get(&format!("/threads/{thread}/runs?limit=10&offset=0"))
            .await,
    )
    .await;
    let statuses: Vec<&str> = runs
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(statuses, ["success", "success"]);
}

#[tokio::test]
async fn headers_the_sdk_relies_on() {
    let server = serve().await;
    let thread = server.thread().await;
    let created = server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "sleepy", "input": {"ms": 1}}),
        )
        .await;
    assert_eq!(created.status(), 200);
    let content_location = created.headers()["content-location"]
        .to_str()
        .expect("text")
        .to_owned();
    let run = json_of(created).await;
    assert_eq!(
        content_location,
        format!(
            "/threads/{thread}/runs/{}",
            run["run_id"].as_str().expect("an id")
        )
    );
    assert_eq!(run["status"], "pending");

    let waited = server
        .post(
            &format!("/threads/{thread}/runs/wait"),
            json!({"assistant_id": "sleepy", "input": {"ms": 1}}),
        )
        .await;
    let location = waited.headers()["location"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(location.ends_with("/join"), "{location}");
    assert_eq!(
        json_of(waited).await["log"],
        json!(["slept 1 ms", "slept 1 ms"])
    );
}

#[tokio::test]
async fn status_codes() {
    let server = serve().await;
    assert_eq!(server.get("/threads/no-such-thread").await.status(), 404);
    let thread = server.thread().await;
    let duplicate = server.post("/threads", json!({"thread_id": thread})).await;
    assert_eq!(duplicate.status(), 409);
    let same = server
        .post(
            "/threads",
            json!({"thread_id": thread, "if_exists": "do_nothing"}),
        )
        .await;
    assert_eq!(same.status(), 200);

    let bad_mode = server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "sleepy", "input": {"ms": 1}, "stream_mode": "nope"}),
        )
        .await;
    assert_eq!(bad_mode.status(), 422);
    assert!(
        json_of(bad_mode).await["detail"]
            .as_str()
            .expect("text")
            .contains("stream_mode")
    );
    let bad_field = server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "sleepy", "input": {"ms": "soon"}}),
        )
        .await;
    assert_eq!(bad_field.status(), 422);
    assert!(
        json_of(bad_field).await["detail"]
            .as_str()
            .expect("text")
            .starts_with("`input`")
    );
    let bad_strategy = server
        .post(
            &format!("/threads/{thread}/runs"),
            json!({"assistant_id": "sleepy", "multitask_strategy": "later"}),
        )
        .await;
    assert!(
        json_of(bad_strategy).await["detail"]
            .as_str()
            .expect("text")
            .contains("multitask_strategy")
    );
    let not_json = server
        .http
        .post(server.url("/threads"))
        .body("{nope")
        .send()
        .await
        .expect("answered");
    assert_eq!(not_json.status(), 422);
    let extra = server
        .post(&format!("/threads/{thread}/runs/wait"), json!({"assistant_id": "sleepy", "input": {"ms": 1}, "feedback_keys": ["x"], "langsmith_tracer": null}))
        .await;
    assert_eq!(extra.status(), 200, "unknown fields are ignored");

    let missing = server.get("/store/items?namespace=prefs.web&key=u1").await;
    assert_eq!(missing.status(), 200);
    assert_eq!(missing.text().await.expect("a body"), "null");

    let run = json_of(
        server
            .post(
                &format!("/threads/{thread}/runs"),
                json!({"assistant_id": "sleepy", "input": {"ms": 3000}}),
            )
            .await,
    )
    .await;
    let rid = run["run_id"].as_str().expect("an id");
    let cancelled = server
        .http
        .post(server.url(&format!(
            "/threads/{thread}/runs/{rid}/cancel?wait=0&action=interrupt"
        )))
        .send()
        .await
        .expect("answered");
    assert_eq!(cancelled.status(), 202);
    assert_eq!(cancelled.text().await.expect("a body"), "");
}

#[tokio::test]
async fn query_strings_as_httpx_sends_them() {
    let server = serve().await;
    let thread = server.thread().await;
    let run = json_of(
        server
            .post(
                &format!("/threads/{thread}/runs"),
                json!({"assistant_id": "sleepy", "input": {"ms": 1}, "stream_mode": ["values", "updates", "custom"]}),
            )
            .await,
    )
    .await;
    let rid = run["run_id"].as_str().expect("an id");
    server
        .get(&format!("/threads/{thread}/runs/{rid}/join"))
        .await
        .text()
        .await
        .expect("joined");
    let path = format!("/threads/{thread}/runs/{rid}/stream");
    let names = |body: String| frames(&body).into_iter().map(|f| f.0).collect::<Vec<_>>();
    let every = names(
        server
            .get(&format!("{path}?cancel_on_disconnect=false&stream_mode="))
            .await
            .text()
            .await
            .expect("a stream"),
    );
    assert_eq!(
        every,
        ["metadata", "values", "custom", "updates", "values", "end"]
    );
    let two = names(
        server
            .get(&format!("{path}?stream_mode=values&stream_mode=updates"))
            .await
            .text()
            .await
            .expect("a stream"),
    );
    assert_eq!(two, ["metadata", "values", "updates", "values", "end"]);
    let array = names(
        server
            .get(&format!("{path}?stream_mode=%5B%22custom%22%5D"))
            .await
            .text()
            .await
            .expect("a stream"),
    );
    assert_eq!(array, ["metadata", "custom", "end"]);
    let listed = server
        .get(&format!(
            "/threads/{thread}/runs?limit=10&offset=0&select=run_id&select=status"
        ))
        .await;
    assert_eq!(listed.status(), 200);
    let unknown = server.get(&format!("{path}?stream_mode=bogus")).await;
    assert_eq!(unknown.status(), 422);
}
