//! [`InMemoryCache`]: the [`Cache`] for tests, examples and one-process deployments.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{Cache, CacheEntry};
use crate::error::StorageError;

/// Keeps cached node results in memory, for the life of the value (LangGraph's
/// `InMemoryCache`). Expired entries are swept as new ones are stored.
///
/// ```
/// use graph_core::{Cache, CacheEntry, InMemoryCache};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let cache = InMemoryCache::new();
/// let entry = CacheEntry::new(b"out".as_slice().into(), 1_000, None);
/// cache.set("price", b"Lisbon", entry.clone()).await?;
/// assert_eq!(cache.get("price", b"Lisbon").await?, Some(entry));
/// assert_eq!(cache.get("quote", b"Lisbon").await?, None); // another node's namespace
/// cache.clear(Some(&["price"])).await?;
/// assert_eq!(cache.get("price", b"Lisbon").await?, None);
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct InMemoryCache {
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    by_ns: HashMap<String, HashMap<Vec<u8>, CacheEntry>>,
    len: usize,
    /// How many entries there were after the last sweep: the next one runs at twice as many,
    /// so sweeping costs O(1) per `set` on average.
    swept_at: usize,
}

impl InMemoryCache {
    /// An empty cache (see the example on [`InMemoryCache`]).
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Every method leaves the map consistent before it could panic.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Entries {
    fn sweep(&mut self, now_ms: u64) {
        for entries in self.by_ns.values_mut() {
            entries.retain(|_, entry| entry.is_fresh(now_ms));
        }
        self.by_ns.retain(|_, entries| !entries.is_empty());
        self.len = self.by_ns.values().map(HashMap::len).sum();
        self.swept_at = self.len;
    }
}

#[async_trait]
impl Cache for InMemoryCache {
    async fn get(&self, ns: &str, key: &[u8]) -> Result<Option<CacheEntry>, StorageError> {
        Ok(self
            .lock()
            .by_ns
            .get(ns)
            .and_then(|entries| entries.get(key))
            .cloned())
    }

    async fn set(&self, ns: &str, key: &[u8], entry: CacheEntry) -> Result<(), StorageError> {
        let mut entries = self.lock();
        let now = entry.stored_at_ms;
        let replaced = entries
            .by_ns
            .entry(ns.to_owned())
            .or_default()
            .insert(key.to_vec(), entry);
        if replaced.is_none() {
            entries.len += 1;
        }
        if entries.len >= 2 * entries.swept_at.max(32) {
            entries.sweep(now);
        }
        Ok(())
    }

    async fn clear(&self, namespaces: Option<&[&str]>) -> Result<(), StorageError> {
        let mut entries = self.lock();
        match namespaces {
            None => entries.by_ns.clear(),
            Some(namespaces) => {
                for ns in namespaces {
                    entries.by_ns.remove(*ns);
                }
            }
        }
        entries.len = entries.by_ns.values().map(HashMap::len).sum();
        entries.swept_at = entries.len;
        Ok(())
    }
}
