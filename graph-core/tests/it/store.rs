//! The store: the conformance suite on `InMemoryStore`, and nodes sharing it through `Ctx` —
//! what a node writes on one thread, a node on another thread reads, and a subgraph's nodes see
//! their parent's store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use graph_core::testing::{STORE_CASES, TestClock, store_conformance};
use graph_core::{
    Ctx, InMemoryCheckpointer, InMemoryStore, Item, NamespaceQuery, NodeError, RunConfig, START,
    SearchQuery, StateGraph, StorageError, Store,
};
use serde_json::{Value, json};

use crate::{Log, LogUpdate, push};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_memory_store_conforms() {
    store_conformance(|clock| Arc::new(InMemoryStore::new().with_clock(move || clock.now_ms())))
        .await;
}

#[tokio::test]
async fn the_store_suite_shares_a_store_with_other_data_and_with_itself() {
    let clock = TestClock::new();
    let time = clock.clone();
    let store: Arc<dyn Store> = Arc::new(InMemoryStore::new().with_clock(move || time.now_ms()));
    store
        .put(&["bystander"], "k", json!({"kept": true}), None)
        .await
        .unwrap();
    for _ in 0..2 {
        for case in STORE_CASES {
            clock.set(TestClock::START_MS);
            case.run(Arc::clone(&store), clock.clone()).await;
        }
    }
    let kept = store.get(&["bystander"], "k").await.unwrap().unwrap();
    assert_eq!(kept.value, json!({"kept": true}));
}

#[test]
fn store_case_names_are_unique() {
    let mut names: Vec<_> = STORE_CASES.iter().map(|case| case.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), STORE_CASES.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flawed_store_fails_the_case_for_its_flaw() {
    for (flaw, case) in [
        (
            Flaw::SiblingPrefix,
            "search_covers_the_prefix_and_what_is_under_it",
        ),
        (Flaw::NoTtl, "an_item_disappears_when_its_ttl_ends"),
        (
            Flaw::NewCreatedAt,
            "an_overwrite_keeps_created_at_and_bumps_updated_at",
        ),
    ] {
        let clock = TestClock::new();
        let time = clock.clone();
        let store: Arc<dyn Store> = Arc::new(Flawed {
            inner: InMemoryStore::new().with_clock(move || time.now_ms()),
            flaw,
        });
        let found = STORE_CASES.iter().find(|c| c.name() == case).unwrap();
        let failure = tokio::spawn(async move { found.run(store, clock).await })
            .await
            .expect_err("the flaw went unnoticed")
            .into_panic();
        let message = failure.downcast_ref::<String>().unwrap();
        assert!(
            message.starts_with(&format!("store conformance case `{case}` failed: ")),
            "{flaw:?}: {message}"
        );
    }
}

/// A mistake a store could make.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flaw {
    /// Matches a prefix as text without a separator, so `["a", "b"]` also finds `["a", "bc"]`.
    SiblingPrefix,
    /// Keeps every item for ever.
    NoTtl,
    /// Treats an overwrite as a new item.
    NewCreatedAt,
}

/// The in-memory store with one flaw.
struct Flawed {
    inner: InMemoryStore,
    flaw: Flaw,
}

