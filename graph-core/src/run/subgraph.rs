//! A subgraph as a node ([`SubgraphNode`]): a compiled graph that runs all its supersteps inside
//! one task of its parent, of the parent's state type or of its own, mapped ([`Bridge`]).
//!
//! The subgraph is a [`Run`] of its own, on the parent's thread, in the namespace
//! `<parent node>:<task id>` under the parent's (so each task of the parent has a history of its
//! own, and the parent's history shows none of it). It runs the way its parent's call runs:
//! same checkpointer (unless it opts out), durability, metadata, limits and context.
//!
//! - **Start.** With no checkpoint in its namespace, it starts from the parent's state (an input
//!   checkpoint holding all of it). With one, the task ran before and stopped: the subgraph
//!   continues from there, taking the answers the parent's resume gave to its interrupts, so its
//!   finished tasks, and the journaled effects of unfinished ones, never run again. A task id
//!   is the same on every run of the parent's superstep, so the namespace is too.
//! - **Result.** [`State::diff`] of the parent's state and the subgraph's final state: only what
//!   the subgraph changed, so an `append` field is not appended to twice. A subgraph of a state
//!   of its own starts from its mapped input instead, and hands back its mapped output.
//! - **Pause.** Its interrupts pause the task ([`NodeError::nested`]); the task passes them up
//!   in `TaskShared::nested`, and the parent stores them in the task's interrupt write.
//! - **Command to the parent.** A node's `Command::parent` ends the subgraph after its
//!   superstep's tasks finish, with no checkpoint for that superstep; the task's saved output
//!   holds the command, so a re-run of the parent's task restores the subgraph, reuses that
//!   output and hands the same command up. The task's result is the command's update and
//!   destinations, for the parent to apply and route.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::checkpoint::Source;
use crate::config::{Resume, SubgraphPersistence};
use crate::context::Ctx;
use crate::error::{Error, NodeError, Result};
use crate::frontier::{Frontier, ParentRoute, TaskOutput};
use crate::ids::NodeId;
use crate::node::{Command, ErasedNode, Goto, NodeResult, Push, PushKind, Route, TaskInput};
use crate::outcome::RunStatus;
use crate::outcome::SubgraphSnapshot;
use crate::plan::{ChildAddress, ChildGraph, Outline, Plan};
use crate::state::State;
use crate::stream::{Event, EventSink};

use super::apply::FieldChange;
use super::bridge::{Bridge, foreign_event};
use super::{Run, Start};

/// The runner of a subgraph's node in a graph of state `P`: the subgraph's plan (of state `C`,
/// `P` itself for `add_subgraph`), whether it stores checkpoints, and how its state meets the
/// parent's.
pub(crate) struct SubgraphNode<P: State, C: State> {
    pub(crate) plan: Arc<Plan<C>>,
    pub(crate) persistence: SubgraphPersistence,
    pub(crate) bridge: Box<dyn Bridge<P, C>>,
    pub(crate) outline: Arc<Outline>,
}

impl<P: State, C: State> SubgraphNode<P, C> {
    pub(crate) fn new(
        plan: Arc<Plan<C>>,
        persistence: SubgraphPersistence,
        bridge: Box<dyn Bridge<P, C>>,
    ) -> Self {
        let outline = Arc::new(plan.outline());
        Self {
            plan,
            persistence,
            bridge,
            outline,
        }
    }
}

#[async_trait]
impl<P: State, C: State> ChildGraph for SubgraphNode<P, C> {
    fn outline(&self) -> Arc<Outline> {
        Arc::clone(&self.outline)
    }

    fn child(&self, node: &NodeId) -> Option<Arc<dyn ChildGraph>> {
        let &index = self.plan.index.get(node)?;
        self.plan.nodes[index].subgraph.clone()
    }

    async fn snapshot(&self, at: ChildAddress<'_>) -> Result<Option<SubgraphSnapshot>> {
        if self.persistence == SubgraphPersistence::Off || at.persistence.checkpointer.is_none() {
            return Ok(None);
        }
        Run::<C>::nested_snapshot(Arc::clone(&self.plan), at).await
    }
}

fn refuse(message: &str) -> NodeError {
    NodeError::permanent(NodeError::msg(message))
}

/// Where a subgraph's events go: into the parent's stream as they are (same state type), or
/// through a channel of the subgraph's type that the parent's task drains into its own.
enum ChildEvents<P: State, C: State> {
    Direct(EventSink<C>),
    Mapped {
        sink: EventSink<C>,
        rx: mpsc::Receiver<Event<C>>,
        parent: mpsc::Sender<Event<P>>,
    },
}

