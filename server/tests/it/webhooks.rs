//! Instagram and WhatsApp end to end: signed deliveries to the real server produce Send API
//! calls to the loopback fake; bad signatures, oversize and malformed bodies are refused;
//! redeliveries answered once; failed sends retried; permanent failures dropped; rate limits.

use std::time::Duration;

use server::meta::signature::sign;

use crate::common::{self, Running, eventually};
use crate::fake_meta::{Failure, FakeMeta, TOKEN};
use crate::meta::{IG_BODY, SECRET, WA_BODY};

pub(crate) const IG_ACCOUNT: &str = "17841400000000001";
pub(crate) const WA_PHONE: &str = "106540352242922";

/// The flags that point both channels at `fake`.
pub(crate) fn channel_flags(fake: &FakeMeta) -> Vec<String> {
    [
        ("--instagram-app-secret", format!("rotated_secret,{SECRET}")),
        ("--instagram-verify-token", "ig-verify".to_owned()),
        ("--instagram-access-token", TOKEN.to_owned()),
        ("--instagram-account-id", IG_ACCOUNT.to_owned()),
        ("--instagram-graph-base-url", fake.base.clone()),
        ("--whatsapp-app-secret", SECRET.to_owned()),
        ("--whatsapp-verify-token", "wa-verify".to_owned()),
        ("--whatsapp-access-token", TOKEN.to_owned()),
        ("--whatsapp-phone-number-id", WA_PHONE.to_owned()),
        ("--whatsapp-graph-base-url", fake.base.clone()),
        ("--outbox-retry-ms", "20".to_owned()),
    ]
    .into_iter()
    .flat_map(|(flag, value)| [flag.to_owned(), value])
    .collect()
}

