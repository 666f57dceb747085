//! The reusable nodes in real graphs: routing on intents, journaled model calls, structured
//! output, streaming, tool calls with schema validation, validators, templates and fallback.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use agent_nodes::fallback::{FallbackModel, FallbackUnderstand, LlmUnderstand};
use agent_nodes::nlu::{Entities, Intent, Language, Sentiment, Understand, Understanding};
use agent_nodes::nodes::{
    IntentRouter, LlmNode, Template, ToolNode, Toolbox, Validator, Violation, rules, tool,
};
use agent_nodes::{
    ChatModel, ChatRequest, ChatResponse, Error, FinishReason, Message, Part, ToolCall, ToolResult,
};
use async_trait::async_trait;
use chrono::NaiveDate;
use graph_core::{
    Ctx, END, EventKind, InMemoryCheckpointer, NodeError, RetryPolicy, RunConfig, START, State,
    StateGraph,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

/// A chat model that plays back answers in order and records every request.
#[derive(Default)]
struct Scripted {
    provider: &'static str,
    answers: Mutex<VecDeque<Result<Message, Error>>>,
    requests: Mutex<Vec<ChatRequest>>,
}

impl Scripted {
    fn new(provider: &'static str, answers: Vec<Result<Message, Error>>) -> Arc<Self> {
        Arc::new(Self {
            provider,
            answers: Mutex::new(answers.into()),
            requests: Mutex::default(),
        })
    }
    fn calls(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

#[async_trait]
impl ChatModel for Scripted {
    fn provider(&self) -> &str {
        self.provider
    }
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, Error> {
        self.requests.lock().unwrap().push(request.clone());
        let message = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .expect("a scripted answer")?;
        Ok(ChatResponse {
            message,
            finish: FinishReason::Stop,
            usage: None,
            provider: self.provider.to_owned(),
            model: "scripted".to_owned(),
        })
    }
    async fn chat_stream(
        &self,
        request: &ChatRequest,
        on_text: &(dyn for<'s> Fn(&'s str) + Send + Sync),
    ) -> Result<ChatResponse, Error> {
        let response = self.chat(request).await?;
        for word in response.text().split_inclusive(' ') {
            on_text(word);
        }
        Ok(response)
    }
}

fn unavailable(provider: &str) -> Error {
    Error::Http {
        provider: provider.to_owned(),
        status: 503,
        code: Some("UNAVAILABLE".into()),
        message: "overloaded".into(),
        retry_after: None,
    }
}

#[derive(State, Clone, Default, Debug)]
struct Chat {
    message: String,
    understanding: Option<Understanding>,
    answer: String,
    #[state(append)]
    trail: Vec<String>,
    #[state(append)]
    calls: Vec<ToolCall>,
    #[state(append)]
    results: Vec<ToolResult>,
    violations: Vec<Violation>,
    adults: Option<u32>,
    check_in: Option<NaiveDate>,
    check_out: Option<NaiveDate>,
}

fn mark(
    name: &'static str,
) -> impl Fn(Arc<Chat>, Ctx) -> std::future::Ready<Result<ChatUpdate, NodeError>> + Send + Sync + 'static
{
    move |_s, _c| std::future::ready(Ok(ChatUpdate::default().trail(vec![name.to_owned()])))
}

/// Understands every message as the given intent and confidence.
struct Fixed(Intent, f32);

#[async_trait]
impl Understand for Fixed {
    fn provider(&self) -> &str {
        "fixed"
    }
    async fn understand(&self, _text: &str, _today: NaiveDate) -> Result<Understanding, Error> {
        Ok(Understanding {
            intent: self.0,
            confidence: self.1,
            language: Language::En,
            entities: Entities::default(),
            sentiment: Sentiment::default(),
            provider: "fixed".into(),
        })
    }
}

/// route → book (reservations), cancel (cancellations) or help (everything else), at a 0.6
/// threshold.
fn router_graph(understand: Arc<dyn Understand>) -> graph_core::CompiledGraph<Chat> {
    let mut g = StateGraph::<Chat>::new();
    IntentRouter::new(
        understand,
        |s: &Chat| Some(s.message.clone()),
        |u| ChatUpdate::default().understanding(Some(u)),
        "help",
    )
    .route(Intent::ReservationRequest, "book")
    .route(Intent::CancellationRequest, "cancel")
    .threshold(0.6)
    .add_to(&mut g, "route");
    for name in ["book", "cancel", "help"] {
        g.add_node(name, mark(name));
        g.add_edge(name, END);
    }
    g.add_edge(START, "route");
    g.compile().unwrap()
}

fn routed(understand: Arc<dyn Understand>, message: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let out = rt
        .block_on(router_graph(understand).invoke(
            ChatUpdate::default().message(message),
            &RunConfig::thread("t"),
        ))
        .unwrap();
    out.state.trail
}

#[test]
fn the_router_follows_the_intent_above_the_threshold() {
    assert_eq!(
        routed(Arc::new(Fixed(Intent::ReservationRequest, 0.9)), "hi"),
        ["book"]
    );
    assert_eq!(
        routed(Arc::new(Fixed(Intent::CancellationRequest, 0.6)), "hi"),
        ["cancel"]
    );
    // Too unsure, unmapped, or nothing to understand: the fallback.
    assert_eq!(
        routed(Arc::new(Fixed(Intent::ReservationRequest, 0.59)), "hi"),
        ["help"]
    );
    assert_eq!(
        routed(Arc::new(Fixed(Intent::Complaint, 1.0)), "hi"),
        ["help"]
    );
    assert_eq!(
        routed(Arc::new(Fixed(Intent::ReservationRequest, 1.0)), "  "),
        ["help"]
    );
}

#[test]
fn the_router_draws_its_routes() {
    let graph = router_graph(Arc::new(Fixed(Intent::Greeting, 1.0))).describe();
    let mut from_route: Vec<(&str, bool)> = graph
        .edges
        .iter()
        .filter(|e| e.source == "route")
        .map(|e| (e.target.as_str(), e.conditional))
        .collect();
    from_route.sort();
    assert_eq!(
        from_route,
        [("book", true), ("cancel", true), ("help", true)]
    );
}

#[tokio::test]
async fn a_model_call_is_journaled_across_a_retry() {
    let model = Scripted::new("scripted", vec![Ok(Message::model("Rooms from 90 EUR."))]);
    let stores = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&stores);
    let mut g = StateGraph::<Chat>::new();
    g.add_node_impl(
        "answer",
        LlmNode::new(
            Arc::clone(&model) as Arc<dyn ChatModel>,
            |s: &Chat| Ok::<_, Error>(ChatRequest::new("Be brief.", s.message.clone())),
            move |answer| {
                // The first attempt fails after the call: the retry must not call again.
                if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                    return Err(NodeError::msg("the store hiccuped"));
                }
                Ok(ChatUpdate::default().answer(answer.text()))
            },
        ),
    )
    .retry(RetryPolicy::attempts(2).backoff(
        std::time::Duration::ZERO,
        1.0,
        std::time::Duration::ZERO,
    ));
    g.add_edge(START, "answer").add_edge("answer", END);
    let g = g
        .compile()
        .unwrap()
        .with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
    let out = g
        .invoke(
            ChatUpdate::default().message("price?"),
            &RunConfig::thread("t"),
        )
        .await
        .unwrap();
    assert_eq!(out.state.answer, "Rooms from 90 EUR.");
    assert_eq!(model.calls(), 1);
    assert_eq!(stores.load(Ordering::SeqCst), 2);
    let sent = &model.requests.lock().unwrap()[0];
    assert_eq!(sent.system.as_deref(), Some("Be brief."));
    assert_eq!(sent.messages, [Message::user("price?")]);
}

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
struct Quote {
    nights: u32,
    total: f64,
}

