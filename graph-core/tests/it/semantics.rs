//! Execution semantics: reducers, write order, conflicts, edges, routing, commands, pushes and
//! the superstep limit (LangGraph's acceptance checks, ported).

use std::sync::Arc;
use std::time::Duration;

use graph_core::{
    Command, Ctx, END, Error, Keyed, NodeError, Push, RunConfig, START, State, StateGraph,
};
use serde::{Deserialize, Serialize};

use crate::{Calls, Log, LogUpdate, append, push};

fn cfg() -> RunConfig {
    RunConfig::thread("t")
}

#[tokio::test]
async fn unset_fields_keep_defaults_and_input_goes_through_reducers() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("noop", |_s: Arc<Log>, _c: Ctx| async { Ok(()) });
    g.add_edge(START, "noop");
    let g = g.compile().unwrap();
    let out = g.invoke(LogUpdate::default().v("x"), &cfg()).await.unwrap();
    assert_eq!(out.state.v, "x");
    assert_eq!(out.state.w, None);
    assert!(out.state.log.is_empty());
}

#[tokio::test]
async fn input_then_parallel_then_join_appends_in_task_order() {
    // Input {"log":["in"]}, then a ∥ b, then c → ['in','a','b','c'].
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", append("b"));
    g.add_node("c", append("c"));
    g.add_edge(START, "a")
        .add_edge(START, "b")
        .add_edge("a", "c")
        .add_edge("b", "c");
    let g = g.compile().unwrap();
    let out = g.invoke(push("in"), &cfg()).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "b", "c"]);
    assert_eq!(out.executed, ["a", "b", "c"]);
}

#[tokio::test(start_paused = true)]
async fn updates_apply_in_task_order_not_finish_order() {
    // Async a (200 ms) and b (10 ms) both append → ['a','b'].
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", |_s: Arc<Log>, _c: Ctx| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(push("a"))
    });
    g.add_node("b", |_s: Arc<Log>, _c: Ctx| async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        Ok(push("b"))
    });
    g.add_edge(START, "a").add_edge(START, "b");
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap();
    assert_eq!(out.state.log, ["a", "b"]);
}

#[tokio::test]
async fn two_writes_to_an_overwrite_field_in_one_superstep_are_an_error() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", |_s: Arc<Log>, _c: Ctx| async {
        Ok(LogUpdate::default().x(1))
    });
    g.add_node("b", |_s: Arc<Log>, _c: Ctx| async {
        Ok(LogUpdate::default().x(1))
    });
    g.add_edge(START, "a").add_edge(START, "b");
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { field: "x", .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: nodes `a` and `b` both wrote field `x` in the same superstep; it \
         can receive only one value per superstep: give it a reducer (append, add, merge or a \
         custom fn) to combine concurrent writes"
    );
}

#[tokio::test]
async fn parallel_writes_to_reduced_fields_combine() {
    let mut g = StateGraph::<Log>::new();
    for name in ["a", "b", "c"] {
        g.add_node(name, move |_s: Arc<Log>, _c: Ctx| async move {
            Ok(push(name).n(2u32))
        });
        g.add_edge(START, name);
    }
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default().n(1u32), &cfg())
        .await
        .unwrap();
    assert_eq!(out.state.n, 7);
    assert_eq!(out.state.log, ["a", "b", "c"]);
}

fn fan_in_graph(join: bool) -> StateGraph<Log> {
    // START→a, START→b→b2, then a,b2 → c (two edges, or one join).
    let mut g = StateGraph::<Log>::new();
    for name in ["a", "b", "b2", "c"] {
        g.add_node(name, append(name));
    }
    g.add_edge(START, "a")
        .add_edge(START, "b")
        .add_edge("b", "b2");
    if join {
        g.add_join_edge(["a", "b2"], "c");
    } else {
        g.add_edge("a", "c").add_edge("b2", "c");
    }
    g
}

