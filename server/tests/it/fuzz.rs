//! Untrusted input, fuzzed: webhook bodies and signature headers of any shape never panic
//! the parsers, splitting keeps every limit and loses no text, and random requests to the
//! running server get 4xx answers, never a 5xx or a dead server.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Value, json};
use server::meta::signature::{sign, verify};
use server::meta::split::{Limit, split};
use server::meta::{instagram, whatsapp};

use crate::common;
use crate::meta::SECRET;

/// JSON values of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z_.0-9 ]{0,12}".prop_map(Value::from),
        Just(json!("instagram")),
        Just(json!("whatsapp_business_account")),
        Just(json!("messages")),
        Just(json!("text")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("object".to_owned()),
                    Just("entry".to_owned()),
                    Just("messaging".to_owned()),
                    Just("changes".to_owned()),
                    Just("value".to_owned()),
                    Just("messages".to_owned()),
                    Just("statuses".to_owned()),
                    Just("message".to_owned()),
                    Just("sender".to_owned()),
                    Just("id".to_owned()),
                    Just("mid".to_owned()),
                    Just("text".to_owned()),
                    Just("type".to_owned()),
                    Just("from".to_owned()),
                    Just("field".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = instagram::parse(&body);
        let _ = whatsapp::parse(&body, Some("1"));
    }

    #[test]
    fn parsers_never_panic_on_json_of_any_shape(value in any_json()) {
        let body = value.to_string();
        if let Ok(delivery) = instagram::parse(body.as_bytes()) {
            prop_assert!(delivery.messages.iter().all(|m| !m.message_id.is_empty() && !m.sender.is_empty()));
        }
        if let Ok(delivery) = whatsapp::parse(body.as_bytes(), None) {
            prop_assert!(delivery.messages.iter().all(|m| !m.message_id.is_empty() && !m.sender.is_empty()));
        }
    }

    #[test]
    fn only_the_right_signature_verifies(
        body in prop::collection::vec(any::<u8>(), 0..256),
        header in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let secrets = vec![SECRET.to_owned()];
        let good = sign(SECRET, &body);
        prop_assert!(verify(&secrets, Some(good.as_bytes()), &body).is_ok());
        if header != good.as_bytes() {
            prop_assert!(verify(&secrets, Some(&header), &body).is_err());
        }
    }

    #[test]
    fn splitting_keeps_limits_and_text(
        text in "(\\PC|\\s){0,600}",
        bytes in any::<bool>(),
        limit in 4usize..120,
    ) {
        let limit = if bytes { Limit::Bytes(limit) } else { Limit::Chars(limit) };
        let parts = split(&text, limit);
        for part in &parts {
            prop_assert!(!part.is_empty());
            prop_assert_eq!(part.trim(), part.as_str());
            let size = match limit {
                Limit::Bytes(n) => (part.len(), n),
                Limit::Chars(n) => (part.chars().count(), n),
            };
            prop_assert!(size.0 <= size.1, "{} > {}", size.0, size.1);
        }
        // Only whitespace at the cuts is dropped.
        let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        prop_assert_eq!(squash(&parts.concat()), squash(&text));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_requests_get_client_errors_and_the_server_stays_up() {
    let dir = common::fresh_dir("fuzz-http");
    let config = common::config(
        &dir,
        &[
            "--instagram-app-secret",
            SECRET,
            "--whatsapp-app-secret",
            SECRET,
            "--max-body-bytes",
            "8192",
        ],
    );
    let running = common::start(config).await;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(96));
    let strategy = (
        prop_oneof![
            Just("/webhooks/instagram"),
            Just("/webhooks/whatsapp"),
            Just("/api/chat"),
        ],
        any_json(),
        prop::collection::vec(any::<u8>(), 0..64),
        any::<u8>(),
    );
    for _ in 0..96 {
        let (path, value, noise, mode) = strategy.new_tree(&mut runner).expect("a case").current();
        let body: Vec<u8> = match mode % 3 {
            0 => value.to_string().into_bytes(),
            1 => noise,
            _ => json!({"user_id": value, "text": value})
                .to_string()
                .into_bytes(),
        };
        let mut request = running.http.post(running.url(path)).body(body.clone());
        // Half the webhook bodies carry a valid signature, so parsing is reached.
        if mode % 2 == 0 {
            request = request.header("x-hub-signature-256", sign(SECRET, &body));
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        assert!(
            status < 500,
            "{path} answered {status} to {:?}",
            String::from_utf8_lossy(&body)
        );
    }
    let (status, _) = running.get_json("/health/ready").await;
    assert_eq!(status, 200);
    running.server.shutdown().await;
}
