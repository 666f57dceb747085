//! LangGraph's HTTP API across two real `server` processes on one PostgreSQL schema (a load
//! balancer sends a client's requests to either): a run started on replica A is streamed,
//! resumed after `Last-Event-ID`, joined and cancelled (interrupt or rollback) through
//! replica B, and B admits new runs of its thread against it (`reject`, `enqueue`,
//! `interrupt`); a replica starting leaves the other's runs alone. They serve the `sleepy`
//! sample graph (`AGENT_TEST_GRAPHS=1`). Skipped with a
//! notice without the PostgreSQL binaries, unless `REQUIRE_PG_TESTS=1`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common;
use crate::fake_meta::FakeMeta;
use crate::process::Process;
use crate::protocol::assert_one_turn_per_message;
use crate::replicas::database;

/// Two replicas on one fresh schema, or `None` (after the notice) without a cluster.
pub(crate) struct Pair {
    pub(crate) a: Process,
    pub(crate) b: Process,
    pub(crate) http: reqwest::Client,
    _fake: FakeMeta,
}

pub(crate) async fn pair(test: &str) -> Option<Pair> {
    let database = database(test).await?;
    let dir = common::fresh_dir(&format!("protocol-replicas-{test}"));
    let fake = FakeMeta::start().await;
    let env = [("AGENT_TEST_GRAPHS", "1")];
    let a = Process::start(&dir, &fake, &database, &env).await;
    let b = Process::start(&dir, &fake, &database, &env).await;
    Some(Pair {
        a,
        b,
        http: reqwest::Client::new(),
        _fake: fake,
    })
}

impl Pair {
    pub(crate) async fn post(&self, on: &Process, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", on.base))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn get(&self, on: &Process, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", on.base))
            .send()
            .await
            .unwrap()
    }

    /// A new thread (created through A).
    pub(crate) async fn thread(&self, name: &str) -> String {
        let created = self
            .post(&self.a, "/threads", json!({"thread_id": name}))
            .await;
        assert_eq!(created.status(), 200);
        name.to_owned()
    }

    /// Creates a `sleepy` run of `ms` on `on`; its id.
    pub(crate) async fn sleepy(
        &self,
        on: &Process,
        thread: &str,
        ms: u64,
        strategy: &str,
    ) -> String {
        let body = json!({"assistant_id": "sleepy", "input": {"ms": ms},
            "multitask_strategy": strategy});
        let created = self
            .post(on, &format!("/threads/{thread}/runs"), body)
            .await;
        assert_eq!(created.status(), 200, "{}", on.log_text());
        let run: Value = created.json().await.unwrap();
        run["run_id"].as_str().unwrap().to_owned()
    }

    /// The run's record as `on` reads it (`None`: 404).
    async fn run(&self, on: &Process, thread: &str, run: &str) -> Option<Value> {
        let response = self.get(on, &format!("/threads/{thread}/runs/{run}")).await;
        if response.status() == 404 {
            return None;
        }
        Some(response.json().await.unwrap())
    }

    pub(crate) async fn status(&self, on: &Process, thread: &str, run: &str) -> String {
        let record = self.run(on, thread, run).await.expect("the run");
        record["status"].as_str().unwrap().to_owned()
    }

    async fn join(&self, on: &Process, thread: &str, run: &str) -> Value {
        let joined = self
            .get(on, &format!("/threads/{thread}/runs/{run}/join"))
            .await;
        assert_eq!(joined.status(), 200);
        joined.json().await.unwrap()
    }

    /// The whole stream of a run from `on` (after `last`, when given), as (event, id, data).
    async fn stream(
        &self,
        on: &Process,
        thread: &str,
        run: &str,
        last: Option<u64>,
    ) -> Vec<(String, String, Value)> {
        let mut request = self
            .http
            .get(format!("{}/threads/{thread}/runs/{run}/stream", on.base));
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        frames(&response.text().await.unwrap())
    }

    async fn history_len(&self, on: &Process, thread: &str) -> usize {
        let history: Value = self
            .post(
                on,
                &format!("/threads/{thread}/history"),
                json!({"limit": 100}),
            )
            .await
            .json()
            .await
            .unwrap();
        history.as_array().map_or(0, Vec::len)
    }
}

/// The frames of an SSE body, heartbeats aside.
pub(crate) fn frames(body: &str) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for block in body.split("\n\n") {
        let (mut event, mut id, mut data) = (String::new(), String::new(), String::new());
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("id:") {
                id = v.trim().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            }
        }
        if !event.is_empty() {
            let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
            out.push((event, id, data));
        }
    }
    out
}

