//! Fallback chains, so a guest is always answered: [`FallbackModel`] tries chat models in order
//! (Gemini, then an OpenAI-compatible server, …), and [`FallbackUnderstand`] tries
//! understanders in order, ending with the offline NLU, which needs no network and cannot be
//! rate-limited. [`LlmUnderstand`] makes any chat model an understander through structured
//! output. Whoever answered is named in the result (`provider`), so traces show it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{ChatModel, ChatRequest, ChatResponse};
use crate::nlu::{Entities, Intent, Language, Sentiment, Understand, Understanding};

/// Chat models tried in order until one answers.
pub struct FallbackModel {
    models: Vec<Arc<dyn ChatModel>>,
}

impl FallbackModel {
    /// A chain of `models`, tried first to last.
    pub fn new(models: Vec<Arc<dyn ChatModel>>) -> Self {
        Self { models }
    }
}

#[async_trait]
impl ChatModel for FallbackModel {
    fn provider(&self) -> &str {
        "fallback"
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, Error> {
        let mut failures = Vec::new();
        for model in &self.models {
            match model.chat(request).await {
                Ok(response) => return Ok(response),
                Err(error) => {
                    tracing::warn!(provider = model.provider(), %error, "falling back");
                    failures.push((model.provider().to_owned(), error.to_string()));
                }
            }
        }
        Err(Error::Exhausted { failures })
    }

    async fn chat_stream(
        &self,
        request: &ChatRequest,
        on_text: &(dyn for<'s> Fn(&'s str) + Send + Sync),
    ) -> Result<ChatResponse, Error> {
        let mut failures = Vec::new();
        for model in &self.models {
            let streamed = std::sync::atomic::AtomicBool::new(false);
            let watched = |text: &str| {
                streamed.store(true, std::sync::atomic::Ordering::Relaxed);
                on_text(text);
            };
            match model.chat_stream(request, &watched).await {
                Ok(response) => return Ok(response),
                // The guest has already seen part of this answer: a second model's answer
                // would be glued onto it, so the failure stands.
                Err(error) if streamed.load(std::sync::atomic::Ordering::Relaxed) => {
                    return Err(error);
                }
                Err(error) => {
                    tracing::warn!(provider = model.provider(), %error, "falling back");
                    failures.push((model.provider().to_owned(), error.to_string()));
                }
            }
        }
        Err(Error::Exhausted { failures })
    }
}

/// Understanders tried in order until one answers; put the offline NLU last.
pub struct FallbackUnderstand {
    chain: Vec<Arc<dyn Understand>>,
}

impl FallbackUnderstand {
    /// A chain of understanders, tried first to last.
    pub fn new(chain: Vec<Arc<dyn Understand>>) -> Self {
        Self { chain }
    }
}

#[async_trait]
impl Understand for FallbackUnderstand {
    fn provider(&self) -> &str {
        "fallback"
    }

    async fn understand(&self, text: &str, today: NaiveDate) -> Result<Understanding, Error> {
        let mut failures = Vec::new();
        for understander in &self.chain {
            match understander.understand(text, today).await {
                Ok(understanding) => return Ok(understanding),
                Err(error) => {
                    tracing::warn!(provider = understander.provider(), %error, "falling back");
                    failures.push((understander.provider().to_owned(), error.to_string()));
                }
            }
        }
        Err(Error::Exhausted { failures })
    }
}

/// What an LLM is asked to fill in: an [`Understanding`] without the provider.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Reading {
    intent: Intent,
    /// From 0 to 1.
    confidence: f32,
    language: Language,
    entities: Entities,
    sentiment: Sentiment,
}

/// Understands messages with a chat model's structured output.
pub struct LlmUnderstand {
    model: Arc<dyn ChatModel>,
    instructions: String,
}

impl LlmUnderstand {
    /// Understands with `model`. `instructions` describe the business (which hotels and rooms
    /// exist, what the intents mean there); the answer's shape is fixed by the schema.
    pub fn new(model: Arc<dyn ChatModel>, instructions: impl Into<String>) -> Self {
        Self {
            model,
            instructions: instructions.into(),
        }
    }
}

#[async_trait]
impl Understand for LlmUnderstand {
    fn provider(&self) -> &str {
        self.model.provider()
    }

    async fn understand(&self, text: &str, today: NaiveDate) -> Result<Understanding, Error> {
        let system = format!(
            "{}\n\nClassify the guest's message and extract what it says. Today is {today} \
             ({}); resolve relative dates against it and write dates as YYYY-MM-DD. Use only \
             the fields of the schema; leave out what the message does not say.",
            self.instructions,
            today.format("%A")
        );
        let request = ChatRequest::new(system, text).with_schema::<Reading>();
        let response = self.model.chat(&request).await?;
        let reading: Reading = response.json()?;
        if !(0.0..=1.0).contains(&reading.confidence) {
            return Err(Error::Malformed {
                provider: response.provider,
                reason: format!("confidence {} is outside 0..=1", reading.confidence),
            });
        }
        Ok(Understanding {
            intent: reading.intent,
            confidence: reading.confidence,
            language: reading.language,
            entities: reading.entities,
            sentiment: reading.sentiment,
            provider: response.provider,
        })
    }
}
