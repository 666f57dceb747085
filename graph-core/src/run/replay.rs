//! Replaying from a subgraph's checkpoint ([`Run::fork_toward`]): a call that addresses a
//! checkpoint inside a subgraph's namespace (`RunConfig::at_checkpoint`) forks every graph on
//! the way down, so the subgraph continues from that checkpoint and nothing it ran before it
//! runs again (LangGraph's #8458 re-runs the whole subgraph).
//!
//! A subgraph's namespace ends in the id of the parent's task that ran it, and a task id
//! derives from the checkpoint that planned it. So each level finds, in its source namespace,
//! the checkpoint that planned the next level's task ([`Run::planner_of`]), forks it as its own
//! new head, and passes the target down to the task planned at the same place from that head
//! (which has a new id, hence a fresh namespace). The deepest level forks the addressed
//! checkpoint itself. A fork drops what the old tasks saved, as any replay does: the nodes after
//! the checkpoint run again, their interrupts included.

use crate::checkpoint::{LoadedCheckpoint, Source};
use crate::config::ReplayTarget;
use crate::error::{Error, Result};
use crate::ids::{CheckpointId, Namespace, NodeId, TaskId, TaskPath};
use crate::state::State;

use super::Run;
use super::apply::FieldChange;

impl<S: State> Run<S> {
    /// Forks this run's graph toward `target`, a checkpoint at or below its namespace: from
    /// the addressed checkpoint itself when it is in this graph's source namespace, or else from
    /// the checkpoint there that planned the next level's task, whose new task then takes the
    /// target down.
    pub(super) async fn fork_toward(&mut self, target: ReplayTarget) -> Result<()> {
        let depth = self.ns.depth();
        if depth == 0 {
            // Checked before anything forks, so a wrong address changes nothing.
            self.load_from(&target.ns, target.checkpoint).await?;
        }
        let levels: Vec<(NodeId, TaskId)> = target.ns.levels().collect();
        let source = levels[..depth]
            .iter()
            .fold(Namespace::root(), |ns, (node, task)| ns.child(node, *task));
        let (loaded, path) = match levels.get(depth) {
            None => (self.load_from(&source, target.checkpoint).await?, None),
            Some((node, task)) => {
                let (loaded, path) = self.planner_of(&source, node, *task).await?;
                (loaded, Some(path))
            }
        };
        let step = loaded.meta.step;
        if source == self.ns {
            // The root: a fork in its own history, as a replay of an older checkpoint.
            self.restore(loaded)?;
            self.fork(step).await?;
        } else {
            // A subgraph's new task, whose namespace is empty: the copy holds every field.
            self.restore(loaded)?;
            self.saved.clear();
            self.head = None;
            self.last_stored = None;
            self.versions = vec![None; S::FIELDS.len()];
            self.stored_small = vec![None; S::FIELDS.len()];
            let every_field = (0..S::FIELDS.len()).map(FieldChange::Unencoded).collect();
            let frontier = self.frontier.clone();
            self.commit(Source::Fork, step, Vec::new(), every_field, frontier, false)
                .await?;
        }
        if let Some(path) = path {
            let head = self.head_id();
            let task = self
                .frontier
                .plan(&self.plan, &self.ns, head)
                .into_iter()
                .find(|task| task.path == path)
                .map(|task| task.id)
                .ok_or_else(|| self.unreachable(&target.ns, "its task is not planned again"))?;
            self.descend = Some((task, target));
        }
        Ok(())
    }

    /// Checkpoint `id` (the latest without one) of namespace `ns`.
    async fn load_from(
        &self,
        ns: &Namespace,
        id: Option<CheckpointId>,
    ) -> Result<LoadedCheckpoint> {
        let checkpointer = self
            .persistence
            .checkpointer
            .as_ref()
            .ok_or(Error::NoCheckpointer("a replay"))?;
        let found = checkpointer
            .get(&self.thread, ns, id)
            .await
            .map_err(|e| self.storage(e))?;
        match (found, id) {
            (Some(found), _) => Ok(found),
            (None, Some(checkpoint)) if ns.is_root() => Err(Error::CheckpointNotFound {
                thread: self.thread.clone(),
                checkpoint,
            }),
            (None, Some(checkpoint)) => {
                Err(self.unreachable(ns, &format!("it has no checkpoint {checkpoint}")))
            }
            (None, None) => Err(self.unreachable(ns, "it has no checkpoint")),
        }
    }

    /// The checkpoint of namespace `ns` that planned task `task` of node `node`, and the task's
    /// place in its superstep. Only checkpoints that plan `node` next are read.
    async fn planner_of(
        &self,
        ns: &Namespace,
        node: &NodeId,
        task: TaskId,
    ) -> Result<(LoadedCheckpoint, TaskPath)> {
        let checkpointer = self
            .persistence
            .checkpointer
            .as_ref()
            .ok_or(Error::NoCheckpointer("a replay"))?;
        let history = checkpointer
            .list(
                &self.thread,
                ns,
                &crate::checkpoint::HistoryQuery::default(),
            )
            .await
            .map_err(|e| self.storage(e))?;
        for meta in history.iter().filter(|meta| meta.next.contains(node)) {
            let loaded = self.load_from(ns, Some(meta.id)).await?;
            let frontier = crate::frontier::Frontier::decode(&self.plan, &loaded.frontier)
                .map_err(|reason| self.decode_error(meta.id, "the frontier".into(), reason))?;
            let planned = frontier.plan(&self.plan, ns, meta.id);
            if let Some(found) = planned.into_iter().find(|t| t.id == task) {
                return Ok((loaded, found.path));
            }
        }
        let target = ns.child(node, task);
        Err(self.unreachable(&target, "no checkpoint of its parent planned its task"))
    }

    fn unreachable(&self, ns: &Namespace, reason: &str) -> Error {
        Error::Namespace {
            thread: self.thread.clone(),
            ns: ns.clone(),
            reason: format!("cannot replay from it: {reason}"),
        }
    }
}
