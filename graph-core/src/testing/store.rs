//! The store conformance suite: every behaviour of the [`Store`] contract, as cases any
//! implementation can run, and the [`TestClock`] they drive expiry with.
//!
//! A backend's tests call [`store_conformance`] with a function that makes a store reading the
//! given clock (or run the [`STORE_CASES`] one by one) inside a tokio runtime. Each case gets a
//! fresh clock, and works under a root label of its own (`conformance-<case>-<random>`), so the
//! store may hold other data, including what an earlier run of the suite left in a file. Cases
//! assume they run one at a time: a case's sweep may purge another's expired items.
//!
//! ```
//! use std::sync::Arc;
//! use graph_core::InMemoryStore;
//! use graph_core::testing::store_conformance;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! store_conformance(|clock| Arc::new(InMemoryStore::new().with_clock(move || clock.now_ms()))).await;
//! # }
//! ```

mod expiry;
mod items;
mod namespaces;
mod search;

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use serde_json::Value;

use crate::store::{Item, NamespaceQuery, SearchQuery, Store};

/// Runs every case, each against a store `make` builds on a fresh [`TestClock`], panicking with
/// the case name and what differed on the first failure. Must be awaited inside a tokio runtime.
pub async fn store_conformance(make: impl Fn(TestClock) -> Arc<dyn Store>) {
    for case in STORE_CASES {
        let clock = TestClock::new();
        case.run(make(clock.clone()), clock).await;
    }
}

/// A clock the cases move by hand: milliseconds since the Unix epoch, starting at
/// [`TestClock::START_MS`]. Clones share the time.
///
/// ```
/// use std::time::Duration;
/// use graph_core::testing::TestClock;
///
/// let clock = TestClock::new();
/// let seen = clock.clone();
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(seen.now_ms(), TestClock::START_MS + 2_000);
/// ```
#[derive(Debug, Clone)]
pub struct TestClock(Arc<AtomicU64>);

impl Default for TestClock {
    fn default() -> Self {
        Self::new()
    }
}

impl TestClock {
    /// Where a new clock starts: 2023-11-14, a time no real store data is stamped after.
    pub const START_MS: u64 = 1_700_000_000_000;

    /// A clock at [`TestClock::START_MS`].
    pub fn new() -> Self {
        Self(Arc::new(AtomicU64::new(Self::START_MS)))
    }

    /// The time now.
    pub fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.0.fetch_add(by, Ordering::SeqCst);
    }

    /// Sets the time, forward or back.
    pub fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

type CaseFn = fn(Harness) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// One store conformance case.
#[derive(Clone, Copy)]
pub struct StoreCase {
    name: &'static str,
    body: CaseFn,
}

impl StoreCase {
    /// The case's name, e.g. `put_then_get`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the case against `store`, which must read its time from `clock`, panicking with the
    /// case's name and what differed if the store does not conform. Must be awaited inside a
    /// tokio runtime.
    pub async fn run(&self, store: Arc<dyn Store>, clock: TestClock) {
        let body = (self.body)(Harness::new(store, clock, self.name));
        // Caught and raised again so the failure names the case, whoever runs it.
        if let Err(panic) = AssertUnwindSafe(body).catch_unwind().await {
            panic!(
                "store conformance case `{}` failed: {}",
                self.name,
                super::panic_message(panic.as_ref())
            );
        }
    }
}

impl fmt::Debug for StoreCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreCase")
            .field("name", &self.name)
            .finish()
    }
}

macro_rules! store_cases {
    ($($module:ident::$case:ident),* $(,)?) => {
        &[$(StoreCase {
            name: stringify!($case),
            body: |harness| Box::pin($module::$case(harness)),
        }),*]
    };
}

/// Every store case, in the order [`store_conformance`] runs them.
pub const STORE_CASES: &[StoreCase] = store_cases![
    items::put_then_get,
    items::get_missing_is_none,
    items::an_overwrite_keeps_created_at_and_bumps_updated_at,
    items::a_key_in_another_namespace_is_another_item,
    items::delete_removes_only_that_item,
    items::values_and_labels_round_trip,
    items::invalid_namespaces_are_refused,
    items::values_that_are_not_objects_are_refused,
    items::puts_in_parallel_all_land,
    search::search_covers_the_prefix_and_what_is_under_it,
    search::search_is_in_namespace_then_key_order,
    search::search_filters_on_top_level_fields,
    search::search_pages_with_limit_and_offset,
    search::the_filter_applies_before_the_page,
    namespaces::list_namespaces_in_order_without_duplicates,
    namespaces::list_namespaces_by_prefix_and_suffix,
    namespaces::list_namespaces_cut_to_max_depth,
    namespaces::list_namespaces_pages,
    namespaces::a_namespace_without_items_is_not_listed,
    expiry::an_item_disappears_when_its_ttl_ends,
    expiry::a_put_over_an_expired_item_creates_it_anew,
    expiry::an_overwrite_sets_the_expiry_anew,
    expiry::sweep_purges_expired_items,
];

