//! What both loopback fakes share: serving a router on 127.0.0.1, recording what was sent,
//! scripted replies keyed on the last thing the client said, and bodies that stream, stall or
//! break off.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use agent_nodes::resilience::{BreakerPolicy, ResiliencePolicy, RetryPolicy};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use futures_util::StreamExt;
use futures_util::stream;
use serde_json::Value;

/// Serves `router` on a free loopback port for the rest of the test; returns `http://ip:port`.
pub(crate) async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

/// Short delays so retry tests take milliseconds; a breaker that does not get in the way.
pub(crate) fn fast_policy() -> ResiliencePolicy {
    ResiliencePolicy {
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            attempts: 3,
            initial: Duration::from_millis(5),
            max: Duration::from_millis(20),
            budget: Duration::from_secs(10),
            jitter: true,
        },
        breaker: BreakerPolicy {
            failures: 0,
            cool_down: Duration::from_secs(1),
        },
    }
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    /// Path and query.
    pub(crate) uri: String,
    pub(crate) headers: HeaderMap,
    /// The body as JSON (`Null` if it was not JSON).
    pub(crate) body: Value,
}

/// Requests received and replies to give, by key. A key's replies are used in order and the
/// last one repeats; an unscripted key gets `fallback(key)`.
pub(crate) struct Script<R> {
    replies: Mutex<HashMap<String, VecDeque<R>>>,
    received: Mutex<Vec<Recorded>>,
}

impl<R: Clone> Script<R> {
    pub(crate) fn new() -> Self {
        Self {
            replies: Mutex::new(HashMap::new()),
            received: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn on(&self, key: &str, replies: Vec<R>) {
        assert!(!replies.is_empty(), "script at least one reply");
        self.replies
            .lock()
            .expect("script lock")
            .insert(key.to_owned(), replies.into());
    }

    pub(crate) fn next(&self, key: &str) -> Option<R> {
        let mut replies = self.replies.lock().expect("script lock");
        let queue = replies.get_mut(key)?;
        if queue.len() > 1 {
            queue.pop_front()
        } else {
            queue.front().cloned()
        }
    }

    pub(crate) fn record(&self, uri: &Uri, headers: &HeaderMap, body: &[u8]) {
        self.received.lock().expect("record lock").push(Recorded {
            uri: uri.to_string(),
            headers: headers.clone(),
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
        });
    }

    /// Every request so far, oldest first (rejected ones included).
    pub(crate) fn received(&self) -> Vec<Recorded> {
        self.received.lock().expect("record lock").clone()
    }
}

/// A random token such as providers hand out as signatures and ids.
pub(crate) fn token(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(len)
        .collect()
}

/// A `200` whose body is `chunks`, each sent as a separate write, ending as `end` says.
pub(crate) fn streamed(content_type: &str, chunks: Vec<String>, end: End) -> Response {
    let chunks = stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))));
    let body = match end {
        End::Close => Body::from_stream(chunks),
        End::Abort => Body::from_stream(chunks.chain(stream::once(async {
            Err(std::io::Error::other("connection cut"))
        }))),
        End::Hang => Body::from_stream(chunks.chain(stream::pending())),
    };
    Response::builder()
        .header("content-type", content_type)
        .body(body)
        .expect("a response")
}

/// How a [`streamed`] body ends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum End {
    Close,
    /// The connection breaks: the client sees a body cut short.
    Abort,
    /// Nothing more is ever sent.
    Hang,
}

/// Waits forever: a server that accepted the request and never answers.
pub(crate) async fn never() -> Response {
    std::future::pending::<()>().await;
    unreachable!("pending never completes")
}
