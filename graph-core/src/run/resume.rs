//! Continuing a thread: which interrupts are open, checking resume answers against them, and
//! forking an older checkpoint to replay from it.

use crate::checkpoint::{PendingWrite, Source, WriteKind};
use crate::config::Resume;
use crate::error::{Error, Result};
use crate::ids::TaskId;
use crate::outcome::Interrupt;
use crate::state::State;

use super::Run;

/// An interrupt of a planned task that waits for an answer.
pub(super) struct OpenInterrupt {
    /// The task that asked, as planned from the head checkpoint.
    pub(super) task: TaskId,
    /// Which of the task's interrupts it is.
    pub(super) slot: u32,
    pub(super) interrupt: Interrupt,
    /// Whether it is inside the task's subgraph (the subgraph takes the answer), not the task's
    /// own.
    pub(super) nested: bool,
}

impl<S: State> Run<S> {
    /// Interrupts still waiting for an answer, in task order.
    pub(super) fn pending_interrupts(&self) -> Vec<OpenInterrupt> {
        self.interrupts(false)
    }

    /// Pending interrupts, plus answered ones whose task then failed (the answer may have been
    /// the wrong type): those may be answered again.
    pub(super) fn answerable_interrupts(&self) -> Vec<OpenInterrupt> {
        self.interrupts(true)
    }

    fn interrupts(&self, reopen_failed: bool) -> Vec<OpenInterrupt> {
        let Some(head) = &self.head else {
            return Vec::new();
        };
        let mut open = Vec::new();
        for task in self.frontier.plan(&self.plan, &self.ns, head.id) {
            // A node's error handler asks under its own task id.
            let handler = self.plan.nodes[task.node]
                .on_error
                .as_ref()
                .map(|_| task.id.error_handler());
            let ids: Vec<TaskId> = std::iter::once(task.id).chain(handler).collect();
            // A task whose output (its node's or its handler's) is saved does not run again.
            let finished = ids
                .iter()
                .any(|id| self.saved.get(id).is_some_and(|s| s.output.is_some()));
            if finished {
                continue;
            }
            for id in ids {
                let Some(saved) = self.saved.get(&id) else {
                    continue;
                };
                let Some((slot, interrupts)) = &saved.interrupt else {
                    continue;
                };
                for interrupt in interrupts {
                    // A subgraph's interrupts are answered in the subgraph, which rewrites this
                    // list whenever it stops again: an answer given in this call is all there is
                    // to see.
                    let nested = interrupt.ns != self.ns;
                    let answered = if nested {
                        saved.nested_answers.contains_key(&interrupt.id)
                    } else {
                        saved.resumes.contains_key(slot)
                    };
                    let failed = saved.error.is_some();
                    if !answered || (reopen_failed && failed && !nested) {
                        open.push(OpenInterrupt {
                            task: id,
                            slot: *slot,
                            interrupt: interrupt.clone(),
                            nested,
                        });
                    }
                }
            }
        }
        open
    }

    /// Validates resume answers against pending interrupts and saves them.
    pub(super) async fn answer(&mut self, resume: Resume) -> Result<()> {
        let pending = match resume {
            Resume::Continue => self.pending_interrupts(),
            _ => self.answerable_interrupts(),
        };
        let ids = || {
            pending
                .iter()
                .map(|open| open.interrupt.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let refuse = |reason: String| Error::Resume {
            thread: self.thread.clone(),
            reason,
        };
        let answers: Vec<(&OpenInterrupt, serde_json::Value)> = match resume {
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
                [open] => vec![(open, value)],
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
                    let Some(open) = pending.iter().find(|open| open.interrupt.id == id) else {
                        let known = if pending.is_empty() {
                            "none".to_owned()
                        } else {
                            ids()
                        };
                        return Err(refuse(format!(
                            "interrupt {id} is not pending (pending: {known})"
                        )));
                    };
                    answers.push((open, value));
                }
                answers
            }
        };
        if answers.is_empty() {
            return Ok(());
        }
        let mut writes = Vec::new();
        for (open, value) in answers {
            if open.nested {
                self.saved
                    .entry(open.task)
                    .or_default()
                    .nested_answers
                    .insert(open.interrupt.id, value);
                continue;
            }
            let bytes = serde_json::to_vec(&value).map_err(|e| Error::Encode {
                thread: self.thread.clone(),
                step: self.step(),
                what: "a resume answer".into(),
                reason: e.to_string(),
            })?;
            writes.push(PendingWrite {
                task_id: open.task,
                node: open.interrupt.node.clone(),
                kind: WriteKind::Resume,
                slot: open.slot,
                value: bytes.into(),
            });
            self.saved
                .entry(open.task)
                .or_default()
                .resumes
                .insert(open.slot, value);
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

    /// Copies the restored (older) checkpoint, of superstep `step`, as the thread's new head, to
    /// replay from it.
    pub(super) async fn fork(&mut self, step: i64) -> Result<()> {
        self.saved.clear();
        let frontier = self.frontier.clone();
        self.commit(Source::Fork, step, Vec::new(), Vec::new(), frontier, false)
            .await?;
        Ok(())
    }
}
