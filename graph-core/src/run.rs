//! One run of a graph on a thread: restore the thread's checkpoint, apply input or resume
//! answers, then loop over supersteps — plan, run tasks concurrently, apply their updates in task
//! order, advance the frontier, checkpoint — until the frontier is empty, a task pauses or fails,
//! or a breakpoint is hit.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use std::panic::AssertUnwindSafe;

use tracing::Instrument;

use crate::checkpoint::{
    Breakpoint, Checkpoint, CheckpointMeta, FieldValue, FieldVersion, FieldWrite, LoadedCheckpoint,
    PendingWrite, Source, WriteKind,
};
use crate::config::{Durability, Persistence, Resume, RunConfig};
use crate::context::{EffectRecord, TaskShared, WriteSink};
use crate::error::{Error, Result};
use crate::frontier::{Frontier, TaskOutput};
use crate::ids::{CheckpointId, NodeId, TaskId, ThreadId};
use crate::node::Command;
use crate::outcome::{Interrupt, RunOutput, RunStatus, StateSnapshot, TaskInfo, ThreadStatus};
use crate::plan::Plan;
use crate::state::{State, field_index};
use crate::stream::{EventKind, EventSink};
use crate::task::{TaskResult, TaskRun, panic_message, route};

/// A field written by a superstep: its index and, when encoded now, the value to store and its
/// lineage.
type FieldChange = (usize, Option<(FieldValue, Lineage)>);

/// How a stored value of a field relates to its latest snapshot. It decides whether the next
/// write of an append-style field is a delta or a new snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lineage {
    /// Deltas since the snapshot.
    depth: u32,
    /// Bytes of the snapshot.
    base: u64,
    /// Bytes of the deltas since it.
    chain: u64,
}

impl Lineage {
    fn snapshot(bytes: usize) -> Self {
        Self {
            depth: 0,
            base: bytes as u64,
            chain: 0,
        }
    }

    /// The lineage after one more delta of `bytes`, if it may be a delta. A chain may hold no
    /// more bytes than its snapshot: reading a value then costs at most twice its size, and
    /// since each snapshot follows at least its own size in deltas, snapshots add at most the
    /// size of the updates to what a thread stores. So a superstep costs O(its update) however
    /// long the thread grows (fixed-interval snapshots would cost O(state) every N steps).
    fn extend(self, bytes: usize, max_depth: u32) -> Option<Self> {
        let chain = self.chain.saturating_add(bytes as u64);
        // `depth` may come from storage, so it is not trusted not to overflow.
        let depth = self.depth.checked_add(1)?;
        (depth < max_depth && chain <= self.base).then_some(Self {
            depth,
            base: self.base,
            chain,
        })
    }
}

pub(crate) enum Start<S: State> {
    Input(S::Update),
    Resume(Resume),
}

/// Where a field's current value lives.
#[derive(Debug, Clone, Copy)]
struct Version {
    id: CheckpointId,
    lineage: Lineage,
    /// Whether the value at `id` is in storage (always, except with `Durability::Exit`).
    stored: bool,
}

/// What tasks of the current superstep saved earlier.
#[derive(Default)]
struct SavedTask {
    output: Option<crate::checkpoint::Blob>,
    error: Option<String>,
    interrupt: Option<(u32, Interrupt)>,
    resumes: BTreeMap<u32, serde_json::Value>,
    effects: BTreeMap<u32, EffectRecord>,
}

pub(crate) struct Run<S: State> {
    plan: Arc<Plan<S>>,
    persistence: Persistence,
    config: RunConfig,
    thread: ThreadId,
    state: Arc<S>,
    versions: Vec<Option<Version>>,
    frontier: Frontier,
    /// The checkpoint the next superstep starts from.
    head: Option<CheckpointMeta>,
    head_stored: bool,
    last_stored: Option<CheckpointId>,
    next_id: CheckpointId,
    saved: HashMap<TaskId, SavedTask>,
    events: Arc<EventSink<S>>,
    supersteps: u32,
    executed: Vec<NodeId>,
    /// Pending writes held back by `Durability::Exit`.
    held: Option<Arc<WriteSink>>,
    /// Resume answers not stored yet: they go out with the next superstep's first pending write.
    answers: Vec<PendingWrite>,
    /// An update failed half-way, so `state` must not be stored.
    poisoned: bool,
}

