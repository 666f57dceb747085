//! Cases for `rewind`: the root's history cut back to a checkpoint, what it read kept, the ids
//! after it free again, and the subgraph namespaces started after the cut deleted whole.

use crate::checkpoint::{CheckpointMeta, HistoryQuery, LoadedCheckpoint, WriteKind};
use crate::ids::{CheckpointId, Namespace, NodeId, TaskId, ThreadId};
use crate::testing::records::{checkpoint_in, delta, snapshot, version, write};
use crate::testing::support::{Harness, field, loaded, own, with_fields};

/// The root's checkpoints 0..=4, each made from the one before: `a` written once by 0 and read
/// by all, `log` a delta chain from a snapshot at 0, and `b` written by 3 (a value only
/// checkpoints after 2 read). Each of 2, 3 and 4 has a pending write nothing superseded.
async fn chain(h: &Harness, thread: &ThreadId) {
    h.put(with_fields(
        thread,
        0,
        None,
        vec![version("a", 0, 0), version("log", 0, 0)],
        vec![snapshot("a", b"\"a0\""), snapshot("log", b"[0]")],
    ))
    .await;
    for id in 1..=4 {
        let mut versions = vec![version("a", 0, 0), version("log", id, id as u32)];
        let mut writes = vec![delta("log", id - 1, format!("[{id}]").as_bytes())];
        if id >= 3 {
            versions.push(version("b", 3, 0));
        }
        if id == 3 {
            writes.push(snapshot("b", b"\"b3\""));
        }
        h.put(with_fields(thread, id, Some(id - 1), versions, writes))
            .await;
    }
    // Written after every put, so no child supersedes them.
    for id in 2..=4 {
        let value = format!("\"on {id}\"");
        h.put_writes(
            thread,
            id,
            vec![write(
                u128::from(id),
                WriteKind::Output,
                0,
                value.as_bytes(),
            )],
        )
        .await;
    }
}

/// Every checkpoint of namespace `ns` as `get` returns it, newest first.
async fn read_ns(h: &Harness, thread: &ThreadId, ns: &Namespace) -> Vec<LoadedCheckpoint> {
    let mut all = Vec::new();
    for meta in h.list_in(thread, ns, &HistoryQuery::default()).await {
        all.push(h.get_in(thread, ns, Some(meta.id.0)).await);
    }
    all
}

async fn rewind(h: &Harness, thread: &ThreadId, to: Option<u64>) -> usize {
    match h.store().rewind(thread, to.map(CheckpointId)).await {
        Ok(deleted) => deleted,
        Err(e) => panic!("rewind of thread `{thread}` to {to:?} failed: {e}"),
    }
}

async fn assert_gone(h: &Harness, thread: &ThreadId, ns: &Namespace, what: &str) {
    let listed: Vec<CheckpointMeta> = h.list_in(thread, ns, &HistoryQuery::default()).await;
    assert!(listed.is_empty(), "{what}: list shows {listed:?}");
    for id in [None, Some(0), Some(1)] {
        assert!(
            h.try_get_in(thread, ns, id).await.is_none(),
            "{what}: get({id:?}) returned a checkpoint"
        );
    }
}

pub(super) async fn rewind_deletes_what_came_after(h: Harness) {
    let thread = h.thread();
    chain(&h, &thread).await;
    let root = Namespace::root();
    let kept: Vec<_> = read_ns(&h, &thread, &root).await.split_off(2);
    assert_eq!(kept.len(), 3, "checkpoints 2, 1 and 0 before the rewind");
    assert_eq!(
        kept[0].pending_writes.len(),
        1,
        "checkpoint 2's write before the rewind"
    );

    assert_eq!(rewind(&h, &thread, Some(2)).await, 2, "rewind(2) of 0..=4");
    assert_eq!(
        h.ids(&thread, &HistoryQuery::default()).await,
        [2, 1, 0],
        "history after rewind(2)"
    );
    // Checkpoint 2 is the head again, with its pending write and the values it read: the delta
    // chain and the field written once, long before.
    assert_eq!(
        h.get(&thread, None).await,
        kept[0],
        "the head after rewind(2)"
    );
    assert_eq!(
        read_ns(&h, &thread, &root).await,
        kept,
        "kept checkpoints read as before"
    );
    for id in [3, 4] {
        assert!(
            h.try_get(&thread, Some(id)).await.is_none(),
            "get({id}) after rewind(2) returned it"
        );
    }
    let page = match h
        .store()
        .history(&thread, &root, &HistoryQuery::default())
        .await
    {
        Ok(page) => page.len(),
        Err(e) => panic!("history after rewind(2) failed: {e}"),
    };
    assert_eq!(page, 3, "a history page after rewind(2)");
}