#[tokio::test]
async fn separate_edges_run_the_target_once_per_superstep_a_source_ran() {
    let out = fan_in_graph(false)
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap();
    assert_eq!(out.state.log, ["a", "b", "b2", "c", "c"]);
}

#[tokio::test]
async fn a_join_edge_waits_for_all_sources() {
    let out = fan_in_graph(true)
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap();
    assert_eq!(out.state.log, ["a", "b", "b2", "c"]);
}

#[tokio::test]
async fn a_router_sees_the_pre_step_state_plus_only_its_own_update() {
    // a ∥ b where a sets flag: b's router still sees the old flag; a's router sees the new one.
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", |_s: Arc<Log>, _c: Ctx| async {
        Ok(LogUpdate::default().flag(true))
    });
    g.add_node("b", append("b"));
    g.add_node("saw_true", append("saw_true"));
    g.add_node("saw_false", append("saw_false"));
    g.add_edge(START, "a").add_edge(START, "b");
    let pick = |s: &Log| if s.flag { "saw_true" } else { "saw_false" };
    g.add_conditional_edge("a", ["saw_true", "saw_false"], pick);
    g.add_conditional_edge("b", ["saw_true", "saw_false"], pick);
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap();
    assert_eq!(out.state.log, ["b", "saw_false", "saw_true"]);
}

#[tokio::test]
async fn routing_to_an_undeclared_or_unknown_node_is_an_error_not_a_warning() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", append("b"));
    g.add_edge(START, "a");
    g.add_conditional_edge("a", ["b"], |_s: &Log| "zzz");
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: node `a` routed to `zzz`: no such node"
    );

    let mut g = StateGraph::<Log>::new();
    g.add_node("a", append("a"));
    g.add_node("b", append("b"));
    g.add_edge(START, "a");
    g.add_conditional_edge("a", ["b"], |_s: &Log| END);
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: node `a` routed to `END`: it is not a declared target (declared: `b`)"
    );
}

#[tokio::test]
async fn command_goto_adds_to_static_edges() {
    // Command(goto="y") plus a static router→z → [router, y, z].
    let mut g = StateGraph::<Log>::new();
    g.add_node("router", |_s: Arc<Log>, _c: Ctx| async {
        Ok(Command::<Log>::update(push("router")).and_goto("y"))
    })
    .destinations(["y"]);
    g.add_node("y", append("y"));
    g.add_node("z", append("z"));
    g.add_edge(START, "router").add_edge("router", "z");
    let g = g.compile().unwrap();
    let out = g.invoke(LogUpdate::default(), &cfg()).await.unwrap();
    assert_eq!(out.state.log, ["router", "y", "z"]);
    assert!(g.to_mermaid().contains("router -.-> y;"));
}

#[derive(State, Clone, Default, Debug)]
struct Jokes {
    subjects: Vec<String>,
    #[state(append)]
    jokes: Vec<String>,
}

fn a_joke_per_subject(s: &Jokes) -> Vec<Push> {
    s.subjects.iter().map(|x| Push::new("joke", x)).collect()
}

#[tokio::test(start_paused = true)]
async fn pushes_run_in_parallel_with_their_own_input_and_reduce_in_push_order() {
    let mut g = StateGraph::<Jokes>::new();
    g.add_node("plan", |_s: Arc<Jokes>, _c: Ctx| async { Ok(()) });
    g.add_push_node("joke", |subject: String, _c: Ctx| async move {
        // Later subjects finish first.
        let delay = match subject.as_str() {
            "cats" => 30,
            "dogs" => 20,
            _ => 10,
        };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        Ok(JokesUpdate::default().jokes(vec![format!("joke about {subject}")]))
    });
    g.add_edge(START, "plan");
    g.add_conditional_edge("plan", ["joke"], a_joke_per_subject);
    let g = g.compile().unwrap();
    let subjects: Vec<String> = ["cats", "dogs", "eels"].map(String::from).to_vec();
    let out = g
        .invoke(JokesUpdate::default().subjects(subjects), &cfg())
        .await
        .unwrap();
    assert_eq!(
        out.state.jokes,
        ["joke about cats", "joke about dogs", "joke about eels"]
    );
}