fn input_node() -> NodeId {
    NodeId::from("input")
}

impl<S: State> Run<S> {
    fn new(
        plan: Arc<Plan<S>>,
        persistence: Persistence,
        config: RunConfig,
        events: EventSink<S>,
    ) -> Self {
        let frontier = Frontier::empty(&plan);
        Self {
            thread: config.thread.clone(),
            state: Arc::new(S::default()),
            versions: vec![None; S::FIELDS.len()],
            frontier,
            head: None,
            head_stored: true,
            last_stored: None,
            next_id: CheckpointId(0),
            saved: HashMap::new(),
            events: Arc::new(events),
            supersteps: 0,
            executed: Vec::new(),
            held: None,
            answers: Vec::new(),
            poisoned: false,
            plan,
            persistence,
            config,
        }
    }

    fn storage(&self, source: crate::error::StorageError) -> Error {
        Error::Storage {
            thread: self.thread.clone(),
            source,
        }
    }

    fn decode_error(&self, checkpoint: CheckpointId, what: String, reason: String) -> Error {
        Error::Decode {
            thread: self.thread.clone(),
            checkpoint,
            what,
            reason,
        }
    }

    fn step(&self) -> i64 {
        self.head.as_ref().map_or(-1, |h| h.step)
    }

    /// Loads the latest checkpoint and the one `config` addresses (if another).
    async fn load(&mut self) -> Result<Option<LoadedCheckpoint>> {
        let Some(checkpointer) = self.persistence.checkpointer.clone() else {
            return Ok(None);
        };
        let latest = checkpointer
            .get(&self.thread, None)
            .await
            .map_err(|e| self.storage(e))?;
        self.next_id = latest
            .as_ref()
            .map_or(CheckpointId(0), |l| l.meta.id.next());
        match self.config.checkpoint {
            Some(id) if latest.as_ref().is_none_or(|l| l.meta.id != id) => {
                let found = checkpointer
                    .get(&self.thread, Some(id))
                    .await
                    .map_err(|e| self.storage(e))?;
                match found {
                    Some(found) => Ok(Some(found)),
                    None => Err(Error::CheckpointNotFound {
                        thread: self.thread.clone(),
                        checkpoint: id,
                    }),
                }
            }
            _ => Ok(latest),
        }
    }

    /// Restores state, versions, frontier and saved writes from a loaded checkpoint.
    fn restore(&mut self, loaded: LoadedCheckpoint) -> Result<()> {
        let id = loaded.meta.id;
        let mut state = S::default();
        for field in &loaded.values {
            let Some(index) = field_index::<S>(&field.field) else {
                tracing::warn!(thread = %self.thread, field = %field.field, "ignoring a stored field the state no longer has");
                continue;
            };
            let what = || format!("field `{}`", field.field);
            state
                .decode_field(index, &field.snapshot)
                .map_err(|e| self.decode_error(id, what(), e.to_string()))?;
            for delta in &field.deltas {
                state
                    .apply_field_updates(index, delta)
                    .map_err(|e| self.decode_error(id, what(), e.to_string()))?;
            }
        }
        for FieldVersion {
            field,
            version,
            depth,
        } in &loaded.versions
        {
            if let Some(index) = field_index::<S>(field) {
                let value = loaded.values.iter().find(|v| v.field == *field);
                let lineage = Lineage {
                    depth: *depth,
                    base: value.map_or(0, |v| v.snapshot.len() as u64),
                    chain: value.map_or(0, |v| v.deltas.iter().map(|d| d.len() as u64).sum()),
                };
                self.versions[index] = Some(Version {
                    id: *version,
                    lineage,
                    stored: true,
                });
            }
        }
        self.frontier = Frontier::decode(&self.plan, &loaded.frontier)
            .map_err(|reason| self.decode_error(id, "the frontier".into(), reason))?;
        self.saved.clear();
        for write in loaded.pending_writes {
            self.restore_write(id, write)?;
        }
        self.state = Arc::new(state);
        self.head = Some(loaded.meta);
        self.head_stored = true;
        self.last_stored = Some(id);
        Ok(())
    }

