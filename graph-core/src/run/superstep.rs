//! The superstep loop: plan the frontier's tasks, run them concurrently on one snapshot of the
//! state (reusing outputs saved before), then hand their updates, in task order, to apply and
//! commit.

use std::sync::{Arc, Mutex};

use tracing::Instrument;

use crate::checkpoint::Source;
use crate::config::Durability;
use crate::context::{TaskShared, WriteSink};
use crate::error::{Error, Result};
use crate::frontier::TaskOutput;
use crate::ids::CheckpointId;
use crate::outcome::RunStatus;
use crate::state::State;
use crate::stream::EventKind;
use crate::task::{TaskResult, TaskRun};

use super::Run;

impl<S: State> Run<S> {
    pub(super) async fn run_supersteps(&mut self) -> Result<RunStatus> {
        loop {
            if self.frontier.is_idle() {
                return Ok(RunStatus::Done);
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

    pub(super) fn write_sink(&mut self, head: CheckpointId) -> Arc<WriteSink> {
        let sink = match (&self.persistence.checkpointer, self.config.durability) {
            (None, _) => WriteSink::Discard,
            (Some(checkpointer), Durability::Sync) => WriteSink::Direct {
                checkpointer: Arc::clone(checkpointer),
                thread: self.thread.clone(),
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
        let head = self.head.as_ref().map_or(CheckpointId(0), |h| h.id);
        let graph = Arc::clone(&self.plan);
        let tasks = self.frontier.plan(&graph, head);
        let sink = self.write_sink(head);
        let persist = self.persistence.checkpointer.is_some();
        for task in &tasks {
            let node = &graph.nodes[task.node].id;
            self.events
                .send(step, Some(node), Some(task.id), EventKind::TaskStart)
                .await;
        }

        let snapshot = Arc::clone(&self.state);
        let node_events: Option<Arc<dyn crate::stream::NodeEventSink>> = if self.events.enabled() {
            Some(Arc::clone(&self.events) as Arc<dyn crate::stream::NodeEventSink>)
        } else {
            None
        };
        let mut runs = Vec::with_capacity(tasks.len());
        let mut reused = Vec::with_capacity(tasks.len());
        for task in &tasks {
            let mut saved = self.saved.remove(&task.id).unwrap_or_default();
            if let Some(bytes) = saved.output.take() {
                let output = TaskOutput::<S>::decode(&graph, &bytes).map_err(|reason| {
                    self.decode_error(
                        head,
                        format!(
                            "the output of task {} (`{}`)",
                            task.id, graph.nodes[task.node].id
                        ),
                        reason,
                    )
                })?;
                reused.push(Some(output));
                runs.push(None);
                continue;
            }
            reused.push(None);
            let shared = Arc::new(TaskShared {
                thread: self.thread.clone(),
                step,
                node: graph.nodes[task.node].id.clone(),
                task_id: task.id,
                resumes: saved.resumes,
                journal: Mutex::new(saved.effects),
                writes: Arc::clone(&sink),
                events: node_events.clone(),
            });
            runs.push(Some(TaskRun {
                graph: &graph,
                node: task.node,
                arg: task.arg.clone(),
                snapshot: &snapshot,
                shared,
                events: &self.events,
                persist,
                save_output: tasks.len() > 1,
            }));
        }
        let futures = runs.into_iter().map(|run| async move {
            let run = run?;
            let span = tracing::debug_span!("task", node = %run.shared.node, task_id = %run.shared.task_id);
            Some(run.run().instrument(span).await)
        });
        let results: Vec<Option<TaskResult<S>>> = if tasks.len() == 1 {
            vec![futures.into_iter().next().expect("one task").await]
        } else {
            futures_util::future::join_all(futures).await
        };
        drop(snapshot);

        let mut outputs: Vec<(usize, TaskOutput<S>)> = Vec::with_capacity(tasks.len());
        let mut failure: Option<Error> = None;
        let mut interrupts = Vec::new();
        for ((task, result), reused) in tasks.iter().zip(results).zip(reused) {
            match (result, reused) {
                (_, Some(output)) => outputs.push((task.node, output)),
                (Some(TaskResult::Done(output)), None) => {
                    self.executed.push(graph.nodes[task.node].id.clone());
                    outputs.push((task.node, output));
                }
                (Some(TaskResult::Failed(error)), None) => {
                    failure.get_or_insert(error);
                }
                (Some(TaskResult::Interrupted(interrupt)), None) => interrupts.push(interrupt),
                (None, None) => unreachable!("every task either ran or was reused"),
            }
        }
        if let Some(error) = failure {
            return Err(error);
        }
        if !interrupts.is_empty() {
            return Ok(Some(RunStatus::Interrupted(interrupts)));
        }

        let mut frontier = self.frontier.clone();
        frontier.pull.clear();
        frontier.push.clear();
        let mut writers = Vec::with_capacity(outputs.len());
        let mut updates = Vec::with_capacity(outputs.len());
        let mut after = false;
        for (task, (node, output)) in tasks.iter().zip(outputs) {
            frontier.record(&graph, node, &output.goto, &output.push);
            after |= graph.nodes[node].interrupt_after;
            let id = graph.nodes[node].id.clone();
            if self.events.enabled() {
                let kind = EventKind::Update(output.update.clone());
                self.events.send(step, Some(&id), Some(task.id), kind).await;
            }
            writers.push(id.clone());
            updates.push((id, output.update));
        }
        frontier.normalize(&graph);
        let writes = self.apply(step, updates)?;
        self.commit(Source::Loop, step, writers, writes, frontier, after)
            .await
    }
}