#[async_trait]
impl<P: State, C: State> ErasedNode<P> for SubgraphNode<P, C> {
    async fn call(&self, input: TaskInput<P>, ctx: Ctx) -> NodeResult<P> {
        let TaskInput::State(before) = input else {
            return Err(refuse(
                "a subgraph takes the graph state; it cannot receive a Push",
            ));
        };
        let shared = ctx.shared();
        // Set for every task of a subgraph node that a superstep runs.
        let Some(call) = &shared.call else {
            return Err(refuse("a subgraph can only run as a task of a superstep"));
        };
        let ns = shared.ns.child(&shared.node, shared.task_id);
        let mut persistence = call.persistence.clone();
        if self.persistence == SubgraphPersistence::Off {
            persistence.checkpointer = None;
        }
        let mut config = call.config.clone();
        // A checkpoint the parent's call addresses is the parent's, never the subgraph's (a
        // replay of one of the subgraph's comes down in `call.replay`).
        config.checkpoint = None;
        config.ns = crate::ids::Namespace::root();
        // A call's breakpoints name the root graph's nodes; `compile` refuses subgraphs that
        // stop at breakpoints.
        config.interrupt_before = crate::config::Breakpoints::None;
        config.interrupt_after = crate::config::Breakpoints::None;
        let events = match shared.events.as_ref().map(|events| events.as_any()) {
            Some(any) => match any.downcast_ref::<EventSink<C>>() {
                // The same state type: the subgraph streams into the parent's stream.
                Some(same) => ChildEvents::Direct(same.nested(ns.clone())),
                None => match any
                    .downcast_ref::<EventSink<P>>()
                    .and_then(|p| Some((p.tx.clone()?, p.modes)))
                {
                    Some((parent, modes)) => {
                        let (tx, rx) = mpsc::channel(64);
                        let sink = EventSink {
                            thread: shared.thread.clone(),
                            ns: ns.clone(),
                            tx: Some(tx),
                            modes,
                        };
                        ChildEvents::Mapped { sink, rx, parent }
                    }
                    None => ChildEvents::Direct(EventSink::silent(&shared.thread)),
                },
            },
            None => ChildEvents::Direct(EventSink::silent(&shared.thread)),
        };
        let input = self
            .bridge
            .input(&before)
            .map_err(|message| refuse(&message))?;
        let replay = call
            .replay
            .as_ref()
            .filter(|(task, _)| *task == shared.task_id)
            .map(|(_, target)| target.clone());
        let start = Start::Nested {
            input,
            answers: shared.nested_answers.clone(),
            replay,
        };
        let span = tracing::debug_span!("subgraph", ns = %ns);
        let (mut run, result) = match events {
            ChildEvents::Direct(sink) => {
                let mut run = Run::new(Arc::clone(&self.plan), persistence, config, sink);
                run.ns = ns;
                let result = run.execute_nested(start).instrument(span).await;
                (run, result)
            }
            ChildEvents::Mapped { sink, rx, parent } => {
                let mut run = Run::new(Arc::clone(&self.plan), persistence, config, sink);
                run.ns = ns;
                let result =
                    forwarding(run.execute_nested(start).instrument(span), rx, parent).await;
                (run, result)
            }
        };
        match result {
            Ok(RunStatus::Done) => {
                if let Some((node, output)) = run.to_parent.take() {
                    let update = self.bridge.parent_update(output.update).map_err(|_| {
                        NodeError::from(Error::UnmappedParentUpdate {
                            thread: shared.thread.clone(),
                            ns: run.ns.clone(),
                            node,
                        })
                    })?;
                    let route = output
                        .to_parent
                        .map_or_else(Route::none, |parent| parent_route(*parent));
                    return Ok(Command::update(update).and_goto(route));
                }
                let update = self
                    .bridge
                    .output(&before, &run.state)
                    .map_err(|message| refuse(&message))?;
                Ok(Command::update(update))
            }
            Ok(RunStatus::Interrupted(interrupts)) => {
                shared
                    .nested
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(interrupts);
                Err(NodeError::nested())
            }
            // `compile` refuses subgraphs with breakpoints.
            Ok(RunStatus::Breakpoint { .. }) => Err(refuse("a subgraph stopped at a breakpoint")),
            Err(error) => Err(NodeError::from(error)),
        }
    }
}

/// Runs a mapped subgraph's run while passing its events, as they come, to the parent's stream;
/// what is left in the channel when the run ends follows before the parent's task ends.
async fn forwarding<P: State, C: State>(
    run: impl std::future::Future<Output = Result<RunStatus>>,
    mut rx: mpsc::Receiver<Event<C>>,
    parent: mpsc::Sender<Event<P>>,
) -> Result<RunStatus> {
    tokio::pin!(run);
    let result = loop {
        tokio::select! {
            biased;
            result = &mut run => break result,
            Some(event) = rx.recv() => {
                // A closed receiver means the parent's stream was dropped.
                let _ = parent.send(foreign_event(event)).await;
            }
        }
    };
    while let Ok(event) = rx.try_recv() {
        let _ = parent.send(foreign_event(event)).await;
    }
    result
}

