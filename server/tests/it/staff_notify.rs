//! Staff notifications: the signed webhook against a loopback HTTP receiver that records each
//! POST and can be told to fail; the email against a fake SMTP server (`email`); the notice and
//! the settings (`settings`).

mod email;
mod settings;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde_json::json;
use server::testing::{Delivery, HandoffReason, Notice, StaffNotify, Target, verify};
use sha2::Sha256;

pub(crate) const SECRET: &str = "whsec-0123456789abcdef";
/// Like a Slack webhook's path, which is its credential.
const HOOK_PATH: &str = "/services/T0001/B0002/xoxPathToken42";
const CONSOLE: &str = "https://console.hotel.test/threads";

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 14, 3, 0).unwrap()
}

fn notice(message: &str) -> Notice {
    Notice::new(
        "Hotel Mirador",
        "whatsapp",
        "+34600111222",
        HandoffReason::AskedForPerson,
        message,
        at(),
    )
}

fn settings(pairs: &[(&str, &str)]) -> Result<StaffNotify, server::Error> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    StaffNotify::from_lookup(move |name| map.get(name).cloned())
}

/// One request the receiver got.
#[derive(Clone)]
pub(crate) struct Hit {
    method: Method,
    path: String,
    headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Hit {
    pub(crate) fn header(&self, name: &str) -> String {
        self.headers[name].to_str().unwrap().to_owned()
    }
}

/// What the receiver answers next.
pub(crate) enum Answer {
    Status(u16, Vec<(&'static str, &'static str)>, &'static str),
    /// Never answers.
    Hang,
}

/// A loopback HTTP receiver: records every request, answers the script in order, then 200.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    /// The webhook URL to configure.
    pub(crate) url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
}

impl Receiver {
    /// The receiver and settings that POST to it with [`SECRET`], linking to [`CONSOLE`].
    pub(crate) async fn start() -> (Receiver, StaffNotify) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            url: format!("http://{}{HOOK_PATH}", listener.local_addr().unwrap()),
            ..Receiver::default()
        };
        let app = Router::new().fallback(receive).with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let staff = settings(&[
            ("STAFF_WEBHOOK_URL", &receiver.url),
            ("STAFF_WEBHOOK_SECRET", SECRET),
            ("CONSOLE_BASE_URL", CONSOLE),
        ])
        .unwrap();
        (receiver, staff)
    }

    pub(crate) fn answer(&self, answers: impl IntoIterator<Item = Answer>) {
        self.script.lock().unwrap().extend(answers);
    }

    pub(crate) fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receiver.hits.lock().unwrap().push(Hit {
        method,
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let next = receiver.script.lock().unwrap().pop_front();
    match next {
        None => (StatusCode::OK, "ok").into_response(),
        Some(Answer::Hang) => std::future::pending().await,
        Some(Answer::Status(status, headers, body)) => {
            let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
            for (name, value) in headers {
                response.headers_mut().insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
            response
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn staff_webhook_posts_signed_slack_json_with_guest_text_escaped() {
    let (receiver, staff) = Receiver::start().await;
    let outcome = staff
        .notify(&notice("I want a <b>person</b> & now\n<!channel> *please*"))
        .await;
    assert_eq!(outcome, vec![(Target::Webhook, Ok(()))]);

    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.method, Method::POST);
    assert_eq!(hit.path, HOOK_PATH);
    assert_eq!(hit.header("content-type"), "application/json");
    let timestamp = hit.header("x-hotel-timestamp");
    let sent: u64 = timestamp.parse().unwrap();
    assert!(unix_now().abs_diff(sent) <= 60, "timestamp {sent}");
    let signature = hit.header("x-hotel-signature");

    // The documented scheme, recomputed independently of the server's code.
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("v1:{timestamp}:").as_bytes());
    mac.update(&hit.body);
    let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(signature, expected);

    assert!(verify(SECRET, &timestamp, &hit.body, &signature));
    assert!(!verify(
        "whsec-another-secret-0000",
        &timestamp,
        &hit.body,
        &signature
    ));
    assert!(!verify(
        SECRET,
        &(sent + 1).to_string(),
        &hit.body,
        &signature
    ));
    let mut tampered = hit.body.to_vec();
    tampered[12] ^= 1;
    assert!(!verify(SECRET, &timestamp, &tampered, &signature));
    assert!(!verify(
        SECRET,
        &timestamp,
        &hit.body,
        &signature.replace("v1=", "v0=")
    ));
    assert!(!verify(SECRET, &timestamp, &hit.body, "v1=abc"));

    let body: serde_json::Value = serde_json::from_slice(&hit.body).unwrap();
    let section = |text: &str| json!({"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": true}});
    assert_eq!(
        body,
        json!({
            "text": "Guest needs a person: +34600111222 on WhatsApp at Hotel Mirador: The guest asked to talk to a person.",
            "blocks": [
                section("*A guest needs a person* at Hotel Mirador\n*Guest:* +34600111222 on WhatsApp\n*Why:* The guest asked to talk to a person.\n*When:* 2026-11-22 14:03 UTC"),
                section("*Their last message:*\n>I want a &lt;b&gt;person&lt;/b&gt; &amp; now\n>&lt;!channel&gt; *please*"),
                section("<https://console.hotel.test/threads/whatsapp:+34600111222|Open the conversation>"),
            ],
        })
    );
    assert!(!String::from_utf8_lossy(&hit.body).contains(SECRET));
}

#[tokio::test]
async fn staff_webhook_500_is_retryable_then_delivered() {
    let (receiver, staff) = Receiver::start().await;
    receiver.answer([Answer::Status(500, vec![], "upstream down")]);
    let first = staff.send(Target::Webhook, &notice("hello")).await;
    let error = first.unwrap_err();
    assert_eq!(
        error,
        Delivery::Unavailable {
            status: 500,
            retry_after: None,
            detail: "upstream down".into()
        }
    );
    assert!(error.is_retryable());
    assert_eq!(staff.send(Target::Webhook, &notice("hello")).await, Ok(()));
    let hits = receiver.hits();
    assert_eq!(hits.len(), 2);
    for hit in &hits {
        let (timestamp, signature) = (
            hit.header("x-hotel-timestamp"),
            hit.header("x-hotel-signature"),
        );
        assert!(verify(SECRET, &timestamp, &hit.body, &signature));
    }
    assert_eq!(hits[0].body, hits[1].body, "a retry posts the same notice");
}

#[tokio::test]
async fn staff_webhook_4xx_and_redirects_are_permanent() {
    let (receiver, staff) = Receiver::start().await;
    receiver.answer([
        Answer::Status(400, vec![], "invalid_payload"),
        Answer::Status(302, vec![("location", "/elsewhere")], ""),
    ]);
    let error = staff
        .send(Target::Webhook, &notice("hi"))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Delivery::Rejected {
            status: 400,
            detail: "invalid_payload".into()
        }
    );
    assert!(!error.is_retryable());
    let error = staff
        .send(Target::Webhook, &notice("hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Delivery::Rejected { status: 302, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    // The redirect was not followed.
    let paths: Vec<String> = receiver.hits().into_iter().map(|h| h.path).collect();
    assert_eq!(paths, [HOOK_PATH, HOOK_PATH]);
}

#[tokio::test]
async fn staff_webhook_429_and_503_honour_retry_after() {
    let (receiver, staff) = Receiver::start().await;
    receiver.answer([
        Answer::Status(429, vec![("retry-after", "7")], "slow down"),
        Answer::Status(429, vec![], "slow down"),
        Answer::Status(429, vec![("retry-after", "86400")], ""),
        Answer::Status(
            503,
            vec![
                ("retry-after", "Sun, 22 Nov 2026 14:05:00 GMT"),
                ("date", "Sun, 22 Nov 2026 14:03:00 GMT"),
            ],
            "maintenance",
        ),
    ]);
    let hi = notice("hi");
    let send = || staff.send(Target::Webhook, &hi);
    let error = send().await.unwrap_err();
    assert_eq!(
        error,
        Delivery::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert!(error.is_retryable());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    let error = send().await.unwrap_err();
    assert_eq!(error, Delivery::RateLimited { retry_after: None });
    assert!(error.is_retryable());
    // A day is capped at an hour: staff must hear about the guest today.
    let error = send().await.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    // An HTTP date counts from the answer's own Date.
    let error = send().await.unwrap_err();
    assert_eq!(
        error,
        Delivery::Unavailable {
            status: 503,
            retry_after: Some(Duration::from_secs(120)),
            detail: "maintenance".into()
        }
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn staff_webhook_that_never_answers_times_out_retryably() {
    let (receiver, staff) = Receiver::start().await;
    let staff = staff.with_timeout(Duration::from_millis(300)).unwrap();
    receiver.answer([Answer::Hang]);
    let started = Instant::now();
    let error = staff
        .send(Target::Webhook, &notice("hi"))
        .await
        .unwrap_err();
    assert_eq!(error, Delivery::Timeout(Duration::from_millis(300)));
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(receiver.hits().len(), 1);
}

#[tokio::test]
async fn staff_webhook_connection_refused_is_retryable_and_hides_the_path() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}{HOOK_PATH}", listener.local_addr().unwrap());
    drop(listener);
    let staff = settings(&[
        ("STAFF_WEBHOOK_URL", &url),
        ("STAFF_WEBHOOK_SECRET", SECRET),
    ])
    .unwrap();
    let outcome = staff.notify(&notice("hi")).await;
    let [(Target::Webhook, Err(error))] = outcome.as_slice() else {
        panic!("{outcome:?}");
    };
    assert!(matches!(error, Delivery::Connection(_)), "{error:?}");
    assert!(error.is_retryable());
    assert!(!error.to_string().contains("xoxPathToken42"), "{error}");
}
