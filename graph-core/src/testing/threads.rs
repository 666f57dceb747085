//! Cases for whole-thread operations: `delete_thread`, `copy_thread` and `prune`.

use crate::checkpoint::{HistoryQuery, LoadedCheckpoint, Source, WriteKind};
use crate::ids::ThreadId;
use crate::testing::records::{checkpoint, delta, snapshot, version, write};
use crate::testing::support::{Harness, field, loaded, own, with_fields};

/// Fills `thread` with everything a delete or a copy must carry: a field written once and read
/// by every later checkpoint, a delta chain that branches at a fork, and pending writes both on
/// the head and on an older checkpoint that nothing superseded.
async fn populate(h: &Harness, thread: &ThreadId) {
    let versions = |log_at, depth| vec![version("a", 0, 0), version("log", log_at, depth)];
    h.put(with_fields(
        thread,
        0,
        None,
        versions(0, 0),
        vec![snapshot("a", b"\"a0\""), snapshot("log", b"[0]")],
    ))
    .await;
    for id in [1, 2] {
        let log = delta("log", id - 1, format!("[{id}]").as_bytes());
        h.put(with_fields(
            thread,
            id,
            Some(id - 1),
            versions(id, id as u32),
            vec![log],
        ))
        .await;
    }
    h.put_writes(
        thread,
        2,
        vec![write(2, WriteKind::Interrupt, 0, b"\"on 2\"")],
    )
    .await;
    let mut fork = with_fields(
        thread,
        3,
        Some(1),
        versions(3, 2),
        vec![delta("log", 1, b"[3]")],
    );
    fork.meta.source = Source::Fork;
    h.put(fork).await;
    // Written after the child of 0 was put, so nothing supersedes them.
    h.put_writes(thread, 0, vec![write(0, WriteKind::Output, 0, b"\"on 0\"")])
        .await;
    h.put_writes(
        thread,
        3,
        vec![
            write(3, WriteKind::Output, 0, b"\"on 3\""),
            write(4, WriteKind::Interrupt, 0, b"\"ask\""),
        ],
    )
    .await;
}

/// Every checkpoint of `thread` as `get` returns it, newest first.
async fn read_all(h: &Harness, thread: &ThreadId) -> Vec<LoadedCheckpoint> {
    let mut all = Vec::new();
    for id in h.ids(thread, &HistoryQuery::default()).await {
        all.push(h.get(thread, Some(id)).await);
    }
    all
}

/// Checkpoints as they read in another thread.
fn moved(mut all: Vec<LoadedCheckpoint>, thread: &ThreadId) -> Vec<LoadedCheckpoint> {
    for loaded in &mut all {
        loaded.meta.thread = thread.clone();
    }
    all
}

async fn assert_empty(h: &Harness, thread: &ThreadId, what: &str) {
    assert!(
        h.list(thread, &HistoryQuery::default()).await.is_empty(),
        "{what}: list is not empty"
    );
    for id in [None, Some(0), Some(3)] {
        assert!(
            h.try_get(thread, id).await.is_none(),
            "{what}: get({id:?}) returned a checkpoint"
        );
    }
}

pub(super) async fn delete_thread_removes_only_that_thread(h: Harness) {
    let (doomed, other) = (h.thread(), h.thread());
    populate(&h, &doomed).await;
    populate(&h, &other).await;
    let other_before = read_all(&h, &other).await;
    if let Err(e) = h.store().delete_thread(&doomed).await {
        panic!("delete_thread failed: {e}");
    }
    assert_empty(&h, &doomed, "a deleted thread").await;
    assert_eq!(
        read_all(&h, &other).await,
        other_before,
        "another thread after a delete"
    );
    // The thread starts over: no checkpoint id is taken and no old pending write comes back.
    let fresh = checkpoint(&doomed, 0, None);
    h.put(fresh.clone()).await;
    assert_eq!(
        h.get(&doomed, None).await,
        own(&fresh),
        "a deleted thread written again"
    );
}

