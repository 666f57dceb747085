//! Running one task: attempts under the node's retry policy and timeout, panics caught, routing
//! on the node's own view of the state, and the task's pending write saved as it finishes.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;

use crate::checkpoint::{PendingWrite, WriteKind};
use crate::context::{Ctx, TaskShared};
use crate::error::{Error, NodeError, Pause, Timeout};
use crate::frontier::TaskOutput;
use crate::node::{Command, TaskInput};
use crate::outcome::Interrupt;
use crate::plan::Plan;
use crate::state::State;
use crate::stream::{EventKind, EventSink, TaskEnd};

mod attempt;
mod route;

pub(crate) use attempt::panic_message;
use route::for_parent;
pub(crate) use route::{resolve, route};

pub(crate) enum TaskResult<S: State> {
    Done(TaskOutput<S>),
    Failed(Error),
    /// Paused: on its own interrupt, or, for a subgraph's task, on those inside the subgraph.
    Interrupted(Vec<Interrupt>),
}

pub(crate) struct TaskRun<'a, S: State> {
    pub(crate) graph: &'a Plan<S>,
    pub(crate) node: usize,
    pub(crate) arg: Option<serde_json::Value>,
    pub(crate) snapshot: &'a Arc<S>,
    pub(crate) shared: Arc<TaskShared>,
    pub(crate) events: &'a EventSink<S>,
    /// Whether pending writes are kept (a checkpointer is configured).
    pub(crate) persist: bool,
    /// Whether a finished task saves its output as a pending write. Only when other tasks share
    /// its superstep: a lone task's output goes into the checkpoint stored right after it, and
    /// a crash in between re-runs it just as a crash before the write would have. That saves
    /// one commit (one fsync) per sequential superstep.
    pub(crate) save_output: bool,
}

