//! Cases for per-item ttl, driven by the case's [`TestClock`]: an item is visible until its
//! expiry and gone from every read at it, a put over an expired item starts a new one, an
//! overwrite sets the expiry anew, and `sweep` really deletes (turning the clock back does not
//! bring a swept item back).

use std::time::Duration;

use serde_json::json;

use super::{Harness, TestClock};
use crate::store::{NamespaceQuery, SearchQuery};

const MINUTE: Duration = Duration::from_secs(60);

pub(in crate::testing) async fn an_item_disappears_when_its_ttl_ends(h: Harness) {
    h.put_ttl(&["otp"], "ana", json!({"code": 4711}), Some(MINUTE))
        .await;
    h.put(&["otp"], "kept", json!({})).await;
    h.put_ttl(&["short"], "k", json!({}), Some(MINUTE)).await;
    let item = h.get(&["otp"], "ana").await.expect("a live item");
    assert_eq!(item.expires_at_ms, Some(TestClock::START_MS + 60_000));

    h.clock().advance(MINUTE - Duration::from_millis(1));
    assert!(h.get(&["otp"], "ana").await.is_some(), "1 ms before expiry");
    assert_eq!(
        h.found(&[], &SearchQuery::default()).await,
        ["otp:ana", "otp:kept", "short:k"]
    );

    h.clock().advance(Duration::from_millis(1));
    assert_eq!(h.get(&["otp"], "ana").await, None, "get at expiry");
    assert_eq!(
        h.found(&[], &SearchQuery::default()).await,
        ["otp:kept"],
        "search at expiry"
    );
    assert_eq!(
        h.namespaces(NamespaceQuery::default()).await,
        ["otp"],
        "a namespace whose items all expired is not listed"
    );
}

pub(in crate::testing) async fn a_put_over_an_expired_item_creates_it_anew(h: Harness) {
    h.put_ttl(&["a"], "k", json!({"v": 1}), Some(MINUTE)).await;
    h.clock().advance(2 * MINUTE);
    h.put(&["a"], "k", json!({"v": 2})).await;
    let item = h.get(&["a"], "k").await.expect("the new item");
    let now = TestClock::START_MS + 120_000;
    assert_eq!(
        (
            item.value,
            item.created_at_ms,
            item.updated_at_ms,
            item.expires_at_ms
        ),
        (json!({"v": 2}), now, now, None),
        "an expired item is gone: a put in its place is created now"
    );
}

pub(in crate::testing) async fn an_overwrite_sets_the_expiry_anew(h: Harness) {
    h.put_ttl(&["a"], "k", json!({}), Some(MINUTE)).await;
    h.clock().advance(MINUTE / 2);
    h.put_ttl(&["a"], "k", json!({"longer": true}), Some(MINUTE))
        .await;
    h.clock().advance(MINUTE / 2);
    let item = h.get(&["a"], "k").await.expect("renewed by the overwrite");
    assert_eq!(
        (item.created_at_ms, item.expires_at_ms),
        (TestClock::START_MS, Some(TestClock::START_MS + 90_000)),
        "an overwrite of a live item keeps created_at and counts the ttl from itself"
    );

    h.put(&["a"], "k", json!({"forever": true})).await;
    h.clock().advance(24 * 60 * MINUTE);
    let item = h.get(&["a"], "k").await.expect("no ttl any more");
    assert_eq!(
        item.expires_at_ms, None,
        "an overwrite without a ttl never expires"
    );

    h.put_ttl(&["a"], "k", json!({}), Some(MINUTE)).await;
    h.clock().advance(MINUTE);
    assert_eq!(
        h.get(&["a"], "k").await,
        None,
        "a ttl given by an overwrite"
    );
}

pub(in crate::testing) async fn sweep_purges_expired_items(h: Harness) {
    h.put_ttl(&["a"], "short", json!({}), Some(MINUTE)).await;
    h.put_ttl(&["a"], "long", json!({}), Some(60 * MINUTE))
        .await;
    h.put(&["a"], "forever", json!({})).await;
    h.clock().advance(2 * MINUTE);
    let swept = h.store().sweep().await.expect("sweep");
    assert!(
        swept >= 1,
        "sweep must count the expired item it purged, said {swept}"
    );
    assert_eq!(
        h.store().sweep().await.expect("sweep again"),
        0,
        "a second sweep at the same time finds nothing"
    );
    // A purged item is gone for good: with the clock back before its expiry, it stays gone,
    // while the items that were live are still there.
    h.clock().set(TestClock::START_MS);
    assert_eq!(
        h.found(&[], &SearchQuery::default()).await,
        ["a:forever", "a:long"],
        "after a sweep"
    );
}