pub(super) async fn copy_thread_copies_everything(h: Harness) {
    let (from, to) = (h.thread(), h.thread());
    populate(&h, &from).await;
    if let Err(e) = h.store().copy_thread(&from, &to).await {
        panic!("copy_thread into an empty thread failed: {e}");
    }
    let source = read_all(&h, &from).await;
    assert_eq!(source.len(), 4, "the source after a copy");
    assert_eq!(
        read_all(&h, &to).await,
        moved(source, &to),
        "every checkpoint of the copy, with its values and pending writes"
    );
    let mut metas = h.list(&from, &HistoryQuery::default()).await;
    for meta in &mut metas {
        meta.thread = to.clone();
    }
    assert_eq!(
        h.list(&to, &HistoryQuery::default()).await,
        metas,
        "the copy's history"
    );
}

pub(super) async fn copy_thread_refuses_a_non_empty_target(h: Harness) {
    let (from, to) = (h.thread(), h.thread());
    populate(&h, &from).await;
    h.put(checkpoint(&to, 0, None)).await;
    h.put_writes(&to, 0, vec![write(1, WriteKind::Output, 0, b"{}")])
        .await;
    let (from_before, to_before) = (read_all(&h, &from).await, read_all(&h, &to).await);
    assert!(
        h.store().copy_thread(&from, &to).await.is_err(),
        "copy_thread into a thread with checkpoints succeeded"
    );
    assert_eq!(
        read_all(&h, &to).await,
        to_before,
        "the target after a refused copy"
    );
    assert_eq!(
        read_all(&h, &from).await,
        from_before,
        "the source after a refused copy"
    );
}

pub(super) async fn copy_thread_of_a_missing_source_fails(h: Harness) {
    let (from, to) = (h.thread(), h.thread());
    assert!(
        h.store().copy_thread(&from, &to).await.is_err(),
        "copy_thread of a thread that was never written succeeded"
    );
    assert_empty(&h, &to, "the target of a failed copy").await;
}

pub(super) async fn copy_thread_into_itself_is_refused(h: Harness) {
    let thread = h.thread();
    // Only pending writes, no checkpoint: the case where "is the target empty?" says yes.
    h.put_writes(
        &thread,
        0,
        vec![write(1, WriteKind::Interrupt, 0, b"\"?\"")],
    )
    .await;
    assert!(
        h.store().copy_thread(&thread, &thread).await.is_err(),
        "copy_thread of a thread into itself succeeded"
    );
    h.put(checkpoint(thread.as_str(), 0, None)).await;
    let head = h.get(&thread, None).await;
    assert_eq!(head.pending_writes.len(), 1, "the thread's writes survived");
}

pub(super) async fn a_copy_is_independent(h: Harness) {
    let (from, to) = (h.thread(), h.thread());
    populate(&h, &from).await;
    if let Err(e) = h.store().copy_thread(&from, &to).await {
        panic!("copy_thread failed: {e}");
    }
    let source = read_all(&h, &from).await;

    // Change the copy every way there is: writes (new and replacing), a child that supersedes
    // writes, and a prune that drops values the source still reads.
    h.put_writes(
        &to,
        2,
        vec![write(2, WriteKind::Interrupt, 0, b"\"changed\"")],
    )
    .await;
    h.put_writes(&to, 3, vec![write(5, WriteKind::Effect, 0, b"1")])
        .await;
    h.put(checkpoint(&to, 4, Some(3))).await;
    if let Err(e) = h.store().prune(&to, 1).await {
        panic!("prune of the copy failed: {e}");
    }
    assert_eq!(
        read_all(&h, &from).await,
        source,
        "the source after changing the copy"
    );

    // And the other way round.
    let copy = read_all(&h, &to).await;
    h.put(checkpoint(&from, 4, Some(3))).await;
    h.put_writes(
        &from,
        2,
        vec![write(2, WriteKind::Interrupt, 0, b"\"also\"")],
    )
    .await;
    assert_eq!(
        read_all(&h, &to).await,
        copy,
        "the copy after changing the source"
    );

    let source = read_all(&h, &from).await;
    if let Err(e) = h.store().delete_thread(&to).await {
        panic!("delete_thread of the copy failed: {e}");
    }
    assert_eq!(
        read_all(&h, &from).await,
        source,
        "the source after deleting the copy"
    );
}

