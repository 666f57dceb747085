//! Cases for `put` and `get`: latest and by id, missing ones, byte-exact values, field versions,
//! delta chains, and duplicate ids.

use crate::checkpoint::{HistoryQuery, WriteKind};
use crate::testing::records::{FIELD, blob, checkpoint, delta, snapshot, version, write};
use crate::testing::support::{Harness, field, loaded, own, with_fields};

pub(super) async fn put_then_get_latest(h: Harness) {
    let thread = h.thread();
    let first = checkpoint(&thread, 0, None);
    h.put(first.clone()).await;
    assert_eq!(
        h.get(&thread, None).await,
        own(&first),
        "the latest after one put"
    );
    let mut parent = 0;
    for id in [1, 2] {
        let next = checkpoint(&thread, id, Some(parent));
        h.put(next.clone()).await;
        assert_eq!(
            h.get(&thread, None).await,
            own(&next),
            "the latest after putting {id}"
        );
        parent = id;
    }
}

pub(super) async fn get_by_id(h: Harness) {
    let thread = h.thread();
    // Ids may skip numbers (a pruned or never stored checkpoint), so one is skipped here.
    let chain = [
        checkpoint(&thread, 0, None),
        checkpoint(&thread, 1, Some(0)),
        checkpoint(&thread, 3, Some(1)),
    ];
    for stored in &chain {
        h.put(stored.clone()).await;
    }
    for stored in &chain {
        let id = stored.meta.id.0;
        assert_eq!(h.get(&thread, Some(id)).await, own(stored), "get({id})");
    }
}

pub(super) async fn get_missing_is_none(h: Harness) {
    let unknown = h.thread();
    for id in [None, Some(0)] {
        assert!(
            h.try_get(&unknown, id).await.is_none(),
            "get({id:?}) of a thread that was never written returned a checkpoint"
        );
    }
    let thread = h.thread();
    h.put(checkpoint(&thread, 0, None)).await;
    h.put(checkpoint(&thread, 2, Some(0))).await;
    for id in [1, 3, 1_000] {
        assert!(
            h.try_get(&thread, Some(id)).await.is_none(),
            "get({id}) of a thread without checkpoint {id} returned one"
        );
    }
}

pub(super) async fn values_round_trip_byte_exactly(h: Harness) {
    let thread = h.thread();
    let every_byte: Vec<u8> = (0..=255).collect();
    // Invalid UTF-8 (a lone continuation byte, a truncated sequence) and NUL bytes.
    let not_utf8: &[u8] = b"\x80\xff\x00\xc3(\xe2\x82";
    let large: Vec<u8> = (0..256 * 1024).map(|i: u32| (i * 31 % 251) as u8).collect();
    // Every checkpoint reads all four fields; only `log` changes after the first.
    let versions = |log| {
        vec![
            version("empty", 0, 0),
            version("every_byte", 0, 0),
            version("large", 0, 0),
            log,
        ]
    };
    let mut first = with_fields(
        &thread,
        0,
        None,
        versions(version("log", 0, 0)),
        vec![
            snapshot("empty", b""),
            snapshot("every_byte", &every_byte),
            snapshot("large", &large),
            snapshot("log", not_utf8),
        ],
    );
    first.frontier = blob(not_utf8);
    h.put(first.clone()).await;
    assert_eq!(h.get(&thread, Some(0)).await, own(&first), "snapshots");

    let versions_1 = versions(version("log", 1, 1));
    h.put(with_fields(
        &thread,
        1,
        Some(0),
        versions_1,
        vec![delta("log", 0, b"")],
    ))
    .await;
    let versions_2 = versions(version("log", 2, 2));
    let mut third = with_fields(
        &thread,
        2,
        Some(1),
        versions_2,
        vec![delta("log", 1, not_utf8)],
    );
    third.frontier = blob(b"");
    h.put(third.clone()).await;
    let values = vec![
        field("empty", b"", &[]),
        field("every_byte", &every_byte, &[]),
        field("large", &large, &[]),
        field("log", not_utf8, &[b"", not_utf8]),
    ];
    assert_eq!(
        h.get(&thread, Some(2)).await,
        loaded(&third, values, Vec::new()),
        "empty and non-UTF-8 deltas and an empty frontier"
    );
}

pub(super) async fn unchanged_fields_keep_their_version(h: Harness) {
    let thread = h.thread();
    let chain = [
        with_fields(
            &thread,
            0,
            None,
            vec![version("a", 0, 0), version("b", 0, 0)],
            vec![snapshot("a", b"\"a0\""), snapshot("b", b"\"b0\"")],
        ),
        with_fields(
            &thread,
            1,
            Some(0),
            vec![version("a", 0, 0), version("b", 1, 0)],
            vec![snapshot("b", b"\"b1\"")],
        ),
        // Nothing changed in this superstep: it writes no value at all.
        with_fields(
            &thread,
            2,
            Some(1),
            vec![version("a", 0, 0), version("b", 1, 0)],
            Vec::new(),
        ),
        with_fields(
            &thread,
            3,
            Some(2),
            vec![version("a", 0, 0), version("b", 1, 0), version("c", 3, 0)],
            vec![snapshot("c", b"\"c3\"")],
        ),
    ];
    for stored in &chain {
        h.put(stored.clone()).await;
    }
    let a0 = field("a", b"\"a0\"", &[]);
    let b1 = field("b", b"\"b1\"", &[]);
    let expected = [
        vec![a0.clone(), field("b", b"\"b0\"", &[])],
        vec![a0.clone(), b1.clone()],
        vec![a0.clone(), b1.clone()],
        vec![a0, b1, field("c", b"\"c3\"", &[])],
    ];
    for (stored, values) in chain.iter().zip(expected) {
        let id = stored.meta.id.0;
        assert_eq!(
            h.get(&thread, Some(id)).await,
            loaded(stored, values, Vec::new()),
            "get({id}) must read unchanged fields at the version that wrote them"
        );
    }
}

