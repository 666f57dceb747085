//! The staff email against the loopback fake SMTP server: the message as it arrives (envelope,
//! headers, body, AUTH PLAIN), and SMTP failures classified as retryable or permanent.

use std::time::{Duration, Instant};

use server::testing::{Delivery, StaffNotify, Target};

use super::{Receiver, SECRET, notice, settings};
use crate::fake_smtp::{FakeSmtp, Fault};

const USER: &str = "staff";
const PASSWORD: &str = "p@ss word";

/// Settings that mail through `fake` as [`USER`] (the password percent-encoded in the URL).
fn mail_settings(fake: &FakeSmtp) -> StaffNotify {
    let url = format!(
        "smtp://staff:p%40ss%20word@127.0.0.1:{}?tls=none",
        fake.port
    );
    settings(&[
        ("SMTP_URL", &url),
        ("STAFF_EMAIL_FROM", "Hotel Agent <agent@hotel.test>"),
        (
            "STAFF_EMAIL_TO",
            "frontdesk@hotel.test, Night Manager <manager@hotel.test>",
        ),
        ("CONSOLE_BASE_URL", "https://console.hotel.test/threads/"),
    ])
    .unwrap()
}

#[tokio::test]
async fn staff_email_arrives_with_envelope_headers_and_excerpt() {
    let fake = FakeSmtp::start(Some((USER, PASSWORD))).await;
    let staff = mail_settings(&fake);
    let message = "Hello,\nI want to talk to a person & not a <bot>.\n.\nThanks";
    let outcome = staff.notify(&notice(message)).await;
    assert_eq!(outcome, vec![(Target::Email, Ok(()))]);

    let sessions = fake.sessions(1).await;
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert!(session.ehlo.is_some());
    assert_eq!(session.auth.as_deref(), Some("\0staff\0p@ss word"));
    assert_eq!(session.mail_from.as_deref(), Some("<agent@hotel.test>"));
    assert_eq!(
        session.rcpt_to,
        ["<frontdesk@hotel.test>", "<manager@hotel.test>"]
    );
    assert!(session.quit, "the client says QUIT");
    assert_eq!(session.bare_lf, 0, "every line ends with CRLF");

    let from = session.header("From").unwrap();
    assert!(
        from.contains("Hotel Agent") && from.contains("<agent@hotel.test>"),
        "{from}"
    );
    let to = session.header("To").unwrap();
    assert!(
        to.contains("frontdesk@hotel.test")
            && to.contains("\"Night Manager\" <manager@hotel.test>"),
        "{to}"
    );
    assert_eq!(
        session.header("Subject").as_deref(),
        Some("Guest needs a person: +34600111222 on WhatsApp")
    );
    // The notice's time, not the clock's.
    let date = session.header("Date").unwrap();
    assert!(date.contains("22 Nov 2026 14:03:00"), "{date}");
    assert!(
        session
            .header("Content-Type")
            .unwrap()
            .starts_with("text/plain")
    );

    let body = session.body();
    for expected in [
        "A guest needs a person at Hotel Mirador.",
        "Guest: +34600111222 on WhatsApp",
        "Why: The guest asked to talk to a person.",
        "When: 2026-11-22 14:03 UTC",
        "> Hello,\n> I want to talk to a person & not a <bot>.\n> .\n> Thanks\n",
        "Open the conversation: https://console.hotel.test/threads/whatsapp:+34600111222",
    ] {
        assert!(body.contains(expected), "{expected:?} not in {body}");
    }
    assert!(!body.contains("p@ss") && !session.data.as_ref().unwrap().contains("p@ss"));

    // A retry is the same message: same Message-ID.
    assert_eq!(staff.send(Target::Email, &notice(message)).await, Ok(()));
    let sessions = fake.sessions(2).await;
    assert_eq!(sessions.len(), 2);
    let id = sessions[0].header("Message-ID").unwrap();
    assert!(
        id.starts_with("<handoff.") && id.ends_with("@hotel.test>"),
        "{id}"
    );
    assert_eq!(sessions[1].header("Message-ID").unwrap(), id);
}

#[tokio::test]
async fn staff_email_dot_stuffs_and_encodes_what_plain_smtp_cannot_carry() {
    let fake = FakeSmtp::start(Some((USER, PASSWORD))).await;
    let staff = mail_settings(&fake);
    // A line too long for 7bit is wrapped by quoted-printable: continuation lines of dots
    // start with a dot, which SMTP must stuff.
    let dots = ".".repeat(150);
    let accents = "¿Puedo hablar con una persona? Ñandú 😊";
    let outcome = staff.notify(&notice(&format!("{dots}\n{accents}"))).await;
    assert_eq!(outcome, vec![(Target::Email, Ok(()))]);
    let session = &fake.sessions(1).await[0];
    assert!(session.stuffed > 0, "no line was dot-stuffed");
    assert!(session.data.as_ref().unwrap().is_ascii());
    let body = session.body();
    assert!(body.contains(&format!("> {dots}\n> {accents}\n")), "{body}");
}

