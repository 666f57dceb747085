//! `Push::state`: a push to an ordinary node, whose input is the superstep's state with the
//! push's update applied for that task only (LangGraph's `Send` to any node): map-reduce, the
//! same node reached by an edge, interrupts and crashes inside a pushed task, routing errors,
//! export, and a subgraph as the target.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_core::{
    BuildError, CachePolicy, Ctx, END, Error, EventKind, InMemoryCache, Push, Resume, RunConfig,
    RunStatus, START, State, StateGraph, TaskEnd, ThreadStatus,
};

use crate::{Calls, Log, LogUpdate, append, memory, push};

/// The pushes `plan` sends: one per topic, each with its topic in `v` and its position in `n`.
fn one_per_topic(topics: &'static [&'static str]) -> impl Fn(&Log) -> Vec<Push> + Send + Sync {
    move |_s: &Log| {
        topics
            .iter()
            .zip(1u32..)
            .map(|(topic, i)| Push::state("write", LogUpdate::default().v(*topic).n(i)))
            .collect()
    }
}

/// `write` appends what it was given: its topic, `n` (through the `add` reducer) and how many
/// log entries it saw.
fn write_entry(s: &Log) -> String {
    format!("{}:{}:{}", s.v, s.n, s.log.len())
}

#[tokio::test(start_paused = true)]
async fn a_map_reduce_over_an_ordinary_node_reduces_in_push_order() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut g = StateGraph::<Log>::new();
    g.add_node("plan", append("plan"));
    let s2 = Arc::clone(&seen);
    g.add_node("write", move |s: Arc<Log>, _c: Ctx| {
        s2.lock().unwrap().push(s.v.clone());
        async move {
            // Later topics finish first: updates still apply in push order.
            let delay = match s.v.as_str() {
                "cats" => 30,
                "dogs" => 20,
                _ => 10,
            };
            tokio::time::sleep(Duration::from_millis(delay)).await;
            Ok(push(write_entry(&s)))
        }
    });
    g.add_node("sum", |s: Arc<Log>, _c: Ctx| async move {
        Ok(push(format!(
            "sum of {} with n={} v={:?}",
            s.log.len(),
            s.n,
            s.v
        )))
    });
    g.add_edge(START, "plan").add_edge("write", "sum");
    g.add_conditional_edge("plan", ["write"], one_per_topic(&["cats", "dogs", "eels"]));
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default().n(10u32), &cfg).await.unwrap();
    // Each task saw the shared state (n = 10, log = [plan]) plus its own update.
    assert_eq!(
        out.state.log,
        [
            "plan",
            "cats:11:1",
            "dogs:12:1",
            "eels:13:1",
            "sum of 4 with n=10 v=\"\""
        ]
    );
    // The pushed updates were each task's input, never written to the graph's state.
    assert_eq!((out.state.n, out.state.v.as_str()), (10, ""));
    assert_eq!(out.executed, ["plan", "write", "write", "write", "sum"]);
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, ["cats", "dogs", "eels"]);
}

#[tokio::test]
async fn a_pushed_node_also_runs_from_an_edge_on_the_shared_state() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("plan", |_s: Arc<Log>, _c: Ctx| async {
        Ok(LogUpdate::default().v("shared"))
    });
    g.add_node("write", |s: Arc<Log>, _c: Ctx| async move {
        Ok(push(write_entry(&s)))
    });
    g.add_edge(START, "plan").add_edge("plan", "write");
    g.add_conditional_edge("plan", ["write"], one_per_topic(&["cats", "dogs"]));
    // A later superstep reaches it by a command too.
    g.add_node("again", |s: Arc<Log>, _c: Ctx| async move {
        let goto = if s.log.len() == 3 {
            "write".into()
        } else {
            END
        };
        Ok(graph_core::Command::<Log>::goto(goto))
    })
    .destinations(["write"]);
    g.add_edge("write", "again");
    let g = g.compile().unwrap();
    let out = g
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    // The edge's pull task applies first, then the pushes in push order; the command's task
    // runs on the shared state again.
    assert_eq!(
        out.state.log,
        ["shared:0:0", "cats:1:0", "dogs:2:0", "shared:0:3"]
    );
    assert_eq!(
        out.executed,
        ["plan", "write", "write", "write", "again", "write", "again"]
    );
}

