//! Error handlers (`NodeOptions::on_error`): a handler routes and updates in the failed node's
//! place, keeps its superstep's siblings, runs after the retries, is saved so a resume never
//! runs it (or the node) again, and shows in the stream.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_core::{
    Checkpointer, Command, Ctx, Error, EventKind, FailureKind, NodeError, NodeFailure, NodeId,
    Resume, RetryPolicy, RunConfig, RunStatus, START, StateGraph, TaskEnd, ThreadStatus, WriteKind,
};
use serde_json::json;

use crate::{Calls, Log, LogUpdate, append, memory, push};

/// A node that fails every time with `message`, counting its calls.
pub(crate) fn failing(
    message: &'static str,
    calls: Calls,
) -> impl Fn(Arc<Log>, Ctx) -> std::future::Ready<Result<(), NodeError>> + Send + Sync + 'static {
    move |_, _| {
        calls.hit();
        std::future::ready(Err(NodeError::msg(message)))
    }
}

/// No wait between retries.
pub(crate) fn quick_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::attempts(attempts)
        .backoff(Duration::ZERO, 1.0, Duration::ZERO)
        .jitter(false)
}

fn names(nodes: &[NodeId]) -> Vec<&str> {
    nodes.iter().map(NodeId::as_str).collect()
}

#[tokio::test]
async fn a_handler_routes_to_a_fallback_with_a_command_and_the_nodes_edges_are_not_taken() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("fetch", failing("service down", Calls::default()))
        .on_error(|_s: Arc<Log>, failure: NodeFailure, _c: Ctx| async move {
            let update = push(format!("handled {}: {}", failure.node, failure.message));
            Ok(Command::update(update).and_goto("fallback"))
        })
        .destinations(["fallback"]);
    g.add_node("process", append("process"));
    g.add_node("fallback", append("fallback"));
    g.add_edge(START, "fetch").add_edge("fetch", "process");
    g.add_conditional_edge("fetch", ["process"], |_: &Log| "process");
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["handled fetch: service down", "fallback"]);
    assert_eq!(names(&out.executed), ["__error_handler__fetch", "fallback"]);
}

#[tokio::test]
async fn a_handlers_update_is_applied_and_checkpointed_under_the_nodes_name() {
    let store = memory();
    let mut g = StateGraph::<Log>::new();
    g.add_node("fetch", failing("boom", Calls::default()))
        .on_error(|s: Arc<Log>, _f: NodeFailure, _c: Ctx| async move {
            // The handler sees the superstep's state.
            Ok(LogUpdate::default()
                .x(s.x + 7)
                .log(vec!["degraded".to_owned()]))
        });
    g.add_node("next", append("next"));
    g.add_edge(START, "fetch").add_edge("fetch", "next");
    let g = g
        .compile()
        .unwrap()
        .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default().x(1), &cfg).await.unwrap();
    // Without a goto the branch ends: `next` was `fetch`'s edge, and `fetch` did not finish.
    assert_eq!(
        (out.state.x, out.state.log.as_slice()),
        (8, ["degraded".to_owned()].as_slice())
    );
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Idle);
    assert_eq!(state.values.x, 8);
    let head = state.checkpoint.unwrap();
    assert_eq!(names(&head.writers), ["fetch"]);
}

#[tokio::test(start_paused = true)]
async fn a_handled_failure_in_a_parallel_superstep_keeps_its_siblings_writes_in_task_order() {
    // See: https://github.com/langchain-ai/langgraph/issues/8277 (the handled error is raised
    // anyway when the failing node has siblings).
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", failing("a broke", Calls::default()))
        .on_error(|_s: Arc<Log>, _f: NodeFailure, _c: Ctx| async {
            // The handler finishes last; its update still applies in `a`'s place.
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(push("a handled"))
        });
    g.add_node("b", |_s: Arc<Log>, _c: Ctx| async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        Ok(push("b"))
    });
    g.add_node("c", append("c"));
    g.add_node("after", append("after"));
    for node in ["a", "b", "c"] {
        g.add_edge(START, node);
    }
    g.add_edge("b", "after");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["a handled", "b", "c", "after"]);
    assert_eq!(
        names(&out.executed),
        ["__error_handler__a", "b", "c", "after"]
    );
    assert_eq!(g.get_state(&cfg).await.unwrap().status, ThreadStatus::Idle);
}

