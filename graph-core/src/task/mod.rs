//! Running one task: attempts under the node's retry policy and timeouts, panics caught, routing
//! on the node's own view of the state, and the task's pending write saved as it finishes.
//!
//! A node with an error handler (`NodeOptions::on_error`) that fails after its retries does not
//! fail its task: the task saves the failure under the handler's own task id, and the handler
//! runs as that task, in the same superstep, its result taking the node's place. A task whose
//! failure was saved before (a pause or a crash stopped its handler) runs the handler again
//! without running the node.
//!
//! A node with a cache policy (`CachePolicy`) looks up its input first: a hit takes the place
//! of the node's call (`cache.rs`), and a node that succeeds stores its output.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::future::Either;

use crate::checkpoint::{PendingWrite, WriteKind};
use crate::context::{Ctx, TaskShared};
use crate::error::{Error, NodeError, NodeFailure, Pause};
use crate::frontier::{PushInput, TaskOutput};
use crate::node::{Command, TaskInput};
use crate::outcome::Interrupt;
use crate::plan::Plan;
use crate::state::State;
use crate::stream::{EventKind, EventSink, Payload, StreamMode, TaskEnd};
use crate::timeout::TimeoutPolicy;

mod attempt;
mod cache;
mod route;

pub(crate) use attempt::panic_message;
use attempt::{attempt, caught};
use cache::Slot;
pub(crate) use cache::TaskCache;
use route::{follow_edges, for_parent, route_command};
pub(crate) use route::{resolve, route, take_edges};

pub(crate) enum TaskResult<S: State> {
    Done(TaskOutput<S>),
    Failed(Error),
    /// Paused: on its own interrupt, or, for a subgraph's task, on those inside the subgraph.
    Interrupted(Vec<Interrupt>),
}

pub(crate) struct TaskRun<'a, S: State> {
    pub(crate) graph: &'a Plan<S>,
    pub(crate) node: usize,
    /// A push task's input; `None` for a pull task.
    pub(crate) push: Option<PushInput>,
    pub(crate) snapshot: &'a Arc<S>,
    /// The task's own input state, for a state push (`Push::state`): the snapshot with the
    /// push's update applied, built when the task runs. `None` otherwise.
    pub(crate) own_state: Option<Arc<S>>,
    pub(crate) shared: Arc<TaskShared>,
    pub(crate) events: &'a EventSink<S>,
    /// Whether pending writes are kept (a checkpointer is configured).
    pub(crate) persist: bool,
    /// Whether the task is alone in its superstep. A lone task does not save its output as a
    /// pending write: it goes into the checkpoint stored right after it, and a crash in
    /// between re-runs it just as a crash before the write would have, which saves one commit
    /// (one fsync) per sequential superstep.
    pub(crate) lone: bool,
    /// Whether the superstep, not the task, takes the node's conditional edges: on its
    /// post-step state, which for a lone task is exactly the starting state plus the task's
    /// update, instead of the task copying the whole state to route (see `Run::superstep`).
    pub(crate) edges_later: bool,
    /// For a node with an error handler: the handler's task.
    /// (Boxed: most nodes have none, and every task's future holds this struct.)
    pub(crate) handler: Option<Box<HandlerTask>>,
    /// For a node with a cache policy, in a graph with a cache: the cache.
    pub(crate) cache: Option<&'a TaskCache<'a>>,
}

/// What a task caches once it has saved its output: the slot, and the bytes to put there.
type ToCache<'b> = Option<(&'b Slot, Vec<u8>)>;

/// The task an error handler runs as, with its own id, name, journal and interrupts.
pub(crate) struct HandlerTask {
    pub(crate) shared: Arc<TaskShared>,
    /// The node's failure, when a run before this one saved it: the handler then runs without
    /// the node running again.
    pub(crate) failure: Option<NodeFailure>,
}

