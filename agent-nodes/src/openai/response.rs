//! Chat-completions answers and errors as [`ChatResponse`]s and [`Error`]s. A whole answer and
//! the deltas of a streamed one go through the same [`Reply`], so both end with the same checks.

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::wire::{Completion, InMessage, InToolCall, InUsage};
use crate::error::Error;
use crate::model::{ChatResponse, FinishReason, Message, Part, Replay, Role, ToolCall, Usage};
use crate::resilience::transport::{retry_after, snippet};

/// The [`Error::Blocked`] reason of a blank answer that finished with `stop` (DeepSeek's JSON
/// mode does this now and then; such answers are retried).
pub(super) const BLANK: &str = "blank answer";

/// An assistant message put together from one answer or from the deltas of a stream.
#[derive(Debug, Default)]
pub(super) struct Reply {
    text: String,
    reasoning: String,
    refusal: String,
    calls: Vec<PendingCall>,
    choice: bool,
    finish_reason: Option<String>,
    usage: Option<InUsage>,
    model: Option<String>,
    /// A tool-call index out of any plausible range, reported when the reply is finished.
    bad_index: Option<usize>,
}

/// The most tool calls one answer may hold.
const MAX_CALLS: usize = 128;
/// How far past the calls seen so far a new call's index may jump.
const MAX_NEW_CALLS: usize = 8;

#[derive(Debug, Default)]
struct PendingCall {
    id: Option<String>,
    name: String,
    arguments: String,
}

impl Reply {
    /// Adds an answer or a chunk, passing each piece of text to `on_text`.
    pub(super) fn absorb(&mut self, completion: Completion, on_text: &dyn Fn(&str)) {
        self.usage = completion.usage.or(self.usage);
        self.model = completion.model.or(self.model.take());
        let Some(choice) = completion.choices.into_iter().next() else {
            return;
        };
        self.choice = true;
        self.finish_reason = choice.finish_reason.or(self.finish_reason.take());
        if let Some(message) = choice.message.or(choice.delta) {
            self.add(message, on_text);
        }
    }

    fn add(&mut self, message: InMessage, on_text: &dyn Fn(&str)) {
        if let Some(text) = message.content.filter(|t| !t.is_empty()) {
            on_text(&text);
            self.text.push_str(&text);
        }
        self.reasoning
            .push_str(message.reasoning_content.as_deref().unwrap_or_default());
        self.refusal
            .push_str(message.refusal.as_deref().unwrap_or_default());
        for (n, call) in message.tool_calls.into_iter().enumerate() {
            self.add_call(n, call);
        }
    }

    /// A whole call, or a delta of the call at `index` (its id and name come first, then
    /// pieces of its arguments to concatenate).
    fn add_call(&mut self, position: usize, call: InToolCall) {
        let index = call.index.unwrap_or(position);
        // The index comes from the server: one far past the calls seen so far would make us
        // allocate for calls that do not exist.
        if index > self.calls.len() + MAX_NEW_CALLS || index >= MAX_CALLS {
            self.bad_index.get_or_insert(index);
            return;
        }
        while self.calls.len() <= index {
            self.calls.push(PendingCall::default());
        }
        let pending = &mut self.calls[index];
        if call.id.is_some() {
            pending.id = call.id;
        }
        // Some servers repeat the whole name in every delta; only arguments are pieces.
        if let Some(name) = call.function.name {
            if pending.name.is_empty() {
                pending.name = name;
            } else if name != pending.name {
                pending.name.push_str(&name);
            }
        }
        match call.function.arguments {
            Some(Value::String(piece)) => pending.arguments.push_str(&piece),
            Some(Value::Null) | None => {}
            Some(object) => pending.arguments = object.to_string(),
        }
    }

