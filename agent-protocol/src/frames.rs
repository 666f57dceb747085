//! From a run's events to the SSE frames the SDK reads, mode by mode (`values`, `updates`,
//! `messages-tuple`, `messages`, `custom`, `tasks`, `checkpoints`, `debug`), and the stream
//! modes a request may ask for.

use std::collections::HashMap;

use graph_core::{Interrupt, StreamMode, StreamModes, TaskEnd};
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::served::{JsonEvent, JsonKind};

/// A stream mode as the SDK names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ApiMode {
    /// The state after each superstep.
    Values,
    /// Each task's update.
    Updates,
    /// LLM tokens as `[chunk, metadata]` pairs (the SDK's `messages-tuple`).
    MessagesTuple,
    /// LLM tokens as the accumulated message (`messages/partial`).
    Messages,
    /// What nodes emit.
    Custom,
    /// Task starts and ends.
    Tasks,
    /// Checkpoints.
    Checkpoints,
    /// Tasks and checkpoints, wrapped with a step and a timestamp.
    Debug,
}

impl ApiMode {
    /// Reads a mode name; `events` and unknown names are refused, naming the ones served.
    pub(crate) fn parse(name: &str) -> Result<ApiMode, Error> {
        Ok(match name {
            "values" => ApiMode::Values,
            "updates" => ApiMode::Updates,
            "messages-tuple" => ApiMode::MessagesTuple,
            "messages" => ApiMode::Messages,
            "custom" => ApiMode::Custom,
            "tasks" => ApiMode::Tasks,
            "checkpoints" => ApiMode::Checkpoints,
            "debug" => ApiMode::Debug,
            "events" => {
                return Err(Error::Unsupported(
                    "`stream_mode`: `events` (LangChain callback events) is not supported; use \
                     `tasks` or `debug`"
                        .into(),
                ));
            }
            other => {
                return Err(Error::invalid(
                    "stream_mode",
                    format!(
                        "`{other}` is not a stream mode; use values, updates, messages, \
                         messages-tuple, custom, tasks, checkpoints or debug"
                    ),
                ));
            }
        })
    }

    fn engine(self) -> StreamMode {
        match self {
            ApiMode::Values => StreamMode::Values,
            ApiMode::Updates => StreamMode::Updates,
            ApiMode::MessagesTuple | ApiMode::Messages => StreamMode::Messages,
            ApiMode::Custom => StreamMode::Custom,
            ApiMode::Tasks => StreamMode::Tasks,
            ApiMode::Checkpoints => StreamMode::Checkpoints,
            ApiMode::Debug => StreamMode::Debug,
        }
    }
}

/// The modes a run streams, and whether subgraphs' events come too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Modes {
    /// In the order asked, without repeats.
    pub list: Vec<ApiMode>,
    /// Whether events of subgraphs are sent (as `mode|namespace`).
    pub subgraphs: bool,
}

impl Modes {
    /// The engine modes these need.
    pub(crate) fn engine(&self) -> StreamModes {
        self.list.iter().map(|m| m.engine()).collect()
    }

    fn has(&self, mode: ApiMode) -> bool {
        self.list.contains(&mode)
    }
}

/// Turns a run's events into frames: `(event name, data)`.
pub(crate) struct Framer {
    modes: Modes,
    thread_id: String,
    /// The latest values, for the `values` frame an interrupt adds.
    last_values: Option<Value>,
    /// Each task's message text so far (mode `messages`).
    messages: HashMap<String, String>,
}

impl Framer {
    /// A framer for a run of `thread_id` streaming `modes`.
    pub(crate) fn new(modes: Modes, thread_id: &str) -> Self {
        Framer {
            modes,
            thread_id: thread_id.to_owned(),
            last_values: None,
            messages: HashMap::new(),
        }
    }

    /// The frames one event makes.
    pub(crate) fn frames(&mut self, event: &JsonEvent) -> Vec<(String, Value)> {
        let root = event.ns.is_root();
        if !root && !self.modes.subgraphs {
            return Vec::new();
        }
        let name = |mode: &str| {
            if root {
                mode.to_owned()
            } else {
                format!("{mode}|{}", event.ns)
            }
        };
        let mut out = Vec::new();
        match &event.kind {
            JsonKind::Values(values) => {
                if root {
                    self.last_values = Some(values.clone());
                }
                if self.modes.has(ApiMode::Values) {
                    out.push((name("values"), values.clone()));
                }
            }
            JsonKind::Update(update) => {
                if self.modes.has(ApiMode::Updates) {
                    let node = event.node.as_ref().map_or("__input__", |n| n.as_str());
                    out.push((name("updates"), json!({ node: update })));
                }
            }
            JsonKind::Custom(value) => {
                if self.modes.has(ApiMode::Custom) {
                    out.push((name("custom"), value.clone()));
                }
            }
            JsonKind::Message(chunk) => self.message(event, &chunk.text, &name, &mut out),
            JsonKind::TaskStart { .. } | JsonKind::TaskEnd { .. } | JsonKind::Checkpoint { .. } => {
                self.task_or_checkpoint(event, &name, &mut out);
            }
            JsonKind::Interrupt(interrupts) => {
                let list = interrupts_json(interrupts);
                if self.modes.has(ApiMode::Updates) {
                    out.push((name("updates"), json!({ "__interrupt__": list.clone() })));
                }
                if root && self.modes.has(ApiMode::Values) {
                    let mut values = match self.last_values.clone() {
                        Some(Value::Object(map)) => map,
                        _ => Map::new(),
                    };
                    values.insert("__interrupt__".into(), list);
                    out.push((name("values"), Value::Object(values)));
                }
            }
            // A breakpoint, an error and the end are told by the run's last frame.
            JsonKind::Breakpoint { .. } | JsonKind::Error(_) | JsonKind::End => {}
        }
        out
    }

