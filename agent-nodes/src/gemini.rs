//! [`GeminiClient`]: Google's Gemini API (`generativelanguage` v1beta) as a [`ChatModel`].
//!
//! Tools are declared with their JSON Schema (`parametersJsonSchema`), structured output uses
//! `responseJsonSchema`, and a function call's `thoughtSignature` is kept in
//! [`ToolCall::replay`](crate::ToolCall::replay) (tagged `gemini`) and sent back with the call,
//! which Gemini 3 requires. Another provider's replay is never sent; a model turn with calls
//! but no Gemini signature (another provider's turn, after a fallback) gets Google's
//! documented bypass signature on its first call instead. A blocked prompt, a safety stop or
//! an empty turn is [`Error::Blocked`], so a fallback chain moves on. Calls go through the
//! client's [`Resilience`].
//!
//! ```no_run
//! use agent_nodes::gemini::GeminiClient;
//! use agent_nodes::{ChatModel, ChatRequest};
//!
//! # async fn example() -> Result<(), agent_nodes::Error> {
//! let gemini = GeminiClient::from_env()?; // GEMINI_API_KEY, GEMINI_MODEL, GEMINI_BASE_URL
//! let answer = gemini.chat(&ChatRequest::new("You are terse.", "Hola")).await?;
//! println!("{} ({})", answer.text(), answer.model);
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
use response::Turn;

/// What [`GeminiClient::provider`](ChatModel::provider) says.
pub const PROVIDER: &str = "gemini";
/// The public endpoint.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// The cheapest stable Gemini 3 model at the time of writing; override with `GEMINI_MODEL`.
pub const DEFAULT_MODEL: &str = "gemini-3.5-flash-lite";

/// A Gemini chat model. Build it with [`GeminiClient::builder`] or [`GeminiClient::from_env`].
#[derive(Debug)]
pub struct GeminiClient {
    http: reqwest::Client,
    api_key: ApiKey,
    base_url: String,
    model: String,
    thinking_level: Option<String>,
    resilience: Resilience,
}

/// Settings for a [`GeminiClient`].
#[derive(Debug, Clone)]
pub struct GeminiBuilder {
    api_key: ApiKey,
    base_url: String,
    model: String,
    thinking_level: Option<String>,
    policy: ResiliencePolicy,
}

impl GeminiBuilder {
    /// Settings from `GEMINI_API_KEY` (required), `GEMINI_MODEL` and `GEMINI_BASE_URL`, read
    /// through `var` (`std::env::var` in [`GeminiClient::from_env`]). Empty values count as
    /// unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let api_key = var("GEMINI_API_KEY").ok_or_else(|| Error::NotConfigured {
            provider: PROVIDER.to_owned(),
            what: "GEMINI_API_KEY".to_owned(),
        })?;
        let mut builder = GeminiClient::builder(api_key);
        if let Some(model) = var("GEMINI_MODEL") {
            builder = builder.model(model);
        }
        if let Some(base_url) = var("GEMINI_BASE_URL") {
            builder = builder.base_url(base_url);
        }
        Ok(builder)
    }

    /// The server, without `/v1beta` (default [`DEFAULT_BASE_URL`]).
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The model id, e.g. `gemini-3.8-flash` (default [`DEFAULT_MODEL`]).
    #[must_use]
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// `generationConfig.thinkingConfig.thinkingLevel` (`MINIMAL`, `LOW`, `MEDIUM`, `HIGH`);
    /// unset leaves the model's default. `LOW` is accepted by every Gemini 3 model.
    #[must_use]
    pub fn thinking_level(mut self, level: impl Into<String>) -> Self {
        self.thinking_level = Some(level.into());
        self
    }

    /// Timeouts, retries and the circuit breaker (default [`ResiliencePolicy::default`]).
    #[must_use]
    pub fn policy(mut self, policy: ResiliencePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The client.
    pub fn build(self) -> Result<GeminiClient, Error> {
        Ok(GeminiClient {
            http: transport::client(PROVIDER, self.policy.timeout)?,
            api_key: self.api_key,
            base_url: self.base_url,
            model: self.model,
            thinking_level: self.thinking_level,
            resilience: Resilience::new(self.policy),
        })
    }
}

impl GeminiClient {
    /// Settings with `api_key` and the defaults.
    pub fn builder(api_key: impl Into<String>) -> GeminiBuilder {
        GeminiBuilder {
            api_key: ApiKey::new(api_key.into()),
            base_url: DEFAULT_BASE_URL.to_owned(),
            model: DEFAULT_MODEL.to_owned(),
            thinking_level: None,
            policy: ResiliencePolicy::default(),
        }
    }

