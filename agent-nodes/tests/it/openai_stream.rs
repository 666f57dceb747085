//! `OpenAiClient::chat_stream` against the loopback server's `data:` chunks.

use std::sync::Mutex;
use std::time::Duration;

use agent_nodes::{ChatModel, ChatRequest, Error, FinishReason, Replay, ToolCall};
use serde_json::json;

use crate::fake::fast_policy;
use crate::fake_openai::{FakeOpenAi, Reply, error_body};
use crate::openai::{builder, client, quote_tool};

#[tokio::test]
async fn a_stream_delivers_text_pieces_and_usage_until_done() {
    let fake = FakeOpenAi::start().await;
    fake.on("Hi", vec![Reply::text("Hello, how can I help you today?")]);
    let pieces = Mutex::new(Vec::new());

    let answer = client(&fake)
        .chat_stream(&ChatRequest::new("s", "Hi"), &|p| {
            pieces.lock().expect("pieces").push(p.to_owned());
        })
        .await
        .expect("an answer");

    let pieces = pieces.into_inner().expect("pieces");
    assert!(pieces.len() > 5, "{pieces:?}");
    assert_eq!(pieces.concat(), "Hello, how can I help you today?");
    assert_eq!(answer.text(), pieces.concat());
    assert_eq!(answer.usage.map(|u| u.total_tokens), Some(35));
    let body = fake.last_body();
    assert_eq!(
        (&body["stream"], &body["stream_options"]),
        (&json!(true), &json!({"include_usage": true}))
    );
}

#[tokio::test]
async fn streamed_tool_call_deltas_are_joined_by_index() {
    let fake = FakeOpenAi::start().await;
    let calls = vec![
        (
            "get_reschedule_quote".to_owned(),
            r#"{"booking_ref":"SOL-1"}"#.to_owned(),
        ),
        (
            "get_reschedule_quote".to_owned(),
            r#"{"booking_ref":"MAR-22"}"#.to_owned(),
        ),
    ];
    fake.on("both", vec![Reply::Calls(calls, Some("thinking".into()))]);
    let request = ChatRequest::new("s", "both").with_tool(quote_tool());

    let answer = client(&fake)
        .chat_stream(&request, &|p| panic!("no text expected, got {p:?}"))
        .await
        .expect("two calls");

    let calls: Vec<&ToolCall> = answer.message.tool_calls().collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].args, json!({"booking_ref": "SOL-1"}));
    assert_eq!(calls[1].args, json!({"booking_ref": "MAR-22"}));
    assert!(calls.iter().all(|c| c.id.is_some()));
    assert_eq!(calls[0].replay, Some(Replay::new("deepseek", "thinking")));
    assert_eq!(answer.finish, FinishReason::ToolCalls);
}

#[tokio::test]
async fn an_error_frame_mid_stream_ends_the_call_without_a_retry() {
    let fake = FakeOpenAi::start().await;
    let error = error_body("server_error", "overloaded", None);
    fake.on("Hi", vec![Reply::StreamError("Hel".into(), error)]);
    let pieces = Mutex::new(String::new());

    let failure = client(&fake)
        .chat_stream(&ChatRequest::new("s", "Hi"), &|p| {
            pieces.lock().expect("pieces").push_str(p);
        })
        .await
        .expect_err("the stream's error");

    assert!(
        matches!(&failure, Error::Http { status: 500, message, .. } if message == "overloaded"),
        "{failure}"
    );
    assert_eq!(pieces.into_inner().expect("pieces"), "Hel");
    assert_eq!(fake.received().len(), 1);
}

#[tokio::test]
async fn a_stream_that_never_starts_times_out_and_is_retried() {
    let fake = FakeOpenAi::start().await;
    fake.on("Hi", vec![Reply::Hang]);
    let mut policy = fast_policy();
    policy.timeout = Duration::from_millis(150);
    policy.retry.attempts = 2;
    let openai = builder(&fake).policy(policy).build().expect("a client");

    let error = openai
        .chat_stream(&ChatRequest::new("s", "Hi"), &|_| {})
        .await
        .expect_err("a timeout");

    assert!(
        matches!(error, Error::Timeout { after, .. } if after == policy.timeout),
        "{error}"
    );
    assert_eq!(fake.received().len(), 2, "nothing was delivered: retried");
}
