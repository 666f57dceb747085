//! [`PgQueue::listen`]: how a replica hears that another stored work. Writers `NOTIFY
//! sv_inbox` / `sv_outbox` / `ap_events` (an API run's events) with their writes (delivered at
//! commit); each replica `LISTEN`s on a connection of its own, reconnected when it drops, and
//! still polls in case a notification was missed while it was down.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::watch;
use tokio_postgres::AsyncMessage;

use super::{PgQueue, Wake};

impl PgQueue {
    /// Wakes `wake` when another replica (or this one) stores messages or reply parts, until
    /// `stop`: a connection of its own that `LISTEN`s, reconnected after a failure.
    pub(crate) fn listen(
        &self,
        config: tokio_postgres::Config,
        wake: Arc<Wake>,
        mut stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(250);
            loop {
                let connected_at = tokio::time::Instant::now();
                let listened = tokio::select! {
                    result = listen_once(&config, &wake) => result,
                    _ = stop.wait_for(|stop| *stop) => return,
                };
                if let Err(e) = listened {
                    tracing::warn!(error = %e, ?backoff, "LISTEN connection lost; reconnecting");
                }
                // Whatever was notified while the connection was down is picked up by a scan.
                wake.inbox.notify_one();
                wake.outbox.notify_one();
                wake.runs.notify_waiters();
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|stop| *stop) => return,
                }
                // A connection that lasted starts the backoff over; one that keeps failing
                // backs off up to 5 s.
                backoff = if connected_at.elapsed() > Duration::from_secs(30) {
                    Duration::from_millis(250)
                } else {
                    (backoff * 2).min(Duration::from_secs(5))
                };
            }
        })
    }
}

/// One `LISTEN` connection until it fails. The connection is driven here, not in a task of
/// its own, so stopping (dropping this future) closes it.
async fn listen_once(
    config: &tokio_postgres::Config,
    wake: &Wake,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(tokio_postgres::NoTls).await?;
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    let heard = |message: Option<Result<AsyncMessage, tokio_postgres::Error>>| match message {
        Some(Ok(AsyncMessage::Notification(n))) => {
            match n.channel() {
                "sv_inbox" => wake.inbox.notify_one(),
                "sv_outbox" => wake.outbox.notify_one(),
                "ap_events" => wake.runs.notify_waiters(),
                _ => {}
            }
            Ok(true)
        }
        Some(Ok(_)) => Ok(true),
        Some(Err(e)) => Err(e),
        None => Ok(false),
    };
    let listen = client.batch_execute("LISTEN sv_inbox; LISTEN sv_outbox; LISTEN ap_events");
    tokio::pin!(listen);
    loop {
        tokio::select! {
            listened = &mut listen => {
                listened?;
                break;
            }
            message = messages.next() => {
                if !heard(message)? {
                    return Ok(());
                }
            }
        }
    }
    tracing::debug!("listening for other replicas' work");
    while heard(messages.next().await)? {}
    Ok(())
}
