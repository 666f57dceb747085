//! Editing a thread without running its nodes: `update_state` and `bulk_update_state`
//! ([`Run::update_state`]), one checkpoint per superstep of updates, and the checkpoint a
//! [`crate::Command`] given as input writes before the run continues ([`Run::command`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::checkpoint::Source;
use crate::config::{Durability, Persistence, RunConfig};
use crate::context::{TaskShared, WriteSink};
use crate::edit::UpdateTarget;
use crate::error::{Error, Result};
use crate::frontier::Frontier;
use crate::ids::{CheckpointId, NodeId, TaskId};
use crate::node::{Command, Goto};
use crate::plan::Plan;
use crate::state::{State, Update};
use crate::stream::EventSink;
use crate::task::route;

use super::Run;

/// The writer name an update applied as input carries in conflict errors, as `invoke`'s does.
fn input_node() -> NodeId {
    NodeId::from("input")
}

impl<S: State> Run<S> {
    /// A run restored at the checkpoint `config` addresses (the latest without one), for an edit.
    async fn for_edit(
        plan: Arc<Plan<S>>,
        persistence: Persistence,
        config: &RunConfig,
        what: &'static str,
    ) -> Result<Self> {
        if persistence.checkpointer.is_none() {
            return Err(Error::NoCheckpointer(what));
        }
        let sink = EventSink::silent(&config.thread);
        // An edit is its checkpoint: stored now whatever the call's durability, or
        // `Durability::Exit` would hold an input checkpoint back and drop it with this run.
        let config = config.clone().durability(Durability::Sync);
        let mut run = Run::new(plan, persistence, config, sink);
        run.check_root(what)?;
        if let Some(loaded) = run.load().await? {
            run.restore(loaded)?;
        }
        Ok(run)
    }

    fn refuse(&self, reason: impl Into<String>) -> Error {
        Error::StateUpdate {
            thread: self.thread.clone(),
            reason: reason.into(),
        }
    }

    /// `update_state` and `bulk_update_state`: each superstep of updates becomes one checkpoint,
    /// the next one's base. Returns the last checkpoint's id.
    pub(crate) async fn update_state(
        plan: Arc<Plan<S>>,
        persistence: Persistence,
        config: &RunConfig,
        supersteps: Vec<Vec<(S::Update, UpdateTarget)>>,
    ) -> Result<CheckpointId> {
        let mut run = Run::for_edit(plan, persistence, config, "update_state").await?;
        if supersteps.is_empty() {
            return Err(run.refuse("no supersteps of updates were given"));
        }
        let mut last = run.head_id();
        for superstep in supersteps {
            match superstep.as_slice() {
                [] => return Err(run.refuse("a superstep of updates is empty")),
                [(_, target)] if target.is_special() => {
                    let Some((update, target)) = superstep.into_iter().next() else {
                        unreachable!("matched one update");
                    };
                    last = run.special(update, target).await?;
                }
                many => {
                    if let Some((_, target)) = many.iter().find(|(_, t)| t.is_special()) {
                        return Err(run.refuse(format!(
                            "{target:?} must be the only update of its superstep"
                        )));
                    }
                    last = run.as_nodes(superstep).await?;
                }
            }
        }
        Ok(last)
    }

    /// One superstep of updates as nodes: each runs through its node's routing as that node's
    /// task would, and they apply together, in order, like the tasks of one superstep (a field
    /// without a reducer written twice is a conflict).
    async fn as_nodes(&mut self, updates: Vec<(S::Update, UpdateTarget)>) -> Result<CheckpointId> {
        let step = self.step() + 1;
        let mut frontier = self.frontier.carried_over();
        let mut writers = Vec::with_capacity(updates.len());
        let mut applied = Vec::with_capacity(updates.len());
        for (i, (update, target)) in updates.into_iter().enumerate() {
            let node = self.edited_node(&target)?;
            let id = self.plan.nodes[node].id.clone();
            let shared = self.edit_task(step, &id, i);
            let snapshot = Arc::clone(&self.state);
            let mut output = route(
                &self.plan,
                node,
                &snapshot,
                Command::update(update),
                &shared,
                false,
            )?;
            drop(snapshot);
            frontier.record(&self.plan, node, &mut output);
            writers.push(id.clone());
            applied.push((id, output.update));
        }
        frontier.normalize(&self.plan);
        let writes = self.apply(step, applied)?;
        let committed = self
            .commit(Source::Update, step, writers, writes, frontier, false)
            .await?;
        Ok(committed.id)
    }

    /// The node an update is applied as.
    fn edited_node(&self, target: &UpdateTarget) -> Result<usize> {
        match target {
            UpdateTarget::Node(name) => self
                .plan
                .index
                .get(name)
                .copied()
                .ok_or_else(|| self.refuse(format!("node `{name}` does not exist"))),
            UpdateTarget::LastWriter => {
                let mut writers: Vec<&NodeId> = self
                    .head
                    .as_ref()
                    .map(|h| h.writers.iter().collect())
                    .unwrap_or_default();
                writers.dedup();
                match writers.as_slice() {
                    [one] => self.plan.index.get(*one).copied().ok_or_else(|| {
                        self.refuse(format!(
                            "node `{one}`, which wrote the base checkpoint, is no longer in the \
                             graph; pass as_node"
                        ))
                    }),
                    [] => Err(self.refuse("no node wrote the base checkpoint; pass as_node")),
                    many => {
                        let names = many
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        Err(self.refuse(format!(
                            "ambiguous update: {names} wrote the base checkpoint; pass as_node"
                        )))
                    }
                }
            }
            UpdateTarget::Input | UpdateTarget::End | UpdateTarget::Copy => {
                unreachable!("special targets are applied by `special`")
            }
        }
    }

