//! Tests of agent-nodes through its public API.
mod fake;
mod fake_gemini;
mod fake_openai;
mod gemini;
mod gemini_stream;
mod nlu;
mod nodes;
mod openai;
mod openai_stream;
mod policies;
mod resilience;
