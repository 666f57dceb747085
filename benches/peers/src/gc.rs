//! The scenarios built on graph-core. Each mirrors the juncture graph of the same name in
//! `jn.rs` node for node and edge for edge (see the README for the sources).

use std::collections::HashMap;
use std::sync::Arc;

use graph_core::{
    CompiledGraph, Ctx, END, EventKind, NodeError, Push, RunConfig, START, State, StateGraph,
    StreamMode,
};
use serde_json::Value;

/// No checkpointer, and a superstep limit well above any scenario's (the default is 10,000).
pub fn config() -> RunConfig {
    RunConfig::thread("peers").max_supersteps(1_000_000)
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: a chain of no-op nodes (juncture: MessagesState, nodes return `messages: None`).

/// juncture's `MessagesState`: one append list, here of strings (it stays empty).
#[derive(State, Clone, Default, Debug)]
pub struct Msgs {
    /// Never written.
    #[state(append)]
    pub messages: Vec<String>,
}

/// START → node_0 → … → node_{n-1} → END, every node a no-op.
pub fn sequential(n: usize) -> CompiledGraph<Msgs> {
    let mut g = StateGraph::<Msgs>::new();
    let names: Vec<String> = (0..n).map(|i| format!("node_{i}")).collect();
    for name in &names {
        g.add_node(name.as_str(), |_s: Arc<Msgs>, _c: Ctx| async {
            Ok(MsgsUpdate::default())
        });
    }
    g.add_edge(START, names[0].as_str());
    for pair in names.windows(2) {
        g.add_edge(pair[0].as_str(), pair[1].as_str());
    }
    g.add_edge(names[n - 1].as_str(), END);
    g.compile().expect("the chain compiles")
}

/// One invocation of a chain; returns the number of supersteps' worth of state (for checks).
pub async fn invoke_chain(g: &CompiledGraph<Msgs>, cfg: &RunConfig) -> usize {
    let out = g.invoke(MsgsUpdate::default(), cfg).await.expect("chain runs");
    out.state.messages.len()
}

/// Streams a chain in `mode`, consuming every event; returns how many there were.
pub async fn stream_chain(g: &CompiledGraph<Msgs>, cfg: &RunConfig, mode: StreamMode) -> usize {
    let mut stream = g.stream(MsgsUpdate::default(), cfg, mode);
    let mut events = 0;
    while let Some(event) = stream.next().await {
        if let EventKind::Error(e) = &event.kind {
            panic!("graph-core stream failed: {e}");
        }
        events += 1;
    }
    events
}

// ---------------------------------------------------------------------------------------------
// 3: fan-out to N pushes that each append, then a merge node.

/// The fan-out state: the subjects, the workers' results, and the merge's summary.
#[derive(State, Clone, Default, Debug)]
pub struct Fan {
    /// One push per subject.
    pub subjects: Vec<String>,
    /// Appended by every worker.
    #[state(append)]
    pub results: Vec<String>,
    /// Written by `merge`.
    pub summary: String,
}

/// START → plan ⇒ (one push per subject) worker → merge → END.
pub fn fanout() -> CompiledGraph<Fan> {
    let mut g = StateGraph::<Fan>::new();
    g.add_node("plan", |_s: Arc<Fan>, _c: Ctx| async { Ok(FanUpdate::default()) });
    g.add_push_node("worker", |subject: String, _c: Ctx| async move {
        Ok::<_, NodeError>(FanUpdate::default().results(vec![format!("processed_{subject}")]))
    });
    g.add_node("merge", |s: Arc<Fan>, _c: Ctx| async move {
        Ok(FanUpdate::default().summary(format!("{} results", s.results.len())))
    });
    g.add_edge(START, "plan");
    g.add_conditional_edge("plan", ["worker"], |s: &Fan| {
        s.subjects
            .iter()
            .map(|subject| Push::new("worker", subject))
            .collect::<Vec<_>>()
    });
    g.add_edge("worker", "merge").add_edge("merge", END);
    g.compile().expect("the fan-out compiles")
}

/// One fan-out over `subjects`; returns the number of results.
pub async fn invoke_fanout(g: &CompiledGraph<Fan>, cfg: &RunConfig, subjects: Vec<String>) -> usize {
    let out = g
        .invoke(FanUpdate::default().subjects(subjects), cfg)
        .await
        .expect("fan-out runs");
    assert!(out.state.summary.ends_with(" results"));
    out.state.results.len()
}

// ---------------------------------------------------------------------------------------------
// 4: juncture's wide_state.rs (LangGraph's bench/wide_state.py).

type Map = HashMap<String, Value>;

/// 15 fields, reducers as in juncture's scenario (its `last_write_wins` field is an overwrite
/// here: only one node writes it).
#[derive(State, Clone, Default, Debug)]
#[allow(missing_docs)]
pub struct Wide {
    #[state(append)]
    pub messages: Vec<Value>,
    #[state(append)]
    pub trigger_events: Vec<Value>,
    pub primary_issue_medium: Option<String>,
    pub autoresponse: Option<Map>,
    pub issue: Option<Map>,
    pub relevant_rules: Option<Vec<Map>>,
    pub memory_docs: Option<Vec<Map>>,
    #[state(append)]
    pub categorizations: Vec<Map>,
    #[state(append)]
    pub responses: Vec<Map>,
    pub user_info: Option<Map>,
    pub crm_info: Option<Map>,
    pub email_thread_id: Option<String>,
    pub slack_participants: Option<Map>,
    pub bot_id: Option<String>,
    pub notified_assignees: Option<Map>,
}

fn map(key: &str, value: Value) -> Map {
    HashMap::from([(key.to_owned(), value)])
}

/// one → two → {three, four} → five → six → (one while `messages.len() <= n`, else END).
pub fn wide_state(n: usize) -> CompiledGraph<Wide> {
    let mut g = StateGraph::<Wide>::new();
    g.add_node("one", |s: Arc<Wide>, _c: Ctx| async move {
        let _ = s.messages.last();
        Ok(WideUpdate::default()
            .trigger_events(vec![
                serde_json::json!({"event": "triggered", "data": crate::random_string(10)}),
            ])
            .primary_issue_medium(Some("email".to_owned())))
    });
    g.add_node("two", |s: Arc<Wide>, _c: Ctx| async move {
        let _ = s.trigger_events.last();
        Ok(WideUpdate::default()
            .autoresponse(Some(map("enabled", Value::Bool(true))))
            .issue(Some(map("type", "support".into()))))
    });
    g.add_node("three", |s: Arc<Wide>, _c: Ctx| async move {
        let _ = &s.autoresponse;
        Ok(WideUpdate::default().relevant_rules(Some(vec![map("id", "rule_1".into())])))
    });
    g.add_node("four", |s: Arc<Wide>, _c: Ctx| async move {
        let _ = s.trigger_events.last();
        Ok(WideUpdate::default()
            .categorizations(vec![map("category", "billing".into())])
            .responses(vec![map("text", "Hello".into())])
            .memory_docs(Some(vec![map("doc_id", "doc_1".into())])))
    });
    g.add_node("five", |s: Arc<Wide>, _c: Ctx| async move {
        let _ = s.categorizations.last();
        Ok(WideUpdate::default()
            .user_info(Some(map("email", "user@example.com".into())))
            .crm_info(Some(map("org", "acme".into())))
            .email_thread_id(Some("thread_123".to_owned()))
            .slack_participants(Some(map("count", 5.into())))
            .bot_id(Some("bot_abc".to_owned()))
            .notified_assignees(Some(map("agent", "assigned".into()))))
    });
    g.add_node("six", |s: Arc<Wide>, _c: Ctx| async move {
        let _ = s.responses.last();
        Ok(WideUpdate::default().messages(vec![serde_json::json!({"message": "completed"})]))
    });
    g.add_edge(START, "one")
        .add_edge("one", "two")
        .add_edge("two", "three")
        .add_edge("two", "four")
        .add_edge("three", "five")
        .add_edge("four", "five")
        .add_edge("five", "six");
    g.add_conditional_edge("six", ["one".into(), END], move |s: &Wide| {
        if s.messages.len() <= n { "one".into() } else { END }
    });
    g.compile().expect("the wide-state graph compiles")
}

/// The input: juncture's 50 messages of 50 keys each, and `primary_issue_medium`.
pub fn wide_input() -> WideUpdate {
    WideUpdate::default()
        .messages(crate::wide_messages())
        .primary_issue_medium(Some("email".to_owned()))
}

/// One wide-state run; returns (messages, trigger_events) lengths.
pub async fn invoke_wide(g: &CompiledGraph<Wide>, cfg: &RunConfig, input: WideUpdate) -> (usize, usize) {
    let out = g.invoke(input, cfg).await.expect("wide state runs");
    (out.state.messages.len(), out.state.trigger_events.len())
}

// ---------------------------------------------------------------------------------------------
// 5: juncture's conditional_routing.rs.

/// The routing state.
#[derive(State, Clone, Default, Debug)]
pub struct Routing {
    /// Routed on: `value % branches`.
    pub value: u32,
    /// Written by the branch and by `collect`.
    pub result: String,
}

/// START → route ⇒ (branch_{value % n}) → collect → END.
pub fn routing(n: usize) -> CompiledGraph<Routing> {
    let mut g = StateGraph::<Routing>::new();
    g.add_node("route", |s: Arc<Routing>, _c: Ctx| async move {
        Ok(RoutingUpdate::default().value(s.value))
    });
    let branches: Vec<String> = (0..n).map(|i| format!("branch_{i}")).collect();
    for (i, name) in branches.iter().enumerate() {
        g.add_node(name.as_str(), move |_s: Arc<Routing>, _c: Ctx| async move {
            Ok(RoutingUpdate::default().result(format!("branch_{i}_visited")))
        });
        g.add_edge(name.as_str(), "collect");
    }
    g.add_node("collect", |s: Arc<Routing>, _c: Ctx| async move {
        Ok(RoutingUpdate::default().result(format!("{}_complete", s.result)))
    });
    g.add_edge(START, "route").add_edge("collect", END);
    let branch_count = u32::try_from(n).expect("branches fit in u32");
    g.add_conditional_edge("route", branches, move |s: &Routing| {
        format!("branch_{}", s.value % branch_count)
    });
    g.compile().expect("the routing graph compiles")
}

/// One routed run; returns the result.
pub async fn invoke_routing(g: &CompiledGraph<Routing>, cfg: &RunConfig, value: u32) -> String {
    let out = g
        .invoke(RoutingUpdate::default().value(value), cfg)
        .await
        .expect("routing runs");
    out.state.result
}
