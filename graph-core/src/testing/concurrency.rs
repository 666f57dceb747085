//! Cases for concurrent calls: many graph threads at once, and the sibling tasks of one
//! superstep saving their writes for the same checkpoint at once.

use std::future::Future;

use crate::checkpoint::{Checkpoint, HistoryQuery, LoadedField, PendingWrite, WriteKind};
use crate::ids::ThreadId;
use crate::testing::records::{FIELD, checkpoint, delta, snapshot, value_of, version, write};
use crate::testing::support::{Harness, field, loaded, sort_writes};

/// How many tasks each case runs at once.
const TASKS: u64 = 64;
/// Checkpoints per graph thread.
const CHAIN: u64 = 8;
/// `log` gets a fresh snapshot every this many checkpoints, as the engine's `snapshot_every`.
const SNAPSHOT_EVERY: u64 = 3;

/// Spawns `TASKS` copies of `task` (given its index) and waits for all, passing a panic on with
/// its message.
async fn spawn_all<F, T>(task: impl Fn(u64) -> F) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = (0..TASKS).map(|n| tokio::spawn(task(n))).collect();
    let mut results = Vec::new();
    for handle in handles {
        match handle.await {
            Ok(result) => results.push(result),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("a spawned task did not finish: {e}"),
        }
    }
    results
}

/// Checkpoint `id` of graph thread number `n`: [`checkpoint`] plus a `log` delta chain.
fn chain_checkpoint(thread: &ThreadId, n: u64, id: u64) -> Checkpoint {
    let mut stored = checkpoint(thread, id, id.checked_sub(1));
    let depth = id % SNAPSHOT_EVERY;
    let entry = format!("[\"{n}:{id}\"]");
    stored.versions.push(version("log", id, depth as u32));
    stored.writes.push(if depth == 0 {
        snapshot("log", entry.as_bytes())
    } else {
        delta("log", id - 1, entry.as_bytes())
    });
    stored
}

/// `log` as checkpoint `id` of graph thread number `n` reads it.
fn chain_log(n: u64, id: u64) -> LoadedField {
    let base = id - id % SNAPSHOT_EVERY;
    let entry = |k: u64| format!("[\"{n}:{k}\"]").into_bytes();
    let deltas: Vec<Vec<u8>> = (base + 1..=id).map(entry).collect();
    let deltas: Vec<&[u8]> = deltas.iter().map(Vec::as_slice).collect();
    field("log", &entry(base), &deltas)
}

/// The writes the tasks planned from checkpoint `id` of graph thread number `n` save.
fn chain_writes(n: u64, id: u64) -> Vec<PendingWrite> {
    let task = (u128::from(n) << 64) | u128::from(id);
    vec![
        write(
            task,
            WriteKind::Effect,
            0,
            format!("\"{n}:{id}\"").as_bytes(),
        ),
        write(
            task,
            WriteKind::Output,
            0,
            format!("{{\"n\":{n}}}").as_bytes(),
        ),
    ]
}

pub(super) async fn threads_in_parallel(h: Harness) {
    let threads = spawn_all(|n| {
        let h = h.clone();
        async move {
            let thread = h.thread();
            for id in 0..CHAIN {
                h.put(chain_checkpoint(&thread, n, id)).await;
                tokio::task::yield_now().await;
                for w in chain_writes(n, id) {
                    h.put_writes(&thread, id, vec![w]).await;
                    tokio::task::yield_now().await;
                }
            }
            thread
        }
    })
    .await;

    for (n, thread) in (0..).zip(&threads) {
        let ids: Vec<u64> = (0..CHAIN).rev().collect();
        assert_eq!(
            h.ids(thread, &HistoryQuery::default()).await,
            ids,
            "history of graph thread {n} written alongside {TASKS} others"
        );
        for id in 0..CHAIN {
            let stored = chain_checkpoint(thread, n, id);
            let values = vec![field(FIELD, &value_of(thread, id), &[]), chain_log(n, id)];
            // Every checkpoint but the head has a child, which superseded its writes.
            let writes = if id + 1 == CHAIN {
                chain_writes(n, id)
            } else {
                Vec::new()
            };
            assert_eq!(
                h.get(thread, Some(id)).await,
                loaded(&stored, values, writes),
                "checkpoint {id} of graph thread {n} written alongside {TASKS} others"
            );
        }
    }
}

