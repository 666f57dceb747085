//! What a staff notice says (bounded, cleaned, linked), and the settings: optional targets,
//! errors that name the variable, no secret in `Debug` or `Display`.

use server::testing::{
    Delivery, HandoffReason, MAX_EXCERPT_CHARS, MIN_SECRET_BYTES, Notice, Target,
};

use super::{CONSOLE, SECRET, at, notice, settings};

/// The variable a settings error names, and its text.
fn config_error(pairs: &[(&str, &str)]) -> (&'static str, String) {
    match settings(pairs) {
        Err(e @ server::Error::Config { variable, .. }) => (variable, e.to_string()),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn staff_notice_bounds_and_cleans_what_the_guest_wrote() {
    let long = "é😊".repeat(400);
    let notice = notice(&long);
    assert_eq!(notice.excerpt().chars().count(), MAX_EXCERPT_CHARS + 1);
    assert!(notice.excerpt().ends_with('…'));
    assert!(long.starts_with(notice.excerpt().trim_end_matches('…')));
    let short = self::notice("  Just this.  ");
    assert_eq!(short.excerpt(), "Just this.");

    // A guest id cannot add a header line to the email.
    let forged = Notice::new(
        "Hotel\r\nBcc: x@evil.test",
        "instagram",
        "bob\r\nBcc: all@evil.test",
        HandoffReason::Anger,
        "line one\r\nline two\u{7}",
        at(),
    );
    for shown in [forged.subject(), forged.hotel().to_owned(), forged.guest()] {
        assert!(!shown.contains(['\r', '\n']), "{shown:?}");
    }
    assert_eq!(
        forged.subject(),
        "Guest needs a person: bob  Bcc: all@evil.test on Instagram"
    );
    assert_eq!(forged.excerpt(), "line one\nline two");
    assert_eq!(forged.thread_id(), "instagram:bob\r\nBcc: all@evil.test");

    let names: Vec<&str> = HandoffReason::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        names,
        [
            "asked_for_person",
            "anger",
            "legal_or_safety",
            "complaint",
            "misunderstood"
        ]
    );
    let human: std::collections::HashSet<&str> =
        HandoffReason::ALL.iter().map(|r| r.human()).collect();
    assert_eq!(human.len(), HandoffReason::ALL.len());
}

#[test]
fn staff_console_link_encodes_the_thread_id_as_one_path_segment() {
    let odd = Notice::new("H", "web", "a/b?c#d e%", HandoffReason::Anger, "hi", at());
    for base in [CONSOLE, "https://console.hotel.test/threads/"] {
        let staff = settings(&[("CONSOLE_BASE_URL", base)]).unwrap();
        assert_eq!(
            staff.console_link(&odd).as_deref(),
            Some("https://console.hotel.test/threads/web:a%2Fb%3Fc%23d%20e%25")
        );
    }
    assert_eq!(settings(&[]).unwrap().console_link(&odd), None);
}

#[tokio::test]
async fn staff_settings_are_optional_and_empty_values_count_as_unset() {
    let staff = settings(&[("STAFF_WEBHOOK_URL", "  "), ("SMTP_URL", "")]).unwrap();
    assert!(staff.is_empty());
    assert!(staff.targets().is_empty());
    assert!(staff.notify(&notice("hi")).await.is_empty());
    assert!(matches!(
        staff.send(Target::Email, &notice("hi")).await,
        Err(Delivery::Invalid(_))
    ));
    assert_eq!(staff.to_string(), "no staff notifications");
}

#[test]
fn staff_settings_errors_name_the_variable() {
    let url = (
        "STAFF_WEBHOOK_URL",
        "https://hooks.slack.test/services/T1/B2/xoxPathToken42",
    );
    let (variable, text) = config_error(&[url]);
    assert_eq!(variable, "STAFF_WEBHOOK_SECRET");
    assert!(
        text.starts_with("STAFF_WEBHOOK_SECRET: is required"),
        "{text}"
    );

    let (variable, text) = config_error(&[url, ("STAFF_WEBHOOK_SECRET", "too-short")]);
    assert_eq!(variable, "STAFF_WEBHOOK_SECRET");
    assert!(
        text.contains("9 bytes") && text.contains(&MIN_SECRET_BYTES.to_string()),
        "{text}"
    );
    assert!(!text.contains("too-short"), "{text}");
    // Exactly the minimum is enough.
    assert!(settings(&[url, ("STAFF_WEBHOOK_SECRET", &"k".repeat(MIN_SECRET_BYTES))]).is_ok());

    let (variable, _) = config_error(&[("STAFF_WEBHOOK_SECRET", SECRET)]);
    assert_eq!(variable, "STAFF_WEBHOOK_SECRET");

    // Guests' words only travel encrypted, except to this machine.
    let (variable, text) = config_error(&[
        (
            "STAFF_WEBHOOK_URL",
            "http://hooks.hotel.test/services/T1/B2/xoxPathToken42",
        ),
        ("STAFF_WEBHOOK_SECRET", SECRET),
    ]);
    assert_eq!(variable, "STAFF_WEBHOOK_URL");
    assert!(!text.contains("xoxPathToken42"), "{text}");
    assert_eq!(
        config_error(&[
            ("STAFF_WEBHOOK_URL", "hooks"),
            ("STAFF_WEBHOOK_SECRET", SECRET)
        ])
        .0,
        "STAFF_WEBHOOK_URL"
    );

    let email = [
        ("STAFF_EMAIL_FROM", "agent@hotel.test"),
        ("STAFF_EMAIL_TO", "desk@hotel.test"),
    ];
    for (smtp_url, why) in [
        ("mail.hotel.test:587", "scheme"),
        ("smtp://", "has no host"),
        ("http://mail.hotel.test", "scheme `http`"),
        (
            "smtp://staff:hunter2-pass@mail.hotel.test?tls=maybe",
            "tls=maybe",
        ),
        (
            "smtp://staff:hunter2-pass@mail.hotel.test?tls=none",
            "unencrypted",
        ),
        (
            "smtps://staff:hunter2-pass@mail.hotel.test?tls=none",
            "no tls=",
        ),
        ("smtp://staff@mail.hotel.test", "no password"),
        ("smtp://mail.hotel.test?port=25", "unknown parameter"),
    ] {
        let (variable, text) = config_error(&[("SMTP_URL", smtp_url), email[0], email[1]]);
        assert_eq!(variable, "SMTP_URL", "{smtp_url}");
        assert!(text.contains(why), "{smtp_url}: {text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
    for ok in [
        "smtp://mail.hotel.test",
        "smtp://staff:hunter2-pass@mail.hotel.test:587?tls=starttls",
        "smtp://staff:hunter2-pass@mail.hotel.test?tls=required",
        "smtps://staff:hunter2-pass@mail.hotel.test",
        "smtp://staff:hunter2-pass@127.0.0.1:2525?tls=none",
        "smtp://staff:hunter2-pass@[::1]:2525?tls=none",
    ] {
        assert!(
            settings(&[("SMTP_URL", ok), email[0], email[1]]).is_ok(),
            "{ok}"
        );
    }

    let smtp = ("SMTP_URL", "smtp://mail.hotel.test");
    assert_eq!(config_error(&[smtp]).0, "STAFF_EMAIL_FROM");
    assert_eq!(config_error(&[email[1]]).0, "SMTP_URL");
    assert_eq!(config_error(&[smtp, email[0]]).0, "STAFF_EMAIL_TO");
    assert_eq!(
        config_error(&[smtp, ("STAFF_EMAIL_FROM", "not an address"), email[1]]).0,
        "STAFF_EMAIL_FROM"
    );
    assert_eq!(
        config_error(&[smtp, email[0], ("STAFF_EMAIL_TO", "desk@hotel.test, nope")]).0,
        "STAFF_EMAIL_TO"
    );
    assert_eq!(
        config_error(&[("CONSOLE_BASE_URL", "ftp://console.hotel.test")]).0,
        "CONSOLE_BASE_URL"
    );
    assert_eq!(
        config_error(&[("CONSOLE_BASE_URL", "https://console.hotel.test/?t=")]).0,
        "CONSOLE_BASE_URL"
    );
}

#[test]
fn staff_settings_never_show_secrets() {
    let staff = settings(&[
        (
            "STAFF_WEBHOOK_URL",
            "https://hooks.slack.test/services/T1/B2/xoxPathToken42",
        ),
        ("STAFF_WEBHOOK_SECRET", "whsec-do-not-print-me-0123"),
        (
            "SMTP_URL",
            "smtp://staff:hunter2-pass@mail.hotel.test:587?tls=starttls",
        ),
        ("STAFF_EMAIL_FROM", "Hotel Agent <agent@hotel.test>"),
        ("STAFF_EMAIL_TO", "desk@hotel.test, manager@hotel.test"),
        ("CONSOLE_BASE_URL", CONSOLE),
    ])
    .unwrap();
    assert_eq!(staff.targets(), [Target::Webhook, Target::Email]);
    let debug = format!("{staff:?}");
    let display = staff.to_string();
    for shown in [&debug, &display] {
        for secret in [
            "whsec-do-not-print-me",
            "hunter2",
            "xoxPathToken42",
            "services/T1",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        for visible in [
            "https://hooks.slack.test",
            "mail.hotel.test:587",
            "STARTTLS",
            "desk@hotel.test",
        ] {
            assert!(shown.contains(visible), "{visible} not in {shown}");
        }
    }
    assert!(debug.contains("<redacted>"), "{debug}");
}
