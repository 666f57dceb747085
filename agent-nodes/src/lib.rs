//! agent-nodes: the LLM layer for graph-core graphs. Model clients (Gemini and any
//! OpenAI-compatible server) behind one [`ChatModel`] trait, with retries, a circuit breaker
//! and a fallback chain; an offline rule-based NLU ([`nlu`]) that needs no network and no key;
//! and reusable nodes: an intent router, an LLM prompt node, a tool node and validators.
//!
//! Nothing here knows about hotels: prompts, the meaning of intents and the tools live with the
//! agent that uses them.

pub mod error;
pub mod fallback;
pub mod gemini;
pub mod model;
pub mod nlu;
pub mod nodes;
pub mod openai;
pub mod resilience;
mod sse;

pub use error::Error;
pub use model::{
    ChatModel, ChatRequest, ChatResponse, FinishReason, Message, Part, Replay, Role, ToolCall,
    ToolChoice, ToolResult, ToolSpec, Usage, schema_of,
};
