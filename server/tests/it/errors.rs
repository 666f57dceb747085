//! The server's one error type through real endpoints: every kind's status, headers and
//! `{"error": "..."}` body, and a failure inside the server that answers a generic 500 with the
//! request id and nothing of storage.

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::common::{self, Running};
use crate::fake_meta::FakeMeta;
use crate::meta::SECRET;
use crate::turns::assert_no_internals;
use crate::webhooks::{channel_flags, deliver, ig_message};

const TOKEN: &str = "s3cret";

/// A server with both channels, an admin token, one message per guest per minute and a
/// 4 KiB body limit, and the directory of its database.
async fn start(name: &str) -> (Running, FakeMeta, std::path::PathBuf) {
    let fake = FakeMeta::start().await;
    let dir = common::fresh_dir(name);
    let mut flags = channel_flags(&fake);
    flags.extend(
        [
            "--admin-token",
            TOKEN,
            "--rate-limit-per-guest",
            "1",
            "--max-body-bytes",
            "4096",
        ]
        .map(str::to_owned),
    );
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let running = common::start(common::config(&dir, &flags)).await;
    (running, fake, dir)
}

async fn answer(response: reqwest::Response) -> (u16, HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    (status, headers, body)
}

async fn get(running: &Running, path: &str, token: Option<&str>) -> (u16, HeaderMap, Value) {
    let mut request = running.http.get(running.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    answer(request.send().await.unwrap()).await
}

async fn chat(running: &Running, body: String) -> (u16, HeaderMap, Value) {
    let response = running
        .http
        .post(running.url("/api/chat"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// `body` is exactly `{"error": "..."}` with a message containing `says`.
#[track_caller]
fn assert_error(body: &Value, says: &str) {
    let fields: Vec<&String> = body.as_object().expect("an object").keys().collect();
    assert_eq!(fields, ["error"], "{body}");
    let message = body["error"].as_str().expect("a string");
    assert!(message.contains(says), "{says:?} not in {message:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_answers_its_status_and_the_error_shape() {
    let (running, _fake, _dir) = start("api-errors").await;

    // Malformed: 400.
    let (status, _, body) = chat(&running, "not json".to_owned()).await;
    assert_eq!(status, 400);
    assert_error(&body, "not JSON");
    let verify = "/webhooks/instagram?hub.mode=subscribe&hub.verify_token=ig-verify";
    let (status, _, body) = get(&running, &format!("{verify}&hub.challenge=a%20b"), None).await;
    assert_eq!(status, 400);
    assert_error(&body, "hub.challenge");

    // Invalid, naming the field: 422.
    let (status, _, body) = chat(&running, json!({"user_id": "", "text": "hi"}).to_string()).await;
    assert_eq!(status, 422);
    assert_error(&body, "user_id");
    let (status, _, body) = get(&running, "/api/bookings/nonsense", Some(TOKEN)).await;
    assert_eq!(status, 422);
    assert_error(&body, "reference");

    // Not found: 404, for a booking, a thread, a channel and an endpoint.
    for (path, says) in [
        ("/api/bookings/GPH-222222", "no booking"),
        ("/api/threads/web:nobody/state", "no conversation"),
        ("/webhooks/fax", "no channel"),
        ("/api/nothing", "no such endpoint"),
    ] {
        let (status, _, body) = get(&running, path, Some(TOKEN)).await;
        assert_eq!(status, 404, "{path}");
        assert_error(&body, says);
    }

    // Unauthorized: 401 with a Bearer challenge, on the local API and the Agent Protocol;
    // the token is accepted as a bearer or as `x-api-key`.
    for path in ["/api/threads/web:nobody/state", "/info"] {
        for token in [None, Some("wrong")] {
            let (status, headers, body) = get(&running, path, token).await;
            assert_eq!(status, 401, "{path} with {token:?}");
            assert_eq!(headers["www-authenticate"], "Bearer");
            assert_error(&body, "Authorization: Bearer");
        }
        let by_key = running
            .http
            .get(running.url(path))
            .header("x-api-key", TOKEN)
            .send()
            .await
            .unwrap();
        assert_ne!(by_key.status(), 401, "{path} with x-api-key");
    }

    // A webhook's bad signature: 401 without a challenge.
    let unsigned = deliver(&running, "instagram", "{}", None).await;
    let (status, headers, body) = answer(unsigned).await;
    assert_eq!(status, 401);
    assert!(!headers.contains_key("www-authenticate"));
    assert_error(&body, "X-Hub-Signature-256");

    // A handshake with the wrong verify token: 403.
    let wrong = "/webhooks/instagram?hub.mode=subscribe&hub.verify_token=no&hub.challenge=1";
    let (status, _, body) = get(&running, wrong, None).await;
    assert_eq!(status, 403);
    assert_error(&body, "verification token");

    // Over the body limit: 413, as JSON, on the API and on a webhook.
    let huge = json!({"user_id": "ana", "text": "a".repeat(5000)}).to_string();
    let (status, _, body) = chat(&running, huge).await;
    assert_eq!(status, 413);
    assert_error(&body, "larger");
    let huge = ig_message("g", "m-huge", &"a".repeat(5000), 1);
    let (status, _, body) = answer(deliver(&running, "instagram", &huge, Some(SECRET)).await).await;
    assert_eq!(status, 413);
    assert_error(&body, "larger");

    // Over the rate limit: 429 with the seconds to wait.
    let hello = json!({"user_id": "rita", "text": "hello"}).to_string();
    assert_eq!(chat(&running, hello.clone()).await.0, 200);
    let (status, headers, body) = chat(&running, hello).await;
    assert_eq!(status, 429);
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    assert_error(&body, "faster than I can answer");
    running.server.shutdown().await;
}

/// A delivery that cannot be stored answers 500 (so Meta retries) with the caller's request
/// id and nothing of the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_that_cannot_be_stored_answers_500_with_the_request_id_only() {
    let (running, _fake, dir) = start("webhook-500").await;
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    db.execute_batch("ALTER TABLE sv_inbox RENAME TO sv_gone")
        .unwrap();
    let body = ig_message("g", "m-1", "hola", 1);
    let response = running
        .http
        .post(running.url("/webhooks/instagram"))
        .header("x-request-id", "req-webhook-1")
        .header(
            "x-hub-signature-256",
            server::meta::signature::sign(SECRET, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, headers, body) = answer(response).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(headers["x-request-id"], "req-webhook-1");
    assert_no_internals(&body, "req-webhook-1", &dir);
    running.server.shutdown().await;
}

/// `/api/hotels` answers each hotel's amenities exactly as the catalog writes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotels_carry_the_catalogs_amenities() {
    let (running, _fake, _dir) = start("hotel-amenities").await;
    let (status, _, hotels) = get(&running, "/api/hotels", None).await;
    assert_eq!(status, 200);
    let catalog = hotel::Catalog::load().unwrap();
    let hotels = hotels.as_array().unwrap();
    assert_eq!(hotels.len(), catalog.hotels().len());
    for (served, listed) in hotels.iter().zip(catalog.hotels()) {
        assert_eq!(served["code"], listed.code.as_str());
        assert_eq!(
            served["amenities"],
            serde_json::to_value(&listed.amenities).unwrap(),
            "{}",
            listed.code
        );
    }
    running.server.shutdown().await;
}
