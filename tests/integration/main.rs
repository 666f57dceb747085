//! Cross-crate tests: the examples run end to end, and the dependency rules of ARCHITECTURE.md
//! hold.

mod architecture;
mod examples_run;
mod hotel_conversations;
mod intent_example;
