//! Threads (search, count, patch, copy, delete), stateless runs, the store, the thread-level
//! stream.

use serde_json::{Value, json};

use crate::common::{frames, serve};

#[tokio::test]
async fn threads_are_searched_patched_copied_and_deleted() {
    let server = serve().await;
    let a: Value = server
        .post("/threads", json!({"metadata": {"suite": "t", "n": 1}}))
        .await
        .json()
        .await
        .expect("a thread");
    let b: Value = server
        .post("/threads", json!({"metadata": {"suite": "t", "n": 2}}))
        .await
        .json()
        .await
        .expect("a thread");
    server
        .post("/threads", json!({"metadata": {"suite": "other"}}))
        .await;
    let (a, b) = (
        a["thread_id"].as_str().expect("id").to_owned(),
        b["thread_id"].as_str().expect("id").to_owned(),
    );

    let found = server
        .post(
            "/threads/search",
            json!({"metadata": {"suite": "t"}, "limit": 1}),
        )
        .await;
    assert_eq!(found.headers()["x-pagination-total"], "2");
    let found: Value = found.json().await.expect("a page");
    assert_eq!(found.as_array().map(Vec::len), Some(1));
    let count: Value = server
        .post("/threads/count", json!({"metadata": {"suite": "t"}}))
        .await
        .json()
        .await
        .expect("a count");
    assert_eq!(count, 2);

    server
        .post(
            &format!("/threads/{a}/runs/wait"),
            json!({"assistant_id": "approval", "input": {"ask": "2 nights"}}),
        )
        .await;
    let interrupted: Value = server
        .post("/threads/search", json!({"status": "interrupted"}))
        .await
        .json()
        .await
        .expect("a page");
    assert_eq!(interrupted[0]["thread_id"], a.as_str());
    let by_values: Value = server
        .post("/threads/search", json!({"values": {"ask": "2 nights"}}))
        .await
        .json()
        .await
        .expect("a page");
    assert_eq!(by_values.as_array().map(Vec::len), Some(1));

    let patched: Value = server
        .http
        .patch(server.url(&format!("/threads/{b}")))
        .json(&json!({"metadata": {"n": 3, "tag": "x"}}))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("a thread");
    assert_eq!(
        patched["metadata"],
        json!({"suite": "t", "n": 3, "tag": "x"})
    );

    let copy: Value = server
        .post(&format!("/threads/{a}/copy"), json!({}))
        .await
        .json()
        .await
        .expect("a thread");
    assert_ne!(copy["thread_id"], a.as_str());
    assert_eq!(
        copy["status"], "interrupted",
        "the copy has the checkpoints: {copy}"
    );

    let deleted = server
        .http
        .delete(server.url(&format!("/threads/{a}")))
        .send()
        .await
        .expect("answered");
    assert_eq!(deleted.status(), 204);
    assert_eq!(server.get(&format!("/threads/{a}")).await.status(), 404);
    let copy_id = copy["thread_id"].as_str().expect("id");
    let still: Value = server
        .get(&format!("/threads/{copy_id}/state"))
        .await
        .json()
        .await
        .expect("a state");
    assert_eq!(
        still["next"],
        json!(["approve"]),
        "deleting the original leaves the copy"
    );
}

#[tokio::test]
async fn stateless_runs_delete_their_thread_unless_kept() {
    let server = serve().await;
    let kept = server
        .post(
            "/runs/wait",
            json!({"assistant_id": "sleepy", "input": {"ms": 1}, "on_completion": "keep"}),
        )
        .await;
    let thread = kept.headers()["content-location"]
        .to_str()
        .expect("text")
        .split('/')
        .nth(2)
        .expect("a thread")
        .to_owned();
    assert_eq!(
        kept.json::<Value>().await.expect("a result")["log"],
        json!(["slept 1 ms"])
    );
    assert_eq!(
        server.get(&format!("/threads/{thread}")).await.status(),
        200
    );

    let dropped = server
        .post(
            "/runs/wait",
            json!({"assistant_id": "sleepy", "input": {"ms": 1}}),
        )
        .await;
    let thread = dropped.headers()["content-location"]
        .to_str()
        .expect("text")
        .split('/')
        .nth(2)
        .expect("a thread")
        .to_owned();
    dropped.text().await.expect("a result");
    for _ in 0..50 {
        if server.get(&format!("/threads/{thread}")).await.status() == 404 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the stateless run's thread was not deleted");
}

#[tokio::test]
async fn store_items_and_namespaces() {
    let server = serve().await;
    let put = server
        .http
        .put(server.url("/store/items"))
        .json(&json!({"namespace": ["prefs", "web"], "key": "u1", "value": {"lang": "es"}}))
        .send()
        .await
        .expect("answered");
    assert_eq!(put.status(), 204);
    let item: Value = server
        .get("/store/items?namespace=prefs.web&key=u1")
        .await
        .json()
        .await
        .expect("an item");
    assert_eq!(item["value"], json!({"lang": "es"}));
    assert_eq!(item["namespace"], json!(["prefs", "web"]));
    let found: Value = server
        .post("/store/items/search", json!({"namespace_prefix": ["prefs"], "filter": {"lang": "es"}, "limit": 10, "offset": 0}))
        .await
        .json()
        .await
        .expect("items");
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1));
    let spaces: Value = server
        .post("/store/namespaces", json!({"prefix": ["prefs"]}))
        .await
        .json()
        .await
        .expect("namespaces");
    assert_eq!(spaces, json!({"namespaces": [["prefs", "web"]]}));
    let bad = server
        .http
        .put(server.url("/store/items"))
        .json(&json!({"namespace": ["a.b"], "key": "k", "value": {}}))
        .send()
        .await
        .expect("answered");
    assert_eq!(bad.status(), 422);
    let deleted = server
        .http
        .delete(server.url("/store/items"))
        .json(&json!({"namespace": ["prefs", "web"], "key": "u1"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        server
            .get("/store/items?namespace=prefs.web&key=u1")
            .await
            .text()
            .await
            .expect("a body"),
        "null"
    );
}

#[tokio::test]
async fn the_thread_stream_follows_its_runs() {
    let server = serve().await;
    let thread = server.thread().await;
    for ms in [300, 1] {
        server
            .post(
                &format!("/threads/{thread}/runs"),
                json!({"assistant_id": "sleepy", "input": {"ms": ms}, "stream_mode": ["values"]}),
            )
            .await;
    }
    let body = server
        .get(&format!("/threads/{thread}/stream"))
        .await
        .text()
        .await
        .expect("a stream");
    let ends = frames(&body).into_iter().filter(|f| f.0 == "end").count();
    assert_eq!(ends, 2, "both runs, one after the other: {body}");
}
