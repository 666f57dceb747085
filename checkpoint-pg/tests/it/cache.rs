//! The node cache on Postgres (`PgCache`), the SQLite crate's cache tests on a schema of their
//! own: LangGraph's check (inputs v=1, v=1, v=2 make two calls), entries seen by another
//! replica, ttl by the graph's clock, command routing replayed, failures not cached, resumes
//! that never ask the cache for a finished task — and the trait's contract directly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use checkpoint_pg::{PgCache, PgCheckpointer};
use graph_core::{
    Cache, CacheEntry, CachePolicy, Command, CompiledGraph, Ctx, NodeError, Resume, RunConfig,
    RunStatus, START, State, StateGraph, StorageError,
};

use crate::fresh_schema;

/// A cache on `config`'s schema, through a checkpointer of its own (a replica).
async fn open(config: &tokio_postgres::Config) -> PgCache {
    let db = PgCheckpointer::connect(config.clone()).await.expect("open");
    db.cache()
}

#[derive(State, Clone, Default, Debug)]
struct Job {
    v: String,
    x: i64,
    #[state(append)]
    log: Vec<String>,
}

fn input(v: &str) -> JobUpdate {
    JobUpdate::default().v(v)
}

/// START → `work`, which counts its calls and logs them, cached by `policy`.
fn graph(policy: CachePolicy<Job>, calls: &Arc<AtomicU32>, cache: PgCache) -> CompiledGraph<Job> {
    let calls = Arc::clone(calls);
    let mut g = StateGraph::<Job>::new();
    g.add_node("work", move |s: Arc<Job>, _c: Ctx| {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok(JobUpdate::default().log(vec![format!("v={} call {n}", s.v)])) }
    })
    .cache(policy);
    g.add_edge(START, "work");
    g.compile().unwrap().with_cache(Arc::new(cache))
}

