//! [`OpenAiClient`]: any OpenAI-compatible chat-completions server (DeepSeek, Ollama, vLLM,
//! llama.cpp, OpenAI) as a [`ChatModel`].
//!
//! What the protocol leaves loose is settled here:
//! - A tool call's `arguments` is a JSON string the model wrote and may be invalid. When it
//!   parses to a JSON object, [`ToolCall::args`](crate::ToolCall::args) is that object;
//!   otherwise it is the raw string as a `Value::String`, for the caller to report to the
//!   model. Either way the call is sent back exactly as it came.
//! - Structured output ([`ChatRequest::response_schema`]) is sent as [`JsonMode`] says:
//!   `response_format: {"type": "json_schema", "json_schema": {"name": "response", "schema",
//!   "strict"}}` by default, or `json_object` with the schema in the system prompt.
//! - A tool result goes back as `{"role": "tool", "tool_call_id", "content"}`: a string output
//!   as is, any other output as JSON text, a failure as `{"error": output}`.
//! - A blank answer (no text, no calls) is [`Error::Blocked`]; after `stop` it is retried
//!   first, as DeepSeek's JSON mode sometimes answers blank.
//! - DeepSeek's `reasoning_content` rides on the first tool call's
//!   [`replay`](crate::ToolCall::replay), tagged with the client's
//!   [provider name](OpenAiBuilder::provider). It is sent back with the calls of the current
//!   turn (DeepSeek's thinking mode with tools needs it) when the replay's provider is this
//!   client's, and never otherwise: a Gemini signature, or another server's reasoning, stays
//!   home. [`OpenAiBuilder::replay_reasoning`] turns this off.
//!
//! ```no_run
//! use agent_nodes::openai::OpenAiClient;
//! use agent_nodes::{ChatModel, ChatRequest};
//!
//! # async fn example() -> Result<(), agent_nodes::Error> {
//! let deepseek = OpenAiClient::builder("https://api.deepseek.com/v1", "deepseek-chat")
//!     .api_key(std::env::var("DEEPSEEK_API_KEY").unwrap_or_default())
//!     .provider("deepseek")
//!     .json_mode(agent_nodes::openai::JsonMode::Object)
//!     .build()?;
//! let answer = deepseek.chat(&ChatRequest::new("You are terse.", "Hola")).await?;
//! println!("{} ({})", answer.text(), answer.provider);
//! # Ok(()) }
//! ```

mod request;
mod response;
mod wire;

use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use reqwest::header::CONTENT_TYPE;

use crate::error::Error;
use crate::model::{ChatModel, ChatRequest, ChatResponse};
use crate::resilience::transport::{self, Answer, ApiKey};
use crate::resilience::{Resilience, ResiliencePolicy, is_retryable};
use crate::sse::{Frame, SseDecoder};
use response::{BLANK, Reply};

/// The provider name unless [`OpenAiBuilder::provider`] sets another.
pub const DEFAULT_PROVIDER: &str = "openai";
/// OpenAI's own endpoint, used when `OPENAI_BASE_URL` is unset.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// How structured output is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonMode {
    /// `response_format: {"type": "json_schema", …}` (OpenAI, vLLM, llama.cpp, Ollama).
    /// `strict: true` makes OpenAI enforce the schema, but it then accepts only schemas whose
    /// properties are all required and closed (`additionalProperties: false`), which schemas
    /// derived from types with optional fields are not; servers that constrain decoding
    /// follow the schema either way.
    Schema {
        /// The `strict` flag.
        strict: bool,
    },
    /// `response_format: {"type": "json_object"}`, with the schema appended to the system
    /// prompt: for servers that know only JSON-object mode (DeepSeek).
    Object,
}

impl Default for JsonMode {
    /// `Schema { strict: false }`.
    fn default() -> Self {
        Self::Schema { strict: false }
    }
}

/// An OpenAI-compatible chat model. Build it with [`OpenAiClient::builder`] or
/// [`OpenAiClient::from_env`].
#[derive(Debug)]
pub struct OpenAiClient {
    http: reqwest::Client,
    provider: String,
    api_key: Option<ApiKey>,
    base_url: String,
    model: String,
    dialect: Dialect,
    resilience: Resilience,
}

/// What differs between OpenAI-compatible servers.
#[derive(Debug, Clone, Copy)]
struct Dialect {
    json_mode: JsonMode,
    replay_reasoning: bool,
}

