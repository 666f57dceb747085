//! Streaming: the [`Event`]s a run emits and the [`EventStream`] that yields them. A subgraph's
//! events come through its parent's stream, in order, each with the subgraph's [`Namespace`].

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::checkpoint::{Breakpoint, Source};
use crate::error::{Error, Result};
use crate::ids::{CheckpointId, Namespace, NodeId, TaskId, ThreadId};
use crate::outcome::{Interrupt, RunOutput};
use crate::state::State;

/// A piece of an LLM's streamed answer, forwarded by a node with [`crate::Ctx::emit_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageChunk {
    /// The text of this chunk.
    pub text: String,
    /// Which model or provider produced it, if known.
    pub provider: Option<String>,
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskEnd {
    /// It returned an update.
    Finished,
    /// It failed after its retries; the message says why. A node with an error handler
    /// ([`crate::NodeOptions::on_error`]) ends so too, and its handler's task starts next.
    Failed(String),
    /// It paused in `ctx.interrupt`.
    Interrupted,
}

/// What happened.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EventKind<S: State> {
    /// The state after the input or a superstep was applied.
    Values(Arc<S>),
    /// One task's update, in task order after its superstep finished.
    Update(S::Update),
    /// The state after the input or a superstep of a subgraph with a state type of its own
    /// ([`crate::StateGraph::add_subgraph_mapped`]), which the parent's stream cannot name: a
    /// JSON object of its fields.
    SubgraphValues(serde_json::Value),
    /// One task's update in a subgraph with a state type of its own, as JSON.
    SubgraphUpdate(serde_json::Value),
    /// A value a node sent with [`crate::Ctx::emit`].
    Custom(serde_json::Value),
    /// An LLM token chunk a node sent with [`crate::Ctx::emit_message`].
    Message(MessageChunk),
    /// A task started (in task order).
    TaskStart,
    /// A task ended (in finish order).
    TaskEnd(TaskEnd),
    /// A checkpoint was saved (or, with `Durability::Exit`, made in memory).
    Checkpoint {
        /// Its id.
        id: CheckpointId,
        /// What made it.
        source: Source,
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
}

impl<S: State> EventSink<S> {
    /// A sink for runs nobody streams (`invoke`, `resume`, state inspection).
    pub(crate) fn silent(thread: &ThreadId) -> Self {
        Self {
            thread: thread.clone(),
            ns: Namespace::root(),
            tx: None,
        }
    }

    /// A sink for a subgraph run in namespace `ns`, into the same stream.
    pub(crate) fn nested(&self, ns: Namespace) -> Self {
        Self {
            thread: self.thread.clone(),
            ns,
            tx: self.tx.clone(),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.tx.is_some()
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
        let event = Event {
            thread: self.thread.clone(),
            ns: self.ns.clone(),
            step,
            node: node.cloned(),
            task,
            kind,
            cached,
        };
        futures_util::future::Either::Right(Box::pin(async move {
            // A closed receiver means the stream was dropped; the run is being cancelled.
            let _ = tx.send(event).await;
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
    /// The sink itself, for a subgraph node, which knows the state type and streams into it.
    fn as_any(&self) -> &dyn std::any::Any;
}

#[async_trait::async_trait]
impl<S: State> NodeEventSink for EventSink<S> {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    async fn send(&self, step: i64, node: &NodeId, task: TaskId, event: NodeEvent) {
        let kind = match event {
            NodeEvent::Custom(value) => EventKind::Custom(value),
            NodeEvent::Message(chunk) => EventKind::Message(chunk),
        };
        EventSink::send(self, step, Some(node), Some(task), kind).await;
    }
}
