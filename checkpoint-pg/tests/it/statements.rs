//! Every SQL statement of the crate, prepared against a migrated schema: Postgres checks syntax,
//! tables, columns and types, the stand-in for compile-time checked SQL.

use checkpoint_pg::PgCheckpointer;

use crate::fresh_schema;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_statement_prepares() {
    let Some(config) = fresh_schema("statements").await else {
        return;
    };
    let store = PgCheckpointer::connect(config).await.expect("open");
    let checked = store
        .check_statements()
        .await
        .expect("every statement prepares");
    // The checkpointer's 33, the store's 9 and the cache's 5.
    assert!(checked >= 47, "only {checked} statements were checked");
}
