//! Cross-crate tests: the examples run end to end, the dependency rules of ARCHITECTURE.md
//! hold, and the tidy rules (a `//!` line per source file, long files explained, nothing
//! pointing outside the repository), and the docs' links and paths resolve.

mod architecture;
mod docs;
mod examples_run;
mod intent_example;
mod tidy;
