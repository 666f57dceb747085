//! graph-core runs a directed graph of async nodes against typed state, in supersteps, with a
//! checkpoint after every superstep, so a run interrupted by a crash, an error or a human-in-the-
//! loop pause resumes exactly where it stopped. It follows Python LangGraph's semantics where they
//! are sound and is stricter where LangGraph is silent (unknown routing targets and conflicting
//! writes are errors). It does no I/O: storage is behind the [`Checkpointer`] and [`Store`] traits.
//!
//! # A graph in a few lines
//!
//! State is a struct with `#[derive(State)]`; fields overwrite unless they name a reducer. A node
//! is an async function from a snapshot of the state to a typed partial update. An update may
//! still replace a reducer field for one write with [`Overwrite`]: `.log(Overwrite(vec![]))`.
//!
//! ```
//! use std::sync::Arc;
//! use graph_core::{Ctx, END, NodeError, RunConfig, START, State, StateGraph};
//!
//! #[derive(State, Clone, Default, Debug)]
//! struct Chat {
//!     question: String,
//!     #[state(append)]
//!     log: Vec<String>,
//! }
//!
//! async fn classify(s: Arc<Chat>, _ctx: Ctx) -> Result<ChatUpdate, NodeError> {
//!     Ok(ChatUpdate::default().log(vec![format!("classified {}", s.question)]))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut graph = StateGraph::<Chat>::new();
//! graph.add_node("classify", classify);
//! graph.add_node("answer", |_s: Arc<Chat>, _ctx: Ctx| async {
//!     Ok(ChatUpdate::default().log(vec!["answered".to_owned()]))
//! });
//! graph.add_edge(START, "classify");
//! graph.add_conditional_edge("classify", ["answer", "classify"], |s: &Chat| {
//!     if s.log.len() < 2 { "classify" } else { "answer" }
//! });
//! graph.add_edge("answer", END);
//! let graph = graph.compile()?;
//!
//! let out = graph.invoke(ChatUpdate::default().question("rooms?"), &RunConfig::thread("t1")).await?;
//! assert_eq!(out.state.log, ["classified rooms?", "classified rooms?", "answered"]);
//! # Ok(()) }
//! ```
//!
//! # Concepts
//!
//! - A **superstep** runs every triggered **task** concurrently on the same snapshot of the
//!   state, then applies their **updates** in task order (pull tasks by node name, then push
//!   tasks in push order), never in finish order. Each field's **reducer** combines updates;
//!   two updates of a field without one in a superstep are an [`Error::Conflict`]. An
//!   [`Overwrite`] of a reducer field wins its superstep; two are an
//!   [`Error::OverwriteConflict`].
//! - A **join** ([`StateGraph::add_join_edge`]) runs its target once all its sources ran in the
//!   run; a run that would end with a join part-way fails with [`Error::JoinStarved`] rather
//!   than drop its target. A node made with [`NodeOptions::defer`] is **deferred**: once
//!   triggered it waits while any other task is planned, then runs once, which fans in branches
//!   of uneven length, or that may not all run.
//! - A node that fails after its retries ([`NodeOptions::retry`]; an attempt can time out in
//!   all or idle, [`TimeoutPolicy`]) fails the run, unless it has an **error handler** ([`NodeOptions::on_error`]): a task of its
//!   own, `__error_handler__<node>`, told the [`NodeFailure`], whose update or [`Command`] takes
//!   the node's place, saved like a node's output. [`StateGraph::node_defaults`] gives every
//!   node that sets none itself a retry policy, a timeout policy and an error handler.
//! - After each superstep a **checkpoint** is saved to the graph's [`Checkpointer`]
//!   ([`InMemoryCheckpointer`] here; the `checkpoint` crate has SQLite) under a **thread**. Each
//!   task saves its output as a pending write the moment it finishes, so a resume after a
//!   failure or crash re-runs only unfinished tasks.
//! - A node's routes and commands can fan out with [`Push`] (LangGraph's `Send`): each push is
//!   a task of the next superstep with an input of its own, either a typed argument for a node
//!   added with [`StateGraph::add_push_node`] ([`Push::new`]), or a state update for an ordinary
//!   node ([`Push::state`]), which runs on its own copy of the state with the update applied.
//! - [`Ctx::interrupt`] pauses a run for a human (**interrupt**); [`CompiledGraph::resume`]
//!   answers it. [`Ctx::effect`] journals a side effect so a re-run returns its saved result.
//! - A node with a [`CachePolicy`] ([`NodeOptions::cache`]) in a graph with a [`Cache`]
//!   ([`CompiledGraph::with_cache`]; [`InMemoryCache`] here, SQLite in the `checkpoint` crate)
//!   is not called for an input it has a fresh result for: the **cached** output is applied and
//!   saved as if the node had returned it, and its events say so ([`Event::cached`]).
//! - A compiled graph can be a node of another graph of the same state: a **subgraph**
//!   ([`StateGraph::add_subgraph`]). It runs its supersteps inside one task of its parent and
//!   hands back its net change ([`State::diff`]); its checkpoints go to the parent's thread in a
//!   [`Namespace`] of their own, and its interrupts, failures and events surface on the parent,
//!   whose resume continues it where it stopped. A node inside it can end it and route the
//!   parent instead ([`Command::parent`]). A graph of another state type is a subgraph too,
//!   with its input and output mapped ([`StateGraph::add_subgraph_mapped`], [`SubgraphMap`]).
//!   [`CompiledGraph::get_state_with`] shows a stopped subgraph's state in its parent's task
//!   ([`StateOptions`]), and a subgraph's history is addressed by its namespace
//!   ([`RunConfig::namespace`]); a replay from one of its checkpoints
//!   ([`RunConfig::at_checkpoint`]) runs none of what the subgraph ran before it.
//! - A [`Store`] ([`CompiledGraph::with_store`]; [`InMemoryStore`] here, SQLite in the
//!   `checkpoint` crate) is **long-term memory** shared by every thread: JSON items by
//!   namespace and key, with a ttl, that nodes read and write through [`Ctx::store`].
//! - [`CompiledGraph::stream`] yields typed [`Event`]s of the [`StreamMode`]s asked for
//!   (LangGraph's `values`, `updates`, `messages`, `custom`, `tasks`, `checkpoints`, `debug`);
//!   [`CompiledGraph::spawn`] starts a run in the background that late [`Subscription`]s can
//!   replay, which only [`RunHandle::cancel`] stops. [`Durability`] says whether a checkpoint is
//!   stored before the next superstep (`Sync`), while it runs (`Async`) or when the run stops
//!   (`Exit`). [`CompiledGraph::to_dot`] and [`CompiledGraph::to_mermaid`] draw the graph.
//!
//! # Subgraphs
//!
//! ```
//! use std::sync::Arc;
//! use graph_core::{Ctx, InMemoryCheckpointer, Resume, RunConfig, RunStatus, START, State, StateGraph};
//!
//! #[derive(State, Clone, Default, Debug)]
//! struct Order {
//!     #[state(append)]
//!     log: Vec<String>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A payment flow, written and tested on its own.
//! let mut payment = StateGraph::<Order>::new();
//! payment.add_node("quote", |_s: Arc<Order>, _ctx: Ctx| async {
//!     Ok(OrderUpdate::default().log(vec!["quoted".to_owned()]))
//! });
//! payment.add_node("confirm", |_s: Arc<Order>, ctx: Ctx| async move {
//!     let ok: bool = ctx.interrupt("pay 120?")?;
//!     Ok(OrderUpdate::default().log(vec![format!("paid: {ok}")]))
//! });
//! payment.add_edge(START, "quote").add_edge("quote", "confirm");
//!
//! let mut order = StateGraph::<Order>::new();
//! order.add_node("cart", |_s: Arc<Order>, _ctx: Ctx| async {
//!     Ok(OrderUpdate::default().log(vec!["cart".to_owned()]))
//! });
//! order.add_subgraph("pay", payment.compile()?);
//! order.add_edge(START, "cart").add_edge("cart", "pay");
//! let order = order.compile()?.with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
//!
//! let cfg = RunConfig::thread("order-7");
//! let out = order.invoke(OrderUpdate::default(), &cfg).await?;
//! let RunStatus::Interrupted(asked) = &out.status else { panic!("{:?}", out.status) };
//! assert_eq!(asked[0].ns.levels().next().map(|(node, _)| node), Some("pay".into()));
//! // `quote` ran before the pause and does not run again.
//! let out = order.resume(&cfg, Resume::value(true)).await?;
//! assert_eq!(out.state.log, ["cart", "quoted", "paid: true"]);
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate self as graph_core;

