//! The count of the turns under way, which shutdown waits on (the per-thread locks that keep
//! turns apart are `agent_protocol::ThreadLocks`, shared with the Agent Protocol's runs).

use std::sync::Arc;

use tokio::sync::watch;

/// The turns under way. A turn runs on after its caller stops waiting (an HTTP client that
/// left), so nothing else would wait for it at shutdown.
pub(super) struct InFlight {
    count: Arc<watch::Sender<usize>>,
}

impl Default for InFlight {
    fn default() -> Self {
        InFlight {
            count: Arc::new(watch::Sender::new(0)),
        }
    }
}

impl InFlight {
    /// Counts a turn in until the returned guard is dropped.
    pub(super) fn enter(&self) -> Entered {
        self.count.send_modify(|n| *n += 1);
        Entered(Arc::clone(&self.count))
    }

    /// Waits until no turn is under way.
    pub(super) async fn idle(&self) {
        let mut count = self.count.subscribe();
        // The sender lives in `self`, so the wait cannot fail.
        let _ = count.wait_for(|n| *n == 0).await;
    }
}

/// A turn counted in by [`InFlight::enter`]; dropping it counts the turn out, however the turn
/// ended.
pub(super) struct Entered(Arc<watch::Sender<usize>>);

impl Drop for Entered {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}