#[tokio::test]
async fn an_interrupt_in_a_pushed_task_resumes_with_the_same_input() {
    let calls = Calls::default();
    let c = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("plan", append("plan"));
    g.add_node("write", move |s: Arc<Log>, ctx: Ctx| {
        c.hit();
        async move {
            let ok: String = ctx.interrupt(format!("publish {}?", s.v))?;
            Ok(push(format!("{}: {ok}", write_entry(&s))))
        }
    });
    g.add_edge(START, "plan");
    g.add_conditional_edge("plan", ["write"], one_per_topic(&["cats", "dogs"]));
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let RunStatus::Interrupted(asked) = &out.status else {
        panic!("{:?}", out.status)
    };
    let questions: Vec<_> = asked.iter().map(|i| i.value.clone()).collect();
    assert_eq!(questions, ["publish cats?", "publish dogs?"]);
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Interrupted);
    assert_eq!(state.next, ["write", "write"]);
    // Only the graph's own state is stored: the pushed topics are in the frontier.
    assert_eq!(state.values.v, "");

    let answers = asked.iter().map(|i| {
        (
            i.id,
            if i.value == "publish cats?" {
                "yes"
            } else {
                "no"
            },
        )
    });
    let out = g.resume(&cfg, Resume::by_id(answers)).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    // Each task was given its own input again: topic and n as before the pause.
    assert_eq!(out.state.log, ["plan", "cats:1:1: yes", "dogs:2:1: no"]);
    assert_eq!(calls.get(), 4);
}

#[tokio::test]
async fn a_crash_mid_fan_out_reruns_only_the_unfinished_pushed_task_with_its_input() {
    // `write` hangs for `dogs` in the first process, as if it crashed there.
    let store = memory();
    let calls: Arc<Mutex<Vec<String>>> = Arc::default();
    let build = |hang: bool| {
        let calls = Arc::clone(&calls);
        let mut g = StateGraph::<Log>::new();
        g.add_node("plan", append("plan"));
        g.add_node("write", move |s: Arc<Log>, _c: Ctx| {
            calls.lock().unwrap().push(s.v.clone());
            async move {
                if hang && s.v == "dogs" {
                    std::future::pending::<()>().await;
                }
                Ok(push(write_entry(&s)))
            }
        });
        g.add_edge(START, "plan");
        g.add_conditional_edge("plan", ["write"], one_per_topic(&["cats", "dogs", "eels"]));
        g.compile().unwrap()
    };
    let g = build(true).with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let mut stream = g.stream(LogUpdate::default(), &cfg, graph_core::StreamModes::ALL);
    let mut finished = 0;
    while let Some(event) = stream.next().await {
        let write_done = matches!(
            event.kind,
            EventKind::TaskEnd {
                end: TaskEnd::Finished,
                ..
            }
        ) && event.node.as_ref().is_some_and(|n| n == "write");
        finished += usize::from(write_done);
        if finished == 2 {
            break;
        }
    }
    drop(stream);
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Pending);
    assert_eq!(state.next, ["write", "write", "write"]);

    let g = build(false).with_checkpointer(store);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["plan", "cats:1:1", "dogs:2:1", "eels:3:1"]);
    assert_eq!(out.executed, ["write"]);
    // `dogs` ran again with its own input; `cats` and `eels` did not run again.
    assert_eq!(*calls.lock().unwrap(), ["cats", "dogs", "eels", "dogs"]);
}

#[derive(State, Clone, Default, Debug)]
struct Other {
    v: String,
}

#[tokio::test]
async fn a_push_of_the_wrong_kind_or_state_type_is_a_routing_error() {
    async fn route_error(goto: Push) -> String {
        let mut g = StateGraph::<Log>::new();
        g.add_node("plan", move |_s: Arc<Log>, _c: Ctx| {
            let goto = goto.clone();
            async move { Ok(graph_core::Command::<Log>::goto(goto)) }
        })
        .destinations(["write", "job"]);
        g.add_node("write", append("write"));
        g.add_push_node("job", |_n: u32, _c: Ctx| async { Ok(()) });
        g.add_edge(START, "plan");
        let err = g
            .compile()
            .unwrap()
            .invoke(LogUpdate::default(), &RunConfig::thread("t"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Route { .. }), "{err}");
        err.to_string()
    }
    let prefix = "thread `t`, superstep 0: node `plan` routed to";
    assert_eq!(
        route_error(Push::new("write", &1)).await,
        format!(
            "{prefix} `write`: it takes the state, so a Push::new argument cannot be its input; \
             send it a state update with Push::state, or add it with add_push_node"
        )
    );
    assert_eq!(
        route_error(Push::state("job", LogUpdate::default())).await,
        format!(
            "{prefix} `job`: it takes a Push argument (add_push_node), not a state update; send \
             it Push::new"
        )
    );
    assert_eq!(
        route_error(Push::state("nope", LogUpdate::default())).await,
        format!("{prefix} `nope`: no such node")
    );
    let other = route_error(Push::state("write", OtherUpdate::default().v("x"))).await;
    assert!(
        other.starts_with(&format!(
            "{prefix} `write`: the Push::state update is of state `"
        )) && other.contains("::Other`, and this graph's state is `")
            && other.ends_with("::Log`"),
        "{other}"
    );

    // A conditional edge declares its targets: an unknown one fails the build.
    let mut g = StateGraph::<Log>::new();
    g.add_node("plan", append("plan"));
    g.add_edge(START, "plan");
    g.add_conditional_edge("plan", ["nope"], |_s: &Log| {
        Push::state("nope", LogUpdate::default())
    });
    let Err(err) = g.compile() else {
        panic!("a conditional edge to an unknown node compiled")
    };
    assert!(matches!(err, BuildError::UnknownNode { .. }), "{err}");
}