    /// A client configured by the environment ([`GeminiBuilder::from_vars`]).
    pub fn from_env() -> Result<Self, Error> {
        GeminiBuilder::from_vars(|name| std::env::var(name).ok())?.build()
    }

    /// The model it asks.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Its resilience (policy and circuit breaker).
    pub fn resilience(&self) -> &Resilience {
        &self.resilience
    }

    fn url(&self, method: &str) -> String {
        format!("{}/v1beta/models/{}:{method}", self.base_url, self.model)
    }

    fn post(&self, url: &str, body: &[u8]) -> reqwest::RequestBuilder {
        self.http
            .post(url)
            .header("x-goog-api-key", self.api_key.expose())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec())
    }

    fn body(&self, request: &ChatRequest) -> Result<Vec<u8>, Error> {
        let body = request::build(request, self.thinking_level.as_deref());
        serde_json::to_vec(&body).map_err(|e| Error::Malformed {
            provider: PROVIDER.to_owned(),
            reason: format!("the request does not serialize: {e}"),
        })
    }

    async fn once(&self, url: &str, body: &[u8]) -> Result<ChatResponse, Error> {
        let Answer {
            status,
            headers,
            body,
        } = transport::exchange(PROVIDER, self.post(url, body)).await?;
        if !status.is_success() {
            return Err(response::http_error(status.as_u16(), &headers, &body));
        }
        let mut turn = Turn::default();
        turn.absorb(
            response::parse_chunk(&String::from_utf8_lossy(&body))?,
            &|_| {},
        );
        turn.finish(&self.model)
    }

    async fn stream_once(
        &self,
        url: &str,
        body: &[u8],
        on_text: &(dyn Fn(&str) + Send + Sync),
        emitted: &AtomicBool,
    ) -> Result<ChatResponse, Error> {
        let idle = self.resilience.policy().timeout;
        let mut answer = transport::send(PROVIDER, self.post(url, body), idle).await?;
        if !answer.status().is_success() {
            let Answer {
                status,
                headers,
                body,
            } = transport::read_all_within(PROVIDER, answer, idle).await?;
            return Err(response::http_error(status.as_u16(), &headers, &body));
        }
        let mut decoder = SseDecoder::default();
        let mut turn = Turn::default();
        let on_piece = |piece: &str| {
            emitted.store(true, Ordering::Relaxed);
            on_text(piece);
        };
        let absorb = |frames: Vec<Frame>, turn: &mut Turn| -> Result<(), Error> {
            for frame in frames {
                match frame {
                    Frame::Data(data) => turn.absorb(response::parse_chunk(&data)?, &on_piece),
                    Frame::Raw(raw) => return Err(response::raw_error(&raw)),
                    Frame::TooLarge => return Err(crate::sse::too_large(PROVIDER)),
                }
            }
            Ok(())
        };
        while let Some(chunk) = transport::next_chunk(PROVIDER, &mut answer, idle).await? {
            absorb(decoder.push(&chunk), &mut turn)?;
        }
        absorb(decoder.finish(), &mut turn)?;
        if !turn.is_finished() {
            return Err(Error::Transport {
                provider: PROVIDER.to_owned(),
                reason: "the stream ended before its last chunk".to_owned(),
            });
        }
        turn.finish(&self.model)
    }
}

#[async_trait]
impl ChatModel for GeminiClient {
    fn provider(&self) -> &str {
        PROVIDER
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, Error> {
        let body = self.body(request)?;
        let url = self.url("generateContent");
        let limit = Some(self.resilience.policy().timeout);
        self.resilience
            .run(PROVIDER, limit, is_retryable, || self.once(&url, &body))
            .await
    }

    /// Streams over SSE (`:streamGenerateContent?alt=sse`). An attempt that fails before any
    /// text reached `on_text` is retried like [`chat`](ChatModel::chat); after that it is not,
    /// as the text cannot be taken back.
    async fn chat_stream(
        &self,
        request: &ChatRequest,
        on_text: &(dyn for<'s> Fn(&'s str) + Send + Sync),
    ) -> Result<ChatResponse, Error> {
        let body = self.body(request)?;
        let url = format!("{}?alt=sse", self.url("streamGenerateContent"));
        let emitted = AtomicBool::new(false);
        let retryable = |e: &Error| !emitted.load(Ordering::Relaxed) && is_retryable(e);
        self.resilience
            .run(PROVIDER, None, retryable, || {
                self.stream_once(&url, &body, on_text, &emitted)
            })
            .await
    }
}