pub(super) async fn prune_keeps_the_newest(h: Harness) {
    let thread = h.thread();
    let chain: Vec<_> = (0..6)
        .map(|id| checkpoint(&thread, id, id.checked_sub(1)))
        .collect();
    for stored in &chain {
        h.put(stored.clone()).await;
    }
    // `keep` 0 keeps one: a thread is never pruned away.
    for (keep, deleted, ids) in [
        (10, 0, vec![5, 4, 3, 2, 1, 0]),
        (2, 4, vec![5, 4]),
        (0, 1, vec![5]),
        (1, 0, vec![5]),
    ] {
        let result = h.store().prune(&thread, keep).await;
        match result {
            Ok(n) => assert_eq!(n, deleted, "prune({keep}) must return how many it deleted"),
            Err(e) => panic!("prune({keep}) failed: {e}"),
        }
        assert_eq!(
            h.ids(&thread, &HistoryQuery::default()).await,
            ids,
            "history after prune({keep})"
        );
    }
    assert!(
        h.try_get(&thread, Some(4)).await.is_none(),
        "get of a pruned checkpoint returned it"
    );
    assert_eq!(h.get(&thread, None).await, own(&chain[5]), "the kept head");
}

pub(super) async fn prune_keeps_what_kept_checkpoints_read(h: Harness) {
    let thread = h.thread();
    // `a` is written once by checkpoint 0; `log` is a delta chain from a snapshot at 0; `b` is
    // written by checkpoint 2. Pruning all but 4 and 5 must keep all of it.
    h.put(with_fields(
        &thread,
        0,
        None,
        vec![version("a", 0, 0), version("log", 0, 0)],
        vec![snapshot("a", b"\"a0\""), snapshot("log", b"[0]")],
    ))
    .await;
    for id in 1..6 {
        let mut versions = vec![version("a", 0, 0), version("log", id, id as u32)];
        let mut writes = vec![delta("log", id - 1, format!("[{id}]").as_bytes())];
        if id >= 2 {
            versions.push(version("b", 2, 0));
        }
        if id == 2 {
            writes.push(snapshot("b", b"\"b2\""));
        }
        h.put(with_fields(&thread, id, Some(id - 1), versions, writes))
            .await;
    }
    // The head waits for an answer to an interrupt.
    let waiting = vec![write(5, WriteKind::Interrupt, 0, b"{\"question\":\"ok?\"}")];
    h.put_writes(&thread, 5, waiting).await;
    let before = [h.get(&thread, Some(4)).await, h.get(&thread, Some(5)).await];
    assert_eq!(
        before[1].pending_writes.len(),
        1,
        "the head's interrupt before prune"
    );

    match h.store().prune(&thread, 2).await {
        Ok(n) => assert_eq!(n, 4, "prune(2) of 6 checkpoints must delete 4"),
        Err(e) => panic!("prune(2) failed: {e}"),
    }
    let after = [h.get(&thread, Some(4)).await, h.get(&thread, Some(5)).await];
    assert_eq!(
        after, before,
        "kept checkpoints must read the same values and pending writes after a prune"
    );

    // A child of the kept head extends the chain that starts in a pruned checkpoint.
    let child = with_fields(
        &thread,
        6,
        Some(5),
        vec![version("a", 0, 0), version("b", 2, 0), version("log", 6, 6)],
        vec![delta("log", 5, b"[6]")],
    );
    h.put(child.clone()).await;
    let log: [&[u8]; 6] = [b"[1]", b"[2]", b"[3]", b"[4]", b"[5]", b"[6]"];
    let values = vec![
        field("a", b"\"a0\"", &[]),
        field("b", b"\"b2\"", &[]),
        field("log", b"[0]", &log),
    ];
    assert_eq!(
        h.get(&thread, None).await,
        loaded(&child, values, Vec::new()),
        "a child of a pruned thread's head"
    );
}
