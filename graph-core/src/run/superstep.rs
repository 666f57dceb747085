//! The superstep loop: plan the frontier's tasks, run them concurrently on one snapshot of the
//! state (reusing outputs saved before), then hand their updates, in task order, to apply and
//! commit.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::future::{self, Either};
use futures_util::stream::{self, StreamExt};
use tracing::Instrument;

use crate::checkpoint::{PendingWrite, Source, WriteKind};
use crate::config::{CallSettings, Durability};
use crate::context::{TaskShared, WriteSink};
use crate::error::{Error, Result};
use crate::frontier::{PushInput, TaskOutput};
use crate::ids::{CheckpointId, NodeId, TaskId};
use crate::outcome::RunStatus;
use crate::plan::Plan;
use crate::state::State;
use crate::stream::{EventKind, NodeEventSink, Payload, StreamMode};
use crate::task::{HandlerTask, TaskCache, TaskResult, TaskRun, take_edges};

use super::Run;
use super::saved::SavedTask;

impl<S: State> Run<S> {
    pub(super) async fn run_supersteps(&mut self) -> Result<RunStatus> {
        loop {
            if self.frontier.is_idle() {
                return self.done();
            }
            let step = self.step() + 1;
            if self.supersteps >= self.config.max_supersteps {
                return Err(Error::SuperstepLimit {
                    thread: self.thread.clone(),
                    step,
                    limit: self.config.max_supersteps,
                });
            }
            self.supersteps += 1;
            let span = tracing::debug_span!("superstep", step);
            if let Some(status) = self.superstep(step).instrument(span).await? {
                return Ok(status);
            }
        }
    }

    /// Ends a run with nothing left to run, unless a join waits for sources that can no longer
    /// run: LangGraph drops such a join's target silently (langgraphjs#2666); here the run
    /// fails, naming the join and what never arrived, so a branch that skipped a join's source
    /// shows. The thread keeps the work done; a new input starts over with no join progress.
    fn done(&self) -> Result<RunStatus> {
        let Some(j) = self.frontier.starved_join() else {
            return Ok(RunStatus::Done);
        };
        let join = &self.plan.joins[j];
        let (arrived, missing): (Vec<_>, Vec<_>) = join
            .sources
            .iter()
            .zip(&self.frontier.joins[j])
            .partition(|(_, arrived)| **arrived);
        let names = |sources: Vec<(&usize, &bool)>| {
            sources
                .into_iter()
                .map(|(&s, _)| self.plan.nodes[s].id.clone())
                .collect()
        };
        Err(Error::JoinStarved {
            thread: self.thread.clone(),
            step: self.step(),
            join: self.plan.nodes[join.target].id.clone(),
            arrived: names(arrived),
            missing: names(missing),
        })
    }

    pub(super) fn write_sink(&mut self, head: CheckpointId) -> Arc<WriteSink> {
        let sink = match (&self.persistence.checkpointer, self.config.durability) {
            (None, _) => WriteSink::Discard,
            (Some(checkpointer), Durability::Sync | Durability::Async) => WriteSink::Direct {
                checkpointer: Arc::clone(checkpointer),
                thread: self.thread.clone(),
                ns: self.ns.clone(),
                checkpoint: head,
                answers: tokio::sync::Mutex::new(std::mem::take(&mut self.answers)),
            },
            (Some(_), Durability::Exit) => {
                WriteSink::Buffer(Mutex::new(std::mem::take(&mut self.answers)))
            }
        };
        let sink = Arc::new(sink);
        self.held = matches!(*sink, WriteSink::Buffer(_)).then(|| Arc::clone(&sink));
        sink
    }

