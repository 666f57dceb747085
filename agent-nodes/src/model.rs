//! The provider-neutral chat vocabulary: [`Message`]s of [`Part`]s, [`ToolSpec`]s, a
//! [`ChatRequest`] and its [`ChatResponse`], and the [`ChatModel`] trait every client
//! implements. Messages are serde types so a conversation can live in graph state and be
//! checkpointed; provider state that must be replayed verbatim (Gemini's `thoughtSignature`,
//! DeepSeek's `reasoning_content`) rides along in [`ToolCall::replay`], tagged with the provider
//! that produced it ([`Replay`]) so that a conversation can move between providers.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;

/// Who wrote a message. The system prompt is not a message: it is [`ChatRequest::system`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The person (or, for Gemini, a turn carrying tool results).
    User,
    /// The model.
    Model,
    /// Results of tool calls (sent as `user` to Gemini and as `tool` messages to OpenAI).
    Tool,
}

/// One piece of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Text.
    Text(String),
    /// A call the model asks for.
    ToolCall(ToolCall),
    /// The result of a call, sent back to the model.
    ToolResult(ToolResult),
}

/// A tool call requested by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's call id, echoed in the result (OpenAI always sets one, Gemini sometimes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The tool's name.
    pub name: String,
    /// The arguments as the model wrote them (a JSON object when well-formed).
    pub args: Value,
    /// Opaque provider state to send back unchanged with this call (Gemini's
    /// `thoughtSignature`, DeepSeek's `reasoning_content`), valid only with the provider that
    /// produced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
}

/// Opaque provider state carried by a [`ToolCall`], valid only with the provider that produced
/// it. Each client sends back the replays tagged with its own [`ChatModel::provider`] name and
/// never another provider's: after a fallback, a Gemini signature must not reach DeepSeek as
/// `reasoning_content`, nor DeepSeek's reasoning reach Gemini as a `thoughtSignature`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    /// The provider that produced it, as its [`ChatModel::provider`] says (`gemini`,
    /// `deepseek`, …).
    pub provider: String,
    /// The state itself, sent back unchanged.
    pub data: String,
}

impl Replay {
    /// State `data` produced by `provider`.
    pub fn new(provider: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            provider: provider.into(),
            data: data.into(),
        }
    }

    /// The data, if `provider` produced it.
    pub fn data_for(&self, provider: &str) -> Option<&str> {
        (self.provider == provider).then_some(self.data.as_str())
    }
}

/// The result of a tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The id of the call it answers, if the call had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The tool's name.
    pub name: String,
    /// The tool's output, or the error the model should see.
    pub output: Value,
    /// Whether `output` describes a failure (bad arguments, a failed call).
    #[serde(default)]
    pub is_error: bool,
}

/// A message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// What it holds, in order.
    pub parts: Vec<Part>,
}

impl Message {
    /// A user message holding `text`.
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            parts: vec![Part::Text(text.into())],
        }
    }

    /// A model message holding `text`.
    pub fn model(text: impl Into<String>) -> Self {
        Self {
            role: Role::Model,
            parts: vec![Part::Text(text.into())],
        }
    }

    /// A message of tool results.
    pub fn tool_results(results: Vec<ToolResult>) -> Self {
        Self {
            role: Role::Tool,
            parts: results.into_iter().map(Part::ToolResult).collect(),
        }
    }

    /// The text parts, joined.
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The tool calls, in order.
    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.parts.iter().filter_map(|p| match p {
            Part::ToolCall(c) => Some(c),
            _ => None,
        })
    }
}

/// A tool the model may call: a name, what it does, and its arguments' JSON Schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Letters, digits, `_`, `.`, `:` and `-`; starts with a letter or `_`; at most 128 long.
    pub name: String,
    /// What the tool does, for the model.
    pub description: String,
    /// A JSON Schema (draft 2020-12) of the arguments object.
    pub parameters: Value,
}

impl ToolSpec {
    /// A tool whose arguments are a `T`, with the schema schemars derives for it.
    pub fn of<T: JsonSchema>(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            parameters: schema_of::<T>(),
        }
    }
}

/// The JSON Schema of `T` as a JSON value.
pub fn schema_of<T: JsonSchema>() -> Value {
    schemars::schema_for!(T).to_value()
}

/// Whether and which tools the model may call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides.
    #[default]
    Auto,
    /// No calls.
    None,
    /// At least one call, to any tool.
    Required,
    /// A call to this tool.
    Named(String),
}

/// What to ask a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The conversation so far, oldest first.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    /// Whether it may call them.
    #[serde(default)]
    pub tool_choice: ToolChoice,
    /// A JSON Schema the answer must follow (structured output); the answer's text is then
    /// JSON. Providers refuse it together with tools, so a request sets one or the other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<Value>,
    /// The most tokens to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling temperature; `None` leaves the provider's default (recommended for Gemini 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
}

impl ChatRequest {
    /// A request with a system prompt and one user message.
    pub fn new(system: impl Into<String>, user: impl Into<String>) -> Self {
        Self {
            system: Some(system.into()),
            messages: vec![Message::user(user)],
            ..Self::default()
        }
    }

    /// The same request asking for an answer that follows `T`'s JSON Schema.
    #[must_use]
    pub fn with_schema<T: JsonSchema>(mut self) -> Self {
        self.response_schema = Some(schema_of::<T>());
        self
    }

    /// The same request offering `tool`.
    #[must_use]
    pub fn with_tool(mut self, tool: ToolSpec) -> Self {
        self.tools.push(tool);
        self
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A natural end.
    Stop,
    /// The token limit.
    Length,
    /// It asked for tool calls.
    ToolCalls,
    /// Anything else, as the provider named it.
    Other(String),
}

/// Tokens used by one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the prompt.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub completion_tokens: u32,
    /// Everything billed, thinking included.
    pub total_tokens: u32,
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The answer, with role [`Role::Model`]. Append it to the conversation unchanged: it
    /// carries the state a provider needs replayed.
    pub message: Message,
    /// Why it stopped.
    pub finish: FinishReason,
    /// Tokens used, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Who answered: `gemini`, `openai`, `offline`, … (what [`ChatModel::provider`] says).
    pub provider: String,
    /// The model that answered, as the provider reported it.
    pub model: String,
}

impl ChatResponse {
    /// The answer's text.
    pub fn text(&self) -> String {
        self.message.text()
    }

    /// The answer's text parsed as a `T` (for structured output).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let text = self.text();
        serde_json::from_str(text.trim()).map_err(|e| Error::Malformed {
            provider: self.provider.clone(),
            reason: format!("the structured answer does not parse: {e}; it was {text:?}"),
        })
    }
}

/// A chat model: one call in, one answer out, optionally streaming text as it arrives.
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// Who this is, for traces and [`ChatResponse::provider`] (`gemini`, `openai`, …).
    fn provider(&self) -> &str;

    /// Asks once (with the client's own retries) and returns the whole answer.
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, Error>;

    /// Like [`chat`](Self::chat), calling `on_text` with each piece of text as it arrives.
    /// The default calls it once with the whole text.
    async fn chat_stream(
        &self,
        request: &ChatRequest,
        on_text: &(dyn for<'s> Fn(&'s str) + Send + Sync),
    ) -> Result<ChatResponse, Error> {
        let response = self.chat(request).await?;
        let text = response.text();
        if !text.is_empty() {
            on_text(&text);
        }
        Ok(response)
    }
}