    fn message(
        &mut self,
        event: &JsonEvent,
        text: &str,
        name: &dyn Fn(&str) -> String,
        out: &mut Vec<(String, Value)>,
    ) {
        let task = event.task.map(|t| t.to_string()).unwrap_or_default();
        let id = format!("run-{task}");
        let metadata = json!({
            "langgraph_node": event.node.as_ref().map(|n| n.as_str()),
            "langgraph_step": event.step,
            "langgraph_task_id": task,
            "thread_id": self.thread_id,
        });
        if self.modes.has(ApiMode::MessagesTuple) {
            let chunk = json!({ "type": "AIMessageChunk", "content": text, "id": id });
            out.push((name("messages"), json!([chunk, metadata])));
        }
        if self.modes.has(ApiMode::Messages) {
            let first = !self.messages.contains_key(&id);
            let so_far = self.messages.entry(id.clone()).or_default();
            so_far.push_str(text);
            if first {
                out.push((
                    name("messages/metadata"),
                    json!({ id.clone(): { "metadata": metadata } }),
                ));
            }
            let message = json!({ "type": "ai", "content": so_far, "id": id });
            out.push((name("messages/partial"), json!([message])));
        }
    }

    fn task_or_checkpoint(
        &self,
        event: &JsonEvent,
        name: &dyn Fn(&str) -> String,
        out: &mut Vec<(String, Value)>,
    ) {
        let (kind, payload) = match &event.kind {
            JsonKind::TaskStart { input } => ("task", self.task_start(event, input)),
            JsonKind::TaskEnd { end, result } => ("task_result", task_end(event, end, result)),
            JsonKind::Checkpoint { .. } => ("checkpoint", self.checkpoint(event)),
            _ => return,
        };
        match event.mode {
            Some(StreamMode::Debug) if self.modes.has(ApiMode::Debug) => {
                let timestamp =
                    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
                out.push((
                    name("debug"),
                    json!({
                        "step": event.step,
                        "timestamp": timestamp,
                        "type": kind,
                        "payload": payload,
                    }),
                ));
            }
            Some(StreamMode::Checkpoints) if self.modes.has(ApiMode::Checkpoints) => {
                out.push((name("checkpoints"), payload));
            }
            Some(StreamMode::Tasks) if self.modes.has(ApiMode::Tasks) => {
                out.push((name("tasks"), payload));
            }
            _ => {}
        }
    }

    fn task_start(&self, event: &JsonEvent, input: &Value) -> Value {
        json!({
            "id": event.task.map(|t| t.to_string()),
            "name": event.node.as_ref().map(|n| n.as_str()),
            "input": input,
            "triggers": [],
        })
    }

    fn checkpoint(&self, event: &JsonEvent) -> Value {
        let JsonKind::Checkpoint {
            id,
            source,
            parent,
            values,
            next,
            metadata,
        } = &event.kind
        else {
            return Value::Null;
        };
        let config = |id: String| {
            json!({ "configurable": {
                "thread_id": self.thread_id,
                "checkpoint_ns": event.ns.as_str(),
                "checkpoint_id": id,
            }})
        };
        let mut metadata = metadata.clone();
        metadata.insert("source".into(), json!(source.as_str()));
        metadata.insert("step".into(), json!(event.step));
        json!({
            "config": config(id.to_string()),
            "parent_config": parent.map(|p| config(p.to_string())),
            "values": values,
            "metadata": metadata,
            "next": next.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            "tasks": [],
        })
    }
}

fn task_end(event: &JsonEvent, end: &TaskEnd, result: &Option<Value>) -> Value {
    let (error, interrupts) = match end {
        TaskEnd::Finished => (None, Vec::new()),
        TaskEnd::Failed(message) => (Some(message.clone()), Vec::new()),
        TaskEnd::Interrupted(list) => (None, list.clone()),
    };
    json!({
        "id": event.task.map(|t| t.to_string()),
        "name": event.node.as_ref().map(|n| n.as_str()),
        "error": error,
        "interrupts": interrupts_json(&interrupts),
        "result": result,
    })
}

/// Interrupts as the SDK reads them: `[{"value", "id"}]`.
pub(crate) fn interrupts_json(interrupts: &[Interrupt]) -> Value {
    Value::Array(
        interrupts
            .iter()
            .map(|i| json!({ "value": i.value, "id": i.id.to_string() }))
            .collect(),
    )
}