    pub(super) async fn superstep(&mut self, step: i64) -> Result<Option<RunStatus>> {
        let head = self.head_id();
        let graph = Arc::clone(&self.plan);
        let tasks = self.frontier.plan(&graph, &self.ns, head);
        let sink = self.write_sink(head);
        let persist = self.persistence.checkpointer.is_some();
        // A lone task's output goes into the checkpoint stored right after it (see `TaskRun`).
        let lone = tasks.len() == 1;
        // A router that fails after the update applied leaves a state no checkpoint may hold.
        // A Sync run resumes from its stored head; an Exit run has only this state to store
        // when it stops, so its tasks route on a copy, as tasks sharing a superstep do.
        let edges_later = lone && self.config.durability != Durability::Exit;
        let snapshot = Arc::clone(&self.state);
        if self.events.wants(StreamMode::Tasks) {
            for task in &tasks {
                let node = &graph.nodes[task.node].id;
                let input = match &task.input {
                    None => Payload::State(Arc::clone(&snapshot)),
                    Some(PushInput::Arg(value) | PushInput::State(value)) => {
                        Payload::Json(value.clone())
                    }
                };
                let kind = EventKind::TaskStart { input };
                self.events
                    .send(step, Some(node), Some(task.id), kind)
                    .await;
            }
        }

        // Every streamed run lends its sink to its tasks, whatever the modes: a subgraph's
        // task streams its own run's events through it.
        let node_events: Option<Arc<dyn NodeEventSink>> = if self.events.enabled() {
            Some(Arc::clone(&self.events) as Arc<dyn NodeEventSink>)
        } else {
            None
        };
        let call = tasks
            .iter()
            .any(|task| graph.nodes[task.node].subgraph.is_some())
            .then(|| self.call_settings());
        // Built once, lent to each task of a cached node: a task carries one pointer for it.
        let task_cache = self.persistence.cache.as_ref().map(|cache| TaskCache {
            cache,
            clock: &self.persistence.clock,
        });
        let mut jobs = Vec::with_capacity(tasks.len());
        for task in tasks {
            let node = &graph.nodes[task.node];
            let mut saved = take_saved(&mut self.saved, task.id);
            // What the node's error handler saved, under its own task id.
            let mut handled = match node.on_error {
                Some(_) => Some(take_saved(&mut self.saved, task.id.error_handler())),
                None => None,
            };
            let reused = saved
                .output
                .take()
                .or_else(|| handled.as_mut().and_then(|h| h.output.take()));
            let work = match reused {
                Some(bytes) => {
                    let output = TaskOutput::<S>::decode(&graph, &bytes).map_err(|reason| {
                        self.decode_error(
                            head,
                            format!("the output of task {} (`{}`)", task.id, node.id),
                            reason,
                        )
                    })?;
                    Work::Saved(output)
                }
                None => {
                    let call = match node.subgraph {
                        Some(_) => call.clone(),
                        None => None,
                    };
                    let spec = TaskSpec {
                        step,
                        node: node.id.clone(),
                        id: task.id,
                        writes: &sink,
                        events: &node_events,
                        call,
                    };
                    let shared = Arc::new(self.task_shared(spec, saved));
                    let handler = handled.map(|mut saved| {
                        let failure = saved.failure.take();
                        let spec = TaskSpec {
                            step,
                            node: NodeId::error_handler(&node.id),
                            id: task.id.error_handler(),
                            writes: &sink,
                            events: &node_events,
                            call: None,
                        };
                        let shared = Arc::new(self.task_shared(spec, saved));
                        Box::new(HandlerTask { shared, failure })
                    });
                    Work::Run(TaskRun {
                        graph: &graph,
                        node: task.node,
                        push: task.input,
                        snapshot: &snapshot,
                        own_state: None,
                        shared,
                        events: &self.events,
                        persist,
                        lone,
                        edges_later,
                        handler,
                        cache: node.cache.as_ref().and(task_cache.as_ref()),
                    })
                }
            };
            jobs.push(Job {
                id: task.id,
                node: task.node,
                work,
            });
        }
        let limit = self.config.max_concurrency;
        let ended: Vec<Ended<S>> = match <[Job<'_, S>; 1]>::try_from(jobs) {
            // A lone task is awaited as it is: `join_all` would only add an allocation.
            Ok([job]) => vec![job.finish().await],
            // `buffered` runs at most `limit` at once and yields them in task order.
            Err(jobs) => match limit {
                Some(limit) if limit < jobs.len() => {
                    // Collected first: a stream over the mapping closure itself trips the
                    // compiler's lifetime inference for the run's `Send` future.
                    let finishing: Vec<_> = jobs.into_iter().map(Job::finish).collect();
                    stream::iter(finishing).buffered(limit).collect().await
                }
                _ => future::join_all(jobs.into_iter().map(Job::finish)).await,
            },
        };
        drop(snapshot);

        // Only a lone task whose edges were left to the superstep (see `edges_later`).
        let lone_ran = edges_later
            && matches!(
                &ended[..],
                [Ended {
                    how: How::Ran(_),
                    ..
                }]
            );
        let mut outputs = Vec::with_capacity(ended.len());
        let mut failure: Option<Error> = None;
        let mut interrupts = Vec::new();
        for Ended { id, node, how } in ended {
            match how {
                How::Reused(output) => {
                    // A task that ran streamed its update as it finished; this one did not run.
                    if self.events.wants(StreamMode::Updates) && output.to_parent.is_none() {
                        let (name, task) = writer(&graph, id, node, &output);
                        let kind = EventKind::Update(output.update.clone());
                        let sending = if output.cached {
                            self.events.send_cached(step, Some(&name), Some(task), kind)
                        } else {
                            self.events.send(step, Some(&name), Some(task), kind)
                        };
                        sending.await;
                    }
                    outputs.push((id, node, output));
                }
                How::Ran(TaskResult::Done(output)) => {
                    self.executed.push(writer(&graph, id, node, &output).0);
                    outputs.push((id, node, output));
                }
                How::Ran(TaskResult::Failed(error)) => {
                    failure.get_or_insert(error);
                }
                How::Ran(TaskResult::Interrupted(paused)) => interrupts.extend(paused),
            }
        }
        if let Some(error) = failure {
            return Err(error);
        }
        if !interrupts.is_empty() {
            return Ok(Some(RunStatus::Interrupted(interrupts)));
        }
        if let Some(status) = self.hand_to_parent(step, &mut outputs)? {
            return Ok(Some(status));
        }

        let mut frontier = self.frontier.carried_over();
        let mut writers = Vec::with_capacity(outputs.len());
        let mut updates = Vec::with_capacity(outputs.len());
        let mut after = false;
        // A lone task that ran left its conditional edges to be taken here, after its update
        // applied (see `TaskRun::lone`).
        let mut unrouted = None;
        for (task, node, mut output) in outputs {
            after |= graph.nodes[node].interrupt_after
                || self.config.interrupt_after.names(&graph.nodes[node].id);
            let (name, _) = writer(&graph, task, node, &output);
            // The checkpoint names the task's node, whose place a handler's update takes.
            writers.push(graph.nodes[node].id.clone());
            if lone_ran {
                updates.push((name.clone(), std::mem::take(&mut output.update)));
                unrouted = Some((name, task, node, output));
            } else {
                frontier.record(&graph, node, &mut output);
                updates.push((name, output.update));
            }
        }
        let writes = self.apply(step, updates)?;
        if let Some((name, task, node, mut output)) = unrouted {
            if let Err((target, reason)) = take_edges(&graph, node, &self.state, &mut output) {
                // The state has the update applied, and no checkpoint may hold it: the task
                // did not finish, and a resume runs it again.
                self.poisoned = true;
                let error = Error::Route {
                    thread: self.thread.clone(),
                    step,
                    node: name.clone(),
                    target,
                    reason,
                };
                return Err(route_failed(&sink, task, name, error).await);
            }
            frontier.record(&graph, node, &mut output);
        }
        frontier.normalize(&graph);
        let committed = self
            .commit(Source::Loop, step, writers, writes, frontier, after)
            .await?;
        Ok(committed.paused)
    }
}

