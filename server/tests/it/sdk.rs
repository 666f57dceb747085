//! The official LangGraph SDKs drive the real `server` binary, unmodified: the Python suite
//! (`tests/sdk/suite.py`, `langgraph-sdk` pinned by `tests/sdk/requirements.txt`) and the
//! TypeScript one (`tests/sdk/ts/suite.mjs`, `@langchain/langgraph-sdk` pinned by its
//! `package-lock.json`) run against a server started with `AGENT_TEST_GRAPHS=1` and an
//! `ADMIN_TOKEN`, which the suites send as `x-api-key`. Each suite prints `PASS`/`FAIL` per
//! check and closes with `N passed, M failed`.
//!
//! The Python suite runs with `$SDK_PYTHON`, else `target/sdk-venv/bin/python`; the TypeScript
//! one with `node` and `tests/sdk/ts/node_modules`. Without them each test is skipped with a loud
//! notice on stderr saying what to install, so `cargo test --workspace` passes on a fresh
//! machine; with `REQUIRE_SDK_TESTS=1` (set by `.ci/run`, which installs them) it fails instead.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{self, TODAY};

/// How long one suite may run before it is killed.
const SUITE_TIMEOUT: Duration = Duration::from_secs(240);
/// How long the server may take to answer `/health/live`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A child process killed (and reaped) when dropped, on every exit path of the test.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// The server binary on a free loopback port, serving the test graphs, with an admin token.
struct Server {
    process: Killed,
    base: String,
    token: String,
    log: PathBuf,
}

impl Server {
    /// Starts the binary with its database in `dir` and waits until `/health/live` answers.
    async fn start(dir: &Path) -> Server {
        let port = free_port();
        let log = dir.join(format!("server-{port}.log"));
        let token = format!("sdk-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["--bind-addr", &format!("127.0.0.1:{port}")])
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.join("agent.db").display()),
            )
            .env("HOTEL_TODAY", TODAY)
            .env("LLM_PROVIDER", "offline")
            .env("RUST_LOG", "warn")
            .env("AGENT_TEST_GRAPHS", "1")
            .env("ADMIN_TOKEN", &token)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("create the server log file"))
            .spawn()
            .expect("start the server binary");
        let mut server = Server {
            process: Killed(child),
            base: format!("http://127.0.0.1:{port}"),
            token,
            log,
        };
        server.wait_live().await;
        server
    }

    /// Polls `GET /health/live` until it answers 200, failing early if the server exits.
    async fn wait_live(&mut self) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("build an HTTP client");
        let live = format!("{}/health/live", self.base);
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(response) = http.get(&live).send().await
                && response.status() == 200
            {
                return;
            }
            if let Ok(Some(exit)) = self.process.0.try_wait() {
                panic!(
                    "the server exited ({exit}) before answering {live}; its log:\n{}",
                    self.log_text()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server did not answer {live} within {START_TIMEOUT:?}; its log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral loopback port")
        .local_addr()
        .expect("read the ephemeral port")
        .port()
}

/// `server/tests/sdk`.
fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// When a suite cannot run: `false` after a loud notice, or a failure naming what to install
/// when `REQUIRE_SDK_TESTS=1`.
fn skip(test: &str, message: &str) -> bool {
    if std::env::var("REQUIRE_SDK_TESTS").is_ok_and(|v| v == "1") {
        panic!("{message} (REQUIRE_SDK_TESTS=1 is set)");
    }
    // Straight to the process's stderr: libtest captures `eprintln!` of a passing test.
    let notice = format!("\n!!!!!!!! SKIPPED sdk::{test}: {message}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
    false
}

/// The Python with `langgraph_sdk` installed: `$SDK_PYTHON`, else the workspace's
/// `target/sdk-venv`. `None` (after [`skip`]) when there is none.
fn sdk_python() -> Option<PathBuf> {
    let install = "create it with `python3 -m venv target/sdk-venv && \
                   target/sdk-venv/bin/pip install -r server/tests/sdk/requirements.txt` \
                   (from the workspace root; `.ci/run` does this), or point SDK_PYTHON at a \
                   Python that has them";
    let python = match std::env::var_os("SDK_PYTHON") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/sdk-venv/bin/python"),
    };
    let test = "python_sdk_drives_the_server";
    if !python.exists() {
        skip(
            test,
            &format!("the SDK suite needs {}: {install}", python.display()),
        );
        return None;
    }
    let import = Command::new(&python)
        .args(["-c", "import langgraph_sdk"])
        .stdin(Stdio::null())
        .output();
    match import {
        Ok(output) if output.status.success() => Some(python),
        Ok(output) => {
            skip(
                test,
                &format!(
                    "`{} -c 'import langgraph_sdk'` failed ({}: {}); {install}",
                    python.display(),
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                        .lines()
                        .rfind(|line| !line.trim().is_empty())
                        .unwrap_or_default()
                        .trim()
                ),
            );
            None
        }
        Err(e) => {
            skip(
                test,
                &format!("cannot run {}: {e}; {install}", python.display()),
            );
            None
        }
    }
}

/// Whether `node` and the TypeScript suite's `node_modules` are there (after [`skip`] if not).
fn node_available() -> bool {
    let test = "typescript_sdk_drives_the_server";
    let install = "install them with `cd server/tests/sdk/ts && npm ci` (Node.js 20+ and npm: \
                   `apt-get install -y nodejs npm`; `.ci/run` does this)";
    let node = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .output();
    if !node.is_ok_and(|output| output.status.success()) {
        return skip(
            test,
            &format!("the SDK suite needs `node` on PATH; {install}"),
        );
    }
    let sdk = sdk_dir().join("ts/node_modules/@langchain/langgraph-sdk");
    if !sdk.is_dir() {
        return skip(
            test,
            &format!("the SDK suite needs {}; {install}", sdk.display()),
        );
    }
    true
}

/// What a suite printed and how it ended.
struct Outcome {
    stdout: String,
    stderr: String,
    /// `None` when it was killed at [`SUITE_TIMEOUT`].
    status: Option<std::process::ExitStatus>,
}

/// Runs `command` (a suite) to its end, or kills it at [`SUITE_TIMEOUT`], collecting its
/// output. Blocking: run it off the async runtime.
fn run_suite(mut command: Command) -> Outcome {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the suite {command:?}: {e}"));
    let mut suite = Killed(child);
    // Each pipe is read to its end on a thread of its own; both end when the suite exits.
    let (sent, received) = mpsc::channel();
    let pipes: [(bool, Box<dyn Read + Send>); 2] = [
        (true, Box::new(suite.0.stdout.take().expect("piped stdout"))),
        (
            false,
            Box::new(suite.0.stderr.take().expect("piped stderr")),
        ),
    ];
    for (is_stdout, mut pipe) in pipes {
        let sent = sent.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = sent.send((is_stdout, String::from_utf8_lossy(&bytes).into_owned()));
        });
    }
    drop(sent);
    let deadline = Instant::now() + SUITE_TIMEOUT;
    let (mut stdout, mut stderr, mut timed_out) = (String::new(), String::new(), false);
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let (is_stdout, text) = match received.recv_timeout(left) {
            Ok(message) => message,
            Err(_) => {
                // Killing the suite closes its pipes, so the readers finish.
                timed_out = true;
                let _ = suite.0.kill();
                received.recv().expect("a pipe reader")
            }
        };
        if is_stdout {
            stdout = text;
        } else {
            stderr = text;
        }
    }
    let status = suite.0.wait().expect("wait for the suite");
    Outcome {
        stdout,
        stderr,
        status: (!timed_out).then_some(status),
    }
}

