//! The agent with Gemini in front of the offline NLU, against a loopback Gemini that answers
//! each `generateContent` with the next scripted structured reading (or an HTTP error).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_nodes::gemini::GeminiClient;
use agent_nodes::nlu::Intent;
use agent_nodes::resilience::{ResiliencePolicy, RetryPolicy};
use axum::Json;
use axum::http::StatusCode;
use axum::routing::post;
use graph_core::RunConfig;
use hotel::{BookingStore, Catalog, Clock};
use hotel_agent::{HotelAgent, hotel_agent_graph, turn};
use serde_json::{Value, json};

use crate::traces::{scratch, today};

/// A loopback Gemini answering call after call from `script`: a structured reading, or an HTTP
/// status. Once the script is used up it answers 503.
pub(crate) async fn fake_gemini(script: Vec<Result<Value, StatusCode>>) -> GeminiClient {
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let app = axum::Router::new().route(
        "/v1beta/models/{call}",
        post(move || {
            let next = script
                .lock()
                .map(|mut s| s.pop_front())
                .ok()
                .flatten()
                .unwrap_or(Err(StatusCode::SERVICE_UNAVAILABLE));
            async move {
                match next {
                    Ok(reading) => Ok(Json(json!({
                        "candidates": [{"content": {"role": "model", "parts": [{"text": reading.to_string()}]},
                                        "finishReason": "STOP", "index": 0}],
                        "modelVersion": "gemini-test"
                    }))),
                    Err(status) => Err((status, Json(json!({"error": {"code": status.as_u16(),
                        "status": "UNAVAILABLE", "message": "overloaded"}})))),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let policy = ResiliencePolicy {
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        },
        ..ResiliencePolicy::default()
    };
    GeminiClient::builder("test-key")
        .base_url(format!("http://{address}"))
        .model("gemini-test")
        .policy(policy)
        .build()
        .unwrap()
}

#[tokio::test]
async fn with_gemini_the_hotel_agent_asks_it_first_and_falls_back_offline() {
    let reading = json!({"intent": "greeting", "confidence": 0.97, "language": "es",
        "entities": {}, "sentiment": {"score": 0.3, "tone": "positive", "requires_attention": false}});
    for (reply, provider) in [
        (Ok(reading), "gemini"),
        (Err(StatusCode::SERVICE_UNAVAILABLE), "offline"),
    ] {
        let dir = scratch(&format!("gemini-{provider}"));
        let store = BookingStore::open(dir.join("bookings.db"), Catalog::load().unwrap()).unwrap();
        let gemini = fake_gemini(vec![reply]).await;
        let graph = hotel_agent_graph(HotelAgent::with_gemini(
            store,
            Clock::Fixed(today()),
            gemini,
        ))
        .unwrap();
        let out = graph
            .invoke(
                turn("test", "ana", "Hola, buenas tardes"),
                &RunConfig::thread("t"),
            )
            .await
            .unwrap();
        let understood = out.state.understanding.expect("understood");
        assert_eq!(understood.provider, provider);
        assert_eq!(understood.intent, Intent::Greeting);
        assert!(
            out.executed.iter().any(|n| n == "greet"),
            "{:?}",
            out.executed
        );
    }
}
