//! The checkpointer conformance suite: every behaviour of the [`Checkpointer`] contract that the
//! engine relies on, as cases any implementation can run, plus builders for valid records. The
//! [`Store`](crate::Store) has a suite of its own: [`store_conformance`] and [`STORE_CASES`].
//!
//! A backend's tests call [`checkpointer_conformance`] (or run the [`CASES`] one by one to
//! report each) inside a tokio runtime, since some cases spawn tasks. Every case works on threads
//! of its own (`conformance-<case>-<random>`), so the store may already hold other data,
//! including threads from an earlier run of the suite.
//!
//! The cases check what the trait documents and no more: `list` is newest first and deltas
//! oldest first, but a checkpoint's versions, values and pending writes are compared as sets
//! (sorted by field name, and by (task, kind, slot)), since the trait promises no order for them.
//! One case asks for more than the trait's wording: overlapping `put_writes` calls for one
//! checkpoint must all land, because the engine makes them (sibling tasks of a superstep save
//! their writes as they finish), although the trait says it never changes one thread twice at
//! once.
//!
//! ```
//! use std::sync::Arc;
//! use graph_core::InMemoryCheckpointer;
//! use graph_core::testing::{CASES, checkpointer_conformance};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // All cases, stopping at the first failure:
//! checkpointer_conformance(Arc::new(InMemoryCheckpointer::new())).await;
//!
//! // Or one at a time, e.g. to skip one a backend does not support yet:
//! let store = Arc::new(InMemoryCheckpointer::new());
//! for case in CASES.iter().filter(|case| case.name() != "prune_keeps_the_newest") {
//!     case.run(Arc::clone(&store) as _).await;
//! }
//! # }
//! ```

mod concurrency;
mod history;
mod namespaces;
mod reads;
mod records;
mod rewind;
mod store;
mod support;
mod threads;
mod writes;

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt;

use crate::checkpoint::Checkpointer;
use support::Harness;

pub use records::{FIELD, blob, checkpoint, checkpoint_in, delta, snapshot, version, write};
pub use store::{STORE_CASES, StoreCase, TestClock, store_conformance};

/// Runs every case against `store`, panicking with the case name and what differed on the first
/// failure. Must be awaited inside a tokio runtime.
pub async fn checkpointer_conformance(store: Arc<dyn Checkpointer>) {
    for case in CASES {
        case.run(Arc::clone(&store)).await;
    }
}

type CaseFn = fn(Harness) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// One conformance case.
#[derive(Clone, Copy)]
pub struct Case {
    name: &'static str,
    body: CaseFn,
}

impl Case {
    /// The case's name, e.g. `put_then_get_latest`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the case against `store`, panicking with its name and what differed if the store
    /// does not conform. Must be awaited inside a tokio runtime.
    pub async fn run(&self, store: Arc<dyn Checkpointer>) {
        let body = (self.body)(Harness::new(store, self.name));
        // Caught and raised again so the failure names the case, whoever runs it.
        if let Err(panic) = AssertUnwindSafe(body).catch_unwind().await {
            panic!(
                "checkpointer conformance case `{}` failed: {}",
                self.name,
                panic_message(panic.as_ref())
            );
        }
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case").field("name", &self.name).finish()
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(message) = panic.downcast_ref::<&str>() {
        message
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message
    } else {
        "a panic without a message"
    }
}

macro_rules! cases {
    ($($module:ident::$case:ident),* $(,)?) => {
        &[$(Case {
            name: stringify!($case),
            body: |harness| Box::pin($module::$case(harness)),
        }),*]
    };
}

/// Every case, in the order [`checkpointer_conformance`] runs them.
pub const CASES: &[Case] = cases![
    reads::put_then_get_latest,
    reads::get_by_id,
    reads::get_missing_is_none,
    reads::values_round_trip_byte_exactly,
    reads::unchanged_fields_keep_their_version,
    reads::delta_chains_load_oldest_first,
    reads::a_snapshot_cuts_the_delta_chain,
    reads::duplicate_ids_are_rejected,
    history::list_is_newest_first,
    history::list_limit,
    history::list_pages_with_before,
    history::list_filters_by_metadata,
    history::list_filters_by_source_and_step,
    history::metadata_round_trips,
    history::history_pages_read_as_list_then_get,
    writes::writes_round_trip,
    writes::writes_are_idempotent_by_key,
    writes::writes_with_different_keys_coexist,
    writes::a_child_clears_its_parents_writes,
    writes::unsuperseded_writes_stay,
    threads::delete_thread_removes_only_that_thread,
    threads::copy_thread_copies_everything,
    threads::copy_thread_refuses_a_non_empty_target,
    threads::copy_thread_of_a_missing_source_fails,
    threads::copy_thread_into_itself_is_refused,
    threads::a_copy_is_independent,
    threads::prune_keeps_the_newest,
    threads::prune_keeps_what_kept_checkpoints_read,
    rewind::rewind_deletes_what_came_after,
    rewind::rewind_frees_the_ids_after_it,
    rewind::rewind_to_none_empties_the_root,
    rewind::rewind_deletes_the_subgraphs_started_after_the_cut,
    rewind::a_rewound_copy_keeps_the_namespaces_its_source_would,
    rewind::rewind_of_an_unknown_thread_is_nothing,
    rewind::rewind_to_the_head_changes_nothing,
    namespaces::namespaces_are_separate_histories,
    namespaces::an_older_checkpoint_of_a_namespace_reads_as_it_was,
    namespaces::pending_writes_are_per_namespace,
    namespaces::delete_thread_removes_every_namespace,
    namespaces::copy_thread_copies_every_namespace,
    namespaces::prune_keeps_the_newest_of_each_namespace,
    concurrency::threads_in_parallel,
    concurrency::writes_for_one_checkpoint_in_parallel,
    concurrency::put_later_keeps_order_and_lands_when_awaited,
];