#[tokio::test]
async fn a_push_with_the_wrong_input_type_fails_naming_the_node() {
    let mut g = StateGraph::<Jokes>::new();
    g.add_node("plan", |_s: Arc<Jokes>, _c: Ctx| async {
        Ok(Command::<Jokes>::goto(Push::new("joke", &42)))
    })
    .destinations(["joke"]);
    g.add_push_node("joke", |_subject: String, _c: Ctx| async { Ok(()) });
    g.add_edge(START, "plan");
    let err = g
        .compile()
        .unwrap()
        .invoke(JokesUpdate::default(), &cfg())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("thread `t`, superstep 1: node `joke` failed: the Push input does not decode as `alloc::string::String`"), "{text}");
}

fn counter_loop() -> graph_core::CompiledGraph<Log> {
    // A self-loop that needs 4 supersteps: n goes 1, 2, 3, 4, then END.
    let mut g = StateGraph::<Log>::new();
    g.add_node("inc", |_s: Arc<Log>, _c: Ctx| async {
        Ok(LogUpdate::default().n(1u32))
    });
    g.add_edge(START, "inc");
    g.add_conditional_edge("inc", ["inc".into(), END], |s: &Log| {
        if s.n < 4 { "inc".into() } else { END }
    });
    g.compile().unwrap()
}

#[tokio::test]
async fn the_superstep_limit_is_exact() {
    // LangGraph counts its START task as a superstep, so there N loop supersteps need a limit of
    // N+1; graph-core has no START task, so they need exactly N.
    let g = counter_loop();
    let err = g
        .invoke(LogUpdate::default(), &cfg().max_supersteps(3))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::SuperstepLimit {
                limit: 3,
                step: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("superstep limit of 3 reached"));
    let out = g
        .invoke(
            LogUpdate::default(),
            &RunConfig::thread("u").max_supersteps(4),
        )
        .await
        .unwrap();
    assert_eq!(out.state.n, 4);
}

#[tokio::test]
async fn a_node_knows_how_many_supersteps_are_left_and_can_wrap_up_on_the_last() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("agent", |_s: Arc<Log>, c: Ctx| async move {
        let entry = if c.is_last_superstep() {
            "last".to_owned()
        } else {
            c.remaining_supersteps().to_string()
        };
        Ok(push(entry))
    });
    g.add_edge(START, "agent");
    g.add_conditional_edge("agent", ["agent".into(), END], |s: &Log| {
        if s.log.last().is_some_and(|e| e == "last") {
            END
        } else {
            "agent".into()
        }
    });
    let g = g.compile().unwrap();
    let out = g
        .invoke(LogUpdate::default(), &cfg().max_supersteps(3))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["2", "1", "last"]);
    // The budget is the call's own limit.
    let again = g
        .invoke(LogUpdate::default(), &cfg().max_supersteps(2))
        .await
        .unwrap();
    assert_eq!(again.state.log, ["1", "last"]);
}

