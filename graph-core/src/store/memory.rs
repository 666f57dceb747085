//! [`InMemoryStore`]: the [`Store`] for tests, examples and one-process deployments.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use super::{
    Item, NamespaceQuery, SearchQuery, Store, decode_namespace, encode_namespace, expires_at,
    is_live, validate_namespace, validate_prefix, validate_value,
};
use crate::clock::{Clock, system_clock};
use crate::error::StorageError;

/// Keeps items in memory, for the life of the value (LangGraph's `InMemoryStore` without
/// semantic search), with the same semantics as a durable store. Expired items are invisible at
/// once and purged as new ones are put, or by [`Store::sweep`].
///
/// Time comes from the system clock unless [`InMemoryStore::with_clock`] injects one.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::time::Duration;
/// use graph_core::{InMemoryStore, Store};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let now = Arc::new(AtomicU64::new(1_000));
/// let clock = Arc::clone(&now);
/// let store = InMemoryStore::new().with_clock(move || clock.load(Ordering::SeqCst));
/// let ttl = Some(Duration::from_secs(60));
/// store.put(&["otp"], "ana", json!({"code": "4711"}), ttl).await?;
/// assert!(store.get(&["otp"], "ana").await?.is_some());
/// now.store(61_000, Ordering::SeqCst);
/// assert!(store.get(&["otp"], "ana").await?.is_none());
/// assert_eq!(store.sweep().await?, 1);
/// # Ok(()) }
/// ```
pub struct InMemoryStore {
    items: Mutex<Items>,
    clock: Clock,
}

#[derive(Default)]
struct Items {
    /// By (encoded namespace, key): iterating it is store order, and a prefix is a range.
    by_path: BTreeMap<(String, String), Stored>,
    /// How many items have an expiry.
    expiring: usize,
    /// How many had one after the last sweep: the next runs at twice as many, so sweeping
    /// costs O(1) per put on average.
    swept_at: usize,
}

struct Stored {
    value: Value,
    created_at_ms: u64,
    updated_at_ms: u64,
    expires_at_ms: Option<u64>,
}

impl Default for InMemoryStore {
    fn default() -> Self {
        Self {
            items: Mutex::default(),
            clock: Arc::new(system_clock),
        }
    }
}

impl std::fmt::Debug for InMemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryStore")
            .field("items", &self.lock().by_path.len())
            .finish_non_exhaustive()
    }
}

impl InMemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same store, reading the time (milliseconds since the Unix epoch) from `clock`, e.g.
    /// to test expiry without waiting (see the example on [`InMemoryStore`]).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Items> {
        // Every method validates before it mutates and leaves the map consistent before it
        // could panic, so a poisoned lock is still consistent.
        self.items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Items {
    /// The items whose encoded namespace starts with `path` (all for ""), in store order.
    fn under<'a>(
        &'a self,
        path: &'a str,
    ) -> impl Iterator<Item = (&'a (String, String), &'a Stored)> + 'a {
        let start = Bound::Included((path.to_owned(), String::new()));
        self.by_path
            .range((start, Bound::Unbounded))
            .take_while(move |((ns, _), _)| ns.starts_with(path))
    }

    fn sweep(&mut self, now_ms: u64) -> usize {
        let before = self.by_path.len();
        self.by_path
            .retain(|_, stored| is_live(stored.expires_at_ms, now_ms));
        self.expiring = (self.by_path.values())
            .filter(|stored| stored.expires_at_ms.is_some())
            .count();
        self.swept_at = self.expiring;
        before - self.by_path.len()
    }
}

impl Stored {
    fn item(&self, path: &str, key: &str) -> Item {
        Item {
            namespace: decode_namespace(path),
            key: key.to_owned(),
            value: self.value.clone(),
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
            expires_at_ms: self.expires_at_ms,
        }
    }
}

#[async_trait]
impl Store for InMemoryStore {
    async fn put(
        &self,
        namespace: &[&str],
        key: &str,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<(), StorageError> {
        validate_namespace(namespace)?;
        validate_value(namespace, key, &value)?;
        let now = (self.clock)();
        let at = (encode_namespace(namespace), key.to_owned());
        let mut items = self.lock();
        let created_at_ms = match items.by_path.get(&at) {
            Some(old) if is_live(old.expires_at_ms, now) => old.created_at_ms,
            _ => now,
        };
        let stored = Stored {
            value,
            created_at_ms,
            updated_at_ms: now,
            expires_at_ms: expires_at(now, ttl),
        };
        let adds = usize::from(stored.expires_at_ms.is_some());
        let replaced = items.by_path.insert(at, stored);
        let removes = usize::from(replaced.is_some_and(|old| old.expires_at_ms.is_some()));
        items.expiring = items.expiring + adds - removes;
        if items.expiring >= 2 * items.swept_at.max(32) {
            items.sweep(now);
        }
        Ok(())
    }

    async fn get(&self, namespace: &[&str], key: &str) -> Result<Option<Item>, StorageError> {
        validate_namespace(namespace)?;
        let now = (self.clock)();
        let path = encode_namespace(namespace);
        let items = self.lock();
        Ok(items
            .by_path
            .get(&(path.clone(), key.to_owned()))
            .filter(|stored| is_live(stored.expires_at_ms, now))
            .map(|stored| stored.item(&path, key)))
    }

    async fn delete(&self, namespace: &[&str], key: &str) -> Result<(), StorageError> {
        validate_namespace(namespace)?;
        let at = (encode_namespace(namespace), key.to_owned());
        let mut items = self.lock();
        if items
            .by_path
            .remove(&at)
            .is_some_and(|old| old.expires_at_ms.is_some())
        {
            items.expiring -= 1;
        }
        Ok(())
    }

    async fn search(
        &self,
        prefix: &[&str],
        query: &SearchQuery,
    ) -> Result<Vec<Item>, StorageError> {
        validate_prefix(prefix)?;
        let now = (self.clock)();
        let path = encode_namespace(prefix);
        let items = self.lock();
        Ok(items
            .under(&path)
            .filter(|(_, stored)| {
                is_live(stored.expires_at_ms, now) && query.matches(&stored.value)
            })
            .skip(query.offset)
            .take(query.limit)
            .map(|((ns, key), stored)| stored.item(ns, key))
            .collect())
    }

    async fn list_namespaces(
        &self,
        query: &NamespaceQuery,
    ) -> Result<Vec<Vec<String>>, StorageError> {
        query.validate()?;
        let now = (self.clock)();
        let path = encode_namespace(&query.prefix);
        let items = self.lock();
        let live = items
            .under(&path)
            .filter(|(_, stored)| is_live(stored.expires_at_ms, now))
            .map(|((ns, _), _)| ns.as_str());
        Ok(query.collect(live))
    }

    async fn sweep(&self) -> Result<usize, StorageError> {
        let now = (self.clock)();
        Ok(self.lock().sweep(now))
    }
}
