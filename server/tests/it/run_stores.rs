//! The RunStore conformance suite (`agent_protocol::testing`) against the server's durable
//! stores: SQLite (a fresh file per case) and Postgres (a fresh schema per case on the
//! throwaway cluster of `checkpoint_pg::testing`, skipped loudly without PostgreSQL), plus every
//! SQL statement of the Postgres store, queue and rate limits prepared against its schema.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use agent_protocol::RunStore;
use agent_protocol::testing::run_store_conformance;
use checkpoint_pg::testing::fresh_schema;
use server::testing::{
    check_pg_statements, pg_listening_run_store, pg_run_store, sqlite_run_store,
};

use crate::common::fresh_dir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_run_store_passes_the_suite() {
    let dir = fresh_dir("run_store_suite");
    let next = AtomicU32::new(0);
    run_store_conformance(|| {
        let path = dir.join(format!("case-{}.db", next.fetch_add(1, Ordering::Relaxed)));
        async move { sqlite_run_store(&path).expect("open the SQLite run store") }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_run_store_passes_the_suite() {
    // One schema per case: searches, counts and pruning see the whole store.
    if fresh_schema("run_store_probe").await.is_none() {
        return;
    }
    run_store_conformance(|| async {
        let schema = fresh_schema("run_store").await.expect("the test cluster");
        let store: Arc<dyn RunStore> = pg_run_store(schema)
            .await
            .expect("open the Postgres run store");
        store
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_postgres_run_store_statement_prepares() {
    let Some(config) = fresh_schema("run_store_statements").await else {
        return;
    };
    let checked = check_pg_statements(config)
        .await
        .expect("every statement prepares");
    // 6 searches (3 keys, 2 directions) and 29 fixed statements.
    assert_eq!(checked, 35);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_postgres_queue_and_rate_limit_statement_prepares() {
    let Some(config) = checkpoint_pg::testing::fresh_schema("queue_statements").await else {
        return;
    };
    let prepared = server::testing::check_pg_queue_statements(config)
        .await
        .unwrap();
    assert!(prepared >= 22, "{prepared}");
}

/// A reader following a run on one replica is woken by another replica storing the run's
/// events (`NOTIFY ap_events` heard on its `LISTEN` connection), not at the end of its wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replicas_events_wake_a_reader() {
    use agent_protocol::RunStatus;
    use agent_protocol::testing::{event, run, thread};
    use std::time::{Duration, Instant};

    let Some(config) = fresh_schema("run_store_notify").await else {
        return;
    };
    let writer = pg_run_store(config.clone()).await.unwrap();
    let (reader, _listening) = pg_listening_run_store(config).await.unwrap();
    writer
        .create_thread(&thread("t-notify", 1, serde_json::json!({})))
        .await
        .unwrap();
    writer
        .insert_run(&run("r-notify", "t-notify", 2, RunStatus::Running))
        .await
        .unwrap();
    // The first wait may begin before the LISTEN connection is up; from the second on, each
    // must end as soon as the writer stores.
    reader
        .wait_events("r-notify", Duration::from_millis(500))
        .await;
    for seq in 0..3 {
        let waiting = {
            let reader = std::sync::Arc::clone(&reader);
            tokio::spawn(async move {
                let started = Instant::now();
                reader
                    .wait_events("r-notify", Duration::from_secs(30))
                    .await;
                started.elapsed()
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        writer
            .append_events("r-notify", &[event(seq, "values")])
            .await
            .unwrap();
        let waited = waiting.await.unwrap();
        assert!(
            waited < Duration::from_secs(10),
            "the reader waited {waited:?}"
        );
    }
    assert_eq!(reader.events("r-notify", None).await.unwrap().len(), 3);
}
