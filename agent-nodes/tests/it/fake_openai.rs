//! A loopback OpenAI-compatible server speaking chat completions as documented in
//! wire-protocols §5: `POST /v1/chat/completions` with a Bearer key (401 otherwise), 404 for an
//! unknown model, 400 when a `tool` message answers no pending call or a call goes unanswered,
//! tool calls whose `arguments` is a JSON string (valid or not), streaming deltas ending with
//! `data: [DONE]`. Replies are scripted by the last user text or, after tool results, by the
//! name of the function the last result answers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::fake::{End, Recorded, Script, never, serve, streamed, token};

pub(crate) const KEY: &str = "sk-test";
pub(crate) const MODEL: &str = "deepseek-chat";

/// What the fake answers.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// A text answer (streamed in pieces of 4 characters).
    Text(String),
    /// Tool calls `(name, arguments as the model wrote them)`, with DeepSeek reasoning if set.
    Calls(Vec<(String, String)>, Option<String>),
    /// `content: ""` and `finish_reason: "stop"`.
    Blank,
    /// An HTTP error with this body and a `Retry-After` header if given.
    Error(u16, Value, Option<&'static str>),
    /// Never answers.
    Hang,
    /// HTTP 200 and a body that breaks off.
    Truncated,
    /// HTTP 200 and a body that is not JSON.
    Garbage,
    /// HTTP 200 and exactly this body.
    Body(String),
    /// Streaming: this text in chunks, then `data: {"error": …}` and the end.
    StreamError(String, Value),
}

impl Reply {
    pub(crate) fn text(text: &str) -> Self {
        Self::Text(text.to_owned())
    }

    pub(crate) fn call(name: &str, arguments: &str) -> Self {
        Self::Calls(vec![(name.to_owned(), arguments.to_owned())], None)
    }

    /// An OpenAI-style error body.
    pub(crate) fn status(code: u16, kind: &str, message: &str, error_code: Option<&str>) -> Self {
        Self::Error(code, error_body(kind, message, error_code), None)
    }
}

