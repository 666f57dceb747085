//! `GeminiClient::chat_stream` against the loopback Gemini's SSE stream.

use std::sync::Mutex;

use agent_nodes::{ChatModel, ChatRequest, Error, FinishReason, Role};
use serde_json::json;

use crate::fake_gemini::{FakeGemini, MODEL, Reply, error_body};
use crate::gemini::{availability_tool, client};

#[tokio::test]
async fn a_stream_delivers_text_in_pieces_and_ends_with_usage() {
    let fake = FakeGemini::start().await;
    let text = "Tenemos habitaciones dobles disponibles.";
    fake.on("Hola", vec![Reply::text(text)]);
    let pieces = Mutex::new(Vec::new());

    let answer = client(&fake)
        .chat_stream(&ChatRequest::new("s", "Hola"), &|p| {
            pieces.lock().expect("pieces").push(p.to_owned());
        })
        .await
        .expect("an answer");

    let pieces = pieces.into_inner().expect("pieces");
    assert!(pieces.len() > 5, "{pieces:?}");
    assert_eq!(pieces.concat(), text);
    assert_eq!(answer.text(), text);
    assert_eq!(answer.usage.map(|u| u.total_tokens), Some(50));
    let uri = &fake.received()[0].uri;
    assert_eq!(
        *uri,
        format!("/v1beta/models/{MODEL}:streamGenerateContent?alt=sse")
    );
}

#[tokio::test]
async fn a_streamed_function_call_arrives_whole_with_its_signature() {
    let fake = FakeGemini::start().await;
    let args = json!({"hotel_id": "mar-valencia", "adults": 1});
    fake.on(
        "rooms?",
        vec![Reply::call("check_availability", args.clone())],
    );
    let request = ChatRequest::new("s", "rooms?").with_tool(availability_tool());

    let answer = client(&fake)
        .chat_stream(&request, &|p| panic!("no text expected, got {p:?}"))
        .await
        .expect("a call");

    let call = answer.message.tool_calls().next().expect("a call");
    assert_eq!(call.args, args);
    let replay = call.replay.as_ref().expect("the signature");
    assert_eq!(replay.provider, "gemini");
    assert_eq!(answer.finish, FinishReason::ToolCalls);
    assert_eq!(answer.message.role, Role::Model);
}

#[tokio::test]
async fn an_error_mid_stream_arrives_as_plain_json_and_is_not_retried_after_text() {
    let fake = FakeGemini::start().await;
    let error = error_body(503, "UNAVAILABLE", "overloaded", json!([]));
    fake.on(
        "Hola",
        vec![Reply::StreamError("Hola, un mom".into(), error)],
    );
    let pieces = Mutex::new(String::new());

    let failure = client(&fake)
        .chat_stream(&ChatRequest::new("s", "Hola"), &|p| {
            pieces.lock().expect("pieces").push_str(p);
        })
        .await
        .expect_err("the stream's error");

    assert!(
        matches!(&failure, Error::Http { status: 503, code: Some(c), message, .. } if c == "UNAVAILABLE" && message == "overloaded"),
        "{failure}"
    );
    assert_eq!(pieces.into_inner().expect("pieces"), "Hola, un mom");
    assert_eq!(fake.received().len(), 1, "text was delivered: no retry");
}

#[tokio::test]
async fn a_stream_that_fails_before_any_text_is_retried() {
    let fake = FakeGemini::start().await;
    let error = error_body(500, "INTERNAL", "internal", json!([]));
    fake.on(
        "Hola",
        vec![
            Reply::StreamError(String::new(), error),
            Reply::text("Hola"),
        ],
    );
    let answer = client(&fake)
        .chat_stream(&ChatRequest::new("s", "Hola"), &|_| {})
        .await
        .expect("the second attempt");
    assert_eq!(answer.text(), "Hola");
    assert_eq!(fake.received().len(), 2);
}