/// The engine does this: with `Durability::Sync` every task of a superstep saves each output,
/// effect and interrupt the moment it has it, so calls of `put_writes` for one checkpoint overlap.
pub(super) async fn writes_for_one_checkpoint_in_parallel(h: Harness) {
    let thread = h.thread();
    h.put(checkpoint(&thread, 0, None)).await;
    // Every task also writes two keys all of them share; exactly one write per key may remain.
    const SHARED_OUTPUT: u128 = u128::MAX;
    const SHARED_INTERRUPT: u128 = u128::MAX - 1;
    let written = spawn_all(|n| {
        let (h, thread) = (h.clone(), thread.clone());
        async move {
            let task = u128::from(n);
            let value = format!("{n}").into_bytes();
            let mut own = Vec::new();
            for slot in 0..3 {
                own.push(write(task, WriteKind::Effect, slot, &value));
            }
            own.push(write(task, WriteKind::Output, 0, &value));
            for w in &own {
                h.put_writes(&thread, 0, vec![w.clone()]).await;
                tokio::task::yield_now().await;
            }
            let shared = vec![
                write(SHARED_OUTPUT, WriteKind::Output, 0, &value),
                write(SHARED_INTERRUPT, WriteKind::Interrupt, 0, &value),
            ];
            h.put_writes(&thread, 0, shared).await;
            own
        }
    })
    .await;

    let (shared, stored): (Vec<_>, Vec<_>) = h
        .get(&thread, Some(0))
        .await
        .pending_writes
        .into_iter()
        .partition(|w| w.task_id.0 >= SHARED_INTERRUPT);
    let mut expected: Vec<PendingWrite> = written.into_iter().flatten().collect();
    sort_writes(&mut expected);
    assert_eq!(
        stored, expected,
        "writes of {TASKS} concurrent tasks for one checkpoint: every one must land"
    );
    // Sorted by task, and the interrupt's task id is the smaller.
    let kinds: Vec<WriteKind> = shared.iter().map(|w| w.kind).collect();
    assert_eq!(
        kinds,
        [WriteKind::Interrupt, WriteKind::Output],
        "a key {TASKS} tasks wrote at once must be stored exactly once"
    );
}

/// The engine does this with `Durability::Async`: each checkpoint goes to `put_later`, which
/// is polled once and then left while the run goes on; the next ones follow, and only at the
/// end does the run await them all. Every call must then have happened, in order: the chain
/// reads back whole (a later checkpoint's delta builds on an earlier one), and a `put_later`
/// awaited at once completes like `put`.
pub(super) async fn put_later_keeps_order_and_lands_when_awaited(h: Harness) {
    use std::pin::Pin;
    use std::task::Poll;
    type Pending<'a> = Pin<Box<dyn Future<Output = Result<(), crate::StorageError>> + Send + 'a>>;

    let thread = h.thread();
    let mut left: Vec<Pending<'_>> = Vec::new();
    for id in 0..CHAIN {
        let mut put = h.store().put_later(chain_checkpoint(&thread, 0, id));
        // Polled once, as `Run::start_storing` does; a call finished at once is done with.
        let first = std::future::poll_fn(|cx| Poll::Ready(put.as_mut().poll(cx))).await;
        match first {
            Poll::Ready(result) => result.unwrap_or_else(|e| {
                panic!("put_later of checkpoint {id} failed at its first poll: {e}")
            }),
            Poll::Pending => left.push(put),
        }
    }
    for (id, put) in left.into_iter().enumerate() {
        put.await
            .unwrap_or_else(|e| panic!("put_later #{id} failed when awaited: {e}"));
    }
    let ids: Vec<u64> = (0..CHAIN).rev().collect();
    assert_eq!(
        h.ids(&thread, &HistoryQuery::default()).await,
        ids,
        "every checkpoint handed to put_later is stored once its call completes"
    );
    for id in 0..CHAIN {
        let stored = chain_checkpoint(&thread, 0, id);
        let values = vec![field(FIELD, &value_of(&thread, id), &[]), chain_log(0, id)];
        assert_eq!(
            h.get(&thread, Some(id)).await,
            loaded(&stored, values, Vec::new()),
            "checkpoint {id} stored through put_later"
        );
    }

    // Awaited at once, it is a plain put: the next call sees it.
    let next = h.thread();
    h.store()
        .put_later(chain_checkpoint(&next, 1, 0))
        .await
        .unwrap_or_else(|e| panic!("put_later awaited at once failed: {e}"));
    assert_eq!(h.ids(&next, &HistoryQuery::default()).await, vec![0]);
}
