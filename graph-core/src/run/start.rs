//! Where a run starts: [`Run::execute`] restores the thread, applies the input (or takes the
//! resume answers, or forks an older checkpoint), runs supersteps until the run stops, and then
//! does what every exit path needs (flush, the last events, the output).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tracing::Instrument;

use crate::checkpoint::Source;
use crate::config::{Persistence, Resume, RunConfig};
use crate::error::{Error, Result};
use crate::frontier::Frontier;
use crate::ids::NodeId;
use crate::outcome::{RunOutput, RunStatus};
use crate::plan::Plan;
use crate::state::State;
use crate::stream::{EventKind, EventSink};
use crate::task::panic_message;

use super::{Run, Start};

fn input_node() -> NodeId {
    NodeId::from("input")
}

impl<S: State> Run<S> {
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
            checkpoint: run.head_id(),
            state: Arc::unwrap_or_clone(run.state),
            status,
            executed: run.executed,
        })
    }

    pub(super) async fn drive(&mut self, start: Start<S>) -> Result<RunStatus> {
        self.check_breakpoints()?;
        let loaded = self.load().await?;
        match start {
            Start::Input(input) => {
                self.check_root("invoke")?;
                let step = match loaded {
                    Some(loaded) => self.restore(loaded)?.step + 1,
                    None => -1,
                };
                // New input starts a new run: what an earlier run left planned or waiting is
                // discarded, join progress included. A run can only leave a join part-way by
                // failing or being abandoned, and carrying that into this run would let one of
                // its sources stand in for one of this run's (see `Run::done`).
                self.frontier = Frontier::empty(&self.plan);
                self.saved.clear();
                let writes = self.apply(step, vec![(input_node(), input)])?;
                let mut frontier = self.frontier.clone();
                let entry = self.entry_routes(step)?;
                for &node in self.plan.entry.iter().chain(&entry) {
                    frontier.trigger(&self.plan, node);
                }
                frontier.normalize(&self.plan);
                let committed = self
                    .commit(Source::Input, step, Vec::new(), writes, frontier, false)
                    .await?;
                if let Some(status) = committed.paused {
                    return Ok(status);
                }
            }
            Start::Resume(resume) => {
                if self.persistence.checkpointer.is_none() {
                    return Err(Error::NoCheckpointer("resume"));
                }
                if !self.config.ns.is_root() {
                    // A replay from a checkpoint inside a subgraph (see `replay.rs`).
                    if resume != Resume::Continue {
                        return Err(Error::Resume {
                            thread: self.thread.clone(),
                            reason: "answers go to the latest checkpoint's interrupts; replay a \
                                     subgraph's checkpoint with Resume::Continue"
                                .into(),
                        });
                    }
                    let target = crate::config::ReplayTarget {
                        ns: self.config.ns.clone(),
                        checkpoint: self.config.checkpoint,
                    };
                    self.fork_toward(target).await?;
                    return self.run_supersteps().await;
                }
                let Some(loaded) = loaded else {
                    return Err(Error::Resume {
                        thread: self.thread.clone(),
                        reason: "the thread has no checkpoint".into(),
                    });
                };
                let latest_id = self.next_id;
                let is_latest = loaded.meta.id.next() == latest_id;
                let step = self.restore(loaded)?.step;
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
                    self.fork(step).await?;
                }
            }
            Start::Nested {
                input,
                answers,
                replay,
            } => {
                self.start_nested(loaded, input, answers, replay).await?;
            }
        }
        self.run_supersteps().await
    }

    /// Refuses breakpoints that name no node of the graph: a typo would never pause.
    fn check_breakpoints(&self) -> Result<()> {
        let lists = [
            ("interrupt_before", &self.config.interrupt_before),
            ("interrupt_after", &self.config.interrupt_after),
        ];
        for (which, breakpoints) in lists {
            let crate::config::Breakpoints::Nodes(nodes) = breakpoints else {
                continue;
            };
            if let Some(node) = nodes
                .iter()
                .find(|node| !self.plan.nodes.iter().any(|n| &n.id == *node))
            {
                return Err(Error::UnknownBreakpoint {
                    thread: self.thread.clone(),
                    which,
                    node: node.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Routes the conditional edges from START on the state after input.
    pub(super) fn entry_routes(&self, step: i64) -> Result<Vec<usize>> {
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
}
