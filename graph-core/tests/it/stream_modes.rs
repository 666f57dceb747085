//! Stream modes: a stream carries the modes it asked for (and the interrupts, errors and end
//! every stream carries), each event says its mode, updates come as each task finishes, and the
//! modes nobody asked for cost nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use graph_core::{
    Ctx, Event, EventKind, MessageChunk, Payload, RunConfig, START, State, StateGraph, StreamMode,
    StreamModes, TaskEnd,
};
use serde::{Deserialize, Serialize};

use crate::{Log, LogUpdate, append, memory, push};

/// START → a → b, where `a` also emits a custom value and a token.
fn talker() -> graph_core::CompiledGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", |_s: Arc<Log>, ctx: Ctx| async move {
        ctx.emit("progress").await?;
        ctx.emit_message(MessageChunk {
            text: "hi".into(),
            provider: Some("fake".into()),
        })
        .await;
        Ok(push("a"))
    });
    g.add_node("b", append("b"));
    g.add_edge(START, "a").add_edge("a", "b");
    g.compile().unwrap().with_checkpointer(memory())
}

async fn events(
    g: &graph_core::CompiledGraph<Log>,
    thread: &str,
    modes: impl Into<StreamModes>,
) -> Vec<Event<Log>> {
    let mut stream = g.stream(push("in"), &RunConfig::thread(thread), modes);
    let mut seen = Vec::new();
    while let Some(event) = stream.next().await {
        seen.push(event);
    }
    stream.finish().await.unwrap();
    seen
}

fn modes_of(events: &[Event<Log>]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| e.mode.map_or("-", StreamMode::as_str))
        .collect()
}

#[tokio::test]
async fn each_mode_alone_carries_only_its_events_and_the_end() {
    let g = talker();
    let values = events(&g, "v", StreamMode::Values).await;
    assert_eq!(modes_of(&values), ["values", "values", "values", "-"]);
    let logs: Vec<Vec<String>> = values
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Values(s) => Some(s.log.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(logs, [vec!["in"], vec!["in", "a"], vec!["in", "a", "b"]]);

    let updates = events(&g, "u", StreamMode::Updates).await;
    assert_eq!(modes_of(&updates), ["updates", "updates", "-"]);
    let nodes: Vec<_> = updates.iter().filter_map(|e| e.node.clone()).collect();
    assert_eq!(nodes, ["a", "b"]);

    let custom = events(&g, "c", StreamMode::Custom).await;
    assert_eq!(modes_of(&custom), ["custom", "-"]);
    let messages = events(&g, "m", StreamMode::Messages).await;
    assert_eq!(modes_of(&messages), ["messages", "-"]);
    let m = &messages[0];
    assert_eq!(
        (m.step, m.node.as_ref().map(|n| n.as_str())),
        (0, Some("a"))
    );
    assert!(
        matches!(&m.kind, EventKind::Message(c) if c.provider.as_deref() == Some("fake") && c.text == "hi")
    );

    let none = events(&g, "n", StreamModes::NONE).await;
    assert_eq!(modes_of(&none), ["-"]);
    assert!(matches!(none[0].kind, EventKind::End));
}

#[tokio::test]
async fn checkpoints_carry_values_next_metadata_and_parent() {
    let g = talker();
    let cfg = RunConfig::thread("k").metadata("who", "test");
    let mut stream = g.stream(push("in"), &cfg, StreamMode::Checkpoints);
    let mut seen = Vec::new();
    while let Some(event) = stream.next().await {
        if let EventKind::Checkpoint {
            id,
            parent,
            values: Payload::State(values),
            next,
            metadata,
            ..
        } = event.kind
        {
            assert_eq!(metadata.get("who"), Some(&serde_json::json!("test")));
            let next: Vec<String> = next.iter().map(ToString::to_string).collect();
            seen.push((id, parent, values.log.len(), next));
        }
    }
    stream.finish().await.unwrap();
    let ids: Vec<_> = seen.iter().map(|s| s.0).collect();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].1, None);
    assert_eq!(seen[1].1, Some(ids[0]));
    assert_eq!(seen[2].1, Some(ids[1]));
    let rest: Vec<_> = seen.iter().map(|s| (s.2, s.3.clone())).collect();
    assert_eq!(
        rest,
        [
            (1, vec!["a".to_owned()]),
            (2, vec!["b".to_owned()]),
            (3, vec![])
        ]
    );
    // The snapshot the stream announced is the one stored.
    let state = g.get_state(&RunConfig::thread("k")).await.unwrap();
    assert_eq!(state.checkpoint.unwrap().id, ids[2]);
}

