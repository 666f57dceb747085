//! The staff console end to end in headless Chromium: an Instagram guest books a suite, then
//! asks for a person; a staff member logs in (with the keyboard), finds the conversation in
//! the list as a handoff, reads it (what the guest wrote shown as text, never as markup),
//! replies (the fake Graph API receives it) and hands back, after which the agent answers the
//! guest again; then she cancels the guest's booking from the console (the guest is told) and
//! sees the inventory free up, and looks at the activity charts. Screenshots of each page are
//! saved to `<target>/console-screenshots/` and their paths printed.
//!
//! Skipped with a notice without Chromium and chromedriver, unless `REQUIRE_BROWSER_TESTS=1`
//! (see `chromium.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use crate::chromium::{browser_available, in_browser, rethrow, text_of, texts_of, wait_for};
use crate::common::Running;
use crate::console::{STAFF, add_staff, guest, reference_in, replies, start};
use crate::fake_meta::FakeMeta;

/// Where the screenshots go: beside the test binaries, in the target directory.
fn screenshots() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp
        .parent()
        .map_or(tmp.clone(), PathBuf::from)
        .join("console-screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshot directory");
    dir
}

async fn shot(browser: &Client, name: &str) -> PathBuf {
    let png = browser.screenshot().await.expect("take a screenshot");
    let path = screenshots().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("save a screenshot");
    path
}

/// Clicks `css` once it is shown. Found and clicked in one try, tried again while the page
/// redraws it (a list replaced under the finger leaves a stale element).
async fn click(browser: &Client, css: &str) {
    let what = format!("{css} to be shown and clicked");
    wait_for(browser, &what, || async {
        let element = browser.find(Locator::Css(css)).await.ok()?;
        if !element.is_displayed().await.ok()? {
            return None;
        }
        element.click().await.ok()
    })
    .await;
}

async fn type_into(browser: &Client, css: &str, text: &str) {
    let field = browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    field.clear().await.expect("clear a field");
    field.send_keys(text).await.expect("type into a field");
}

/// Waits until the element `css` has text containing `expect`; that text.
async fn text_containing(browser: &Client, css: &str, expect: &str) -> String {
    let what = format!("{css} to say {expect:?}");
    wait_for(browser, &what, || async {
        let text = text_of(browser, css).await?;
        text.contains(expect).then_some(text)
    })
    .await
}

/// The rooms the heat map shows booked for the SRS suites on 2026-12-10.
async fn suites_booked_on_dec_10(browser: &Client, booked: &str) {
    let css = "td[data-hotel='SRS'][data-room='Suite'][data-night='2026-12-10']";
    let what = format!("the heat map to show {booked} SRS suite(s) booked on Dec 10");
    wait_for(browser, &what, || async {
        let cell = browser.find(Locator::Css(css)).await.ok()?;
        let value = cell.attr("data-booked").await.ok()??;
        (value == booked).then_some(())
    })
    .await;
}

