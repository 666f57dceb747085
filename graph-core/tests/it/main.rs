//! graph-core's integration tests, one binary: LangGraph's acceptance checks ported to typed Rust,
//! persistence and resume, streaming and export.

// Test fixtures are shared across this binary's modules, not a documented API.
#![allow(missing_docs)]

mod async_durability;
mod background;
mod breakpoints;
mod cache;
mod conformance;
mod defer;
mod edits;
mod error_handler;
mod export;
mod history;
mod hitl;
mod joins;
mod keep_last;
mod node_defaults;
mod overwrite;
mod parent_command;
mod persistence;
mod props;
mod push_state;
mod regressions;
mod routing;
mod semantics;
mod store;
mod stream_modes;
mod streaming;
mod subgraph_mapped;
mod subgraph_resume;
mod subgraph_state;
mod subgraphs;
mod timeouts;

use std::future::{Ready, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use graph_core::{Ctx, InMemoryCheckpointer, NodeError, State};
use serde::{Deserialize, Serialize};

/// The state most tests use: an append-only log plus a few overwrite fields.
#[derive(State, Clone, Default, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[state(schema)]
pub struct Log {
    #[state(append)]
    pub log: Vec<String>,
    pub x: i64,
    pub flag: bool,
    pub v: String,
    pub w: Option<String>,
    #[state(add)]
    pub n: u32,
}

/// An update appending one entry to `log`.
pub fn push(entry: impl Into<String>) -> LogUpdate {
    LogUpdate::default().log(vec![entry.into()])
}

/// A node that appends its name.
pub fn append(
    name: &'static str,
) -> impl Fn(Arc<Log>, Ctx) -> Ready<Result<LogUpdate, NodeError>> + Send + Sync + 'static {
    move |_, _| ready(Ok(push(name)))
}

/// START → a → b → c, each appending its name.
pub fn chain() -> graph_core::StateGraph<Log> {
    let mut g = graph_core::StateGraph::<Log>::new();
    for name in ["a", "b", "c"] {
        g.add_node(name, append(name));
    }
    g.add_edge(graph_core::START, "a")
        .add_edge("a", "b")
        .add_edge("b", "c");
    g
}

/// Counts calls.
#[derive(Clone, Default)]
pub struct Calls(Arc<AtomicUsize>);
impl Calls {
    pub fn hit(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

pub fn memory() -> Arc<InMemoryCheckpointer> {
    Arc::new(InMemoryCheckpointer::new())
}
