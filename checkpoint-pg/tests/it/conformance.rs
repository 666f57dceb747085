//! graph-core's checkpointer conformance suite on Postgres: once on a fresh schema, and again
//! after a reopen (one queue, batches of one) with the first run's threads still in it.

use std::sync::Arc;

use checkpoint_pg::PgCheckpointer;
use graph_core::Checkpointer;
use graph_core::testing::{CASES, checkpointer_conformance};

use crate::fresh_schema;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passes_the_conformance_suite() {
    let Some(config) = fresh_schema("conformance").await else {
        return;
    };
    let store = PgCheckpointer::connect(config.clone()).await.expect("open");
    checkpointer_conformance(Arc::new(store)).await;

    // Again on the same schema after a reopen, with the first run's threads still in it.
    let store = PgCheckpointer::options()
        .queues(1)
        .max_batch(1)
        .connect(config)
        .await
        .expect("reopen");
    let store: Arc<dyn Checkpointer> = Arc::new(store);
    for case in CASES {
        case.run(Arc::clone(&store)).await;
    }
}
