//! How a run ends: its last frame, its stored end (status, every frame and its thread's
//! status in one write; a rolled-back run deleted instead), and what `wait` and `join` answer.

use std::sync::Arc;

use graph_core::RunStatus as EngineStatus;
use serde_json::{Value, json};

use super::{Cancel, LiveRun, Runs};
use crate::frames::interrupts_json;
use crate::records::{RunEnd, RunStatus, ThreadStatus};
use crate::served::ServedGraph;

impl Runs {
    /// Ends a run: its last frame, its stored end, and what `wait` and `join` answer.
    pub(super) async fn finish_with(
        &self,
        live: &Arc<LiveRun>,
        graph: &dyn ServedGraph,
        ended: Ended,
    ) {
        let record = &live.record;
        let (status, thread_status, result, last) = match ended {
            Ended::Done(values, status) => {
                let (thread_status, result) = match status {
                    EngineStatus::Done => (ThreadStatus::Idle, values),
                    EngineStatus::Interrupted(interrupts) => {
                        let mut values = object(values);
                        values.insert("__interrupt__".into(), interrupts_json(&interrupts));
                        (ThreadStatus::Interrupted, Value::Object(values))
                    }
                    EngineStatus::Breakpoint { .. } => (ThreadStatus::Interrupted, values),
                };
                let end = json!({ "run_id": record.run_id, "status": "success" });
                (
                    RunStatus::Success,
                    thread_status,
                    result,
                    Some(("end", end)),
                )
            }
            Ended::Failed(message) => {
                let error = error_json(&message);
                let result = json!({ "__error__": error });
                (
                    RunStatus::Error,
                    ThreadStatus::Error,
                    result,
                    Some(("error", error)),
                )
            }
            Ended::Cancelled(action) => {
                // What the thread holds now (after a rollback: what it held before the run),
                // whatever modes the run streamed.
                let (thread_status, values) = thread_now(graph, &record.thread_id).await;
                self.finish(live, values, action, Some(thread_status)).await;
                return;
            }
        };
        if let Some((name, data)) = last {
            live.push(name, data);
        }
        live.stop_mirror().await;
        let end = RunEnd {
            run_id: record.run_id.clone(),
            thread_id: record.thread_id.clone(),
            status,
            at_ms: crate::now_ms(),
            events: live.frames(),
            thread_status,
            result: result.clone(),
        };
        if let Err(e) = self.store.end_run(&end).await {
            tracing::error!(error = %e, run = %record.run_id, "could not store the run's end");
        }
        live.end(status, result);
    }

    /// Ends a cancelled run: before it started (`thread_status` `None`: the thread is as it
    /// was) or while it ran. A rollback deletes the run; its subscribers still get the end.
    pub(super) async fn finish(
        &self,
        live: &Arc<LiveRun>,
        values: Value,
        action: Cancel,
        thread_status: Option<ThreadStatus>,
    ) {
        let record = &live.record;
        let status = RunStatus::Interrupted;
        live.push(
            "end",
            json!({ "run_id": record.run_id, "status": status.as_str() }),
        );
        live.stop_mirror().await;
        let stored = if action == Cancel::Rollback {
            self.store
                .delete_run(&record.thread_id, &record.run_id)
                .await
                .map(drop)
        } else {
            let thread_status = match thread_status {
                Some(status) => status,
                None => match self.store.thread(&record.thread_id).await {
                    Ok(Some(t)) => t.status,
                    _ => ThreadStatus::Idle,
                },
            };
            let end = RunEnd {
                run_id: record.run_id.clone(),
                thread_id: record.thread_id.clone(),
                status,
                at_ms: crate::now_ms(),
                events: live.frames(),
                thread_status,
                result: values.clone(),
            };
            self.store.end_run(&end).await
        };
        if let Err(e) = stored {
            tracing::error!(error = %e, run = %record.run_id, "could not store the cancelled run");
        }
        live.end(status, values);
    }
}

/// How a run's graph stopped.
pub(super) enum Ended {
    Done(Value, EngineStatus),
    Failed(String),
    Cancelled(Cancel),
}

/// The thread's status and values (with the interrupts it waits on) as they are now.
async fn thread_now(graph: &dyn ServedGraph, thread: &str) -> (ThreadStatus, Value) {
    match graph.state(&graph_core::RunConfig::thread(thread)).await {
        Ok(state) => {
            let mut values = object(state.values);
            if !state.interrupts.is_empty() {
                values.insert("__interrupt__".into(), interrupts_json(&state.interrupts));
            }
            (
                crate::shapes::status_of(state.status),
                Value::Object(values),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, thread, "reading a cancelled run's thread");
            (ThreadStatus::Idle, Value::Null)
        }
    }
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// The `error` frame: what the SDK raises.
pub(crate) fn error_json(message: &str) -> Value {
    json!({ "error": "GraphError", "message": message })
}

/// A run's error as a client may read it: storage failures name files and SQL, so they are
/// logged and told only as such.
pub(super) fn public_message(error: &graph_core::Error) -> String {
    match error {
        graph_core::Error::Storage { .. } | graph_core::Error::Cache(_) => {
            tracing::error!(%error, "a run failed in storage");
            "the run failed to store its state".into()
        }
        other => other.to_string(),
    }
}
