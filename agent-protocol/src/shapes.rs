//! The response bodies, typed: `Assistant`, `Thread`, `ThreadState` and `Run` as
//! `langgraph_sdk.schema` reads them. Times are RFC 3339 in UTC; checkpoint ids are strings.

use std::collections::BTreeMap;

use graph_core::{CheckpointMeta, NodeId, TaskInfo};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::api::assistant_id;
use crate::frames::interrupts_json;
use crate::records::{RunRecord, ThreadRecord, ThreadStatus};
use crate::served::{JsonSnapshot, ServedGraph};

/// Milliseconds since the Unix epoch as RFC 3339.
pub(crate) fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

/// The API's thread status for the engine's.
pub(crate) fn status_of(status: graph_core::ThreadStatus) -> ThreadStatus {
    match status {
        graph_core::ThreadStatus::Interrupted => ThreadStatus::Interrupted,
        graph_core::ThreadStatus::Error => ThreadStatus::Error,
        graph_core::ThreadStatus::Idle | graph_core::ThreadStatus::Pending => ThreadStatus::Idle,
    }
}

/// A system assistant.
#[derive(Debug, Serialize)]
pub(crate) struct Assistant {
    assistant_id: String,
    graph_id: String,
    config: Value,
    context: Value,
    metadata: Value,
    name: String,
    description: Option<String>,
    version: u32,
    created_at: String,
    updated_at: String,
}

impl Assistant {
    /// The assistant of `graph`, created when the API started.
    pub(crate) fn of(graph: &dyn ServedGraph, started_ms: i64) -> Self {
        let id = graph.graph_id();
        Assistant {
            assistant_id: assistant_id(id),
            graph_id: id.to_owned(),
            config: json!({}),
            context: json!({}),
            metadata: json!({ "created_by": "system" }),
            name: id.to_owned(),
            description: None,
            version: 1,
            created_at: iso(started_ms),
            updated_at: iso(started_ms),
        }
    }
}

/// A thread.
#[derive(Debug, Serialize)]
pub(crate) struct Thread {
    thread_id: String,
    created_at: String,
    updated_at: String,
    state_updated_at: String,
    metadata: Map<String, Value>,
    status: ThreadStatus,
    config: Value,
    values: Option<Value>,
    interrupts: BTreeMap<String, Value>,
    error: Option<Value>,
}

