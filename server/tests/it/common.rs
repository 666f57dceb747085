//! Starting the real server on an ephemeral loopback port with a fresh database.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use server::{Config, Server};

/// Today, for every server the tests start.
pub(crate) const TODAY: &str = "2026-11-22";

/// An empty directory under Cargo's per-target temp dir, unique to this test.
pub(crate) fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("server-it")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The settings for a server on `127.0.0.1:0` with its database in `dir` and a fixed today,
/// plus `extra` flags.
pub(crate) fn config(dir: &std::path::Path, extra: &[&str]) -> Config {
    let db = format!("sqlite://{}", dir.join("agent.db").display());
    let mut args = vec![
        "server",
        "--bind-addr",
        "127.0.0.1:0",
        "--database-url",
        &db,
        "--hotel-today",
        TODAY,
        "--llm-provider",
        "offline",
    ];
    args.extend_from_slice(extra);
    Config::try_parse_from(args).unwrap()
}

/// A running server and a client for it.
pub(crate) struct Running {
    pub(crate) server: Server,
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
}

impl Running {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a chat message as `user` and returns the JSON answer (panics unless 200).
    pub(crate) async fn chat(&self, user: &str, text: &str) -> serde_json::Value {
        let response = self
            .http
            .post(self.url("/api/chat"))
            .json(&serde_json::json!({"user_id": user, "text": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "chat {text:?}");
        response.json().await.unwrap()
    }

    /// The `/metrics` text.
    pub(crate) async fn metrics(&self) -> String {
        let response = self.http.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    pub(crate) async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }
}

/// Starts a server with `config`.
pub(crate) async fn start(config: Config) -> Running {
    let server = Server::start(config).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    Running {
        server,
        base,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
    }
}

/// Polls `check` every 20 ms until it returns `Some`, for at most `seconds`.
pub(crate) async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
