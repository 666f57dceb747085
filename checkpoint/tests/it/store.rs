//! The long-term store on SQLite (`SqliteStore`): graph-core's store conformance suite on a real
//! file (fresh, then reopened with the first run's items in it), items that outlive the
//! process's handle with their times and expiry, and a graph whose checkpoints and store share
//! one file and one writer.

use std::sync::Arc;
use std::time::Duration;

use checkpoint::{SqliteCheckpointer, SqliteStore, Synchronous};
use graph_core::testing::{TestClock, store_conformance};
use graph_core::{
    Ctx, NamespaceQuery, NodeError, RunConfig, START, SearchQuery, State, StateGraph, Store,
};
use serde_json::json;

use crate::temp_db;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_store_conformance_suite() {
    let path = temp_db("store-conformance");
    let db = SqliteCheckpointer::open(&path).expect("open");
    store_conformance(|clock| Arc::new(db.store().with_clock(move || clock.now_ms()))).await;
    drop(db);

    // Again after a reopen, with the first run's items still in the file, one write per
    // transaction.
    let db = SqliteCheckpointer::options()
        .synchronous(Synchronous::Normal)
        .max_batch(1)
        .open(&path)
        .expect("reopen");
    store_conformance(|clock| Arc::new(db.store().with_clock(move || clock.now_ms()))).await;
}

fn on(clock: &TestClock, store: SqliteStore) -> SqliteStore {
    let clock = clock.clone();
    store.with_clock(move || clock.now_ms())
}

#[tokio::test]
async fn items_outlive_the_handle_that_wrote_them() {
    let path = temp_db("store-reopen");
    let clock = TestClock::new();
    let hour = Duration::from_secs(3600);
    {
        let store = on(&clock, SqliteStore::open(&path).expect("open"));
        store
            .put(&["guests", "ana"], "prefs", json!({"view": "sea"}), None)
            .await
            .unwrap();
        clock.advance(Duration::from_secs(10));
        store
            .put(&["guests", "ana"], "prefs", json!({"view": "garden"}), None)
            .await
            .unwrap();
        store
            .put(&["guests", "ana"], "otp", json!({"code": 4711}), Some(hour))
            .await
            .unwrap();
        store
            .put(&["guests", "bob"], "prefs", json!({"view": "pool"}), None)
            .await
            .unwrap();
    }

    let store = on(&clock, SqliteStore::open(&path).expect("reopen"));
    let prefs = store.get(&["guests", "ana"], "prefs").await.unwrap();
    let prefs = prefs.expect("the item, after a reopen");
    assert_eq!(prefs.value, json!({"view": "garden"}));
    assert_eq!(
        (prefs.created_at_ms, prefs.updated_at_ms),
        (TestClock::START_MS, TestClock::START_MS + 10_000)
    );
    let otp = store.get(&["guests", "ana"], "otp").await.unwrap();
    assert_eq!(
        otp.expect("a live item").expires_at_ms,
        Some(TestClock::START_MS + 10_000 + 3_600_000)
    );
    let guests = store
        .list_namespaces(&NamespaceQuery::default().prefix(["guests"]))
        .await
        .unwrap();
    assert_eq!(guests, [["guests", "ana"], ["guests", "bob"]]);

    // Its expiry survives too.
    clock.advance(hour);
    assert_eq!(store.get(&["guests", "ana"], "otp").await.unwrap(), None);
    let keys: Vec<String> = store
        .search(&["guests"], &SearchQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|item| item.key)
        .collect();
    assert_eq!(keys, ["prefs", "prefs"]);
    assert_eq!(store.sweep().await.unwrap(), 1);
}

#[derive(State, Clone, Default, Debug)]
struct Chat {
    guest: String,
    view: Option<String>,
    #[state(append)]
    log: Vec<String>,
}

/// START → `remember` (stores `view` for the guest) when the input sets one, else `recall`.
fn graph(db: &SqliteCheckpointer) -> graph_core::CompiledGraph<Chat> {
    let mut g = StateGraph::<Chat>::new();
    g.add_node("remember", |s: Arc<Chat>, ctx: Ctx| async move {
        let store = ctx.store().ok_or_else(|| NodeError::msg("no store"))?;
        let view = s.view.clone().unwrap_or_default();
        store
            .put(
                &["guests", &s.guest],
                "prefs",
                json!({ "view": view }),
                None,
            )
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
        .with_checkpointer(Arc::new(db.clone()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_keeps_checkpoints_and_memories_in_one_file() {
    let path = temp_db("store-graph");
    {
        let db = SqliteCheckpointer::open(&path).expect("open");
        let g = graph(&db);
        let input = ChatUpdate::default().guest("ana").view(Some("sea".into()));
        g.invoke(input, &RunConfig::thread("thread-a"))
            .await
            .unwrap();
        let out = g
            .invoke(
                ChatUpdate::default().guest("ana"),
                &RunConfig::thread("thread-b"),
            )
            .await
            .unwrap();
        assert_eq!(out.state.log, ["recalled \"sea\""]);
    }
    // After a restart: the thread's state and the memory are both in the file.
    let db = SqliteCheckpointer::open(&path).expect("reopen");
    let g = graph(&db);
    let state = g.get_state(&RunConfig::thread("thread-a")).await.unwrap();
    assert_eq!(state.values.log, ["remembered sea"]);
    let out = g
        .invoke(
            ChatUpdate::default().guest("ana"),
            &RunConfig::thread("thread-c"),
        )
        .await
        .unwrap();
    assert_eq!(out.state.log, ["recalled \"sea\""]);
}