/// START → a (fails; its handler counts its runs) and START → b (`b` as given), in one superstep.
fn handled_beside(
    a_calls: Calls,
    handler_calls: Calls,
    b: impl Fn(Arc<Log>, Ctx) -> futures_util::future::BoxFuture<'static, Result<LogUpdate, NodeError>>
    + Send
    + Sync
    + 'static,
) -> StateGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", failing("a broke", a_calls)).on_error(
        move |_s: Arc<Log>, _f: NodeFailure, ctx: Ctx| {
            let calls = handler_calls.clone();
            async move {
                let n = calls.hit();
                // A side effect the handler must not repeat.
                let refund: String = ctx
                    .effect("refund", |key| async move {
                        Ok::<_, NodeError>(format!("refund {}", key.len()))
                    })
                    .await?;
                Ok(push(format!("h#{n} {refund}")))
            }
        },
    );
    g.add_node("b", b);
    g.add_edge(START, "a").add_edge(START, "b");
    g
}

#[tokio::test]
async fn a_saved_handler_result_is_not_run_again_when_its_sibling_is_answered() {
    // See: https://github.com/langchain-ai/langgraph/issues/9002 (LangGraph re-runs a handler
    // that finished when the run resumes after a sibling paused or failed).
    let (a_calls, h_calls) = (Calls::default(), Calls::default());
    let store = memory();
    let g = handled_beside(a_calls.clone(), h_calls.clone(), |_s, ctx| {
        Box::pin(async move {
            let ok: String = ctx.interrupt("go on?")?;
            Ok(push(format!("b:{ok}")))
        })
    })
    .compile()
    .unwrap()
    .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let RunStatus::Interrupted(asked) = &out.status else {
        panic!("{:?}", out.status)
    };
    assert_eq!(asked[0].node, "b");
    assert_eq!((a_calls.get(), h_calls.get()), (1, 1));

    // The handler's failure and output are pending writes under its own task.
    let head = store
        .get(&cfg.thread, &graph_core::Namespace::root(), None)
        .await
        .unwrap()
        .unwrap();
    let mut handler_writes: Vec<WriteKind> = head
        .pending_writes
        .iter()
        .filter(|w| w.node == "__error_handler__a")
        .map(|w| w.kind)
        .collect();
    handler_writes.sort();
    assert_eq!(
        handler_writes,
        [WriteKind::Output, WriteKind::Effect, WriteKind::Failure]
    );
    let state = g.get_state(&cfg).await.unwrap();
    let a = state.tasks.iter().find(|t| t.node == "a").unwrap();
    assert!(a.finished && a.error.is_none(), "{a:?}");

    let out = g.resume(&cfg, Resume::value("yes")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["h#1 refund 34", "b:yes"]);
    assert_eq!(names(&out.executed), ["b"]);
    assert_eq!((a_calls.get(), h_calls.get()), (1, 1));
}

