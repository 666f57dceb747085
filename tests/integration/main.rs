//! Cross-crate tests: the examples run end to end, the dependency rules of ARCHITECTURE.md
//! hold, and the tidy rules (a `//!` line per source file, long files explained, nothing
//! pointing outside the repository).

mod architecture;
mod examples_run;
mod intent_example;
mod tidy;
