//! Cross-crate tests: the examples run end to end, and the dependency rules of ARCHITECTURE.md
//! hold.

mod architecture;
mod examples_run;
mod intent_example;