pub(super) async fn rewind_frees_the_ids_after_it(h: Harness) {
    let thread = h.thread();
    chain(&h, &thread).await;
    assert_eq!(rewind(&h, &thread, Some(2)).await, 2, "rewind(2) of 0..=4");
    // A new checkpoint 3 writes the values the old one wrote (`log` and `b` at version 3) with
    // other bytes: the old ones must be gone, not in the way and not read.
    let next = with_fields(
        &thread,
        3,
        Some(2),
        vec![version("a", 0, 0), version("b", 3, 0), version("log", 3, 3)],
        vec![delta("log", 2, b"[30]"), snapshot("b", b"\"new\"")],
    );
    h.put(next.clone()).await;
    let values = vec![
        field("a", b"\"a0\"", &[]),
        field("b", b"\"new\"", &[]),
        field("log", b"[0]", &[b"[1]", b"[2]", b"[30]"]),
    ];
    assert_eq!(
        h.get(&thread, None).await,
        loaded(&next, values.clone(), Vec::new()),
        "a new checkpoint 3 after rewind(2), without the old one's pending write"
    );
    let fresh = write(9, WriteKind::Output, 0, b"\"fresh\"");
    h.put_writes(&thread, 3, vec![fresh.clone()]).await;
    assert_eq!(
        h.get(&thread, Some(3)).await,
        loaded(&next, values, vec![fresh]),
        "the new checkpoint 3 with a write of its own"
    );
    h.put(with_fields(
        &thread,
        4,
        Some(3),
        vec![version("a", 0, 0), version("log", 4, 4)],
        vec![delta("log", 3, b"[40]")],
    ))
    .await;
    assert_eq!(
        h.ids(&thread, &HistoryQuery::default()).await,
        [4, 3, 2, 1, 0],
        "history after new checkpoints 3 and 4"
    );
}

pub(super) async fn rewind_to_none_empties_the_root(h: Harness) {
    let thread = h.thread();
    chain(&h, &thread).await;
    h.put_writes(&thread, 0, vec![write(1, WriteKind::Effect, 0, b"1")])
        .await;
    let sub = Namespace::root().child(&NodeId::from("sub"), TaskId(0xA1));
    h.put(checkpoint_in(&thread, &sub, 0, None)).await;

    assert_eq!(rewind(&h, &thread, None).await, 5, "rewind(None) of 0..=4");
    assert_gone(
        &h,
        &thread,
        &Namespace::root(),
        "the root after rewind(None)",
    )
    .await;
    assert_gone(&h, &thread, &sub, "a subgraph after rewind(None)").await;
    // The thread starts over: no id is taken and no old pending write comes back.
    let first = checkpoint_in(&thread, &Namespace::root(), 0, None);
    h.put(first.clone()).await;
    assert_eq!(
        h.get(&thread, None).await,
        own(&first),
        "a first checkpoint again"
    );
    assert_eq!(rewind(&h, &thread, None).await, 1, "rewind(None) again");
}

/// A thread whose root has checkpoints 0..=3 and subgraph namespaces started on both sides of
/// the cut at 1 (so before root checkpoint 2 was stored, or after).
struct Subgraphs {
    /// Planned from root checkpoint 1 and started before 2; it has a checkpoint stored after
    /// 2 as well, and a pending write.
    kept: Namespace,
    /// Pending writes but no checkpoint, written after the cut.
    bare: Namespace,
    /// Started after root checkpoint 2, with a pending write nothing superseded.
    late: Namespace,
    /// A subgraph of `late`.
    inner: Namespace,
    /// Started after root checkpoint 3.
    last: Namespace,
}

async fn with_subgraphs(h: &Harness, thread: &ThreadId) -> Subgraphs {
    let sub = |task| Namespace::root().child(&NodeId::from("sub"), TaskId(task));
    let (kept, bare, late, last) = (sub(0xA1), sub(0xB0), sub(0xA2), sub(0xA4));
    let inner = late.child(&NodeId::from("inner"), TaskId(0xA3));
    let root = Namespace::root();
    for id in 0..=1 {
        h.put(checkpoint_in(thread, &root, id, id.checked_sub(1)))
            .await;
    }
    for id in 0..=1 {
        h.put(checkpoint_in(thread, &kept, id, id.checked_sub(1)))
            .await;
    }
    h.put(checkpoint_in(thread, &root, 2, Some(1))).await;
    h.put(checkpoint_in(thread, &kept, 2, Some(1))).await;
    h.put_writes_in(thread, &kept, 2, vec![write(1, WriteKind::Effect, 0, b"1")])
        .await;
    h.put_writes_in(thread, &bare, 0, vec![write(2, WriteKind::Output, 0, b"2")])
        .await;
    for id in 0..=1 {
        h.put(checkpoint_in(thread, &late, id, id.checked_sub(1)))
            .await;
    }
    h.put_writes_in(thread, &late, 0, vec![write(3, WriteKind::Output, 0, b"3")])
        .await;
    h.put(checkpoint_in(thread, &inner, 0, None)).await;
    h.put(checkpoint_in(thread, &root, 3, Some(2))).await;
    h.put(checkpoint_in(thread, &last, 0, None)).await;
    Subgraphs {
        kept,
        bare,
        late,
        inner,
        last,
    }
}

