//! Streaming: the events of a run, in order, with thread, step, node and task.

use std::sync::Arc;

use graph_core::{
    Ctx, EventKind, FieldUpdate, MessageChunk, Resume, RunConfig, START, StateGraph, TaskEnd,
};

use crate::{Log, LogUpdate, append, memory, push};

fn describe(kind: &EventKind<Log>) -> String {
    match kind {
        EventKind::Values(s) => format!("values {:?}", s.log),
        EventKind::Update(u) => match &u.log {
            Some(FieldUpdate::Reduce(log)) => format!("update {log:?}"),
            Some(FieldUpdate::Overwrite(log)) => format!("update overwrite {log:?}"),
            None => "update []".into(),
        },
        EventKind::Custom(v) => format!("custom {v}"),
        EventKind::Message(m) => format!("message {}", m.text),
        EventKind::TaskStart { .. } => "task_start".into(),
        EventKind::TaskEnd {
            end: TaskEnd::Finished,
            ..
        } => "task_end".into(),
        EventKind::TaskEnd {
            end: TaskEnd::Interrupted(interrupts),
            ..
        } => format!("task_end interrupted {}", interrupts[0].value),
        EventKind::TaskEnd { end: other, .. } => format!("task_end {other:?}"),
        EventKind::Checkpoint { id, source, .. } => format!("checkpoint {id} {}", source.as_str()),
        EventKind::Interrupt(i) => format!("interrupt {}", i[0].value),
        EventKind::Breakpoint { .. } => "breakpoint".into(),
        EventKind::Error(e) => format!("error {e}"),
        EventKind::End => "end".into(),
        _ => "other".into(),
    }
}

#[tokio::test]
async fn a_two_node_run_streams_every_kind_of_event_in_order() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", |_s: Arc<Log>, ctx: Ctx| async move {
        ctx.emit(serde_json::json!({"progress": 50})).await?;
        for word in ["hel", "lo"] {
            ctx.emit_message(MessageChunk {
                text: word.into(),
                provider: Some("fake".into()),
            })
            .await;
        }
        Ok(push("a"))
    });
    g.add_node("b", append("b"));
    g.add_edge(START, "a").add_edge("a", "b");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let mut stream = g.stream(
        push("in"),
        &RunConfig::thread("t"),
        graph_core::StreamModes::ALL,
    );
    let mut lines = Vec::new();
    while let Some(event) = stream.next().await {
        assert_eq!(event.thread, "t");
        let place = match (&event.node, event.task) {
            (Some(node), Some(task)) => {
                assert_eq!(task.to_string().len(), 32);
                format!("{}@{node}", event.step)
            }
            _ => format!("{}", event.step),
        };
        lines.push(format!("{place} {}", describe(&event.kind)));
    }
    let out = stream.finish().await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "b"]);
    assert_eq!(
        lines,
        [
            "-1 values [\"in\"]",
            "-1 checkpoint 0 input",
            "0@a task_start",
            "0@a custom {\"progress\":50}",
            "0@a message hel",
            "0@a message lo",
            "0@a update [\"a\"]",
            "0@a task_end",
            "0 values [\"in\", \"a\"]",
            "0 checkpoint 1 loop",
            "1@b task_start",
            "1@b update [\"b\"]",
            "1@b task_end",
            "1 values [\"in\", \"a\", \"b\"]",
            "1 checkpoint 2 loop",
            "1 end",
        ]
    );
}

#[tokio::test]
async fn interrupts_and_errors_are_streamed_before_the_end() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("ask", |_s: Arc<Log>, ctx: Ctx| async move {
        let answer: String = ctx.interrupt("approve?")?;
        if answer == "no" {
            return Err(graph_core::NodeError::msg("rejected"));
        }
        Ok(push(answer))
    });
    g.add_edge(START, "ask");
    let g = g.compile().unwrap().with_checkpointer(memory());
    let cfg = RunConfig::thread("t");
    let collect = |mut stream: graph_core::EventStream<Log>| async move {
        let mut kinds = Vec::new();
        while let Some(e) = stream.next().await {
            kinds.push(describe(&e.kind));
        }
        (kinds, stream.finish().await)
    };
    let (kinds, out) =
        collect(g.stream(LogUpdate::default(), &cfg, graph_core::StreamModes::ALL)).await;
    assert!(out.is_ok());
    assert_eq!(
        &kinds[kinds.len() - 3..],
        [
            "task_end interrupted \"approve?\"",
            "interrupt \"approve?\"",
            "end"
        ]
    );
    let (kinds, out) =
        collect(g.stream_resume(&cfg, Resume::value("no"), graph_core::StreamModes::ALL)).await;
    assert!(out.is_err());
    let tail = &kinds[kinds.len() - 2..];
    assert_eq!(
        tail[0],
        "error thread `t`, superstep 0: node `ask` failed: rejected"
    );
    assert_eq!(tail[1], "end");
}