#[tokio::test]
async fn staff_email_451_on_rcpt_is_retryable_and_550_permanent() {
    let fake = FakeSmtp::start(Some((USER, PASSWORD))).await;
    let staff = mail_settings(&fake);

    fake.fault(Fault::Rcpt("451 4.3.0 Mailbox temporarily unavailable"));
    let error = staff.send(Target::Email, &notice("hi")).await.unwrap_err();
    assert!(
        matches!(error, Delivery::SmtpTransient { code: 451, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(
        error
            .to_string()
            .contains("Mailbox temporarily unavailable"),
        "{error}"
    );

    fake.fault(Fault::Rcpt("550 5.1.1 No such user"));
    let error = staff.send(Target::Email, &notice("hi")).await.unwrap_err();
    assert!(
        matches!(error, Delivery::SmtpRejected { code: 550, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());

    fake.fault(Fault::None);
    assert_eq!(staff.send(Target::Email, &notice("hi")).await, Ok(()));
    let sessions = fake.sessions(3).await;
    assert_eq!(sessions.len(), 3);
    assert!(
        sessions[..2].iter().all(|s| s.data.is_none()),
        "no DATA after a refused RCPT"
    );
    assert!(sessions[2].data.is_some());
}

#[tokio::test]
async fn staff_email_wrong_password_is_permanent() {
    let fake = FakeSmtp::start(Some((USER, "another password"))).await;
    let error = mail_settings(&fake)
        .send(Target::Email, &notice("hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Delivery::SmtpRejected { code: 535, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    let session = &fake.sessions(1).await[0];
    assert_eq!(session.auth.as_deref(), Some("\0staff\0p@ss word"));
    assert_eq!(session.mail_from, None);
}

#[tokio::test]
async fn staff_email_dropped_refused_or_silent_connections_are_retryable() {
    let fake = FakeSmtp::start(Some((USER, PASSWORD))).await;
    let staff = mail_settings(&fake)
        .with_timeout(Duration::from_millis(300))
        .unwrap();

    fake.fault(Fault::DropAfterGreeting);
    let error = staff.send(Target::Email, &notice("hi")).await.unwrap_err();
    assert!(matches!(error, Delivery::Connection(_)), "{error:?}");
    assert!(error.is_retryable());

    fake.fault(Fault::Silent);
    let started = Instant::now();
    let error = staff.send(Target::Email, &notice("hi")).await.unwrap_err();
    assert_eq!(error, Delivery::Timeout(Duration::from_millis(300)));
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(5));

    let port = fake.port;
    drop(fake);
    let refused = settings(&[
        ("SMTP_URL", &format!("smtp://127.0.0.1:{port}?tls=none")),
        ("STAFF_EMAIL_FROM", "agent@hotel.test"),
        ("STAFF_EMAIL_TO", "desk@hotel.test"),
    ])
    .unwrap();
    let error = refused
        .send(Target::Email, &notice("hi"))
        .await
        .unwrap_err();
    assert!(matches!(error, Delivery::Connection(_)), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn staff_notify_reports_each_target_on_its_own() {
    let (receiver, _) = Receiver::start().await;
    let fake = FakeSmtp::start(None).await;
    fake.fault(Fault::Rcpt("550 5.1.1 No such user"));
    let staff = settings(&[
        ("STAFF_WEBHOOK_URL", &receiver.url),
        ("STAFF_WEBHOOK_SECRET", SECRET),
        (
            "SMTP_URL",
            &format!("smtp://127.0.0.1:{}?tls=none", fake.port),
        ),
        ("STAFF_EMAIL_FROM", "agent@hotel.test"),
        ("STAFF_EMAIL_TO", "desk@hotel.test"),
    ])
    .unwrap();
    let outcome = staff.notify(&notice("hi")).await;
    assert_eq!(outcome.len(), 2);
    assert_eq!(outcome[0], (Target::Webhook, Ok(())));
    assert!(
        matches!(
            outcome[1],
            (Target::Email, Err(Delivery::SmtpRejected { code: 550, .. }))
        ),
        "{outcome:?}"
    );
    assert_eq!(receiver.hits().len(), 1);
    // Without a console, the thread is named instead of linked.
    let body = String::from_utf8(receiver.hits()[0].body.to_vec()).unwrap();
    assert!(body.contains("*Thread:* whatsapp:+34600111222"), "{body}");
}
