//! The inbox worker: answers stored guest messages, each guest's one at a time in the order
//! they were sent (under the guest's lease, so also across replicas), different guests in
//! parallel. A message is marked answered in the same transaction that queues its reply, and
//! a turn interrupted by a crash is finished, not repeated ([`crate::agent::Agent::turn`]), so
//! after a restart (or another replica's takeover) every stored message is answered exactly
//! once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::agent::Message;
use crate::db::{Answered, Guest, InboxState, Kind, Pending, Reply};
use crate::handoff;
use crate::meta::form::Form;
use crate::meta::split;
use crate::state::{App, now_ms};

/// Guests answered at the same time.
const PARALLEL_GUESTS: usize = 32;
/// Attempts at a turn before the guest gets an apology instead.
const MAX_ATTEMPTS: i64 = 3;

/// What a guest who sends a photo, voice note or sticker is told.
const TEXT_ONLY: &str = "Sorry, I can only read text messages. Please type your question. / \
     Lo siento, solo puedo leer mensajes de texto. Escriba su consulta, por favor.";
/// What a guest is told when their message could not be answered.
const APOLOGY: &str = "Sorry, something went wrong on our side and I could not answer that. \
     Please send it again in a moment. / Lo siento, algo falló por nuestra parte. Vuelva a \
     enviarlo en un momento, por favor.";

pub(crate) async fn run(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(PARALLEL_GUESTS));
    let mut tasks = JoinSet::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Only as many guests as can be answered now: a lease held while waiting for a slot
        // would keep another replica from answering the guest.
        let free = slots.available_permits();
        if free > 0 {
            match app.db.claim_guests(free).await {
                Ok(guests) => {
                    for guest in guests {
                        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                            release(&app, &guest).await;
                            continue;
                        };
                        let app = Arc::clone(&app);
                        tasks.spawn(async move {
                            let _slot = slot;
                            serve(&app, &guest).await;
                            // Messages may have arrived meanwhile.
                            app.wake.inbox.notify_one();
                        });
                    }
                }
                Err(e) => tracing::error!(error = %e, "claiming guests"),
            }
        }
        while tasks.try_join_next().is_some() {}
        tokio::select! {
            () = app.wake.inbox.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
            changed = shutdown.changed() => {
                // A dropped `Server` (no shutdown call) also stops the task.
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    // Let running turns finish; one cut short is resumed from its checkpoint next start.
    let drained = tokio::time::timeout(app.config.shutdown_grace(), async {
        while tasks.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        tracing::warn!("shutdown: turns still running were stopped; they resume on restart");
    }
}

/// Answers `guest`'s pending messages in order under the guest's lease, renewing it while it
/// works; stops as soon as the lease is lost (another replica then answers the guest) or a
/// message failed (it is tried again later, before the guest's later messages).
async fn serve(app: &App, guest: &Guest) {
    let lease = app.config.guest_lease();
    // Lost when renewing says so, or when no renewal got through for two thirds of the lease
    // (the database is slow or away): by the time it lapses another replica may take the
    // guest, so this one stops first rather than answer beside it.
    let heartbeat = async {
        let mut renewed = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(lease / 6).await;
            match app.db.renew(guest).await {
                Ok(true) => renewed = tokio::time::Instant::now(),
                Ok(false) => return,
                Err(e) => tracing::warn!(error = %e, "renewing a guest's lease"),
            }
            if renewed.elapsed() >= lease * 2 / 3 {
                return;
            }
        }
    };
    let work = async {
        loop {
            let rows = match app.db.pending_of(guest).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, "reading a guest's messages");
                    return;
                }
            };
            if rows.is_empty() {
                return;
            }
            for row in rows {
                let span = tracing::info_span!(
                    "turn",
                    correlation = row.correlation,
                    channel = %row.channel,
                    user = row.user,
                    message_id = row.message_id,
                );
                match answer(app, &row).instrument(span).await {
                    Step::Next => {}
                    // Keep this guest's later messages waiting behind the one that failed.
                    Step::Later => return,
                    Step::Lost => {
                        tracing::warn!(
                            channel = %guest.channel,
                            user = guest.user,
                            "lost the guest's lease; another replica answers them"
                        );
                        return;
                    }
                }
            }
        }
    };
    tokio::select! {
        () = work => release(app, guest).await,
        () = heartbeat => tracing::warn!(
            channel = %guest.channel,
            user = guest.user,
            "lost the guest's lease mid-turn; another replica finishes it"
        ),
    }
}

