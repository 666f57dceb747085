//! Cases for pending writes: the round trip, idempotence by key, and which writes a `put`
//! supersedes.

use crate::checkpoint::{PendingWrite, Source, WriteKind};
use crate::ids::{NodeId, ThreadId};
use crate::testing::records::{checkpoint, write};
use crate::testing::support::{Harness, sort_writes};

const KINDS: [WriteKind; 6] = [
    WriteKind::Output,
    WriteKind::Error,
    WriteKind::Interrupt,
    WriteKind::Resume,
    WriteKind::Effect,
    WriteKind::Failure,
];

/// Puts checkpoints 0..=`last`, each made from the one before.
async fn put_chain(h: &Harness, thread: &ThreadId, last: u64) {
    h.put(checkpoint(thread, 0, None)).await;
    for id in 1..=last {
        h.put(checkpoint(thread, id, Some(id - 1))).await;
    }
}

/// Asserts the pending writes `get(id)` returns, as a set.
async fn assert_writes(
    h: &Harness,
    thread: &ThreadId,
    id: Option<u64>,
    mut expected: Vec<PendingWrite>,
    what: &str,
) {
    sort_writes(&mut expected);
    assert_eq!(
        h.get(thread, id).await.pending_writes,
        expected,
        "pending writes of get({id:?}): {what}"
    );
}

fn from_node(node: &str, write: PendingWrite) -> PendingWrite {
    PendingWrite {
        node: NodeId::from(node),
        ..write
    }
}

pub(super) async fn writes_round_trip(h: Harness) {
    let thread = h.thread();
    put_chain(&h, &thread, 1).await;
    let first = vec![
        from_node(
            "book",
            write(1, WriteKind::Output, 0, br#"{"update":{"n":1}}"#),
        ),
        from_node(
            "book",
            write(1, WriteKind::Effect, 0, br#"{"name":"charge"}"#),
        ),
        from_node(
            "pay",
            write(2, WriteKind::Error, 0, br#"{"message":"card declined"}"#),
        ),
        from_node(
            "ask ✓",
            write(3, WriteKind::Interrupt, 0, br#"{"question":"ok?"}"#),
        ),
        from_node("ask ✓", write(3, WriteKind::Resume, 0, br#""yes""#)),
    ];
    // Task ids are 128-bit hashes and use every bit; slots are u32.
    let second = vec![
        write(u128::MAX, WriteKind::Effect, u32::MAX, b""),
        write(1 << 127, WriteKind::Output, 0, b"\x80\xff\x00\xc3("),
    ];
    h.put_writes(&thread, 1, first.clone()).await;
    h.put_writes(&thread, 1, second.clone()).await;
    let all = [first, second].concat();
    assert_writes(&h, &thread, None, all.clone(), "the latest").await;
    assert_writes(&h, &thread, Some(1), all, "by id").await;
    assert_writes(&h, &thread, Some(0), Vec::new(), "another checkpoint").await;
}

pub(super) async fn writes_are_idempotent_by_key(h: Harness) {
    let thread = h.thread();
    put_chain(&h, &thread, 0).await;
    let round = |value: &str| -> Vec<PendingWrite> {
        KINDS
            .iter()
            .map(|&kind| write(9, kind, 2, value.as_bytes()))
            .collect()
    };
    h.put_writes(&thread, 0, round("\"first\"")).await;
    for later in ["\"second\"", "\"third\""] {
        h.put_writes(&thread, 0, round(later)).await;
        let expected = KINDS
            .iter()
            .map(|&kind| {
                let kept = if kind.replaces() { later } else { "\"first\"" };
                write(9, kind, 2, kept.as_bytes())
            })
            .collect();
        let what = format!(
            "after writing the same keys again with {later}: outputs and effects keep the first \
             value, errors, interrupts and answers take the latest"
        );
        assert_writes(&h, &thread, Some(0), expected, &what).await;
    }
}

pub(super) async fn writes_with_different_keys_coexist(h: Harness) {
    let (thread, other) = (h.thread(), h.thread());
    put_chain(&h, &thread, 1).await;
    put_chain(&h, &other, 0).await;
    let mut writes: Vec<_> = KINDS.iter().map(|&kind| write(1, kind, 0, b"1")).collect();
    writes.extend((1..3).map(|slot| write(1, WriteKind::Effect, slot, b"2")));
    writes.extend((1..3).map(|slot| write(1, WriteKind::Resume, slot, b"3")));
    writes.extend((2..5).map(|task| write(task, WriteKind::Output, 0, b"4")));
    for w in &writes {
        h.put_writes(&thread, 1, vec![w.clone()]).await;
    }
    // The same key under another checkpoint or thread is another write.
    let elsewhere = |value: &[u8]| vec![write(1, WriteKind::Output, 0, value)];
    h.put_writes(&thread, 0, elsewhere(b"\"checkpoint 0\""))
        .await;
    h.put_writes(&other, 0, elsewhere(b"\"other thread\""))
        .await;

    assert_writes(&h, &thread, Some(1), writes, "distinct keys").await;
    let what = "the same key under another checkpoint";
    assert_writes(&h, &thread, Some(0), elsewhere(b"\"checkpoint 0\""), what).await;
    let what = "the same key under another thread";
    assert_writes(&h, &other, Some(0), elsewhere(b"\"other thread\""), what).await;
}

pub(super) async fn a_child_clears_its_parents_writes(h: Harness) {
    let (thread, other) = (h.thread(), h.thread());
    put_chain(&h, &thread, 0).await;
    put_chain(&h, &other, 0).await;
    let writes = vec![
        write(1, WriteKind::Output, 0, b"{}"),
        write(2, WriteKind::Interrupt, 0, b"{}"),
    ];
    h.put_writes(&thread, 0, writes.clone()).await;
    h.put_writes(&other, 0, writes.clone()).await;
    h.put(checkpoint(&thread, 1, Some(0))).await;

    let what = "a checkpoint whose child was put";
    assert_writes(&h, &thread, Some(0), Vec::new(), what).await;
    assert_writes(&h, &thread, Some(1), Vec::new(), "the new child").await;
    let what = "checkpoint 0 of another thread, whose child was not put";
    assert_writes(&h, &other, Some(0), writes, what).await;
}

pub(super) async fn unsuperseded_writes_stay(h: Harness) {
    let thread = h.thread();
    put_chain(&h, &thread, 2).await;
    let on_1 = vec![write(1, WriteKind::Output, 0, b"1")];
    let on_2 = vec![write(2, WriteKind::Interrupt, 0, b"2")];
    // Checkpoint 1's child was put before these writes, so nothing supersedes them yet.
    h.put_writes(&thread, 1, on_1.clone()).await;
    h.put_writes(&thread, 2, on_2.clone()).await;
    assert_writes(&h, &thread, Some(1), on_1, "an older checkpoint").await;

    // A fork from checkpoint 1 supersedes its writes but not those of checkpoint 2.
    let mut fork = checkpoint(&thread, 3, Some(1));
    fork.meta.source = Source::Fork;
    h.put(fork).await;
    let what = "the parent of a newer checkpoint";
    assert_writes(&h, &thread, Some(1), Vec::new(), what).await;
    let what = "an older checkpoint no put named as parent";
    assert_writes(&h, &thread, Some(2), on_2, what).await;
    assert_writes(&h, &thread, None, Vec::new(), "the fork").await;
}
