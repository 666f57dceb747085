//! Cases for `list`: order, limit, paging with `before`, metadata filters, and the exact
//! round trip of a checkpoint's description.

use serde_json::{Value, json};

use crate::checkpoint::{Breakpoint, CheckpointMeta, HistoryQuery, Metadata, Source};
use crate::ids::{CheckpointId, ThreadId};
use crate::testing::records::checkpoint;
use crate::testing::support::Harness;

/// Puts a chain with the given ids, each made from the one before; returns their descriptions.
async fn put_chain(h: &Harness, thread: &ThreadId, ids: &[u64]) -> Vec<CheckpointMeta> {
    let mut metas = Vec::new();
    let mut parent = None;
    for &id in ids {
        let stored = checkpoint(thread, id, parent);
        metas.push(stored.meta.clone());
        h.put(stored).await;
        parent = Some(id);
    }
    metas
}

fn query(limit: Option<usize>, before: Option<u64>, filter: Value) -> HistoryQuery {
    HistoryQuery {
        limit,
        before: before.map(CheckpointId),
        filter: object(filter),
    }
}

pub(super) async fn list_is_newest_first(h: Harness) {
    let unknown = h.thread();
    assert!(
        h.list(&unknown, &HistoryQuery::default()).await.is_empty(),
        "list of a thread that was never written"
    );
    let thread = h.thread();
    let mut metas = put_chain(&h, &thread, &[0, 1, 2, 3, 4]).await;
    metas.reverse();
    assert_eq!(
        h.list(&thread, &HistoryQuery::default()).await,
        metas,
        "list must return every checkpoint's description, newest first"
    );
}

pub(super) async fn list_limit(h: Harness) {
    let thread = h.thread();
    put_chain(&h, &thread, &[0, 1, 2, 3, 4]).await;
    for (limit, expected) in [
        (0, vec![]),
        (1, vec![4]),
        (2, vec![4, 3]),
        (5, vec![4, 3, 2, 1, 0]),
        (50, vec![4, 3, 2, 1, 0]),
    ] {
        let ids = h.ids(&thread, &query(Some(limit), None, json!({}))).await;
        assert_eq!(ids, expected, "list with limit {limit}");
    }
}

pub(super) async fn list_pages_with_before(h: Harness) {
    let thread = h.thread();
    // Ids with gaps, as after a prune or a run that stored only some supersteps.
    let all = [0, 1, 2, 4, 7, 8, 11, 12, 15, 20];
    put_chain(&h, &thread, &all).await;
    let newest_first: Vec<u64> = all.iter().rev().copied().collect();

    for (before, expected) in [
        (0, vec![]),
        (1, vec![0]),
        (4, vec![2, 1, 0]),
        (5, vec![4, 2, 1, 0]),
        (1_000, newest_first.clone()),
    ] {
        let ids = h.ids(&thread, &query(None, Some(before), json!({}))).await;
        assert_eq!(ids, expected, "list with before {before}");
    }

    let mut paged = Vec::new();
    let mut cursor = None;
    for _ in 0..=all.len() {
        let page = h.ids(&thread, &query(Some(3), cursor, json!({}))).await;
        assert!(page.len() <= 3, "a page of limit 3 had {} ids", page.len());
        let Some(&last) = page.last() else { break };
        paged.extend(page);
        cursor = Some(last);
    }
    assert_eq!(
        paged, newest_first,
        "pages of 3, each before the last id of the previous, must concatenate to the history"
    );
}

