//! Streaming: the [`Event`]s a run emits and the [`EventStream`] that yields them. A subgraph's
//! events come through its parent's stream, in order, each with the subgraph's [`Namespace`].

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::checkpoint::{Breakpoint, Metadata, Source};
use crate::error::{Error, Result};
use crate::ids::{CheckpointId, Namespace, NodeId, TaskId, ThreadId};
use crate::outcome::{Interrupt, RunOutput};
use crate::state::State;

mod modes;

pub use modes::{StreamMode, StreamModes, UnknownStreamMode};

/// A piece of an LLM's streamed answer, forwarded by a node with [`crate::Ctx::emit_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageChunk {
    /// The text of this chunk.
    pub text: String,
    /// Which model or provider produced it, if known.
    pub provider: Option<String>,
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskEnd {
    /// It returned an update (the [`EventKind::TaskEnd`]'s `result`).
    Finished,
    /// It failed after its retries; the message says why. A node with an error handler
    /// ([`crate::NodeOptions::on_error`]) ends so too, and its handler's task starts next.
    Failed(String),
    /// It paused: in `ctx.interrupt`, or, for a subgraph's task, inside the subgraph.
    Interrupted(Vec<Interrupt>),
}

/// A state, an update or a push argument carried by a `tasks` or `checkpoints` event. A
/// subgraph with a state type of its own ([`crate::StateGraph::add_subgraph_mapped`]) sends its
/// states and updates as JSON, since its parent's stream cannot name their type.
#[derive(Debug, Clone)]
pub enum Payload<S: State> {
    /// A whole state.
    State(Arc<S>),
    /// A task's update.
    Update(S::Update),
    /// A push task's argument, or a mapped subgraph's state or update.
    Json(serde_json::Value),
}

/// What happened.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EventKind<S: State> {
    /// The state after the input or a superstep was applied (mode `values`).
    Values(Arc<S>),
    /// One task's update, as the task finished (mode `updates`). An update a run took from a
    /// task's saved output, instead of running the task again, comes after the superstep.
    Update(S::Update),
    /// The state after the input or a superstep of a subgraph with a state type of its own
    /// ([`crate::StateGraph::add_subgraph_mapped`]), which the parent's stream cannot name: a
    /// JSON object of its fields.
    SubgraphValues(serde_json::Value),
    /// One task's update in a subgraph with a state type of its own, as JSON.
    SubgraphUpdate(serde_json::Value),
    /// A value a node sent with [`crate::Ctx::emit`] (mode `custom`).
    Custom(serde_json::Value),
    /// An LLM token chunk a node sent with [`crate::Ctx::emit_message`] (mode `messages`).
    Message(MessageChunk),
    /// A task started, in task order (mode `tasks`).
    TaskStart {
        /// The task's input: the superstep's state, or a push task's argument.
        input: Payload<S>,
    },
    /// A task ended, in finish order (mode `tasks`).
    TaskEnd {
        /// How.
        end: TaskEnd,
        /// The task's update, when it finished.
        result: Option<Payload<S>>,
    },
    /// A checkpoint was made (mode `checkpoints`): stored, with `Durability::Sync`; handed to
    /// the checkpointer, with `Async` (stored before the run returns); kept in memory until the
    /// run stops, with `Exit`.
    Checkpoint {
        /// Its id.
        id: CheckpointId,
        /// What made it.
        source: Source,
        /// The checkpoint before it in the thread, if any.
        parent: Option<CheckpointId>,
        /// The state it holds.
        values: Payload<S>,
        /// The nodes planned next.
        next: Vec<NodeId>,
        /// The metadata stored with it.
        metadata: Metadata,
    },
    /// The run paused for these interrupts.
    Interrupt(Vec<Interrupt>),
    /// The run paused at a static breakpoint before `next` ran.
    Breakpoint {
        /// Before or after.
        kind: Breakpoint,
        /// The nodes planned next.
        next: Vec<NodeId>,
    },
    /// The run failed.
    Error(String),
    /// The run ended: the last event of every stream.
    End,
}

