//! The node cache: a node's [`CachePolicy`] (how its input becomes a key, how long an entry
//! lives), the [`Cache`] trait a compiled graph stores entries in
//! ([`crate::CompiledGraph::with_cache`]), what it stores ([`CacheEntry`]), and
//! [`InMemoryCache`].
//!
//! The engine decides what is a hit: it computes the key, reads the entry, checks its expiry
//! against the graph's clock ([`crate::CompiledGraph::with_clock`]) and decodes it. A cache only
//! stores bytes by (namespace, key), so a backend needs no knowledge of states or time.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use xxhash_rust::xxh3::Xxh3;

use crate::checkpoint::Blob;
use crate::error::StorageError;
use crate::state::State;

mod memory;

pub use memory::InMemoryCache;

/// A key function: the cache key of a node's input state.
pub(crate) type KeyFn<S> = Arc<dyn Fn(&S) -> Vec<u8> + Send + Sync>;

/// How a node's results are cached (LangGraph's `CachePolicy`): set it with
/// [`crate::NodeOptions::cache`] (or for every node, [`crate::NodeDefaults::cache`]) and give the
/// compiled graph a [`Cache`] ([`crate::CompiledGraph::with_cache`]).
///
/// Before a task of the node runs, the engine computes the key of its input; when the cache has a
/// fresh entry for the node and that key, the node is not called and the entry's output (its
/// update and its command's destinations) is applied as if the node had returned it. Otherwise
/// the node runs and, once it succeeded, its output is stored.
///
/// - **The key** is, by default, a 128-bit hash of every field of the input state, each as it is
///   checkpointed (JSON), so it is the same in every process that runs the graph; a state with a
///   `HashMap` field serializes in no fixed order and misses more than it needs to (key it with
///   [`CachePolicy::key`]). A node that takes a [`crate::Push`] is keyed by the push's argument.
///   Keys are per node: two nodes never share an entry.
/// - **What a hit replays** is the node's own output: its update, and where its
///   [`crate::Command`] went. The node's conditional edges run again on the current state, as
///   they would after the node.
/// - **What is never cached**: a failure, an interrupt, an error handler's output, and the output
///   of an attempt that called [`crate::Ctx::effect`] or [`crate::Ctx::interrupt`] — an effect
///   happens once per task, and a hit would skip it for a task whose input merely matches; an
///   interrupt's answer is not part of the key. (LangGraph caches such nodes regardless.)
/// - **A subgraph node**'s hit skips the whole subgraph run, and whatever its nodes would have
///   done; a subgraph run that paused for an answer is not cached. The nodes inside a subgraph
///   use its parent's cache, each in a namespace of its own ([`Cache`]).
/// - **Events**: a hit's node emits nothing, and its task's end and update are marked
///   ([`crate::Event::cached`]). It is listed in [`crate::RunOutput::executed`].
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use graph_core::{CachePolicy, Ctx, InMemoryCache, RunConfig, START, State, StateGraph};
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Quote {
///     city: String,
///     price: u32,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let calls = Arc::new(AtomicU32::new(0));
/// let counted = Arc::clone(&calls);
/// let mut graph = StateGraph::<Quote>::new();
/// graph
///     .add_node("price", move |s: Arc<Quote>, _ctx: Ctx| {
///         counted.fetch_add(1, Ordering::SeqCst);
///         async move { Ok(QuoteUpdate::default().price(s.city.len() as u32 * 10)) }
///     })
///     // Keyed by the city only (the default key is the whole state), for an hour.
///     .cache(CachePolicy::new().key(|s: &Quote| s.city.clone()).ttl(Duration::from_secs(3600)));
/// graph.add_edge(START, "price");
/// let graph = graph.compile()?.with_cache(Arc::new(InMemoryCache::new()));
///
/// for (thread, city) in [("t1", "Lisbon"), ("t2", "Lisbon"), ("t3", "Porto")] {
///     let input = QuoteUpdate::default().city(city);
///     graph.invoke(input, &RunConfig::thread(thread)).await?;
/// }
/// assert_eq!(calls.load(Ordering::SeqCst), 2);
/// # Ok(()) }
/// ```
pub struct CachePolicy<S: State> {
    pub(crate) key: Option<KeyFn<S>>,
    pub(crate) ttl: Option<Duration>,
}

impl<S: State> Clone for CachePolicy<S> {
    fn clone(&self) -> Self {
        Self {
            key: self.key.clone(),
            ttl: self.ttl,
        }
    }
}

impl<S: State> Default for CachePolicy<S> {
    fn default() -> Self {
        Self {
            key: None,
            ttl: None,
        }
    }
}

impl<S: State> std::fmt::Debug for CachePolicy<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachePolicy")
            .field(
                "key",
                &if self.key.is_some() {
                    "custom"
                } else {
                    "state"
                },
            )
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl<S: State> CachePolicy<S> {
    /// Caches by the whole input state, with no expiry (see the example on [`CachePolicy`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Keys entries by what `key` makes of the input state (a `String`, `&str` or bytes) instead
    /// of the whole state: inputs with equal keys share an entry. Not for a node that takes a
    /// [`crate::Push`], which is keyed by its argument ([`crate::BuildError::CacheKeyOnPushNode`]).
    /// See the example on [`CachePolicy`].
    #[must_use]
    pub fn key<K: Into<Vec<u8>>>(mut self, key: impl Fn(&S) -> K + Send + Sync + 'static) -> Self {
        self.key = Some(Arc::new(move |state: &S| key(state).into()));
        self
    }

    /// Lets an entry serve hits for `ttl` after it is stored, by the graph's clock (the default
    /// is no expiry). See the example on [`CachePolicy`].
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The key of a task of a node that reads the state: the key function's, or a hash of every
    /// field as checkpointed. `None` when a field cannot be encoded.
    pub(crate) fn state_key(&self, state: &S) -> Option<Vec<u8>> {
        if let Some(key) = &self.key {
            return Some(key(state));
        }
        let mut h = Xxh3::new();
        h.update(b"state\0");
        for index in 0..S::FIELDS.len() {
            let bytes = state.encode_field(index).ok()?;
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
        Some(h.digest128().to_le_bytes().to_vec())
    }

    /// The key of a task of a node that takes a push: a hash of its argument.
    pub(crate) fn push_key(arg: &serde_json::Value) -> Option<Vec<u8>> {
        let bytes = serde_json::to_vec(arg).ok()?;
        let mut h = Xxh3::new();
        h.update(b"push\0");
        h.update(&bytes);
        Some(h.digest128().to_le_bytes().to_vec())
    }
}

/// A stored result: the bytes graph-core encoded, when they were stored and until when they
/// serve hits, both in milliseconds since the Unix epoch by the graph's clock.
///
/// ```
/// use graph_core::CacheEntry;
///
/// let entry = CacheEntry { value: b"{}".as_slice().into(), stored_at_ms: 1_000, expires_at_ms: Some(5_000) };
/// assert!(entry.is_fresh(4_999));
/// assert!(!entry.is_fresh(5_000));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The encoded output; opaque to a cache.
    pub value: Blob,
    /// When it was stored.
    pub stored_at_ms: u64,
    /// When it stops serving hits; `None` for never.
    pub expires_at_ms: Option<u64>,
}

impl CacheEntry {
    /// An entry stored at `now_ms` that lives for `ttl` (or for ever).
    pub fn new(value: Blob, now_ms: u64, ttl: Option<Duration>) -> Self {
        let ttl_ms = |ttl: Duration| u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        Self {
            value,
            stored_at_ms: now_ms,
            expires_at_ms: ttl.map(|ttl| now_ms.saturating_add(ttl_ms(ttl))),
        }
    }

    /// Whether it still serves hits at `now_ms` (see the example on [`CacheEntry`]).
    pub fn is_fresh(&self, now_ms: u64) -> bool {
        self.expires_at_ms.is_none_or(|expires| now_ms < expires)
    }
}

/// Where a compiled graph keeps its nodes' cached results ([`CachePolicy`]), by namespace and
/// key: LangGraph's `BaseCache`. Attach one with [`crate::CompiledGraph::with_cache`].
///
/// A namespace is one node's: its name, or for a node of a subgraph the subgraph nodes' names
/// and its own, joined by `|` (`pay|confirm`); node names cannot contain `|`, so namespaces of
/// different nodes never meet. Keys are opaque bytes.
///
/// Implementations MUST return from `get` the entry last `set` under the same namespace and key
/// (or none once `clear` removed it); they MAY return an expired entry, which the engine ignores,
/// and MAY drop entries at any time (a cache is not storage: a miss only costs a node call).
/// Calls MAY run concurrently. An `Err` means the call did not happen; the engine logs it and
/// runs the node as on a miss.
///
/// The example on [`InMemoryCache`] uses one directly.
// dyn-compatible: stored as Arc<dyn Cache> in a compiled graph.
#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// The entry under `key` in namespace `ns`, if any.
    async fn get(&self, ns: &str, key: &[u8]) -> Result<Option<CacheEntry>, StorageError>;

    /// Stores `entry` under `key` in namespace `ns`, replacing what was there. A backend may
    /// drop entries that expired by `entry.stored_at_ms` as it does.
    async fn set(&self, ns: &str, key: &[u8], entry: CacheEntry) -> Result<(), StorageError>;

    /// Removes every entry of the namespaces `namespaces`, or of all of them when `None`.
    async fn clear(&self, namespaces: Option<&[&str]>) -> Result<(), StorageError>;
}
