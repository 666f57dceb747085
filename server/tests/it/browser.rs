//! End to end in a real browser: the test page in headless Chromium, driven over WebDriver
//! (chromedriver), books a suite through the chat and sees the booking, the run's path and
//! the thread state appear in their panels.
//!
//! Needs Debian's `chromium` and `chromium-driver` packages. Without them the test is skipped
//! with a loud notice on stderr saying what to install, so `cargo test --workspace` passes on a
//! fresh machine; with `REQUIRE_BROWSER_TESTS=1` (set by `.ci/run`, which installs them) it
//! fails instead.

use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::common;

/// The browser the driver starts.
const CHROMIUM: &str = "/usr/bin/chromium";
/// The WebDriver server for it.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any one thing may take to show up on the page.
const WAIT: Duration = Duration::from_secs(20);
/// The user id the browser chats as.
const USER: &str = "browser-guest";
/// The agent's replies in the chat.
const REPLIES: &str = "#chat .reply";
/// The hotel the browser books.
const HOTEL: &str = "Seaside Resort & Spa";

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
fn browser_available() -> bool {
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
    eprintln!("\n!!!!!!!! SKIPPED browser::books_a_suite_through_the_test_page: {message}\n");
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
/// naming `what` and showing the chat as the page has it.
async fn wait_for<T, F, Fut>(browser: &Client, what: &str, mut check: F) -> T
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
            let chat = texts_of(browser, "#chat .msg").await.join("\n");
            panic!("timed out after {WAIT:?} waiting for {what}; the chat reads:\n{chat}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The text of the first element matching `css` (its `textContent`, so CSS has no say),
/// `None` while there is none.
async fn text_of(browser: &Client, css: &str) -> Option<String> {
    let element = browser.find(Locator::Css(css)).await.ok()?;
    element.prop("textContent").await.ok().flatten()
}

/// The texts of every element matching `css`, in document order.
async fn texts_of(browser: &Client, css: &str) -> Vec<String> {
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

/// Types `text` into the message box, clicks Send and returns the agent's reply once one
/// containing `expect` appears after the replies already shown.
async fn say(browser: &Client, text: &str, expect: &str) -> String {
    let before = texts_of(browser, REPLIES).await.len();
    let message = browser
        .find(Locator::Id("message"))
        .await
        .expect("the page has a #message box");
    message.clear().await.expect("clear the message box");
    message
        .send_keys(text)
        .await
        .expect("type into the message box");
    // Send is disabled while a turn runs; wait until it can be clicked.
    let send = wait_for(browser, "the Send button to be enabled", || async {
        let send = browser.find(Locator::Id("send")).await.ok()?;
        send.is_enabled().await.ok()?.then_some(send)
    })
    .await;
    send.click().await.expect("click Send");
    let what = format!("a reply containing {expect:?} to {text:?}");
    wait_for(browser, &what, || async {
        let replies = texts_of(browser, REPLIES).await;
        replies
            .get(before..)?
            .iter()
            .find(|reply| reply.contains(expect))
            .cloned()
    })
    .await
}

/// The booking reference in a "Done! Your booking reference is SRS-7K3Q9P: …" reply.
fn reference_in(reply: &str) -> Option<String> {
    let (_, rest) = reply.split_once("booking reference is ")?;
    let candidate: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let (code, random) = candidate.split_once('-')?;
    let well_formed = code.len() == 3
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && random.len() == hotel::REFERENCE_LEN
        && random
            .chars()
            .all(|c| hotel::REFERENCE_ALPHABET.contains(c));
    well_formed.then_some(candidate)
}

/// Types [`USER`] into the user id field and applies it with Enter.
async fn choose_user(browser: &Client) {
    let user_field = browser
        .find(Locator::Id("user-id"))
        .await
        .expect("the page has a #user-id field");
    user_field.clear().await.expect("clear the user id");
    user_field
        .send_keys(&format!("{USER}{}", &*Key::Enter))
        .await
        .expect("type the user id");
}

/// The scenario proper: chat as [`USER`], book, and check every panel.
async fn book_through_the_page(browser: Client, base: String) {
    browser.goto(&base).await.expect("open the test page");
    let title = browser.title().await.expect("read the page title");
    assert!(
        title.contains("Hotel booking agent"),
        "page title {title:?}"
    );

    // Chat as our own user: clear the field, type, and apply it with Enter.
    choose_user(&browser).await;
    let label = format!("thread web:{USER}");
    wait_for(
        &browser,
        "the thread label to name the new user",
        || async {
            let text = text_of(&browser, "#thread-label").await?;
            (text.trim() == label).then_some(())
        },
    )
    .await;

    let quote = say(
        &browser,
        "I'd like a suite at Seaside Resort & Spa from December 10 to December 12 for 2 adults",
        "Shall I book it",
    )
    .await;
    assert!(
        quote.contains(HOTEL),
        "the quote names the hotel: {quote:?}"
    );

    let done = say(&browser, "yes", "booking reference is").await;
    let reference = reference_in(&done)
        .unwrap_or_else(|| panic!("no well-formed booking reference in {done:?}"));
    assert!(reference.starts_with("SRS-"), "reference {reference:?}");

    wait_for(&browser, "#path to show create_booking", || async {
        let path = text_of(&browser, "#path").await?;
        path.contains("create_booking").then_some(())
    })
    .await;

    let thread = format!("\"web:{USER}\"");
    wait_for(
        &browser,
        "#state to show the thread's state after the booking",
        || async {
            let state = text_of(&browser, "#state").await?;
            let fresh = state.contains(&reference);
            (fresh && state.contains("\"handoff\"") && state.contains(&thread)).then_some(())
        },
    )
    .await;

    let row_css = format!("#bookings tr[data-reference=\"{reference}\"]");
    let what = format!("the bookings table to list {reference} as confirmed at {HOTEL}");
    let row = wait_for(&browser, &what, || async {
        let row = text_of(&browser, &row_css).await?;
        (row.contains(HOTEL) && row.contains("confirmed")).then_some(row)
    })
    .await;
    for expected in ["Suite", "2026-12-10", "2026-12-12"] {
        assert!(
            row.contains(expected),
            "booking row {row:?} lacks {expected:?}"
        );
    }

    let errors = browser
        .find_all(Locator::Css("#chat .error"))
        .await
        .expect("look for error lines in the chat");
    assert!(
        errors.is_empty(),
        "the chat shows {} error line(s)",
        errors.len()
    );

    // A reload starts a blank page; choosing the user again shows the conversation so far.
    browser.goto(&base).await.expect("reload the test page");
    choose_user(&browser).await;
    wait_for(&browser, "the earlier conversation to be shown", || async {
        let replies = texts_of(&browser, REPLIES).await;
        let guest = texts_of(&browser, "#chat .guest").await;
        let booked = replies.iter().any(|r| r.contains(&reference));
        (booked && guest.iter().any(|g| g == "yes")).then_some(())
    })
    .await;
}

/// Books a suite through the test page in headless Chromium and sees it in every panel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_a_suite_through_the_test_page() {
    if !browser_available() {
        return;
    }
    let dir = common::fresh_dir("browser");
    let running = common::start(common::config(&dir, &[])).await;
    let driver = Chromedriver::start(&dir.join("chromedriver.log")).await;
    let profile = dir.join("chromium-profile");
    std::fs::create_dir_all(&profile).expect("create the Chromium profile directory");
    let browser = open_browser(&driver, &profile).await;

    // Run the scenario in its own task so that, pass or fail, the session is closed (and the
    // browser quits) before the driver is stopped.
    let scenario = tokio::spawn(book_through_the_page(browser.clone(), running.base.clone()));
    let outcome = scenario.await;
    if let Err(e) = browser.close().await {
        eprintln!("closing the browser session failed: {e}");
    }
    drop(driver);
    running.server.shutdown().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the browser scenario did not finish: {e}"),
        }
    }
}