    /// What a node's routing sees of an edit: a task of its own, writing nowhere.
    fn edit_task(&self, step: i64, node: &NodeId, index: usize) -> TaskShared {
        TaskShared {
            thread: self.thread.clone(),
            ns: self.ns.clone(),
            step,
            node: node.clone(),
            task_id: TaskId(index as u128),
            resumes: BTreeMap::new(),
            journal: Mutex::new(BTreeMap::new()),
            writes: Arc::new(WriteSink::Discard),
            events: None,
            // An edit is no superstep of a run: it uses none of the budget.
            remaining: self.config.max_supersteps,
            context: self.config.context.clone(),
            store: self.persistence.store.clone(),
            call: None,
            nested_answers: BTreeMap::new(),
            nested: Mutex::new(Vec::new()),
        }
    }

    /// `__input__`, `__end__` or `__copy__` (see [`UpdateTarget`]).
    async fn special(&mut self, update: S::Update, target: UpdateTarget) -> Result<CheckpointId> {
        match target {
            UpdateTarget::Copy => {
                if self.head.is_none() {
                    return Err(self.refuse("cannot copy: the thread has no checkpoint"));
                }
                if !update.is_empty() {
                    return Err(self.refuse("a copy (__copy__) takes no update"));
                }
                let step = self.step();
                self.fork(step).await?;
                Ok(self.head_id())
            }
            UpdateTarget::Input => self.as_input(update, &[]).await,
            UpdateTarget::End => {
                let step = self.step() + 1;
                self.saved.clear();
                let writes = self.apply(step, vec![(NodeId::from("END"), update)])?;
                let frontier = Frontier::empty(&self.plan);
                let committed = self
                    .commit(Source::Update, step, Vec::new(), writes, frontier, false)
                    .await?;
                Ok(committed.id)
            }
            UpdateTarget::LastWriter | UpdateTarget::Node(_) => {
                unreachable!("node targets are applied by `as_nodes`")
            }
        }
    }

    /// Applies `update` as new input, as `invoke` does: what was planned or waiting is dropped,
    /// and the next superstep runs `goto`, or, without one, what START leads to.
    async fn as_input(&mut self, update: S::Update, goto: &[usize]) -> Result<CheckpointId> {
        let step = self.head.as_ref().map_or(-1, |h| h.step + 1);
        self.frontier = Frontier::empty(&self.plan);
        self.saved.clear();
        let writes = self.apply(step, vec![(input_node(), update)])?;
        let mut frontier = self.frontier.clone();
        if goto.is_empty() {
            let entry = self.entry_routes(step)?;
            for &node in self.plan.entry.iter().chain(&entry) {
                frontier.trigger(&self.plan, node);
            }
        } else {
            for &node in goto {
                frontier.trigger(&self.plan, node);
            }
        }
        frontier.normalize(&self.plan);
        let committed = self
            .commit(Source::Input, step, Vec::new(), writes, frontier, false)
            .await?;
        Ok(committed.id)
    }

    /// A [`Command`] given as input (LangGraph's `invoke(Command(update=, goto=))`): writes the
    /// checkpoint the run then continues from, and returns its id.
    ///
    /// - On a thread with no checkpoint, `update` is the input and the first superstep runs
    ///   `goto` instead of START's edges (START's edges when `goto` is empty): an `input`
    ///   checkpoint.
    /// - Otherwise `update` goes through the reducers as input does (no node wrote it), and
    ///   `goto`'s nodes run in the next superstep **besides** what the base checkpoint planned:
    ///   an `update` checkpoint. A base whose planned tasks saved writes (a pending interrupt,
    ///   finished siblings) is refused: the new checkpoint would drop them; resume it first.
    pub(crate) async fn command(
        plan: Arc<Plan<S>>,
        persistence: Persistence,
        config: &RunConfig,
        command: Command<S>,
    ) -> Result<CheckpointId> {
        let mut run = Run::for_edit(plan, persistence, config, "invoke_command").await?;
        if command.to_parent {
            return Err(run.refuse("a command given as input has no parent graph to go to"));
        }
        if command.update.is_empty() && command.goto.0.is_empty() {
            return Err(run.refuse("the command is empty: give an update or a goto"));
        }
        let step = run.step() + 1;
        let (mut goto, mut push) = (Vec::new(), Vec::new());
        for item in command.goto.0 {
            if let Goto::Push(_) = item {
                return Err(run.refuse("a command given as input routes to nodes, not Push"));
            }
            crate::task::resolve(&run.plan, item, None, &mut goto, &mut push).map_err(
                |(target, reason)| Error::Route {
                    thread: run.thread.clone(),
                    step,
                    node: NodeId::from("command"),
                    target,
                    reason,
                },
            )?;
        }
        if run.head.is_none() {
            return run.as_input(command.update, &goto).await;
        }
        if !run.saved.is_empty() {
            return Err(run.refuse(
                "the base checkpoint's superstep is part-done (its tasks saved writes: an \
                 interrupt, a failure or finished tasks); resume it first",
            ));
        }
        let mut frontier = run.frontier.clone();
        for &node in &goto {
            frontier.trigger(&run.plan, node);
        }
        frontier.normalize(&run.plan);
        let writes = run.apply(step, vec![(input_node(), command.update)])?;
        let committed = run
            .commit(Source::Update, step, Vec::new(), writes, frontier, false)
            .await?;
        Ok(committed.id)
    }
}
