//! The node cache (`CachePolicy`, `CompiledGraph::with_cache`): LangGraph's check (inputs v=1,
//! v=1, v=2 make two calls), ttl by the graph's clock, key functions, what a hit replays, what is
//! never cached, the stream's flag, and resumes that never ask the cache for a finished task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use graph_core::{
    Cache, CacheEntry, CachePolicy, Command, CompiledGraph, Ctx, EventKind, InMemoryCache,
    NodeDefaults, NodeError, Push, Resume, RunConfig, RunStatus, START, StateGraph, StorageError,
    TaskEnd,
};

use crate::{Calls, Log, LogUpdate, memory, push};

/// An in-memory cache that counts its reads and writes.
#[derive(Default)]
struct CountingCache {
    inner: InMemoryCache,
    gets: AtomicUsize,
    sets: AtomicUsize,
}

#[async_trait]
impl Cache for CountingCache {
    async fn get(&self, ns: &str, key: &[u8]) -> Result<Option<CacheEntry>, StorageError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(ns, key).await
    }
    async fn set(&self, ns: &str, key: &[u8], entry: CacheEntry) -> Result<(), StorageError> {
        self.sets.fetch_add(1, Ordering::SeqCst);
        self.inner.set(ns, key, entry).await
    }
    async fn clear(&self, namespaces: Option<&[&str]>) -> Result<(), StorageError> {
        self.inner.clear(namespaces).await
    }
}

/// START → `echo`, which counts its calls and logs `v`, cached by `policy` in `cache`.
fn echo_graph(
    policy: CachePolicy<Log>,
    calls: &Calls,
    cache: Arc<dyn Cache>,
) -> CompiledGraph<Log> {
    let calls = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("echo", move |s: Arc<Log>, _c: Ctx| {
        let n = calls.hit();
        async move { Ok(push(format!("v={} call {n}", s.v))) }
    })
    .cache(policy);
    g.add_edge(START, "echo");
    g.compile().unwrap().with_cache(cache)
}

fn v(value: &str) -> LogUpdate {
    LogUpdate::default().v(value)
}

#[tokio::test]
async fn the_same_input_twice_calls_the_node_once() {
    let calls = Calls::default();
    let graph = echo_graph(CachePolicy::new(), &calls, Arc::new(InMemoryCache::new()));
    let cfg = RunConfig::thread("t");
    let mut logs = Vec::new();
    for input in ["1", "1", "2"] {
        let out = graph.invoke(v(input), &cfg).await.unwrap();
        logs.push(out.state.log.concat());
    }
    assert_eq!(calls.get(), 2);
    assert_eq!(logs, ["v=1 call 1", "v=1 call 1", "v=2 call 2"]);
}

#[tokio::test]
async fn an_entry_serves_hits_until_its_ttl_passes_on_the_graphs_clock() {
    let calls = Calls::default();
    let now = Arc::new(AtomicU64::new(1_000_000));
    let clock = Arc::clone(&now);
    let graph = echo_graph(
        CachePolicy::new().ttl(Duration::from_secs(10)),
        &calls,
        Arc::new(InMemoryCache::new()),
    )
    .with_clock(move || clock.load(Ordering::SeqCst));
    let cfg = RunConfig::thread("t");
    graph.invoke(v("1"), &cfg).await.unwrap();
    now.fetch_add(9_999, Ordering::SeqCst);
    graph.invoke(v("1"), &cfg).await.unwrap();
    assert_eq!(calls.get(), 1, "a hit 9.999 s later");
    now.fetch_add(1, Ordering::SeqCst);
    let out = graph.invoke(v("1"), &cfg).await.unwrap();
    assert_eq!(calls.get(), 2, "expired 10 s later");
    assert_eq!(out.state.log, ["v=1 call 2"]);
    // The fresh entry serves hits again.
    graph.invoke(v("1"), &cfg).await.unwrap();
    assert_eq!(calls.get(), 2);
}

