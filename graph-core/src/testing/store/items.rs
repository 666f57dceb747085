//! Cases for single items: put, get, overwrite, delete, what round-trips exactly, what is
//! refused, and puts racing each other.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::{Harness, TestClock};
use crate::error::StorageError;
use crate::store::{Item, NamespaceQuery, SearchQuery};

pub(in crate::testing) async fn put_then_get(h: Harness) {
    h.put(&["guests", "ana"], "profile", json!({"lang": "es"}))
        .await;
    assert_eq!(
        h.get(&["guests", "ana"], "profile").await,
        Some(Item {
            namespace: h.path(&["guests", "ana"]),
            key: "profile".into(),
            value: json!({"lang": "es"}),
            created_at_ms: TestClock::START_MS,
            updated_at_ms: TestClock::START_MS,
            expires_at_ms: None,
        }),
        "get must return the item as put, stamped with the store's clock"
    );
}

pub(in crate::testing) async fn get_missing_is_none(h: Harness) {
    h.put(&["a", "b"], "k", json!({})).await;
    for (labels, key) in [
        (&["a", "b"][..], "other"),
        (&["a"][..], "k"),
        (&["a", "b", "c"][..], "k"),
        (&["a", "bc"][..], "k"),
        (&["never"][..], "k"),
    ] {
        assert_eq!(
            h.get(labels, key).await,
            None,
            "get of `{key}` in {labels:?}, where nothing was put"
        );
    }
}

pub(in crate::testing) async fn an_overwrite_keeps_created_at_and_bumps_updated_at(h: Harness) {
    h.put(&["a"], "k", json!({"v": 1})).await;
    h.clock().advance(Duration::from_secs(5));
    h.put(&["a"], "k", json!({"w": 2})).await;
    let item = h.get(&["a"], "k").await.expect("the item");
    assert_eq!(
        item.value,
        json!({"w": 2}),
        "an overwrite replaces the value"
    );
    assert_eq!(
        (item.created_at_ms, item.updated_at_ms),
        (TestClock::START_MS, TestClock::START_MS + 5_000),
        "an overwrite keeps created_at and sets updated_at to now"
    );
    assert_eq!(
        h.found(&["a"], &SearchQuery::default()).await,
        ["a:k"],
        "an overwrite leaves one item"
    );
}

pub(in crate::testing) async fn a_key_in_another_namespace_is_another_item(h: Harness) {
    for (labels, v) in [(&["a"][..], 1), (&["a", "b"][..], 2), (&["b"][..], 3)] {
        h.put(labels, "k", json!({ "v": v })).await;
    }
    for (labels, v) in [(&["a"][..], 1), (&["a", "b"][..], 2), (&["b"][..], 3)] {
        let item = h.get(labels, "k").await.expect("the item");
        assert_eq!(item.value, json!({ "v": v }), "`k` in {labels:?}");
        assert_eq!(item.namespace, h.path(labels));
    }
}

pub(in crate::testing) async fn delete_removes_only_that_item(h: Harness) {
    h.put(&["a"], "k1", json!({})).await;
    h.put(&["a"], "k2", json!({})).await;
    h.put(&["a", "b"], "k1", json!({})).await;
    h.delete(&["a"], "k1").await;
    assert_eq!(h.get(&["a"], "k1").await, None, "the deleted item");
    assert!(h.get(&["a"], "k2").await.is_some(), "its neighbour stays");
    assert!(
        h.get(&["a", "b"], "k1").await.is_some(),
        "its key elsewhere stays"
    );
    // Nothing to delete is no error.
    h.delete(&["a"], "k1").await;
    h.delete(&["never"], "k1").await;
    assert_eq!(
        h.found(&[], &SearchQuery::default()).await,
        ["a:k2", "a/b:k1"]
    );
}

pub(in crate::testing) async fn values_and_labels_round_trip(h: Harness) {
    let value = json!({
        "name": "Zoë «Ñandú» 🐧",
        "big": u64::MAX,
        "negative": -7,
        "ratio": 0.125,
        "null": null,
        "list": [1, "two", {"three": [3]}],
        "nested": {"deeper": {"empty": {}, "none": []}},
    });
    // A key may hold anything; labels anything but '.' and NUL.
    let labels = ["whatsapp:+34600000000", "ñandú/x|y z", "*"];
    let key = "room.101 ñ/\"quoted\"";
    h.put(&labels, key, value.clone()).await;
    let item = h.get(&labels, key).await.expect("the item");
    assert_eq!(
        (item.namespace, item.key.as_str(), item.value),
        (h.path(&labels), key, value)
    );
}

