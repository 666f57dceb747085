//! The [`RunStore`] conformance suite (feature `testing`): every behaviour the trait documents,
//! as cases any implementation can run, so the in-memory, SQLite and Postgres stores are held to
//! one contract instead of each to its own tests.
//!
//! Each case gets a store of its own from the factory (searches, counts and pruning look at the
//! whole store, so cases cannot share one). Where the trait's wording leaves room, the cases pin
//! what [`MemoryRunStore`](crate::MemoryRunStore) does, the reference the others follow:
//!
//! - a metadata filter matches a thread when each of its keys is stored with an *equal* JSON
//!   value: `1` is not `1.0`, objects and arrays compare by content (key order aside), and a
//!   filter object is not matched by a stored object that merely contains it;
//! - threads sort by the chosen key, then by id, both in the chosen direction; ids compare
//!   bytewise (`"B"` before `"a"`);
//! - runs list newest first by insertion, and unfinished runs oldest first;
//! - [`RunStore::end_run`] replaces whatever events the run had stored, and [`RunStore::events`]
//!   returns them by `seq`, whatever order they were given in;
//! - the methods for stores processes share ([`RunStore::append_events`], cancel requests,
//!   [`RunStore::admit_run`], [`RunStore::wait_events`]) keep their contract whether or not the
//!   store says it is shared.
//!
//! ```
//! use std::sync::Arc;
//! use agent_protocol::{MemoryRunStore, RunStore};
//! use agent_protocol::testing::{RUN_STORE_CASES, run_store_conformance};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Every case, each on a fresh store, stopping at the first failure:
//! run_store_conformance(|| async { Arc::new(MemoryRunStore::new()) as Arc<dyn RunStore> }).await;
//!
//! // Or one at a time:
//! for case in RUN_STORE_CASES {
//!     case.run(Arc::new(MemoryRunStore::new())).await;
//! }
//! # }
//! ```

mod runs;
mod sharing;
mod support;
mod threads;

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt;

use crate::records::RunStore;
use support::Harness;

pub use support::{event, run, thread};

/// Runs every case, each against a fresh store from `fresh`, panicking with the case's name and
/// what differed on the first failure. Must be awaited inside a tokio runtime.
pub async fn run_store_conformance<F, Fut>(mut fresh: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<dyn RunStore>>,
{
    for case in RUN_STORE_CASES {
        case.run(fresh().await).await;
    }
}

type CaseFn = fn(Harness) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// One conformance case.
#[derive(Clone, Copy)]
pub struct RunStoreCase {
    name: &'static str,
    body: CaseFn,
}

impl RunStoreCase {
    /// The case's name, e.g. `create_thread_refuses_a_taken_id`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the case against `store`, which must be empty, panicking with the case's name and
    /// what differed if the store does not conform.
    pub async fn run(&self, store: Arc<dyn RunStore>) {
        let body = (self.body)(Harness::new(store));
        // Caught and raised again so the failure names the case, whoever runs it.
        if let Err(panic) = AssertUnwindSafe(body).catch_unwind().await {
            panic!(
                "run store conformance case `{}` failed: {}",
                self.name,
                panic_message(panic.as_ref())
            );
        }
    }
}

impl fmt::Debug for RunStoreCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunStoreCase")
            .field("name", &self.name)
            .finish()
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
        &[$(RunStoreCase {
            name: stringify!($case),
            body: |harness| Box::pin($module::$case(harness)),
        }),*]
    };
}

/// Every case, in the order [`run_store_conformance`] runs them.
pub const RUN_STORE_CASES: &[RunStoreCase] = cases![
    threads::create_thread_refuses_a_taken_id,
    threads::threads_round_trip,
    threads::update_thread_keeps_id_and_creation,
    threads::search_by_metadata_is_equality_per_key,
    threads::search_by_ids_and_status,
    threads::search_sorts_by_each_key_both_ways,
    threads::search_pages_and_count_ignores_the_page,
    threads::delete_thread_takes_its_runs_and_events,
    runs::runs_round_trip_within_their_thread,
    runs::list_runs_is_newest_first_filtered_and_paged,
    runs::set_run_status_changes_status_and_time,
    runs::end_run_stores_everything_at_once,
    runs::events_come_back_by_seq_and_after_a_seq,
    runs::a_second_end_replaces_the_events,
    runs::result_is_none_until_the_end,
    runs::delete_run_takes_its_events_and_result,
    runs::prune_events_empties_the_window_only,
    runs::unfinished_runs_are_oldest_first,
    sharing::appended_events_are_read_before_the_end_and_replaced_by_it,
    sharing::appends_outside_a_run_in_flight_change_nothing,
    sharing::the_first_cancel_request_of_a_run_in_flight_wins,
    sharing::admit_run_follows_the_strategy,
    sharing::wait_events_returns_within_its_bound,
    sharing::stale_runs_are_those_without_a_recent_heartbeat,
];
