//! Cases for threads: creation, reads, updates, searches (filters, order, pages), counts and
//! deletion with everything below a thread.

use serde_json::{Value, json};

use super::support::{Harness, all, end, event, run, thread};
use crate::records::{RunStatus, ThreadQuery, ThreadRecord, ThreadSort, ThreadStatus};

pub(super) async fn create_thread_refuses_a_taken_id(h: Harness) {
    let first = thread("t-1", 10, json!({"owner": "first"}));
    assert!(h.create(&first).await, "a new id is created");
    let second = ThreadRecord {
        status: ThreadStatus::Busy,
        ..thread("t-1", 20, json!({"owner": "second"}))
    };
    assert!(!h.create(&second).await, "a taken id answers false");
    assert_eq!(
        h.thread("t-1").await,
        Some(first),
        "a refused create writes nothing"
    );
}

pub(super) async fn threads_round_trip(h: Harness) {
    let threads = [
        ThreadRecord {
            graph_id: Some("hotel".into()),
            status: ThreadStatus::Interrupted,
            updated_at_ms: 1_700_000_000_123,
            ..thread(
                "it's \"quoted\"; -- é",
                1_700_000_000_000,
                json!({"graph_id": "hotel", "nested": {"b": [1, 2.5, null], "a": true},
                       "text": "line\nbreak \u{1F600}", "n": 1.0, "m": -7}),
            )
        },
        thread("plain", 0, json!({})),
        ThreadRecord {
            status: ThreadStatus::Error,
            ..thread("errored", -5, json!({"x": null}))
        },
    ];
    h.create_all(&threads).await;
    for expected in &threads {
        assert_eq!(h.thread(&expected.thread_id).await.as_ref(), Some(expected));
    }
    assert_eq!(h.thread("missing").await, None);
}

pub(super) async fn update_thread_keeps_id_and_creation(h: Harness) {
    let original = thread("t-1", 10, json!({"a": 1}));
    h.create_all(std::slice::from_ref(&original)).await;
    let changed = ThreadRecord {
        created_at_ms: 999,
        updated_at_ms: 50,
        metadata: json!({"b": {"c": 2}})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        graph_id: Some("approval".into()),
        status: ThreadStatus::Busy,
        ..original.clone()
    };
    h.update(&changed).await;
    let expected = ThreadRecord {
        created_at_ms: original.created_at_ms,
        ..changed
    };
    assert_eq!(
        h.thread("t-1").await,
        Some(expected),
        "all but creation change"
    );

    // Back to no graph: `None` is stored, not ignored.
    let cleared = ThreadRecord {
        graph_id: None,
        ..original.clone()
    };
    h.update(&cleared).await;
    assert_eq!(h.thread("t-1").await.and_then(|t| t.graph_id), None);

    h.update(&thread("missing", 1, json!({}))).await;
    assert_eq!(h.thread("missing").await, None, "an update creates nothing");
}

/// Filter → the ids it must find (sorted by id).
fn metadata_filters() -> Vec<(Value, Vec<&'static str>)> {
    vec![
        (json!({"user": "a"}), vec!["int", "list"]),
        (json!({"n": 1}), vec!["int"]),
        (json!({"n": 1.0}), vec!["float"]),
        (json!({"n": 2.5}), vec!["frac"]),
        (json!({"user": "a", "n": 1}), vec!["int"]),
        (json!({"user": "b", "n": 1}), vec![]),
        (json!({"nested": {"x": 1}}), vec!["small"]),
        (json!({"nested": {"y": [1, 2], "x": 1}}), vec!["big"]),
        (json!({"nested": {"x": 1.0}}), vec![]),
        (json!({"tags": ["a", "b"]}), vec!["list"]),
        (json!({"tags": ["a"]}), vec![]),
        (json!({"tags": "a"}), vec![]),
        (json!({"tags": ["b", "a"]}), vec![]),
        (json!({"flag": null}), vec!["null"]),
        (json!({"flag": true}), vec!["true"]),
        (json!({"flag": false}), vec![]),
        (json!({"flag": "true"}), vec![]),
        (json!({"name": "é \"q\" \\ ☃"}), vec!["text"]),
        (json!({"missing": null}), vec![]),
        // Floats that need 17 digits or an exponent compare as written, not rounded.
        (json!({"f": 0.30000000000000004}), vec!["floats"]),
        (json!({"f": 0.3}), vec![]),
        (json!({"g": 1.5e-7, "h": 1e300}), vec!["floats"]),
        (
            json!({}),
            vec![
                "big", "float", "floats", "frac", "int", "list", "null", "small", "text", "true",
            ],
        ),
    ]
}

