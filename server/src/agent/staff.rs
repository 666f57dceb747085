//! Staff acting on a conversation handed to them: the thread waits in the graph's
//! `await_staff` interrupt, and a [`StaffAction`] resumes it, as the one runner of the thread
//! (held and locked like a guest's turn).

use std::sync::Arc;

use graph_core::{Durability, Resume, RunConfig, StreamMode};
use hotel_agent::StaffAction;

use super::{Agent, Hold, TurnOutcome, outcome};
use crate::Error;

impl Agent {
    /// Resumes the conversation of `user` on `channel` with `action`. `None` when it is not
    /// waiting for staff (no handoff is open, or it was handed back meanwhile): nothing ran.
    pub(crate) async fn staff(
        self: &Arc<Self>,
        channel: &str,
        user: &str,
        action: StaffAction,
        hold: Option<Hold>,
    ) -> Result<Option<TurnOutcome>, Error> {
        let by = match &action {
            StaffAction::Reply { by, .. } | StaffAction::HandBack { by, .. } => by.clone(),
        };
        let outcome = self
            .exclusive(
                channel.to_owned(),
                user.to_owned(),
                hold,
                move |agent, thread| async move {
                    // Checked under the thread's lock: a guest's turn cannot start meanwhile.
                    let state = agent
                        .graph
                        .get_state(&RunConfig::thread(thread.clone()))
                        .await?;
                    if state.values.handoff.is_none() || state.interrupts.is_empty() {
                        return Ok(None);
                    }
                    let config = RunConfig::thread(thread.clone())
                        .durability(Durability::Async)
                        .metadata("staff", by.as_str());
                    let out = agent
                        .run(agent.graph.stream_resume(
                            &config,
                            Resume::value(&action),
                            StreamMode::Tasks,
                        ))
                        .await?;
                    let nodes = out.executed.iter().map(|n| n.as_str().to_owned()).collect();
                    Ok(Some(outcome(thread, &out.state, nodes)))
                },
            )
            .await?;
        Ok(outcome)
    }
}
