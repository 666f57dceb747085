//! Cases for namespaces: a thread's root graph and each subgraph keep independent histories
//! (ids, latest checkpoint, pending writes, listing, retention), while deleting or copying the
//! thread takes all of them.

use crate::checkpoint::{HistoryQuery, WriteKind};
use crate::ids::{Namespace, NodeId, TaskId, ThreadId};
use crate::testing::records::{checkpoint_in, write};
use crate::testing::support::{Harness, loaded, own};

/// A child namespace of the root (`sub:<task>`) and a grandchild under it (`sub:..|inner:..`).
fn namespaces() -> [Namespace; 3] {
    let child = Namespace::root().child(&NodeId::from("sub"), TaskId(0xC1));
    let grandchild = child.child(&NodeId::from("inner"), TaskId(0xC2));
    [Namespace::root(), child, grandchild]
}

/// Puts checkpoints 0..=`last` of `ns`, each made from the one before.
async fn put_chain(h: &Harness, thread: &ThreadId, ns: &Namespace, last: u64) {
    h.put(checkpoint_in(thread, ns, 0, None)).await;
    for id in 1..=last {
        h.put(checkpoint_in(thread, ns, id, Some(id - 1))).await;
    }
}

pub(super) async fn namespaces_are_separate_histories(h: Harness) {
    let thread = h.thread();
    let [root, child, grandchild] = namespaces();
    // Ids overlap across namespaces: each counts from 0.
    put_chain(&h, &thread, &root, 2).await;
    put_chain(&h, &thread, &child, 1).await;
    put_chain(&h, &thread, &grandchild, 0).await;
    for (ns, last) in [(&root, 2), (&child, 1), (&grandchild, 0)] {
        assert_eq!(
            h.get_in(&thread, ns, None).await,
            own(&checkpoint_in(&thread, ns, last, last.checked_sub(1))),
            "the latest of {ns:?}"
        );
        assert_eq!(
            h.get_in(&thread, ns, Some(0)).await,
            own(&checkpoint_in(&thread, ns, 0, None)),
            "checkpoint 0 of {ns:?}"
        );
        let ids: Vec<u64> = h
            .list_in(&thread, ns, &HistoryQuery::default())
            .await
            .iter()
            .map(|meta| meta.id.0)
            .collect();
        assert_eq!(ids, (0..=last).rev().collect::<Vec<_>>(), "list of {ns:?}");
    }
    let other = Namespace::root().child(&NodeId::from("sub"), TaskId(0xC3));
    assert!(
        h.try_get_in(&thread, &other, None).await.is_none(),
        "a namespace with no checkpoint returned one"
    );
    assert!(
        h.list_in(&thread, &other, &HistoryQuery::default())
            .await
            .is_empty(),
        "a namespace with no checkpoint listed some"
    );
    // A duplicate is per namespace.
    assert!(
        h.store()
            .put(checkpoint_in(&thread, &child, 1, Some(0)))
            .await
            .is_err(),
        "a second checkpoint 1 in the same namespace was accepted"
    );
}

/// What a replay from a subgraph's checkpoint reads (`RunConfig::at_checkpoint`): the
/// subgraph's history with each checkpoint's `next`, and any older checkpoint of it by id,
/// with its own values, frontier and pending writes.
pub(super) async fn an_older_checkpoint_of_a_namespace_reads_as_it_was(h: Harness) {
    let thread = h.thread();
    let [root, child, _] = namespaces();
    put_chain(&h, &thread, &root, 3).await;
    let mut stored = Vec::new();
    for id in 0..=3u64 {
        let mut checkpoint = checkpoint_in(&thread, &child, id, id.checked_sub(1));
        checkpoint.meta.next = vec![NodeId::from(format!("n{id}"))];
        h.put(checkpoint.clone()).await;
        stored.push(checkpoint);
    }
    let task = TaskId(0xA1);
    let pending = write(task.0, WriteKind::Output, 0, b"\"kept\"");
    h.put_writes_in(&thread, &child, 3, vec![pending.clone()])
        .await;
    for (id, checkpoint) in stored.iter().enumerate().take(3) {
        assert_eq!(
            h.get_in(&thread, &child, Some(id as u64)).await,
            own(checkpoint),
            "checkpoint {id} of the child"
        );
    }
    let mut latest = own(&stored[3]);
    latest.pending_writes = vec![pending];
    assert_eq!(h.get_in(&thread, &child, None).await, latest);
    let query = HistoryQuery {
        before: Some(crate::ids::CheckpointId(3)),
        limit: Some(2),
        ..HistoryQuery::default()
    };
    let listed: Vec<(u64, Vec<NodeId>)> = h
        .list_in(&thread, &child, &query)
        .await
        .into_iter()
        .map(|meta| (meta.id.0, meta.next))
        .collect();
    assert_eq!(
        listed,
        [(2, vec![NodeId::from("n2")]), (1, vec![NodeId::from("n1")])]
    );
}