impl<S: State> EventKind<S> {
    /// The mode the event belongs to; `None` for interrupts, breakpoints, errors and the end,
    /// which every stream carries.
    pub fn mode(&self) -> Option<StreamMode> {
        match self {
            EventKind::Values(_) | EventKind::SubgraphValues(_) => Some(StreamMode::Values),
            EventKind::Update(_) | EventKind::SubgraphUpdate(_) => Some(StreamMode::Updates),
            EventKind::Custom(_) => Some(StreamMode::Custom),
            EventKind::Message(_) => Some(StreamMode::Messages),
            EventKind::TaskStart { .. } | EventKind::TaskEnd { .. } => Some(StreamMode::Tasks),
            EventKind::Checkpoint { .. } => Some(StreamMode::Checkpoints),
            EventKind::Interrupt(_)
            | EventKind::Breakpoint { .. }
            | EventKind::Error(_)
            | EventKind::End => None,
        }
    }
}

/// An event with where it happened. `node` and `task` are set for task events.
#[derive(Debug, Clone)]
pub struct Event<S: State> {
    /// The thread.
    pub thread: ThreadId,
    /// The graph it happened in: the root (empty), or a subgraph run by a task of its parent.
    /// A subgraph's events arrive between its parent task's start and end.
    pub ns: Namespace,
    /// The superstep.
    pub step: i64,
    /// The node, for task events.
    pub node: Option<NodeId>,
    /// The task, for task events.
    pub task: Option<TaskId>,
    /// What happened.
    pub kind: EventKind<S>,
    /// The mode the stream carries it under: its kind's ([`EventKind::mode`]), or `debug` for
    /// the copy of a `tasks` or `checkpoints` event a `debug` stream gets. `None` for the events
    /// every stream carries.
    pub mode: Option<StreamMode>,
    /// Set on the [`EventKind::Update`] and [`EventKind::TaskEnd`] of a task whose node was not
    /// called because its output came from the node cache ([`crate::CachePolicy`]): LangGraph's
    /// `"__metadata__": {"cached": True}`.
    pub cached: bool,
}

/// The events of a run, as a [`futures_core::Stream`] or through [`EventStream::next`].
/// Dropping it cancels the run; what the run checkpointed stays resumable.
pub struct EventStream<S: State> {
    pub(crate) events: mpsc::Receiver<Event<S>>,
    pub(crate) handle: Option<JoinHandle<Result<RunOutput<S>>>>,
}

impl<S: State> EventStream<S> {
    /// The next event, or `None` after [`EventKind::End`].
    pub async fn next(&mut self) -> Option<Event<S>> {
        self.events.recv().await
    }

    /// Drains the remaining events and returns the run's result.
    pub async fn finish(mut self) -> Result<RunOutput<S>> {
        while self.events.recv().await.is_some() {}
        let Some(handle) = self.handle.take() else {
            return Err(Error::Unsupported("finish after finish"));
        };
        match handle.await {
            Ok(result) => result,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }
}

impl<S: State> Drop for EventStream<S> {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.abort();
        }
    }
}

impl<S: State> futures_core::Stream for EventStream<S> {
    type Item = Event<S>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_recv(cx)
    }
}

/// Where a run sends its events; a no-op for `invoke`.
pub(crate) struct EventSink<S: State> {
    pub(crate) thread: ThreadId,
    /// The namespace of the run whose events these are.
    pub(crate) ns: Namespace,
    pub(crate) tx: Option<mpsc::Sender<Event<S>>>,
    /// What the stream carries; nothing is built for the rest.
    pub(crate) modes: StreamModes,
}

impl<S: State> EventSink<S> {
    /// A sink for runs nobody streams (`invoke`, `resume`, state inspection).
    pub(crate) fn silent(thread: &ThreadId) -> Self {
        Self {
            thread: thread.clone(),
            ns: Namespace::root(),
            tx: None,
            modes: StreamModes::NONE,
        }
    }

