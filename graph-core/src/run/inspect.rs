//! Reading and editing a thread without running it: `get_state` ([`Run::snapshot`]) and
//! `update_state` ([`Run::update_state`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::checkpoint::Source;
use crate::config::{Persistence, RunConfig};
use crate::context::{TaskShared, WriteSink};
use crate::error::{Error, Result};
use crate::ids::{CheckpointId, NodeId, TaskId};
use crate::node::Command;
use crate::outcome::{Interrupt, StateSnapshot, TaskInfo, ThreadStatus};
use crate::plan::Plan;
use crate::state::State;
use crate::stream::EventSink;
use crate::task::route;

use super::Run;

impl<S: State> Run<S> {
    /// The thread's state at the addressed checkpoint, for `get_state`.
    pub(crate) async fn snapshot(
        plan: Arc<Plan<S>>,
        persistence: Persistence,
        config: &RunConfig,
    ) -> Result<StateSnapshot<S>> {
        if persistence.checkpointer.is_none() {
            return Err(Error::NoCheckpointer("get_state"));
        }
        let sink = EventSink::silent(&config.thread);
        let mut run = Run::new(plan, persistence, config.clone(), sink);
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
        let head = run.restore(loaded)?.clone();
        let open = run.pending_interrupts();
        let pending: Vec<Interrupt> = open.iter().map(|open| open.interrupt.clone()).collect();
        let tasks: Vec<TaskInfo> = run
            .frontier
            .plan(&run.plan, &run.ns, head.id)
            .into_iter()
            .map(|task| {
                // What the node's error handler saved counts as the task's.
                let handler = run.plan.nodes[task.node]
                    .on_error
                    .as_ref()
                    .map(|_| task.id.error_handler());
                let saved: Vec<_> = std::iter::once(task.id)
                    .chain(handler)
                    .filter_map(|id| run.saved.get(&id))
                    .collect();
                let finished = saved.iter().any(|s| s.output.is_some());
                let error = saved.iter().rev().find_map(|s| s.error.clone());
                TaskInfo {
                    id: task.id,
                    node: run.plan.nodes[task.node].id.clone(),
                    path: task.path,
                    finished,
                    error: error.filter(|_| !finished),
                    interrupt: open
                        .iter()
                        .find(|open| open.task == task.id || Some(open.task) == handler)
                        .map(|open| open.interrupt.clone()),
                }
            })
            .collect();
        let status = if !pending.is_empty() {
            ThreadStatus::Interrupted
        } else if tasks.iter().any(|t| t.error.is_some()) {
            ThreadStatus::Error
        } else if run.frontier.is_idle() {
            ThreadStatus::Idle
        } else if head.breakpoint.is_some() {
            ThreadStatus::Interrupted
        } else {
            ThreadStatus::Pending
        };
        Ok(StateSnapshot {
            next: head.next.clone(),
            values: Arc::unwrap_or_clone(run.state),
            checkpoint: Some(head),
            tasks,
            interrupts: pending,
            status,
        })
    }

    /// `update_state`: writes an update as a node in a new checkpoint.
    pub(crate) async fn update_state(
        plan: Arc<Plan<S>>,
        persistence: Persistence,
        config: &RunConfig,
        update: S::Update,
        as_node: Option<&str>,
    ) -> Result<CheckpointId> {
        if persistence.checkpointer.is_none() {
            return Err(Error::NoCheckpointer("update_state"));
        }
        let sink = EventSink::silent(&config.thread);
        let mut run = Run::new(plan, persistence, config.clone(), sink);
        if let Some(loaded) = run.load().await? {
            run.restore(loaded)?;
        }
        let refuse = |reason: String| Error::StateUpdate {
            thread: config.thread.clone(),
            reason,
        };
        let node = match as_node {
            Some(name) => *run
                .plan
                .index
                .get(name)
                .ok_or_else(|| refuse(format!("node `{name}` does not exist")))?,
            None => {
                let mut writers: Vec<&NodeId> = run
                    .head
                    .as_ref()
                    .map(|h| h.writers.iter().collect())
                    .unwrap_or_default();
                writers.dedup();
                match writers.as_slice() {
                    [one] => *run.plan.index.get(*one).ok_or_else(|| {
                        refuse(format!(
                            "node `{one}`, which wrote the base checkpoint, is no longer in the \
                             graph; pass as_node"
                        ))
                    })?,
                    [] => {
                        return Err(refuse(
                            "no node wrote the base checkpoint; pass as_node".into(),
                        ));
                    }
                    many => {
                        let names = many
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        return Err(refuse(format!(
                            "ambiguous update: {names} wrote the base checkpoint; pass as_node"
                        )));
                    }
                }
            }
        };
        let step = run.step() + 1;
        let id = run.plan.nodes[node].id.clone();
        let shared = TaskShared {
            thread: run.thread.clone(),
            ns: run.ns.clone(),
            step,
            node: id.clone(),
            task_id: TaskId(0),
            resumes: BTreeMap::new(),
            journal: Mutex::new(BTreeMap::new()),
            writes: Arc::new(WriteSink::Discard),
            events: None,
            // An edit is no superstep of a run: it uses none of the budget.
            remaining: run.config.max_supersteps,
            context: run.config.context.clone(),
            call: None,
            nested_answers: BTreeMap::new(),
            nested: Mutex::new(Vec::new()),
        };
        let snapshot = Arc::clone(&run.state);
        let output = route(
            &run.plan,
            node,
            &snapshot,
            Command::update(update),
            &shared,
            false,
        )?;
        drop(snapshot);
        let mut frontier = run.frontier.clone();
        frontier.pull.clear();
        frontier.push.clear();
        frontier.record(&run.plan, node, &output);
        frontier.normalize(&run.plan);
        let writes = run.apply(step, vec![(id.clone(), output.update)])?;
        let committed = run
            .commit(Source::Update, step, vec![id], writes, frontier, false)
            .await?;
        Ok(committed.id)
    }
}