async fn run(graph: &CompiledGraph<Job>, thread: &str, v: &str) -> Vec<String> {
    let out = graph.invoke(input(v), &RunConfig::thread(thread)).await;
    out.unwrap().state.log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_input_calls_the_node_once_even_on_another_replica() {
    let Some(config) = fresh_schema("cache_reopen").await else {
        return;
    };
    let calls = Arc::new(AtomicU32::new(0));
    {
        let graph = graph(CachePolicy::new(), &calls, open(&config).await);
        assert_eq!(run(&graph, "t1", "1").await, ["v=1 call 1"]);
        assert_eq!(run(&graph, "t2", "1").await, ["v=1 call 1"]);
        assert_eq!(run(&graph, "t3", "2").await, ["v=2 call 2"]);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Another replica: the entries are in the database.
    let graph = graph(CachePolicy::new(), &calls, open(&config).await);
    assert_eq!(run(&graph, "t4", "2").await, ["v=2 call 2"]);
    assert_eq!(run(&graph, "t5", "1").await, ["v=1 call 1"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    graph.clear_cache(None).await.unwrap();
    assert_eq!(run(&graph, "t6", "1").await, ["v=1 call 3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_expires_by_the_graphs_clock() {
    let Some(config) = fresh_schema("cache_ttl").await else {
        return;
    };
    let calls = Arc::new(AtomicU32::new(0));
    let now = Arc::new(AtomicU64::new(5_000_000));
    let clock = Arc::clone(&now);
    let policy = CachePolicy::new()
        .key(|s: &Job| s.v.clone())
        .ttl(Duration::from_secs(60));
    let graph =
        graph(policy, &calls, open(&config).await).with_clock(move || clock.load(Ordering::SeqCst));
    run(&graph, "t1", "1").await;
    now.fetch_add(59_999, Ordering::SeqCst);
    run(&graph, "t2", "1").await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    now.fetch_add(1, Ordering::SeqCst);
    assert_eq!(run(&graph, "t3", "1").await, ["v=1 call 2"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hit_routes_where_the_nodes_command_went_and_failures_are_not_cached() {
    let Some(config) = fresh_schema("cache_route").await else {
        return;
    };
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let mut g = StateGraph::<Job>::new();
    g.add_node("pick", move |s: Arc<Job>, _c: Ctx| {
        let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            if s.v == "bad" && n == 1 {
                return Err(NodeError::msg("down"));
            }
            let to = if s.x == 0 { "left" } else { "right" };
            Ok(Command::update(JobUpdate::default()).and_goto(to))
        }
    })
    .destinations(["left", "right"])
    .cache(CachePolicy::new().key(|s: &Job| s.v.clone()));
    for name in ["left", "right"] {
        g.add_node(name, move |_s: Arc<Job>, _c: Ctx| async move {
            Ok(JobUpdate::default().log(vec![name.to_owned()]))
        });
    }
    g.add_edge(START, "pick");
    let graph = g
        .compile()
        .unwrap()
        .with_cache(Arc::new(open(&config).await));
    let invoke = |v: &'static str, x: i64, thread: &'static str| {
        let graph = graph.clone();
        async move {
            let out = graph
                .invoke(input(v).x(x), &RunConfig::thread(thread))
                .await;
            out.map(|out| out.state.log)
        }
    };
    invoke("bad", 0, "t1").await.unwrap_err();
    assert_eq!(invoke("bad", 1, "t2").await.unwrap(), ["right"]);
    assert_eq!(invoke("bad", 0, "t3").await.unwrap(), ["right"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A [`PgCache`] that counts its reads.
struct Counting(PgCache, AtomicUsize);

#[async_trait]
impl Cache for Counting {
    async fn get(&self, ns: &str, key: &[u8]) -> Result<Option<CacheEntry>, StorageError> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.get(ns, key).await
    }
    async fn set(&self, ns: &str, key: &[u8], entry: CacheEntry) -> Result<(), StorageError> {
        self.0.set(ns, key, entry).await
    }
    async fn clear(&self, namespaces: Option<&[&str]>) -> Result<(), StorageError> {
        self.0.clear(namespaces).await
    }
}

async fn interrupting_graph(
    config: &tokio_postgres::Config,
    cache: Arc<Counting>,
    calls: &Arc<AtomicU32>,
) -> CompiledGraph<Job> {
    let calls = Arc::clone(calls);
    let mut g = StateGraph::<Job>::new();
    g.add_node("lookup", move |_s: Arc<Job>, _c: Ctx| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Ok(JobUpdate::default().log(vec!["looked up".into()])) }
    })
    .cache(CachePolicy::new());
    g.add_node("confirm", |_s: Arc<Job>, c: Ctx| async move {
        let ok: bool = c.interrupt("ok?")?;
        Ok(JobUpdate::default().log(vec![format!("confirmed {ok}")]))
    });
    g.add_edge(START, "lookup").add_edge(START, "confirm");
    let store = PgCheckpointer::connect(config.clone()).await.expect("open");
    g.compile()
        .unwrap()
        .with_checkpointer(Arc::new(store))
        .with_cache(cache)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_in_a_new_process_takes_the_saved_output_without_asking_the_cache() {
    let Some(config) = fresh_schema("cache_resume").await else {
        return;
    };
    let calls = Arc::new(AtomicU32::new(0));
    let cfg = RunConfig::thread("t");
    {
        let cache = Arc::new(Counting(open(&config).await, AtomicUsize::new(0)));
        let graph = interrupting_graph(&config, Arc::clone(&cache), &calls).await;
        let out = graph.invoke(input("1"), &cfg).await.unwrap();
        assert!(matches!(out.status, RunStatus::Interrupted(_)));
        assert_eq!(cache.1.load(Ordering::SeqCst), 1);
    }
    let cache = Arc::new(Counting(open(&config).await, AtomicUsize::new(0)));
    let graph = interrupting_graph(&config, Arc::clone(&cache), &calls).await;
    let out = graph.resume(&cfg, Resume::value(true)).await.unwrap();
    assert_eq!(out.state.log, ["confirmed true", "looked up"]);
    assert_eq!(
        cache.1.load(Ordering::SeqCst),
        0,
        "the resume read no entry"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_are_per_namespace_replaced_by_a_set_and_swept_once_expired() {
    let Some(config) = fresh_schema("cache_contract").await else {
        return;
    };
    let cache = open(&config).await;
    let entry = |value: &[u8], at: u64, ttl: Option<u64>| {
        CacheEntry::new(value.into(), at, ttl.map(Duration::from_millis))
    };
    cache
        .set("a", b"k", entry(b"1", 1_000, Some(10)))
        .await
        .unwrap();
    cache
        .set("b", b"k", entry(b"2", 1_000, None))
        .await
        .unwrap();
    assert_eq!(
        cache.get("a", b"k").await.unwrap(),
        Some(entry(b"1", 1_000, Some(10)))
    );
    assert_eq!(
        cache.get("b", b"k").await.unwrap(),
        Some(entry(b"2", 1_000, None))
    );
    assert_eq!(cache.get("a", b"other").await.unwrap(), None);
    cache
        .set("b", b"k", entry(b"3", 1_005, None))
        .await
        .unwrap();
    assert_eq!(
        cache.get("b", b"k").await.unwrap(),
        Some(entry(b"3", 1_005, None))
    );
    // A write at 1_010 sweeps what expired by then.
    cache
        .set("c", b"k", entry(b"4", 1_010, None))
        .await
        .unwrap();
    assert_eq!(cache.get("a", b"k").await.unwrap(), None);
    cache.clear(Some(&["b"])).await.unwrap();
    assert_eq!(cache.get("b", b"k").await.unwrap(), None);
    assert!(cache.get("c", b"k").await.unwrap().is_some());
    cache.clear(None).await.unwrap();
    assert_eq!(cache.get("c", b"k").await.unwrap(), None);
}
