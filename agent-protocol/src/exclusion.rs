//! [`ThreadLocks`]: one lock per thread, shared by everything that runs a graph on a thread
//! (this API's runs, and a server's own turns), so two runs of one thread never interleave;
//! and [`ThreadHold`], the same across processes sharing the host's storage, when the host
//! has one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::OwnedMutexGuard;

/// One lock per thread. Waiters are served in the order they asked (tokio's lock is fair), so
/// a thread's runs happen in the order they queued. Locks nobody holds or waits for are dropped.
#[derive(Default)]
pub struct ThreadLocks {
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl ThreadLocks {
    /// No locks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `thread`'s lock.
    pub fn get(&self, thread: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
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

    /// `thread`'s lock if nobody holds it.
    pub fn try_lock(&self, thread: &str) -> Option<OwnedMutexGuard<()>> {
        self.get(thread).try_lock_owned().ok()
    }

    /// Waits for `thread`'s lock and holds it until the guard is dropped.
    pub async fn lock(&self, thread: &str) -> OwnedMutexGuard<()> {
        self.get(thread).lock_owned().await
    }
}

/// Holds a thread against what runs graphs on it in other processes that share the host's
/// storage (its replicas' runs and turns). A host with one process needs none. A run takes the
/// hold before its thread's [`ThreadLocks`] lock (so a host's own runners, which hold first and
/// lock second, cannot deadlock with it) and keeps it until its writes have landed.
#[async_trait::async_trait]
pub trait ThreadHold: Send + Sync {
    /// Waits until `thread` is held by this process; dropping what it returns gives it back
    /// (or lets it lapse).
    async fn hold(&self, thread: &str) -> Result<Box<dyn Send + Sync>, crate::Error>;
}
