//! The human handoff on the server. The graph decides (a turn that opens a handoff pauses the
//! thread in `await_staff`; while it waits the agent answers nothing); this module records it
//! for staff (`db::Handoffs`), tells them (a `sched::staff_notice` job per target, retried
//! with backoff), and carries staff's replies to the guest through the outbox under each
//! channel's rules: WhatsApp allows a business's message only within 24 hours of the guest's
//! last one; Instagram allows a person's reply, tagged `HUMAN_AGENT`, up to 7 days after it.

use std::sync::Arc;

use hotel_agent::{HandoffReason, StaffAction};

use crate::agent::{Hold, TurnOutcome};
use crate::db::{Handoff, Reply};
use crate::meta::form::Form;
use crate::meta::{Channel, split};
use crate::state::{App, now_ms};

/// A day: WhatsApp's window, and Instagram's for untagged messages.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// How long after the guest's last message a person may still reply on Instagram.
const HUMAN_AGENT_MS: i64 = 7 * DAY_MS;

/// After a guest's turn: a turn that leaves a person with the conversation opens its handoff
/// (once; staff are told of a new one) and moves its last-guest time.
pub(crate) async fn after_turn(
    app: &App,
    channel: &str,
    user: &str,
    text: &str,
    turn: &TurnOutcome,
) {
    let Some(reason) = turn.handoff else {
        return;
    };
    let now = now_ms();
    let opened = app
        .db
        .open_handoff(channel, user, reason.as_str(), now)
        .await;
    match opened {
        Ok((id, true)) => {
            tracing::info!(handoff = id, channel, user, %reason, "a person was asked to take over");
            app.metrics.handoffs_opened.inc();
            notify(
                app,
                id,
                (channel, user),
                reason,
                text,
                turn.focus.as_deref(),
            )
            .await;
        }
        Ok((_, false)) => {
            if let Err(e) = app.db.guest_wrote(channel, user, now).await {
                tracing::error!(error = %e, "recording a guest's message on their handoff");
            }
        }
        Err(e) => tracing::error!(error = %e, "recording a handoff"),
    }
}

/// Tells staff of new handoff `id`: a job per configured target, stored in the database and
/// retried with backoff by the scheduler (`sched::staff_notice`), so a restart loses none.
async fn notify(
    app: &App,
    id: i64,
    (channel, user): (&str, &str),
    reason: HandoffReason,
    text: &str,
    focus: Option<&str>,
) {
    let Some(staff) = &app.staff else {
        return;
    };
    // The hotel the conversation is about, when it is about one.
    let hotel = focus
        .and_then(|code| app.agent.catalog.hotel(code).ok())
        .map_or_else(|| "our hotels".to_owned(), |h| h.name.clone());
    let scheduler = app.agent.scheduler();
    let notice = crate::sched::staff_notice::Handoff {
        id,
        hotel: &hotel,
        channel,
        user,
        reason,
        message: text,
    };
    let planned = crate::sched::staff_notice::plan(&scheduler, staff, &notice).await;
    if let Err(e) = planned {
        tracing::error!(error = %e, handoff = id, "scheduling the staff's notice");
    }
}

/// Why a staff action was refused.
#[derive(Debug)]
pub(crate) enum Refused {
    /// No such handoff.
    NotFound,
    /// It is closed, or the conversation no longer waits for staff.
    NotOpen,
    /// The channel does not let a business write to the guest now (the reason says why).
    OutsideWindow(String),
    /// Another turn on the thread did not end within the wait.
    Busy,
    /// The server failed (logged).
    Failed(crate::Error),
}

/// What a staff reply became.
#[derive(Debug)]
pub(crate) struct Sent {
    /// The parts queued for the guest (none on the web channel, where the reply is in the
    /// thread's history for the chat page).
    pub(crate) parts: usize,
    /// How they go out.
    pub(crate) form: Form,
}

/// Staff reply `text` to the guest of handoff `id`, as `by`.
pub(crate) async fn reply(app: &Arc<App>, id: i64, by: &str, text: &str) -> Result<Sent, Refused> {
    let handoff = open_handoff(app, id).await?;
    let channel = Channel::parse(&handoff.channel);
    let form = match channel {
        Some(channel) => window(channel, now_ms() - handoff.last_guest_ms)?,
        None => Form::Text,
    };
    let action = StaffAction::Reply {
        by: by.to_owned(),
        text: text.to_owned(),
    };
    let turn = act(app, &handoff, action).await?;
    let Some(channel) = channel else {
        return Ok(Sent { parts: 0, form });
    };
    let parts = split::split(&turn.reply, channel.limit());
    let count = parts.len();
    let queued = app
        .db
        .send_later(
            Reply {
                channel,
                recipient: handoff.user.clone(),
                parts,
                correlation: format!("staff:{id}"),
                form: form.clone(),
            },
            now_ms(),
        )
        .await;
    queued.map_err(Refused::Failed)?;
    app.wake.outbox.notify_one();
    Ok(Sent { parts: count, form })
}

/// Staff hand the conversation of handoff `id` back to the assistant, as `by`.
pub(crate) async fn hand_back(
    app: &Arc<App>,
    id: i64,
    by: &str,
    note: Option<&str>,
) -> Result<(), Refused> {
    let handoff = open_handoff(app, id).await?;
    let action = StaffAction::HandBack {
        by: by.to_owned(),
        note: note.map(str::to_owned),
    };
    match act(app, &handoff, action).await {
        // Not waiting any more (handed back from elsewhere): the row follows the graph.
        Ok(_) | Err(Refused::NotOpen) => {}
        Err(other) => return Err(other),
    }
    app.db
        .close_handoff(id, by, note, now_ms())
        .await
        .map_err(Refused::Failed)?;
    app.metrics.handoffs_closed.inc();
    Ok(())
}

async fn open_handoff(app: &App, id: i64) -> Result<Handoff, Refused> {
    let handoff = app
        .db
        .handoff(id)
        .await
        .map_err(Refused::Failed)?
        .ok_or(Refused::NotFound)?;
    if handoff.closed.is_some() {
        return Err(Refused::NotOpen);
    }
    Ok(handoff)
}

/// Resumes the handoff's conversation with `action`.
async fn act(
    app: &Arc<App>,
    handoff: &Handoff,
    action: StaffAction,
) -> Result<TurnOutcome, Refused> {
    let hold = Hold {
        queue: Arc::clone(&app.db),
        lease: app.config.guest_lease(),
    };
    match app
        .agent
        .staff(&handoff.channel, &handoff.user, action, Some(hold))
        .await
    {
        Ok(Some(turn)) => Ok(turn),
        Ok(None) => Err(Refused::NotOpen),
        Err(crate::Error::ThreadBusy { .. }) => Err(Refused::Busy),
        Err(e) => Err(Refused::Failed(e)),
    }
}

/// How a business may write on `channel` to a guest who last wrote `since_ms` ago.
pub(crate) fn window(channel: Channel, since_ms: i64) -> Result<Form, Refused> {
    match channel {
        _ if since_ms <= DAY_MS => Ok(Form::Text),
        Channel::Instagram if since_ms <= HUMAN_AGENT_MS => Ok(Form::HumanAgent),
        Channel::Instagram => Err(Refused::OutsideWindow(
            "Instagram lets a person reply only within 7 days of the guest's last message; \
             the guest has to write first"
                .into(),
        )),
        Channel::Whatsapp => Err(Refused::OutsideWindow(
            "WhatsApp lets a business write only within 24 hours of the guest's last \
             message; outside it only an approved template can reach the guest"
                .into(),
        )),
    }
}
