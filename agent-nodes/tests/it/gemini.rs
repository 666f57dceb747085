//! `GeminiClient` against the loopback Gemini: what it sends, what it makes of each answer.

use agent_nodes::gemini::{GeminiBuilder, GeminiClient};
use agent_nodes::{
    ChatModel, ChatRequest, Error, FinishReason, Message, Part, Replay, ToolCall, ToolChoice,
    ToolResult, ToolSpec, Usage,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::fake::fast_policy;
use crate::fake_gemini::{FakeGemini, KEY, MODEL, Reply, SKIP_VALIDATOR};
use crate::fake_openai::{self, FakeOpenAi};

pub(crate) fn client(fake: &FakeGemini) -> GeminiClient {
    GeminiClient::builder(KEY)
        .base_url(format!("{}/", fake.base_url))
        .model(MODEL)
        .policy(fast_policy())
        .build()
        .expect("a client")
}

#[derive(Debug, Deserialize, JsonSchema)]
#[allow(dead_code, reason = "read through the JSON Schema only")]
struct Availability {
    hotel_id: String,
    adults: u32,
}

pub(crate) fn availability_tool() -> ToolSpec {
    ToolSpec::of::<Availability>("check_availability", "Rooms and prices for a hotel.")
}

#[tokio::test]
async fn a_text_answer_sends_the_documented_request_and_reads_usage_and_model() {
    let fake = FakeGemini::start().await;
    fake.on("Hola", vec![Reply::text("¡Hola! ¿En qué puedo ayudarle?")]);
    let mut request = ChatRequest::new("You are the reservations assistant.", "Hola");
    request.max_tokens = Some(256);
    request.temperature = Some(1.0);

    let answer = client(&fake).chat(&request).await.expect("an answer");

    assert_eq!(answer.text(), "¡Hola! ¿En qué puedo ayudarle?");
    assert_eq!(answer.finish, FinishReason::Stop);
    assert_eq!(answer.provider, "gemini");
    assert_eq!(answer.model, MODEL);
    let usage = Usage {
        prompt_tokens: 40,
        completion_tokens: 10,
        total_tokens: 50,
    };
    assert_eq!(answer.usage, Some(usage), "thinking counts as generated");
    let sent = &fake.received()[0];
    assert_eq!(sent.uri, format!("/v1beta/models/{MODEL}:generateContent"));
    assert_eq!(sent.headers["x-goog-api-key"], KEY);
    assert_eq!(sent.headers["content-type"], "application/json");
    assert_eq!(
        sent.body,
        json!({
            "systemInstruction": {"parts": [{"text": "You are the reservations assistant."}]},
            "contents": [{"role": "user", "parts": [{"text": "Hola"}]}],
            "generationConfig": {"maxOutputTokens": 256, "temperature": 1.0},
        })
    );
}

#[tokio::test]
async fn tools_are_declared_with_their_json_schema_and_the_choice_maps_to_a_mode() {
    let fake = FakeGemini::start().await;
    let gemini = client(&fake);
    let cases = [
        (ToolChoice::Auto, json!({"mode": "AUTO"})),
        (ToolChoice::None, json!({"mode": "NONE"})),
        (ToolChoice::Required, json!({"mode": "ANY"})),
        (
            ToolChoice::Named("check_availability".into()),
            json!({"mode": "ANY", "allowedFunctionNames": ["check_availability"]}),
        ),
    ];
    for (choice, config) in cases {
        let mut request = ChatRequest::new("system", "rooms?").with_tool(availability_tool());
        request.tool_choice = choice;
        gemini.chat(&request).await.expect("an answer");
        let body = fake.last_body();
        assert_eq!(body["toolConfig"]["functionCallingConfig"], config);
        let declaration = &body["tools"][0]["functionDeclarations"][0];
        assert_eq!(declaration["name"], "check_availability");
        assert_eq!(declaration["description"], "Rooms and prices for a hotel.");
        assert_eq!(
            declaration["parametersJsonSchema"],
            availability_tool().parameters
        );
        assert!(
            declaration.get("parameters").is_none(),
            "exclusive with the JSON Schema"
        );
    }
}

#[tokio::test]
async fn a_function_call_round_trip_replays_the_signature_and_sends_results_as_a_user_turn() {
    let fake = FakeGemini::start().await;
    let args = json!({"hotel_id": "sol-madrid", "adults": 2});
    fake.on(
        "rooms?",
        vec![Reply::call("check_availability", args.clone())],
    );
    fake.on("check_availability", vec![Reply::text("Hay 3 dobles.")]);
    let gemini = client(&fake);
    let mut request = ChatRequest::new("system", "rooms?").with_tool(availability_tool());

    let first = gemini.chat(&request).await.expect("a call");

    assert_eq!(first.finish, FinishReason::ToolCalls);
    let call = first.message.tool_calls().next().expect("one call").clone();
    assert_eq!(
        (call.name.as_str(), &call.args),
        ("check_availability", &args)
    );
    let replay = call.replay.clone().expect("the thoughtSignature");
    assert_eq!(replay.provider, "gemini");
    let signature = replay.data;
    request.messages.push(first.message.clone());
    request
        .messages
        .push(Message::tool_results(vec![ToolResult {
            id: None,
            name: "check_availability".into(),
            output: json!({"rooms_left": 3}),
            is_error: false,
        }]));

    let second = gemini
        .chat(&request)
        .await
        .expect("the fake accepts the replay");

    assert_eq!(second.text(), "Hay 3 dobles.");
    let contents = &fake.last_body()["contents"];
    assert_eq!(
        contents[1],
        json!({"role": "model", "parts": [{
            "functionCall": {"name": "check_availability", "args": args},
            "thoughtSignature": signature,
        }]})
    );
    assert_eq!(
        contents[2],
        json!({"role": "user", "parts": [{"functionResponse": {
            "name": "check_availability", "response": {"output": {"rooms_left": 3}},
        }}]})
    );
}

#[tokio::test]
async fn parallel_calls_keep_ids_and_each_result_is_answered_in_order() {
    let fake = FakeGemini::start().await;
    let calls = vec![
        (
            "check_availability".to_owned(),
            json!({"hotel_id": "sol-madrid"}),
        ),
        (
            "check_availability".to_owned(),
            json!({"hotel_id": "mar-valencia"}),
        ),
    ];
    fake.on("both?", vec![Reply::CallsWithIds(calls)]);
    fake.on("check_availability", vec![Reply::text("Both have rooms.")]);
    let gemini = client(&fake);
    let mut request = ChatRequest::new("system", "both?").with_tool(availability_tool());

    let first = gemini.chat(&request).await.expect("two calls");

    let calls: Vec<_> = first.message.tool_calls().cloned().collect();
    assert_eq!(calls.len(), 2);
    assert!(
        calls[0].replay.is_some() && calls[1].replay.is_none(),
        "{calls:?}"
    );
    let results = calls
        .iter()
        .enumerate()
        .map(|(n, call)| ToolResult {
            id: call.id.clone(),
            name: call.name.clone(),
            output: json!(format!("result {n}")),
            is_error: n == 1,
        })
        .collect();
    request.messages.push(first.message.clone());
    request.messages.push(Message::tool_results(results));

    let second = gemini.chat(&request).await.expect("an answer");

    assert_eq!(second.text(), "Both have rooms.");
    let body = fake.last_body();
    let sent_calls = body["contents"][1]["parts"].as_array().expect("parts");
    let responses = body["contents"][2]["parts"].as_array().expect("parts");
    for n in 0..2 {
        let id = calls[n].id.clone().expect("an id");
        assert_eq!(sent_calls[n]["functionCall"]["id"], id);
        assert_eq!(responses[n]["functionResponse"]["id"], id);
    }
    assert_eq!(
        responses[0]["functionResponse"]["response"],
        json!({"output": "result 0"})
    );
    assert_eq!(
        responses[1]["functionResponse"]["response"],
        json!({"error": "result 1"})
    );
}

/// Asks for two parallel calls, lets `tamper` change the answer's calls, sends the turn back
/// with its results and returns the error.
async fn replay_tampered(tamper: impl FnOnce(&mut [&mut ToolCall])) -> (Error, usize) {
    let fake = FakeGemini::start().await;
    let calls = vec![
        (
            "check_availability".to_owned(),
            json!({"hotel_id": "sol-madrid"}),
        ),
        (
            "check_availability".to_owned(),
            json!({"hotel_id": "mar-valencia"}),
        ),
    ];
    fake.on("both?", vec![Reply::Calls(calls)]);
    let gemini = client(&fake);
    let mut request = ChatRequest::new("system", "both?").with_tool(availability_tool());
    let mut turn = gemini.chat(&request).await.expect("two calls").message;
    let mut calls: Vec<&mut ToolCall> = turn
        .parts
        .iter_mut()
        .filter_map(|p| match p {
            Part::ToolCall(call) => Some(call),
            _ => None,
        })
        .collect();
    tamper(&mut calls);
    let results = calls
        .iter()
        .map(|call| ToolResult {
            id: None,
            name: call.name.clone(),
            output: json!(1),
            is_error: false,
        })
        .collect();
    request
        .messages
        .extend([turn, Message::tool_results(results)]);

    let error = gemini.chat(&request).await.expect_err("a 400");
    (error, fake.received().len())
}

#[tokio::test]
async fn a_gemini_turn_whose_first_call_lost_its_signature_is_a_400_and_is_not_retried() {
    // The turn still carries a Gemini signature (on the second call), so it came from Gemini
    // and gets no bypass: the loss is Gemini's to report.
    let (error, requests) = replay_tampered(|calls| {
        calls[1].replay = calls[0].replay.take();
    })
    .await;

    assert!(
        matches!(&error, Error::Http { status: 400, message, .. } if message.contains("thought_signature")),
        "{error}"
    );
    assert_eq!(requests, 2, "one attempt for the 400");
}

#[tokio::test]
async fn a_signature_gemini_never_issued_is_a_400() {
    let (error, requests) = replay_tampered(|calls| {
        calls[0].replay = Some(Replay::new("gemini", "forged"));
    })
    .await;

    assert!(
        matches!(&error, Error::Http { status: 400, message, .. } if message.contains("Corrupted thought signature")),
        "{error}"
    );
    assert_eq!(requests, 2, "one attempt for the 400");
}

#[tokio::test]
async fn a_turn_from_another_provider_continues_on_gemini_with_the_bypass_and_not_its_replay() {
    // An OpenAI-compatible server (DeepSeek, with reasoning) answers the first request with
    // two calls; the fallback chain then continues the conversation on Gemini.
    let openai_fake = FakeOpenAi::start().await;
    let reasoning = "The guest wants both hotels checked.";
    openai_fake.on(
        "both?",
        vec![fake_openai::Reply::Calls(
            vec![
                (
                    "check_availability".into(),
                    r#"{"hotel_id":"sol-madrid"}"#.into(),
                ),
                (
                    "check_availability".into(),
                    r#"{"hotel_id":"mar-valencia"}"#.into(),
                ),
            ],
            Some(reasoning.into()),
        )],
    );
    let openai = crate::openai::builder(&openai_fake)
        .provider("openai")
        .build()
        .expect("a client");
    let mut request = ChatRequest::new("system", "both?").with_tool(availability_tool());
    let first = openai.chat(&request).await.expect("two calls");
    let calls: Vec<_> = first.message.tool_calls().cloned().collect();
    assert_eq!(
        calls[0].replay,
        Some(Replay::new("openai", reasoning)),
        "the setup: a foreign replay on the first call"
    );
    let results = calls
        .iter()
        .map(|call| ToolResult {
            id: call.id.clone(),
            name: call.name.clone(),
            output: json!({"rooms_left": 2}),
            is_error: false,
        })
        .collect();
    request.messages.push(first.message.clone());
    request.messages.push(Message::tool_results(results));
    let fake = FakeGemini::start().await;
    fake.on("check_availability", vec![Reply::text("Both have rooms.")]);

    let answer = client(&fake)
        .chat(&request)
        .await
        .expect("the fake accepts the bypass");

    assert_eq!(answer.text(), "Both have rooms.");
    let body = fake.last_body();
    let parts = &body["contents"][1]["parts"];
    assert_eq!(body["contents"][1]["role"], "model");
    assert_eq!(parts[0]["thoughtSignature"], SKIP_VALIDATOR, "{parts}");
    assert_eq!(parts[0]["functionCall"]["id"], json!(calls[0].id));
    assert!(
        parts[1].get("thoughtSignature").is_none(),
        "only the first call of a turn is checked: {parts}"
    );
    assert!(
        !body.to_string().contains(reasoning),
        "the foreign replay is not sent: {body}"
    );
}

#[tokio::test]
async fn a_bad_key_and_an_unknown_model_are_reported_with_their_codes() {
    let fake = FakeGemini::start().await;
    let bad_key = GeminiClient::builder("nope")
        .base_url(&fake.base_url)
        .policy(fast_policy())
        .build()
        .expect("a client");
    let error = bad_key
        .chat(&ChatRequest::new("s", "hi"))
        .await
        .expect_err("400");
    assert!(
        matches!(&error, Error::Http { status: 400, code: Some(c), .. } if c == "API_KEY_INVALID"),
        "{error}"
    );

    let retired = GeminiClient::builder(KEY)
        .base_url(&fake.base_url)
        .model("gemini-2.0-flash")
        .policy(fast_policy())
        .build()
        .expect("a client");
    let error = retired
        .chat(&ChatRequest::new("s", "hi"))
        .await
        .expect_err("404");
    assert!(
        matches!(&error, Error::Http { status: 404, code: Some(c), .. } if c == "NOT_FOUND"),
        "{error}"
    );
    assert_eq!(fake.received().len(), 2, "neither is retried");
}

#[tokio::test]
async fn answers_with_nothing_usable_are_blocked_with_their_reason() {
    let fake = FakeGemini::start().await;
    fake.on("blocked", vec![Reply::PromptBlocked("PROHIBITED_CONTENT")]);
    fake.on(
        "malformed",
        vec![Reply::Finish(
            "MALFORMED_FUNCTION_CALL",
            "Malformed function call: foo(",
        )],
    );
    fake.on("safety", vec![Reply::Finish("SAFETY", "")]);
    fake.on("empty", vec![Reply::NoParts]);
    let gemini = client(&fake);
    let cases = [
        ("blocked", "prompt blocked: PROHIBITED_CONTENT"),
        (
            "malformed",
            "finish reason MALFORMED_FUNCTION_CALL: Malformed function call: foo(",
        ),
        ("safety", "finish reason SAFETY"),
        ("empty", "empty answer (finish reason STOP)"),
    ];
    for (prompt, expected) in cases {
        let error = gemini
            .chat(&ChatRequest::new("s", prompt))
            .await
            .expect_err(prompt);
        assert!(
            matches!(&error, Error::Blocked { provider, reason } if provider == "gemini" && reason == expected),
            "{prompt}: {error}"
        );
    }
    assert_eq!(fake.received().len(), 4, "blocked answers are not retried");
}

#[tokio::test]
async fn the_token_limit_is_a_length_finish() {
    let fake = FakeGemini::start().await;
    fake.on("long", vec![Reply::MaxTokens("Había una vez".into())]);
    let answer = client(&fake)
        .chat(&ChatRequest::new("s", "long"))
        .await
        .expect("a partial answer");
    assert_eq!(
        (answer.text().as_str(), answer.finish),
        ("Había una vez", FinishReason::Length)
    );
}

#[derive(Debug, PartialEq, Deserialize, JsonSchema)]
struct Intent {
    intent: String,
    language: String,
}

#[tokio::test]
async fn structured_output_sends_the_schema_and_refuses_tools_alongside() {
    let fake = FakeGemini::start().await;
    fake.on(
        "classify",
        vec![Reply::text(r#"{"intent": "book", "language": "es"}"#)],
    );
    let gemini = client(&fake);
    let request = ChatRequest::new("s", "classify").with_schema::<Intent>();

    let answer = gemini.chat(&request).await.expect("JSON");

    let intent: Intent = answer.json().expect("an Intent");
    assert_eq!(intent.intent, "book");
    let config = &fake.last_body()["generationConfig"];
    assert_eq!(config["responseMimeType"], "application/json");
    assert_eq!(
        config["responseJsonSchema"],
        agent_nodes::schema_of::<Intent>()
    );

    let with_tools = request.with_tool(availability_tool());
    let error = gemini
        .chat(&with_tools)
        .await
        .expect_err("JSON mode + tools");
    assert!(matches!(error, Error::Http { status: 400, .. }), "{error}");
}

#[tokio::test]
async fn garbage_is_malformed_and_a_cut_body_is_a_retried_transport_error() {
    let fake = FakeGemini::start().await;
    fake.on("garbage", vec![Reply::Garbage]);
    fake.on("cut", vec![Reply::Truncated]);
    let gemini = client(&fake);

    let garbage = gemini.chat(&ChatRequest::new("s", "garbage")).await;
    assert!(
        matches!(garbage, Err(Error::Malformed { .. })),
        "{garbage:?}"
    );
    assert_eq!(fake.received().len(), 1, "garbage is not retried");

    let cut = gemini.chat(&ChatRequest::new("s", "cut")).await;
    assert!(matches!(cut, Err(Error::Transport { .. })), "{cut:?}");
    assert_eq!(fake.received().len(), 1 + 3, "a cut body is retried");
}

#[tokio::test]
async fn configuration_comes_from_the_environment_with_defaults() {
    let fake = FakeGemini::start().await;
    let base_url = fake.base_url.clone();
    let vars = move |pairs: Vec<(&'static str, String)>| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    };
    let missing = GeminiBuilder::from_vars(vars(vec![("GEMINI_API_KEY", " ".into())]));
    assert!(
        matches!(&missing, Err(Error::NotConfigured { what, .. }) if what == "GEMINI_API_KEY"),
        "{missing:?}"
    );
    let gemini = GeminiBuilder::from_vars(vars(vec![
        ("GEMINI_API_KEY", KEY.into()),
        ("GEMINI_BASE_URL", base_url),
    ]))
    .and_then(GeminiBuilder::build)
    .expect("a client");
    assert_eq!(gemini.model(), "gemini-3.5-flash-lite");
    assert_eq!(gemini.provider(), "gemini");
    assert!(
        !format!("{gemini:?}").contains(KEY),
        "the key stays out of logs"
    );
    gemini
        .chat(&ChatRequest::new("s", "hi"))
        .await
        .expect("the default model at the configured server");
    let renamed = GeminiBuilder::from_vars(vars(vec![
        ("GEMINI_API_KEY", "k".into()),
        ("GEMINI_MODEL", "gemini-3.8-flash".into()),
    ]))
    .and_then(GeminiBuilder::build)
    .expect("a client");
    assert_eq!(renamed.model(), "gemini-3.8-flash");
}
