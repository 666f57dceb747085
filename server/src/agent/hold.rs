//! A thread held across replicas for a turn or an API run ([`Hold`]): the thread's row in the
//! database, renewed while the run goes on, given back when it ends.

use std::sync::Arc;

use crate::Error;
use crate::db::Queue;

/// How long a chat turn waits for another replica's turn on its thread before giving up.
pub(super) const HOLD_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Where a turn or an API run holds its thread across replicas, and for how long at a time.
#[derive(Clone)]
pub(crate) struct Hold {
    pub(crate) queue: Arc<dyn Queue>,
    pub(crate) lease: std::time::Duration,
}

/// A thread held, renewed until dropped; dropping it gives the thread back.
pub(super) struct Held {
    hold: Hold,
    channel: String,
    user: String,
    renewing: tokio::task::JoinHandle<()>,
}

impl Hold {
    /// Holds the thread of `user` on `channel`, waiting up to `wait` for another replica's turn
    /// or run; `None` when it could not.
    pub(super) async fn take(
        &self,
        channel: &str,
        user: &str,
        wait: std::time::Duration,
    ) -> Result<Option<Held>, Error> {
        if !self.queue.hold(channel, user, wait).await? {
            return Ok(None);
        }
        let renewing = tokio::spawn({
            let (queue, lease) = (Arc::clone(&self.queue), self.lease);
            let (channel, user) = (channel.to_owned(), user.to_owned());
            async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    match queue.renew_hold(&channel, &user).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(channel, user, "lost the thread's hold");
                            return;
                        }
                        Err(e) => tracing::warn!(error = %e, "renewing the thread's hold"),
                    }
                }
            }
        });
        Ok(Some(Held {
            hold: self.clone(),
            channel: channel.to_owned(),
            user: user.to_owned(),
            renewing,
        }))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.renewing.abort();
        let (queue, channel, user) = (
            Arc::clone(&self.hold.queue),
            std::mem::take(&mut self.channel),
            std::mem::take(&mut self.user),
        );
        // Given back in the background; should that fail, the hold lapses on its own.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = queue.unhold(&channel, &user).await {
                    tracing::warn!(error = %e, "giving the thread's hold back");
                }
            });
        }
    }
}

/// API runs hold their thread as the server's turns do, so an SDK run, a guest's webhook turn
/// and a chat turn on one thread take turns across replicas. A thread `channel:user` (a
/// guest's) is held on the guest's row; any other id on a row of its own.
#[async_trait::async_trait]
impl agent_protocol::ThreadHold for Hold {
    async fn hold(&self, thread: &str) -> Result<Box<dyn Send + Sync>, agent_protocol::Error> {
        let (channel, user) = thread.split_once(':').unwrap_or(("thread", thread));
        loop {
            match self.take(channel, user, HOLD_WAIT).await {
                Ok(Some(held)) => return Ok(Box::new(held)),
                // A long turn elsewhere: a run waits its turn, however long.
                Ok(None) => {}
                Err(e) => return Err(agent_protocol::Error::Storage(e.to_string())),
            }
        }
    }
}
