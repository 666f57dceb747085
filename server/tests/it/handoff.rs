//! The human handoff through the server: a guest on Instagram asks for a person, staff are
//! told through their signed webhook, the agent stops answering, staff reply through the
//! staff API (the guest gets it from the Send API), hand back with a note, and the agent
//! answers again; every step in the thread's history. A guest's "STOP" during a handoff is
//! confirmed and still reaches staff. Then the channels' windows for staff replies, and the
//! staff API's refusals.

use std::time::Duration;

use serde_json::{Value, json};
use server::testing::verify;

use crate::common::{self, Running, eventually};
use crate::fake_meta::FakeMeta;
use crate::fake_smtp::FakeSmtp;
use crate::meta::SECRET as META_SECRET;
use crate::staff_notify::{Answer, Receiver, SECRET as HOOK_SECRET};
use crate::webhooks::{channel_flags, deliver, ig_message};

/// A server whose staff are told through a signed webhook and by email, with what it talks
/// to.
struct Setup {
    running: Running,
    fake: FakeMeta,
    receiver: Receiver,
    smtp: FakeSmtp,
    db: std::path::PathBuf,
}

async fn start(name: &str) -> Setup {
    let fake = FakeMeta::start().await;
    let (receiver, _) = Receiver::start().await;
    let smtp = FakeSmtp::start(None).await;
    let dir = common::fresh_dir(name);
    let mut flags = channel_flags(&fake);
    let smtp_url = format!("smtp://127.0.0.1:{}?tls=none", smtp.port);
    flags.extend(
        [
            "--staff-webhook-url",
            &receiver.url,
            "--staff-webhook-secret",
            HOOK_SECRET,
            "--smtp-url",
            &smtp_url,
            "--staff-email-from",
            "assistant@hotel.test",
            "--staff-email-to",
            "desk@hotel.test",
            "--staff-hours",
            "09:00-21:30",
        ]
        .map(str::to_owned),
    );
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let running = common::start(common::config(&dir, &flags)).await;
    Setup {
        running,
        fake,
        receiver,
        smtp,
        db: dir.join("agent.db"),
    }
}

/// Delivers guest `user`'s message `text` (id `mid`) on Instagram.
async fn guest(running: &Running, user: &str, mid: &str, text: &str, at: u64) {
    let body = ig_message(user, mid, text, at);
    let delivered = deliver(running, "instagram", &body, Some(META_SECRET)).await;
    assert_eq!(delivered.status(), 200);
}

/// The texts the fake Graph API received for `user`, waiting until there are `n`.
pub(crate) async fn replies(fake: &FakeMeta, user: &str, n: usize) -> Vec<String> {
    eventually(20, &format!("{n} replies to {user}"), || async {
        let texts: Vec<String> = fake
            .delivered()
            .iter()
            .filter(|r| r.recipient() == user)
            .map(|r| r.text())
            .collect();
        (texts.len() >= n).then_some(texts)
    })
    .await
}