    /// A sink for a subgraph run in namespace `ns`, into the same stream.
    pub(crate) fn nested(&self, ns: Namespace) -> Self {
        Self {
            thread: self.thread.clone(),
            ns,
            tx: self.tx.clone(),
            modes: self.modes,
        }
    }

    /// Whether anyone streams this run.
    pub(crate) fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Whether events of `mode` are sent, so worth building.
    pub(crate) fn wants(&self, mode: StreamMode) -> bool {
        self.tx.is_some() && self.modes.builds(mode)
    }

    /// Sends an event (nothing without a stream).
    pub(crate) fn send<'b>(
        &'b self,
        step: i64,
        node: Option<&NodeId>,
        task: Option<TaskId>,
        kind: EventKind<S>,
    ) -> Sending<'b> {
        self.deliver(step, node, task, kind, false)
    }

    /// Sends an event of a task whose output came from the node cache.
    pub(crate) fn send_cached<'b>(
        &'b self,
        step: i64,
        node: Option<&NodeId>,
        task: Option<TaskId>,
        kind: EventKind<S>,
    ) -> Sending<'b> {
        self.deliver(step, node, task, kind, true)
    }

    /// The event is built now and its send boxed: every task ends with a send, and a run
    /// without a stream (the common case) should not carry an event's room in each of their
    /// futures.
    fn deliver<'b>(
        &'b self,
        step: i64,
        node: Option<&NodeId>,
        task: Option<TaskId>,
        kind: EventKind<S>,
        cached: bool,
    ) -> Sending<'b> {
        let Some(tx) = &self.tx else {
            return futures_util::future::Either::Left(std::future::ready(()));
        };
        let mode = kind.mode();
        let own = mode.is_none_or(|mode| self.modes.contains(mode));
        let debug = matches!(mode, Some(StreamMode::Tasks | StreamMode::Checkpoints))
            && self.modes.contains(StreamMode::Debug);
        if !own && !debug {
            return futures_util::future::Either::Left(std::future::ready(()));
        }
        let event = Event {
            thread: self.thread.clone(),
            ns: self.ns.clone(),
            step,
            node: node.cloned(),
            task,
            kind,
            mode,
            cached,
        };
        futures_util::future::Either::Right(Box::pin(async move {
            // A closed receiver means the stream was dropped; the run is being cancelled.
            if debug {
                let copy = Event {
                    mode: Some(StreamMode::Debug),
                    ..event.clone()
                };
                if own {
                    let _ = tx.send(event).await;
                }
                let _ = tx.send(copy).await;
            } else {
                let _ = tx.send(event).await;
            }
        }))
    }
}

/// An event on its way: done at once without a stream.
pub(crate) type Sending<'b> = futures_util::future::Either<
    std::future::Ready<()>,
    Pin<Box<dyn std::future::Future<Output = ()> + Send + 'b>>,
>;

/// The events a node can send, without the state type.
pub(crate) enum NodeEvent {
    Custom(serde_json::Value),
    Message(MessageChunk),
}

/// Type-erased access to a run's [`EventSink`] for [`crate::Ctx`].
#[async_trait::async_trait]
pub(crate) trait NodeEventSink: Send + Sync {
    async fn send(&self, step: i64, node: &NodeId, task: TaskId, event: NodeEvent);
    /// Whether events of `mode` are streamed (`Ctx::is_streaming` asks about `messages`).
    fn streams(&self, mode: StreamMode) -> bool;
    /// The sink itself, for a subgraph node, which knows the state type and streams into it.
    fn as_any(&self) -> &dyn std::any::Any;
}

#[async_trait::async_trait]
impl<S: State> NodeEventSink for EventSink<S> {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn streams(&self, mode: StreamMode) -> bool {
        self.wants(mode)
    }

    async fn send(&self, step: i64, node: &NodeId, task: TaskId, event: NodeEvent) {
        let kind = match event {
            NodeEvent::Custom(value) => EventKind::Custom(value),
            NodeEvent::Message(chunk) => EventKind::Message(chunk),
        };
        EventSink::send(self, step, Some(node), Some(task), kind).await;
    }
}
