//! Runnable examples of graph-core. Each graph is built by a function here so the `tests`
//! package can run and snapshot it; the binaries in `src/bin` run them for people.
//!
//! Run with:
//!
//! ```text
//! cargo run -p examples --bin approval            # answers the approval with "yes"
//! cargo run -p examples --bin approval -- no      # or with "no"
//! cargo run -p examples --bin crash_loop -- --db c.db --effects e.txt --runs r.txt
//! cargo run -p examples --bin intent -- "a double room from Dec 3 to 6 for 2"
//! ```
//!
//! The approval graph pauses for a person and goes on with their answer:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use examples::{RequestUpdate, approval_graph};
//! use graph_core::{Resume, RunConfig, RunStatus};
//!
//! let graph = approval_graph()?;
//! let config = RunConfig::thread("guest-42");
//! let paused = graph.invoke(RequestUpdate::default().ask("suite 2 nights"), &config).await?;
//! assert!(matches!(paused.status, RunStatus::Interrupted(_)));
//! let done = graph.resume(&config, Resume::value("yes")).await?;
//! assert_eq!(done.state.approved, Some(true));
//! assert!(done.state.log.last().is_some_and(|line| line.starts_with("confirmed as REF-")));
//! # Ok(()) }
//! ```

pub mod crash;
pub mod intent;

use std::sync::Arc;

use graph_core::{BuildError, CompiledGraph, InMemoryCheckpointer};

/// A booking request that a human approves before it is confirmed: the state of the
/// approval graph, which the server also serves over LangGraph's HTTP API (one definition, in
/// `agent_protocol::samples`; read it there).
pub type Request = agent_protocol::samples::Approval;

/// An update of [`Request`].
pub type RequestUpdate = agent_protocol::samples::ApprovalUpdate;

/// The approval graph: draft → approve (interrupt) → confirm | decline, with an in-memory
/// checkpointer so the interrupt can be resumed.
pub fn approval_graph() -> Result<CompiledGraph<Request>, BuildError> {
    Ok(agent_protocol::samples::approval_graph()?
        .with_checkpointer(Arc::new(InMemoryCheckpointer::new())))
}

/// docs/langgraph.md's examples, compiled and run as doctests so the guide cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../../docs/langgraph.md")]
struct LangGraphGuide;