impl<S: State> TaskRun<'_, S> {
    /// Runs the task. It borrows the task rather than taking it: an `async fn` keeps a taken
    /// argument twice in its future (as the argument and as the body's binding), and the
    /// caller's future would keep a third copy where it held the task before the call.
    pub(crate) async fn run(&mut self) -> TaskResult<S> {
        // Every local here lives in every task's future (a superstep allocates one per task),
        // and one moved away still takes its room: what is rare is boxed, or handled in a boxed
        // future of its own.
        let unprepared = self.prepare_input().err().map(Box::new);
        if let Some(failure) = self.handler.as_mut().and_then(|h| h.failure.take()) {
            return Box::pin(self.handle_saved(failure)).await;
        }
        if let Some(error) = unprepared {
            return Box::pin(self.failed(*error, 1)).await;
        }
        let slot = self.cache_slot().map(Box::new);
        if let Some(slot) = &slot
            && let Some(done) = Box::pin(self.end_from_cache(slot)).await
        {
            return done;
        }
        let node = &self.graph.nodes[self.node];
        let mut attempts = 1;
        // The loop ends with the task's ending (`finish` or `failed`) made but not awaited: its
        // locals (an attempt's result, its error, its contexts) then end before the await, and
        // take no room beside it in this future.
        let ending = loop {
            // Scoped: a borrowed local keeps its room in the future until its scope ends, so an
            // attempt's locals end here, before the wait for a retry.
            let delay = {
                let alive = Ctx::new(Arc::clone(&self.shared), attempts);
                let input = match &self.push {
                    Some(PushInput::Arg(arg)) => TaskInput::Arg(arg.clone()),
                    _ => TaskInput::State(Arc::clone(self.input_state())),
                };
                let call = node.runner.call(input, alive.clone());
                // Timers only for a node with a timeout, and boxed (see `run`).
                let result = if node.timeout.is_unlimited() {
                    caught(call).await
                } else {
                    Box::pin(attempt(call, node.timeout, &alive)).await
                };
                // `finish` and `failed` are boxed: their futures are the biggest this one would
                // hold, and a superstep allocates this future once per task. Left inline they
                // made it ~2 KiB, so a 100-way fan-out churned ~200 KiB of fresh heap per
                // superstep (glibc trimmed and re-grew it: page faults); boxed, the short-lived
                // box reuses the last task's memory.
                let error = match result {
                    Ok(command) => {
                        // What an interrupt's answer or an effect made is not the input's to key.
                        let answered = alive.journaled() || !self.shared.nested_answers.is_empty();
                        let slot = slot.as_deref().filter(|_| !answered);
                        let finish = self.finish(&self.shared, command, false, slot);
                        break Either::Left(Box::pin(finish));
                    }
                    Err(error) => error,
                };
                let retry = node
                    .retry
                    .as_ref()
                    .filter(|p| p.should_retry(attempts, &error));
                let Some(policy) = retry else {
                    break Either::Right(Box::pin(self.failed(error, attempts)));
                };
                let delay = policy.delay(attempts);
                tracing::warn!(
                    thread = %self.shared.thread, step = self.shared.step, node = %node.id,
                    attempt = attempts, ?delay, %error, "node failed; retrying"
                );
                delay
            };
            // Boxed: a timer inline would make every task's future bigger (see above).
            Box::pin(tokio::time::sleep(delay)).await;
            attempts += 1;
        };
        ending.await
    }

    /// A failure saved by an earlier run: the node's end is told again and its handler runs,
    /// without the node.
    async fn handle_saved(&self, failure: NodeFailure) -> TaskResult<S> {
        self.end(&self.shared, TaskEnd::Failed(failure.to_string()))
            .await;
        self.handle(failure, false).await
    }

    /// The task ended from the cache, when `slot` holds a fresh output.
    async fn end_from_cache(&self, slot: &Slot) -> Option<TaskResult<S>> {
        let output = self.cached(slot).await?;
        Some(self.replay(output).await)
    }

    /// Builds the task's own input state for a state push: the superstep's snapshot with the
    /// push's update applied through the reducers. Failing that is the node's failure, not
    /// retried (the same input would fail again), but handled by its error handler.
    fn prepare_input(&mut self) -> Result<(), NodeError> {
        let Some(PushInput::State(update)) = &self.push else {
            return Ok(());
        };
        let refuse = |message: String| NodeError::permanent(NodeError::msg(message));
        let update = serde_json::from_value::<S::Update>(update.clone()).map_err(|e| {
            refuse(format!(
                "the Push::state update does not decode as `{}`: {e}",
                std::any::type_name::<S::Update>()
            ))
        })?;
        let mut state = S::clone(self.snapshot);
        let applied = std::panic::catch_unwind(AssertUnwindSafe(|| state.apply(update)));
        match applied {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                return Err(refuse(format!(
                    "the Push::state update does not apply: {error}"
                )));
            }
            Err(panic) => {
                return Err(refuse(format!(
                    "a reducer panicked applying the Push::state update: {}",
                    panic_message(panic.as_ref())
                )));
            }
        }
        self.own_state = Some(Arc::new(state));
        Ok(())
    }

    /// The state the node (and its error handler) is given: the task's own for a state push,
    /// else the superstep's snapshot.
    fn input_state(&self) -> &Arc<S> {
        self.own_state.as_ref().unwrap_or(self.snapshot)
    }

    /// The task's last attempt, its `attempts`th, failed or asked to pause.
    async fn failed(&self, error: NodeError, attempts: u32) -> TaskResult<S> {
        let node = &self.graph.nodes[self.node];
        let source = match error.into_parts() {
            Ok(source) => source,
            Err(pause) => return self.paused(&self.shared, pause).await,
        };
        if self.handler.is_some() {
            let failure = NodeFailure::new(node.id.clone(), &source, attempts);
            tracing::warn!(
                thread = %self.shared.thread, step = self.shared.step, node = %node.id,
                attempts, error = %failure.message, "node failed; its error handler runs"
            );
            self.end(&self.shared, TaskEnd::Failed(failure.to_string()))
                .await;
            return self.handle(failure, true).await;
        }
        let error = Error::Node {
            thread: self.shared.thread.clone(),
            step: self.shared.step,
            node: node.id.clone(),
            message: source.to_string(),
            source: Some(source),
        };
        self.fail(&self.shared, error).await
    }

    /// Runs the node's error handler as its own task, once (no retry, no timeout), on the
    /// superstep's state. Its result takes the node's place; its failure fails the run. The
    /// failure is saved first (`save`, unless it was restored), so a re-run of the superstep
    /// goes straight to the handler.
    async fn handle(&self, failure: NodeFailure, save: bool) -> TaskResult<S> {
        let node = &self.graph.nodes[self.node];
        let (Some(handler), Some(on_error)) = (&self.handler, &node.on_error) else {
            unreachable!("only a node with an error handler has a handler task");
        };
        let shared = &handler.shared;
        if self.events.wants(StreamMode::Tasks) {
            let input = Payload::State(Arc::clone(self.input_state()));
            let kind = EventKind::TaskStart { input };
            let task = Some(shared.task_id);
            self.events
                .send(shared.step, Some(&shared.node), task, kind)
                .await;
        }
        if save
            && let Err(error) = self
                .write_json(shared, WriteKind::Failure, 0, &failure)
                .await
        {
            return self.fail(shared, error).await;
        }
        let ctx = Ctx::new(Arc::clone(shared), 1);
        let alive = ctx.clone();
        let state = Arc::clone(self.input_state());
        let told = failure.clone();
        // The handler is called inside the attempt, so a panic in the call itself is caught.
        let call = async move { on_error.call(state, told, ctx).await };
        let result = attempt(call, TimeoutPolicy::default(), &alive).await;
        let source = match result {
            Ok(command) => return self.finish(shared, command, true, None).await,
            Err(error) => match error.into_parts() {
                Ok(source) => source,
                Err(pause) => return self.paused(shared, pause).await,
            },
        };
        let error = Error::Handler {
            thread: shared.thread.clone(),
            step: shared.step,
            node: node.id.clone(),
            failure: Box::new(failure),
            message: source.to_string(),
            source: Some(source),
        };
        self.fail(shared, error).await
    }

    /// The task `shared` (the node's or its handler's) asked to pause.
    async fn paused(&self, shared: &TaskShared, pause: Pause) -> TaskResult<S> {
        let interrupts = match pause {
            Pause::Interrupted(interrupted) => {
                let interrupt = Interrupt {
                    id: interrupted.id,
                    value: interrupted.value,
                    node: shared.node.clone(),
                    task_id: shared.task_id,
                    ns: shared.ns.clone(),
                };
                let write =
                    self.write_json(shared, WriteKind::Interrupt, interrupted.slot, &interrupt);
                if let Err(error) = write.await {
                    return self.fail(shared, error).await;
                }
                vec![interrupt]
            }
            Pause::Nested => {
                let interrupts = std::mem::take(
                    &mut *shared
                        .nested
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                // The subgraph stored its own interrupts in its namespace; the parent's copy, a
                // list in the task's one interrupt write, is what its resume answers against.
                // Slot 0 is replaced each time the subgraph pauses again.
                let write = self.write_json(shared, WriteKind::Interrupt, 0, &interrupts);
                if let Err(error) = write.await {
                    return self.fail(shared, error).await;
                }
                interrupts
            }
        };
        if self.events.wants(StreamMode::Tasks) {
            self.end(shared, TaskEnd::Interrupted(interrupts.clone()))
                .await;
        }
        TaskResult::Interrupted(interrupts)
    }

    /// Routes the command of the task `shared` (the node's, or its handler's when `handled`) and
    /// saves the output, and caches it in `slot`, if given, once all of that succeeded.
    ///
    /// The routing runs as the future is made, since it never waits: the future then holds the
    /// routed output once, and not the command and the output beside it. It is boxed once per
    /// task, and kept under glibc's largest cached size (1 KiB) that box is reused from task to
    /// task instead of being carved afresh from the heap each time.
    fn finish<'b>(
        &'b self,
        shared: &'b TaskShared,
        command: Command<S>,
        handled: bool,
        slot: Option<&'b Slot>,
    ) -> impl Future<Output = TaskResult<S>> + Send + 'b {
        match self.route_output(shared, command, handled, slot) {
            Ok((output, cache)) => Either::Left(self.complete(shared, output, cache)),
            Err(error) => Either::Right(self.fail(shared, error)),
        }
    }

    /// The routed output of `finish`, with the bytes to cache in `slot`.
    fn route_output<'b>(
        &self,
        shared: &TaskShared,
        command: Command<S>,
        handled: bool,
        slot: Option<&'b Slot>,
    ) -> Result<(TaskOutput<S>, ToCache<'b>), Error> {
        let mut output = if command.to_parent {
            for_parent(command, shared, handled)?
        } else {
            route_command(self.graph, command, shared, handled)?
        };
        // The cache keeps the node's own output: its conditional edges run again on a hit.
        let cache = slot.and_then(|slot| Some((slot, self.cache_bytes(&output)?)));
        if !self.edges_later {
            follow_edges(self.graph, self.node, self.snapshot, &mut output, shared)?;
        }
        Ok((output, cache))
    }

    /// Takes a cached output in place of the node's call: its conditional edges run on this
    /// superstep's state, and it is saved like the node's own.
    async fn replay(&self, mut output: TaskOutput<S>) -> TaskResult<S> {
        let shared = &self.shared;
        if self.edges_later {
            return self.complete(shared, output, None).await;
        }
        if let Err(error) = follow_edges(self.graph, self.node, self.snapshot, &mut output, shared)
        {
            return self.fail(shared, error).await;
        }
        self.complete(shared, output, None).await
    }

    /// Saves a routed output, then caches `cache` (a slot and its bytes).
    ///
    /// An `async` block, not an `async fn`: an `async fn` keeps each argument twice in its
    /// future (as the argument and as the body's binding), and this one's is in every task's.
    #[allow(clippy::manual_async_fn)]
    fn complete<'b>(
        &'b self,
        shared: &'b TaskShared,
        output: TaskOutput<S>,
        cache: ToCache<'b>,
    ) -> impl Future<Output = TaskResult<S>> + Send + 'b {
        async move {
            // A command for the parent is saved even by a lone task: the subgraph stops without a
            // checkpoint for this superstep, so this write is the command's only record, and what
            // lets a re-run of the parent's task hand it up without running the node again.
            if self.persist && (!self.lone || output.to_parent.is_some()) {
                let bytes = match output.encode(self.graph) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        let error = Error::Encode {
                            thread: shared.thread.clone(),
                            step: shared.step,
                            what: format!("the update of node `{}`", shared.node),
                            reason: e.to_string(),
                        };
                        return self.fail(shared, error).await;
                    }
                };
                if let Err(error) = self.write(shared, WriteKind::Output, 0, bytes).await {
                    return self.fail(shared, error).await;
                }
            }
            if let Some((slot, bytes)) = cache {
                Box::pin(self.store(slot, bytes)).await;
            }
            if self.events.enabled() {
                Box::pin(self.report(shared, &output)).await;
            }
            TaskResult::Done(output)
        }
    }

    /// Saves the failure as the task's error write and reports it. Boxed: every path of a task
    /// may fail, and inline this future would grow each of theirs (moved whole into its box on
    /// every task) for what rarely happens.
    fn fail<'b>(
        &'b self,
        shared: &'b TaskShared,
        error: Error,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = TaskResult<S>> + Send + 'b>> {
        Box::pin(async move {
            let message = error.to_string();
            if let Err(storage) = self.write_json(shared, WriteKind::Error, 0, &message).await {
                tracing::error!(%storage, "could not save a task's error");
            }
            self.end(shared, TaskEnd::Failed(message)).await;
            TaskResult::Failed(error)
        })
    }

    async fn end(&self, shared: &TaskShared, end: TaskEnd) {
        let kind = EventKind::TaskEnd { end, result: None };
        self.events
            .send(shared.step, Some(&shared.node), Some(shared.task_id), kind)
            .await;
    }

    /// Streams a finished task's update and its end, for the modes that want them. Boxed by
    /// the caller, and only called when someone streams: every task's future would otherwise
    /// hold its room.
    async fn report(&self, shared: &TaskShared, output: &TaskOutput<S>) {
        let (step, node, task) = (shared.step, Some(&shared.node), Some(shared.task_id));
        // A command for the parent is the parent's update, not this graph's.
        if self.events.wants(StreamMode::Updates) && output.to_parent.is_none() {
            let kind = EventKind::Update(output.update.clone());
            let sending = if output.cached {
                self.events.send_cached(step, node, task, kind)
            } else {
                self.events.send(step, node, task, kind)
            };
            sending.await;
        }
        if self.events.wants(StreamMode::Tasks) {
            let result = Some(Payload::Update(output.update.clone()));
            let kind = EventKind::TaskEnd {
                end: TaskEnd::Finished,
                result,
            };
            let sending = if output.cached {
                self.events.send_cached(step, node, task, kind)
            } else {
                self.events.send(step, node, task, kind)
            };
            sending.await;
        }
    }

    async fn write_json(
        &self,
        shared: &TaskShared,
        kind: WriteKind,
        slot: u32,
        value: &impl serde::Serialize,
    ) -> Result<(), Error> {
        if !self.persist {
            return Ok(());
        }
        let bytes = serde_json::to_vec(value).map_err(|e| Error::Encode {
            thread: shared.thread.clone(),
            step: shared.step,
            what: format!("the {} write of node `{}`", kind.as_str(), shared.node),
            reason: e.to_string(),
        })?;
        self.write(shared, kind, slot, bytes).await
    }

    async fn write(
        &self,
        shared: &TaskShared,
        kind: WriteKind,
        slot: u32,
        bytes: Vec<u8>,
    ) -> Result<(), Error> {
        let write = PendingWrite {
            task_id: shared.task_id,
            node: shared.node.clone(),
            kind,
            slot,
            value: bytes.into(),
        };
        shared
            .writes
            .write(write)
            .await
            .map_err(|source| Error::Storage {
                thread: shared.thread.clone(),
                source,
            })
    }
}