#[async_trait]
impl Store for Flawed {
    async fn put(
        &self,
        namespace: &[&str],
        key: &str,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<(), StorageError> {
        let ttl = if self.flaw == Flaw::NoTtl { None } else { ttl };
        if self.flaw == Flaw::NewCreatedAt {
            self.inner.delete(namespace, key).await?;
        }
        self.inner.put(namespace, key, value, ttl).await
    }

    async fn get(&self, namespace: &[&str], key: &str) -> Result<Option<Item>, StorageError> {
        self.inner.get(namespace, key).await
    }

    async fn delete(&self, namespace: &[&str], key: &str) -> Result<(), StorageError> {
        self.inner.delete(namespace, key).await
    }

    async fn search(
        &self,
        prefix: &[&str],
        query: &SearchQuery,
    ) -> Result<Vec<Item>, StorageError> {
        let Some((_, parent)) = prefix
            .split_last()
            .filter(|_| self.flaw == Flaw::SiblingPrefix)
        else {
            return self.inner.search(prefix, query).await;
        };
        let joined = prefix.join(".");
        let wide = query.clone().limit(usize::MAX).offset(0);
        let items = self.inner.search(parent, &wide).await?;
        Ok(items
            .into_iter()
            .filter(|item| item.namespace.join(".").starts_with(&joined))
            .skip(query.offset)
            .take(query.limit)
            .collect())
    }

    async fn list_namespaces(
        &self,
        query: &NamespaceQuery,
    ) -> Result<Vec<Vec<String>>, StorageError> {
        self.inner.list_namespaces(query).await
    }

    async fn sweep(&self) -> Result<usize, StorageError> {
        self.inner.sweep().await
    }
}

/// The namespace of what the graph remembers about a guest, `v` in the state.
fn guest_ns(s: &Log) -> [&str; 2] {
    ["guests", s.v.as_str()]
}

/// START → `remember` when the input sets `flag`, else START → `recall`: `remember` stores the
/// guest's (`v`) preference `w`; `recall` logs what it finds, or `unknown`.
fn memory_graph() -> StateGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    g.add_node("remember", |s: Arc<Log>, ctx: Ctx| async move {
        let store = ctx.store().ok_or_else(|| NodeError::msg("no store"))?;
        let pref = s.w.clone().unwrap_or_default();
        store
            .put(&guest_ns(&s), "prefs", json!({ "view": pref }), None)
            .await?;
        Ok(push(format!("remembered {pref}")))
    });
    g.add_node("recall", |s: Arc<Log>, ctx: Ctx| async move {
        let store = ctx.store().ok_or_else(|| NodeError::msg("no store"))?;
        let found = store.get(&guest_ns(&s), "prefs").await?;
        let view = found.map_or("unknown".to_owned(), |item| item.value["view"].to_string());
        Ok(push(format!("recalled {view} on {}", ctx.thread())))
    });
    g.add_conditional_edge(START, ["remember", "recall"], |s: &Log| {
        if s.flag { "remember" } else { "recall" }
    });
    g
}

#[tokio::test]
async fn a_node_on_one_thread_reads_what_a_node_on_another_wrote() {
    let store = Arc::new(InMemoryStore::new());
    let graph = memory_graph()
        .compile()
        .unwrap()
        .with_checkpointer(Arc::new(InMemoryCheckpointer::new()))
        .with_store(Arc::clone(&store) as Arc<dyn Store>);

    let before = graph
        .invoke(
            LogUpdate::default().v("ana"),
            &RunConfig::thread("thread-b0"),
        )
        .await
        .unwrap();
    assert_eq!(before.state.log, ["recalled unknown on thread-b0"]);

    let wrote = LogUpdate::default()
        .v("ana")
        .flag(true)
        .w(Some("sea".into()));
    let out = graph
        .invoke(wrote, &RunConfig::thread("thread-a"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["remembered sea"]);

    let read = graph
        .invoke(
            LogUpdate::default().v("ana"),
            &RunConfig::thread("thread-b"),
        )
        .await
        .unwrap();
    assert_eq!(read.state.log, ["recalled \"sea\" on thread-b"]);
    // Another guest's namespace is another memory.
    let other = graph
        .invoke(
            LogUpdate::default().v("bob"),
            &RunConfig::thread("thread-c"),
        )
        .await
        .unwrap();
    assert_eq!(other.state.log, ["recalled unknown on thread-c"]);

    // The graph wrote to the store it was given, where anyone holding it can read.
    let items = store
        .search(&["guests"], &SearchQuery::default())
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].namespace, ["guests", "ana"]);
}

#[tokio::test]
async fn a_subgraph_uses_its_parents_store() {
    let mut parent = StateGraph::<Log>::new();
    parent.add_subgraph("memory", memory_graph().compile().unwrap());
    parent.add_edge(START, "memory");
    let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
    let parent = parent.compile().unwrap().with_store(Arc::clone(&store));

    let wrote = LogUpdate::default()
        .v("ana")
        .flag(true)
        .w(Some("garden".into()));
    parent
        .invoke(wrote, &RunConfig::thread("t1"))
        .await
        .unwrap();
    let read = parent
        .invoke(LogUpdate::default().v("ana"), &RunConfig::thread("t2"))
        .await
        .unwrap();
    assert_eq!(read.state.log, ["recalled \"garden\" on t2"]);
    assert!(
        store
            .get(&["guests", "ana"], "prefs")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn without_a_store_a_node_sees_none() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("look", |_s: Arc<Log>, ctx: Ctx| async move {
        Ok(push(format!("store: {}", ctx.store().is_some())))
    });
    g.add_edge(START, "look");
    let graph = g.compile().unwrap();
    assert!(graph.store().is_none());
    let out = graph
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["store: false"]);
}