#[tokio::test]
async fn a_saved_handler_result_is_not_run_again_after_a_sibling_fails_or_a_crash() {
    // A sibling that fails once: the run fails, and its resume re-runs only the sibling.
    let (a_calls, h_calls, b_calls) = (Calls::default(), Calls::default(), Calls::default());
    let b = b_calls.clone();
    let g = handled_beside(a_calls.clone(), h_calls.clone(), move |_s, _c| {
        let first = b.hit() == 1;
        Box::pin(async move {
            if first {
                return Err(NodeError::msg("b flaked"));
            }
            Ok(push("b"))
        })
    })
    .compile()
    .unwrap()
    .with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let err = g.invoke(LogUpdate::default(), &cfg).await.unwrap_err();
    assert!(
        matches!(&err, Error::Node { node, .. } if node == "b"),
        "{err}"
    );
    assert_eq!(g.get_state(&cfg).await.unwrap().status, ThreadStatus::Error);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["h#1 refund 34", "b"]);
    assert_eq!((a_calls.get(), h_calls.get(), b_calls.get()), (1, 1, 2));

    // A crash: the handler finishes while `b` hangs, and the stream is dropped.
    let store = memory();
    let (a_calls, h_calls) = (Calls::default(), Calls::default());
    let hanging = handled_beside(a_calls.clone(), h_calls.clone(), |_s, _c| {
        Box::pin(async {
            std::future::pending::<()>().await;
            Ok(push("never"))
        })
    })
    .compile()
    .unwrap()
    .with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("crash");
    let mut stream = hanging.stream(LogUpdate::default(), &cfg, graph_core::StreamModes::ALL);
    while let Some(event) = stream.next().await {
        let handler_done = matches!(
            event.kind,
            EventKind::TaskEnd {
                end: TaskEnd::Finished,
                ..
            }
        ) && event
            .node
            .as_ref()
            .is_some_and(|n| n == "__error_handler__a");
        if handler_done {
            break;
        }
    }
    drop(stream);
    let g = handled_beside(a_calls.clone(), h_calls.clone(), |_s, _c| {
        Box::pin(async { Ok(push("b")) })
    })
    .compile()
    .unwrap()
    .with_checkpointer(store);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["h#1 refund 34", "b"]);
    assert_eq!((a_calls.get(), h_calls.get()), (1, 1));
}

#[tokio::test]
async fn a_handler_that_pauses_resumes_without_running_the_node_again() {
    let (a_calls, h_calls) = (Calls::default(), Calls::default());
    let told = Arc::new(Mutex::new(Vec::new()));
    let (h, seen) = (h_calls.clone(), Arc::clone(&told));
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", failing("a broke", a_calls.clone()))
        .retry(quick_retries(2))
        .on_error(move |_s: Arc<Log>, failure: NodeFailure, ctx: Ctx| {
            h.hit();
            seen.lock().unwrap().push(failure.clone());
            async move {
                let choice: String = ctx.interrupt(json!({"failed": failure.node}))?;
                Ok(push(format!("{}: {choice}", failure.message)))
            }
        });
    g.add_edge(START, "a");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    let RunStatus::Interrupted(asked) = &out.status else {
        panic!("{:?}", out.status)
    };
    assert_eq!(asked[0].node, "__error_handler__a");
    assert_eq!(asked[0].value, json!({"failed": "a"}));
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Interrupted);
    assert_eq!(state.tasks[0].interrupt.as_ref(), Some(&asked[0]));

    let out = g.resume(&cfg, Resume::value("skip")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["a broke: skip"]);
    assert_eq!((a_calls.get(), h_calls.get()), (2, 2));
    // The second run of the handler is told what the first was.
    let told = told.lock().unwrap();
    assert_eq!(told[0], told[1]);
    assert_eq!((told[0].attempts, told[0].kind), (2, FailureKind::Error));
}

#[tokio::test]
async fn a_failing_handler_fails_the_run_naming_the_node_and_a_resume_runs_only_the_handler() {
    let (a_calls, h_calls) = (Calls::default(), Calls::default());
    let h = h_calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("pay", failing("card declined", a_calls.clone()))
        .on_error(move |_s: Arc<Log>, _f: NodeFailure, _c: Ctx| {
            let first = h.hit() == 1;
            async move {
                if first {
                    return Err(NodeError::msg("refund service down"));
                }
                Ok(push("refunded"))
            }
        });
    g.add_edge(START, "pay");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let err = g.invoke(LogUpdate::default(), &cfg).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: node `pay` failed (card declined) and its error handler \
         failed too: refund service down"
    );
    let Error::Handler { node, failure, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((node.as_str(), failure.attempts), ("pay", 1));
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Error);
    assert_eq!(
        state.tasks[0].error.as_deref(),
        Some(err.to_string().as_str())
    );

    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["refunded"]);
    assert_eq!((a_calls.get(), h_calls.get()), (1, 2));
}

