//! Gemini answers and errors as [`ChatResponse`]s and [`Error`]s. A whole answer and the
//! chunks of a streamed one go through the same [`Turn`], so both end with the same checks.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::PROVIDER;
use super::wire::{ErrorEnvelope, GenerateContentResponse, Status, UsageMetadata};
use crate::error::Error;
use crate::model::{ChatResponse, FinishReason, Message, Part, Replay, Role, ToolCall, Usage};
use crate::resilience::transport::{proto_duration, retry_after, snippet};

/// A model turn put together from one answer or from the chunks of a stream.
#[derive(Debug, Default)]
pub(super) struct Turn {
    parts: Vec<Part>,
    candidate: bool,
    finish_reason: Option<String>,
    finish_message: Option<String>,
    block_reason: Option<String>,
    block_message: Option<String>,
    usage: Option<UsageMetadata>,
    model_version: Option<String>,
}

impl Turn {
    /// Adds one answer or chunk, passing each piece of answer text to `on_text`.
    pub(super) fn absorb(&mut self, chunk: GenerateContentResponse, on_text: &dyn Fn(&str)) {
        if let Some(feedback) = chunk.prompt_feedback {
            self.block_reason = feedback.block_reason.or(self.block_reason.take());
            self.block_message = feedback.block_reason_message.or(self.block_message.take());
        }
        self.usage = chunk.usage_metadata.or(self.usage);
        self.model_version = chunk.model_version.or(self.model_version.take());
        let Some(candidate) = chunk.candidates.into_iter().next() else {
            return;
        };
        self.candidate = true;
        self.finish_reason = candidate.finish_reason.or(self.finish_reason.take());
        self.finish_message = candidate.finish_message.or(self.finish_message.take());
        for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
            if let Some(call) = part.function_call {
                self.parts.push(Part::ToolCall(ToolCall {
                    id: call.id,
                    name: call.name,
                    args: call.args,
                    replay: part.thought_signature.map(|s| Replay::new(PROVIDER, s)),
                }));
            } else if let Some(text) = part.text {
                // Thought summaries are not the answer. A signature on a text part is dropped:
                // Gemini validates only those on function calls.
                if part.thought == Some(true) || text.is_empty() {
                    continue;
                }
                on_text(&text);
                match self.parts.last_mut() {
                    Some(Part::Text(last)) => last.push_str(&text),
                    _ => self.parts.push(Part::Text(text)),
                }
            }
        }
    }

    /// Whether the last chunk (the one with a finish reason) has arrived.
    pub(super) fn is_finished(&self) -> bool {
        self.finish_reason.is_some() || (!self.candidate && self.block_reason.is_some())
    }

    /// The answer, or [`Error::Blocked`] when there is none to use: a blocked prompt, a finish
    /// reason other than `STOP` or `MAX_TOKENS`, or a turn with nothing in it.
    pub(super) fn finish(self, model: &str) -> Result<ChatResponse, Error> {
        if !self.candidate {
            let reason = match self.block_reason {
                Some(reason) => format!("prompt blocked: {reason}{}", suffix(self.block_message)),
                None => "no candidates".to_owned(),
            };
            return Err(blocked(reason));
        }
        let finish_reason = self.finish_reason.unwrap_or_else(|| "STOP".to_owned());
        if !matches!(finish_reason.as_str(), "STOP" | "MAX_TOKENS") {
            return Err(blocked(format!(
                "finish reason {finish_reason}{}",
                suffix(self.finish_message)
            )));
        }
        let message = Message {
            role: Role::Model,
            parts: self.parts,
        };
        let calls = message.tool_calls().count() > 0;
        if !calls && message.text().trim().is_empty() {
            return Err(blocked(format!(
                "empty answer (finish reason {finish_reason})"
            )));
        }
        let finish = if calls {
            FinishReason::ToolCalls
        } else if finish_reason == "MAX_TOKENS" {
            FinishReason::Length
        } else {
            FinishReason::Stop
        };
        Ok(ChatResponse {
            message,
            finish,
            usage: self.usage.map(|u| Usage {
                prompt_tokens: u.prompt_token_count,
                completion_tokens: u
                    .candidates_token_count
                    .saturating_add(u.thoughts_token_count),
                total_tokens: u.total_token_count,
            }),
            provider: PROVIDER.to_owned(),
            model: self.model_version.unwrap_or_else(|| model.to_owned()),
        })
    }
}

fn suffix(message: Option<String>) -> String {
    message
        .filter(|m| !m.trim().is_empty())
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

fn blocked(reason: String) -> Error {
    Error::Blocked {
        provider: PROVIDER.to_owned(),
        reason,
    }
}

fn malformed(reason: String) -> Error {
    Error::Malformed {
        provider: PROVIDER.to_owned(),
        reason,
    }
}

/// One answer or stream chunk; an error envelope in it (as a stream may send) is an error.
pub(super) fn parse_chunk(text: &str) -> Result<GenerateContentResponse, Error> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| malformed(format!("not JSON ({e}): {}", snippet(text.as_bytes()))))?;
    if value.get("error").is_some() {
        return Err(raw_error(text));
    }
    serde_json::from_value(value)
        .map_err(|e| malformed(format!("not a GenerateContentResponse ({e})")))
}

/// An error that arrived without an HTTP status of its own (in a stream): its `code` is used.
pub(super) fn raw_error(text: &str) -> Error {
    match envelope(text.as_bytes()) {
        Some(status) => {
            let code = status.code.unwrap_or(500);
            status_error(code, status, None)
        }
        None => malformed(format!(
            "stream error not understood: {}",
            snippet(text.as_bytes())
        )),
    }
}

/// An HTTP error answer.
pub(super) fn http_error(status: u16, headers: &HeaderMap, body: &[u8]) -> Error {
    match envelope(body) {
        Some(error) => status_error(status, error, retry_after(headers)),
        None => Error::Http {
            provider: PROVIDER.to_owned(),
            status,
            code: None,
            message: snippet(body),
            retry_after: retry_after(headers),
        },
    }
}

/// The error of `{"error": …}` or `[{"error": …}]` (streams use the second).
fn envelope(body: &[u8]) -> Option<Status> {
    // Through a Value: serde would also read a list as a struct, field by field.
    let value = match serde_json::from_slice::<Value>(body).ok()? {
        Value::Array(list) => list.into_iter().next()?,
        other => other,
    };
    serde_json::from_value::<ErrorEnvelope>(value)
        .ok()
        .map(|e| e.error)
}

/// The most specific code is kept: a quota id (so a per-day quota can be told from a
/// per-minute one), else the `ErrorInfo` reason (`API_KEY_INVALID`), else the status name.
fn status_error(http: u16, status: Status, header_delay: Option<Duration>) -> Error {
    let detail = |kind: &str| {
        status.details.iter().find(|d| {
            d.get("@type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with(kind))
        })
    };
    let quota = detail("google.rpc.QuotaFailure")
        .and_then(|d| d.pointer("/violations/0/quotaId"))
        .and_then(Value::as_str);
    let reason = detail("google.rpc.ErrorInfo")
        .and_then(|d| d.get("reason"))
        .and_then(Value::as_str);
    let delay = detail("google.rpc.RetryInfo")
        .and_then(|d| d.get("retryDelay"))
        .and_then(Value::as_str)
        .and_then(proto_duration);
    Error::Http {
        provider: PROVIDER.to_owned(),
        status: http,
        code: quota
            .or(reason)
            .map(str::to_owned)
            .or_else(|| status.status.clone()),
        message: status.message,
        retry_after: delay.or(header_delay),
    }
}
