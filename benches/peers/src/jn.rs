//! The scenarios built on juncture 0.4.0, as in its repository's `benchmarks/benches/*.rs`
//! (github.com/greatwallisme/juncture), with `invoke_async` in the shared runtime instead of
//! the blocking `invoke` (which builds a new Tokio runtime per call).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use futures::StreamExt;
use juncture::command::{Command, SendTarget};
use juncture::edge::{PathMap, RouteResult, Router};
use juncture::node::{NodeFnCommand, NodeFnUpdate};
use juncture::state::messages::{MessagesState, MessagesStateUpdate};
use juncture::stream::StreamMode;
use juncture::{CompiledGraph, GraphOutput, JunctureError, RunnableConfig, StateGraph};
use juncture_derive::State;
use serde_json::Value;

/// juncture's benchmark config: no checkpointer, `recursion_limit` 20,000,000,000.
pub fn config() -> RunnableConfig {
    RunnableConfig {
        recursion_limit: 20_000_000_000,
        ..RunnableConfig::new()
    }
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: sequential.rs and streaming.rs.

/// START → node_0 → … → node_{n-1} → END over `MessagesState`, every node a no-op.
pub fn sequential(n: usize) -> CompiledGraph<MessagesState> {
    let mut graph = StateGraph::<MessagesState>::new();
    let names: Vec<String> = (0..n).map(|i| format!("node_{i}")).collect();
    for name in &names {
        graph
            .add_node_simple(
                name.as_str(),
                NodeFnUpdate(|_state: &MessagesState| async move {
                    Ok(MessagesStateUpdate { messages: None })
                }),
            )
            .expect("unique names");
    }
    graph.set_entry_point(names[0].as_str());
    for pair in names.windows(2) {
        graph.add_edge(pair[0].as_str(), pair[1].as_str());
    }
    graph.set_finish_point(names[n - 1].as_str());
    graph.compile().expect("the chain compiles")
}

/// One invocation of a chain.
pub async fn invoke_chain(g: &CompiledGraph<MessagesState>, cfg: &RunnableConfig) -> usize {
    let out: GraphOutput<MessagesState> = g
        .invoke_async(MessagesState { messages: vec![] }, cfg)
        .await
        .expect("chain runs");
    out.value.messages.len()
}

/// Streams a chain in `mode`, consuming every event; returns how many there were.
pub async fn stream_chain(
    g: &CompiledGraph<MessagesState>,
    cfg: &RunnableConfig,
    mode: StreamMode,
) -> usize {
    let handle = g
        .stream(MessagesState { messages: vec![] }, cfg, mode)
        .await
        .expect("stream starts");
    let mut stream = handle.stream;
    let mut events = 0;
    while let Some(event) = stream.next().await {
        event.expect("juncture stream event");
        events += 1;
    }
    events
}

// ---------------------------------------------------------------------------------------------
// 3: fan-out to N Sends that each append, then a merge node (the shape of juncture's
// `fanout_perf_test.rs` "simple Send+worker", with a merge node after the workers).

/// The fan-out state.
#[derive(State, Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[allow(missing_docs)]
pub struct Fan {
    pub subjects: Vec<String>,
    #[reducer(append)]
    pub results: Vec<String>,
    pub summary: String,
}

fn to_end(_state: &Fan) -> &str {
    "__end__"
}

/// START → plan ⇒ (one Send per subject) worker → merge → END.
pub fn fanout() -> CompiledGraph<Fan> {
    let mut graph = StateGraph::<Fan>::new();
    graph
        .add_node_simple(
            "plan",
            NodeFnCommand(|state: &Fan| {
                let targets: Vec<SendTarget> = state
                    .subjects
                    .iter()
                    .map(|s| SendTarget {
                        node: "worker".to_owned(),
                        state: serde_json::json!({"subjects": [s], "results": [], "summary": ""}),
                        timeout: None,
                    })
                    .collect();
                async move { Ok(Command::send(targets)) }
            }),
        )
        .expect("plan");
    graph
        .add_node_simple(
            "worker",
            NodeFnUpdate(|state: &Fan| {
                let subject = state.subjects.first().cloned().unwrap_or_default();
                async move {
                    Ok(FanUpdate {
                        results: Some(vec![format!("processed_{subject}")]),
                        ..Default::default()
                    })
                }
            }),
        )
        .expect("worker");
    graph
        .add_node_simple(
            "merge",
            NodeFnUpdate(|state: &Fan| {
                let summary = format!("{} results", state.results.len());
                async move {
                    Ok(FanUpdate {
                        summary: Some(summary),
                        ..Default::default()
                    })
                }
            }),
        )
        .expect("merge");
    graph.set_entry_point("plan");
    // juncture's compile rejects a node no edge reaches ("worker" is reached only by the Sends);
    // its own benches add a fixed edge plan → worker, which runs a 101st worker on the parent
    // state. A conditional edge that names "worker" but always routes to END keeps it at 100.
    graph.add_conditional_edges(
        "plan",
        Arc::new(to_end as fn(&Fan) -> &str) as Arc<dyn Router<Fan>>,
        PathMap::from(&[("worker", "worker"), ("__end__", "__end__")]),
    );
    graph.add_edge("worker", "merge");
    graph.set_finish_point("merge");
    graph.compile().expect("the fan-out compiles")
}

/// One fan-out over `subjects`; returns the number of results.
pub async fn invoke_fanout(g: &CompiledGraph<Fan>, cfg: &RunnableConfig, subjects: Vec<String>) -> usize {
    let input = Fan {
        subjects,
        results: vec![],
        summary: String::new(),
    };
    let out: GraphOutput<Fan> = g.invoke_async(input, cfg).await.expect("fan-out runs");
    assert!(out.value.summary.ends_with(" results"), "{:?}", out.value.summary);
    out.value.results.len()
}

// ---------------------------------------------------------------------------------------------
// 4: wide_state.rs.

type Map = HashMap<String, Value>;

/// juncture's `WideState`, field for field and reducer for reducer.
#[derive(State, Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[allow(missing_docs)]
pub struct Wide {
    #[reducer(append)]
    pub messages: Vec<Value>,
    #[reducer(append)]
    pub trigger_events: Vec<Value>,
    #[reducer(last_write_wins)]
    pub primary_issue_medium: Option<String>,
    pub autoresponse: Option<Map>,
    pub issue: Option<Map>,
    pub relevant_rules: Option<Vec<Map>>,
    pub memory_docs: Option<Vec<Map>>,
    #[reducer(append)]
    pub categorizations: Vec<Map>,
    #[reducer(append)]
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

fn add(graph: &mut StateGraph<Wide>, name: &str, f: fn(&Wide) -> WideUpdate) {
    graph
        .add_node_simple(
            name,
            NodeFnUpdate(move |state: &Wide| {
                let update = f(state);
                async move { Ok(update) }
            }),
        )
        .expect("unique names");
}

fn loop_router(n: usize) -> impl Fn(&Wide) -> &str + Send + Sync + 'static {
    move |state: &Wide| -> &str {
        if state.messages.len() <= n { "one" } else { "__end__" }
    }
}

/// one → two → {three, four} → five → six → (one while `messages.len() <= n`, else END).
pub fn wide_state(n: usize) -> CompiledGraph<Wide> {
    let mut graph = StateGraph::<Wide>::new();
    add(&mut graph, "one", |state| {
        let _ = state.messages.last();
        WideUpdate {
            trigger_events: Some(vec![
                serde_json::json!({"event": "triggered", "data": crate::random_string(10)}),
            ]),
            primary_issue_medium: Some(Some("email".to_owned())),
            ..Default::default()
        }
    });
    add(&mut graph, "two", |state| {
        let _ = state.trigger_events.last();
        WideUpdate {
            autoresponse: Some(Some(map("enabled", Value::Bool(true)))),
            issue: Some(Some(map("type", "support".into()))),
            ..Default::default()
        }
    });
    add(&mut graph, "three", |state| {
        let _ = &state.autoresponse;
        WideUpdate {
            relevant_rules: Some(Some(vec![map("id", "rule_1".into())])),
            ..Default::default()
        }
    });
    add(&mut graph, "four", |state| {
        let _ = state.trigger_events.last();
        WideUpdate {
            categorizations: Some(vec![map("category", "billing".into())]),
            responses: Some(vec![map("text", "Hello".into())]),
            memory_docs: Some(Some(vec![map("doc_id", "doc_1".into())])),
            ..Default::default()
        }
    });
    add(&mut graph, "five", |state| {
        let _ = state.categorizations.last();
        WideUpdate {
            user_info: Some(Some(map("email", "user@example.com".into()))),
            crm_info: Some(Some(map("org", "acme".into()))),
            email_thread_id: Some(Some("thread_123".to_owned())),
            slack_participants: Some(Some(map("count", 5.into()))),
            bot_id: Some(Some("bot_abc".to_owned())),
            notified_assignees: Some(Some(map("agent", "assigned".into()))),
            ..Default::default()
        }
    });
    add(&mut graph, "six", |state| {
        let _ = state.responses.last();
        WideUpdate {
            messages: Some(vec![serde_json::json!({"message": "completed"})]),
            ..Default::default()
        }
    });
    graph.set_entry_point("one");
    graph.add_edge("one", "two");
    graph.add_edge("two", "three");
    graph.add_edge("two", "four");
    graph.add_edge("three", "five");
    graph.add_edge("four", "five");
    graph.add_edge("five", "six");
    let router = loop_router(n);
    graph.add_conditional_edges(
        "six",
        Arc::new(router) as Arc<dyn Router<Wide>>,
        PathMap::from(&[("one", "one"), ("__end__", "__end__")]),
    );
    graph.compile().expect("the wide-state graph compiles")
}

/// The input: 50 messages of 50 keys each, and `primary_issue_medium`.
pub fn wide_input() -> Wide {
    Wide {
        messages: crate::wide_messages(),
        primary_issue_medium: Some("email".to_owned()),
        ..Default::default()
    }
}

/// One wide-state run; returns (messages, trigger_events) lengths.
pub async fn invoke_wide(g: &CompiledGraph<Wide>, cfg: &RunnableConfig, input: Wide) -> (usize, usize) {
    let out: GraphOutput<Wide> = g.invoke_async(input, cfg).await.expect("wide state runs");
    (out.value.messages.len(), out.value.trigger_events.len())
}

// ---------------------------------------------------------------------------------------------
// 5: conditional_routing.rs.

/// The routing state.
#[derive(State, Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[allow(missing_docs)]
pub struct Routing {
    pub value: u32,
    pub result: String,
}

struct ModuloRouter {
    branches: u32,
}

impl Router<Routing> for ModuloRouter {
    fn route(
        &self,
        state: &Routing,
    ) -> Pin<Box<dyn Future<Output = Result<RouteResult, JunctureError>> + Send + '_>> {
        let target = format!("branch_{}", state.value % self.branches);
        Box::pin(async move { Ok(RouteResult::One(target)) })
    }
}

