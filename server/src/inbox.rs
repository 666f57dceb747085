//! The inbox worker: answers stored guest messages, each guest's one at a time in the order
//! they were sent, different guests in parallel. A message is marked answered in the same
//! transaction that queues its reply, and a turn interrupted by a crash is finished, not
//! repeated ([`crate::agent::Agent::turn`]), so after a restart every stored message is
//! answered exactly once.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::agent::Message;
use crate::db::{InboxState, Kind, Pending, Reply};
use crate::meta::{Channel, split};
use crate::state::{App, DRAIN, now_ms};

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
    let busy: Arc<Mutex<HashSet<(Channel, String)>>> = Arc::default();
    let slots = Arc::new(Semaphore::new(PARALLEL_GUESTS));
    let mut tasks = JoinSet::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        match app.db.pending().await {
            Ok(pending) => {
                let mut by_guest: BTreeMap<(Channel, String), Vec<Pending>> = BTreeMap::new();
                for row in pending {
                    by_guest
                        .entry((row.channel, row.user.clone()))
                        .or_default()
                        .push(row);
                }
                for (guest, rows) in by_guest {
                    if !busy
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(guest.clone())
                    {
                        continue;
                    }
                    let (app, busy, slots) =
                        (Arc::clone(&app), Arc::clone(&busy), Arc::clone(&slots));
                    tasks.spawn(async move {
                        if let Ok(_slot) = slots.acquire().await {
                            answer_guest(&app, rows).await;
                        }
                        busy.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&guest);
                        // Messages may have arrived meanwhile.
                        app.inbox_wake.notify_one();
                    });
                }
            }
            Err(e) => tracing::error!(error = %e, "reading the inbox"),
        }
        while tasks.try_join_next().is_some() {}
        tokio::select! {
            () = app.inbox_wake.notified() => {}
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
    let drained = tokio::time::timeout(DRAIN, async { while tasks.join_next().await.is_some() {} });
    if drained.await.is_err() {
        tracing::warn!("shutdown: turns still running were stopped; they resume on restart");
    }
}

async fn answer_guest(app: &App, rows: Vec<Pending>) {
    for row in rows {
        let span = tracing::info_span!(
            "turn",
            correlation = row.correlation,
            channel = %row.channel,
            user = row.user,
            message_id = row.message_id,
        );
        let stop = answer(app, &row).instrument(span).await;
        if stop {
            // Keep this guest's later messages waiting behind the one that failed.
            return;
        }
    }
}

/// Answers one message; true when it failed and will be tried again later.
async fn answer(app: &App, row: &Pending) -> bool {
    let text = if row.kind == Kind::Text {
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
        match app.agent.turn(message).await {
            Ok(turn) => {
                tracing::info!(nodes = ?turn.nodes, intent = ?turn.intent, "answered");
                Ok(turn.reply)
            }
            Err(e) => Err(e.to_string()),
        }
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
            return true;
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
            },
            now_ms(),
        )
        .await;
    match stored {
        Ok(()) => {
            app.outbox_wake.notify_one();
            false
        }
        Err(e) => {
            // The turn is checkpointed; next time its reply is taken from there.
            tracing::error!(error = %e, "storing a reply");
            tokio::time::sleep(Duration::from_secs(1)).await;
            true
        }
    }
}