pub(super) async fn list_filters_by_metadata(h: Harness) {
    let thread = h.thread();
    let metadata = [
        json!({"user": "ann"}),
        json!({"user": "bob", "tags": ["x", "y"]}),
        json!({"user": "ann", "nested": {"a": 1, "b": [true]}}),
        json!({}),
        json!({"user": "ann", "n": 1, "flag": null}),
    ];
    let mut parent = None;
    for (id, metadata) in (0..).zip(metadata) {
        let mut stored = checkpoint(&thread, id, parent);
        stored.meta.metadata = object(metadata);
        h.put(stored).await;
        parent = Some(id);
    }
    let cases = [
        (query(None, None, json!({"user": "ann"})), vec![4, 2, 0]),
        (query(Some(2), None, json!({"user": "ann"})), vec![4, 2]),
        (query(None, Some(4), json!({"user": "ann"})), vec![2, 0]),
        (query(Some(1), Some(4), json!({"user": "ann"})), vec![2]),
        (query(None, None, json!({"user": "nobody"})), vec![]),
        (query(None, None, json!({"tags": ["x", "y"]})), vec![1]),
        (query(None, None, json!({"tags": ["y", "x"]})), vec![]),
        (
            query(None, None, json!({"nested": {"b": [true], "a": 1}})),
            vec![2],
        ),
        (query(None, None, json!({"user": "ann", "n": 1})), vec![4]),
        (query(None, None, json!({"n": "1"})), vec![]),
        (query(None, None, json!({"flag": null})), vec![4]),
        (
            query(None, None, json!({"user": "ann", "missing": 1})),
            vec![],
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(
            h.ids(&thread, &query).await,
            expected,
            "list with filter {:?}, limit {:?}, before {:?}",
            query.filter,
            query.limit,
            query.before
        );
    }
}

pub(super) async fn list_filters_by_source_and_step(h: Harness) {
    let thread = h.thread();
    let sources = [
        Source::Input,
        Source::Loop,
        Source::Loop,
        Source::Update,
        Source::Fork,
        Source::Loop,
    ];
    let mut parent = None;
    for (id, source) in (0..).zip(sources) {
        let mut stored = checkpoint(&thread, id, parent);
        stored.meta.source = source;
        if id == 5 {
            // User metadata with the special keys must not be what the filter matches.
            stored.meta.metadata = object(json!({"source": "update", "step": 0}));
        }
        h.put(stored).await;
        parent = Some(id);
    }
    // `checkpoint` gives id N step N - 1.
    let cases = [
        (json!({"source": "loop"}), vec![5, 2, 1]),
        (json!({"source": "input"}), vec![0]),
        (json!({"source": "update"}), vec![3]),
        (json!({"source": "fork"}), vec![4]),
        (json!({"source": "nonsense"}), vec![]),
        (json!({"step": -1}), vec![0]),
        (json!({"step": 0}), vec![1]),
        (json!({"step": 4}), vec![5]),
        (json!({"source": "loop", "step": 1}), vec![2]),
        (json!({"source": "update", "step": 1}), vec![]),
    ];
    for (filter, expected) in cases {
        let ids = h.ids(&thread, &query(None, None, filter.clone())).await;
        assert_eq!(ids, expected, "list with filter {filter}");
    }
}

pub(super) async fn metadata_round_trips(h: Harness) {
    let thread = h.thread();
    let mut metas = Vec::new();
    let variants = [
        (Source::Input, None, -1, 0),
        (Source::Loop, Some(Breakpoint::Before), 0, 1),
        (
            Source::Update,
            Some(Breakpoint::After),
            41,
            1_712_345_678_901,
        ),
        (Source::Fork, None, 7, u64::from(u32::MAX) * 1_000),
    ];
    let mut parent = None;
    for (id, (source, breakpoint, step, created_at_ms)) in (0..).zip(variants) {
        let mut stored = checkpoint(&thread, id, parent);
        stored.meta.source = source;
        stored.meta.breakpoint = breakpoint;
        stored.meta.step = step;
        stored.meta.created_at_ms = created_at_ms;
        if id > 0 {
            // Task order, not sorted: it must come back as stored.
            stored.meta.next = vec!["zeta".into(), "alpha".into(), "ünïcode ✓".into()];
            stored.meta.writers = vec!["b".into(), "a".into()];
            stored.meta.metadata = object(json!({
                "user": "ann",
                "unicode": "日本語 ✓",
                "nested": {"list": [1, -2, 0.5, null, false], "empty": {}},
                "empty_list": [],
                "none": null,
                "quote": "\"'\\\n",
            }));
        }
        metas.push(stored.meta.clone());
        h.put(stored).await;
        parent = Some(id);
    }
    for meta in &metas {
        let id = meta.id.0;
        assert_eq!(&h.get(&thread, Some(id)).await.meta, meta, "get({id}).meta");
    }
    metas.reverse();
    assert_eq!(
        h.list(&thread, &HistoryQuery::default()).await,
        metas,
        "the descriptions list returns"
    );
}

/// The map of a JSON object literal.
fn object(value: Value) -> Metadata {
    let Value::Object(map) = value else {
        panic!("metadata and filters are JSON objects");
    };
    map
}

pub(super) async fn history_pages_read_as_list_then_get(h: Harness) {
    use crate::checkpoint::WriteKind;
    use crate::testing::records::{delta, snapshot, version, write};
    use crate::testing::support::{normalize, with_fields};

    let thread = h.thread();
    let mut filtered = checkpoint(&thread, 5, Some(4));
    filtered.meta.metadata = object(json!({"tag": "x"}));
    // A fork's delta onto an old version (2), with rows of another branch (3, 4) in between.
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
        with_fields(
            &thread,
            2,
            Some(1),
            vec![version("log", 2, 2), version("x", 2, 0)],
            vec![delta("log", 1, b"[\"d2\"]"), snapshot("x", b"2")],
        ),
        with_fields(
            &thread,
            3,
            Some(2),
            vec![version("log", 3, 0), version("x", 2, 0)],
            vec![snapshot("log", b"[\"s3\"]")],
        ),
        with_fields(
            &thread,
            4,
            Some(3),
            vec![version("log", 4, 1), version("x", 2, 0)],
            vec![delta("log", 3, b"[\"d4\"]")],
        ),
        filtered,
        with_fields(
            &thread,
            6,
            Some(2),
            vec![version("log", 6, 3), version("x", 2, 0)],
            vec![delta("log", 2, b"[\"fork\"]")],
        ),
    ];
    for stored in chain {
        h.put(stored).await;
    }
    h.put_writes(
        &thread,
        6,
        vec![
            write(7, WriteKind::Interrupt, 0, b"\"ask\""),
            write(8, WriteKind::Output, 0, b"{}"),
        ],
    )
    .await;
    let ns = crate::ids::Namespace::root();
    for query in [
        HistoryQuery::default(),
        query(Some(1), None, json!({})),
        query(Some(3), Some(6), json!({})),
        query(Some(2), Some(2), json!({})),
        query(None, None, json!({"tag": "x"})),
        query(Some(2), None, json!({"source": "loop"})),
        query(Some(0), None, json!({})),
    ] {
        let page = h
            .store()
            .history(&thread, &ns, &query)
            .await
            .expect("history");
        let metas = h.list(&thread, &query).await;
        let mut expected = Vec::new();
        for meta in &metas {
            expected.push(normalize(h.get(&thread, Some(meta.id.0)).await));
        }
        let page: Vec<_> = page.into_iter().map(normalize).collect();
        assert_eq!(
            page, expected,
            "history with {query:?} must equal list then get of each"
        );
    }
    let unknown = h.thread();
    assert!(
        h.store()
            .history(&unknown, &ns, &HistoryQuery::default())
            .await
            .expect("history")
            .is_empty()
    );
}