/// The destinations of a command for the parent, as the parent's task routes them.
fn parent_route(parent: ParentRoute) -> Route {
    let goto = parent.goto.into_iter().map(Route::from);
    let push = parent.push.into_iter().map(|p| {
        let kind = if p.state {
            PushKind::State(p.state_type)
        } else {
            PushKind::Arg
        };
        Route::from(Goto::Push(Push {
            node: p.node,
            arg: Ok(p.arg),
            kind,
        }))
    });
    goto.chain(push).fold(Route::none(), Route::and)
}

impl<S: State> Run<S> {
    /// Ends the run when a task of superstep `step` sent a command to the parent graph: the
    /// superstep is not applied or checkpointed (the graph stops there, its siblings' updates
    /// dropped with it), and the command waits in `to_parent` for the subgraph's task. Two such
    /// commands in one superstep fail it, as only one can say where the parent goes.
    pub(super) fn hand_to_parent(
        &mut self,
        step: i64,
        outputs: &mut Vec<(crate::ids::TaskId, usize, TaskOutput<S>)>,
    ) -> Result<Option<RunStatus>> {
        let sent: Vec<usize> = (0..outputs.len())
            .filter(|&i| outputs[i].2.to_parent.is_some())
            .collect();
        match sent[..] {
            [] => Ok(None),
            [i] => {
                let (_, node, output) = outputs.swap_remove(i);
                self.to_parent = Some((self.plan.nodes[node].id.clone(), output));
                Ok(Some(RunStatus::Done))
            }
            [first, second, ..] => Err(Error::Route {
                thread: self.thread.clone(),
                step,
                node: self.plan.nodes[outputs[second].1].id.clone(),
                target: "the parent graph".to_owned(),
                reason: format!(
                    "`{}` sent a command to the parent in the same superstep, and only one can",
                    self.plan.nodes[outputs[first].1].id
                ),
            }),
        }
    }

    /// Runs a subgraph inside its parent's task: like `Run::execute`, but the run's end belongs
    /// to the parent, so it sends none of the closing events (interrupts, errors, `End`).
    pub(super) async fn execute_nested(&mut self, start: Start<S>) -> Result<RunStatus> {
        let result = self.drive(start).await;
        match result {
            Ok(status) => self.flush().await.map(|()| status),
            Err(error) => {
                if let Err(flush) = self.flush().await {
                    tracing::error!(%flush, "could not save the subgraph's last checkpoint");
                }
                Err(error)
            }
        }
    }

    /// Where a subgraph's run starts: the checkpoint its namespace has, answering the parent's
    /// answers to its interrupts, or, without one, the parent's state.
    pub(super) async fn start_nested(
        &mut self,
        loaded: Option<crate::checkpoint::LoadedCheckpoint>,
        input: Arc<S>,
        answers: std::collections::BTreeMap<crate::ids::InterruptId, serde_json::Value>,
        replay: Option<crate::config::ReplayTarget>,
    ) -> Result<()> {
        if let Some(loaded) = loaded {
            self.restore(loaded)?;
            // Interrupts not answered in this call stay pending: their tasks run and pause
            // again, as the parent's own tasks do.
            if !answers.is_empty() {
                self.answer(Resume::ById(answers)).await?;
            }
            return Ok(());
        }
        if !answers.is_empty() {
            return Err(Error::Resume {
                thread: self.thread.clone(),
                reason: format!(
                    "the subgraph in namespace `{}` keeps no checkpoints, so an interrupt inside \
                     it cannot be answered",
                    self.ns
                ),
            });
        }
        // A replay's new task: its subgraph starts from a copy of the addressed checkpoint
        // (or of the one on the way to it), not from its input.
        if let Some(target) = replay {
            return self.fork_toward(target).await;
        }
        self.state = input;
        let step = -1;
        let mut frontier = Frontier::empty(&self.plan);
        let entry = self.entry_routes(step)?;
        for &node in self.plan.entry.iter().chain(&entry) {
            frontier.trigger(&self.plan, node);
        }
        frontier.normalize(&self.plan);
        // The input checkpoint holds all of the parent's state: the subgraph's history starts
        // from it, and a resume of the subgraph restores from it.
        let every_field = (0..S::FIELDS.len()).map(FieldChange::Unencoded).collect();
        self.commit(
            Source::Input,
            step,
            Vec::new(),
            every_field,
            frontier,
            false,
        )
        .await?;
        Ok(())
    }
}