#[tokio::test]
async fn a_key_function_decides_which_inputs_share_an_entry() {
    let calls = Calls::default();
    // Keyed by `v` only: `x` does not matter.
    let graph = echo_graph(
        CachePolicy::new().key(|s: &Log| s.v.clone()),
        &calls,
        Arc::new(InMemoryCache::new()),
    );
    let cfg = RunConfig::thread("t");
    graph.invoke(v("1").x(1), &cfg).await.unwrap();
    let out = graph.invoke(v("1").x(2), &cfg).await.unwrap();
    assert_eq!(calls.get(), 1);
    assert_eq!(out.state.log, ["v=1 call 1"]);
    assert_eq!(out.state.x, 2);
    graph.invoke(v("2").x(2), &cfg).await.unwrap();
    assert_eq!(calls.get(), 2);
}

#[tokio::test]
async fn two_nodes_with_the_same_input_never_share_an_entry() {
    let calls = Calls::default();
    let mut g = StateGraph::<Log>::new();
    for name in ["a", "b"] {
        let calls = calls.clone();
        g.add_node(name, move |_s: Arc<Log>, _c: Ctx| {
            calls.hit();
            async move { Ok(push(name)) }
        })
        .cache(CachePolicy::new().key(|_: &Log| "same"));
        g.add_edge(START, name);
    }
    let graph = g
        .compile()
        .unwrap()
        .with_cache(Arc::new(InMemoryCache::new()));
    let out = graph
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["a", "b"]);
    assert_eq!(calls.get(), 2);
}

/// START → `pick`, which goes to `left` or `right` by a command (from `x`), cached by `v` only;
/// `pick` also has a conditional edge to `audit` when `flag` is set.
fn routing_graph(calls: &Calls) -> CompiledGraph<Log> {
    let calls = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("pick", move |s: Arc<Log>, _c: Ctx| {
        calls.hit();
        let to = if s.x == 0 { "left" } else { "right" };
        async move { Ok(Command::update(push(format!("pick {to}"))).and_goto(to)) }
    })
    .destinations(["left", "right"])
    .cache(CachePolicy::new().key(|s: &Log| s.v.clone()));
    for name in ["left", "right", "audit"] {
        g.add_node(name, crate::append(name));
    }
    g.add_conditional_edge("pick", ["audit".into(), graph_core::END], |s: &Log| {
        if s.flag {
            "audit".into()
        } else {
            graph_core::END
        }
    });
    g.add_edge(START, "pick");
    g.compile()
        .unwrap()
        .with_cache(Arc::new(InMemoryCache::new()))
}

#[tokio::test]
async fn a_hit_replays_the_commands_routing_and_takes_the_edges_on_the_current_state() {
    let calls = Calls::default();
    let graph = routing_graph(&calls);
    let first = graph
        .invoke(v("1").x(0), &RunConfig::thread("t1"))
        .await
        .unwrap();
    assert_eq!(first.state.log, ["pick left", "left"]);
    // The node would now go right, but its cached command goes left; the conditional edge is
    // the graph's, and sees this run's `flag`.
    let second = graph
        .invoke(v("1").x(1).flag(true), &RunConfig::thread("t2"))
        .await
        .unwrap();
    assert_eq!(calls.get(), 1);
    assert_eq!(second.state.log, ["pick left", "audit", "left"]);
    assert_eq!(second.executed, ["pick", "audit", "left"]);
}

#[tokio::test]
async fn a_failed_call_is_not_cached() {
    let calls = Calls::default();
    let counted = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("flaky", move |_s: Arc<Log>, _c: Ctx| {
        let n = counted.hit();
        async move {
            if n == 1 {
                return Err(NodeError::msg("down"));
            }
            Ok(push(format!("call {n}")))
        }
    })
    .cache(CachePolicy::new());
    g.add_edge(START, "flaky");
    let cache = Arc::new(CountingCache::default());
    let graph = g
        .compile()
        .unwrap()
        .with_cache(Arc::clone(&cache) as Arc<dyn Cache>);
    let cfg = RunConfig::thread("t");
    graph.invoke(v("1"), &cfg).await.unwrap_err();
    assert_eq!(cache.sets.load(Ordering::SeqCst), 0);
    let out = graph.invoke(v("1"), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["call 2"]);
    let out = graph.invoke(v("1"), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["call 2"]);
    assert_eq!(calls.get(), 2);
}