#[tokio::test]
async fn each_call_gives_its_nodes_its_own_context_and_none_is_stored() {
    struct Tenant(&'static str);
    let mut g = StateGraph::<Log>::new();
    g.add_node("who", |_s: Arc<Log>, c: Ctx| async move {
        let who = c.context::<Tenant>().map_or("nobody", |t| t.0);
        // A context of another type is no context of this one.
        assert!(c.context::<String>().is_none());
        Ok(push(who))
    });
    g.add_edge(START, "who").add_edge("who", END);
    let g = g
        .compile()
        .unwrap()
        .with_checkpointer(Arc::new(graph_core::InMemoryCheckpointer::new()));
    let first = g
        .invoke(LogUpdate::default(), &cfg().context(Tenant("acme")))
        .await
        .unwrap();
    assert_eq!(first.state.log, ["acme"]);
    // The same thread, another call: its own context, or none.
    let second = g
        .invoke(LogUpdate::default(), &cfg().context(Tenant("globex")))
        .await
        .unwrap();
    assert_eq!(second.state.log, ["acme", "globex"]);
    let third = g.invoke(LogUpdate::default(), &cfg()).await.unwrap();
    assert_eq!(third.state.log, ["acme", "globex", "nobody"]);
    assert_eq!(
        format!("{:?}", cfg().context(Tenant("x")).context),
        format!("Some(RunContext({}))", std::any::type_name::<Tenant>())
    );
}

#[tokio::test(start_paused = true)]
async fn max_concurrency_bounds_a_fan_out_and_keeps_the_push_order() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn fan_out(limit: Option<usize>) -> (Vec<String>, usize) {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut g = StateGraph::<Jokes>::new();
        g.add_node("plan", |_s: Arc<Jokes>, _c: Ctx| async { Ok(()) });
        let (r, m) = (Arc::clone(&running), Arc::clone(&most));
        g.add_push_node("joke", move |subject: String, _c: Ctx| {
            let (running, most) = (Arc::clone(&r), Arc::clone(&m));
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // Earlier subjects take longer, so finish order is not push order.
                let n: u64 = subject.parse().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(40 - n)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(JokesUpdate::default().jokes(vec![subject]))
            }
        });
        g.add_edge(START, "plan");
        g.add_conditional_edge("plan", ["joke"], a_joke_per_subject);
        let subjects: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let mut cfg = cfg();
        if let Some(limit) = limit {
            cfg = cfg.max_concurrency(limit);
        }
        let out = g
            .compile()
            .unwrap()
            .invoke(JokesUpdate::default().subjects(subjects), &cfg)
            .await
            .unwrap();
        (out.state.jokes, most.load(Ordering::SeqCst))
    }
    let in_order: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    let (jokes, most) = fan_out(Some(3)).await;
    assert_eq!(most, 3, "at most 3 at once, and the limit is used");
    assert_eq!(jokes, in_order, "updates apply in push order");
    let (jokes, most) = fan_out(None).await;
    assert_eq!(most, 20, "without a limit every task runs at once");
    assert_eq!(jokes, in_order);
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Msg {
    id: String,
    text: String,
}
impl Keyed for Msg {
    fn key(&self) -> &str {
        &self.id
    }
}
fn max_keep(current: &mut i64, update: i64) {
    *current = (*current).max(update);
}

#[derive(State, Clone, Default, Debug)]
struct Chat {
    #[state(merge)]
    messages: Vec<Msg>,
    #[state(reducer = max_keep)]
    best: i64,
}

#[tokio::test]
async fn merge_and_custom_reducers_through_the_engine() {
    let m = |id: &str, text: &str| Msg {
        id: id.into(),
        text: text.into(),
    };
    let mut g = StateGraph::<Chat>::new();
    g.add_node("a", move |_s: Arc<Chat>, _c: Ctx| async move {
        Ok(ChatUpdate::default()
            .messages(vec![m("2", "yo"), m("1", "edit")])
            .best(5))
    });
    g.add_node("b", |_s: Arc<Chat>, _c: Ctx| async {
        Ok(ChatUpdate::default().best(3))
    });
    g.add_edge(START, "a").add_edge(START, "b");
    let input = ChatUpdate::default().messages(vec![m("1", "hi")]);
    let out = g.compile().unwrap().invoke(input, &cfg()).await.unwrap();
    assert_eq!(out.state.messages, vec![m("1", "edit"), m("2", "yo")]);
    assert_eq!(out.state.best, 5);
}

