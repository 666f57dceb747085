//! Several checkpointers (several pools, as replicas would have) on one schema: racing puts of
//! one checkpoint, migrations at once, and a schema from a newer build.

use std::sync::Arc;

use checkpoint_pg::{Error, PgCheckpointer};
use graph_core::testing::checkpoint;
use graph_core::{Checkpointer, HistoryQuery, Namespace, ThreadId};

use crate::fresh_schema;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_replicas_putting_one_checkpoint_exactly_one_succeeds() {
    let Some(config) = fresh_schema("race").await else {
        return;
    };
    let a = Arc::new(
        PgCheckpointer::connect(config.clone())
            .await
            .expect("open a"),
    );
    let b = Arc::new(PgCheckpointer::connect(config).await.expect("open b"));
    for round in 0..20u64 {
        let thread = ThreadId::from(format!("race-{round}"));
        let put = |store: Arc<PgCheckpointer>| {
            let stored = checkpoint(thread.clone(), 0, None);
            tokio::spawn(async move { store.put(stored).await })
        };
        let (first, second) = (put(Arc::clone(&a)), put(Arc::clone(&b)));
        let results = [first.await.expect("join"), second.await.expect("join")];
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "round {round}: {results:?}");
        let failed = results
            .iter()
            .find_map(|r| r.as_ref().err())
            .expect("one failed");
        let source = std::error::Error::source(failed).and_then(|s| s.downcast_ref::<Error>());
        assert!(
            matches!(source, Some(Error::Duplicate { .. })),
            "round {round}: the loser is told it is a duplicate: {failed:?}"
        );
        let listed = a
            .list(&thread, &Namespace::root(), &HistoryQuery::default())
            .await
            .expect("list");
        assert_eq!(listed.len(), 1, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_migrating_at_once_take_turns() {
    let Some(config) = fresh_schema("migrate").await else {
        return;
    };
    let opens: Vec<_> = (0..4)
        .map(|_| tokio::spawn(PgCheckpointer::connect(config.clone())))
        .collect();
    let mut stores = Vec::new();
    for open in opens {
        stores.push(open.await.expect("join").expect("every replica opens"));
    }
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT count(*), count(DISTINCT version), max(version)::bigint FROM gc_schema",
            &[],
        )
        .await
        .expect("read gc_schema");
    let (rows, versions, latest): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(
        (rows, versions),
        (latest, latest),
        "every migration recorded, once"
    );
    let thread = ThreadId::from("after-migration");
    stores[3]
        .put(checkpoint(thread.clone(), 0, None))
        .await
        .expect("put");
    assert!(
        stores[0]
            .get(&thread, &Namespace::root(), None)
            .await
            .expect("get")
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_from_a_newer_build_is_refused() {
    let Some(config) = fresh_schema("newer").await else {
        return;
    };
    drop(PgCheckpointer::connect(config.clone()).await.expect("open"));
    let (client, connection) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
        .execute(
            "INSERT INTO gc_schema (version, applied_at_ms) VALUES (99, 0)",
            &[],
        )
        .await
        .expect("record a future version");
    let refused = PgCheckpointer::connect(config).await;
    assert!(
        matches!(refused, Err(Error::NewerSchema { found: 99, .. })),
        "{refused:?}"
    );
}
