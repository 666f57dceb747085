//! End to end in a real browser: the test page in headless Chromium, driven over WebDriver
//! (chromedriver), books a suite through the chat and sees the booking, the run's path and
//! the thread state appear in their panels.
//!
//! Needs Debian's `chromium` and `chromium-driver` packages. Without them the test is skipped
//! with a loud notice on stderr saying what to install, so `cargo test --workspace` passes on a
//! fresh machine; with `REQUIRE_BROWSER_TESTS=1` (set by `.ci/run`, which installs them) it
//! fails instead.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use crate::chromium::{browser_available, in_browser, rethrow, text_of, texts_of, wait_for};
use crate::common;
/// The user id the browser chats as.
const USER: &str = "browser-guest";
/// The agent's replies in the chat.
const REPLIES: &str = "#chat .reply";
/// The hotel the browser books.
const HOTEL: &str = "Seaside Resort & Spa";

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
    if !browser_available("browser::books_a_suite_through_the_test_page") {
        return;
    }
    let dir = common::fresh_dir("browser");
    let running = common::start(common::config(&dir, &[])).await;
    let base = running.base.clone();
    let outcome = in_browser(&dir, |browser| book_through_the_page(browser, base)).await;
    running.server.shutdown().await;
    rethrow(outcome);
}
