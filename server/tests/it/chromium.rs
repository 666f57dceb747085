//! Headless Chromium for the browser tests, driven over WebDriver (chromedriver): starting
//! and stopping the driver with the browsers it starts, a session with a fresh profile, the
//! skip-unless-installed rule (`REQUIRE_BROWSER_TESTS=1` makes a missing browser a failure),
//! waiting for the page, and reading its text.

use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// The browser the driver starts.
const CHROMIUM: &str = "/usr/bin/chromium";
/// The WebDriver server for it.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any one thing may take to show up on the page.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// A chromedriver child process, in its own process group so the browsers it starts go with
/// it: terminated (then killed) on drop, on every exit path of the test.
struct Chromedriver {
    child: Child,
    port: u16,
}

impl Chromedriver {
    /// Starts chromedriver on a free loopback port, logging to `log`, and waits until its
    /// `/status` answers.
    async fn start(log: &Path) -> Chromedriver {
        let port = free_port();
        let log_file = std::fs::File::create(log).expect("create the chromedriver log file");
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(
                log_file
                    .try_clone()
                    .expect("duplicate the chromedriver log handle"),
            )
            .stderr(log_file);
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let mut driver = Chromedriver { child, port };
        driver.wait_ready(log).await;
        driver
    }

    /// The WebDriver URL.
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `GET /status` until chromedriver answers, failing early if it exits.
    async fn wait_ready(&mut self, log: &Path) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("build an HTTP client");
        let status = format!("{}/status", self.url());
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(response) = http.get(&status).send().await
                && response.status().is_success()
            {
                return;
            }
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!(
                    "chromedriver exited ({exit}) before answering {status}; its log:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver did not answer {status} within {WAIT:?}; its log is {}",
                log.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // Ask the whole group (chromedriver and the browsers it started) to stop, give it a
        // moment, then kill what is left.
        #[cfg(unix)]
        {
            let group = format!("-{}", self.child.id());
            let signal = |name: &str| {
                let _ = Command::new("kill")
                    .args([name, "--", &group])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            };
            signal("-TERM");
            let deadline = std::time::Instant::now() + Duration::from_secs(3);
            while std::time::Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None))
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            signal("-KILL");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port");
    listener
        .local_addr()
        .expect("read the ephemeral port")
        .port()
}

/// Whether the browser packages are installed; when not, returns `false` after a notice, or
/// fails with what to install when `REQUIRE_BROWSER_TESTS=1`.
pub(crate) fn browser_available(test: &str) -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|path| !Path::new(path).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "the browser test needs {} (missing: {}); install them with \
         `apt-get install -y chromium chromium-driver`",
        [CHROMIUM, CHROMEDRIVER].join(" and "),
        missing.join(", ")
    );
    if std::env::var("REQUIRE_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        panic!("{message} (REQUIRE_BROWSER_TESTS=1 is set)");
    }
    // Straight to the process's stderr: libtest captures `eprintln!` of a passing test.
    let notice = format!("\n!!!!!!!! SKIPPED {test}: {message}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
    false
}

/// Connects to chromedriver with a headless Chromium using a fresh profile in `profile`.
async fn open_browser(driver: &Chromedriver, profile: &Path) -> Client {
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("the capabilities are a JSON object literal")
    };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url())
        .await
        .expect("open a Chromium session through chromedriver")
}

/// Polls `check` every 100 ms until it returns `Some`, for at most [`WAIT`]; on timeout fails
/// naming `what` and showing the page's text.
pub(crate) async fn wait_for<T, F, Fut>(browser: &Client, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() >= deadline {
            let page = text_of(browser, "main").await.unwrap_or_default();
            panic!("timed out after {WAIT:?} waiting for {what}; the page reads:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the first element matching `css` (its `textContent`, so CSS has no say),
/// `None` while there is none.
pub(crate) async fn text_of(browser: &Client, css: &str) -> Option<String> {
    let element = browser.find(Locator::Css(css)).await.ok()?;
    element.prop("textContent").await.ok().flatten()
}

/// The texts of every element matching `css`, in document order.
pub(crate) async fn texts_of(browser: &Client, css: &str) -> Vec<String> {
    let Ok(elements) = browser.find_all(Locator::Css(css)).await else {
        return Vec::new();
    };
    let mut texts = Vec::with_capacity(elements.len());
    for element in elements {
        texts.push(
            element
                .prop("textContent")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
        );
    }
    texts
}

/// Runs `scenario` in a fresh headless Chromium (driver log and profile under `dir`), in a
/// task of its own so that, pass or fail, the session is closed (and the browser quits)
/// before the driver is stopped; the scenario's outcome, for [`rethrow`] once the server is
/// down too.
pub(crate) async fn in_browser<F, Fut>(
    dir: &Path,
    scenario: F,
) -> Result<(), tokio::task::JoinError>
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let driver = Chromedriver::start(&dir.join("chromedriver.log")).await;
    let profile = dir.join("chromium-profile");
    std::fs::create_dir_all(&profile).expect("create the Chromium profile directory");
    let browser = open_browser(&driver, &profile).await;
    let outcome = tokio::spawn(scenario(browser.clone())).await;
    if let Err(e) = browser.close().await {
        eprintln!("closing the browser session failed: {e}");
    }
    drop(driver);
    outcome
}

/// Fails as the scenario did, if it did.
pub(crate) fn rethrow(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the browser scenario did not finish: {e}"),
        }
    }
}
