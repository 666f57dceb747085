//! A loopback Gemini (`generativelanguage` v1beta) speaking the protocol as documented in
//! wire-protocols §4: `:generateContent` and `:streamGenerateContent?alt=sse`, the
//! `x-goog-api-key` check (400 `API_KEY_INVALID`), 404 for an unknown model, 400 for JSON mode
//! with tools, 400 when a replayed function call lacks its `thoughtSignature` (or carries one
//! it never issued) or when a turn of results does not answer every call. Like the real API,
//! it accepts Google's documented bypass signature ([`SKIP_VALIDATOR`]) on any call. Replies
//! are scripted by the last user text or the last `functionResponse` name.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::fake::{End, Recorded, Script, never, serve, streamed, token};

pub(crate) const KEY: &str = "test-key";
pub(crate) const MODEL: &str = "gemini-3.5-flash-lite";
/// The `thoughtSignature` Google documents for calls Gemini did not produce, which skips the
/// check (the FAQ of <https://ai.google.dev/gemini-api/docs/thought-signatures>; not in
/// wire-protocols §4.4).
pub(crate) const SKIP_VALIDATOR: &str = "skip_thought_signature_validator";

/// What the fake answers.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// A text answer (streamed in pieces of 4 characters).
    Text(String),
    /// Function calls `(name, args)`; like Gemini 3, only the first carries a signature.
    Calls(Vec<(String, Value)>),
    /// Like `Calls`, each call with an `id`.
    CallsWithIds(Vec<(String, Value)>),
    /// A text answer cut by the token limit.
    MaxTokens(String),
    /// An HTTP error with this body, and a `Retry-After` header if given.
    Error(u16, Value, Option<&'static str>),
    /// HTTP 200, `promptFeedback.blockReason`, no candidates.
    PromptBlocked(&'static str),
    /// A candidate with this finish reason and message and no parts.
    Finish(&'static str, &'static str),
    /// A candidate whose content has no parts, finishing with `STOP`.
    NoParts,
    /// Never answers.
    Hang,
    /// HTTP 200 and a body that breaks off.
    Truncated,
    /// HTTP 200 and a body that is not JSON.
    Garbage,
    /// Streaming: this text in SSE frames, then this error as plain multi-line JSON.
    StreamError(String, Value),
    /// Streaming: this text in SSE frames, then silence.
    StreamHang(String),
}

impl Reply {
    pub(crate) fn text(text: &str) -> Self {
        Self::Text(text.to_owned())
    }

    pub(crate) fn call(name: &str, args: Value) -> Self {
        Self::Calls(vec![(name.to_owned(), args)])
    }

    /// A Google error body.
    pub(crate) fn status(code: u16, status: &str, message: &str, details: Value) -> Self {
        Self::Error(code, error_body(code, status, message, details), None)
    }

    /// 429 with a quota id and a `RetryInfo` delay such as `"0.2s"`.
    pub(crate) fn quota(quota_id: &str, delay: &str) -> Self {
        Self::status(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details.",
            json!([
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                 "violations": [{"quotaId": quota_id, "quotaValue": "20",
                                 "quotaDimensions": {"model": MODEL, "location": "global"}}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}
            ]),
        )
    }

    pub(crate) fn unavailable() -> Self {
        Self::status(
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
            json!([]),
        )
    }

    pub(crate) fn internal() -> Self {
        Self::status(
            500,
            "INTERNAL",
            "An internal error has occurred.",
            json!([]),
        )
    }
}

pub(crate) fn error_body(code: u16, status: &str, message: &str, details: Value) -> Value {
    json!({"error": {"code": code, "message": message, "status": status, "details": details}})
}

pub(crate) struct FakeGemini {
    pub(crate) base_url: String,
    state: Arc<Fake>,
}

struct Fake {
    script: Script<Reply>,
    signatures: Mutex<HashSet<String>>,
}

impl FakeGemini {
    pub(crate) async fn start() -> Self {
        let state = Arc::new(Fake {
            script: Script::new(),
            signatures: Mutex::new(HashSet::new()),
        });
        let router = Router::new()
            .route("/v1beta/models/{call}", post(handle))
            .with_state(Arc::clone(&state));
        Self {
            base_url: serve(router).await,
            state,
        }
    }

    /// Replies to requests whose last user text or `functionResponse` name is `key`.
    pub(crate) fn on(&self, key: &str, replies: Vec<Reply>) {
        self.state.script.on(key, replies);
    }

    pub(crate) fn received(&self) -> Vec<Recorded> {
        self.state.script.received()
    }

    /// The body of the last request.
    pub(crate) fn last_body(&self) -> Value {
        self.received().last().expect("a request").body.clone()
    }
}

async fn handle(
    State(fake): State<Arc<Fake>>,
    Path(call): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.script.record(&uri, &headers, &body);
    let (model, method) = call.split_once(':').unwrap_or((&call, ""));
    let stream = match method {
        "generateContent" => false,
        "streamGenerateContent" if uri.query() == Some("alt=sse") => true,
        _ => {
            return error(
                404,
                "NOT_FOUND",
                &format!("unknown method {method:?}"),
                json!([]),
            );
        }
    };
    if headers.get("x-goog-api-key").and_then(|k| k.to_str().ok()) != Some(KEY) {
        return error(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]),
        );
    }
    if model != MODEL {
        let message = format!(
            "models/{model} is not found for API version v1beta, or is not supported for generateContent."
        );
        return error(404, "NOT_FOUND", &message, json!([]));
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return invalid(&format!("Invalid JSON payload received. {e}")),
    };
    if let Err(message) = fake.validate(&request) {
        return invalid(&message);
    }
    let key = last_key(&request);
    let reply = fake
        .script
        .next(&key)
        .unwrap_or_else(|| Reply::Text(format!("unscripted: {key}")));
    fake.answer(reply, stream).await
}