/// Saves a lone task's routing failure as its error write, as a task that fails by itself
/// does, so the thread's state shows it; returns the error.
async fn route_failed(sink: &WriteSink, task: TaskId, node: NodeId, error: Error) -> Error {
    let message = serde_json::Value::String(error.to_string()).to_string();
    let write = PendingWrite {
        task_id: task,
        node,
        kind: WriteKind::Error,
        slot: 0,
        value: message.into_bytes().into(),
    };
    if let Err(storage) = sink.write(write).await {
        tracing::error!(%storage, "could not save a task's error");
    }
    error
}

/// Who made a task's output, for events and errors: its node's task, or, when the node's error
/// handler made it, the handler's task.
fn writer<S: State>(
    graph: &Plan<S>,
    task: TaskId,
    node: usize,
    output: &TaskOutput<S>,
) -> (NodeId, TaskId) {
    let id = &graph.nodes[node].id;
    if output.handled {
        (NodeId::error_handler(id), task.error_handler())
    } else {
        (id.clone(), task)
    }
}

/// What the task `id` saved before this run, taken out of `saved`. Most supersteps have nothing
/// saved, and then no task's id is hashed (SipHash, per task) for a lookup that finds nothing.
fn take_saved(saved: &mut HashMap<TaskId, SavedTask>, id: TaskId) -> SavedTask {
    if saved.is_empty() {
        return SavedTask::default();
    }
    saved.remove(&id).unwrap_or_default()
}