#[tokio::test]
async fn tasks_carry_input_result_error_and_interrupts() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("ok", append("ok"));
    g.add_node("ask", |_s: Arc<Log>, ctx: Ctx| async move {
        let answer: String = ctx.interrupt("approve?")?;
        Ok(push(answer))
    });
    g.add_edge(START, "ok").add_edge("ok", "ask");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let mut stream = g.stream(push("in"), &cfg, StreamMode::Tasks);
    let mut seen = Vec::new();
    while let Some(event) = stream.next().await {
        let node = event
            .node
            .as_ref()
            .map(|n| n.to_string())
            .unwrap_or_default();
        match event.kind {
            EventKind::TaskStart {
                input: Payload::State(s),
            } => seen.push(format!("{node} start {:?}", s.log)),
            EventKind::TaskEnd {
                end: TaskEnd::Finished,
                result: Some(Payload::Update(u)),
            } => seen.push(format!("{node} result {:?}", u.log)),
            EventKind::TaskEnd {
                end: TaskEnd::Interrupted(i),
                result: None,
            } => seen.push(format!("{node} interrupted {}", i[0].value)),
            EventKind::Interrupt(_) => seen.push("interrupt".into()),
            EventKind::End => seen.push("end".into()),
            other => panic!("not a tasks event: {other:?}"),
        }
    }
    stream.finish().await.unwrap();
    assert_eq!(
        seen,
        [
            "ok start [\"in\"]",
            "ok result Some(Reduce([\"ok\"]))",
            "ask start [\"in\", \"ok\"]",
            "ask interrupted \"approve?\"",
            "interrupt",
            "end",
        ]
    );

    let mut g = StateGraph::<Log>::new();
    g.add_node("boom", |_s: Arc<Log>, _ctx: Ctx| async move {
        Err::<LogUpdate, _>(graph_core::NodeError::msg("broken pipe"))
    });
    g.add_edge(START, "boom");
    let g = g.compile().unwrap();
    let mut stream = g.stream(push("in"), &RunConfig::thread("f"), StreamMode::Tasks);
    let mut failed = None;
    while let Some(event) = stream.next().await {
        if let EventKind::TaskEnd {
            end: TaskEnd::Failed(message),
            result,
        } = event.kind
        {
            assert!(result.is_none());
            failed = Some(message);
        }
    }
    assert!(stream.finish().await.is_err());
    assert!(failed.unwrap().contains("broken pipe"));
}

#[tokio::test]
async fn debug_repeats_tasks_and_checkpoints_under_its_own_name() {
    let g = talker();
    let both = events(&g, "d", [StreamMode::Tasks, StreamMode::Debug]).await;
    let tasks = both
        .iter()
        .filter(|e| e.mode == Some(StreamMode::Tasks))
        .count();
    let debug: Vec<_> = both
        .iter()
        .filter(|e| e.mode == Some(StreamMode::Debug))
        .collect();
    // Two tasks, each a start and an end; three checkpoints, under `debug` only.
    assert_eq!(tasks, 4);
    assert_eq!(debug.len(), 4 + 3);
    assert!(
        debug
            .iter()
            .all(|e| e.kind.mode() != Some(StreamMode::Values))
    );
}