async fn walk(browser: Client, running: Arc<Running>, fake: FakeMeta, reference: String) {
    let base = running.base.clone();
    let mut saved = Vec::new();
    browser
        .set_window_size(1360, 1000)
        .await
        .expect("size the window");
    browser
        .goto(&format!("{base}/console"))
        .await
        .expect("open the console");

    // Log in with the keyboard: type, and Enter submits.
    let (name, password) = STAFF;
    type_into(&browser, "#login-name", name).await;
    type_into(&browser, "#login-password", password).await;
    saved.push(shot(&browser, "01-login").await);
    browser
        .find(Locator::Id("login-password"))
        .await
        .expect("the password field")
        .send_keys(&Key::Enter.to_string())
        .await
        .expect("press Enter");
    text_containing(&browser, "#who", "Logged in as Marta").await;

    // The conversation is listed, as a handoff.
    let row = "#conversation-rows tr[data-thread='instagram:nora']";
    text_containing(&browser, row, "handoff open").await;
    saved.push(shot(&browser, "02-conversations").await);
    click(&browser, &format!("{row} a")).await;
    text_containing(
        &browser,
        "#conversation-state",
        "A person has this conversation",
    )
    .await;
    // What the guest wrote is text on the page, never markup.
    let lines = texts_of(&browser, "#transcript .text").await;
    assert!(
        lines.iter().any(|l| l.contains("<b>please</b>")),
        "{lines:?}"
    );
    let bold = browser
        .find_all(Locator::Css("#transcript b"))
        .await
        .expect("look for markup");
    assert!(bold.is_empty(), "the guest's <b> became an element");
    let path = text_of(&browser, "#turn-rows").await.unwrap_or_default();
    assert!(path.contains("create_booking"), "{path}");

    // Reply as staff: the guest gets it on Instagram.
    let answer = "Hi Nora, Marta from the front desk here. How can I help?";
    type_into(&browser, "#reply-text", answer).await;
    click(&browser, "#reply-send").await;
    let texts = replies(&fake, "nora", 4).await;
    assert_eq!(texts[3], answer);
    text_containing(&browser, "#transcript", "Marta from the front desk").await;
    saved.push(shot(&browser, "03-conversation").await);

    // Hand back; the agent answers the guest's next message again.
    type_into(
        &browser,
        "#handback-note",
        "wanted to be sure of the booking",
    )
    .await;
    click(&browser, "#handback-send").await;
    text_containing(
        &browser,
        "#conversation-state",
        "The assistant has this conversation",
    )
    .await;
    guest(
        &running,
        "nora",
        "m4",
        "is breakfast included at the grand plaza?",
    )
    .await;
    let texts = replies(&fake, "nora", 5).await;
    assert!(texts[4].to_lowercase().contains("breakfast"), "{texts:?}");

    // The inventory holds the suite.
    click(&browser, "#nav a[href='#inventory']").await;
    suites_booked_on_dec_10(&browser, "1").await;
    saved.push(shot(&browser, "04-inventory").await);

    // Find the booking, see the charge, cancel it for the guest.
    click(&browser, "#nav a[href='#bookings']").await;
    type_into(&browser, "#booking-search input[name='guest']", "nora").await;
    click(&browser, "#booking-search button").await;
    let booking_row = format!("#booking-rows tr[data-reference='{reference}']");
    text_containing(&browser, &booking_row, "confirmed").await;
    click(&browser, &format!("{booking_row} a")).await;
    text_containing(&browser, "#booking-title", &reference).await;
    click(&browser, "#quote-cancel").await;
    text_containing(&browser, "#cancel-quote", "costs the guest $0.00").await;
    saved.push(shot(&browser, "05-booking-quote").await);
    click(&browser, "#confirm-cancel").await;
    text_containing(&browser, "#booking-result", "The guest was told").await;
    text_containing(&browser, "#change-rows", "staff: Marta").await;
    let texts = replies(&fake, "nora", 6).await;
    assert!(texts[5].contains("cancelled by our staff"), "{texts:?}");
    saved.push(shot(&browser, "06-booking-cancelled").await);

    // The inventory freed up.
    click(&browser, "#nav a[href='#inventory']").await;
    suites_booked_on_dec_10(&browser, "0").await;

    // The activity charts.
    click(&browser, "#nav a[href='#activity']").await;
    wait_for(&browser, "four charts", || async {
        let charts = browser.find_all(Locator::Css("#charts svg")).await.ok()?;
        (charts.len() == 4).then_some(())
    })
    .await;
    text_containing(&browser, "#llm-summary", "offline NLU").await;
    saved.push(shot(&browser, "07-activity").await);

    let errors = text_of(&browser, "#status.error").await;
    assert!(
        errors.as_deref().is_none_or(str::is_empty),
        "the console shows an error: {errors:?}"
    );
    eprintln!("console screenshots:");
    for path in saved {
        eprintln!("  {}", path.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_walk_the_console_in_a_browser() {
    if !browser_available("console_browser::staff_walk_the_console_in_a_browser") {
        return;
    }
    let (running, fake, dir) = start("console-browser").await;
    add_staff(&running).await;
    let booking =
        "I'd like a suite at Seaside Resort & Spa from December 10 to December 12 for 2 adults";
    guest(&running, "nora", "m1", booking).await;
    replies(&fake, "nora", 1).await;
    guest(&running, "nora", "m2", "yes").await;
    let reference = reference_in(&replies(&fake, "nora", 2).await[1]);
    guest(
        &running,
        "nora",
        "m3",
        "can I talk to a human <b>please</b>",
    )
    .await;
    replies(&fake, "nora", 3).await;

    // Shared with the scenario, which sends the guest's next message; it is the only owner
    // again once the scenario has ended, pass or fail.
    let running = Arc::new(running);
    let scenario = Arc::clone(&running);
    let outcome = in_browser(&dir, |browser| walk(browser, scenario, fake, reference)).await;
    if let Ok(running) = Arc::try_unwrap(running) {
        running.server.shutdown().await;
    }
    rethrow(outcome);
}
