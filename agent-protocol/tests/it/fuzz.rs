//! Untrusted bodies, fuzzed: JSON of any shape, with the API's field names, sent to every
//! endpoint that reads a body, gets an answer below 500, and the API keeps serving.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Value, json};

use crate::common::serve;

/// JSON values of any shape, a few levels deep, with the names the API reads.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..50).prop_map(Value::from),
        "[a-z_.:0-9* ]{0,10}".prop_map(Value::from),
        Just(json!("approval")),
        Just(json!("sleepy")),
        Just(json!("values")),
        Just(json!("rollback")),
        Just(json!("1")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "assistant_id",
                    "input",
                    "command",
                    "resume",
                    "update",
                    "goto",
                    "stream_mode",
                    "config",
                    "recursion_limit",
                    "configurable",
                    "checkpoint_id",
                    "checkpoint",
                    "metadata",
                    "multitask_strategy",
                    "interrupt_before",
                    "interrupt_after",
                    "if_not_exists",
                    "on_completion",
                    "durability",
                    "limit",
                    "offset",
                    "namespace",
                    "namespace_prefix",
                    "key",
                    "value",
                    "values",
                    "as_node",
                    "before",
                    "filter",
                    "status",
                    "ids",
                    "thread_id",
                    "if_exists",
                    "sort_by",
                    "ask",
                    "ms",
                    "log",
                    "prefix",
                    "ttl",
                ])
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_of_any_shape_get_answers_below_500() {
    let server = serve().await;
    let thread = server.thread().await;
    let paths = [
        "/assistants/search".to_owned(),
        "/threads".to_owned(),
        "/threads/search".to_owned(),
        "/threads/count".to_owned(),
        format!("/threads/{thread}/runs"),
        format!("/threads/{thread}/state"),
        format!("/threads/{thread}/history"),
        format!("/threads/{thread}/state/checkpoint"),
        "/runs".to_owned(),
        "/runs/cancel".to_owned(),
        "/store/items/search".to_owned(),
        "/store/namespaces".to_owned(),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
    let strategy = (
        0..paths.len() + 2,
        any_json(),
        prop::collection::vec(any::<u8>(), 0..32),
    );
    for case in 0..256 {
        let (which, value, noise) = strategy.new_tree(&mut runner).expect("a case").current();
        let body = if case % 5 == 0 {
            noise
        } else {
            value.to_string().into_bytes()
        };
        let request = match which {
            i if i < paths.len() => server.http.post(server.url(&paths[i])),
            i if i == paths.len() => server.http.put(server.url("/store/items")),
            _ => server.http.delete(server.url("/store/items")),
        };
        let response = request.body(body.clone()).send().await.expect("answered");
        let status = response.status().as_u16();
        assert!(
            status < 500,
            "case {which} answered {status} to {}: {}",
            String::from_utf8_lossy(&body),
            response.text().await.unwrap_or_default()
        );
    }
    assert_eq!(server.get("/ok").await.status(), 200);
}