#[tokio::test]
async fn interrupts_and_effects_keep_a_nodes_output_out_of_the_cache() {
    let (asks, effects) = (Calls::default(), Calls::default());
    let mut g = StateGraph::<Log>::new();
    let counted = asks.clone();
    g.add_node("ask", move |_s: Arc<Log>, c: Ctx| {
        counted.hit();
        async move {
            let answer: String = c.interrupt("name?")?;
            Ok(push(answer))
        }
    })
    .cache(CachePolicy::new());
    let counted = effects.clone();
    g.add_node("send", move |_s: Arc<Log>, c: Ctx| {
        let counted = counted.clone();
        async move {
            c.effect("mail", |_key| async move {
                counted.hit();
                Ok::<_, NodeError>(())
            })
            .await?;
            Ok(push("sent"))
        }
    })
    .cache(CachePolicy::new());
    g.add_edge(START, "ask").add_edge("ask", "send");
    let cache = Arc::new(CountingCache::default());
    let graph = g
        .compile()
        .unwrap()
        .with_checkpointer(memory())
        .with_cache(Arc::clone(&cache) as Arc<dyn Cache>);
    for thread in ["t1", "t2"] {
        let cfg = RunConfig::thread(thread);
        let out = graph.invoke(v("1"), &cfg).await.unwrap();
        assert!(matches!(out.status, RunStatus::Interrupted(_)), "{thread}");
        let out = graph.resume(&cfg, Resume::value("ana")).await.unwrap();
        assert_eq!(out.state.log, ["ana", "sent"]);
    }
    assert_eq!(cache.sets.load(Ordering::SeqCst), 0);
    assert_eq!(effects.get(), 2, "each task's effect ran once");
    assert_eq!(asks.get(), 4);
}

#[tokio::test]
async fn a_cached_tasks_update_and_end_are_marked_in_the_stream() {
    let calls = Calls::default();
    let graph = echo_graph(CachePolicy::new(), &calls, Arc::new(InMemoryCache::new()));
    let mut marks = Vec::new();
    for thread in ["t1", "t2"] {
        let mut stream = graph.stream(
            v("1"),
            &RunConfig::thread(thread),
            graph_core::StreamModes::ALL,
        );
        let mut seen = Vec::new();
        while let Some(event) = stream.next().await {
            let kind = match &event.kind {
                EventKind::TaskStart { .. } => "start",
                EventKind::TaskEnd {
                    end: TaskEnd::Finished,
                    ..
                } => "end",
                EventKind::Update(_) => "update",
                _ => {
                    assert!(!event.cached, "{:?}", event.kind);
                    continue;
                }
            };
            seen.push(format!("{kind} cached={}", event.cached));
        }
        stream.finish().await.unwrap();
        marks.push(seen);
    }
    assert_eq!(calls.get(), 1);
    assert_eq!(
        marks,
        [
            [
                "start cached=false",
                "update cached=false",
                "end cached=false"
            ],
            [
                "start cached=false",
                "update cached=true",
                "end cached=true"
            ],
        ]
    );
}

#[tokio::test]
async fn a_resume_takes_a_finished_tasks_saved_output_without_asking_the_cache() {
    let calls = Calls::default();
    let counted = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("lookup", move |_s: Arc<Log>, _c: Ctx| {
        counted.hit();
        async { Ok(push("looked up")) }
    })
    .cache(CachePolicy::new());
    g.add_node("confirm", |_s: Arc<Log>, c: Ctx| async move {
        let ok: bool = c.interrupt("ok?")?;
        Ok(push(format!("confirmed {ok}")))
    });
    g.add_edge(START, "lookup").add_edge(START, "confirm");
    let cache = Arc::new(CountingCache::default());
    let graph = g
        .compile()
        .unwrap()
        .with_checkpointer(memory())
        .with_cache(Arc::clone(&cache) as Arc<dyn Cache>);
    let cfg = RunConfig::thread("t");
    let out = graph.invoke(v("1"), &cfg).await.unwrap();
    assert!(matches!(out.status, RunStatus::Interrupted(_)));
    assert_eq!(cache.gets.load(Ordering::SeqCst), 1);
    assert_eq!(cache.sets.load(Ordering::SeqCst), 1);
    let out = graph.resume(&cfg, Resume::value(true)).await.unwrap();
    assert_eq!(out.state.log, ["confirmed true", "looked up"]);
    assert_eq!(out.executed, ["confirm"]);
    assert_eq!(
        cache.gets.load(Ordering::SeqCst),
        1,
        "the resume read no entry"
    );
    assert_eq!(calls.get(), 1);
}

