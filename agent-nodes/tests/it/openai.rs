//! `OpenAiClient` against the loopback OpenAI-compatible server: what it sends, what it makes
//! of each answer.

use agent_nodes::openai::{JsonMode, OpenAiBuilder, OpenAiClient};
use agent_nodes::{
    ChatModel, ChatRequest, Error, FinishReason, Message, Part, Replay, ToolCall, ToolChoice,
    ToolResult, ToolSpec, Usage,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::fake::fast_policy;
use crate::fake_gemini::{self, FakeGemini};
use crate::fake_openai::{FakeOpenAi, KEY, MODEL, Reply};

pub(crate) fn builder(fake: &FakeOpenAi) -> OpenAiBuilder {
    OpenAiClient::builder(format!("{}/", fake.base_url), MODEL)
        .api_key(KEY)
        .provider("deepseek")
        .policy(fast_policy())
}

pub(crate) fn client(fake: &FakeOpenAi) -> OpenAiClient {
    builder(fake).build().expect("a client")
}

#[derive(Debug, Deserialize, JsonSchema)]
#[allow(dead_code, reason = "read through the JSON Schema only")]
struct Quote {
    booking_ref: String,
}

pub(crate) fn quote_tool() -> ToolSpec {
    ToolSpec::of::<Quote>("get_reschedule_quote", "Fee to move a booking.")
}

fn result(call: &ToolCall, output: Value) -> ToolResult {
    ToolResult {
        id: call.id.clone(),
        name: call.name.clone(),
        output,
        is_error: false,
    }
}

#[tokio::test]
async fn a_text_answer_sends_the_documented_request() {
    let fake = FakeOpenAi::start().await;
    fake.on("Hi", vec![Reply::text("Hello!")]);
    let mut request = ChatRequest::new("You are terse.", "Hi");
    request.max_tokens = Some(800);
    request.temperature = Some(0.3);

    let answer = client(&fake).chat(&request).await.expect("an answer");

    assert_eq!(answer.text(), "Hello!");
    assert_eq!(answer.finish, FinishReason::Stop);
    assert_eq!(
        (answer.provider.as_str(), answer.model.as_str()),
        ("deepseek", MODEL)
    );
    let usage = Usage {
        prompt_tokens: 30,
        completion_tokens: 5,
        total_tokens: 35,
    };
    assert_eq!(answer.usage, Some(usage));
    let sent = &fake.received()[0];
    assert_eq!(sent.uri, "/v1/chat/completions");
    assert_eq!(sent.headers["authorization"], format!("Bearer {KEY}"));
    assert_eq!(
        sent.body,
        json!({
            "model": MODEL,
            "messages": [{"role": "system", "content": "You are terse."},
                         {"role": "user", "content": "Hi"}],
            "max_tokens": 800, "temperature": 0.3, "stream": false,
        })
    );
}

#[tokio::test]
async fn tool_choice_maps_to_each_documented_form() {
    let fake = FakeOpenAi::start().await;
    let openai = client(&fake);
    let cases = [
        (ToolChoice::Auto, json!("auto")),
        (ToolChoice::None, json!("none")),
        (ToolChoice::Required, json!("required")),
        (
            ToolChoice::Named("get_reschedule_quote".into()),
            json!({"type": "function", "function": {"name": "get_reschedule_quote"}}),
        ),
    ];
    for (choice, expected) in cases {
        let mut request = ChatRequest::new("s", "move it").with_tool(quote_tool());
        request.tool_choice = choice;
        openai.chat(&request).await.expect("an answer");
        let body = fake.last_body();
        assert_eq!(body["tool_choice"], expected);
        assert_eq!(
            body["tools"],
            json!([{"type": "function", "function": {"name": "get_reschedule_quote",
                    "description": "Fee to move a booking.", "parameters": quote_tool().parameters}}])
        );
    }
}

#[tokio::test]
async fn a_tool_round_trip_sends_the_assistant_turn_back_and_results_by_call_id() {
    let fake = FakeOpenAi::start().await;
    let arguments = r#"{"booking_ref":"SOL-88213"}"#;
    let reasoning = "The guest wants a quote first.";
    fake.on(
        "move it",
        vec![Reply::Calls(
            vec![("get_reschedule_quote".into(), arguments.into())],
            Some(reasoning.into()),
        )],
    );
    fake.on(
        "get_reschedule_quote",
        vec![Reply::text("The fee is 25 EUR.")],
    );
    let openai = client(&fake);
    let mut request = ChatRequest::new("s", "move it").with_tool(quote_tool());

    let first = openai.chat(&request).await.expect("a call");

    assert_eq!(first.finish, FinishReason::ToolCalls);
    let call = first.message.tool_calls().next().expect("a call").clone();
    assert_eq!(call.args, json!({"booking_ref": "SOL-88213"}));
    assert_eq!(
        call.replay,
        Some(Replay::new("deepseek", reasoning)),
        "DeepSeek reasoning rides along, tagged with the client's provider name"
    );
    let id = call.id.clone().expect("OpenAI ids every call");
    request.messages.push(first.message.clone());
    request.messages.push(Message::tool_results(vec![result(
        &call,
        json!({"fee": 25.0}),
    )]));

    let second = openai
        .chat(&request)
        .await
        .expect("the fake accepts the turn");

    assert_eq!(second.text(), "The fee is 25 EUR.");
    let messages = &fake.last_body()["messages"];
    assert_eq!(
        messages[2],
        json!({"role": "assistant", "content": null, "reasoning_content": reasoning,
               "tool_calls": [{"id": id, "type": "function",
                 "function": {"name": "get_reschedule_quote", "arguments": arguments}}]})
    );
    assert_eq!(
        messages[3],
        json!({"role": "tool", "tool_call_id": id, "content": "{\"fee\":25.0}"})
    );
}

#[tokio::test]
async fn invalid_arguments_are_kept_raw_and_sent_back_unchanged() {
    let fake = FakeOpenAi::start().await;
    let broken = r#"{"booking_ref": "SOL-88213""#;
    fake.on("move it", vec![Reply::call("get_reschedule_quote", broken)]);
    fake.on("get_reschedule_quote", vec![Reply::text("Sorry.")]);
    let openai = client(&fake);
    let mut request = ChatRequest::new("s", "move it").with_tool(quote_tool());

    let first = openai.chat(&request).await.expect("a call");

    let call = first.message.tool_calls().next().expect("a call").clone();
    assert_eq!(call.args, Value::String(broken.into()));
    let mut failure = result(&call, json!("arguments are not valid JSON"));
    failure.is_error = true;
    request.messages.push(first.message.clone());
    request.messages.push(Message::tool_results(vec![failure]));
    openai.chat(&request).await.expect("an answer");

    let messages = &fake.last_body()["messages"];
    assert_eq!(
        messages[2]["tool_calls"][0]["function"]["arguments"],
        broken
    );
    assert_eq!(
        messages[3]["content"],
        json!({"error": "arguments are not valid JSON"}).to_string()
    );
}

#[tokio::test]
async fn calls_from_another_provider_get_ids_that_pair_with_their_results() {
    let fake = FakeOpenAi::start().await;
    fake.on("get_reschedule_quote", vec![Reply::text("Done.")]);
    let call = ToolCall {
        id: None,
        name: "get_reschedule_quote".into(),
        args: json!({"booking_ref": "A"}),
        replay: Some(Replay::new("gemini", "a Gemini signature")),
    };
    let mut request = ChatRequest::new("s", "move it").with_tool(quote_tool());
    request.messages.push(Message {
        role: agent_nodes::Role::Model,
        parts: vec![Part::ToolCall(call.clone())],
    });
    request
        .messages
        .push(Message::tool_results(vec![result(&call, json!("ok"))]));

    client(&fake)
        .chat(&request)
        .await
        .expect("the fake pairs them");

    let messages = &fake.last_body()["messages"];
    let id = &messages[2]["tool_calls"][0]["id"];
    assert!(id.is_string(), "{messages}");
    assert!(
        messages[2].get("reasoning_content").is_none(),
        "a foreign replay stays home"
    );
    assert_eq!(messages[3]["tool_call_id"], *id);
    assert_eq!(messages[3]["content"], "ok", "a string output goes as is");
}

#[tokio::test]
async fn a_gemini_turn_continues_on_an_openai_client_without_its_signature() {
    // Gemini answers the first request with a signed call; the fallback chain then continues
    // the conversation on an OpenAI-compatible server, with reasoning replay on (the default).
    let gemini_fake = FakeGemini::start().await;
    gemini_fake.on(
        "move it",
        vec![fake_gemini::Reply::call(
            "get_reschedule_quote",
            json!({"booking_ref": "SOL-88213"}),
        )],
    );
    let gemini = crate::gemini::client(&gemini_fake);
    let mut request = ChatRequest::new("s", "move it").with_tool(quote_tool());
    let first = gemini.chat(&request).await.expect("a call");
    let call = first.message.tool_calls().next().expect("a call").clone();
    let signature = call.replay.clone().expect("a signature").data;
    request.messages.push(first.message.clone());
    request.messages.push(Message::tool_results(vec![result(
        &call,
        json!({"fee": 25.0}),
    )]));
    let fake = FakeOpenAi::start().await;
    fake.on(
        "get_reschedule_quote",
        vec![Reply::text("The fee is 25 EUR.")],
    );

    let answer = client(&fake)
        .chat(&request)
        .await
        .expect("the fake accepts the turn");

    assert_eq!(answer.text(), "The fee is 25 EUR.");
    let body = fake.last_body();
    let assistant = &body["messages"][2];
    assert_eq!(assistant["role"], "assistant");
    assert!(
        assistant.get("reasoning_content").is_none(),
        "a Gemini signature is not reasoning: {assistant}"
    );
    assert!(
        !body.to_string().contains(&signature),
        "the signature goes nowhere: {body}"
    );
}

#[tokio::test]
async fn reasoning_goes_back_only_to_the_provider_that_produced_it_and_only_when_asked() {
    let fake = FakeOpenAi::start().await;
    fake.on("get_reschedule_quote", vec![Reply::text("Done.")]);
    let call = ToolCall {
        id: Some("call_1".into()),
        name: "get_reschedule_quote".into(),
        args: json!({"booking_ref": "A"}),
        replay: Some(Replay::new("deepseek", "Quote first.")),
    };
    let mut request = ChatRequest::new("s", "move it").with_tool(quote_tool());
    request.messages.push(Message {
        role: agent_nodes::Role::Model,
        parts: vec![Part::ToolCall(call.clone())],
    });
    request
        .messages
        .push(Message::tool_results(vec![result(&call, json!("ok"))]));
    let cases = [
        (builder(&fake), Some("Quote first.")),
        (builder(&fake).provider("vllm"), None),
        (builder(&fake).replay_reasoning(false), None),
    ];
    for (n, (settings, expected)) in cases.into_iter().enumerate() {
        settings
            .build()
            .expect("a client")
            .chat(&request)
            .await
            .expect("an answer");
        let reasoning = fake.last_body()["messages"][2]
            .get("reasoning_content")
            .cloned();
        assert_eq!(reasoning, expected.map(|r| json!(r)), "case {n}");
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
struct Intent {
    intent: String,
}

#[tokio::test]
async fn structured_output_uses_json_schema_or_json_object_with_the_schema_in_the_prompt() {
    let fake = FakeOpenAi::start().await;
    fake.on("classify", vec![Reply::text(r#"{"intent": "cancel"}"#)]);
    let request = ChatRequest::new("Classify.", "classify").with_schema::<Intent>();
    let schema = agent_nodes::schema_of::<Intent>();

    let answer = client(&fake).chat(&request).await.expect("JSON");

    assert_eq!(answer.json::<Intent>().expect("an Intent").intent, "cancel");
    assert_eq!(
        fake.last_body()["response_format"],
        json!({"type": "json_schema", "json_schema": {"name": "response", "schema": schema, "strict": false}})
    );

    let object_mode = builder(&fake)
        .json_mode(JsonMode::Object)
        .build()
        .expect("a client");
    object_mode.chat(&request).await.expect("JSON");
    let body = fake.last_body();
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
    let system = body["messages"][0]["content"]
        .as_str()
        .expect("a system prompt");
    assert!(
        system.starts_with("Classify.\n\n") && system.contains(&schema.to_string()),
        "{system}"
    );
}

#[tokio::test]
async fn a_blank_answer_is_retried_then_blocked() {
    let fake = FakeOpenAi::start().await;
    fake.on("Hi", vec![Reply::Blank]);
    let error = client(&fake)
        .chat(&ChatRequest::new("s", "Hi"))
        .await
        .expect_err("blank");
    assert!(
        matches!(&error, Error::Blocked { provider, reason } if provider == "deepseek" && reason == "blank answer"),
        "{error}"
    );
    assert_eq!(fake.received().len(), 3);

    fake.on("Hello", vec![Reply::Blank, Reply::text("Hello!")]);
    let answer = client(&fake).chat(&ChatRequest::new("s", "Hello")).await;
    assert_eq!(answer.expect("the retry's answer").text(), "Hello!");
}

#[tokio::test]
async fn error_bodies_in_each_documented_form_are_read() {
    let fake = FakeOpenAi::start().await;
    fake.on(
        "broke",
        vec![Reply::status(
            402,
            "unknown_error",
            "Insufficient Balance",
            Some("insufficient_balance"),
        )],
    );
    fake.on(
        "ollama",
        vec![Reply::Error(
            400,
            json!({"error": "model is required"}),
            None,
        )],
    );
    fake.on(
        "vllm",
        vec![Reply::Error(
            400,
            json!({"message": "bad tool", "type": "BadRequestError"}),
            None,
        )],
    );
    let openai = client(&fake);
    let cases = [
        (
            "broke",
            402,
            Some("insufficient_balance"),
            "Insufficient Balance",
        ),
        ("ollama", 400, None, "model is required"),
        ("vllm", 400, Some("BadRequestError"), "bad tool"),
    ];
    for (prompt, status, code, message) in cases {
        let error = openai
            .chat(&ChatRequest::new("s", prompt))
            .await
            .expect_err(prompt);
        let Error::Http {
            status: s,
            code: c,
            message: m,
            ..
        } = &error
        else {
            panic!("{prompt}: {error}")
        };
        assert_eq!(
            (*s, c.as_deref(), m.as_str()),
            (status, code, message),
            "{prompt}"
        );
    }
    assert_eq!(fake.received().len(), 3, "none is retried");

    let wrong_key = builder(&fake)
        .api_key("sk-wrong")
        .build()
        .expect("a client");
    let error = wrong_key
        .chat(&ChatRequest::new("s", "Hi"))
        .await
        .expect_err("401");
    assert!(
        matches!(&error, Error::Http { status: 401, code: Some(c), .. } if c == "invalid_api_key"),
        "{error}"
    );
}

#[tokio::test]
async fn garbage_and_cut_bodies_and_a_missing_done() {
    let fake = FakeOpenAi::start().await;
    fake.on("garbage", vec![Reply::Garbage]);
    fake.on("cut", vec![Reply::Truncated]);
    let openai = client(&fake);

    let garbage = openai.chat(&ChatRequest::new("s", "garbage")).await;
    assert!(
        matches!(garbage, Err(Error::Malformed { .. })),
        "{garbage:?}"
    );
    let cut = openai.chat(&ChatRequest::new("s", "cut")).await;
    assert!(matches!(cut, Err(Error::Transport { .. })), "{cut:?}");
    assert_eq!(fake.received().len(), 1 + 3, "only the cut body is retried");

    let cut_stream = openai
        .chat_stream(&ChatRequest::new("s", "cut"), &|_| {})
        .await;
    assert!(
        matches!(cut_stream, Err(Error::Transport { .. })),
        "{cut_stream:?}"
    );
}

#[tokio::test]
async fn hostile_numbers_from_the_server_are_errors_not_crashes() {
    let fake = FakeOpenAi::start().await;
    // A tool call claiming to be the two-millionth: no room is made for the ones before it.
    let bomb = r#"{"id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": "tool_calls",
        "message": {"role": "assistant", "content": null, "tool_calls": [{"index": 2000000,
        "id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}}]}"#;
    fake.on("bomb", vec![Reply::Body(bomb.into())]);
    // A retry delay beyond any clock: past the budget, so no retry and no overflow.
    let forever = crate::fake_openai::error_body("rate_limit_error", "slow down", None);
    fake.on(
        "forever",
        vec![Reply::Error(429, forever, Some("18000000000000000000"))],
    );
    let openai = client(&fake);

    let bomb = openai.chat(&ChatRequest::new("s", "bomb")).await;
    assert!(
        matches!(&bomb, Err(Error::Malformed { reason, .. }) if reason.contains("2000000")),
        "{bomb:?}"
    );
    let forever = openai.chat(&ChatRequest::new("s", "forever")).await;
    assert!(
        matches!(forever, Err(Error::Http { status: 429, .. })),
        "{forever:?}"
    );
    assert_eq!(fake.received().len(), 2, "the 429 was not retried");
}

#[tokio::test]
async fn configuration_comes_from_the_environment() {
    let fake = FakeOpenAi::start().await;
    let base_url = fake.base_url.clone();
    let vars = move |pairs: Vec<(&'static str, String)>| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    };
    let missing = OpenAiBuilder::from_vars(vars(vec![("OPENAI_BASE_URL", base_url.clone())]));
    assert!(
        matches!(&missing, Err(Error::NotConfigured { what, .. }) if what == "OPENAI_MODEL"),
        "{missing:?}"
    );
    let configured = OpenAiBuilder::from_vars(vars(vec![
        ("OPENAI_BASE_URL", base_url),
        ("OPENAI_MODEL", MODEL.into()),
        ("OPENAI_API_KEY", KEY.into()),
        ("OPENAI_PROVIDER", "ollama".into()),
    ]))
    .and_then(OpenAiBuilder::build)
    .expect("a client");
    assert_eq!(
        (configured.provider(), configured.model()),
        ("ollama", MODEL)
    );
    let answer = configured
        .chat(&ChatRequest::new("s", "Hi"))
        .await
        .expect("an answer");
    assert_eq!(answer.provider, "ollama");
}