impl Default for Dialect {
    fn default() -> Self {
        Self {
            json_mode: JsonMode::default(),
            replay_reasoning: true,
        }
    }
}

/// Settings for an [`OpenAiClient`].
#[derive(Debug, Clone)]
pub struct OpenAiBuilder {
    provider: String,
    api_key: Option<ApiKey>,
    base_url: String,
    model: String,
    dialect: Dialect,
    policy: ResiliencePolicy,
}

impl OpenAiBuilder {
    /// Settings from `OPENAI_MODEL` (required), `OPENAI_BASE_URL` (default
    /// [`DEFAULT_BASE_URL`]), `OPENAI_API_KEY` (optional: local servers need none) and
    /// `OPENAI_PROVIDER` (the name in traces, default `openai`), read through `var`
    /// (`std::env::var` in [`OpenAiClient::from_env`]). Empty values count as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let provider = var("OPENAI_PROVIDER").unwrap_or_else(|| DEFAULT_PROVIDER.to_owned());
        let model = var("OPENAI_MODEL").ok_or_else(|| Error::NotConfigured {
            provider: provider.clone(),
            what: "OPENAI_MODEL".to_owned(),
        })?;
        let base_url = var("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let mut builder = OpenAiClient::builder(base_url, model).provider(provider);
        if let Some(key) = var("OPENAI_API_KEY") {
            builder = builder.api_key(key);
        }
        Ok(builder)
    }

    /// The bearer token.
    #[must_use]
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        let api_key: String = api_key.into();
        self.api_key = (!api_key.is_empty()).then(|| ApiKey::new(api_key));
        self
    }

    /// The name in traces and [`ChatResponse::provider`]: `deepseek`, `ollama`, …
    #[must_use]
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = provider.into();
        self
    }

    /// How structured output is asked for (default [`JsonMode::default`]).
    #[must_use]
    pub fn json_mode(mut self, json_mode: JsonMode) -> Self {
        self.dialect.json_mode = json_mode;
        self
    }

    /// Whether to send a tool call's [`replay`](crate::ToolCall::replay) back as
    /// `reasoning_content` (DeepSeek) when this client produced it; default on.
    ///
    /// On by default because only this server's own reasoning is ever sent: a replay is made
    /// only from the `reasoning_content` the server returned, so a server that does not know
    /// the field never gets it, and replays tagged with another provider (a Gemini signature)
    /// are left out. Replays are told apart by [`provider`](Self::provider) name alone, so
    /// clients of different servers in one fallback chain need different names (both left at
    /// `openai`, a DeepSeek client's reasoning would reach the other server). Turn it off for a
    /// server that returns reasoning but refuses it back.
    #[must_use]
    pub fn replay_reasoning(mut self, replay: bool) -> Self {
        self.dialect.replay_reasoning = replay;
        self
    }

    /// Timeouts, retries and the circuit breaker (default [`ResiliencePolicy::default`]).
    #[must_use]
    pub fn policy(mut self, policy: ResiliencePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The client.
    pub fn build(self) -> Result<OpenAiClient, Error> {
        Ok(OpenAiClient {
            http: transport::client(&self.provider, self.policy.timeout)?,
            provider: self.provider,
            api_key: self.api_key,
            base_url: self.base_url,
            model: self.model,
            dialect: self.dialect,
            resilience: Resilience::new(self.policy),
        })
    }
}

impl OpenAiClient {
    /// Settings for `model` at `base_url`, the URL that `/chat/completions` follows
    /// (`https://api.deepseek.com/v1`, `http://localhost:11434/v1`).
    pub fn builder(base_url: impl Into<String>, model: impl Into<String>) -> OpenAiBuilder {
        OpenAiBuilder {
            provider: DEFAULT_PROVIDER.to_owned(),
            api_key: None,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            model: model.into(),
            dialect: Dialect::default(),
            policy: ResiliencePolicy::default(),
        }
    }

    /// A client configured by the environment ([`OpenAiBuilder::from_vars`]).
    pub fn from_env() -> Result<Self, Error> {
        OpenAiBuilder::from_vars(|name| std::env::var(name).ok())?.build()
    }

    /// The model it asks.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Its resilience (policy and circuit breaker).
    pub fn resilience(&self) -> &Resilience {
        &self.resilience
    }