/// Checks `thread` after a rewind to 1 of what [`with_subgraphs`] made; `kept` is the `kept`
/// namespace as it read before.
async fn assert_cut_at_1(
    h: &Harness,
    thread: &ThreadId,
    subgraphs: &Subgraphs,
    kept: &[LoadedCheckpoint],
) {
    assert_eq!(
        h.ids(thread, &HistoryQuery::default()).await,
        [1, 0],
        "the root after rewind(1)"
    );
    assert_eq!(
        read_ns(h, thread, &subgraphs.kept).await,
        kept,
        "a subgraph started before the cut, with its checkpoint after it and its write"
    );
    for (ns, what) in [
        (&subgraphs.late, "a subgraph started after the cut"),
        (&subgraphs.inner, "a subgraph of one started after the cut"),
        (
            &subgraphs.last,
            "a subgraph started after a later checkpoint",
        ),
    ] {
        assert_gone(h, thread, ns, what).await;
    }
    // A namespace without checkpoints is kept with its writes, which its first checkpoint shows.
    let bare = checkpoint_in(thread, &subgraphs.bare, 0, None);
    h.put(bare.clone()).await;
    assert_eq!(
        h.get_in(thread, &subgraphs.bare, None).await.pending_writes,
        [write(2, WriteKind::Output, 0, b"2")],
        "the writes of a namespace without checkpoints"
    );
    // A deleted namespace starts over when its task runs again: no id taken, no old write.
    let again = checkpoint_in(thread, &subgraphs.late, 0, None);
    h.put(again.clone()).await;
    assert_eq!(
        h.get_in(thread, &subgraphs.late, None).await,
        own(&again),
        "a deleted subgraph written again"
    );
}

pub(super) async fn rewind_deletes_the_subgraphs_started_after_the_cut(h: Harness) {
    let thread = h.thread();
    let subgraphs = with_subgraphs(&h, &thread).await;
    let kept = read_ns(&h, &thread, &subgraphs.kept).await;
    assert_eq!(rewind(&h, &thread, Some(1)).await, 2, "rewind(1) of 0..=3");
    assert_cut_at_1(&h, &thread, &subgraphs, &kept).await;
}

pub(super) async fn a_rewound_copy_keeps_the_namespaces_its_source_would(h: Harness) {
    let (from, to) = (h.thread(), h.thread());
    let subgraphs = with_subgraphs(&h, &from).await;
    if let Err(e) = h.store().copy_thread(&from, &to).await {
        panic!("copy_thread failed: {e}");
    }
    let source = read_ns(&h, &from, &Namespace::root()).await;
    let mut kept = read_ns(&h, &from, &subgraphs.kept).await;
    for loaded in &mut kept {
        loaded.meta.thread = to.clone();
    }
    assert_eq!(rewind(&h, &to, Some(1)).await, 2, "rewind(1) of the copy");
    assert_cut_at_1(&h, &to, &subgraphs, &kept).await;
    assert_eq!(
        read_ns(&h, &from, &Namespace::root()).await,
        source,
        "the source after its copy was rewound"
    );
    assert_eq!(
        read_ns(&h, &from, &subgraphs.last).await.len(),
        1,
        "the source's subgraphs after its copy was rewound"
    );
}

pub(super) async fn rewind_of_an_unknown_thread_is_nothing(h: Harness) {
    let thread = h.thread();
    for to in [None, Some(0), Some(3)] {
        assert_eq!(
            rewind(&h, &thread, to).await,
            0,
            "rewind({to:?}) of no thread"
        );
    }
    assert_gone(&h, &thread, &Namespace::root(), "a thread never written").await;
    // A thread with a subgraph's checkpoints but none of its own has no root to rewind.
    let sub = Namespace::root().child(&NodeId::from("sub"), TaskId(0xA1));
    let only = checkpoint_in(&thread, &sub, 0, None);
    h.put(only.clone()).await;
    assert_eq!(
        rewind(&h, &thread, None).await,
        0,
        "rewind of a thread without a root"
    );
    assert_eq!(
        h.get_in(&thread, &sub, None).await,
        own(&only),
        "its subgraph"
    );
}

pub(super) async fn rewind_to_the_head_changes_nothing(h: Harness) {
    let thread = h.thread();
    chain(&h, &thread).await;
    // Planned from the head, so started after it: kept, since no root checkpoint goes.
    let sub = Namespace::root().child(&NodeId::from("sub"), TaskId(0xA1));
    h.put(checkpoint_in(&thread, &sub, 0, None)).await;
    let root = read_ns(&h, &thread, &Namespace::root()).await;
    let subgraph = read_ns(&h, &thread, &sub).await;
    for to in [4, 9] {
        assert_eq!(
            rewind(&h, &thread, Some(to)).await,
            0,
            "rewind({to}) of 0..=4"
        );
        assert_eq!(
            read_ns(&h, &thread, &Namespace::root()).await,
            root,
            "the root after rewind({to})"
        );
        assert_eq!(
            read_ns(&h, &thread, &sub).await,
            subgraph,
            "a subgraph after rewind({to})"
        );
    }
}