impl Fake {
    fn validate(&self, request: &Value) -> Result<(), String> {
        let contents = request["contents"]
            .as_array()
            .filter(|c| !c.is_empty())
            .ok_or("* GenerateContentRequest.contents: contents is not specified")?;
        let json_mode = request.pointer("/generationConfig/responseMimeType")
            == Some(&json!("application/json"));
        if json_mode && request.get("tools").is_some() {
            return Err(
                "Function calling with a response mime type: 'application/json' is unsupported"
                    .into(),
            );
        }
        let signatures = self.signatures.lock().expect("signatures lock");
        let mut calls_to_answer = 0;
        for content in contents {
            let parts = content["parts"]
                .as_array()
                .filter(|p| !p.is_empty())
                .ok_or(
                    "* GenerateContentRequest.contents.parts: contents.parts must not be empty",
                )?;
            let calls = parts.iter().filter(|p| p.get("functionCall").is_some());
            let responses = parts.iter().filter(|p| p.get("functionResponse").is_some());
            match content["role"].as_str() {
                Some("model") => {
                    for (n, part) in calls.clone().enumerate() {
                        match part.get("thoughtSignature").and_then(Value::as_str) {
                            None if n == 0 => {
                                return Err("Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly.".into());
                            }
                            Some(s) if s != SKIP_VALIDATOR && !signatures.contains(s) => {
                                return Err("Corrupted thought signature.".into());
                            }
                            _ => {}
                        }
                    }
                    calls_to_answer = calls.count();
                }
                Some("user") => {
                    let responses: Vec<&Value> = responses.collect();
                    if calls_to_answer > 0 && responses.len() != calls_to_answer {
                        return Err("Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.".into());
                    }
                    if responses
                        .iter()
                        .any(|r| !r["functionResponse"]["response"].is_object())
                    {
                        return Err("functionResponse.response must be an object".into());
                    }
                    calls_to_answer = 0;
                }
                other => {
                    return Err(format!(
                        "Please use a valid role: user, model (not {other:?})."
                    ));
                }
            }
        }
        Ok(())
    }