    /// The answer, or [`Error::Blocked`] for a refusal, a content filter or a blank answer.
    pub(super) fn finish(self, provider: &str, model: &str) -> Result<ChatResponse, Error> {
        let blocked = |reason: String| Error::Blocked {
            provider: provider.to_owned(),
            reason,
        };
        if !self.choice {
            return Err(Error::Malformed {
                provider: provider.to_owned(),
                reason: "no choices in the answer".to_owned(),
            });
        }
        if let Some(index) = self.bad_index {
            return Err(Error::Malformed {
                provider: provider.to_owned(),
                reason: format!("a tool call has the implausible index {index}"),
            });
        }
        let finish_reason = self.finish_reason.unwrap_or_else(|| "stop".to_owned());
        if !self.refusal.is_empty() {
            return Err(blocked(format!("refused: {}", self.refusal)));
        }
        if finish_reason == "content_filter" {
            return Err(blocked("finish reason content_filter".to_owned()));
        }
        let replay = (!self.reasoning.is_empty()).then(|| Replay::new(provider, self.reasoning));
        let mut parts = Vec::new();
        if !self.text.trim().is_empty() {
            parts.push(Part::Text(self.text));
        }
        for (n, call) in self.calls.into_iter().enumerate() {
            parts.push(Part::ToolCall(ToolCall {
                id: call.id,
                name: call.name,
                args: parse_arguments(call.arguments),
                // DeepSeek's reasoning rides on the first call: it must come back with them.
                replay: if n == 0 { replay.clone() } else { None },
            }));
        }
        let message = Message {
            role: Role::Model,
            parts,
        };
        let calls = message.tool_calls().count() > 0;
        if message.parts.is_empty() {
            return Err(blocked(match finish_reason.as_str() {
                "stop" => BLANK.to_owned(),
                other => format!("{BLANK} (finish reason {other})"),
            }));
        }
        let finish = match finish_reason.as_str() {
            _ if calls => FinishReason::ToolCalls,
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            other => FinishReason::Other(other.to_owned()),
        };
        Ok(ChatResponse {
            message,
            finish,
            usage: self.usage.map(|u| Usage {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
                total_tokens: u.total_tokens,
            }),
            provider: provider.to_owned(),
            model: self.model.unwrap_or_else(|| model.to_owned()),
        })
    }
}

/// Arguments that parse to a JSON object are that object; anything else is kept as the raw
/// string (`Value::String`) so the caller can see and report it. Empty arguments (a tool
/// without parameters, on some servers) are `{}`.
fn parse_arguments(raw: String) -> Value {
    if raw.trim().is_empty() {
        return Value::Object(serde_json::Map::new());
    }
    match serde_json::from_str::<Value>(&raw) {
        Ok(object @ Value::Object(_)) => object,
        _ => Value::String(raw),
    }
}

/// One answer or stream chunk; an error in it (as some servers stream) is an error.
pub(super) fn parse_chunk(provider: &str, text: &str) -> Result<Completion, Error> {
    let value: Value = serde_json::from_str(text).map_err(|e| Error::Malformed {
        provider: provider.to_owned(),
        reason: format!("not JSON ({e}): {}", snippet(text.as_bytes())),
    })?;
    if value.get("error").is_some_and(|e| !e.is_null()) {
        return Err(raw_error(provider, text));
    }
    serde_json::from_value(value).map_err(|e| Error::Malformed {
        provider: provider.to_owned(),
        reason: format!("not a chat completion ({e})"),
    })
}

/// An error without an HTTP status of its own (in a stream): a numeric `code` is used, else
/// 500.
pub(super) fn raw_error(provider: &str, text: &str) -> Error {
    let status = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.pointer("/error/code").and_then(Value::as_u64))
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c))
        .unwrap_or(500);
    http_error(provider, status, &HeaderMap::new(), text.as_bytes())
}

/// An HTTP error answer: `{"error": {"message", "type", "param", "code"}}`, or `error` as a
/// plain string (Ollama), or a top-level `message` (older vLLM), or anything else as text.
pub(super) fn http_error(provider: &str, status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let (message, code) = match value.get("error") {
        Some(Value::String(message)) => (Some(message.clone()), None),
        Some(error @ Value::Object(_)) => (
            text(error.get("message")),
            text(error.get("code")).or_else(|| text(error.get("type"))),
        ),
        _ => (
            text(value.get("message")),
            text(value.get("code")).or_else(|| text(value.get("type"))),
        ),
    };
    Error::Http {
        provider: provider.to_owned(),
        status,
        code,
        message: message.unwrap_or_else(|| snippet(body)),
        retry_after: retry_after(headers),
    }
}
