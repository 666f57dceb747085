//! The long-term store on Postgres (`PgStore`): graph-core's store conformance suite (fresh,
//! then on a second pool with the first run's items still in the schema), items seen from
//! another replica with their times and expiry, and a graph whose checkpoints and store share
//! one database.

use std::sync::Arc;
use std::time::Duration;

use checkpoint_pg::{PgCheckpointer, PgStore};
use graph_core::testing::{TestClock, store_conformance};
use graph_core::{
    Ctx, NamespaceQuery, NodeError, RunConfig, START, SearchQuery, State, StateGraph, Store,
};
use serde_json::json;

use crate::fresh_schema;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passes_the_store_conformance_suite() {
    let Some(config) = fresh_schema("store_conformance").await else {
        return;
    };
    let db = PgCheckpointer::connect(config.clone()).await.expect("open");
    store_conformance(|clock| Arc::new(db.store().with_clock(move || clock.now_ms()))).await;
    drop(db);

    // Again on a store opened on a pool of its own, with the first run's items still there.
    let db = PgCheckpointer::connect(config).await.expect("reopen");
    let store = PgStore::open(db.pool().clone())
        .await
        .expect("open a store");
    store_conformance(|clock| Arc::new(store.clone().with_clock(move || clock.now_ms()))).await;
}

fn on(clock: &TestClock, store: PgStore) -> PgStore {
    let clock = clock.clone();
    store.with_clock(move || clock.now_ms())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replicas_items_are_seen_by_another() {
    let Some(config) = fresh_schema("store_replicas").await else {
        return;
    };
    let clock = TestClock::new();
    let hour = Duration::from_secs(3600);
    let a = PgCheckpointer::connect(config.clone()).await.expect("a");
    let b = PgCheckpointer::connect(config).await.expect("b");
    let (a, b) = (on(&clock, a.store()), on(&clock, b.store()));
    a.put(&["guests", "ana"], "prefs", json!({"view": "sea"}), None)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(10));
    b.put(&["guests", "ana"], "prefs", json!({"view": "garden"}), None)
        .await
        .unwrap();
    a.put(&["guests", "ana"], "otp", json!({"code": 4711}), Some(hour))
        .await
        .unwrap();
    b.put(&["guests", "bob"], "prefs", json!({"view": "pool"}), None)
        .await
        .unwrap();

    let prefs = a.get(&["guests", "ana"], "prefs").await.unwrap();
    let prefs = prefs.expect("the item, written by the other replica");
    assert_eq!(prefs.value, json!({"view": "garden"}));
    assert_eq!(
        (prefs.created_at_ms, prefs.updated_at_ms),
        (TestClock::START_MS, TestClock::START_MS + 10_000)
    );
    let otp = b.get(&["guests", "ana"], "otp").await.unwrap();
    assert_eq!(
        otp.expect("a live item").expires_at_ms,
        Some(TestClock::START_MS + 10_000 + 3_600_000)
    );
    let guests = b
        .list_namespaces(&NamespaceQuery::default().prefix(["guests"]))
        .await
        .unwrap();
    assert_eq!(guests, [["guests", "ana"], ["guests", "bob"]]);

    clock.advance(hour);
    assert_eq!(b.get(&["guests", "ana"], "otp").await.unwrap(), None);
    let keys: Vec<String> = a
        .search(&["guests"], &SearchQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|item| item.key)
        .collect();
    assert_eq!(keys, ["prefs", "prefs"]);
    assert_eq!(b.sweep().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_search_reads_past_its_first_chunk() {
    let Some(config) = fresh_schema("store_chunks").await else {
        return;
    };
    let store = PgCheckpointer::connect(config).await.expect("open").store();
    // 600 items, every 100th a match: more than two chunks of rows to get 5 matches after 1.
    for n in 0..600u32 {
        let value = json!({"n": n, "hit": n % 100 == 99});
        store
            .put(&["big"], &format!("k{n:04}"), value, None)
            .await
            .unwrap();
    }
    let query = SearchQuery::default()
        .filter("hit", true)
        .offset(1)
        .limit(10);
    let found = store.search(&["big"], &query).await.unwrap();
    let keys: Vec<&str> = found.iter().map(|item| item.key.as_str()).collect();
    assert_eq!(keys, ["k0199", "k0299", "k0399", "k0499", "k0599"]);
}

#[derive(State, Clone, Default, Debug)]
struct Chat {
    guest: String,
    view: Option<String>,
    #[state(append)]
    log: Vec<String>,
}

/// START → `remember` (stores `view` for the guest) when the input sets one, else `recall`.
fn graph(db: PgCheckpointer) -> graph_core::CompiledGraph<Chat> {
    let mut g = StateGraph::<Chat>::new();
    g.add_node("remember", |s: Arc<Chat>, ctx: Ctx| async move {
        let store = ctx.store().ok_or_else(|| NodeError::msg("no store"))?;
        let view = s.view.clone().unwrap_or_default();
        let ns = ["guests", s.guest.as_str()];
        store
            .put(&ns, "prefs", json!({ "view": view }), None)
            .await?;
        Ok(ChatUpdate::default().log(vec![format!("remembered {view}")]))
    });
    g.add_node("recall", |s: Arc<Chat>, ctx: Ctx| async move {
        let store = ctx.store().ok_or_else(|| NodeError::msg("no store"))?;
        let found = store.get(&["guests", &s.guest], "prefs").await?;
        let view = found.map_or("nothing".to_owned(), |item| item.value["view"].to_string());
        Ok(ChatUpdate::default().log(vec![format!("recalled {view}")]))
    });
    g.add_conditional_edge(START, ["remember", "recall"], |s: &Chat| {
        if s.view.is_some() {
            "remember"
        } else {
            "recall"
        }
    });
    g.compile()
        .unwrap()
        .with_store(Arc::new(db.store()))
        .with_checkpointer(Arc::new(db))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_keeps_checkpoints_and_memories_in_one_database() {
    let Some(config) = fresh_schema("store_graph").await else {
        return;
    };
    let first = graph(PgCheckpointer::connect(config.clone()).await.expect("a"));
    let input = ChatUpdate::default().guest("ana").view(Some("sea".into()));
    first
        .invoke(input, &RunConfig::thread("thread-a"))
        .await
        .unwrap();
    // Another replica: the thread's state and the memory are both in the database.
    let second = graph(PgCheckpointer::connect(config).await.expect("b"));
    let state = second
        .get_state(&RunConfig::thread("thread-a"))
        .await
        .unwrap();
    assert_eq!(state.values.log, ["remembered sea"]);
    let out = second
        .invoke(
            ChatUpdate::default().guest("ana"),
            &RunConfig::thread("thread-b"),
        )
        .await
        .unwrap();
    assert_eq!(out.state.log, ["recalled \"sea\""]);
}