#[tokio::test]
async fn a_push_state_update_that_does_not_apply_fails_the_pushed_task() {
    // A reducer error on the task's own copy fails the target's task, naming it.
    let mut g = StateGraph::<Log>::new();
    g.add_node("plan", append("plan"));
    g.add_node("write", append("write"));
    g.add_edge(START, "plan");
    g.add_conditional_edge("plan", ["write"], |_s: &Log| {
        Push::state("write", LogUpdate::default().n(u32::MAX))
    });
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default().n(1u32), &RunConfig::thread("t"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(
            "thread `t`, superstep 1: node `write` failed: the Push::state update does not apply"
        ),
        "{text}"
    );
}

#[test]
fn exports_draw_a_push_to_an_ordinary_node_as_its_conditional_edge() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("plan", append("plan"));
    g.add_node("write", append("write"));
    g.add_node("sum", append("sum"));
    g.add_edge(START, "plan").add_edge("write", "sum");
    g.add_conditional_edge("plan", ["write"], one_per_topic(&["cats"]));
    let g = g.compile().unwrap();
    let mermaid = g.to_mermaid();
    assert!(mermaid.contains("\twrite(write)\n"), "{mermaid}");
    assert!(mermaid.contains("plan -.-> write;"), "{mermaid}");
    assert!(mermaid.contains("write --> sum;"), "{mermaid}");
    // Vertices: START, plan, write, sum, END.
    let dot = g.to_dot();
    assert!(dot.contains("2 [ label=\"write\" shape=box"), "{dot}");
    assert!(dot.contains("1 -> 2 [ style=dashed]"), "{dot}");
    let kinds: Vec<_> = g.describe().nodes.iter().map(|n| n.kind).collect();
    assert!(
        !kinds.contains(&graph_core::NodeKind::Push),
        "`write` is an ordinary node: {kinds:?}"
    );
}

#[tokio::test]
async fn a_cached_pushed_node_is_keyed_by_its_own_input_state() {
    let calls = Calls::default();
    let c = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("plan", |_s: Arc<Log>, _c: Ctx| async { Ok(()) });
    g.add_node("write", move |s: Arc<Log>, _c: Ctx| {
        c.hit();
        async move { Ok(LogUpdate::default().log(vec![s.v.clone()])) }
    })
    .cache(CachePolicy::new().key(|s: &Log| s.v.clone()));
    g.add_edge(START, "plan");
    g.add_conditional_edge("plan", ["write"], one_per_topic(&["cats", "dogs"]));
    let g = g
        .compile()
        .unwrap()
        .with_cache(Arc::new(InMemoryCache::new()));
    let first = g
        .invoke(LogUpdate::default(), &RunConfig::thread("a"))
        .await;
    assert_eq!(first.unwrap().state.log, ["cats", "dogs"]);
    let second = g
        .invoke(LogUpdate::default(), &RunConfig::thread("b"))
        .await;
    assert_eq!(second.unwrap().state.log, ["cats", "dogs"]);
    assert_eq!(calls.get(), 2, "the second run's tasks are hits, by topic");
}

#[tokio::test]
async fn a_subgraph_pushed_a_state_update_hands_back_only_what_it_changed() {
    let mut child = StateGraph::<Log>::new();
    child.add_node("draft", |s: Arc<Log>, _c: Ctx| async move {
        Ok(push(format!("draft on {}", s.v)))
    });
    child.add_edge(START, "draft");
    let mut g = StateGraph::<Log>::new();
    g.add_node("plan", append("plan"));
    g.add_subgraph("write", child.compile().unwrap());
    g.add_edge(START, "plan");
    g.add_conditional_edge("plan", ["write"], one_per_topic(&["cats", "dogs"]));
    let g = g.compile().unwrap().with_checkpointer(memory());
    let out = g
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["plan", "draft on cats", "draft on dogs"]);
    assert_eq!((out.state.v.as_str(), out.state.n), ("", 0));
}

#[tokio::test]
async fn a_pushed_tasks_error_handler_is_given_the_tasks_own_input() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("plan", append("plan"));
    g.add_node("write", |s: Arc<Log>, _c: Ctx| async move {
        if s.v == "dogs" {
            return Err(graph_core::NodeError::msg("no dogs"));
        }
        Ok(push(write_entry(&s)))
    })
    .on_error(
        |s: Arc<Log>, failure: graph_core::NodeFailure, _c: Ctx| async move {
            Ok(push(format!(
                "{} handled: {}",
                write_entry(&s),
                failure.message
            )))
        },
    );
    g.add_edge(START, "plan");
    g.add_conditional_edge("plan", ["write"], one_per_topic(&["cats", "dogs"]));
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(
        out.state.log,
        ["plan", "cats:1:1", "dogs:2:1 handled: no dogs"]
    );
}