#[tokio::test]
async fn a_panicking_handler_fails_the_run_too() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", failing("a broke", Calls::default()))
        .on_error(
            |_s: Arc<Log>, _f: NodeFailure, _c: Ctx| -> std::future::Ready<Result<(), NodeError>> {
                panic!("handler bug")
            },
        );
    g.add_edge(START, "a");
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: node `a` failed (a broke) and its error handler failed too: \
         panicked: handler bug"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_are_exhausted_before_the_handler_runs() {
    let calls = Calls::default();
    let told = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&told);
    let mut g = StateGraph::<Log>::new();
    g.add_node("flaky", failing("connection reset", calls.clone()))
        .retry(quick_retries(3))
        .on_error(move |_s: Arc<Log>, failure: NodeFailure, _c: Ctx| {
            *seen.lock().unwrap() = Some(failure);
            async { Ok(push("handled")) }
        });
    g.add_edge(START, "flaky");
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["handled"]);
    assert_eq!(calls.get(), 3);
    let failure = told.lock().unwrap().clone().unwrap();
    assert_eq!(
        (
            failure.node.as_str(),
            failure.message.as_str(),
            failure.attempts,
            failure.kind
        ),
        ("flaky", "connection reset", 3, FailureKind::Error)
    );
    assert_eq!(
        failure.to_string(),
        "node `flaky` failed after 3 attempts: connection reset"
    );
}

#[tokio::test]
async fn the_handlers_task_shows_in_the_event_stream() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", failing("boom", Calls::default())).on_error(
        |_s: Arc<Log>, _f: NodeFailure, ctx: Ctx| async move {
            ctx.emit(json!({"recovering": true})).await?;
            Ok(push("handled"))
        },
    );
    g.add_edge(START, "a");
    let mut stream = g.compile().unwrap().stream(
        LogUpdate::default(),
        &RunConfig::thread("t"),
        graph_core::StreamModes::ALL,
    );
    let mut seen = Vec::new();
    let mut task_ids = Vec::new();
    while let Some(event) = stream.next().await {
        let what = match &event.kind {
            EventKind::TaskStart { .. } => "start".to_owned(),
            EventKind::TaskEnd {
                end: TaskEnd::Finished,
                ..
            } => "end".to_owned(),
            EventKind::TaskEnd {
                end: TaskEnd::Failed(message),
                ..
            } => format!("failed: {message}"),
            EventKind::Custom(value) => format!("custom {value}"),
            EventKind::Update(update) => format!("update {:?}", update.log),
            _ => continue,
        };
        let node = event.node.map(|n| n.to_string()).unwrap_or_default();
        if !task_ids.contains(&event.task) {
            task_ids.push(event.task);
        }
        seen.push(format!("{node} {what}"));
    }
    assert_eq!(
        seen,
        [
            "a start",
            "a failed: node `a` failed after 1 attempt: boom",
            "__error_handler__a start",
            "__error_handler__a custom {\"recovering\":true}",
            "__error_handler__a update Some(Reduce([\"handled\"]))",
            "__error_handler__a end",
        ]
    );
    // Two tasks: the node's and its handler's.
    assert_eq!(task_ids.len(), 2);
}

#[tokio::test]
async fn a_handled_join_source_does_not_count_as_run() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", failing("a broke", Calls::default()))
        .on_error(|_s: Arc<Log>, _f: NodeFailure, _c: Ctx| async { Ok(push("a handled")) });
    g.add_node("b", append("b"));
    g.add_node("join", append("join"));
    g.add_edge(START, "a").add_edge(START, "b");
    g.add_join_edge(["a", "b"], "join");
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap_err();
    let Error::JoinStarved { missing, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(names(missing), ["a"]);
}