async fn release(app: &App, guest: &Guest) {
    if let Err(e) = app.db.release(guest).await {
        // It lapses on its own.
        tracing::warn!(error = %e, "giving a guest's lease back");
    }
}

/// What comes after a message.
enum Step {
    /// It was answered: on to the guest's next.
    Next,
    /// It failed and is tried again later.
    Later,
    /// The guest's lease is gone: someone else answers them now.
    Lost,
}

/// Runs the agent's turn on a text message: its reply, or why it failed.
async fn turn(app: &App, row: &Pending) -> Result<String, String> {
    let message = Message {
        channel: row.channel.as_str().to_owned(),
        user: row.user.clone(),
        text: row.text.clone(),
        message_id: row.message_id.clone(),
        correlation: row.correlation.clone(),
    };
    // At shutdown this future may be dropped after the drain; the turn runs on
    // (`Agent::turn`) and shutdown waits for it, so the guest's message is answered from
    // its finished run on the next start rather than run beside it.
    match app.agent.turn(message, None).await {
        Ok(turn) => {
            tracing::info!(nodes = ?turn.nodes, intent = ?turn.intent, "answered");
            handoff::after_turn(app, row.channel.as_str(), &row.user, &row.text, &turn).await;
            Ok(turn.reply)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// An opt-out (or opt-in) command, recorded: the reply is its confirmation. From a guest a
/// person is looking after, the message also reaches the conversation, where staff read it
/// (the agent stays silent while they have it), and the channel's window counts from it.
async fn confirm_command(app: &App, row: &Pending, confirmation: String) -> Result<String, String> {
    let handed = app
        .db
        .guest_wrote(row.channel.as_str(), &row.user, now_ms())
        .await
        .map_err(|e| e.to_string())?;
    if handed {
        turn(app, row).await?;
    }
    Ok(confirmation)
}

/// Answers one message.
async fn answer(app: &App, row: &Pending) -> Step {
    let text = if let Some(command) = crate::optout::answer(app, row).await {
        match command {
            Ok(confirmation) => confirm_command(app, row, confirmation).await,
            Err(why) => Err(why),
        }
    } else if row.kind == Kind::Text {
        turn(app, row).await
    } else {
        tracing::info!(kind = row.text, "not text; asking for text");
        Ok(TEXT_ONLY.to_owned())
    };
    let (state, detail, reply) = match text {
        Ok(reply) => (InboxState::Done, None, reply),
        Err(why) if row.attempts + 1 < MAX_ATTEMPTS => {
            tracing::warn!(
                error = why,
                attempt = row.attempts + 1,
                "turn failed; will retry"
            );
            if let Err(e) = app.db.attempt_failed(row.seq, why).await {
                tracing::error!(error = %e, "recording a failed turn");
            }
            tokio::time::sleep(Duration::from_millis(500 << row.attempts.clamp(0, 4))).await;
            return Step::Later;
        }
        Err(why) => {
            tracing::error!(error = why, "turn failed for good; apologising");
            (InboxState::Failed, Some(why), APOLOGY.to_owned())
        }
    };
    let parts = split::split(&reply, row.channel.limit());
    let stored = app
        .db
        .answer(
            row.seq,
            state,
            detail,
            Reply {
                channel: row.channel,
                recipient: row.user.clone(),
                parts,
                correlation: row.correlation.clone(),
                form: Form::Text,
            },
            now_ms(),
        )
        .await;
    match stored {
        Ok(Answered::Stored) => {
            app.wake.outbox.notify_one();
            Step::Next
        }
        Ok(Answered::LeaseLost) => Step::Lost,
        Err(e) => {
            // The turn is checkpointed; next time its reply is taken from there.
            tracing::error!(error = %e, "storing a reply");
            tokio::time::sleep(Duration::from_secs(1)).await;
            Step::Later
        }
    }
}
