//! Cases for `list_namespaces`: order and de-duplication, prefix and suffix, `max_depth`, pages,
//! and which namespaces count (those holding a live item, not their ancestors).

use serde_json::json;

use super::Harness;
use crate::store::NamespaceQuery;

/// Puts items at `["a"]`, two at `["a", "b"]`, and at `["a", "b", "c"]`, `["a", "bc"]` and
/// `["b", "x"]`, relative to the case's root.
async fn put_tree(h: &Harness) {
    for (labels, key) in [
        (&["b", "x"][..], "k"),
        (&["a", "b"][..], "k1"),
        (&["a"][..], "k"),
        (&["a", "b", "c"][..], "k"),
        (&["a", "b"][..], "k2"),
        (&["a", "bc"][..], "k"),
    ] {
        h.put(labels, key, json!({})).await;
    }
}

fn query() -> NamespaceQuery {
    NamespaceQuery::default()
}

pub(in crate::testing) async fn list_namespaces_in_order_without_duplicates(h: Harness) {
    put_tree(&h).await;
    assert_eq!(
        h.namespaces(query()).await,
        ["a", "a/b", "a/b/c", "a/bc", "b/x"],
        "each namespace holding an item once, in store order"
    );
}

pub(in crate::testing) async fn list_namespaces_by_prefix_and_suffix(h: Harness) {
    put_tree(&h).await;
    for (q, expected) in [
        (query().prefix(["a", "b"]), &["a/b", "a/b/c"][..]),
        (query().prefix(["a", "b", "c"]), &["a/b/c"]),
        (query().prefix(["a", "z"]), &[]),
        (query().suffix(["c"]), &["a/b/c"]),
        (query().suffix(["b", "c"]), &["a/b/c"]),
        (query().suffix(["b"]), &["a/b"]),
        (query().suffix(["x"]), &["b/x"]),
        (query().prefix(["a"]).suffix(["bc"]), &["a/bc"]),
        (query().prefix(["b"]).suffix(["bc"]), &[]),
    ] {
        assert_eq!(
            h.namespaces(q.clone()).await,
            expected,
            "prefix {:?} (under the case's root), suffix {:?}",
            q.prefix,
            q.suffix
        );
    }
}

pub(in crate::testing) async fn list_namespaces_cut_to_max_depth(h: Harness) {
    put_tree(&h).await;
    for (q, expected) in [
        (query().max_depth(1), &["a", "b"][..]),
        (query().max_depth(2), &["a", "a/b", "a/bc", "b/x"]),
        (query().max_depth(3), &["a", "a/b", "a/b/c", "a/bc", "b/x"]),
        (query().max_depth(2).prefix(["a"]), &["a", "a/b", "a/bc"]),
        // The suffix applies to the whole namespace, before the cut.
        (query().max_depth(1).suffix(["c"]), &["a"]),
    ] {
        assert_eq!(
            h.namespaces(q.clone()).await,
            expected,
            "max_depth {:?} below the case's root, prefix {:?}, suffix {:?}",
            q.max_depth,
            q.prefix,
            q.suffix
        );
    }
}

pub(in crate::testing) async fn list_namespaces_pages(h: Harness) {
    put_tree(&h).await;
    for (q, expected) in [
        (query().limit(2), &["a", "a/b"][..]),
        (query().limit(2).offset(1), &["a/b", "a/b/c"]),
        (query().offset(3), &["a/bc", "b/x"]),
        (query().offset(5), &[]),
        (query().limit(0), &[]),
        // Pages count namespaces after the cut and de-duplication.
        (query().max_depth(2).offset(1).limit(2), &["a/b", "a/bc"]),
        (query().max_depth(1).offset(1), &["b"]),
    ] {
        assert_eq!(
            h.namespaces(q.clone()).await,
            expected,
            "limit {}, offset {}, max_depth {:?}",
            q.limit,
            q.offset,
            q.max_depth
        );
    }
}

pub(in crate::testing) async fn a_namespace_without_items_is_not_listed(h: Harness) {
    h.put(&["a", "b"], "k", json!({})).await;
    h.put(&["c"], "k", json!({})).await;
    assert_eq!(h.namespaces(query()).await, ["a/b", "c"]);
    h.delete(&["c"], "k").await;
    assert_eq!(
        h.namespaces(query()).await,
        ["a/b"],
        "a namespace whose last item was deleted is gone, and an ancestor of one with items \
         ([a]) is not listed"
    );
}