    async fn answer(&self, reply: Reply, stream: bool) -> Response {
        let parts_and_finish = match &reply {
            Reply::Text(text) => Some((text_parts(text, stream), "STOP")),
            Reply::MaxTokens(text) => Some((text_parts(text, stream), "MAX_TOKENS")),
            Reply::Calls(calls) => Some((vec![self.call_parts(calls, false)], "STOP")),
            Reply::CallsWithIds(calls) => Some((vec![self.call_parts(calls, true)], "STOP")),
            _ => None,
        };
        if let Some((chunks, finish)) = parts_and_finish {
            let last = chunks.len() - 1;
            let bodies: Vec<Value> = chunks
                .into_iter()
                .enumerate()
                .map(|(n, parts)| chunk(parts, (n == last).then_some(finish)))
                .collect();
            return if stream {
                let frames = bodies
                    .iter()
                    .map(|b| format!("data: {b}\r\n\r\n"))
                    .collect();
                streamed("text/event-stream", frames, End::Close)
            } else {
                axum::Json(&bodies[0]).into_response()
            };
        }
        match reply {
            Reply::Error(code, body, retry_after) => {
                let mut response = (status(code), axum::Json(body)).into_response();
                if let Some(seconds) = retry_after {
                    let value = seconds.parse().expect("a header value");
                    response.headers_mut().insert("retry-after", value);
                }
                response
            }
            Reply::PromptBlocked(reason) => axum::Json(json!({
                "promptFeedback": {"blockReason": reason},
                "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
                "modelVersion": MODEL,
            }))
            .into_response(),
            Reply::Finish(reason, message) => axum::Json(json!({
                "candidates": [{"content": {"role": "model"}, "finishReason": reason,
                                "finishMessage": message, "index": 0}],
                "modelVersion": MODEL,
            }))
            .into_response(),
            Reply::NoParts => axum::Json(json!({
                "candidates": [{"content": {"role": "model", "parts": []},
                                "finishReason": "STOP", "index": 0}],
                "modelVersion": MODEL,
            }))
            .into_response(),
            Reply::Hang => never().await,
            Reply::Truncated => streamed(
                "application/json",
                vec![
                    r#"{"candidates": [{"content": {"role": "model", "parts": [{"text": "Hol"#
                        .into(),
                ],
                End::Abort,
            ),
            Reply::Garbage => streamed(
                "application/json",
                vec!["<html>502 Bad Gateway</html>".into()],
                End::Close,
            ),
            Reply::StreamError(text, error) => {
                let mut frames: Vec<String> = text_parts(&text, true)
                    .into_iter()
                    .map(|parts| format!("data: {}\r\n\r\n", chunk(parts, None)))
                    .collect();
                frames.push(serde_json::to_string_pretty(&json!([error])).expect("JSON"));
                streamed("text/event-stream", frames, End::Close)
            }
            Reply::StreamHang(text) => {
                let frames = text_parts(&text, true)
                    .into_iter()
                    .map(|parts| format!("data: {}\r\n\r\n", chunk(parts, None)))
                    .collect();
                streamed("text/event-stream", frames, End::Hang)
            }
            Reply::Text(_) | Reply::MaxTokens(_) | Reply::Calls(_) | Reply::CallsWithIds(_) => {
                unreachable!("answered above")
            }
        }
    }

    /// Function-call parts; the first gets a fresh signature, remembered for validation.
    fn call_parts(&self, calls: &[(String, Value)], ids: bool) -> Vec<Value> {
        let signature = token(24);
        self.signatures
            .lock()
            .expect("signatures lock")
            .insert(signature.clone());
        calls
            .iter()
            .enumerate()
            .map(|(n, (name, args))| {
                let mut call = json!({"name": name, "args": args});
                if ids {
                    call["id"] = json!(format!("fc-{}", token(8)));
                }
                let mut part = json!({"functionCall": call});
                if n == 0 {
                    part["thoughtSignature"] = json!(signature);
                }
                part
            })
            .collect()
    }
}

/// Text parts: one chunk, or pieces of 4 characters when streaming.
fn text_parts(text: &str, stream: bool) -> Vec<Vec<Value>> {
    if !stream {
        return vec![vec![json!({"text": text})]];
    }
    let chars: Vec<char> = text.chars().collect();
    let mut pieces: Vec<Vec<Value>> = chars
        .chunks(4)
        .map(|c| vec![json!({"text": c.iter().collect::<String>()})])
        .collect();
    if pieces.is_empty() {
        pieces.push(Vec::new());
    }
    pieces
}

fn chunk(parts: Vec<Value>, finish: Option<&str>) -> Value {
    let mut candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
    let mut body = json!({"modelVersion": MODEL, "responseId": token(12)});
    if let Some(finish) = finish {
        candidate["finishReason"] = json!(finish);
        body["usageMetadata"] = json!({"promptTokenCount": 40, "candidatesTokenCount": 7,
                                       "thoughtsTokenCount": 3, "totalTokenCount": 50});
    }
    body["candidates"] = json!([candidate]);
    body
}

/// The last user text or `functionResponse` name of the conversation.
fn last_key(request: &Value) -> String {
    let last = request
        .pointer("/contents")
        .and_then(Value::as_array)
        .and_then(|c| c.last());
    let part = last
        .and_then(|c| c["parts"].as_array())
        .and_then(|p| p.last());
    match part {
        Some(p) if p.get("functionResponse").is_some() => p["functionResponse"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        Some(p) => p["text"].as_str().unwrap_or_default().to_owned(),
        None => String::new(),
    }
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).expect("a status code")
}

fn error(code: u16, name: &str, message: &str, details: Value) -> Response {
    (
        status(code),
        axum::Json(error_body(code, name, message, details)),
    )
        .into_response()
}

fn invalid(message: &str) -> Response {
    error(400, "INVALID_ARGUMENT", message, json!([]))
}
