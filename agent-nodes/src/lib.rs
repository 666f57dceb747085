//! agent-nodes: the LLM layer for graph-core graphs. Model clients (Gemini and any
//! OpenAI-compatible server) behind one [`ChatModel`] trait, with retries, a circuit breaker
//! and a fallback chain; an offline rule-based NLU ([`nlu`]) that needs no network and no key;
//! and reusable nodes: an intent router, an LLM prompt node, a tool node and validators.
//!
//! Nothing here knows about hotels: prompts, the meaning of intents and the tools live with the
//! agent that uses them.
//!
//! # A tour
//!
//! - [`nlu`]: [`nlu::Understand`] reads a message into an [`nlu::Understanding`] (intent with a
//!   confidence, dates, party, room, hotel, booking reference, language, sentiment).
//!   [`nlu::OfflineNlu`] is the embedded English/Spanish engine; the business's own words
//!   (hotel and room names) come in a [`nlu::Lexicon`]. "Today" is always an argument, so a
//!   test decides what "next Friday" means.
//! - [`ChatModel`] is one trait over model providers: [`gemini::GeminiClient`] and
//!   [`openai::OpenAiClient`] (OpenAI, DeepSeek, Ollama, vLLM, llama.cpp), with requests,
//!   tool calls and streaming in one vocabulary ([`Message`], [`ToolSpec`], [`ChatResponse`]).
//!   [`resilience`] retries with the server's delay and opens a circuit breaker.
//! - [`fallback`]: [`fallback::LlmUnderstand`] makes any chat model an understander through
//!   structured output, [`fallback::FallbackUnderstand`] asks understanders in order (a model
//!   first, the offline NLU last), and [`fallback::FallbackModel`] does the same for chat
//!   models. Whoever answered is named in the result.
//! - [`nodes`]: graph-core nodes built on those: [`nodes::IntentRouter`] routes on the intent,
//!   and there are nodes for a prompt, for tool calls and for validation.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use agent_nodes::nlu::{Intent, Language, Lexicon, LexiconRoom, OfflineNlu, Understanding};
//! use agent_nodes::nodes::IntentRouter;
//! use graph_core::{Ctx, END, NodeError, RunConfig, START, State, StateGraph};
//!
//! #[derive(State, Clone, Default, Debug)]
//! struct Chat {
//!     message: String,
//!     understanding: Option<Understanding>,
//!     #[state(append)]
//!     path: Vec<String>,
//! }
//!
//! // The business's words: one room type, with its names in both languages.
//! let lexicon = Lexicon {
//!     room_types: vec![LexiconRoom { id: "double".into(), names: vec!["double".into(), "doble".into()] }],
//!     ..Lexicon::default()
//! };
//! let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).ok_or("bad date")?; // a Sunday
//! let mut graph = StateGraph::<Chat>::new();
//! IntentRouter::new(
//!     Arc::new(OfflineNlu::new(lexicon)),
//!     |s: &Chat| Some(s.message.clone()),
//!     |u| ChatUpdate::default().understanding(Some(u)),
//!     "help", // below the confidence threshold, or an intent with no route
//! )
//! .route(Intent::ReservationRequest, "book")
//! .today(move || today)
//! .add_to(&mut graph, "route");
//! graph.add_node("book", |_s: Arc<Chat>, _ctx: Ctx| async {
//!     Ok::<_, NodeError>(ChatUpdate::default().path(vec!["book".into()]))
//! });
//! graph.add_node("help", |_s: Arc<Chat>, _ctx: Ctx| async {
//!     Ok::<_, NodeError>(ChatUpdate::default().path(vec!["help".into()]))
//! });
//! graph.add_edge(START, "route").add_edge("book", END).add_edge("help", END);
//! let graph = graph.compile()?;
//!
//! let message = "hola, quiero una doble del viernes al domingo para 2";
//! let out = graph.invoke(ChatUpdate::default().message(message), &RunConfig::thread("t")).await?;
//! let read = out.state.understanding.as_ref().ok_or("not understood")?;
//! assert_eq!(out.state.path, ["book"]);
//! assert_eq!((read.intent, read.language), (Intent::ReservationRequest, Language::Es));
//! assert_eq!(read.entities.room_type.as_deref(), Some("double"));
//! assert_eq!(read.entities.check_in, chrono::NaiveDate::from_ymd_opt(2026, 11, 27));
//! assert_eq!(read.entities.adults, Some(2));
//! # Ok(()) }
//! ```

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