pub(super) async fn search_by_metadata_is_equality_per_key(h: Harness) {
    let threads = [
        ("int", json!({"user": "a", "n": 1})),
        ("float", json!({"user": "b", "n": 1.0})),
        ("frac", json!({"n": 2.5})),
        ("big", json!({"nested": {"x": 1, "y": [1, 2]}})),
        ("small", json!({"nested": {"x": 1}})),
        ("list", json!({"user": "a", "tags": ["a", "b"]})),
        ("null", json!({"flag": null})),
        ("true", json!({"flag": true})),
        ("text", json!({"name": "é \"q\" \\ ☃"})),
        (
            "floats",
            json!({"f": 0.30000000000000004, "g": 1.5e-7, "h": 1e300}),
        ),
    ];
    let threads: Vec<_> = threads
        .into_iter()
        .map(|(id, metadata)| thread(id, 1, metadata))
        .collect();
    h.create_all(&threads).await;
    for (filter, expected) in metadata_filters() {
        let query = ThreadQuery {
            metadata: filter.as_object().cloned().unwrap_or_default(),
            sort_by: ThreadSort::ThreadId,
            ascending: true,
            ..all()
        };
        assert_eq!(h.search(&query).await, expected, "search by {filter}");
        assert_eq!(h.count(&query).await, expected.len(), "count by {filter}");
    }
}