#[tokio::test]
async fn a_reducer_error_names_the_node_and_field() {
    #[derive(State, Clone, Default, Debug)]
    struct Small {
        #[state(add)]
        n: u8,
    }
    let mut g = StateGraph::<Small>::new();
    g.add_node("big", |_s: Arc<Small>, _c: Ctx| async {
        Ok(SmallUpdate::default().n(200u8))
    });
    g.add_edge(START, "big");
    let err = g
        .compile()
        .unwrap()
        .invoke(SmallUpdate::default().n(100u8), &cfg())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: update from `big` rejected: field `n`: adding 200 to 100 overflows"
    );
}

#[tokio::test]
async fn a_panicking_node_is_an_error_naming_it() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("boom", |_s: Arc<Log>, _c: Ctx| async {
        if true {
            panic!("kaboom");
        }
        Ok(())
    });
    g.add_edge(START, "boom");
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: node `boom` failed: panicked: kaboom"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_follow_the_policy_and_its_predicate() {
    let build = |attempts: u32, calls: Calls| {
        let mut g = StateGraph::<Log>::new();
        g.add_node("flaky", move |_s: Arc<Log>, _c: Ctx| {
            let calls = calls.clone();
            async move {
                if calls.hit() <= 2 {
                    return Err(NodeError::msg("connection reset"));
                }
                Ok(push("ok"))
            }
        })
        .retry(
            graph_core::RetryPolicy::attempts(attempts)
                .retry_on(|e| e.to_string().contains("connection")),
        );
        g.add_edge(START, "flaky");
        g.compile().unwrap()
    };
    let calls = Calls::default();
    let out = build(3, calls.clone())
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap();
    assert_eq!(
        (calls.get(), out.state.log.as_slice()),
        (3, ["ok".to_owned()].as_slice())
    );

    let calls = Calls::default();
    let err = build(2, calls.clone())
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap_err();
    assert_eq!(calls.get(), 2);
    assert!(
        err.to_string()
            .ends_with("node `flaky` failed: connection reset"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_node_timeout_fails_the_attempt_and_is_retryable() {
    let calls = Calls::default();
    let c = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("slow", move |_s: Arc<Log>, _c: Ctx| {
        let calls = c.clone();
        async move {
            if calls.hit() == 1 {
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
            Ok(push("done"))
        }
    })
    .timeout(Duration::from_secs(1))
    .retry(graph_core::RetryPolicy::attempts(2).jitter(false));
    g.add_edge(START, "slow");
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap();
    assert_eq!(out.state.log, ["done"]);
    assert_eq!(calls.get(), 2);

    let mut g = StateGraph::<Log>::new();
    g.add_node("slow", |_s: Arc<Log>, _c: Ctx| async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok(())
    })
    .timeout(Duration::from_millis(250));
    g.add_edge(START, "slow");
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &cfg())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: node `slow` failed: timed out after 250ms"
    );
}

#[tokio::test]
async fn a_conditional_entry_routes_on_the_input() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("yes", append("yes"));
    g.add_node("no", append("no"));
    g.add_conditional_edge(
        START,
        ["yes", "no"],
        |s: &Log| if s.flag { "yes" } else { "no" },
    );
    let g = g.compile().unwrap();
    let out = g
        .invoke(LogUpdate::default().flag(true), &cfg())
        .await
        .unwrap();
    assert_eq!(out.state.log, ["yes"]);
}

#[test]
fn an_update_with_an_unknown_key_is_rejected_not_dropped() {
    // LangGraph silently drops `{"zzz": 1}`; a typed update cannot hold it, and JSON input naming
    // it fails with the key's name.
    let err = serde_json::from_str::<LogUpdate>(r#"{"zzz": 1}"#).unwrap_err();
    assert!(err.to_string().starts_with("unknown field `zzz`"), "{err}");
    let ok: LogUpdate = serde_json::from_str(r#"{"x": 3, "log": ["a"]}"#).unwrap();
    assert_eq!(ok, LogUpdate::default().x(3).log(vec!["a".to_owned()]));
}