async fn staff(running: &Running, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = running.url(&format!("/staff/api/handoffs{path}"));
    let request = match body {
        Some(body) => running.http.post(url).json(&body),
        None => running.http.get(url),
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_asks_for_a_person_staff_reply_and_hand_back() {
    let Setup {
        running,
        fake,
        receiver,
        smtp,
        ..
    } = start("handoff-walk").await;
    let t0 = 1_795_302_000_000;
    guest(&running, "nora", "n1", "can I talk to a human please", t0).await;
    let first = replies(&fake, "nora", 1).await;
    assert!(first[0].contains("A person will reply here"), "{first:?}");
    assert!(first[0].contains("09:00 to 21:30"), "{first:?}");

    // Staff were told, signed so they can check it came from us.
    let hit = eventually(20, "the staff webhook", || async {
        receiver.hits().into_iter().next()
    })
    .await;
    let (timestamp, signature) = (
        hit.header("x-hotel-timestamp"),
        hit.header("x-hotel-signature"),
    );
    assert!(verify(HOOK_SECRET, &timestamp, &hit.body, &signature));
    let notice = String::from_utf8_lossy(&hit.body).into_owned();
    assert!(
        notice.contains("nora") && notice.contains("talk to a human"),
        "{notice}"
    );
    // And by email.
    let email = smtp.sessions(1).await.remove(0);
    assert_eq!(email.rcpt_to, ["<desk@hotel.test>"]);
    let subject = email.header("Subject").unwrap_or_default();
    assert!(
        subject.contains("nora") && subject.contains("Instagram"),
        "{subject}"
    );
    assert!(email.body().contains("talk to a human"), "{}", email.body());

    let (status, open) = staff(&running, "", None).await;
    assert_eq!(status, 200);
    let list = open.as_array().unwrap();
    assert_eq!(list.len(), 1, "{open}");
    assert_eq!(list[0]["reason"], "asked_for_person");
    assert_eq!(list[0]["thread_id"], "instagram:nora");
    let id = list[0]["id"].as_i64().unwrap();

    // While a person has it, the agent answers nothing.
    guest(&running, "nora", "n2", "hello?? anyone there", t0 + 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(replies(&fake, "nora", 1).await.len(), 1);
    let (_, detail) = staff(&running, &format!("/{id}"), None).await;
    assert_eq!(detail["waiting"], true, "{detail}");
    let lines: Vec<String> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{}: {}",
                l["from"].as_str().unwrap(),
                l["text"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        lines.last().unwrap(),
        "guest: hello?? anyone there",
        "{lines:?}"
    );

    let (status, sent) = staff(
        &running,
        &format!("/{id}/reply"),
        Some(json!({"by": "Marta", "text": "Hi Nora, Marta from the front desk here. How can I help?"})),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["form"], "text");
    let texts = replies(&fake, "nora", 2).await;
    assert_eq!(
        texts[1],
        "Hi Nora, Marta from the front desk here. How can I help?"
    );

    let (status, _) = staff(
        &running,
        &format!("/{id}/close"),
        Some(json!({"by": "Marta", "note": "wanted a late check-out; arranged"})),
    )
    .await;
    assert_eq!(status, 204);
    let (_, closed) = staff(&running, "?status=closed", None).await;
    assert_eq!(closed[0]["closed_by"], "Marta", "{closed}");
    assert_eq!(closed[0]["note"], "wanted a late check-out; arranged");
    // Acting on a closed handoff is refused.
    let (status, _) = staff(
        &running,
        &format!("/{id}/reply"),
        Some(json!({"by": "Marta", "text": "one more thing"})),
    )
    .await;
    assert_eq!(status, 409);

    // The agent answers again.
    guest(
        &running,
        "nora",
        "n3",
        "is breakfast included at the grand plaza?",
        t0 + 2,
    )
    .await;
    let texts = replies(&fake, "nora", 3).await;
    assert!(texts[2].to_lowercase().contains("breakfast"), "{texts:?}");

    // Every step is in the thread's history.
    let (_, detail) = staff(&running, &format!("/{id}"), None).await;
    let from: Vec<&str> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["from"].as_str().unwrap())
        .collect();
    assert_eq!(
        from,
        [
            "guest",
            "agent",
            "guest",
            "staff:Marta",
            "staff:Marta",
            "guest",
            "agent"
        ],
        "{detail}"
    );
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_during_a_handoff_is_confirmed_and_reaches_staff() {
    let Setup {
        running, fake, db, ..
    } = start("handoff-stop").await;
    let t0 = 1_795_302_000_000;
    guest(
        &running,
        "omar",
        "o1",
        "i want to speak to a real person",
        t0,
    )
    .await;
    replies(&fake, "omar", 1).await;
    let (_, open) = staff(&running, "", None).await;
    let id = open[0]["id"].as_i64().unwrap();
    let (_, before) = staff(&running, &format!("/{id}"), None).await;

    guest(&running, "omar", "o2", "STOP", t0 + 5_000).await;
    let texts = replies(&fake, "omar", 2).await;
    assert!(
        texts[1].contains("will not send you reminders"),
        "{texts:?}"
    );
    let optouts: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM sv_optouts WHERE channel = 'instagram' AND user_id = 'omar'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(optouts, 1);
    // Staff read it in the conversation they hold, which still waits for them, and the
    // channel's window counts from it.
    let (_, detail) = staff(&running, &format!("/{id}"), None).await;
    assert_eq!(detail["waiting"], true, "{detail}");
    let last = detail["transcript"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["from"].as_str(), last["text"].as_str()),
        (Some("guest"), Some("STOP"))
    );
    assert!(
        detail["last_guest_ms"].as_i64() > before["last_guest_ms"].as_i64(),
        "{before} then {detail}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        replies(&fake, "omar", 2).await.len(),
        2,
        "the agent stayed silent"
    );
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_replies_follow_each_channels_window_and_bad_requests_are_refused() {
    let Setup {
        running, fake, db, ..
    } = start("handoff-windows").await;
    guest(
        &running,
        "olga",
        "o1",
        "I want to speak to a manager",
        1_795_302_000_000,
    )
    .await;
    replies(&fake, "olga", 1).await;
    let (_, open) = staff(&running, "", None).await;
    let id = open[0]["id"].as_i64().unwrap();

    // Two days after the guest's last message, Instagram takes a person's reply tagged
    // HUMAN_AGENT.
    let db = rusqlite::Connection::open(db).unwrap();
    let two_days_ago = now_ms() - 2 * 24 * 3600 * 1000;
    db.execute("UPDATE sv_handoffs SET last_guest_ms = ?1", [two_days_ago])
        .unwrap();
    let (status, sent) = staff(
        &running,
        &format!("/{id}/reply"),
        Some(json!({"by": "Ivo", "text": "Sorry for the wait, Olga."})),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["form"], "human_agent");
    let tagged = eventually(20, "the tagged reply", || async {
        fake.delivered()
            .into_iter()
            .find(|r| r.text() == "Sorry for the wait, Olga.")
    })
    .await;
    assert_eq!(tagged.body["messaging_type"], "MESSAGE_TAG");
    assert_eq!(tagged.body["tag"], "HUMAN_AGENT");

    // Eight days after, no one may write until the guest does.
    db.execute(
        "UPDATE sv_handoffs SET last_guest_ms = ?1",
        [now_ms() - 8 * 24 * 3600 * 1000],
    )
    .unwrap();
    let (status, why) = staff(
        &running,
        &format!("/{id}/reply"),
        Some(json!({"by": "Ivo", "text": "Still there?"})),
    )
    .await;
    assert_eq!(status, 409);
    assert!(why.to_string().contains("7 days"), "{why}");

    // Bad requests name what is wrong; nothing changes.
    for (path, body, want) in [
        (format!("/{id}/reply"), json!({"by": "", "text": "hi"}), 422),
        (
            format!("/{id}/reply"),
            json!({"by": "Ivo", "text": " "}),
            422,
        ),
        (
            format!("/{id}/reply"),
            json!({"by": "Ivo", "text": "x".repeat(2001)}),
            422,
        ),
        (format!("/{id}/reply"), json!({"by": "Ivo"}), 422),
        (
            format!("/{id}/close"),
            json!({"by": "Ivo", "note": "n".repeat(1001)}),
            422,
        ),
        ("/999999/close".to_owned(), json!({"by": "Ivo"}), 404),
        (
            "/abc/reply".to_owned(),
            json!({"by": "Ivo", "text": "hi"}),
            404,
        ),
    ] {
        let (status, answer) = staff(&running, &path, Some(body)).await;
        assert_eq!(status, want, "{path}: {answer}");
    }
    let (status, _) = staff(&running, "?status=sometimes", None).await;
    assert_eq!(status, 422);
    let (_, still) = staff(&running, "", None).await;
    assert_eq!(
        still.as_array().unwrap().len(),
        1,
        "the handoff is still open"
    );
    running.server.shutdown().await;
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// On the web chat the same: the chat's answer says a person has the conversation, a staff
/// reply is kept in the thread (there is no channel to send it on), and after the hand back
/// the agent answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_chat_says_when_a_person_has_the_conversation() {
    let Setup {
        running, receiver, ..
    } = start("handoff-web").await;
    // The staff webhook is down at first: the notice is retried (after the receiver's
    // Retry-After) until it is delivered.
    receiver.answer([Answer::Status(503, vec![("retry-after", "1")], "busy")]);
    let opened = running.chat("pilar", "quiero hablar con alguien").await;
    assert_eq!(opened["handoff"], "asked_for_person", "{opened}");
    assert!(
        opened["reply"].as_str().unwrap().contains("09:00 a 21:30"),
        "{opened}"
    );
    let waiting = running.chat("pilar", "hola?").await;
    assert_eq!(
        (waiting["reply"].as_str(), waiting["handoff"].as_str()),
        (Some(""), Some("asked_for_person"))
    );
    let (_, open) = staff(&running, "?channel=web", None).await;
    let id = open[0]["id"].as_i64().unwrap();
    let (status, sent) = staff(
        &running,
        &format!("/{id}/reply"),
        Some(json!({"by": "Ana", "text": "Hola Pilar, soy Ana."})),
    )
    .await;
    assert_eq!((status, sent["parts"].as_i64()), (200, Some(0)), "{sent}");
    let (status, _) = staff(
        &running,
        &format!("/{id}/close"),
        Some(json!({"by": "Ana"})),
    )
    .await;
    assert_eq!(status, 204);
    let hits = eventually(20, "the notice delivered on its second try", || async {
        let hits = receiver.hits();
        (hits.len() >= 2).then_some(hits)
    })
    .await;
    assert_eq!(hits.len(), 2, "delivered once, after one failure");
    assert_eq!(hits[0].body, hits[1].body, "the same notice again");
    let back = running.chat("pilar", "gracias!").await;
    assert_eq!(back["handoff"], Value::Null, "{back}");
    assert!(!back["reply"].as_str().unwrap().is_empty(), "{back}");
    running.server.shutdown().await;
}
