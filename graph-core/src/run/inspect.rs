//! Reading and editing a thread without running it: `get_state` ([`Run::snapshot`]), a page of
//! history with values ([`Run::history`]). Editing is in `edit.rs`.

use std::sync::Arc;

use crate::checkpoint::{CheckpointMeta, HistoryQuery};
use crate::config::{Persistence, RunConfig, StateOptions};
use crate::error::{Error, Result};
use crate::outcome::{Interrupt, StateSnapshot, SubgraphSnapshot, TaskInfo, ThreadStatus};
use crate::plan::{ChildAddress, Plan};
use crate::state::State;
use crate::stream::EventSink;

use super::Run;
use super::bridge::state_json;

/// What `get_state` reports of a run's head besides its values.
struct Inspected {
    head: CheckpointMeta,
    tasks: Vec<TaskInfo>,
    interrupts: Vec<Interrupt>,
    status: ThreadStatus,
}

impl<S: State> Run<S> {
    /// The thread's state at the addressed checkpoint, for `get_state`.
    pub(crate) async fn snapshot(
        plan: Arc<Plan<S>>,
        persistence: Persistence,
        config: &RunConfig,
        options: StateOptions,
    ) -> Result<StateSnapshot<S>> {
        if persistence.checkpointer.is_none() {
            return Err(Error::NoCheckpointer("get_state"));
        }
        let sink = EventSink::silent(&config.thread);
        let mut run = Run::new(plan, persistence, config.clone(), sink);
        run.check_root("get_state")?;
        let Some(loaded) = run.load().await? else {
            return Ok(StateSnapshot {
                values: S::default(),
                checkpoint: None,
                next: Vec::new(),
                tasks: Vec::new(),
                interrupts: Vec::new(),
                status: ThreadStatus::Idle,
            });
        };
        run.restore(loaded)?;
        let inspected = run.inspect(options.subgraphs).await?;
        Ok(StateSnapshot {
            next: inspected.head.next.clone(),
            values: Arc::unwrap_or_clone(run.state),
            checkpoint: Some(inspected.head),
            tasks: inspected.tasks,
            interrupts: inspected.interrupts,
            status: inspected.status,
        })
    }

    /// A page of the root graph's history with values, for `get_state_history_values`: one
    /// [`crate::Checkpointer::history`] read, then each checkpoint restored and inspected as
    /// `get_state` does (without subgraph states, which would cost a read per task).
    pub(crate) async fn history(
        plan: Arc<Plan<S>>,
        persistence: Persistence,
        config: &RunConfig,
        query: &HistoryQuery,
    ) -> Result<Vec<StateSnapshot<S>>> {
        let Some(checkpointer) = persistence.checkpointer.clone() else {
            return Err(Error::NoCheckpointer("get_state_history_values"));
        };
        let sink = EventSink::silent(&config.thread);
        let run = Run::new(plan, persistence, config.clone(), sink);
        run.check_root("get_state_history_values")?;
        let page = checkpointer
            .history(&run.thread, &run.ns, query)
            .await
            .map_err(|e| run.storage(e))?;
        let mut snapshots = Vec::with_capacity(page.len());
        for loaded in page {
            let sink = EventSink::silent(&config.thread);
            let mut run = Run::new(
                Arc::clone(&run.plan),
                run.persistence.clone(),
                config.clone(),
                sink,
            );
            run.restore(loaded)?;
            let inspected = run.inspect(false).await?;
            snapshots.push(StateSnapshot {
                next: inspected.head.next.clone(),
                values: Arc::unwrap_or_clone(run.state),
                checkpoint: Some(inspected.head),
                tasks: inspected.tasks,
                interrupts: inspected.interrupts,
                status: inspected.status,
            });
        }
        Ok(snapshots)
    }

    /// A subgraph's state at a checkpoint of its task's namespace, `None` if it has none.
    pub(crate) async fn nested_snapshot(
        plan: Arc<Plan<S>>,
        at: ChildAddress<'_>,
    ) -> Result<Option<SubgraphSnapshot>> {
        let mut config = RunConfig::thread(at.thread.clone());
        config.ns = at.ns.clone();
        config.checkpoint = at.checkpoint;
        let sink = EventSink::silent(at.thread);
        let mut run = Run::new(plan, at.persistence.clone(), config, sink);
        run.ns = at.ns.clone();
        let Some(loaded) = run.load().await? else {
            return Ok(None);
        };
        run.restore(loaded)?;
        let inspected = run.inspect(at.subgraphs).await?;
        Ok(Some(SubgraphSnapshot {
            values: state_json(&*run.state),
            next: inspected.head.next.clone(),
            checkpoint: inspected.head,
            tasks: inspected.tasks,
            interrupts: inspected.interrupts,
            status: inspected.status,
        }))
    }

    /// The restored head's tasks, pending interrupts and status; with `subgraphs`, each
    /// unfinished subgraph task's subgraph state too.
    async fn inspect(&self, subgraphs: bool) -> Result<Inspected> {
        let Some(head) = self.head.clone() else {
            return Err(Error::Unsupported("inspecting a thread with no checkpoint"));
        };
        let open = self.pending_interrupts();
        let pending: Vec<Interrupt> = open.iter().map(|open| open.interrupt.clone()).collect();
        let mut tasks = Vec::new();
        for task in self.frontier.plan(&self.plan, &self.ns, head.id) {
            let node = &self.plan.nodes[task.node];
            // What the node's error handler saved counts as the task's.
            let handler = node.on_error.as_ref().map(|_| task.id.error_handler());
            let saved: Vec<_> = std::iter::once(task.id)
                .chain(handler)
                .filter_map(|id| self.saved.get(&id))
                .collect();
            let finished = saved.iter().any(|s| s.output.is_some());
            let error = saved.iter().rev().find_map(|s| s.error.clone());
            let state = match &node.subgraph {
                Some(child) if subgraphs && !finished => child
                    .snapshot(ChildAddress {
                        persistence: &self.persistence,
                        thread: &self.thread,
                        ns: &self.ns.child(&node.id, task.id),
                        checkpoint: None,
                        subgraphs,
                    })
                    .await?
                    .map(Box::new),
                _ => None,
            };
            tasks.push(TaskInfo {
                id: task.id,
                node: node.id.clone(),
                path: task.path,
                finished,
                error: error.filter(|_| !finished),
                interrupt: open
                    .iter()
                    .find(|open| open.task == task.id || Some(open.task) == handler)
                    .map(|open| open.interrupt.clone()),
                state,
            });
        }
        let status = if !pending.is_empty() {
            ThreadStatus::Interrupted
        } else if tasks.iter().any(|t| t.error.is_some()) {
            ThreadStatus::Error
        } else if self.frontier.is_idle() {
            ThreadStatus::Idle
        } else if head.breakpoint.is_some() {
            ThreadStatus::Interrupted
        } else {
            ThreadStatus::Pending
        };
        Ok(Inspected {
            head,
            tasks,
            interrupts: pending,
            status,
        })
    }
}