fn quoting(model: Arc<Scripted>) -> graph_core::CompiledGraph<Chat> {
    let mut g = StateGraph::<Chat>::new();
    g.add_node_impl(
        "quote",
        LlmNode::structured(
            model as Arc<dyn ChatModel>,
            |s: &Chat| Ok::<_, Error>(ChatRequest::new("Quote the stay.", s.message.clone())),
            |q: Quote| ChatUpdate::default().answer(format!("{} nights: {}", q.nights, q.total)),
        ),
    );
    g.add_edge(START, "quote").add_edge("quote", END);
    g.compile().unwrap()
}

#[tokio::test]
async fn structured_output_parses_and_names_what_is_wrong() {
    let model = Scripted::new(
        "scripted",
        vec![Ok(Message::model(r#"{"nights": 3, "total": 270.0}"#))],
    );
    let out = quoting(Arc::clone(&model))
        .invoke(
            ChatUpdate::default().message("3 nights"),
            &RunConfig::thread("t"),
        )
        .await
        .unwrap();
    assert_eq!(out.state.answer, "3 nights: 270");
    let schema = model.requests.lock().unwrap()[0]
        .response_schema
        .clone()
        .unwrap();
    assert_eq!(schema["properties"]["nights"]["type"], "integer");

    let model = Scripted::new(
        "scripted",
        vec![Ok(Message::model(r#"{"nights": "three"}"#))],
    );
    let error = quoting(model)
        .invoke(
            ChatUpdate::default().message("3 nights"),
            &RunConfig::thread("t"),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("does not parse") && error.contains("three"),
        "{error}"
    );
}

#[tokio::test]
async fn a_malformed_structured_answer_is_not_kept_so_a_retry_asks_again() {
    let model = Scripted::new(
        "scripted",
        vec![
            Ok(Message::model("three nights, 270")),
            Ok(Message::model(r#"{"nights": 3, "total": 270.0}"#)),
        ],
    );
    let mut g = StateGraph::<Chat>::new();
    g.add_node_impl(
        "quote",
        LlmNode::structured(
            Arc::clone(&model) as Arc<dyn ChatModel>,
            |s: &Chat| Ok::<_, Error>(ChatRequest::new("Quote the stay.", s.message.clone())),
            |q: Quote| ChatUpdate::default().answer(format!("{} nights", q.nights)),
        ),
    )
    .retry(RetryPolicy::attempts(2).backoff(
        std::time::Duration::ZERO,
        1.0,
        std::time::Duration::ZERO,
    ));
    g.add_edge(START, "quote").add_edge("quote", END);
    let g = g
        .compile()
        .unwrap()
        .with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
    let out = g
        .invoke(
            ChatUpdate::default().message("3 nights"),
            &RunConfig::thread("t"),
        )
        .await
        .unwrap();
    assert_eq!(out.state.answer, "3 nights");
    assert_eq!(model.calls(), 2);
}

#[tokio::test]
async fn streamed_runs_forward_text_as_message_events() {
    let model = Scripted::new("gemini", vec![Ok(Message::model("Yes we have rooms"))]);
    let mut g = StateGraph::<Chat>::new();
    g.add_node_impl(
        "answer",
        LlmNode::new(
            model as Arc<dyn ChatModel>,
            |s: &Chat| Ok::<_, Error>(ChatRequest::new("", s.message.clone())),
            |a| Ok(ChatUpdate::default().answer(a.text())),
        ),
    );
    g.add_edge(START, "answer").add_edge("answer", END);
    let g = g.compile().unwrap();
    let mut events = g.stream(
        ChatUpdate::default().message("rooms?"),
        &RunConfig::thread("t"),
        graph_core::StreamModes::ALL,
    );
    let mut chunks = Vec::new();
    while let Some(event) = events.next().await {
        if let EventKind::Message(chunk) = event.kind {
            assert_eq!(chunk.provider.as_deref(), Some("gemini"));
            chunks.push(chunk.text);
        }
    }
    assert_eq!(chunks, ["Yes ", "we ", "have ", "rooms"]);
}

#[derive(Deserialize, JsonSchema)]
struct Hold {
    /// The room.
    room: String,
    /// Nights, at least 1.
    #[schemars(range(min = 1))]
    nights: u32,
}

/// START → tools → END, the tool node running the state's `calls` into `results`.
fn tool_graph(toolbox: Toolbox) -> graph_core::CompiledGraph<Chat> {
    let mut g = StateGraph::<Chat>::new();
    g.add_node_impl(
        "tools",
        ToolNode::new(
            toolbox,
            |s: &Chat| s.calls.clone(),
            |r| ChatUpdate::default().results(r),
        ),
    );
    g.add_edge(START, "tools").add_edge("tools", END);
    g.compile().unwrap()
}

fn call(name: &str, args: serde_json::Value) -> ToolCall {
    ToolCall {
        id: Some(format!("call-{name}")),
        name: name.to_owned(),
        args,
        replay: None,
    }
}

#[tokio::test]
async fn tool_calls_are_validated_and_errors_go_back_to_the_model() {
    let holds = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::clone(&holds);
    let toolbox = Toolbox::new()
        .with(tool(
            "hold_room",
            "Holds a room",
            move |h: Hold, key: String| {
                let seen = Arc::clone(&seen);
                async move {
                    if h.room == "penthouse" {
                        return Err(Error::Tool {
                            tool: "hold_room".into(),
                            reason: "no penthouse in this hotel".into(),
                        });
                    }
                    seen.lock().unwrap().push(key);
                    Ok(json!({"held": h.room, "nights": h.nights}))
                }
            },
        ))
        .unwrap();
    assert_eq!(
        toolbox.specs()[0].parameters["properties"]["nights"]["minimum"],
        1
    );
    let g = tool_graph(toolbox);
    let calls = vec![
        call("hold_room", json!({"room": "double", "nights": 2})),
        call("hold_room", json!({"room": "double", "nights": 0})),
        call("hold_room", json!({"room": "double"})),
        call("book_spa", json!({})),
        call("hold_room", json!({"room": "penthouse", "nights": 1})),
    ];
    let out = g
        .invoke(ChatUpdate::default().calls(calls), &RunConfig::thread("t"))
        .await
        .unwrap();
    let r = &out.state.results;
    assert_eq!(r.len(), 5);
    assert!(!r[0].is_error);
    assert_eq!(r[0].output, json!({"held": "double", "nights": 2}));
    assert_eq!(r[0].id.as_deref(), Some("call-hold_room"));
    let error = |i: usize| r[i].output["error"].as_str().unwrap().to_owned();
    assert!(
        r[1].is_error && error(1).contains("/nights") && error(1).contains("minimum"),
        "{}",
        error(1)
    );
    assert!(r[2].is_error && error(2).contains("nights"), "{}", error(2));
    assert!(
        r[3].is_error
            && error(3).contains("unknown tool `book_spa`")
            && error(3).contains("hold_room")
    );
    assert!(r[4].is_error && error(4).contains("no penthouse"));
    assert_eq!(holds.lock().unwrap().len(), 1, "only the valid call ran");
}

#[tokio::test]
async fn a_rerun_tool_node_does_not_repeat_calls_that_ran() {
    let runs = Arc::new(Mutex::new(Vec::<String>::new()));
    let crashed = Arc::new(AtomicUsize::new(0));
    let (seen, crash) = (Arc::clone(&runs), Arc::clone(&crashed));
    let toolbox = Toolbox::new()
        .with(tool(
            "charge",
            "Charges a card",
            move |h: Hold, key: String| {
                let (seen, crash) = (Arc::clone(&seen), Arc::clone(&crash));
                async move {
                    // The second call crashes the node the first time round.
                    if h.room == "suite" && crash.fetch_add(1, Ordering::SeqCst) == 0 {
                        panic!("the process died mid-call");
                    }
                    seen.lock().unwrap().push(format!("{}:{key}", h.room));
                    Ok(json!("charged"))
                }
            },
        ))
        .unwrap();
    let g = tool_graph(toolbox).with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
    let cfg = RunConfig::thread("t");
    let calls = vec![
        call("charge", json!({"room": "double", "nights": 1})),
        call("charge", json!({"room": "suite", "nights": 1})),
    ];
    g.invoke(ChatUpdate::default().calls(calls), &cfg)
        .await
        .unwrap_err();
    let out = g.resume(&cfg, graph_core::Resume::Continue).await.unwrap();
    assert_eq!(out.state.results.len(), 2);
    let runs = runs.lock().unwrap();
    assert_eq!(runs.len(), 2, "the double was charged once: {runs:?}");
    let keys: Vec<&str> = runs.iter().map(|r| r.split_once(':').unwrap().1).collect();
    assert!(
        keys[0].ends_with("/0") && keys[1].ends_with("/1"),
        "{keys:?}"
    );
}

#[test]
fn a_toolbox_refuses_duplicate_names() {
    let make = || tool("t", "", |_h: Hold, _k: String| async { Ok::<_, Error>(()) });
    let error = Toolbox::new()
        .with(make())
        .unwrap()
        .with(make())
        .err()
        .unwrap();
    assert!(error.to_string().contains("already"), "{error}");
}

#[tokio::test]
async fn the_validator_routes_and_explains_in_both_languages() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let build = || {
        let mut g = StateGraph::<Chat>::new();
        Validator::new(|v| ChatUpdate::default().violations(v), "book", "ask")
            .rule(move |s: &Chat| rules::stay(s.check_in, s.check_out, today, 30))
            .rule(|s: &Chat| rules::guests(s.adults, None, 4))
            .rule(|s: &Chat| {
                rules::required(
                    "adults",
                    s.adults.is_some(),
                    "How many guests?",
                    "¿Cuántos huéspedes?",
                )
            })
            .add_to(&mut g, "check");
        g.add_node("book", mark("book"));
        g.add_node("ask", mark("ask"));
        g.add_edge(START, "check")
            .add_edge("book", END)
            .add_edge("ask", END);
        g.compile().unwrap()
    };
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d);
    let ok = build()
        .invoke(
            ChatUpdate::default()
                .check_in(day(3))
                .check_out(day(6))
                .adults(Some(2)),
            &RunConfig::thread("a"),
        )
        .await
        .unwrap();
    assert_eq!(ok.state.trail, ["book"]);
    assert!(ok.state.violations.is_empty());

    let bad = build()
        .invoke(
            ChatUpdate::default()
                .check_in(day(6))
                .check_out(day(3))
                .adults(Some(5)),
            &RunConfig::thread("b"),
        )
        .await
        .unwrap();
    assert_eq!(bad.state.trail, ["ask"]);
    let v = &bad.state.violations;
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].slot, "check_out");
    assert_eq!(
        v[0].message(Language::Es),
        "La fecha de salida debe ser posterior a la de llegada."
    );
    assert!(
        v[1].message(Language::En)
            .contains("at most 4 guests; you are 5")
    );

    assert!(rules::email(Some("ana@example.com")).is_none());
    for bad in [
        "ana@",
        "ana@example",
        "an a@example.com",
        "@example.com",
        "a@b@c.com",
        "a@b..com",
    ] {
        assert!(rules::email(Some(bad)).is_some(), "{bad}");
    }
    assert!(rules::stay(day(1).map(|d| d - chrono::Days::new(30)), None, today, 30).is_some());
}

#[test]
fn templates_fill_placeholders_and_name_what_is_missing() {
    let t = Template::new("Hi {guest.name}, {{literal}} {nights} nights at {hotel}.").unwrap();
    assert_eq!(
        t.placeholders().collect::<Vec<_>>(),
        ["guest.name", "nights", "hotel"]
    );
    let vars = json!({"guest": {"name": "Ana"}, "nights": 3, "hotel": "Sol"});
    assert_eq!(
        t.render(vars.as_object().unwrap()).unwrap(),
        "Hi Ana, {literal} 3 nights at Sol."
    );
    let missing = json!({"guest": {}, "nights": 3, "hotel": "Sol"});
    let error = t
        .render(missing.as_object().unwrap())
        .unwrap_err()
        .to_string();
    assert!(error.contains("`{guest.name}`"), "{error}");
    for bad in ["{", "{}", "a } b", "{bad name}"] {
        assert!(Template::new(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn the_fallback_chain_names_who_answered() {
    let primary = Scripted::new("gemini", vec![Err(unavailable("gemini"))]);
    let backup = Scripted::new("openai", vec![Ok(Message::model("from the backup"))]);
    let chain = FallbackModel::new(vec![primary, backup]);
    let answer = chain.chat(&ChatRequest::new("", "hi")).await.unwrap();
    assert_eq!(
        (answer.provider.as_str(), answer.text().as_str()),
        ("openai", "from the backup")
    );

    let down = FallbackModel::new(vec![Scripted::new(
        "gemini",
        vec![Err(unavailable("gemini"))],
    )]);
    let error = down.chat(&ChatRequest::new("", "hi")).await.unwrap_err();
    assert!(matches!(error, Error::Exhausted { .. }));
    assert!(
        error
            .to_string()
            .contains("every model failed: gemini: HTTP 503"),
        "{error}"
    );
}

#[tokio::test]
async fn an_llm_understands_through_structured_output_and_falls_back() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let reading = json!({
        "intent": "reservation_request", "confidence": 0.93, "language": "es",
        "entities": {"check_in": "2026-12-03", "adults": 2},
        "sentiment": {"score": 0.2, "tone": "neutral", "requires_attention": false}
    });
    let model = Scripted::new("gemini", vec![Ok(Message::model(reading.to_string()))]);
    let llm = LlmUnderstand::new(
        Arc::clone(&model) as Arc<dyn ChatModel>,
        "Hotel Sol, Madrid.",
    );
    let u = llm.understand("Quiero reservar", today).await.unwrap();
    assert_eq!(u.intent, Intent::ReservationRequest);
    assert_eq!(u.language, Language::Es);
    assert_eq!(u.entities.check_in, NaiveDate::from_ymd_opt(2026, 12, 3));
    assert_eq!(u.provider, "gemini");
    let sent = model.requests.lock().unwrap()[0].clone();
    assert!(
        sent.system
            .unwrap()
            .contains("Today is 2026-11-22 (Sunday)")
    );
    assert!(sent.response_schema.unwrap()["properties"]["intent"].is_object());

    // A broken answer and a dead model both fall back to the next understander.
    let garbage = Scripted::new("gemini", vec![Ok(Message::model("{\"intent\": 7}"))]);
    let chain = FallbackUnderstand::new(vec![
        Arc::new(LlmUnderstand::new(garbage, "")),
        Arc::new(Fixed(Intent::Greeting, 0.8)),
    ]);
    let u = chain.understand("hola", today).await.unwrap();
    assert_eq!((u.intent, u.provider.as_str()), (Intent::Greeting, "fixed"));
    let _ = Part::Text(String::new());
}
