//! The intent example: offline routing, and Gemini first with the offline NLU behind it,
//! against a loopback server that answers as Gemini does.

use std::time::Duration;

use agent_nodes::gemini::GeminiClient;
use agent_nodes::nlu::Intent;
use agent_nodes::resilience::{ResiliencePolicy, RetryPolicy};
use axum::Json;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::NaiveDate;
use examples::intent::{TurnUpdate, intent_graph, understander};
use graph_core::RunConfig;
use serde_json::{Value, json};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

async fn run(gemini: Option<GeminiClient>, message: &str) -> (String, Option<Intent>, String) {
    let graph = intent_graph(understander(gemini), today()).unwrap();
    let out = graph
        .invoke(
            TurnUpdate::default().message(message),
            &RunConfig::thread("t"),
        )
        .await
        .unwrap();
    let u = out.state.understanding;
    (
        out.executed.last().unwrap().to_string(),
        u.as_ref().map(|u| u.intent),
        u.map(|u| u.provider).unwrap_or_default(),
    )
}

#[tokio::test]
async fn offline_the_router_sends_bookings_to_book_and_the_rest_to_answer() {
    let (node, intent, provider) = run(
        None,
        "I'd like to book a double room from Dec 3 to 6 for 2 adults",
    )
    .await;
    assert_eq!(
        (node.as_str(), intent, provider.as_str()),
        ("book", Some(Intent::ReservationRequest), "offline")
    );
    let (node, intent, _) = run(None, "Hola, buenas tardes").await;
    assert_eq!((node.as_str(), intent), ("answer", Some(Intent::Greeting)));
}

/// A loopback Gemini: answers every generateContent with `reply` (a structured reading) or
/// with HTTP `status`.
pub(crate) async fn fake_gemini(reply: Result<Value, StatusCode>) -> String {
    let app = axum::Router::new().route(
        "/v1beta/models/{call}",
        post(move || {
            let reply = reply.clone();
            async move {
                match reply {
                    Ok(reading) => Ok(Json(json!({
                        "candidates": [{"content": {"role": "model", "parts": [{"text": reading.to_string()}]},
                                        "finishReason": "STOP", "index": 0}],
                        "modelVersion": "gemini-test"
                    }))),
                    Err(status) => Err((status, Json(json!({"error": {"code": status.as_u16(), "status": "UNAVAILABLE", "message": "overloaded"}})))),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

pub(crate) fn client(base: String) -> GeminiClient {
    let policy = ResiliencePolicy {
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        },
        ..ResiliencePolicy::default()
    };
    GeminiClient::builder("test-key")
        .base_url(base)
        .model("gemini-test")
        .policy(policy)
        .build()
        .unwrap()
}

#[tokio::test]
async fn with_gemini_it_asks_gemini_first_and_falls_back_offline() {
    let reading = json!({"intent": "cancellation_request", "confidence": 0.95, "language": "en",
        "entities": {"booking_ref": "SOL-88213"},
        "sentiment": {"score": 0.0, "tone": "neutral", "requires_attention": false}});
    let (node, intent, provider) = run(
        Some(client(fake_gemini(Ok(reading)).await)),
        "please cancel SOL-88213",
    )
    .await;
    assert_eq!(
        (node.as_str(), intent, provider.as_str()),
        ("answer", Some(Intent::CancellationRequest), "gemini")
    );

    let down = client(fake_gemini(Err(StatusCode::SERVICE_UNAVAILABLE)).await);
    let (node, intent, provider) = run(Some(down), "I want to book a suite for tomorrow").await;
    assert_eq!(
        (node.as_str(), intent, provider.as_str()),
        ("book", Some(Intent::ReservationRequest), "offline")
    );
}