/// START → route ⇒ (branch_{value % n}) → collect → END.
pub fn routing(n: usize) -> CompiledGraph<Routing> {
    let mut graph = StateGraph::<Routing>::new();
    graph
        .add_node_simple(
            "route",
            NodeFnUpdate(|state: &Routing| {
                let value = state.value;
                async move {
                    Ok(RoutingUpdate {
                        value: Some(value),
                        result: None,
                    })
                }
            }),
        )
        .expect("route");
    for i in 0..n {
        graph
            .add_node_simple(
                format!("branch_{i}"),
                NodeFnUpdate(move |_state: &Routing| async move {
                    Ok(RoutingUpdate {
                        value: None,
                        result: Some(format!("branch_{i}_visited")),
                    })
                }),
            )
            .expect("branch");
    }
    graph
        .add_node_simple(
            "collect",
            NodeFnUpdate(|state: &Routing| {
                let result = state.result.clone();
                async move {
                    Ok(RoutingUpdate {
                        value: None,
                        result: Some(format!("{result}_complete")),
                    })
                }
            }),
        )
        .expect("collect");
    graph.set_entry_point("route");
    let mut path_map = PathMap::new();
    for i in 0..n {
        path_map.insert(format!("branch_{i}"), format!("branch_{i}"));
    }
    let branches = u32::try_from(n).expect("branches fit in u32");
    graph.add_conditional_edges("route", Arc::new(ModuloRouter { branches }), path_map);
    for i in 0..n {
        graph.add_edge(format!("branch_{i}"), "collect");
    }
    graph.set_finish_point("collect");
    graph.compile().expect("the routing graph compiles")
}

/// One routed run; returns the result.
pub async fn invoke_routing(g: &CompiledGraph<Routing>, cfg: &RunnableConfig, value: u32) -> String {
    let out: GraphOutput<Routing> = g
        .invoke_async(Routing { value, result: String::new() }, cfg)
        .await
        .expect("routing runs");
    out.value.result
}