    fn restore_write(&mut self, checkpoint: CheckpointId, write: PendingWrite) -> Result<()> {
        let what = || {
            format!(
                "the {} write of task {} (`{}`)",
                write.kind.as_str(),
                write.task_id,
                write.node
            )
        };
        let bad = |e: serde_json::Error| Error::Decode {
            thread: self.thread.clone(),
            checkpoint,
            what: what(),
            reason: e.to_string(),
        };
        let saved = self.saved.entry(write.task_id).or_default();
        match write.kind {
            WriteKind::Output => saved.output = Some(write.value),
            WriteKind::Error => {
                saved.error = Some(serde_json::from_slice(&write.value).map_err(bad)?)
            }
            WriteKind::Interrupt
                if saved
                    .interrupt
                    .as_ref()
                    .is_none_or(|(slot, _)| write.slot >= *slot) =>
            {
                saved.interrupt = Some((
                    write.slot,
                    serde_json::from_slice(&write.value).map_err(bad)?,
                ));
            }
            // An older interrupt of the task, already answered.
            WriteKind::Interrupt => {}
            WriteKind::Resume => {
                saved.resumes.insert(
                    write.slot,
                    serde_json::from_slice(&write.value).map_err(bad)?,
                );
            }
            WriteKind::Effect => {
                saved.effects.insert(
                    write.slot,
                    serde_json::from_slice(&write.value).map_err(bad)?,
                );
            }
        }
        Ok(())
    }

    /// Interrupts still waiting for an answer, in task order.
    fn pending_interrupts(&self) -> Vec<(TaskId, u32, Interrupt)> {
        self.interrupts(false)
    }

    /// Pending interrupts, plus answered ones whose task then failed (the answer may have been
    /// the wrong type): those may be answered again.
    fn answerable_interrupts(&self) -> Vec<(TaskId, u32, Interrupt)> {
        self.interrupts(true)
    }

    fn interrupts(&self, reopen_failed: bool) -> Vec<(TaskId, u32, Interrupt)> {
        let Some(head) = &self.head else {
            return Vec::new();
        };
        self.frontier
            .plan(&self.plan, head.id)
            .iter()
            .filter_map(|task| {
                let saved = self.saved.get(&task.id)?;
                let (slot, interrupt) = saved.interrupt.as_ref()?;
                let answered = saved.resumes.contains_key(slot);
                let failed = saved.error.is_some();
                let open = saved.output.is_none() && (!answered || (reopen_failed && failed));
                open.then(|| (task.id, *slot, interrupt.clone()))
            })
            .collect()
    }

    /// Runs a whole invocation, with the bookkeeping every exit path needs.
    pub(crate) async fn execute(
        plan: Arc<Plan<S>>,
        persistence: Persistence,
        config: RunConfig,
        events: EventSink<S>,
        start: Start<S>,
    ) -> Result<RunOutput<S>> {
        let span = tracing::info_span!("run", thread = %config.thread);
        let mut run = Run::new(plan, persistence, config, events);
        let result = run.drive(start).instrument(span).await;
        let result = match result {
            Ok(status) => run.flush().await.map(|()| status),
            Err(error) => {
                if let Err(flush) = run.flush().await {
                    tracing::error!(%flush, "could not save the run's last checkpoint");
                }
                Err(error)
            }
        };
        let step = run.step();
        match &result {
            Ok(RunStatus::Interrupted(interrupts)) => {
                run.emit(step, EventKind::Interrupt(interrupts.clone()))
                    .await;
            }
            Ok(RunStatus::Breakpoint { kind, next }) => {
                run.emit(
                    step,
                    EventKind::Breakpoint {
                        kind: *kind,
                        next: next.clone(),
                    },
                )
                .await;
            }
            Ok(RunStatus::Done) => {}
            Err(error) => run.emit(step, EventKind::Error(error.to_string())).await,
        }
        run.emit(step, EventKind::End).await;
        let status = result?;
        Ok(RunOutput {
            thread: run.thread.clone(),
            checkpoint: run.head.as_ref().map_or(CheckpointId(0), |h| h.id),
            state: Arc::unwrap_or_clone(run.state),
            status,
            executed: run.executed,
        })
    }