pub(crate) fn names(frames: &[(String, String, Value)]) -> Vec<&str> {
    frames.iter().map(|(event, _, _)| event.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_on_one_replica_is_streamed_resumed_and_joined_from_the_other() {
    let Some(p) = pair("stream_join").await else {
        return;
    };
    let thread = p.thread("t-stream").await;
    let run = p.sleepy(&p.a, &thread, 1500, "enqueue").await;
    let started = Instant::now();
    // B's stream is live: its first frames come while the run still sleeps on A.
    let mut live = p
        .http
        .get(format!("{}/threads/{thread}/runs/{run}/stream", p.b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let mut body = String::new();
    while !body.contains("event: metadata") {
        let chunk = live.chunk().await.unwrap().expect("a frame before the end");
        body.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "B saw the run's first frame only after {:?}",
        started.elapsed()
    );
    assert_eq!(p.status(&p.a, &thread, &run).await, "running");
    assert_eq!(p.status(&p.b, &thread, &run).await, "running");
    let (from_a, from_b, resumed, joined) = tokio::join!(
        p.stream(&p.a, &thread, &run, None),
        p.stream(&p.b, &thread, &run, None),
        p.stream(&p.b, &thread, &run, Some(0)),
        p.join(&p.b, &thread, &run),
    );
    while let Some(chunk) = live.chunk().await.unwrap() {
        body.push_str(&String::from_utf8_lossy(&chunk));
    }
    let first_b = frames(&body);
    assert_eq!(names(&from_a).first(), Some(&"metadata"), "{from_a:?}");
    assert_eq!(names(&from_a).last(), Some(&"end"), "{from_a:?}");
    assert_eq!(
        from_b, from_a,
        "B streams every frame A does, in order, with one end"
    );
    assert_eq!(first_b, from_a, "the stream B opened while the run ran");
    assert_eq!(resumed, from_a[1..], "after Last-Event-ID 0");
    assert_eq!(joined["log"], json!(["slept 1500 ms"]), "{joined}");
    assert_eq!(p.status(&p.b, &thread, &run).await, "success");
    // Once ended, both replay it from the store.
    assert_eq!(p.stream(&p.b, &thread, &run, Some(1)).await, from_a[2..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_on_the_other_replica_interrupts_the_run() {
    let Some(p) = pair("cancel_interrupt").await else {
        return;
    };
    let thread = p.thread("t-cancel").await;
    let run = p.sleepy(&p.a, &thread, 20_000, "enqueue").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (stream_b, stream_a, cancelled) = tokio::join!(
        p.stream(&p.b, &thread, &run, None),
        p.stream(&p.a, &thread, &run, None),
        async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let started = Instant::now();
            let cancelled = p
                .post(
                    &p.b,
                    &format!("/threads/{thread}/runs/{run}/cancel?wait=1&action=interrupt"),
                    json!({}),
                )
                .await;
            assert_eq!(cancelled.status(), 200);
            let result: Value = cancelled.json().await.unwrap();
            (started.elapsed(), result)
        },
    );
    let (took, result) = cancelled;
    assert!(took < Duration::from_secs(3), "the cancel took {took:?}");
    assert_eq!(result["ms"], json!(20_000), "the thread's values: {result}");
    for on in [&p.a, &p.b] {
        assert_eq!(p.status(on, &thread, &run).await, "interrupted");
    }
    let end = json!({"run_id": run, "status": "interrupted"});
    assert_eq!(stream_a.last().map(|f| &f.2), Some(&end), "{stream_a:?}");
    assert_eq!(stream_b, stream_a);
    // Cancelling an ended run is refused on either replica.
    let again = p
        .post(
            &p.b,
            &format!("/threads/{thread}/runs/{run}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(again.status(), 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_on_the_other_replica_deletes_the_run_and_rewinds_the_thread() {
    let Some(p) = pair("cancel_rollback").await else {
        return;
    };
    let thread = p.thread("t-rollback").await;
    let done = p.sleepy(&p.a, &thread, 1, "enqueue").await;
    p.join(&p.a, &thread, &done).await;
    let before = p.history_len(&p.b, &thread).await;
    assert!(before > 0);
    let run = p.sleepy(&p.a, &thread, 20_000, "enqueue").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        p.history_len(&p.b, &thread).await > before,
        "the run stored its input"
    );
    let (stream_b, cancelled) = tokio::join!(p.stream(&p.b, &thread, &run, None), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let cancelled = p
            .post(
                &p.b,
                &format!("/threads/{thread}/runs/{run}/cancel?wait=1&action=rollback"),
                json!({}),
            )
            .await;
        assert_eq!(cancelled.status(), 200);
        cancelled.text().await.unwrap()
    });
    drop(cancelled);
    for on in [&p.a, &p.b] {
        assert_eq!(p.run(on, &thread, &run).await, None, "the run is deleted");
        assert_eq!(
            p.history_len(on, &thread).await,
            before,
            "the thread rewound"
        );
    }
    let end = json!({"run_id": run, "status": "interrupted"});
    assert_eq!(stream_b.last().map(|f| &f.2), Some(&end), "{stream_b:?}");
    assert_eq!(names(&stream_b).first(), Some(&"metadata"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_other_replica_admits_runs_against_the_run_in_flight() {
    let Some(p) = pair("admission").await else {
        return;
    };
    let thread = p.thread("t-admit").await;
    let first = p.sleepy(&p.a, &thread, 1500, "enqueue").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let body = json!({"assistant_id": "sleepy", "input": {"ms": 1},
        "multitask_strategy": "reject"});
    let refused = p.post(&p.b, &format!("/threads/{thread}/runs"), body).await;
    assert_eq!(refused.status(), 409);
    // Queued on B behind A's run: it runs on B once A's has ended, from its state.
    let second = p.sleepy(&p.b, &thread, 1, "enqueue").await;
    assert_eq!(p.status(&p.a, &thread, &second).await, "pending");
    let result = p.join(&p.a, &thread, &second).await;
    assert_eq!(
        result["log"],
        json!(["slept 1500 ms", "slept 1 ms"]),
        "{result}"
    );
    let (a, b) = (
        p.run(&p.b, &thread, &first).await.unwrap(),
        p.run(&p.b, &thread, &second).await.unwrap(),
    );
    assert_eq!(
        (a["status"].as_str(), b["status"].as_str()),
        (Some("success"), Some("success"))
    );
    // Interrupt from B stops A's run, then runs on the state it left.
    let third = p.sleepy(&p.a, &thread, 20_000, "enqueue").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let fourth = p.sleepy(&p.b, &thread, 1, "interrupt").await;
    let result = p.join(&p.b, &thread, &fourth).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        result["log"],
        json!(["slept 1500 ms", "slept 1 ms", "slept 1 ms"]),
        "the third never finished its sleep: {result}"
    );
    assert_eq!(p.status(&p.a, &thread, &third).await, "interrupted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_starting_leaves_the_runs_in_flight_on_another_alone() {
    let Some(database) = database("replica_starts").await else {
        return;
    };
    let dir = common::fresh_dir("protocol-replicas-starts");
    let fake = FakeMeta::start().await;
    let env = [("AGENT_TEST_GRAPHS", "1")];
    let a = Process::start(&dir, &fake, &database, &env).await;
    let http = reqwest::Client::new();
    let thread = http
        .post(format!("{}/threads", a.base))
        .json(&json!({"thread_id": "t-rolling"}))
        .send()
        .await
        .unwrap();
    assert_eq!(thread.status(), 200);
    let created = http
        .post(format!("{}/threads/t-rolling/runs", a.base))
        .json(&json!({"assistant_id": "sleepy", "input": {"ms": 4_000}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200, "{}", a.log_text());
    let run: Value = created.json().await.unwrap();
    let run = run["run_id"].as_str().unwrap().to_owned();
    // A replica starting (as in a rolling restart) recovers only the runs of dead replicas.
    let c = Process::start(&dir, &fake, &database, &env).await;
    let get = |base: &str, path: &str| {
        let request = http.get(format!("{base}/threads/t-rolling/runs/{run}{path}"));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let record = get(&c.base, "").await;
    assert_eq!(record["status"], "running", "{record}");
    let joined = get(&c.base, "/join").await;
    assert_eq!(joined["ms"], json!(4_000), "{joined}");
    let record = get(&a.base, "").await;
    assert_eq!(record["status"], "success", "{record}");
}

/// API runs and chat turns on one guest's thread, half through each replica, all at once:
/// every one succeeds and the thread's checkpoints count up without a gap (two runners that
/// read the same head would both try to store the next checkpoint, and one would fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_runs_and_chat_turns_on_one_thread_take_turns_across_replicas() {
    let Some(p) = pair("runs_and_turns").await else {
        return;
    };
    let created = p
        .post(&p.a, "/threads", json!({"thread_id": "web:ana"}))
        .await;
    assert_eq!(created.status(), 200);
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (run_on, chat_on) = if i % 2 == 0 {
            (&p.a, &p.b)
        } else {
            (&p.b, &p.a)
        };
        let (http, url) = (
            p.http.clone(),
            format!("{}/threads/web:ana/runs/wait", run_on.base),
        );
        tasks.push(tokio::spawn(async move {
            let body = json!({"assistant_id": "hotel",
                "input": {"channel": "web", "user": "ana", "message": format!("hello {i}")}});
            let response = http.post(url).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 200);
            let result: Value = response.json().await.unwrap();
            assert!(result.get("__error__").is_none(), "{result}");
        }));
        let (http, url) = (p.http.clone(), format!("{}/api/chat", chat_on.base));
        tasks.push(tokio::spawn(async move {
            let body = json!({"user_id": "ana", "text": format!("hi again {i}")});
            let response = http.post(url).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 200);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let history: Value = p
        .post(&p.b, "/threads/web:ana/history", json!({"limit": 1000}))
        .await
        .json()
        .await
        .unwrap();
    assert_one_turn_per_message(&history, 12);
}