async fn start(name: &str, extra: &[&str]) -> (Running, FakeMeta) {
    let fake = FakeMeta::start().await;
    let dir = common::fresh_dir(name);
    let mut flags = channel_flags(&fake);
    flags.extend(extra.iter().map(|s| (*s).to_owned()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    (common::start(common::config(&dir, &flags)).await, fake)
}

/// POSTs `body` to `/webhooks/{channel}` signed with `secret` (unsigned when `None`).
pub(crate) async fn deliver(
    running: &Running,
    channel: &str,
    body: &str,
    secret: Option<&str>,
) -> reqwest::Response {
    let mut request = running
        .http
        .post(running.url(&format!("/webhooks/{channel}")))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(secret) = secret {
        request = request.header("x-hub-signature-256", sign(secret, body.as_bytes()));
    }
    request.send().await.unwrap()
}

/// An Instagram text message from `guest`.
pub(crate) fn ig_message(guest: &str, mid: &str, text: &str, timestamp: u64) -> String {
    serde_json::json!({"object": "instagram", "entry": [{"id": IG_ACCOUNT, "time": timestamp, "messaging": [
        {"sender": {"id": guest}, "recipient": {"id": IG_ACCOUNT}, "timestamp": timestamp,
         "message": {"mid": mid, "text": text}}]}]})
    .to_string()
}

async fn delivered_count(fake: &FakeMeta, n: usize) -> Vec<crate::fake_meta::Received> {
    eventually(20, &format!("{n} delivered replies"), || async {
        let delivered = fake.delivered();
        (delivered.len() >= n).then_some(delivered)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_instagram_and_whatsapp_messages_are_answered_through_the_send_apis() {
    let (running, fake) = start("both-channels", &[]).await;
    let response = deliver(&running, "instagram", IG_BODY, Some(SECRET)).await;
    assert_eq!(response.status(), 200);
    let ig = delivered_count(&fake, 1).await.remove(0);
    assert_eq!(ig.version, "v25.0");
    assert_eq!(ig.sender_id, IG_ACCOUNT);
    assert_eq!(ig.authorization.as_deref(), Some("Bearer EAAtesttoken"));
    assert_eq!(ig.body["recipient"]["id"], "1122334455667788");
    // A Spanish question gets a Spanish answer.
    let text = ig.text();
    assert!(
        text.contains("habitación") || text.contains("hotel"),
        "{text}"
    );
    assert!(!text.is_empty() && text.len() <= 1000);

    let response = deliver(&running, "whatsapp", WA_BODY, Some(SECRET)).await;
    assert_eq!(response.status(), 200);
    let wa = delivered_count(&fake, 2).await.remove(1);
    assert_eq!(wa.sender_id, WA_PHONE);
    assert_eq!(wa.body["messaging_product"], "whatsapp");
    assert_eq!(wa.body["recipient_type"], "individual");
    assert_eq!(wa.body["to"], "16505551234");
    assert_eq!(wa.body["type"], "text");
    assert!(!wa.text().is_empty());
    // Each guest has a thread of their own, checkpointed.
    for thread in ["instagram:1122334455667788", "whatsapp:16505551234"] {
        let (status, state) = running
            .get_json(&format!("/api/threads/{thread}/state"))
            .await;
        assert_eq!(status, 200, "{thread}");
        assert!(!state["values"]["reply"].as_str().unwrap().is_empty());
    }
    let (_, metrics) = (0, running.metrics().await);
    assert!(
        metrics.contains(
            r#"hotel_agent_webhook_events_total{channel="instagram",outcome="accepted"} 1"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"hotel_agent_send_attempts_total{channel="whatsapp",outcome="sent"} 1"#),
        "{metrics}"
    );
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_oversize_and_malformed_bodies_are_refused_and_nothing_is_processed() {
    let (running, fake) = start("refusals", &["--max-body-bytes", "4096"]).await;
    // Missing, wrong secret, tampered body.
    let missing = deliver(&running, "instagram", IG_BODY, None).await;
    assert_eq!(missing.status(), 401);
    let wrong = deliver(&running, "whatsapp", WA_BODY, Some("not_the_secret")).await;
    assert_eq!(wrong.status(), 401);
    let tampered = running
        .http
        .post(running.url("/webhooks/instagram"))
        .header("x-hub-signature-256", sign(SECRET, IG_BODY.as_bytes()))
        .body(IG_BODY.replace("doble", "triple"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);
    // Over the body limit, signed or not.
    let huge = ig_message("g", "m-huge", &"a".repeat(5000), 1);
    assert_eq!(
        deliver(&running, "instagram", &huge, Some(SECRET))
            .await
            .status(),
        413
    );
    // Signed but not JSON.
    let malformed = deliver(
        &running,
        "instagram",
        "{\"object\":\"instagram\",",
        Some(SECRET),
    )
    .await;
    assert_eq!(malformed.status(), 400);
    assert!(malformed.text().await.unwrap().contains("not JSON"));
    // Signed, JSON, but an event kind we do not handle: acknowledged and ignored.
    let unknown = r#"{"object":"page","entry":[{"id":"1","time":1,"changes":[]}]}"#;
    assert_eq!(
        deliver(&running, "instagram", unknown, Some(SECRET))
            .await
            .status(),
        200
    );
    // Nothing reached the agent or the Send API.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.received().is_empty());
    let (status, _) = running
        .get_json("/api/threads/instagram:1122334455667788/state")
        .await;
    assert_eq!(status, 404);
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfigured_channel_answers_404_even_to_signed_payloads() {
    let dir = common::fresh_dir("unconfigured");
    let running = common::start(common::config(&dir, &[])).await;
    for channel in ["instagram", "whatsapp"] {
        let response = deliver(&running, channel, WA_BODY, Some(SECRET)).await;
        assert_eq!(response.status(), 404, "{channel}");
        let verify = running
            .http
            .get(running.url(&format!(
                "/webhooks/{channel}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=x"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(verify.status(), 404);
    }
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verification_handshake_echoes_the_challenge_only_for_the_right_token() {
    let (running, _fake) = start("handshake", &[]).await;
    let get = |path: String| {
        let http = running.http.clone();
        let url = running.url(&path);
        async move { http.get(url).send().await.unwrap() }
    };
    let ok = get("/webhooks/instagram?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=ig-verify".into()).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "text/plain");
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let ok = get(
        "/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=abc123&hub.verify_token=wa-verify"
            .into(),
    )
    .await;
    assert_eq!(ok.text().await.unwrap(), "abc123");
    for bad in [
        "/webhooks/instagram?hub.mode=subscribe&hub.challenge=1&hub.verify_token=wa-verify",
        "/webhooks/instagram?hub.mode=subscribe&hub.challenge=1",
        "/webhooks/whatsapp?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=wa-verify",
    ] {
        assert_eq!(get(bad.into()).await.status(), 403, "{bad}");
    }
    let script = get("/webhooks/instagram?hub.mode=subscribe&hub.challenge=%3Cscript%3E&hub.verify_token=ig-verify".into()).await;
    assert_eq!(script.status(), 400);
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_message_is_answered_once() {
    let (running, fake) = start("duplicates", &[]).await;
    for _ in 0..3 {
        assert_eq!(
            deliver(&running, "whatsapp", WA_BODY, Some(SECRET))
                .await
                .status(),
            200
        );
    }
    delivered_count(&fake, 1).await;
    // Once more after it was answered.
    assert_eq!(
        deliver(&running, "whatsapp", WA_BODY, Some(SECRET))
            .await
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.received().len(), 1);
    let metrics = running.metrics().await;
    assert!(
        metrics.contains(
            r#"hotel_agent_webhook_events_total{channel="whatsapp",outcome="duplicate"} 3"#
        ),
        "{metrics}"
    );
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_api_failing_with_500_then_recovering_still_delivers_and_permanent_errors_drop() {
    let (running, fake) = start("retries", &[]).await;
    fake.fail_next([Failure::server_error(), Failure::server_error()]);
    let body = ig_message("guest-retry", "m-retry-1", "hello", 1_795_302_000_000);
    assert_eq!(
        deliver(&running, "instagram", &body, Some(SECRET))
            .await
            .status(),
        200
    );
    let delivered = delivered_count(&fake, 1).await;
    assert_eq!(delivered[0].recipient(), "guest-retry");
    let attempts = fake.received();
    assert_eq!(attempts.len(), 3, "two 500s, then success");
    assert!(attempts.iter().all(|a| a.text() == delivered[0].text()));

    // Outside the 24-hour window: dropped after one attempt, with the reason kept.
    fake.fail_next([Failure::outside_window()]);
    let body = ig_message("guest-late", "m-late-1", "hello", 1_795_302_000_000);
    assert_eq!(
        deliver(&running, "instagram", &body, Some(SECRET))
            .await
            .status(),
        200
    );
    eventually(20, "the drop", || async {
        let metrics = running
            .http
            .get(running.url("/metrics"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        metrics
            .contains(r#"hotel_agent_send_attempts_total{channel="instagram",outcome="dropped"} 1"#)
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let late: Vec<_> = fake
        .received()
        .into_iter()
        .filter(|r| r.recipient() == "guest-late")
        .collect();
    assert_eq!(late.len(), 1, "a permanent error is not retried");
    // Nothing is left stuck in the outbox.
    let (status, ready) = running.get_json("/health/ready").await;
    assert_eq!(status, 200);
    assert_eq!(ready["outbox"]["pending"], 0);
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_entries_for_several_guests_each_get_their_answer_in_order() {
    let (running, fake) = start("batch", &[]).await;
    let body = serde_json::json!({"object": "instagram", "entry": [
        {"id": IG_ACCOUNT, "time": 3, "messaging": [
            // Out of order within the batch: the later message first.
            {"sender": {"id": "ana"}, "recipient": {"id": IG_ACCOUNT}, "timestamp": 2000,
             "message": {"mid": "a2", "text": "at Grand Plaza Hotel, deluxe, for 2 adults"}},
            {"sender": {"id": "ana"}, "recipient": {"id": IG_ACCOUNT}, "timestamp": 1000,
             "message": {"mid": "a1", "text": "I want to book a room from December 3 to December 6"}}]},
        {"id": IG_ACCOUNT, "time": 4, "messaging": [
            {"sender": {"id": "ben"}, "recipient": {"id": IG_ACCOUNT}, "timestamp": 1500,
             "message": {"mid": "b1", "text": "hello"}}]}]})
    .to_string();
    assert_eq!(
        deliver(&running, "instagram", &body, Some(SECRET))
            .await
            .status(),
        200
    );
    let delivered = delivered_count(&fake, 3).await;
    let to_ana: Vec<String> = delivered
        .iter()
        .filter(|r| r.recipient() == "ana")
        .map(|r| r.text())
        .collect();
    assert_eq!(to_ana.len(), 2);
    assert!(to_ana[1].contains("Shall I book it"), "{to_ana:?}");
    // Answered in the order sent, not the order delivered.
    let (_, state) = running.get_json("/api/threads/instagram:ana/state").await;
    let said: Vec<&str> = state["values"]["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["from"] == "guest")
        .map(|line| line["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        said,
        [
            "I want to book a room from December 3 to December 6",
            "at Grand Plaza Hotel, deluxe, for 2 adults"
        ]
    );
    assert!(delivered.iter().any(|r| r.recipient() == "ben"));
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_over_the_rate_limit_gets_one_polite_notice() {
    let (running, fake) = start("rate-limit", &["--rate-limit-per-guest", "2"]).await;
    for i in 0..5 {
        let body = ig_message("chatty", &format!("c{i}"), "hello", 1_795_302_000_000 + i);
        // Meta always gets a 200: a 429 would only make it redeliver.
        assert_eq!(
            deliver(&running, "instagram", &body, Some(SECRET))
                .await
                .status(),
            200
        );
    }
    let delivered = delivered_count(&fake, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let texts: Vec<String> = fake.delivered().iter().map(|r| r.text()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert_eq!(
        texts
            .iter()
            .filter(|t| t.contains("slow") || t.contains("faster"))
            .count(),
        1,
        "{texts:?}"
    );
    assert!(delivered.iter().all(|r| r.recipient() == "chatty"));
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_get_a_text_only_reply_and_failed_statuses_are_recorded() {
    let (running, fake) = start("non-text", &[]).await;
    let body = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": WA_PHONE},
          "messages": [{"from": "1555", "id": "wamid.photo", "timestamp": "1795302000", "type": "image", "image": {"id": "m"}}]}},
        {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": WA_PHONE},
          "statuses": [{"id": "wamid.out", "status": "failed", "timestamp": "1795302001", "recipient_id": "1555",
            "errors": [{"code": 131047, "title": "Re-engagement message"}]}]}}]}]})
    .to_string();
    assert_eq!(
        deliver(&running, "whatsapp", &body, Some(SECRET))
            .await
            .status(),
        200
    );
    let reply = delivered_count(&fake, 1).await.remove(0);
    assert!(reply.text().contains("only read text"), "{}", reply.text());
    let metrics = running.metrics().await;
    assert!(
        metrics.contains(r#"outcome="delivery_failed"} 1"#),
        "{metrics}"
    );
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_rate_limit_spans_guests() {
    let (running, fake) = start("global-limit", &["--rate-limit-global", "1"]).await;
    let events: Vec<serde_json::Value> = ["g1", "g2", "g3"]
        .iter()
        .enumerate()
        .map(|(i, guest)| {
            serde_json::json!({"sender": {"id": guest}, "recipient": {"id": IG_ACCOUNT},
                "timestamp": 1000 + i, "message": {"mid": format!("global-{i}"), "text": "hello"}})
        })
        .collect();
    let body = serde_json::json!({"object": "instagram", "entry": [
        {"id": IG_ACCOUNT, "time": 1, "messaging": events}]})
    .to_string();
    assert_eq!(
        deliver(&running, "instagram", &body, Some(SECRET))
            .await
            .status(),
        200
    );
    let delivered = delivered_count(&fake, 3).await;
    let notices = delivered
        .iter()
        .filter(|r| r.text().contains("faster"))
        .count();
    assert_eq!(notices, 2, "one guest answered, two asked to slow down");
    running.server.shutdown().await;
}

/// Meta delivering one message again and again (as it does after a 500, or just because)
/// costs the guest no budget: the guest's next message is still answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redeliveries_cost_a_guest_nothing_from_the_rate_limit() {
    let (running, fake) = start("rate-limit-redelivery", &["--rate-limit-per-guest", "2"]).await;
    let first = ig_message("patient", "p0", "hello", 1_795_302_000_000);
    for _ in 0..5 {
        let delivered = deliver(&running, "instagram", &first, Some(SECRET)).await;
        assert_eq!(delivered.status(), 200);
    }
    delivered_count(&fake, 1).await;
    let second = ig_message("patient", "p1", "do you have rooms", 1_795_302_000_001);
    let delivered = deliver(&running, "instagram", &second, Some(SECRET)).await;
    assert_eq!(delivered.status(), 200);
    delivered_count(&fake, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let texts: Vec<String> = fake.delivered().iter().map(|r| r.text()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        !texts
            .iter()
            .any(|t| t.contains("slow") || t.contains("faster")),
        "{texts:?}"
    );
    running.server.shutdown().await;
}