/// The store under test, its clock, and the root label the case works under.
#[derive(Clone)]
pub(super) struct Harness {
    store: Arc<dyn Store>,
    clock: TestClock,
    root: String,
}

impl Harness {
    fn new(store: Arc<dyn Store>, clock: TestClock, case: &'static str) -> Self {
        // The random part matters for durable stores: the suite may run again against a file
        // that holds its items from an earlier run.
        let root = format!("conformance-{case}-{:016x}", fastrand::u64(..));
        Self { store, clock, root }
    }

    /// The raw store, for calls whose result a case checks itself (errors it expects).
    pub(super) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(super) fn clock(&self) -> &TestClock {
        &self.clock
    }

    /// The case's root label.
    pub(super) fn root(&self) -> &str {
        &self.root
    }

    /// `labels` under the case's root, as the store takes a namespace.
    pub(super) fn ns<'a>(&'a self, labels: &[&'a str]) -> Vec<&'a str> {
        let mut namespace = vec![self.root.as_str()];
        namespace.extend_from_slice(labels);
        namespace
    }

    /// `labels` under the case's root, as an item carries its namespace.
    pub(super) fn path(&self, labels: &[&str]) -> Vec<String> {
        self.ns(labels).into_iter().map(str::to_owned).collect()
    }

    /// Labels relative to the case's root; panics on a namespace outside it.
    pub(super) fn relative(&self, namespace: &[String]) -> Vec<String> {
        match namespace.split_first() {
            Some((root, rest)) if *root == self.root => rest.to_vec(),
            _ => panic!("{namespace:?} is outside the case's root `{}`", self.root),
        }
    }

    pub(super) async fn put(&self, labels: &[&str], key: &str, value: Value) {
        self.put_ttl(labels, key, value, None).await;
    }

    pub(super) async fn put_ttl(
        &self,
        labels: &[&str],
        key: &str,
        value: Value,
        ttl: Option<Duration>,
    ) {
        if let Err(e) = self.store.put(&self.ns(labels), key, value, ttl).await {
            panic!("put of `{key}` in {labels:?} (ttl {ttl:?}) failed: {e}");
        }
    }

    pub(super) async fn get(&self, labels: &[&str], key: &str) -> Option<Item> {
        match self.store.get(&self.ns(labels), key).await {
            Ok(found) => found,
            Err(e) => panic!("get of `{key}` in {labels:?} failed: {e}"),
        }
    }

    pub(super) async fn delete(&self, labels: &[&str], key: &str) {
        if let Err(e) = self.store.delete(&self.ns(labels), key).await {
            panic!("delete of `{key}` in {labels:?} failed: {e}");
        }
    }

    pub(super) async fn search(&self, labels: &[&str], query: &SearchQuery) -> Vec<Item> {
        match self.store.search(&self.ns(labels), query).await {
            Ok(found) => found,
            Err(e) => panic!("search under {labels:?} with {query:?} failed: {e}"),
        }
    }

    /// What `search` returns as (namespace relative to the root joined by `/`, key) pairs.
    pub(super) async fn found(&self, labels: &[&str], query: &SearchQuery) -> Vec<String> {
        self.search(labels, query)
            .await
            .iter()
            .map(|item| format!("{}:{}", self.relative(&item.namespace).join("/"), item.key))
            .collect()
    }

    /// `list_namespaces` of a query relative to the case's root: its prefix is put under the
    /// root, its `max_depth` counts from below it, and the namespaces come back relative to it
    /// (joined by `/`).
    pub(super) async fn namespaces(&self, query: NamespaceQuery) -> Vec<String> {
        let mut absolute = query.clone();
        absolute.prefix.insert(0, self.root.clone());
        absolute.max_depth = query.max_depth.map(|depth| depth + 1);
        match self.store.list_namespaces(&absolute).await {
            Ok(found) => found
                .iter()
                .map(|namespace| self.relative(namespace).join("/"))
                .collect(),
            Err(e) => panic!("list_namespaces with {absolute:?} failed: {e}"),
        }
    }
}