pub(super) async fn pending_writes_are_per_namespace(h: Harness) {
    let thread = h.thread();
    let [root, child, _] = namespaces();
    put_chain(&h, &thread, &root, 0).await;
    put_chain(&h, &thread, &child, 0).await;
    // The same key in both namespaces: neither replaces nor hides the other.
    let in_root = write(1, WriteKind::Output, 0, b"\"root\"");
    let in_child = write(1, WriteKind::Output, 0, b"\"child\"");
    h.put_writes_in(&thread, &root, 0, vec![in_root.clone()])
        .await;
    h.put_writes_in(&thread, &child, 0, vec![in_child.clone()])
        .await;
    let expect = |ns: &Namespace, writes| {
        loaded(
            &checkpoint_in(&thread, ns, 0, None),
            own(&checkpoint_in(&thread, ns, 0, None)).values,
            writes,
        )
    };
    assert_eq!(
        h.get_in(&thread, &root, Some(0)).await,
        expect(&root, vec![in_root.clone()]),
        "the root's writes"
    );
    assert_eq!(
        h.get_in(&thread, &child, Some(0)).await,
        expect(&child, vec![in_child]),
        "the child's writes"
    );
    // A child checkpoint supersedes the child's writes only.
    h.put(checkpoint_in(&thread, &child, 1, Some(0))).await;
    assert!(
        h.get_in(&thread, &child, Some(0))
            .await
            .pending_writes
            .is_empty(),
        "the child's writes after its next checkpoint"
    );
    assert_eq!(
        h.get_in(&thread, &root, Some(0)).await.pending_writes,
        vec![in_root],
        "the root's writes after the child's next checkpoint"
    );
}

pub(super) async fn delete_thread_removes_every_namespace(h: Harness) {
    let (doomed, other) = (h.thread(), h.thread());
    let all = namespaces();
    for thread in [&doomed, &other] {
        for ns in &all {
            put_chain(&h, thread, ns, 1).await;
            h.put_writes_in(thread, ns, 1, vec![write(1, WriteKind::Effect, 0, b"1")])
                .await;
        }
    }
    if let Err(e) = h.store().delete_thread(&doomed).await {
        panic!("delete_thread failed: {e}");
    }
    for ns in &all {
        assert!(
            h.try_get_in(&doomed, ns, None).await.is_none(),
            "{ns:?} of a deleted thread still has a checkpoint"
        );
        assert_eq!(
            h.get_in(&other, ns, None).await.pending_writes.len(),
            1,
            "{ns:?} of another thread after a delete"
        );
    }
}

pub(super) async fn copy_thread_copies_every_namespace(h: Harness) {
    let (from, to) = (h.thread(), h.thread());
    let all = namespaces();
    for ns in &all {
        put_chain(&h, &from, ns, 1).await;
        h.put_writes_in(&from, ns, 1, vec![write(2, WriteKind::Output, 0, b"{}")])
            .await;
    }
    if let Err(e) = h.store().copy_thread(&from, &to).await {
        panic!("copy_thread failed: {e}");
    }
    for ns in &all {
        let mut source = h.get_in(&from, ns, None).await;
        source.meta.thread = to.clone();
        assert_eq!(
            h.get_in(&to, ns, None).await,
            source,
            "{ns:?} of the copy, with its values and pending writes"
        );
        let ids: Vec<u64> = h
            .list_in(&to, ns, &HistoryQuery::default())
            .await
            .iter()
            .map(|meta| meta.id.0)
            .collect();
        assert_eq!(ids, [1, 0], "the history of {ns:?} in the copy");
    }
    // A target that has checkpoints only in a child namespace is not empty either.
    let (source, target) = (h.thread(), h.thread());
    put_chain(&h, &source, &all[0], 0).await;
    put_chain(&h, &target, &all[1], 0).await;
    assert!(
        h.store().copy_thread(&source, &target).await.is_err(),
        "a copy into a thread with a subgraph's checkpoints was accepted"
    );
}

pub(super) async fn prune_keeps_the_newest_of_each_namespace(h: Harness) {
    let thread = h.thread();
    let [root, child, _] = namespaces();
    put_chain(&h, &thread, &root, 5).await;
    put_chain(&h, &thread, &child, 3).await;
    match h.store().prune(&thread, 2).await {
        Ok(deleted) => assert_eq!(deleted, 4 + 2, "prune(2) must count both namespaces"),
        Err(e) => panic!("prune(2) failed: {e}"),
    }
    for (ns, kept) in [(&root, [5, 4]), (&child, [3, 2])] {
        let ids: Vec<u64> = h
            .list_in(&thread, ns, &HistoryQuery::default())
            .await
            .iter()
            .map(|meta| meta.id.0)
            .collect();
        assert_eq!(ids, kept, "{ns:?} after prune(2)");
    }
}