/// What a task's [`TaskShared`] is made of, besides what it saved before.
struct TaskSpec<'a> {
    step: i64,
    node: NodeId,
    id: TaskId,
    writes: &'a Arc<WriteSink>,
    events: &'a Option<Arc<dyn NodeEventSink>>,
    call: Option<Arc<CallSettings>>,
}

impl<S: State> Run<S> {
    /// What every attempt of the task `spec` shares, with what it `saved` in an earlier run.
    fn task_shared(&self, spec: TaskSpec<'_>, saved: SavedTask) -> TaskShared {
        TaskShared {
            thread: self.thread.clone(),
            ns: self.ns.clone(),
            step: spec.step,
            node: spec.node,
            task_id: spec.id,
            resumes: saved.resumes,
            journal: Mutex::new(saved.effects),
            writes: Arc::clone(spec.writes),
            events: spec.events.clone(),
            remaining: self.config.max_supersteps.saturating_sub(self.supersteps),
            context: self.config.context.clone(),
            store: self.persistence.store.clone(),
            call: spec.call,
            nested_answers: saved.nested_answers,
            nested: Mutex::new(Vec::new()),
        }
    }
}

/// One task of a superstep with what it needs to end: its parts travel together, so nothing has
/// to line up with another list by position.
struct Job<'a, S: State> {
    id: TaskId,
    node: usize,
    work: Work<'a, S>,
}

/// How a task gets its output.
enum Work<'a, S: State> {
    /// It saved its output before (in a superstep a failure or a crash cut short).
    Saved(TaskOutput<S>),
    /// It runs.
    Run(TaskRun<'a, S>),
}

/// A task of the superstep, ended.
struct Ended<S: State> {
    id: TaskId,
    node: usize,
    how: How<S>,
}

/// How a task ended: with its saved output, or by running (to an output, a failure or a pause).
enum How<S: State> {
    Reused(TaskOutput<S>),
    Ran(TaskResult<S>),
}

impl<'a, S: State> Job<'a, S> {
    /// The task's future. A superstep allocates one per task (`join_all` boxes each), so it
    /// captures the job's parts, not the job: an `async fn` taking `self` would hold the whole
    /// job beside the node's future, a copy of it too, and cost every task of a fan-out that much
    /// more memory to allocate, move and fault in.
    fn finish(self) -> impl Future<Output = Ended<S>> + 'a {
        let Job { id, node, work } = self;
        let ended = move |how| Ended { id, node, how };
        match work {
            Work::Saved(output) => Either::Left(future::ready(ended(How::Reused(output)))),
            // The task stays where the future captured it, and `run` borrows it there.
            Work::Run(mut run) => Either::Right(async move {
                let span = tracing::debug_span!("task", node = %run.shared.node, task_id = %run.shared.task_id);
                ended(How::Ran(run.run().instrument(span).await))
            }),
        }
    }
}