    async fn drive(&mut self, start: Start<S>) -> Result<RunStatus> {
        let loaded = self.load().await?;
        match start {
            Start::Input(input) => {
                let parent = match loaded {
                    Some(loaded) => {
                        self.restore(loaded)?;
                        self.head.as_ref().map(|h| (h.id, h.step))
                    }
                    None => None,
                };
                // New input discards what an earlier run left planned, but not join progress.
                self.frontier.pull.clear();
                self.frontier.push.clear();
                self.saved.clear();
                let step = parent.map_or(-1, |(_, step)| step + 1);
                let writes = self.apply(step, vec![(input_node(), input)])?;
                let mut frontier = self.frontier.clone();
                frontier.pull.extend_from_slice(&self.plan.entry);
                let entry = self.entry_routes(step)?;
                frontier.pull.extend(entry);
                frontier.normalize(&self.plan);
                let status = self
                    .commit(Source::Input, step, Vec::new(), writes, frontier, false)
                    .await?;
                if let Some(status) = status {
                    return Ok(status);
                }
            }
            Start::Resume(resume) => {
                if self.persistence.checkpointer.is_none() {
                    return Err(Error::NoCheckpointer("resume"));
                }
                let Some(loaded) = loaded else {
                    return Err(Error::Resume {
                        thread: self.thread.clone(),
                        reason: "the thread has no checkpoint".into(),
                    });
                };
                let latest_id = self.next_id;
                let is_latest = loaded.meta.id.next() == latest_id;
                self.restore(loaded)?;
                if is_latest {
                    self.answer(resume).await?;
                } else {
                    if resume != Resume::Continue {
                        return Err(Error::Resume {
                            thread: self.thread.clone(),
                            reason: "answers go to the latest checkpoint's interrupts; replay an \
                                     older checkpoint with Resume::Continue"
                                .into(),
                        });
                    }
                    self.fork().await?;
                }
            }
        }
        self.run_supersteps().await
    }

    /// Routes the conditional edges from START on the state after input.
    fn entry_routes(&self, step: i64) -> Result<Vec<usize>> {
        let graph = &self.plan;
        let mut goto = Vec::new();
        let mut push = Vec::new();
        for &r in &graph.entry_routes {
            let edge = &graph.routes[r];
            let chosen = std::panic::catch_unwind(AssertUnwindSafe(|| (edge.route)(&self.state)))
                .map_err(|panic| Error::Route {
                thread: self.thread.clone(),
                step,
                node: NodeId::from("START"),
                target: "?".into(),
                reason: format!(
                    "the conditional edge panicked: {}",
                    panic_message(panic.as_ref())
                ),
            })?;
            for item in chosen.0 {
                crate::task::resolve(graph, item, Some(&edge.targets), &mut goto, &mut push)
                    .map_err(|(target, reason)| Error::Route {
                        thread: self.thread.clone(),
                        step,
                        node: NodeId::from("START"),
                        target,
                        reason,
                    })?;
            }
        }
        if !push.is_empty() {
            return Err(Error::Route {
                thread: self.thread.clone(),
                step,
                node: NodeId::from("START"),
                target: graph.nodes[push[0].node].id.to_string(),
                reason: "START cannot Push; route to a node that pushes".into(),
            });
        }
        Ok(goto)
    }

