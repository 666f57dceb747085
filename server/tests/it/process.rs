//! The `server` binary as a separate process, as operators run it (and as replicas run side
//! by side): started on a free loopback port against a database URL, with the loopback fake
//! of Meta's Graph API; killed (SIGKILL) when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::TODAY;
use crate::fake_meta::FakeMeta;
use crate::meta::SECRET;
use crate::webhooks::channel_flags;

/// A server process, killed when dropped.
pub(crate) struct Process {
    pub(crate) child: Child,
    pub(crate) base: String,
    /// Its stderr.
    pub(crate) log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Process {
    /// Starts the binary on `database` with `env` added, its stderr going to a log in `dir`,
    /// and waits until it is live.
    pub(crate) async fn start(
        dir: &Path,
        fake: &FakeMeta,
        database: &str,
        env: &[(&str, &str)],
    ) -> Process {
        let port = free_port();
        let log = dir.join(format!("server-{port}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(channel_flags(fake))
            .args(["--bind-addr", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database)
            .env("HOTEL_TODAY", TODAY)
            .env("LLM_PROVIDER", "offline")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .envs(env.iter().copied())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let process = Process {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log: log.clone(),
        };
        let http = reqwest::Client::new();
        let live = format!("{}/health/live", process.base);
        for _ in 0..1500 {
            if let Ok(r) = http.get(&live).send().await
                && r.status() == 200
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "the server did not start; its log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }

    /// Delivers a signed Instagram webhook `body`; panics unless it is answered 200.
    pub(crate) async fn deliver(&self, body: &str) {
        assert_eq!(self.try_deliver(body).await, 200, "{}", self.log_text());
    }

    /// Delivers a signed Instagram webhook `body` and returns the status (0: no answer).
    pub(crate) async fn try_deliver(&self, body: &str) -> u16 {
        reqwest::Client::new()
            .post(format!("{}/webhooks/instagram", self.base))
            .header(
                "x-hub-signature-256",
                server::meta::signature::sign(SECRET, body.as_bytes()),
            )
            .body(body.to_owned())
            .send()
            .await
            .map_or(0, |r| r.status().as_u16())
    }

    /// What it logged so far.
    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