mod background;
mod builder;
mod cache;
mod checkpoint;
mod clock;
pub mod codec;
mod compiled;
mod config;
mod context;
mod edit;
mod error;
mod export;
mod field_update;
mod frontier;
mod ids;
mod memory;
mod node;
mod outcome;
mod plan;
mod retry;
mod run;
mod state;
pub mod store;
mod stream;
mod subgraph_map;
mod task;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod timeout;

pub use background::{
    Background, DEFAULT_REPLAY_BUFFER, Numbered, RunHandle, RunPhase, Subscription,
};
pub use builder::{NodeDefaults, NodeOptions, StateGraph};
pub use cache::{Cache, CacheEntry, CachePolicy, InMemoryCache};
pub use checkpoint::{
    Blob, Breakpoint, Checkpoint, CheckpointMeta, Checkpointer, FieldValue, FieldVersion,
    FieldWrite, HistoryQuery, LoadedCheckpoint, LoadedField, Metadata, PendingWrite, Source,
    WriteKind,
};
pub use clock::system_clock;
pub use compiled::CompiledGraph;
pub use config::{
    Breakpoints, DEFAULT_MAX_SUPERSTEPS, DEFAULT_SNAPSHOT_EVERY, Durability, Resume, RunConfig,
    RunContext, StateOptions, SubgraphPersistence,
};
pub use context::Ctx;
pub use edit::UpdateTarget;
pub use error::{
    BoxError, BuildError, Error, FailureKind, IdleTimeout, Interrupted, NodeError, NodeFailure,
    Result, StorageError, Timeout,
};
pub use export::{EdgeDescription, EdgeKind, GraphDescription, NodeDescription, NodeKind};
#[doc(hidden)]
pub use field_update::{ByOverwrite, ByReducer};
pub use field_update::{FieldUpdate, IntoFieldUpdate, Overwrite};
pub use graph_core_macros::State;
pub use ids::{
    CheckpointId, InterruptId, Namespace, NamespaceError, NodeId, RunId, TaskId, TaskPath, ThreadId,
};
pub use memory::InMemoryCheckpointer;
pub use node::{Command, END, Endpoint, Goto, IntoCommand, Node, NodeResult, Push, Route, START};
pub use outcome::{
    Interrupt, RunOutput, RunStatus, StateSnapshot, SubgraphSnapshot, TaskInfo, ThreadStatus,
};
pub use retry::{RetryPolicy, RetryPredicate};
pub use state::{
    Field, FieldUpdateError, Keyed, ReduceError, Reducer, State, Summable, Update, field_index,
    reducers,
};
pub use store::{InMemoryStore, Item, NamespaceQuery, SearchQuery, Store};
pub use stream::{
    Event, EventKind, EventStream, MessageChunk, Payload, StreamMode, StreamModes, TaskEnd,
    UnknownStreamMode,
};
pub use subgraph_map::SubgraphMap;
pub use timeout::TimeoutPolicy;

/// README.md's quick start, compiled and run as a doctest so it cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeQuickStart;

/// Paths the derive macro's generated code uses. Not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use schemars;
    pub use serde;
    pub use serde_json;
}