    /// Validates resume answers against pending interrupts and saves them.
    async fn answer(&mut self, resume: Resume) -> Result<()> {
        let pending = match resume {
            Resume::Continue => self.pending_interrupts(),
            _ => self.answerable_interrupts(),
        };
        let ids = || {
            pending
                .iter()
                .map(|(_, _, i)| i.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let refuse = |reason: String| Error::Resume {
            thread: self.thread.clone(),
            reason,
        };
        let answers: Vec<(TaskId, u32, NodeId, serde_json::Value)> = match resume {
            Resume::Continue => {
                if !pending.is_empty() {
                    return Err(refuse(format!(
                        "the thread is waiting on interrupt(s) {}; resume with an answer",
                        ids()
                    )));
                }
                Vec::new()
            }
            Resume::Unencodable(reason) => {
                return Err(refuse(format!("cannot encode the answer: {reason}")));
            }
            Resume::Value(value) => match pending.as_slice() {
                [] => {
                    return Err(refuse(
                        "the thread has no pending interrupt to answer".into(),
                    ));
                }
                [(task, slot, interrupt)] => vec![(*task, *slot, interrupt.node.clone(), value)],
                _ => {
                    return Err(refuse(format!(
                        "{} interrupts are pending ({}); answer them by id with Resume::ById",
                        pending.len(),
                        ids()
                    )));
                }
            },
            Resume::ById(map) => {
                if map.is_empty() {
                    return Err(refuse("Resume::ById has no answers".into()));
                }
                let mut answers = Vec::new();
                for (id, value) in map {
                    let Some((task, slot, interrupt)) = pending.iter().find(|(_, _, i)| i.id == id)
                    else {
                        let known = if pending.is_empty() {
                            "none".to_owned()
                        } else {
                            ids()
                        };
                        return Err(refuse(format!(
                            "interrupt {id} is not pending (pending: {known})"
                        )));
                    };
                    answers.push((*task, *slot, interrupt.node.clone(), value));
                }
                answers
            }
        };
        if answers.is_empty() {
            return Ok(());
        }
        let mut writes = Vec::new();
        for (task, slot, node, value) in answers {
            let bytes = serde_json::to_vec(&value).map_err(|e| Error::Encode {
                thread: self.thread.clone(),
                step: self.step(),
                what: "a resume answer".into(),
                reason: e.to_string(),
            })?;
            writes.push(PendingWrite {
                task_id: task,
                node,
                kind: WriteKind::Resume,
                slot,
                value: bytes.into(),
            });
            self.saved
                .entry(task)
                .or_default()
                .resumes
                .insert(slot, value);
        }
        // Not stored yet: if the answered task finishes, the checkpoint after it supersedes
        // them, so storing them now would cost a commit for nothing. Any pending write of the
        // superstep (an error, another interrupt, an effect, an output) carries them instead.
        // A run that stops before its superstep runs (a superstep limit of 0, a storage error)
        // drops them: the interrupt is still pending and takes the answer again.
        if self.persistence.checkpointer.is_some() {
            self.answers = writes;
        }
        Ok(())
    }

    /// Copies the restored (older) checkpoint as the thread's new head, to replay from it.
    async fn fork(&mut self) -> Result<()> {
        let base = self.head.clone().expect("restored");
        self.saved.clear();
        let frontier = self.frontier.clone();
        self.commit(
            Source::Fork,
            base.step,
            Vec::new(),
            Vec::new(),
            frontier,
            false,
        )
        .await?;
        Ok(())
    }

    async fn run_supersteps(&mut self) -> Result<RunStatus> {
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

    fn write_sink(&mut self, head: CheckpointId) -> Arc<WriteSink> {
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

    async fn superstep(&mut self, step: i64) -> Result<Option<RunStatus>> {
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

    /// Applies updates in order (after checking for conflicting overwrites) and returns the
    /// field values to store.
    fn apply(&mut self, step: i64, updates: Vec<(NodeId, S::Update)>) -> Result<Vec<FieldChange>> {
        let fields = S::FIELDS;
        if updates.len() > 1 {
            let mut owner: Vec<Option<usize>> = vec![None; fields.len()];
            for (i, (_, update)) in updates.iter().enumerate() {
                let mut conflict = None;
                S::written_fields(update, &mut |f| {
                    if fields[f].reducer.rejects_concurrent_writes() {
                        match owner[f] {
                            Some(first) if conflict.is_none() => conflict = Some((f, first)),
                            Some(_) => {}
                            None => owner[f] = Some(i),
                        }
                    }
                });
                if let Some((f, first)) = conflict {
                    return Err(Error::Conflict {
                        thread: self.thread.clone(),
                        step,
                        field: fields[f].name,
                        first: updates[first].0.clone(),
                        second: updates[i].0.clone(),
                    });
                }
            }
        }
        let mut written: Vec<usize> = Vec::new();
        for (_, update) in &updates {
            S::written_fields(update, &mut |f| written.push(f));
        }
        written.sort_unstable();
        written.dedup();

        let store_now =
            self.persistence.checkpointer.is_some() && self.config.durability == Durability::Sync;
        let encode_error = |what: String, e: serde_json::Error| Error::Encode {
            thread: self.thread.clone(),
            step,
            what,
            reason: e.to_string(),
        };
        let mut values = Vec::with_capacity(written.len());
        let mut deltas: Vec<Option<(FieldValue, Lineage)>> = vec![None; written.len()];
        if store_now {
            for (slot, &f) in written.iter().enumerate() {
                let Some(prev) = self.versions[f] else {
                    continue;
                };
                if !fields[f].reducer.stores_deltas() || !prev.stored {
                    continue;
                }
                let mut array = Vec::from(*b"[");
                for (_, update) in &updates {
                    if let Some(encoded) = S::encode_field_update(update, f) {
                        let encoded = encoded.map_err(|e| {
                            encode_error(format!("an update of field `{}`", fields[f].name), e)
                        })?;
                        if array.len() > 1 {
                            array.push(b',');
                        }
                        array.extend_from_slice(&encoded);
                    }
                }
                array.push(b']');
                if let Some(lineage) = prev
                    .lineage
                    .extend(array.len(), self.persistence.snapshot_every)
                {
                    deltas[slot] = Some((
                        FieldValue::Delta {
                            prev: prev.id,
                            updates: array.into(),
                        },
                        lineage,
                    ));
                }
            }
        }
        let state = Arc::make_mut(&mut self.state);
        let mut failure = None;
        for (node, update) in updates {
            let applied = std::panic::catch_unwind(AssertUnwindSafe(|| state.apply(update)));
            let error = match applied {
                Ok(Ok(())) => continue,
                Ok(Err(source)) => Error::Reduce {
                    thread: self.thread.clone(),
                    step,
                    node,
                    source,
                },
                Err(panic) => Error::Node {
                    thread: self.thread.clone(),
                    step,
                    message: format!(
                        "a reducer panicked applying its update: {}",
                        panic_message(panic.as_ref())
                    ),
                    node,
                    source: None,
                },
            };
            failure = Some(error);
            break;
        }
        if let Some(error) = failure {
            // Earlier updates (or fields) of this superstep may already be applied.
            self.poisoned = true;
            return Err(error);
        }
        let state = &self.state;
        if store_now {
            for (slot, &f) in written.iter().enumerate() {
                let (value, lineage) = match deltas[slot].take() {
                    Some(delta) => delta,
                    None => {
                        let bytes = state
                            .encode_field(f)
                            .map_err(|e| encode_error(format!("field `{}`", fields[f].name), e))?;
                        {
                            let lineage = Lineage::snapshot(bytes.len());
                            (FieldValue::Snapshot(bytes.into()), lineage)
                        }
                    }
                };
                values.push((f, Some((value, lineage))));
            }
        } else {
            // Not encoded now: `store` snapshots these fields if the checkpoint is stored.
            values.extend(written.into_iter().map(|f| (f, None)));
        }
        Ok(values)
    }

    /// Makes the next checkpoint the head (storing it unless durability says otherwise) and
    /// checks the breakpoints it lands on.
    async fn commit(
        &mut self,
        source: Source,
        step: i64,
        writers: Vec<NodeId>,
        values: Vec<FieldChange>,
        frontier: Frontier,
        after: bool,
    ) -> Result<Option<RunStatus>> {
        let graph = &self.plan;
        let id = self.next_id;
        self.next_id = id.next();
        let store_now = self.persistence.checkpointer.is_some()
            && (self.config.durability == Durability::Sync
                || matches!(source, Source::Fork | Source::Update));
        let before = !after
            && frontier
                .pull
                .iter()
                .chain(frontier.push.iter().map(|p| &p.node))
                .any(|&n| graph.nodes[n].interrupt_before);
        let breakpoint = if after {
            Some(Breakpoint::After)
        } else if before && source != Source::Fork {
            Some(Breakpoint::Before)
        } else {
            None
        };
        let meta = CheckpointMeta {
            thread: self.thread.clone(),
            id,
            parent: self.head.as_ref().map(|h| h.id),
            step,
            source,
            created_at_ms: (self.persistence.clock)(),
            next: frontier.next_names(graph),
            writers,
            breakpoint,
            metadata: self.config.metadata.clone(),
        };
        let mut writes = Vec::new();
        for (f, encoded) in values {
            // Until `store` succeeds, the field's latest value lives only in memory.
            self.versions[f] = Some(Version {
                id,
                lineage: Lineage::snapshot(0),
                stored: false,
            });
            if let (Some((value, lineage)), true) = (encoded, store_now) {
                writes.push((f, value, lineage));
            }
        }
        self.frontier = frontier;
        self.head = Some(meta);
        self.head_stored = false;
        self.held = None;
        self.saved.clear();
        if store_now {
            self.store(writes).await?;
        }
        self.emit(step, EventKind::Values(Arc::clone(&self.state)))
            .await;
        self.emit(step, EventKind::Checkpoint { id, source }).await;
        Ok(breakpoint.map(|kind| RunStatus::Breakpoint {
            kind,
            next: self
                .head
                .as_ref()
                .map(|h| h.next.clone())
                .unwrap_or_default(),
        }))
    }

    /// Stores the head checkpoint with `writes` (field index, value, lineage) plus a
    /// snapshot of every other field whose latest value is not stored yet. The run's field
    /// versions change only once the checkpointer has accepted the checkpoint, so a failed
    /// store can be retried with full values.
    async fn store(&mut self, writes: Vec<(usize, FieldValue, Lineage)>) -> Result<()> {
        let Some(checkpointer) = self.persistence.checkpointer.clone() else {
            return Ok(());
        };
        let mut meta = self.head.clone().expect("a head to store");
        // With `Durability::Exit` the in-memory parent may never have been stored: the stored
        // parent is the last checkpoint that was.
        meta.parent = self.last_stored;
        let id = meta.id;
        let mut versions = self.versions.clone();
        let mut field_writes = Vec::with_capacity(writes.len());
        for (f, value, lineage) in writes {
            versions[f] = Some(Version {
                id,
                lineage,
                stored: true,
            });
            field_writes.push(FieldWrite {
                field: S::FIELDS[f].name.to_owned(),
                value,
            });
        }
        for (f, version) in versions.iter_mut().enumerate() {
            let Some(version) = version else { continue };
            if version.stored {
                continue;
            }
            let bytes = self.state.encode_field(f).map_err(|e| Error::Encode {
                thread: self.thread.clone(),
                step: meta.step,
                what: format!("field `{}`", S::FIELDS[f].name),
                reason: e.to_string(),
            })?;
            *version = Version {
                id,
                lineage: Lineage::snapshot(bytes.len()),
                stored: true,
            };
            field_writes.push(FieldWrite {
                field: S::FIELDS[f].name.to_owned(),
                value: FieldValue::Snapshot(bytes.into()),
            });
        }
        let stored_versions = S::FIELDS
            .iter()
            .zip(&versions)
            .filter_map(|(field, v)| {
                v.map(|v| FieldVersion {
                    field: field.name.to_owned(),
                    version: v.id,
                    depth: v.lineage.depth,
                })
            })
            .collect();
        let frontier = self
            .frontier
            .encode(&self.plan)
            .map_err(|e| Error::Encode {
                thread: self.thread.clone(),
                step: meta.step,
                what: "the frontier".into(),
                reason: e.to_string(),
            })?;
        let checkpoint = Checkpoint {
            meta,
            versions: stored_versions,
            writes: field_writes,
            frontier: frontier.into(),
        };
        checkpointer
            .put(checkpoint)
            .await
            .map_err(|e| self.storage(e))?;
        self.versions = versions;
        self.head_stored = true;
        self.last_stored = Some(id);
        Ok(())
    }

    /// With `Durability::Exit`, stores the head checkpoint and the writes held back.
    async fn flush(&mut self) -> Result<()> {
        if self.persistence.checkpointer.is_none() || self.head.is_none() {
            return Ok(());
        }
        if self.config.durability != Durability::Exit {
            // Sync runs store as they go; a failed store is not retried here, and the thread
            // resumes from the last checkpoint that was stored.
            return Ok(());
        }
        if self.poisoned {
            tracing::warn!(thread = %self.thread, "a failed update left the in-memory state inconsistent; not storing it");
            return Ok(());
        }
        if !self.head_stored {
            self.store(Vec::new()).await?;
        }
        if let Some(held) = self.held.take() {
            if let WriteSink::Buffer(buffer) = &*held {
                let writes = std::mem::take(
                    &mut *buffer
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                if !writes.is_empty() {
                    let head = self.head.as_ref().map(|h| h.id).expect("checked");
                    let checkpointer = self.persistence.checkpointer.clone().expect("checked");
                    checkpointer
                        .put_writes(&self.thread, head, writes)
                        .await
                        .map_err(|e| self.storage(e))?;
                }
            }
        }
        Ok(())
    }

    async fn emit(&self, step: i64, kind: EventKind<S>) {
        self.events.send(step, None, None, kind).await;
    }

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
        run.restore(loaded)?;
        let head = run.head.clone().expect("restored");
        let pending: Vec<Interrupt> = run
            .pending_interrupts()
            .into_iter()
            .map(|(_, _, i)| i)
            .collect();
        let tasks: Vec<TaskInfo> = run
            .frontier
            .plan(&run.plan, head.id)
            .into_iter()
            .map(|task| {
                let saved = run.saved.get(&task.id);
                let finished = saved.is_some_and(|s| s.output.is_some());
                TaskInfo {
                    id: task.id,
                    node: run.plan.nodes[task.node].id.clone(),
                    path: task.path,
                    finished,
                    error: saved.and_then(|s| s.error.clone()).filter(|_| !finished),
                    interrupt: pending.iter().find(|i| i.task_id == task.id).cloned(),
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
            step,
            node: id.clone(),
            task_id: TaskId(0),
            resumes: BTreeMap::new(),
            journal: Mutex::new(BTreeMap::new()),
            writes: Arc::new(WriteSink::Discard),
            events: None,
        };
        let snapshot = Arc::clone(&run.state);
        let output = route(&run.plan, node, &snapshot, Command::update(update), &shared)?;
        drop(snapshot);
        let mut frontier = run.frontier.clone();
        frontier.pull.clear();
        frontier.push.clear();
        frontier.record(&run.plan, node, &output.goto, &output.push);
        frontier.normalize(&run.plan);
        let writes = run.apply(step, vec![(id.clone(), output.update)])?;
        run.commit(Source::Update, step, vec![id], writes, frontier, false)
            .await?;
        Ok(run.head.as_ref().expect("committed").id)
    }
}
