//! LangGraph's HTTP API on the server: SDK runs and the guests' own turns share a thread's
//! lock, and the hotel agent answers through the API.

use serde_json::{Value, json};

use crate::common::{config, fresh_dir, start};

/// Ten API runs and ten `/api/chat` turns at once on one guest's thread: every one succeeds
/// and the thread's checkpoints count up without a gap. Two runs that read the same head would
/// both try to store the next checkpoint, and one would fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_runs_and_chat_turns_on_one_thread_never_interleave() {
    let dir = fresh_dir("protocol-exclusion");
    let running = start(config(&dir, &[])).await;
    let created = running
        .http
        .post(running.url("/threads"))
        .json(&json!({"thread_id": "web:alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let mut tasks = Vec::new();
    for i in 0..10 {
        let http = running.http.clone();
        let url = running.url("/threads/web:alice/runs/wait");
        tasks.push(tokio::spawn(async move {
            let body = json!({"assistant_id": "hotel",
                "input": {"channel": "web", "user": "alice", "message": format!("hello {i}")}});
            let response = http.post(url).json(&body).send().await.unwrap();
            let status = response.status();
            let result: Value = response.json().await.unwrap();
            assert_eq!(status, 200);
            assert!(result.get("__error__").is_none(), "{result}");
            assert!(
                !result["reply"].as_str().unwrap_or_default().is_empty(),
                "{result}"
            );
        }));
        let http = running.http.clone();
        let url = running.url("/api/chat");
        tasks.push(tokio::spawn(async move {
            let body = json!({"user_id": "alice", "text": format!("hi again {i}")});
            let response = http.post(url).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 200);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let history: Value = running
        .http
        .post(running.url("/threads/web:alice/history"))
        .json(&json!({"limit": 1000}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_one_turn_per_message(&history, 20);
    running.server.shutdown().await;
}

/// A thread's `history` (newest first) counts its checkpoints up without a gap, and its
/// transcript has one guest line per message sent: no two runners read the same head.
pub(crate) fn assert_one_turn_per_message(history: &Value, messages: usize) {
    let ids: Vec<u64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["checkpoint_id"].as_str().unwrap().parse().unwrap())
        .collect();
    let expected: Vec<u64> = (0..ids.len() as u64).rev().collect();
    assert_eq!(ids, expected);
    let guest_lines = history[0]["values"]["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["from"] == "guest")
        .count();
    assert_eq!(guest_lines, messages, "every message is one turn");
}

/// A guest's conversation is a thread of the `hotel` graph in the API from its first turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guests_conversation_is_a_thread_of_the_api() {
    let dir = fresh_dir("protocol-registered");
    let running = start(config(&dir, &[])).await;
    running.chat("bob", "hi, any rooms in Miami?").await;
    let found: Value = running
        .http
        .post(running.url("/threads/search"))
        .json(&json!({"metadata": {"channel": "web", "user": "bob"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found[0]["thread_id"], "web:bob", "{found}");
    assert_eq!(found[0]["metadata"]["graph_id"], "hotel");
    assert!(
        found[0]["values"]["reply"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    let state: Value = running
        .http
        .get(running.url("/threads/web:bob/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["values"]["user"], "bob");
    running.server.shutdown().await;
}

/// Browser tools (a Studio-style UI) reach the API: a CORS preflight is answered without the
/// token, and the API itself needs it, as `x-api-key` or a bearer token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflight_and_the_api_key() {
    let dir = fresh_dir("protocol-cors");
    let running = start(config(&dir, &["--admin-token", "s3cret"])).await;
    let preflight = running
        .http
        .request(reqwest::Method::OPTIONS, running.url("/assistants/search"))
        .header("origin", "https://studio.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-api-key,content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let search = |key: Option<(&'static str, &'static str)>| {
        let mut request = running
            .http
            .post(running.url("/assistants/search"))
            .json(&json!({}));
        if let Some((name, value)) = key {
            request = request.header(name, value);
        }
        request.send()
    };
    assert_eq!(search(None).await.unwrap().status(), 401);
    assert_eq!(
        search(Some(("x-api-key", "wrong"))).await.unwrap().status(),
        401
    );
    assert_eq!(
        search(Some(("x-api-key", "s3cret")))
            .await
            .unwrap()
            .status(),
        200
    );
    let bearer = search(Some(("authorization", "Bearer s3cret")))
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200);
    assert_eq!(bearer.headers()["access-control-allow-origin"], "*");
    running.server.shutdown().await;
}

/// Thread searches filter in SQLite with the in-memory store's JSON equality: by metadata of
/// every JSON type, by ids, paged and counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_search_filters_metadata_of_every_type_in_sqlite() {
    let dir = fresh_dir("protocol-search");
    let running = start(config(&dir, &[])).await;
    let post = |path: &str, body: Value| running.http.post(running.url(path)).json(&body).send();
    let metadata = [
        json!({"n": 1, "kind": "a"}),
        json!({"n": 1.5, "kind": "a"}),
        json!({"flag": true, "kind": "b"}),
        json!({"o": {"x": [1, "two"]}, "kind": "b"}),
        json!({"none": null, "kind": "b"}),
    ];
    let mut ids = Vec::new();
    for m in &metadata {
        let thread: Value = post("/threads", json!({"metadata": m}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(thread["thread_id"].as_str().unwrap().to_owned());
    }
    let count = |filter: Value| {
        let post = &post;
        async move {
            let found: Value = post("/threads/search", json!({"metadata": filter, "limit": 100}))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            found.as_array().unwrap().len()
        }
    };
    assert_eq!(count(json!({"n": 1})).await, 1);
    assert_eq!(count(json!({"n": 1.5})).await, 1);
    assert_eq!(
        count(json!({"n": 1.0})).await,
        0,
        "1.0 is not 1, as in memory"
    );
    assert_eq!(count(json!({"flag": true})).await, 1);
    assert_eq!(count(json!({"flag": false})).await, 0);
    assert_eq!(count(json!({"o": {"x": [1, "two"]}})).await, 1);
    assert_eq!(count(json!({"none": null})).await, 1);
    assert_eq!(count(json!({"kind": "b"})).await, 3);
    assert_eq!(count(json!({"kind": "b", "flag": true})).await, 1);
    let by_ids: Value = post(
        "/threads/search",
        json!({"ids": [ids[0], ids[3]], "sort_by": "thread_id", "sort_order": "asc"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mut expected = vec![ids[0].clone(), ids[3].clone()];
    expected.sort();
    let got: Vec<&str> = by_ids
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["thread_id"].as_str().unwrap())
        .collect();
    assert_eq!(got, expected);
    let page = post(
        "/threads/search",
        json!({"metadata": {"kind": "b"}, "limit": 2, "offset": 2}),
    )
    .await
    .unwrap();
    assert_eq!(page.headers()["x-pagination-total"], "3");
    assert_eq!(
        page.json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let counted: Value = post("/threads/count", json!({"metadata": {"kind": "a"}}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counted, 2);
    running.server.shutdown().await;
}

/// A shutdown ends within its grace period (`SHUTDOWN_GRACE_SECS`) even while a client
/// streams a run that would go on for a minute: the stream is cut, as a replica's must be
/// for a rolling restart to finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_cuts_streams_still_open_after_its_grace_period() {
    let dir = fresh_dir("protocol-shutdown-grace");
    let running = start(config(
        &dir,
        &["--agent-test-graphs", "--shutdown-grace-secs", "1"],
    ))
    .await;
    let body =
        json!({"assistant_id": "sleepy", "input": {"ms": 60_000}, "stream_mode": ["values"]});
    let mut streaming = running
        .http
        .post(running.url("/runs/stream"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(streaming.status(), 200);
    let first = streaming.chunk().await.unwrap().expect("a first frame");
    assert!(String::from_utf8_lossy(&first).contains("metadata"));
    let started = std::time::Instant::now();
    let stopped = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        running.server.shutdown(),
    )
    .await;
    assert!(
        stopped.is_ok(),
        "the shutdown still waited for the stream after 10 s"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
}
