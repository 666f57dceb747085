//! Timeouts (`TimeoutPolicy`): the idle timeout, which every event a node emits restarts, the
//! run timeout that caps an attempt however lively, retries of both, and node defaults. On
//! tokio's paused clock, so the times are exact and nothing really waits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_core::{
    Ctx, Error, FailureKind, IdleTimeout, MessageChunk, NodeDefaults, NodeError, NodeFailure,
    RetryPolicy, RunConfig, RunStatus, START, StateGraph, TimeoutPolicy,
};
use tokio::time::Instant;

use crate::{Calls, Log, LogUpdate, push};

const MS: Duration = Duration::from_millis(1);

/// A node that emits `events` times, `every` apart (alternating custom events and message
/// chunks), then stays quiet for `quiet`, and appends `done`.
fn ticking(
    events: u32,
    every: Duration,
    quiet: Duration,
) -> impl Fn(Arc<Log>, Ctx) -> futures_util::future::BoxFuture<'static, Result<LogUpdate, NodeError>>
+ Send
+ Sync
+ 'static {
    move |_s, ctx| {
        Box::pin(async move {
            for i in 0..events {
                tokio::time::sleep(every).await;
                if i % 2 == 0 {
                    ctx.emit(i).await?;
                } else {
                    let chunk = MessageChunk {
                        text: i.to_string(),
                        provider: None,
                    };
                    ctx.emit_message(chunk).await;
                }
            }
            tokio::time::sleep(quiet).await;
            Ok(push("done"))
        })
    }
}

fn idle(idle: Duration) -> TimeoutPolicy {
    TimeoutPolicy {
        run: None,
        idle: Some(idle),
    }
}

#[tokio::test(start_paused = true)]
async fn a_node_that_emits_every_10ms_outlives_an_idle_timeout_of_30ms() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("ticker", ticking(10, 10 * MS, Duration::ZERO))
        .timeout_policy(idle(30 * MS));
    g.add_edge(START, "ticker");
    let g = g.compile().unwrap();
    let started = Instant::now();
    // Not streamed: the events go nowhere, and still show the node is alive.
    let out = g
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["done"]);
    assert_eq!(started.elapsed(), 100 * MS);

    // Streamed, the same.
    let out = g
        .stream(
            LogUpdate::default(),
            &RunConfig::thread("s"),
            graph_core::StreamModes::ALL,
        )
        .finish()
        .await
        .unwrap();
    assert_eq!(out.state.log, ["done"]);
}

#[tokio::test(start_paused = true)]
async fn a_node_that_goes_quiet_fails_once_it_is_idle_for_the_idle_timeout() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("quiet", ticking(3, 10 * MS, Duration::from_secs(1)))
        .timeout_policy(idle(30 * MS));
    g.add_edge(START, "quiet");
    let started = Instant::now();
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap_err();
    // The last event at 30ms, then 30ms of silence.
    assert_eq!(started.elapsed(), 60 * MS);
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: node `quiet` failed: timed out: idle for 30ms with no event"
    );
    let Error::Node { source, .. } = &err else {
        panic!("{err:?}")
    };
    let source = source.as_ref().unwrap();
    assert_eq!(
        source.downcast_ref::<IdleTimeout>(),
        Some(&IdleTimeout(30 * MS))
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_timeout_is_retryable_and_a_heartbeat_keeps_a_node_alive() {
    let calls = Calls::default();
    let c = calls.clone();
    let mut g = StateGraph::<Log>::new();
    g.add_node("flaky", move |_s: Arc<Log>, ctx: Ctx| {
        let first = c.hit() == 1;
        async move {
            for _ in 0..5 {
                tokio::time::sleep(20 * MS).await;
                // The first attempt stalls; the second shows it is alive.
                if !first {
                    ctx.heartbeat();
                }
            }
            Ok(push(format!("attempt {}", ctx.attempt())))
        }
    })
    .timeout_policy(idle(30 * MS))
    .retry(
        RetryPolicy::attempts(2)
            .backoff(5 * MS, 1.0, 5 * MS)
            .jitter(false),
    );
    g.add_edge(START, "flaky");
    let started = Instant::now();
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["attempt 2"]);
    assert_eq!(calls.get(), 2);
    // 30ms to the first attempt's timeout, 5ms of backoff, 100ms of the second.
    assert_eq!(started.elapsed(), 135 * MS);
}

#[tokio::test(start_paused = true)]
async fn the_run_timeout_still_caps_a_node_that_keeps_emitting() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("chatty", ticking(u32::MAX, 10 * MS, Duration::ZERO))
        .timeout_policy(TimeoutPolicy {
            run: Some(200 * MS),
            idle: Some(30 * MS),
        });
    g.add_edge(START, "chatty");
    let started = Instant::now();
    let err = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), 200 * MS);
    assert_eq!(
        err.to_string(),
        "thread `t`, superstep 0: node `chatty` failed: timed out after 200ms"
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_sets_the_run_timeout_of_the_nodes_policy() {
    // `timeout` after `timeout_policy` keeps the idle timeout and sets the run timeout.
    let mut g = StateGraph::<Log>::new();
    g.add_node("quiet", ticking(0, MS, Duration::from_secs(1)))
        .timeout_policy(idle(30 * MS))
        .timeout(Duration::from_secs(5));
    g.add_node("slow", ticking(1_000, 10 * MS, Duration::ZERO))
        .timeout_policy(idle(30 * MS))
        .timeout(50 * MS);
    g.add_edge(START, "quiet").add_edge(START, "slow");
    let told = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&told);
    g.node_defaults(
        NodeDefaults::new().on_error(move |_s: Arc<Log>, f: NodeFailure, _c: Ctx| {
            seen.lock().unwrap().push((f.node.to_string(), f.kind));
            async { Ok(()) }
        }),
    );
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.status, RunStatus::Done);
    let mut told = told.lock().unwrap().clone();
    told.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        told,
        [
            ("quiet".to_owned(), FailureKind::IdleTimeout),
            ("slow".to_owned(), FailureKind::Timeout),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn node_defaults_give_every_node_an_idle_timeout_and_a_nodes_own_policy_wins() {
    let told = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&told);
    let mut g = StateGraph::<Log>::new();
    g.node_defaults(
        NodeDefaults::new()
            .timeout_policy(TimeoutPolicy {
                run: Some(Duration::from_secs(1)),
                idle: Some(30 * MS),
            })
            .on_error(move |_s: Arc<Log>, f: NodeFailure, _c: Ctx| {
                seen.lock().unwrap().push(f.clone());
                async move { Ok(push(format!("{} handled", f.node))) }
            }),
    );
    // Quiet for 100ms: the default idle timeout ends it at 30ms.
    g.add_node("quiet", ticking(0, MS, 100 * MS));
    // Quiet for 100ms too, with a policy of its own that has no idle timeout.
    g.add_node("patient", ticking(0, MS, 100 * MS))
        .timeout_policy(TimeoutPolicy {
            run: Some(Duration::from_secs(1)),
            idle: None,
        });
    // Lively: it keeps the default idle timeout at bay.
    g.add_node("lively", ticking(10, 10 * MS, Duration::ZERO));
    for node in ["quiet", "patient", "lively"] {
        g.add_edge(START, node);
    }
    let out = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["done", "done", "quiet handled"]);
    let told = told.lock().unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(
        (
            told[0].node.as_str(),
            told[0].kind,
            told[0].message.as_str()
        ),
        (
            "quiet",
            FailureKind::IdleTimeout,
            "timed out: idle for 30ms with no event"
        )
    );
}