pub(crate) fn error_body(kind: &str, message: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

pub(crate) struct FakeOpenAi {
    /// What the client is configured with: the server plus `/v1`.
    pub(crate) base_url: String,
    script: Arc<Script<Reply>>,
}

impl FakeOpenAi {
    pub(crate) async fn start() -> Self {
        let script = Arc::new(Script::new());
        let router = Router::new()
            .route("/v1/chat/completions", post(handle))
            .with_state(Arc::clone(&script));
        Self {
            base_url: format!("{}/v1", serve(router).await),
            script,
        }
    }

    pub(crate) fn on(&self, key: &str, replies: Vec<Reply>) {
        self.script.on(key, replies);
    }

    pub(crate) fn received(&self) -> Vec<Recorded> {
        self.script.received()
    }

    pub(crate) fn last_body(&self) -> Value {
        self.received().last().expect("a request").body.clone()
    }
}

async fn handle(
    State(script): State<Arc<Script<Reply>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    script.record(&uri, &headers, &body);
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(KEY) {
        let message = format!("Incorrect API key provided: {}", bearer.unwrap_or("(none)"));
        let body = error_body("invalid_request_error", &message, Some("invalid_api_key"));
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => return invalid(&format!("We could not parse the JSON body: {e}")),
    };
    if request["model"] != MODEL {
        let message = format!("The model `{}` does not exist", request["model"]);
        let body = error_body("invalid_request_error", &message, Some("model_not_found"));
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    let key = match validate(&request) {
        Ok(key) => key,
        Err(message) => return invalid(&message),
    };
    let reply = script
        .next(&key)
        .unwrap_or_else(|| Reply::Text(format!("unscripted: {key}")));
    answer(reply, request["stream"] == true).await
}

/// Checks the conversation and returns the script key.
fn validate(request: &Value) -> Result<String, String> {
    let messages = request["messages"]
        .as_array()
        .filter(|m| !m.is_empty())
        .ok_or("'messages' must be a non-empty array")?;
    if request.get("tool_choice").is_some() && request.get("tools").is_none() {
        return Err("'tool_choice' is only allowed when 'tools' are specified".into());
    }
    let mut pending: HashMap<String, String> = HashMap::new();
    let mut key = String::new();
    for (n, message) in messages.iter().enumerate() {
        let role = message["role"].as_str().unwrap_or_default();
        if role != "tool" && !pending.is_empty() {
            return Err("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'.".into());
        }
        match role {
            "system" if n == 0 => {}
            "user" => {
                key = message["content"]
                    .as_str()
                    .ok_or("user content must be a string")?
                    .to_owned()
            }
            "assistant" => {
                for call in message["tool_calls"].as_array().into_iter().flatten() {
                    let id = call["id"].as_str().ok_or("tool_calls[].id is required")?;
                    if !call["function"]["arguments"].is_string() {
                        return Err("tool_calls[].function.arguments must be a string".into());
                    }
                    let name = call["function"]["name"].as_str().unwrap_or_default();
                    pending.insert(id.to_owned(), name.to_owned());
                }
            }
            "tool" => {
                let id = message["tool_call_id"].as_str().unwrap_or_default();
                let name = pending.remove(id).ok_or("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.")?;
                if !message["content"].is_string() {
                    return Err("tool content must be a string".into());
                }
                key = name;
            }
            other => {
                return Err(format!(
                    "Invalid value: '{other}'. Supported values are: 'system', 'assistant', 'user' and 'tool'."
                ));
            }
        }
    }
    if !pending.is_empty() {
        return Err("tool calls left unanswered".into());
    }
    Ok(key)
}

async fn answer(reply: Reply, stream: bool) -> Response {
    match reply {
        Reply::Text(text) if stream => {
            let mut chunks = vec![delta(json!({"role": "assistant", "content": ""}), None)];
            let chars: Vec<char> = text.chars().collect();
            for piece in chars.chunks(4) {
                let piece: String = piece.iter().collect();
                chunks.push(delta(json!({"content": piece}), None));
            }
            chunks.push(delta(json!({}), Some("stop")));
            sse(chunks, true)
        }
        Reply::Calls(calls, reasoning) if stream => {
            let mut chunks = Vec::new();
            if let Some(reasoning) = &reasoning {
                chunks.push(delta(
                    json!({"role": "assistant", "reasoning_content": reasoning}),
                    None,
                ));
            }
            for (index, (name, arguments)) in calls.iter().enumerate() {
                let head = json!({"index": index, "id": format!("call_{}", token(8)), "type": "function",
                                  "function": {"name": name, "arguments": ""}});
                chunks.push(delta(json!({"tool_calls": [head]}), None));
                let chars: Vec<char> = arguments.chars().collect();
                for piece in chars.chunks(5) {
                    let piece: String = piece.iter().collect();
                    let more = json!({"index": index, "function": {"arguments": piece}});
                    chunks.push(delta(json!({"tool_calls": [more]}), None));
                }
            }
            chunks.push(delta(json!({}), Some("tool_calls")));
            sse(chunks, true)
        }
        Reply::Text(text) => completion(json!({"role": "assistant", "content": text}), "stop"),
        Reply::Blank => completion(json!({"role": "assistant", "content": ""}), "stop"),
        Reply::Calls(calls, reasoning) => {
            let tool_calls: Vec<Value> = calls
                .iter()
                .map(|(name, arguments)| {
                    json!({"id": format!("call_{}", token(8)), "type": "function",
                                                "function": {"name": name, "arguments": arguments}})
                })
                .collect();
            let mut message =
                json!({"role": "assistant", "content": null, "tool_calls": tool_calls});
            if let Some(reasoning) = reasoning {
                message["reasoning_content"] = json!(reasoning);
            }
            completion(message, "tool_calls")
        }
        Reply::Error(code, body, retry_after) => {
            let status = StatusCode::from_u16(code).expect("a status");
            let mut response = (status, axum::Json(body)).into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", seconds.parse().expect("a value"));
            }
            response
        }
        Reply::Hang => never().await,
        Reply::Truncated => streamed(
            "application/json",
            vec![
                r#"{"id": "chatcmpl-1", "choices": [{"index": 0, "message": {"role": "assis"#
                    .into(),
            ],
            End::Abort,
        ),
        Reply::Garbage => streamed(
            "application/json",
            vec!["upstream connect error".into()],
            End::Close,
        ),
        Reply::Body(body) => streamed("application/json", vec![body.clone()], End::Close),
        Reply::StreamError(text, error) => {
            let mut chunks = vec![delta(json!({"role": "assistant", "content": text}), None)];
            chunks.push(error);
            sse(chunks, false)
        }
    }
}

fn completion(message: Value, finish: &str) -> Response {
    axum::Json(json!({
        "id": format!("chatcmpl-{}", token(10)), "object": "chat.completion", "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 5, "total_tokens": 35},
    }))
    .into_response()
}

fn delta(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "model": MODEL,
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

/// SSE frames; a final usage chunk (as `stream_options.include_usage` asks) and `[DONE]`
/// when `done`.
fn sse(chunks: Vec<Value>, done: bool) -> Response {
    let mut frames: Vec<String> = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    if done {
        let usage = json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "model": MODEL, "choices": [],
                           "usage": {"prompt_tokens": 30, "completion_tokens": 5, "total_tokens": 35}});
        frames.push(format!("data: {usage}\n\n"));
        frames.push("data: [DONE]\n\n".into());
    }
    streamed("text/event-stream", frames, End::Close)
}

fn invalid(message: &str) -> Response {
    let body = error_body("invalid_request_error", message, None);
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}