/// Runs `command` against `server` and asserts the suite passed: exit 0 and a closing
/// `N passed, 0 failed` line.
async fn assert_suite_passes(server: &Server, name: &str, mut command: Command) {
    command
        .env("AGENT_URL", &server.base)
        .env("AGENT_API_KEY", &server.token);
    let outcome = tokio::task::spawn_blocking(move || run_suite(command))
        .await
        .expect("the suite runner");
    println!("---- {name} suite stdout ----\n{}", outcome.stdout);
    println!("---- {name} suite stderr ----\n{}", outcome.stderr);
    let last = outcome
        .stdout
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default()
        .trim();
    // `^\d+ passed, 0 failed$`
    let passed = matches!(
        last.split_once(" passed, "),
        Some((n, "0 failed")) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    );
    let verdict = match outcome.status {
        None => format!("was killed after {SUITE_TIMEOUT:?}"),
        Some(status) if status.success() && passed => return,
        Some(status) => format!("exited with {status}, closing with {last:?}"),
    };
    let failures: Vec<&str> = outcome
        .stdout
        .lines()
        .filter(|line| line.starts_with("FAIL "))
        .collect();
    panic!(
        "the {name} SDK suite {verdict}; failed checks:\n{}\n(the server's log is {})",
        failures.join("\n"),
        server.log.display()
    );
}

/// The Python SDK (`langgraph-sdk`) drives the server through every check of `suite.py`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_drives_the_server() {
    let Some(python) = sdk_python() else {
        return;
    };
    let dir = common::fresh_dir("sdk-python");
    let server = Server::start(&dir).await;
    let mut command = Command::new(python);
    command
        .arg(sdk_dir().join("suite.py"))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    assert_suite_passes(&server, "Python", command).await;
}

/// The TypeScript SDK (`@langchain/langgraph-sdk`) drives the server through `suite.mjs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_drives_the_server() {
    if !node_available() {
        return;
    }
    let dir = common::fresh_dir("sdk-typescript");
    let server = Server::start(&dir).await;
    let mut command = Command::new("node");
    command.arg("suite.mjs").current_dir(sdk_dir().join("ts"));
    assert_suite_passes(&server, "TypeScript", command).await;
}