#[tokio::test]
async fn an_update_is_streamed_when_its_task_finishes_not_when_the_superstep_does() {
    // `slow` waits until the consumer has seen `fast`'s update; if updates were sent only
    // after the whole superstep, it would wait for ever.
    let seen_fast = Arc::new(tokio::sync::Notify::new());
    let wait = Arc::clone(&seen_fast);
    let mut g = StateGraph::<Log>::new();
    g.add_node("a_slow", move |_s: Arc<Log>, _ctx: Ctx| {
        let wait = Arc::clone(&wait);
        async move {
            wait.notified().await;
            Ok(push("a_slow"))
        }
    });
    g.add_node("z_fast", append("z_fast"));
    g.add_edge(START, "a_slow").add_edge(START, "z_fast");
    let g = g.compile().unwrap();
    let mut stream = g.stream(push("in"), &RunConfig::thread("t"), StreamMode::Updates);
    let mut order = Vec::new();
    let run = async {
        while let Some(event) = stream.next().await {
            if let Some(node) = &event.node {
                order.push(node.to_string());
                if node.as_str() == "z_fast" {
                    seen_fast.notify_one();
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the fast task's update came only after the slow task finished");
    assert_eq!(order, ["z_fast", "a_slow"]);
    let out = stream.finish().await.unwrap();
    // The state still applies updates in task order.
    assert_eq!(out.state.log, ["in", "a_slow", "z_fast"]);
}

/// A value whose clones are counted, to see what a stream builds.
#[derive(Default, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Counted(u32);

static CLONES: AtomicUsize = AtomicUsize::new(0);

impl Clone for Counted {
    fn clone(&self) -> Self {
        CLONES.fetch_add(1, Ordering::SeqCst);
        Counted(self.0)
    }
}

#[derive(State, Clone, Default, Debug, Serialize, Deserialize)]
pub(crate) struct Heavy {
    #[state(append)]
    items: Vec<Counted>,
}

#[tokio::test]
async fn modes_nobody_asked_for_build_nothing() {
    let mut g = StateGraph::<Heavy>::new();
    for name in ["a", "b"] {
        g.add_node(name, |_s: Arc<Heavy>, _ctx: Ctx| async move {
            Ok(HeavyUpdate::default().items(vec![Counted(1)]))
        });
    }
    g.add_edge(START, "a").add_edge("a", "b");
    let g = g.compile().unwrap();
    let clones = |modes: StreamModes, thread: &'static str| {
        let g = &g;
        async move {
            let before = CLONES.load(Ordering::SeqCst);
            let stream = g.stream(HeavyUpdate::default(), &RunConfig::thread(thread), modes);
            stream.finish().await.unwrap();
            CLONES.load(Ordering::SeqCst) - before
        }
    };
    // Tests in this binary run on other threads, but only this one clones `Counted`.
    let invoke = {
        let before = CLONES.load(Ordering::SeqCst);
        g.invoke(HeavyUpdate::default(), &RunConfig::thread("i"))
            .await
            .unwrap();
        CLONES.load(Ordering::SeqCst) - before
    };
    assert_eq!(clones(StreamModes::NONE, "n").await, invoke);
    assert_eq!(clones(StreamMode::Custom.into(), "c").await, invoke);
    // Each of the two updates is cloned once for `updates`. (A `values` or `tasks` event
    // shares the state, so a reducer that runs while a consumer still holds it copies the
    // state first: that is the price of those modes, as in LangGraph.)
    assert_eq!(clones(StreamMode::Updates.into(), "u").await, invoke + 2);
}

/// `Ctx::is_streaming` says whether token chunks would reach anyone: only when the stream has
/// the `messages` mode (an LLM node asks its provider for a token stream only then).
#[tokio::test]
async fn is_streaming_means_the_messages_mode_is_streamed() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut g = StateGraph::<Log>::new();
    let record = Arc::clone(&seen);
    g.add_node("a", move |_s: Arc<Log>, ctx: Ctx| {
        let record = Arc::clone(&record);
        async move {
            record.lock().unwrap().push(ctx.is_streaming());
            Ok(LogUpdate::default())
        }
    });
    g.add_edge(START, "a");
    let g = g.compile().unwrap().with_checkpointer(memory());
    g.invoke(push("in"), &RunConfig::thread("invoke"))
        .await
        .unwrap();
    events(&g, "values", StreamMode::Values).await;
    events(&g, "custom", [StreamMode::Custom, StreamMode::Updates]).await;
    events(&g, "messages", StreamMode::Messages).await;
    events(&g, "all", StreamModes::ALL).await;
    assert_eq!(*seen.lock().unwrap(), [false, false, false, true, true]);
}
