//! The chat-completions JSON shapes this client sends and reads (only the fields it uses;
//! serde ignores the rest of an answer).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The request body.
#[derive(Debug, Serialize)]
pub(super) struct CompletionRequest<'a> {
    pub(super) model: &'a str,
    pub(super) messages: Vec<OutMessage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) tools: Vec<OutTool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) response_format: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) temperature: Option<f32>,
    pub(super) stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stream_options: Option<Value>,
}

/// A message sent: `system`, `user`, `assistant` or `tool`.
#[derive(Debug, Serialize)]
pub(super) struct OutMessage {
    pub(super) role: &'static str,
    /// Null only for an assistant message made of tool calls.
    pub(super) content: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) tool_calls: Vec<OutToolCall>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tool_call_id: Option<String>,
    /// DeepSeek's reasoning, replayed with the tool calls of the current turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reasoning_content: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct OutToolCall {
    pub(super) id: String,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) function: OutFunction,
}

#[derive(Debug, Serialize)]
pub(super) struct OutFunction {
    pub(super) name: String,
    /// A JSON string, as the model wrote it.
    pub(super) arguments: String,
}

#[derive(Debug, Serialize)]
pub(super) struct OutTool {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) function: OutDeclaration,
}

#[derive(Debug, Serialize)]
pub(super) struct OutDeclaration {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) parameters: Value,
}

/// An answer (`choices[].message`) or a stream chunk (`choices[].delta`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Completion {
    #[serde(default)]
    pub(super) choices: Vec<Choice>,
    #[serde(default)]
    pub(super) usage: Option<InUsage>,
    #[serde(default)]
    pub(super) model: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Choice {
    #[serde(default)]
    pub(super) message: Option<InMessage>,
    #[serde(default)]
    pub(super) delta: Option<InMessage>,
    #[serde(default)]
    pub(super) finish_reason: Option<String>,
}

/// A whole assistant message, or a piece of one in a stream.
#[derive(Debug, Default, Deserialize)]
pub(super) struct InMessage {
    #[serde(default)]
    pub(super) content: Option<String>,
    #[serde(default)]
    pub(super) reasoning_content: Option<String>,
    #[serde(default)]
    pub(super) refusal: Option<String>,
    #[serde(default)]
    pub(super) tool_calls: Vec<InToolCall>,
}

/// A tool call, or in a stream a piece of one (`index` says which).
#[derive(Debug, Default, Deserialize)]
pub(super) struct InToolCall {
    #[serde(default)]
    pub(super) index: Option<usize>,
    #[serde(default)]
    pub(super) id: Option<String>,
    #[serde(default)]
    pub(super) function: InFunction,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct InFunction {
    #[serde(default)]
    pub(super) name: Option<String>,
    /// A JSON string; a few servers send the object itself.
    #[serde(default)]
    pub(super) arguments: Option<Value>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub(super) struct InUsage {
    #[serde(default)]
    pub(super) prompt_tokens: u32,
    #[serde(default)]
    pub(super) completion_tokens: u32,
    #[serde(default)]
    pub(super) total_tokens: u32,
}