impl Thread {
    /// A thread as stored, with its state when it has one, `busy` when a run is in flight.
    pub(crate) fn of(record: ThreadRecord, state: Option<&JsonSnapshot>, busy: bool) -> Self {
        let mut interrupts = BTreeMap::new();
        if let Some(state) = state {
            for interrupt in &state.interrupts {
                let list = interrupts
                    .entry(interrupt.task_id.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let (Value::Array(list), Value::Array(one)) =
                    (list, interrupts_json(std::slice::from_ref(interrupt)))
                {
                    list.extend(one);
                }
            }
        }
        let status = if busy {
            ThreadStatus::Busy
        } else {
            state.map_or(record.status, |s| {
                match (status_of(s.status), record.status) {
                    // A failed run leaves the thread's checkpoint resumable, but the thread shows
                    // the error until the next run.
                    (ThreadStatus::Idle, ThreadStatus::Error) => ThreadStatus::Error,
                    (status, _) => status,
                }
            })
        };
        let state_updated = state
            .and_then(|s| s.checkpoint.as_ref())
            .map_or(record.updated_at_ms, |c| c.created_at_ms as i64);
        Thread {
            thread_id: record.thread_id,
            created_at: iso(record.created_at_ms),
            updated_at: iso(record.updated_at_ms),
            state_updated_at: iso(state_updated),
            metadata: record.metadata,
            status,
            config: json!({}),
            values: state.map(|s| s.values.clone()),
            interrupts,
            error: None,
        }
    }

    /// Its status.
    pub(crate) fn status(&self) -> ThreadStatus {
        self.status
    }
}

/// A checkpoint's address, as the SDK passes it back.
#[derive(Debug, Serialize)]
pub(crate) struct CheckpointRef {
    thread_id: String,
    checkpoint_ns: String,
    checkpoint_id: String,
    checkpoint_map: Option<Value>,
}

impl CheckpointRef {
    /// Checkpoint `id` of `thread`'s namespace `ns`.
    pub(crate) fn new(thread: &str, ns: &str, id: String) -> Self {
        CheckpointRef {
            thread_id: thread.to_owned(),
            checkpoint_ns: ns.to_owned(),
            checkpoint_id: id,
            checkpoint_map: None,
        }
    }
}

/// A planned task of a thread state.
#[derive(Debug, Serialize)]
struct Task {
    id: String,
    name: String,
    path: Vec<Value>,
    error: Option<String>,
    interrupts: Value,
    checkpoint: Option<CheckpointRef>,
    state: Option<Value>,
    result: Option<Value>,
}

/// A thread's state at a checkpoint.
#[derive(Debug, Serialize)]
pub(crate) struct ThreadState {
    values: Value,
    next: Vec<String>,
    tasks: Vec<Task>,
    metadata: Option<Map<String, Value>>,
    created_at: Option<String>,
    checkpoint: Option<CheckpointRef>,
    parent_checkpoint: Option<CheckpointRef>,
    interrupts: Value,
    checkpoint_id: Option<String>,
    parent_checkpoint_id: Option<String>,
}

impl ThreadState {
    /// A snapshot of `thread` (or the empty state of a thread that never ran).
    pub(crate) fn of(thread: &str, snapshot: Option<JsonSnapshot>) -> Self {
        let Some(snapshot) = snapshot else {
            return ThreadState {
                values: json!({}),
                next: Vec::new(),
                tasks: Vec::new(),
                metadata: None,
                created_at: None,
                checkpoint: None,
                parent_checkpoint: None,
                interrupts: json!([]),
                checkpoint_id: None,
                parent_checkpoint_id: None,
            };
        };
        let meta: Option<&CheckpointMeta> = snapshot.checkpoint.as_ref();
        let ns = meta.map_or(String::new(), |m| m.ns.as_str().to_owned());
        let reference = |id: String| CheckpointRef::new(thread, &ns, id);
        ThreadState {
            values: snapshot.values,
            next: names(&snapshot.next),
            tasks: snapshot.tasks.iter().map(task).collect(),
            metadata: meta.map(metadata),
            created_at: meta.map(|m| iso(m.created_at_ms as i64)),
            checkpoint: meta.map(|m| reference(m.id.to_string())),
            parent_checkpoint: meta
                .and_then(|m| m.parent)
                .map(|p| reference(p.to_string())),
            interrupts: interrupts_json(&snapshot.interrupts),
            checkpoint_id: meta.map(|m| m.id.to_string()),
            parent_checkpoint_id: meta.and_then(|m| m.parent).map(|p| p.to_string()),
        }
    }
}

fn names(nodes: &[NodeId]) -> Vec<String> {
    nodes.iter().map(|n| n.as_str().to_owned()).collect()
}

/// A checkpoint's metadata as LangGraph shows it: the stored keys plus `source`, `step` and
/// `writes`-free `parents`.
fn metadata(meta: &CheckpointMeta) -> Map<String, Value> {
    let mut out = meta.metadata.clone();
    out.insert("source".into(), json!(meta.source.as_str()));
    out.insert("step".into(), json!(meta.step));
    out.insert("parents".into(), json!({}));
    out
}

fn task(info: &TaskInfo) -> Task {
    Task {
        id: info.id.to_string(),
        name: info.node.as_str().to_owned(),
        path: vec![json!("__pregel_pull"), json!(info.node.as_str())],
        error: info.error.clone(),
        interrupts: interrupts_json(info.interrupt.as_slice()),
        checkpoint: None,
        state: info.state.as_ref().map(|s| s.values.clone()),
        result: None,
    }
}

/// A run.
#[derive(Debug, Serialize)]
pub(crate) struct Run {
    run_id: String,
    thread_id: String,
    assistant_id: String,
    created_at: String,
    updated_at: String,
    status: crate::records::RunStatus,
    metadata: Map<String, Value>,
    multitask_strategy: crate::records::Multitask,
    kwargs: Value,
}

impl From<RunRecord> for Run {
    fn from(run: RunRecord) -> Self {
        Run {
            run_id: run.run_id,
            thread_id: run.thread_id,
            assistant_id: run.assistant_id,
            created_at: iso(run.created_at_ms),
            updated_at: iso(run.updated_at_ms),
            status: run.status,
            metadata: run.metadata,
            multitask_strategy: run.multitask,
            kwargs: run.kwargs,
        }
    }
}