#[tokio::test]
async fn push_nodes_are_keyed_by_their_argument_and_defaults_cache_every_node() {
    let calls = Calls::default();
    let counted = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.node_defaults(NodeDefaults::new().cache(CachePolicy::new().key(|s: &Log| s.v.clone())));
    g.add_node("fan", |_s: Arc<Log>, _c: Ctx| async {
        Ok(Command::<Log>::goto(vec![
            Push::new("work", &1),
            Push::new("work", &2),
        ]))
    })
    .destinations(["work"]);
    g.add_push_node("work", move |n: u32, _c: Ctx| {
        counted.hit();
        async move { Ok(LogUpdate::default().n(n)) }
    });
    g.add_edge(START, "fan");
    let graph = g
        .compile()
        .unwrap()
        .with_cache(Arc::new(InMemoryCache::new()));
    let out = graph
        .invoke(v("1"), &RunConfig::thread("t1"))
        .await
        .unwrap();
    assert_eq!(out.state.n, 3);
    assert_eq!(calls.get(), 2);
    // `fan` (by the defaults' key) and both pushes (by their arguments) are hits.
    let out = graph
        .invoke(v("1"), &RunConfig::thread("t2"))
        .await
        .unwrap();
    assert_eq!(out.state.n, 3);
    assert_eq!(calls.get(), 2);
    graph.clear_cache(Some(&["work"])).await.unwrap();
    graph
        .invoke(v("1"), &RunConfig::thread("t3"))
        .await
        .unwrap();
    assert_eq!(calls.get(), 4);
}

#[tokio::test]
async fn a_subgraphs_node_has_a_namespace_of_its_own_in_its_parents_cache() {
    let calls = Calls::default();
    let node = |calls: &Calls, name: &'static str| {
        let calls = calls.clone();
        move |_s: Arc<Log>, _c: Ctx| {
            calls.hit();
            async move { Ok(push(name)) }
        }
    };
    let mut child = StateGraph::<Log>::new();
    child
        .add_node("work", node(&calls, "inner"))
        .cache(CachePolicy::new().key(|_: &Log| "same"));
    child.add_edge(START, "work");
    let mut parent = StateGraph::<Log>::new();
    parent
        .add_node("work", node(&calls, "outer"))
        .cache(CachePolicy::new().key(|_: &Log| "same"));
    parent.add_subgraph("sub", child.compile().unwrap());
    parent.add_edge(START, "work").add_edge("work", "sub");
    let cache = Arc::new(CountingCache::default());
    let graph = parent
        .compile()
        .unwrap()
        .with_checkpointer(memory())
        .with_cache(Arc::clone(&cache) as Arc<dyn Cache>);
    for thread in ["t1", "t2"] {
        let out = graph
            .invoke(LogUpdate::default(), &RunConfig::thread(thread))
            .await
            .unwrap();
        assert_eq!(out.state.log, ["outer", "inner"], "{thread}");
    }
    assert_eq!(calls.get(), 2, "each node ran once, then hit its own entry");
    assert_eq!(cache.sets.load(Ordering::SeqCst), 2);
    graph.clear_cache(Some(&["sub|work"])).await.unwrap();
    graph
        .invoke(LogUpdate::default(), &RunConfig::thread("t3"))
        .await
        .unwrap();
    assert_eq!(calls.get(), 3, "only the subgraph's node lost its entry");
}
