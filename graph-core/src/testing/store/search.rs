//! Cases for `search`: which namespaces a prefix covers (never a sibling that merely starts with
//! the same letters), store order, the filter, and pages.

use serde_json::json;

use super::Harness;
use crate::store::SearchQuery;

/// One item (key `k`) in each of these namespaces, relative to the case's root.
const TREE: &[&[&str]] = &[
    &["a"],
    &["a", "b"],
    &["a", "b", "c"],
    &["a", "bc"],
    &["a", "b-c"],
    &["ab"],
    &["b"],
];

async fn put_tree(h: &Harness) {
    for labels in TREE {
        h.put(labels, "k", json!({ "case": h.root() })).await;
    }
}

pub(in crate::testing) async fn search_covers_the_prefix_and_what_is_under_it(h: Harness) {
    put_tree(&h).await;
    let all = SearchQuery::default().limit(100);
    assert_eq!(
        h.found(&["a", "b"], &all).await,
        ["a/b:k", "a/b/c:k"],
        "prefix [a, b] covers [a, b] and [a, b, c], not the siblings [a, bc] or [a, b-c]"
    );
    assert_eq!(
        h.found(&["a"], &all).await,
        ["a:k", "a/b-c:k", "a/b:k", "a/b/c:k", "a/bc:k"],
        "prefix [a] covers everything under [a], not [ab], in store order (`-` < `.`)"
    );
    assert_eq!(h.found(&["a", "b", "c"], &all).await, ["a/b/c:k"]);
    assert!(h.found(&["a", "b", "c", "d"], &all).await.is_empty());
    assert!(h.found(&["z"], &all).await.is_empty());
    assert_eq!(h.found(&[], &all).await.len(), TREE.len());

    // The empty prefix is the whole store; the filter finds this case's items in it.
    let mine = h
        .store()
        .search(&[], &all.clone().filter("case", h.root()))
        .await
        .expect("search of the whole store");
    assert_eq!(mine.len(), TREE.len(), "search with an empty prefix");
}

pub(in crate::testing) async fn search_is_in_namespace_then_key_order(h: Harness) {
    for (labels, key) in [
        (&["x"][..], "c"),
        (&["x"][..], "a"),
        (&["w", "v"][..], "z"),
        (&["x"][..], "B"),
        (&["w"][..], "b"),
        (&["x"][..], "b"),
    ] {
        h.put(labels, key, json!({})).await;
    }
    let expected = ["w:b", "w/v:z", "x:B", "x:a", "x:b", "x:c"];
    assert_eq!(
        h.found(&[], &SearchQuery::default()).await,
        expected,
        "store order: by encoded namespace (`w.` < `w.v.` < `x.`), then key, as bytes"
    );
    // An overwrite does not move an item.
    h.clock().advance(std::time::Duration::from_secs(1));
    h.put(&["w"], "b", json!({"again": true})).await;
    assert_eq!(h.found(&[], &SearchQuery::default()).await, expected);
}

pub(in crate::testing) async fn search_filters_on_top_level_fields(h: Harness) {
    for (key, value) in [
        ("es-vip", json!({"lang": "es", "vip": true, "n": 1})),
        ("en-vip", json!({"lang": "en", "vip": true})),
        ("es", json!({"lang": "es", "vip": false})),
        (
            "es-sea",
            json!({"lang": "es", "prefs": {"view": "sea", "floor": 3}}),
        ),
        ("nested", json!({"profile": {"lang": "es"}})),
        ("null", json!({"lang": null})),
    ] {
        h.put(&["guests"], key, value).await;
    }
    let all = SearchQuery::default().limit(100);
    for (query, expected) in [
        (
            all.clone(),
            &["en-vip", "es", "es-sea", "es-vip", "nested", "null"][..],
        ),
        (
            all.clone().filter("lang", "es"),
            &["es", "es-sea", "es-vip"],
        ),
        (
            all.clone().filter("lang", "es").filter("vip", true),
            &["es-vip"],
        ),
        (all.clone().filter("vip", true), &["en-vip", "es-vip"]),
        (all.clone().filter("n", 1), &["es-vip"]),
        (
            all.clone()
                .filter("prefs", json!({"floor": 3, "view": "sea"})),
            &["es-sea"],
        ),
        (all.clone().filter("prefs", json!({"view": "sea"})), &[]),
        (all.clone().filter("lang", json!(null)), &["null"]),
        (all.clone().filter("lang", "fr"), &[]),
        (all.clone().filter("missing", "x"), &[]),
    ] {
        let found: Vec<String> = h
            .search(&["guests"], &query)
            .await
            .into_iter()
            .map(|item| item.key)
            .collect();
        assert_eq!(found, expected, "search with filter {:?}", query.filter);
    }
}

pub(in crate::testing) async fn search_pages_with_limit_and_offset(h: Harness) {
    for n in 0..12 {
        h.put(
            &["p", &format!("n{}", n % 3)],
            &format!("k{n:02}"),
            json!({}),
        )
        .await;
    }
    let whole = h.found(&[], &SearchQuery::default().limit(100)).await;
    assert_eq!(whole.len(), 12);
    assert_eq!(
        h.found(&[], &SearchQuery::default()).await,
        whole[..10],
        "the default limit is 10"
    );
    let mut pages = Vec::new();
    for offset in (0..12).step_by(5) {
        let page = h
            .found(&[], &SearchQuery::default().limit(5).offset(offset))
            .await;
        assert_eq!(page, whole[offset..(offset + 5).min(12)], "offset {offset}");
        pages.extend(page);
    }
    assert_eq!(pages, whole, "pages put together are the whole result");
    assert!(
        h.found(&[], &SearchQuery::default().offset(12))
            .await
            .is_empty(),
        "an offset past the end"
    );
    assert!(
        h.found(&[], &SearchQuery::default().limit(0))
            .await
            .is_empty(),
        "limit 0"
    );
}

pub(in crate::testing) async fn the_filter_applies_before_the_page(h: Harness) {
    for n in 0..8 {
        let lang = if n % 2 == 0 { "es" } else { "en" };
        h.put(&["f"], &format!("k{n}"), json!({ "lang": lang }))
            .await;
    }
    let query = SearchQuery::default()
        .filter("lang", "es")
        .limit(2)
        .offset(1);
    assert_eq!(
        h.found(&["f"], &query).await,
        ["f:k2", "f:k4"],
        "offset and limit count matching items only"
    );
}
