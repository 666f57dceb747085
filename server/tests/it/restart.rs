//! The `server` binary as operators run it: killed mid-conversation with replies unsent and
//! restarted on the same database, it delivers the pending reply and the conversation goes
//! on; SIGTERM stops it cleanly; invalid settings stop it at start naming the variable.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::{self, eventually};
use crate::fake_meta::{Failure, FakeMeta};
use crate::meta::SECRET;
use crate::process::Process;
use crate::webhooks::ig_message;

async fn spawn(dir: &Path, fake: &FakeMeta) -> Process {
    spawn_with(dir, fake, &[]).await
}

async fn spawn_with(dir: &Path, fake: &FakeMeta, env: &[(&str, &str)]) -> Process {
    let database = format!("sqlite://{}", dir.join("agent.db").display());
    Process::start(dir, fake, &database, env).await
}

async fn deliver(process: &Process, body: &str) {
    process.deliver(body).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_restarts_delivers_the_pending_reply_and_continues_the_conversation() {
    let dir = common::fresh_dir("kill-restart");
    let fake = FakeMeta::start().await;
    // Meta is down: the reply stays in the outbox.
    fake.fail_always(Some(Failure::server_error()));
    let first = spawn(&dir, &fake).await;
    let ask = ig_message(
        "kim",
        "mid-1",
        "I'd like a deluxe room at Grand Plaza Hotel from December 3 to December 6 for 2 adults",
        1_795_302_000_000,
    );
    deliver(&first, &ask).await;
    eventually(20, "a failed send attempt", || async {
        (!fake.received().is_empty()).then_some(())
    })
    .await;
    // SIGKILL: no shutdown, no flush.
    drop(first);
    fake.fail_always(None);

    let second = spawn(&dir, &fake).await;
    let quote = eventually(20, "the pending reply", || async {
        fake.delivered().into_iter().next()
    })
    .await;
    assert_eq!(quote.recipient(), "kim");
    assert!(quote.text().contains("Shall I book it"), "{}", quote.text());
    // Meta redelivers the first message: it was answered already.
    deliver(&second, &ask).await;
    // The conversation continues where it was: "yes" books the quoted stay.
    deliver(
        &second,
        &ig_message("kim", "mid-2", "yes", 1_795_302_060_000),
    )
    .await;
    let done = eventually(20, "the booking reply", || async {
        fake.delivered().into_iter().nth(1)
    })
    .await;
    assert!(
        done.text().contains("booking reference is GPH-"),
        "{}",
        done.text()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        fake.delivered().len(),
        2,
        "the redelivered message was not answered again"
    );
    let bookings: serde_json::Value = reqwest::get(format!(
        "{}/api/users/kim/bookings?channel=instagram",
        second.base
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(bookings.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly() {
    let dir = common::fresh_dir("sigterm");
    let fake = FakeMeta::start().await;
    let mut process = spawn(&dir, &fake).await;
    let pid = process.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exited = eventually(20, "the server to exit", || {
        let done = process.child.try_wait().unwrap();
        async move { done }
    })
    .await;
    assert!(exited.success(), "{exited:?}");
}

#[test]
fn invalid_settings_stop_the_server_naming_the_variable() {
    for (variable, value) in [
        ("BIND_ADDR", "localhost-8080"),
        ("DATABASE_URL", "mysql://db/hotel"),
        ("HOTEL_TODAY", "2026-13-01"),
        ("LLM_PROVIDER", "claude"),
        ("GRAPH_API_VERSION", "25"),
        ("INSTAGRAM_GRAPH_BASE_URL", "graph.instagram.com"),
        ("RATE_LIMIT_PER_GUEST", "0"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_server"))
            .env(variable, value)
            .env(
                "DATABASE_URL",
                if variable == "DATABASE_URL" {
                    value
                } else {
                    "sqlite://unused.db"
                },
            )
            .output()
            .unwrap();
        assert!(!output.status.success(), "{variable}={value} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(variable), "{variable}: {stderr}");
    }
    // Combinations clap cannot check are refused by the server, also by name.
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("BIND_ADDR", "0.0.0.0:0")
        .env("DATABASE_URL", "sqlite://unused.db")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("ADMIN_TOKEN"));
    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("LLM_PROVIDER", "gemini")
        .env("DATABASE_URL", "sqlite://unused.db")
        .env_remove("GEMINI_API_KEY")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("GEMINI_API_KEY"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_one_correlation_id_from_webhook_to_send() {
    let dir = common::fresh_dir("json-logs");
    let fake = FakeMeta::start().await;
    let process = spawn_with(&dir, &fake, &[("LOG_FORMAT", "json"), ("RUST_LOG", "info")]).await;
    deliver(
        &process,
        &ig_message("lena", "mid-log", "hello", 1_795_302_000_000),
    )
    .await;
    eventually(20, "the reply", || async {
        fake.delivered().into_iter().next()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = std::fs::read_to_string(&process.log).unwrap();
    // The effective configuration is printed, secrets only as set.
    for shown in [
        "INSTAGRAM_APP_SECRET=<set>",
        "LLM_PROVIDER=offline",
        "ADMIN_TOKEN=<not set>",
    ] {
        assert!(log.contains(shown), "{shown} missing from\n{log}");
    }
    for secret in [SECRET, crate::fake_meta::TOKEN] {
        assert!(!log.contains(secret), "the log shows a secret:\n{log}");
    }
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let received = lines
        .iter()
        .find(|l| l["message"] == "guest message" && l["message_id"] == "mid-log")
        .unwrap_or_else(|| panic!("no guest message line in\n{log}"));
    let correlation = received["correlation"].as_str().unwrap();
    assert_eq!(correlation.len(), 16);
    let answered = lines
        .iter()
        .find(|l| l["message"] == "answered")
        .unwrap_or_else(|| panic!("no answered line in\n{log}"));
    assert_eq!(answered["span"]["correlation"], correlation, "{log}");
    let sent = lines
        .iter()
        .find(|l| l["message"] == "reply sent")
        .unwrap_or_else(|| panic!("no reply sent line in\n{log}"));
    assert_eq!(sent["span"]["correlation"], correlation, "{log}");
}

/// LangGraph's API on the binary: a run killed mid-way is marked `interrupted` at the next
/// start and a run without input continues it; a run that finished before the kill still
/// answers `join` with its result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_runs_survive_a_kill() {
    let dir = common::fresh_dir("api-kill");
    let fake = FakeMeta::start().await;
    let http = reqwest::Client::new();
    let test_graphs = [("AGENT_TEST_GRAPHS", "1")];
    let process = spawn_with(&dir, &fake, &test_graphs).await;
    let post = |base: &str, path: &str, body: serde_json::Value| {
        http.post(format!("{base}{path}")).json(&body).send()
    };
    let thread: serde_json::Value = post(&process.base, "/threads", serde_json::json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let thread = thread["thread_id"].as_str().unwrap().to_owned();
    let runs = format!("/threads/{thread}/runs");
    let finished = post(
        &process.base,
        &format!("{runs}/wait"),
        serde_json::json!({"assistant_id": "sleepy", "input": {"ms": 1}}),
    )
    .await
    .unwrap();
    let finished_at = finished.headers()["content-location"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        finished.json::<serde_json::Value>().await.unwrap()["log"],
        serde_json::json!(["slept 1 ms"])
    );
    let cut: serde_json::Value = post(
        &process.base,
        &runs,
        serde_json::json!({"assistant_id": "sleepy", "input": {"ms": 2000}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let cut_at = format!("{runs}/{}", cut["run_id"].as_str().unwrap());
    // Killed once its input is stored and its node is sleeping.
    let state_at = format!("/threads/{thread}/state");
    eventually(20, "the run to store its input", || async {
        let state: serde_json::Value = http
            .get(format!("{}{state_at}", process.base))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (state["next"] == serde_json::json!(["sleep"])).then_some(())
    })
    .await;
    drop(process);

    let process = spawn_with(&dir, &fake, &test_graphs).await;
    let run: serde_json::Value = http
        .get(format!("{}{cut_at}", process.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(run["status"], "interrupted", "{run}");
    let joined: serde_json::Value = http
        .get(format!("{}{finished_at}/join", process.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        joined["log"],
        serde_json::json!(["slept 1 ms"]),
        "the finished run's own result"
    );
    let resumed: serde_json::Value = post(
        &process.base,
        &format!("{runs}/wait"),
        serde_json::json!({"assistant_id": "sleepy"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        resumed["log"],
        serde_json::json!(["slept 1 ms", "slept 2000 ms"]),
        "the cut run went on from its checkpoint"
    );
}
