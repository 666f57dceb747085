//! A loopback fake of Meta's Graph API Send endpoints (Instagram and WhatsApp), speaking the
//! documented protocol: Bearer auth required, `{"recipient_id","message_id"}` or the WhatsApp
//! `contacts`/`messages` answer, error envelopes with `code`/`error_subcode`, Instagram's
//! 1000-byte and WhatsApp's 4096-character text limits, WhatsApp's template messages (a name,
//! a language code and components). It records every request and can be told to fail.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// One request the fake received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) version: String,
    pub(crate) sender_id: String,
    pub(crate) authorization: Option<String>,
    pub(crate) body: Value,
    /// What the fake answered.
    pub(crate) status: u16,
    /// When it was answered.
    pub(crate) at: std::time::Instant,
}

impl Received {
    /// The text sent: Instagram's `message.text` or WhatsApp's `text.body`.
    pub(crate) fn text(&self) -> String {
        self.body["message"]["text"]
            .as_str()
            .or_else(|| self.body["text"]["body"].as_str())
            .unwrap_or_default()
            .to_owned()
    }

    /// Who it was for: Instagram's `recipient.id` or WhatsApp's `to`.
    pub(crate) fn recipient(&self) -> String {
        self.body["recipient"]["id"]
            .as_str()
            .or_else(|| self.body["to"].as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

/// A scripted failure: the HTTP status and body to answer instead of success.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

impl Failure {
    /// A 500 with Meta's "temporary" error (code 2).
    pub(crate) fn server_error() -> Failure {
        Failure {
            status: 500,
            body: json!({"error": {"message": "An unexpected error has occurred. Please retry your request later.", "type": "OAuthException", "code": 2, "fbtrace_id": "AbCdEf"}}),
        }
    }

    /// Instagram's "outside of allowed window" (10 / 2534022): never worth retrying.
    pub(crate) fn outside_window() -> Failure {
        Failure {
            status: 400,
            body: json!({"error": {"message": "This message is sent outside of allowed window.", "type": "OAuthException", "code": 10, "error_subcode": 2534022, "fbtrace_id": "AbCdEf"}}),
        }
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// Answered in order before any success.
    failures: VecDeque<Failure>,
    /// When set, every request fails like this.
    always: Option<Failure>,
    /// While set, requests are held unanswered (and unrecorded) until it is cleared; one
    /// whose client goes away meanwhile is never answered.
    hold: bool,
    /// Requests held right now.
    held: usize,
    next_id: u64,
}

/// The fake; clones share it.
#[derive(Clone, Default)]
pub(crate) struct FakeMeta {
    inner: Arc<Mutex<Inner>>,
    released: Arc<tokio::sync::Notify>,
    pub(crate) base: String,
}

pub(crate) const TOKEN: &str = "EAAtesttoken";

impl FakeMeta {
    /// Starts the fake on an ephemeral loopback port.
    pub(crate) async fn start() -> FakeMeta {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeMeta {
            base: format!("http://{}", listener.local_addr().unwrap()),
            ..FakeMeta::default()
        };
        let app = Router::new()
            .route("/{version}/{sender}/messages", post(messages))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    /// Everything received so far.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// The requests that were answered with success.
    pub(crate) fn delivered(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.status == 200)
            .collect()
    }

    /// Fails the next requests with `failures`, in order.
    pub(crate) fn fail_next(&self, failures: impl IntoIterator<Item = Failure>) {
        self.inner.lock().unwrap().failures.extend(failures);
    }

    /// Holds every request unanswered while `hold` (see `Inner::hold`).
    pub(crate) fn hold(&self, hold: bool) {
        self.inner.lock().unwrap().hold = hold;
        if !hold {
            self.released.notify_waiters();
        }
    }

    /// How many requests are being held.
    pub(crate) fn held(&self) -> usize {
        self.inner.lock().unwrap().held
    }

    /// Fails every request with `failure` until set to `None`.
    pub(crate) fn fail_always(&self, failure: Option<Failure>) {
        self.inner.lock().unwrap().always = failure;
    }
}

fn graph_error(status: StatusCode, code: i64, message: &str) -> (StatusCode, Value) {
    (
        status,
        json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}}),
    )
}

async fn messages(
    State(fake): State<FakeMeta>,
    Path((version, sender_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    hold(&fake).await;
    let mut inner = fake.inner.lock().unwrap();
    let scripted = inner.failures.pop_front().or_else(|| inner.always.clone());
    let whatsapp = parsed.get("messaging_product").is_some();
    let (status, answer) = if authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.")
    } else if let Some(failure) = scripted {
        (StatusCode::from_u16(failure.status).unwrap(), failure.body)
    } else if whatsapp {
        let text = parsed["text"]["body"].as_str().unwrap_or_default();
        let template = &parsed["template"];
        let kind = parsed["type"].as_str().unwrap_or_default();
        if parsed["messaging_product"] != "whatsapp" || !["text", "template"].contains(&kind) {
            graph_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter")
        } else if kind == "template"
            && (template["name"].as_str().is_none_or(str::is_empty)
                || template["language"]["code"]
                    .as_str()
                    .is_none_or(str::is_empty)
                || !template["components"].is_array())
        {
            graph_error(
                StatusCode::BAD_REQUEST,
                132000,
                "Number of parameters does not match the expected number of params",
            )
        } else if kind == "text" && (text.is_empty() || text.chars().count() > 4096) {
            graph_error(
                StatusCode::BAD_REQUEST,
                100,
                "Param text['body'] is invalid",
            )
        } else {
            inner.next_id += 1;
            let to = parsed["to"].clone();
            (
                StatusCode::OK,
                json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": format!("wamid.fake{}", inner.next_id)}]}),
            )
        }
    } else {
        let text = parsed["message"]["text"].as_str().unwrap_or_default();
        let recipient = parsed["recipient"]["id"].as_str().unwrap_or_default();
        if recipient.is_empty() || text.is_empty() || text.len() > 1000 {
            graph_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter")
        } else {
            inner.next_id += 1;
            (
                StatusCode::OK,
                json!({"recipient_id": recipient, "message_id": format!("m_fake{}", inner.next_id)}),
            )
        }
    };
    inner.received.push(Received {
        version,
        sender_id,
        authorization,
        body: parsed,
        status: status.as_u16(),
        at: std::time::Instant::now(),
    });
    (status, axum::Json(answer)).into_response()
}

/// Waits while the fake holds requests; if the client goes away meanwhile, the server drops
/// this future and the request is never answered nor recorded.
async fn hold(fake: &FakeMeta) {
    struct Held<'a>(&'a FakeMeta);
    impl Drop for Held<'_> {
        fn drop(&mut self) {
            self.0.inner.lock().unwrap().held -= 1;
        }
    }
    loop {
        let released = fake.released.notified();
        {
            let mut inner = fake.inner.lock().unwrap();
            if !inner.hold {
                return;
            }
            inner.held += 1;
        }
        let _held = Held(fake);
        released.await;
    }
}