impl<S: State> TaskRun<'_, S> {
    pub(crate) async fn run(self) -> TaskResult<S> {
        let node = &self.graph.nodes[self.node];
        let mut attempt = 1;
        let error = loop {
            let ctx = Ctx::new(Arc::clone(&self.shared), attempt);
            let input = match &self.arg {
                Some(arg) => TaskInput::Arg(arg.clone()),
                None => TaskInput::State(Arc::clone(self.snapshot)),
            };
            let call = AssertUnwindSafe(node.runner.call(input, ctx)).catch_unwind();
            let outcome = match node.timeout {
                Some(limit) => match tokio::time::timeout(limit, call).await {
                    Ok(outcome) => outcome,
                    Err(_) => Ok(Err(NodeError::from(Timeout(limit)))),
                },
                None => call.await,
            };
            let result = outcome.unwrap_or_else(|panic| {
                Err(NodeError::permanent(NodeError::msg(format!(
                    "panicked: {}",
                    panic_message(panic.as_ref())
                ))))
            });
            // `finish` and `failed` are boxed: their futures are the biggest this one would hold,
            // and a superstep allocates this future once per task. Left inline they made it ~2 KiB,
            // so a 100-way fan-out churned ~200 KiB of fresh heap per superstep (glibc trimmed and
            // re-grew it: page faults); boxed, the short-lived box reuses the last task's memory.
            let error = match result {
                Ok(command) => return Box::pin(self.finish(command)).await,
                Err(error) => error,
            };
            let retry = node
                .retry
                .as_ref()
                .filter(|p| p.should_retry(attempt, &error));
            let Some(policy) = retry else { break error };
            let delay = policy.delay(attempt);
            tracing::warn!(
                thread = %self.shared.thread, step = self.shared.step, node = %node.id,
                attempt, ?delay, %error, "node failed; retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        };
        Box::pin(self.failed(error)).await
    }

    /// The task's last attempt failed or asked to pause.
    async fn failed(&self, error: NodeError) -> TaskResult<S> {
        let node = &self.graph.nodes[self.node];
        match error.into_parts() {
            Err(Pause::Interrupted(interrupted)) => {
                let interrupt = Interrupt {
                    id: interrupted.id,
                    value: interrupted.value,
                    node: node.id.clone(),
                    task_id: self.shared.task_id,
                    ns: self.shared.ns.clone(),
                };
                let write = self.write_json(WriteKind::Interrupt, interrupted.slot, &interrupt);
                if let Err(error) = write.await {
                    return self.fail(error).await;
                }
                self.end(TaskEnd::Interrupted).await;
                TaskResult::Interrupted(vec![interrupt])
            }
            Err(Pause::Nested) => {
                let interrupts = std::mem::take(
                    &mut *self
                        .shared
                        .nested
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                // The subgraph stored its own interrupts in its namespace; the parent's copy, a
                // list in the task's one interrupt write, is what its resume answers against.
                // Slot 0 is replaced each time the subgraph pauses again.
                let write = self.write_json(WriteKind::Interrupt, 0, &interrupts);
                if let Err(error) = write.await {
                    return self.fail(error).await;
                }
                self.end(TaskEnd::Interrupted).await;
                TaskResult::Interrupted(interrupts)
            }
            Ok(source) => {
                let message = source.to_string();
                let error = Error::Node {
                    thread: self.shared.thread.clone(),
                    step: self.shared.step,
                    node: node.id.clone(),
                    message,
                    source: Some(source),
                };
                self.fail(error).await
            }
        }
    }

    async fn finish(&self, command: Command<S>) -> TaskResult<S> {
        let routed = if command.to_parent {
            for_parent(command, &self.shared)
        } else {
            route(self.graph, self.node, self.snapshot, command, &self.shared)
        };
        let output = match routed {
            Ok(output) => output,
            Err(error) => return self.fail(error).await,
        };
        // A command for the parent is saved even by a lone task: the subgraph stops without a
        // checkpoint for this superstep, so this write is the command's only record, and what
        // lets a re-run of the parent's task hand it up without running the node again.
        if self.persist && (self.save_output || output.to_parent.is_some()) {
            let bytes = match output.encode(self.graph) {
                Ok(bytes) => bytes,
                Err(e) => {
                    let error = Error::Encode {
                        thread: self.shared.thread.clone(),
                        step: self.shared.step,
                        what: format!("the update of node `{}`", self.shared.node),
                        reason: e.to_string(),
                    };
                    return self.fail(error).await;
                }
            };
            if let Err(error) = self.write(WriteKind::Output, 0, bytes).await {
                return self.fail(error).await;
            }
        }
        self.end(TaskEnd::Finished).await;
        TaskResult::Done(output)
    }

    /// Saves the failure as the task's error write and reports it.
    async fn fail(&self, error: Error) -> TaskResult<S> {
        let message = error.to_string();
        if let Err(storage) = self.write_json(WriteKind::Error, 0, &message).await {
            tracing::error!(%storage, "could not save a task's error");
        }
        self.end(TaskEnd::Failed(message)).await;
        TaskResult::Failed(error)
    }

    async fn end(&self, end: TaskEnd) {
        let node = &self.shared.node;
        let kind = EventKind::TaskEnd(end);
        self.events
            .send(
                self.shared.step,
                Some(node),
                Some(self.shared.task_id),
                kind,
            )
            .await;
    }

    async fn write_json(
        &self,
        kind: WriteKind,
        slot: u32,
        value: &impl serde::Serialize,
    ) -> Result<(), Error> {
        if !self.persist {
            return Ok(());
        }
        let bytes = serde_json::to_vec(value).map_err(|e| Error::Encode {
            thread: self.shared.thread.clone(),
            step: self.shared.step,
            what: format!("the {} write of node `{}`", kind.as_str(), self.shared.node),
            reason: e.to_string(),
        })?;
        self.write(kind, slot, bytes).await
    }

    async fn write(&self, kind: WriteKind, slot: u32, bytes: Vec<u8>) -> Result<(), Error> {
        let write = PendingWrite {
            task_id: self.shared.task_id,
            node: self.shared.node.clone(),
            kind,
            slot,
            value: bytes.into(),
        };
        self.shared
            .writes
            .write(write)
            .await
            .map_err(|source| Error::Storage {
                thread: self.shared.thread.clone(),
                source,
            })
    }
}
