//! The RunStore conformance suite (`agent_protocol::testing`) against [`MemoryRunStore`], the
//! reference the durable stores are held to.

use std::sync::Arc;

use agent_protocol::testing::{RUN_STORE_CASES, run_store_conformance};
use agent_protocol::{MemoryRunStore, RunStore};

#[tokio::test]
async fn memory_store_passes_the_run_store_suite() {
    run_store_conformance(|| async { Arc::new(MemoryRunStore::new()) as Arc<dyn RunStore> }).await;
}

#[test]
fn case_names_are_unique() {
    let mut names: Vec<_> = RUN_STORE_CASES.iter().map(|case| case.name()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "two cases share a name");
}