pub(in crate::testing) async fn invalid_namespaces_are_refused(h: Harness) {
    let store = h.store();
    let refused = |what: &str, result: Result<(), StorageError>, says: &[&str]| {
        let error = match result {
            Ok(()) => panic!("{what} was accepted"),
            Err(e) => e.to_string(),
        };
        for part in says {
            assert!(
                error.contains(part),
                "{what}: the error `{error}` does not say `{part}`"
            );
        }
    };
    let put = |ns: Vec<&str>| {
        let store = Arc::clone(store);
        let ns: Vec<String> = ns.into_iter().map(str::to_owned).collect();
        async move {
            let ns: Vec<&str> = ns.iter().map(String::as_str).collect();
            store.put(&ns, "k", json!({}), None).await
        }
    };
    refused("a put at []", put(vec![]).await, &["at least one label"]);
    refused(
        "a put with an empty label",
        put(h.ns(&["a", ""])).await,
        &["label 3 is empty"],
    );
    refused(
        "a put with a '.' in a label",
        put(h.ns(&["a", "b.c"])).await,
        &["label 3", "`b.c`", "'.'"],
    );
    refused(
        "a put with a NUL in a label",
        put(h.ns(&["a\0"])).await,
        &["label 2", "NUL"],
    );
    refused(
        "a get at []",
        store.get(&[], "k").await.map(drop),
        &["at least one label"],
    );
    refused(
        "a get with a '.' in a label",
        store.get(&h.ns(&["b.c"]), "k").await.map(drop),
        &["`b.c`"],
    );
    refused(
        "a delete with an empty label",
        store.delete(&h.ns(&[""]), "k").await,
        &["label 2 is empty"],
    );
    refused(
        "a search under a prefix with a '.'",
        store
            .search(&h.ns(&["b.c"]), &SearchQuery::default())
            .await
            .map(drop),
        &["prefix", "`b.c`"],
    );
    let listed = |query: NamespaceQuery| {
        let store = Arc::clone(store);
        async move { store.list_namespaces(&query).await.map(drop) }
    };
    refused(
        "list_namespaces with a '.' in the prefix",
        listed(NamespaceQuery::default().prefix([h.root(), "b.c"])).await,
        &["prefix", "`b.c`"],
    );
    refused(
        "list_namespaces with an empty suffix label",
        listed(NamespaceQuery::default().suffix([""])).await,
        &["suffix", "label 1 is empty"],
    );
    refused(
        "list_namespaces with max_depth 0",
        listed(NamespaceQuery::default().max_depth(0)).await,
        &["max_depth"],
    );
    assert!(
        h.found(&[], &SearchQuery::default()).await.is_empty(),
        "a refused put must store nothing"
    );
}

pub(in crate::testing) async fn values_that_are_not_objects_are_refused(h: Harness) {
    for (value, kind) in [
        (json!(null), "null"),
        (json!(true), "a boolean"),
        (json!(1), "a number"),
        (json!("pizza"), "a string"),
        (json!([{"food": "pizza"}]), "an array"),
    ] {
        let error = h
            .store()
            .put(&h.ns(&["a"]), "k", value.clone(), None)
            .await
            .expect_err("a value that is not an object");
        let error = error.to_string();
        assert!(
            error.contains("JSON object") && error.contains(kind) && error.contains("`k`"),
            "put of {value}: the error `{error}` must name the item and say it needs an object, \
             not {kind}"
        );
    }
    assert_eq!(
        h.get(&["a"], "k").await,
        None,
        "a refused put stores nothing"
    );
}

/// How many puts race in [`puts_in_parallel_all_land`].
const RACERS: usize = 32;

pub(in crate::testing) async fn puts_in_parallel_all_land(h: Harness) {
    let handles: Vec<_> = (0..RACERS)
        .map(|n| {
            let h = h.clone();
            tokio::spawn(async move {
                let labels = ["race", if n % 2 == 0 { "even" } else { "odd" }];
                h.put(&labels, &format!("k{n:02}"), json!({ "n": n })).await;
            })
        })
        .collect();
    for handle in handles {
        if let Err(e) = handle.await {
            match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => panic!("a put task did not finish: {e}"),
            }
        }
    }
    let found = h
        .search(&["race"], &SearchQuery::default().limit(RACERS * 2))
        .await;
    assert_eq!(found.len(), RACERS, "every racing put must land");
    for item in found {
        let n = item.value["n"].as_u64().expect("n") as usize;
        assert_eq!(item.key, format!("k{n:02}"));
    }
}
