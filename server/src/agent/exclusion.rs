//! What keeps turns apart: one lock per conversation thread, and a count of the turns under
//! way, which shutdown waits on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::watch;

/// One lock per thread, so a guest's messages are answered one at a time and in order.
/// Locks nobody holds or waits for are dropped.
#[derive(Default)]
pub(super) struct ThreadLocks {
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl ThreadLocks {
    /// `thread`'s lock. Waiters are served in the order they asked (tokio's lock is fair).
    pub(super) fn get(&self, thread: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(lock) = locks.get(thread).and_then(Weak::upgrade) {
            return lock;
        }
        if locks.len() > 1024 {
            locks.retain(|_, weak| weak.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(thread.to_owned(), Arc::downgrade(&lock));
        lock
    }
}

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
