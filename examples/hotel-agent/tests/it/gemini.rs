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

/// The model reads the messages, and the same policy decides: a model that calls "just
/// looking" an acceptance books nothing, and the guest's own yes later does.
#[tokio::test]
async fn with_gemini_the_policy_still_decides_and_consent_holds() {
    let reading = |intent: &str, entities: Value| {
        Ok(
            json!({"intent": intent, "confidence": 0.99, "language": "en", "entities": entities,
            "sentiment": {"score": 0.0, "tone": "neutral", "requires_attention": false}}),
        )
    };
    let request = json!({"check_in": "2026-12-07", "check_out": "2026-12-09", "adults": 2,
        "room_type": "Standard", "hotel": "CCI"});
    let gemini = fake_gemini(vec![
        reading("reservation_request", request),
        reading("affirm", json!({})),
        reading("affirm", json!({})),
        reading("affirm", json!({})),
    ])
    .await;
    let dir = scratch("gemini-consent");
    let store = BookingStore::open(dir.join("bookings.db"), Catalog::load().unwrap()).unwrap();
    let graph = hotel_agent_graph(HotelAgent::with_gemini(
        store.clone(),
        Clock::Fixed(today()),
        gemini,
    ))
    .unwrap()
    .with_checkpointer(Arc::new(graph_core::InMemoryCheckpointer::new()));
    let config = RunConfig::thread("test:gina");
    let guest = hotel::GuestId::new("test", "gina");
    let say = |message: &'static str| {
        let graph = graph.clone();
        let config = config.clone();
        async move {
            graph
                .invoke(turn("test", "gina", message), &config)
                .await
                .unwrap()
        }
    };

    let quoted = say("a standard at city center inn dec 7 to 9 for 2").await;
    assert!(
        quoted.state.reply.contains("$240.00"),
        "{}",
        quoted.state.reply
    );
    let looking = say("ok thanks, just looking for now").await;
    let u = looking.state.understanding.as_ref().unwrap();
    assert_eq!((u.provider.as_str(), u.intent), ("gemini", Intent::Affirm));
    assert!(store.bookings_of(&guest).unwrap().is_empty());
    assert!(
        looking.executed.iter().all(|n| n != "create_booking"),
        "{:?}",
        looking.executed
    );
    // A yes with nothing quoted in the last reply gets the quote again, not a booking.
    let again = say("yes").await;
    assert!(
        again.state.reply.contains("(yes/no)"),
        "{}",
        again.state.reply
    );
    assert!(store.bookings_of(&guest).unwrap().is_empty());
    let booked = say("yes").await;
    assert!(
        booked.state.reply.contains("CCI-"),
        "{}",
        booked.state.reply
    );
    assert_eq!(store.bookings_of(&guest).unwrap().len(), 1);
}