pub(super) async fn search_by_ids_and_status(h: Harness) {
    let with = |id: &str, status| ThreadRecord {
        status,
        ..thread(id, 1, json!({"kind": if id == "a" { "x" } else { "y" }}))
    };
    h.create_all(&[
        with("a", ThreadStatus::Busy),
        with("b", ThreadStatus::Idle),
        with("c", ThreadStatus::Busy),
        with("d", ThreadStatus::Error),
    ])
    .await;
    let ids = |ids: &[&str]| Some(ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    let cases: Vec<(ThreadQuery, Vec<&str>)> = vec![
        (
            ThreadQuery {
                ids: ids(&["a", "c", "zz"]),
                ..all()
            },
            vec!["a", "c"],
        ),
        (
            ThreadQuery {
                ids: ids(&[]),
                ..all()
            },
            vec![],
        ),
        (
            ThreadQuery {
                status: Some(ThreadStatus::Busy),
                ..all()
            },
            vec!["a", "c"],
        ),
        (
            ThreadQuery {
                status: Some(ThreadStatus::Interrupted),
                ..all()
            },
            vec![],
        ),
        (
            ThreadQuery {
                ids: ids(&["b", "c", "d"]),
                status: Some(ThreadStatus::Busy),
                ..all()
            },
            vec!["c"],
        ),
        (
            ThreadQuery {
                ids: ids(&["a", "b", "c"]),
                status: Some(ThreadStatus::Busy),
                metadata: json!({"kind": "y"})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                ..all()
            },
            vec!["c"],
        ),
    ];
    for (query, expected) in cases {
        let query = ThreadQuery {
            sort_by: ThreadSort::ThreadId,
            ascending: true,
            ..query
        };
        assert_eq!(h.search(&query).await, expected, "search {query:?}");
        assert_eq!(h.count(&query).await, expected.len(), "count {query:?}");
    }
}

pub(super) async fn search_sorts_by_each_key_both_ways(h: Harness) {
    // (id, created, updated): each key orders the threads differently; "a" and "c" tie on
    // `updated_at`, broken by id in the same direction; "B" sorts before "a" (bytewise).
    let rows = [
        ("a", 30, 200),
        ("B", 10, 300),
        ("c", 20, 200),
        ("d", 40, 100),
    ];
    let threads: Vec<_> = rows
        .iter()
        .map(|&(id, created, updated)| ThreadRecord {
            created_at_ms: created,
            updated_at_ms: updated,
            ..thread(id, 0, json!({}))
        })
        .collect();
    h.create_all(&threads).await;
    let orders = [
        (ThreadSort::ThreadId, vec!["B", "a", "c", "d"]),
        (ThreadSort::CreatedAt, vec!["B", "c", "a", "d"]),
        (ThreadSort::UpdatedAt, vec!["d", "a", "c", "B"]),
    ];
    for (sort_by, ascending) in orders {
        let query = ThreadQuery {
            sort_by,
            ascending: true,
            ..all()
        };
        assert_eq!(h.search(&query).await, ascending, "{sort_by:?} ascending");
        let descending: Vec<_> = ascending.iter().rev().copied().collect();
        let query = ThreadQuery {
            ascending: false,
            ..query
        };
        assert_eq!(h.search(&query).await, descending, "{sort_by:?} descending");
    }
    assert_eq!(
        h.search(&all()).await,
        ["B", "c", "a", "d"],
        "the default is updated_at, newest first"
    );
}

pub(super) async fn search_pages_and_count_ignores_the_page(h: Harness) {
    let threads: Vec<_> = (0..5)
        .map(|i| thread(&format!("t-{i}"), i, json!({"suite": "page"})))
        .collect();
    h.create_all(&threads).await;
    h.create_all(&[thread("other", 9, json!({"suite": "other"}))])
        .await;
    let page = |limit, offset| ThreadQuery {
        metadata: json!({"suite": "page"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        sort_by: ThreadSort::ThreadId,
        ascending: true,
        limit,
        offset,
        ..ThreadQuery::default()
    };
    let cases: [(usize, usize, &[&str]); 6] = [
        (2, 0, &["t-0", "t-1"]),
        (2, 1, &["t-1", "t-2"]),
        (10, 3, &["t-3", "t-4"]),
        (3, 5, &[]),
        (0, 0, &[]),
        (usize::MAX, usize::MAX, &[]),
    ];
    for (limit, offset, expected) in cases {
        let query = page(limit, offset);
        assert_eq!(
            h.search(&query).await,
            expected,
            "limit {limit}, offset {offset}"
        );
        assert_eq!(
            h.count(&query).await,
            5,
            "count ignores limit {limit}, offset {offset}"
        );
    }
    assert_eq!(h.search(&page(usize::MAX, 4)).await, ["t-4"], "no limit");
    assert_eq!(h.count(&all()).await, 6);
}

pub(super) async fn delete_thread_takes_its_runs_and_events(h: Harness) {
    h.create_all(&[thread("doomed", 1, json!({})), thread("kept", 1, json!({}))])
        .await;
    let runs = [
        run("r-1", "doomed", 2, RunStatus::Pending),
        run("r-2", "doomed", 3, RunStatus::Pending),
        run("r-3", "kept", 4, RunStatus::Pending),
    ];
    h.insert(&runs).await;
    for r in [&runs[0], &runs[2]] {
        h.end(&end(r, 10, vec![event(0, "metadata"), event(1, "values")]))
            .await;
    }

    assert!(h.delete_thread("doomed").await, "it existed");
    assert_eq!(h.thread("doomed").await, None);
    assert!(
        h.list("doomed", None, 100, 0).await.is_empty(),
        "its runs went"
    );
    for id in ["r-1", "r-2"] {
        assert_eq!(h.run("doomed", id).await, None, "run {id} went");
    }
    assert!(h.events("r-1", None).await.is_empty(), "its events went");
    assert_eq!(h.result("r-1").await, None, "its result went");
    assert!(!h.unfinished().await.contains(&"r-2".to_owned()));

    assert!(h.thread("kept").await.is_some(), "other threads stay");
    assert_eq!(h.list("kept", None, 100, 0).await, ["r-3"]);
    assert_eq!(h.seqs("r-3").await, [0, 1]);
    assert!(h.result("r-3").await.is_some());

    assert!(
        !h.delete_thread("doomed").await,
        "a second delete finds nothing"
    );
    assert!(!h.delete_thread("never").await);
}