pub(super) async fn delta_chains_load_oldest_first(h: Harness) {
    let thread = h.thread();
    let chain = [
        with_fields(
            &thread,
            0,
            None,
            vec![version("log", 0, 0)],
            vec![snapshot("log", b"[\"s\"]")],
        ),
        with_fields(
            &thread,
            1,
            Some(0),
            vec![version("log", 1, 1)],
            vec![delta("log", 0, b"[\"d1\"]")],
        ),
        // `log` did not change here; another field did.
        with_fields(
            &thread,
            2,
            Some(1),
            vec![version("log", 1, 1), version("x", 2, 0)],
            vec![snapshot("x", b"2")],
        ),
        with_fields(
            &thread,
            3,
            Some(2),
            vec![version("log", 3, 2), version("x", 2, 0)],
            vec![delta("log", 1, b"[\"d3\"]")],
        ),
        with_fields(
            &thread,
            4,
            Some(3),
            vec![version("log", 4, 3), version("x", 2, 0)],
            vec![delta("log", 3, b"[\"d4a\",\"d4b\"]")],
        ),
    ];
    for stored in &chain {
        h.put(stored.clone()).await;
    }
    let x = field("x", b"2", &[]);
    let expected = [
        vec![field("log", b"[\"s\"]", &[])],
        vec![field("log", b"[\"s\"]", &[b"[\"d1\"]"])],
        vec![field("log", b"[\"s\"]", &[b"[\"d1\"]"]), x.clone()],
        vec![
            field("log", b"[\"s\"]", &[b"[\"d1\"]", b"[\"d3\"]"]),
            x.clone(),
        ],
        vec![
            field(
                "log",
                b"[\"s\"]",
                &[b"[\"d1\"]", b"[\"d3\"]", b"[\"d4a\",\"d4b\"]"],
            ),
            x,
        ],
    ];
    for (stored, values) in chain.iter().zip(expected) {
        let id = stored.meta.id.0;
        assert_eq!(
            h.get(&thread, Some(id)).await,
            loaded(stored, values, Vec::new()),
            "get({id}) must return the snapshot and the deltas after it, oldest first"
        );
    }
}

pub(super) async fn a_snapshot_cuts_the_delta_chain(h: Harness) {
    let thread = h.thread();
    let log =
        |id, parent, version, write| with_fields(&thread, id, parent, vec![version], vec![write]);
    let chain = [
        log(0, None, version("log", 0, 0), snapshot("log", b"[0]")),
        log(1, Some(0), version("log", 1, 1), delta("log", 0, b"[1]")),
        log(2, Some(1), version("log", 2, 2), delta("log", 1, b"[2]")),
        // A new snapshot: reads of it and of later checkpoints never go further back.
        log(
            3,
            Some(2),
            version("log", 3, 0),
            snapshot("log", b"[0,1,2,3]"),
        ),
        log(4, Some(3), version("log", 4, 1), delta("log", 3, b"[4]")),
        log(5, Some(4), version("log", 5, 2), delta("log", 4, b"[5]")),
    ];
    for stored in &chain {
        h.put(stored.clone()).await;
    }
    let expected = [
        (2, field("log", b"[0]", &[b"[1]", b"[2]"])),
        (3, field("log", b"[0,1,2,3]", &[])),
        (5, field("log", b"[0,1,2,3]", &[b"[4]", b"[5]"])),
    ];
    for (id, value) in expected {
        assert_eq!(
            h.get(&thread, Some(id)).await,
            loaded(&chain[id as usize], vec![value], Vec::new()),
            "get({id}) must stop at the nearest snapshot"
        );
    }
}

pub(super) async fn duplicate_ids_are_rejected(h: Harness) {
    let thread = h.thread();
    let first = checkpoint(&thread, 0, None);
    let second = checkpoint(&thread, 1, Some(0));
    h.put(first.clone()).await;
    h.put(second.clone()).await;
    // Writes for checkpoint 0 made after its child was stored; a rejected put of another child
    // must not clear them.
    let pending = write(7, WriteKind::Output, 0, b"{}");
    h.put_writes(&thread, 0, vec![pending.clone()]).await;

    for original in [&first, &second] {
        let id = original.meta.id;
        let mut duplicate = with_fields(
            &thread,
            id.0,
            original.meta.parent.map(|p| p.0),
            vec![version(FIELD, id.0, 0), version("other", id.0, 0)],
            vec![snapshot(FIELD, b"\"duplicate\""), snapshot("other", b"1")],
        );
        duplicate.frontier = blob(b"{\"duplicate\":true}");
        duplicate
            .meta
            .metadata
            .insert("duplicate".into(), true.into());
        assert!(
            h.store().put(duplicate).await.is_err(),
            "a second put of checkpoint {id} succeeded"
        );
    }
    let mut expected_first = own(&first);
    expected_first.pending_writes = vec![pending];
    assert_eq!(
        h.get(&thread, Some(0)).await,
        expected_first,
        "checkpoint 0 (and its writes) after rejected duplicates"
    );
    assert_eq!(
        h.get(&thread, Some(1)).await,
        own(&second),
        "checkpoint 1 after a rejected duplicate"
    );
    assert_eq!(
        h.ids(&thread, &HistoryQuery::default()).await,
        [1, 0],
        "history after rejected duplicates"
    );
}
