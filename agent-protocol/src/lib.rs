//! agent-protocol: LangGraph's HTTP API for graph-core graphs, in the dialect the official
//! `langgraph_sdk` (Python) and `@langchain/langgraph-sdk` (TypeScript) speak, so clients
//! written for LangGraph's server drive these graphs unmodified: assistants, threads, runs
//! (streamed over SSE, in the background, or waited for), interrupts answered with
//! `Command(resume=…)`, history, state edits, and the store.
//!
//! A graph is served through [`ServedGraph`], which [`Served`] implements for every
//! `CompiledGraph<S>` whose state serialises. Threads, runs and run events are kept behind
//! [`RunStore`] ([`MemoryRunStore`] here; the server keeps them in SQLite), store items behind
//! graph-core's [`Store`](graph_core::Store). A thread's runs wait for one another through
//! [`ThreadLocks`], which a host shares with whatever else runs graphs on the same threads.
//!
//! ```
//! use std::sync::Arc;
//! use agent_protocol::{Api, MemoryRunStore, Served, samples};
//! use graph_core::InMemoryCheckpointer;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let approval = samples::approval_graph()?.with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
//! let api = Api::builder(Arc::new(MemoryRunStore::new()))
//!     .graph(Served::new("approval", approval))
//!     .build()?;
//! let router: axum::Router = api.router(); // serve it with axum::serve
//! # drop(router);
//! # Ok(()) }
//! ```

mod api;
mod error;
mod exclusion;
mod frames;
mod http;
mod memory;
mod records;
mod request;
mod runs;
pub mod samples;
mod served;
mod shapes;
#[cfg(feature = "testing")]
pub mod testing;

pub use api::{Api, ApiBuilder, DEFAULT_EVENT_RETENTION, STALE_AFTER, assistant_id};
pub use error::Error;
pub use exclusion::{ThreadHold, ThreadLocks};
pub use memory::{MemoryRunStore, sort_threads};
pub use records::{
    CancelAction, Multitask, REJECTED, RunEnd, RunRecord, RunStatus, RunStore, StoredEvent,
    ThreadQuery, ThreadRecord, ThreadSort, ThreadStatus, thread_matches,
};
pub use served::{
    Json, JsonEvent, JsonKind, JsonOutcome, JsonSnapshot, Schemas, Served, ServedGraph, Start,
    Step, Steps,
};

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    i64::try_from(graph_core::system_clock()).unwrap_or(i64::MAX)
}