    fn body(&self, request: &ChatRequest, stream: bool) -> Result<Vec<u8>, Error> {
        let body = request::build(request, &self.provider, &self.model, self.dialect, stream);
        serde_json::to_vec(&body).map_err(|e| Error::Malformed {
            provider: self.provider.clone(),
            reason: format!("the request does not serialize: {e}"),
        })
    }

    fn post(&self, body: &[u8]) -> reqwest::RequestBuilder {
        let request = self
            .http
            .post(format!("{}/chat/completions", self.base_url))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        match &self.api_key {
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        }
    }

    fn retryable(error: &Error) -> bool {
        is_retryable(error) || matches!(error, Error::Blocked { reason, .. } if reason == BLANK)
    }

    async fn once(&self, body: &[u8]) -> Result<ChatResponse, Error> {
        let Answer {
            status,
            headers,
            body,
        } = transport::exchange(&self.provider, self.post(body)).await?;
        if !status.is_success() {
            return Err(response::http_error(
                &self.provider,
                status.as_u16(),
                &headers,
                &body,
            ));
        }
        let mut reply = Reply::default();
        let text = String::from_utf8_lossy(&body);
        reply.absorb(response::parse_chunk(&self.provider, &text)?, &|_| {});
        reply.finish(&self.provider, &self.model)
    }

    async fn stream_once(
        &self,
        body: &[u8],
        on_text: &(dyn Fn(&str) + Send + Sync),
        emitted: &AtomicBool,
    ) -> Result<ChatResponse, Error> {
        let provider = self.provider.as_str();
        let idle = self.resilience.policy().timeout;
        let mut answer = transport::send(provider, self.post(body), idle).await?;
        if !answer.status().is_success() {
            let Answer {
                status,
                headers,
                body,
            } = transport::read_all_within(provider, answer, idle).await?;
            return Err(response::http_error(
                provider,
                status.as_u16(),
                &headers,
                &body,
            ));
        }
        let mut decoder = SseDecoder::default();
        let mut reply = Reply::default();
        let mut done = false;
        let on_piece = |piece: &str| {
            emitted.store(true, Ordering::Relaxed);
            on_text(piece);
        };
        let absorb = |frames: Vec<Frame>, reply: &mut Reply, done: &mut bool| {
            for frame in frames {
                match frame {
                    Frame::Data(data) if data.trim() == "[DONE]" => *done = true,
                    Frame::Data(data) => {
                        reply.absorb(response::parse_chunk(provider, &data)?, &on_piece);
                    }
                    Frame::Raw(raw) => return Err(response::raw_error(provider, &raw)),
                    Frame::TooLarge => return Err(crate::sse::too_large(provider)),
                }
            }
            Ok(())
        };
        while let Some(chunk) = transport::next_chunk(provider, &mut answer, idle).await? {
            absorb(decoder.push(&chunk), &mut reply, &mut done)?;
        }
        absorb(decoder.finish(), &mut reply, &mut done)?;
        if !done {
            return Err(Error::Transport {
                provider: provider.to_owned(),
                reason: "the stream ended before [DONE]".to_owned(),
            });
        }
        reply.finish(provider, &self.model)
    }
}

#[async_trait]
impl ChatModel for OpenAiClient {
    fn provider(&self) -> &str {
        &self.provider
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, Error> {
        let body = self.body(request, false)?;
        let limit = Some(self.resilience.policy().timeout);
        self.resilience
            .run(&self.provider, limit, Self::retryable, || self.once(&body))
            .await
    }

    /// Streams with `stream: true` (and `stream_options.include_usage`). An attempt that
    /// fails before any text reached `on_text` is retried like [`chat`](ChatModel::chat);
    /// after that it is not, as the text cannot be taken back.
    async fn chat_stream(
        &self,
        request: &ChatRequest,
        on_text: &(dyn for<'s> Fn(&'s str) + Send + Sync),
    ) -> Result<ChatResponse, Error> {
        let body = self.body(request, true)?;
        let emitted = AtomicBool::new(false);
        let retryable = |e: &Error| !emitted.load(Ordering::Relaxed) && Self::retryable(e);
        self.resilience
            .run(&self.provider, None, retryable, || {
                self.stream_once(&body, on_text, &emitted)
            })
            .await
    }
}
