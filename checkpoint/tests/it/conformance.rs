//! graph-core's checkpointer conformance suite, on a SQLite file: once on a fresh file, and
//! again after a reopen with the first run's threads still in it.

use std::sync::Arc;

use checkpoint::{SqliteCheckpointer, Synchronous};
use graph_core::Checkpointer;
use graph_core::testing::{CASES, checkpointer_conformance};

use crate::temp_db;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_conformance_suite() {
    let path = temp_db("conformance");
    let store = SqliteCheckpointer::open(&path).expect("open");
    checkpointer_conformance(Arc::new(store)).await;

    // Again on the same file after a reopen, with the first run's threads still in it.
    let store = SqliteCheckpointer::options()
        .synchronous(Synchronous::Normal)
        .max_batch(1)
        .open(&path)
        .expect("reopen");
    let store: Arc<dyn Checkpointer> = Arc::new(store);
    for case in CASES {
        case.run(Arc::clone(&store)).await;
    }
}
