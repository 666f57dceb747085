//! Reading request bodies: a JSON object whose fields are taken one by one, so a field of the
//! wrong type is refused with its name, and fields the API does not use are ignored (the SDK
//! sends some that have no meaning here). Then the run body, `RunCreateStateful`, read into
//! a [`RunRequest`].

use std::sync::Arc;

use graph_core::{
    Breakpoints, CheckpointId, Durability, InterruptId, Namespace, Resume, RunConfig,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::frames::{ApiMode, Modes};
use crate::records::Multitask;
use crate::served::{ServedGraph, Start};

/// A request body: a JSON object (an empty body is an empty object).
pub(crate) struct Body(pub Map<String, Value>);

impl Body {
    /// Parses `bytes`; anything but an object (or nothing) is refused.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Body, Error> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body(Map::new()));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            Ok(_) => Err(Error::invalid("body", "must be a JSON object")),
            Err(e) => Err(Error::invalid("body", format!("is not valid JSON: {e}"))),
        }
    }

    /// Field `key` as a `T`; absent and `null` are `None`.
    pub(crate) fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|e| Error::invalid(key, e.to_string())),
        }
    }

    /// The raw value of `key` (absent and `null` are `None`).
    pub(crate) fn raw(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// Field `key` as an object (absent: empty).
    pub(crate) fn object(&self, key: &str) -> Result<Map<String, Value>, Error> {
        Ok(self.get(key)?.unwrap_or_default())
    }

    /// Field `key` as one of a set of names.
    pub(crate) fn parsed<T: std::str::FromStr<Err = String>>(
        &self,
        key: &str,
    ) -> Result<Option<T>, Error> {
        self.get::<String>(key)?
            .map(|s| s.parse().map_err(|e: String| Error::invalid(key, e)))
            .transpose()
    }

    /// A limit between 1 and 1000 (default `default`) and an offset.
    pub(crate) fn page(&self, default: usize) -> Result<(usize, usize), Error> {
        let limit = self.get::<usize>("limit")?.unwrap_or(default);
        if limit == 0 || limit > 1000 {
            return Err(Error::invalid("limit", "must be between 1 and 1000"));
        }
        Ok((limit, self.get::<usize>("offset")?.unwrap_or(0)))
    }
}

/// Stream modes from a body's `stream_mode`: a name or a list of names (default `values`).
pub(crate) fn stream_modes(value: Option<&Value>, subgraphs: bool) -> Result<Modes, Error> {
    let names: Vec<String> = match value {
        None => vec!["values".into()],
        Some(Value::String(name)) => vec![name.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::invalid("stream_mode", "must hold mode names"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(Error::invalid(
                "stream_mode",
                "must be a mode name or a list of them",
            ));
        }
    };
    modes_from(names.iter().map(String::as_str), subgraphs)
}

/// Modes from names, in order, without repeats.
pub(crate) fn modes_from<'a>(
    names: impl Iterator<Item = &'a str>,
    subgraphs: bool,
) -> Result<Modes, Error> {
    let mut list = Vec::new();
    for name in names {
        let mode = ApiMode::parse(name)?;
        if !list.contains(&mode) {
            list.push(mode);
        }
    }
    Ok(Modes { list, subgraphs })
}

/// A run as a body asks for it.
pub(crate) struct RunRequest {
    /// The graph.
    pub graph: Arc<dyn ServedGraph>,
    /// How it starts.
    pub start: Start,
    /// What it streams.
    pub modes: Modes,
    /// What to do with runs already in flight on the thread.
    pub multitask: Multitask,
    /// Create the thread when it does not exist (`if_not_exists: "create"`).
    pub create_thread: bool,
    /// Stop the run when its stream's client goes away (`on_disconnect: "cancel"`).
    pub cancel_on_disconnect: bool,
    /// Delete a stateless run's thread when it ends (`on_completion`, default `delete`).
    pub delete_on_completion: bool,
    /// The client's metadata.
    pub metadata: Map<String, Value>,
    /// The body as sent, stored with the run.
    pub kwargs: Value,
    config: RunConfigParts,
}

struct RunConfigParts {
    at: Option<(Namespace, CheckpointId)>,
    max_supersteps: Option<u32>,
    durability: Durability,
    interrupt_before: Breakpoints,
    interrupt_after: Breakpoints,
    context: Option<Value>,
}

impl RunRequest {
    /// Reads a run body; `find` looks the assistant up.
    pub(crate) fn parse(
        body: Body,
        find: impl Fn(&str) -> Result<Arc<dyn ServedGraph>, Error>,
    ) -> Result<RunRequest, Error> {
        let assistant_id: String = body
            .get("assistant_id")?
            .ok_or_else(|| Error::invalid("assistant_id", "is required"))?;
        let graph = find(&assistant_id)?;
        let start = start(&body)?;
        graph.check(&start)?;
        let subgraphs = body.get::<bool>("stream_subgraphs")?.unwrap_or(false);
        let modes = stream_modes(body.raw("stream_mode"), subgraphs)?;
        let config = config_parts(&body)?;
        let multitask = body.parsed("multitask_strategy")?.unwrap_or_default();
        let create_thread = match body.get::<String>("if_not_exists")?.as_deref() {
            None | Some("reject") => false,
            Some("create") => true,
            Some(other) => {
                return Err(Error::invalid(
                    "if_not_exists",
                    format!("`{other}` is not one of reject, create"),
                ));
            }
        };
        let cancel_on_disconnect = match body.get::<String>("on_disconnect")?.as_deref() {
            None | Some("continue") => false,
            Some("cancel") => true,
            Some(other) => {
                return Err(Error::invalid(
                    "on_disconnect",
                    format!("`{other}` is not one of continue, cancel"),
                ));
            }
        };
        let delete_on_completion = match body.get::<String>("on_completion")?.as_deref() {
            None | Some("delete") => true,
            Some("keep") => false,
            Some(other) => {
                return Err(Error::invalid(
                    "on_completion",
                    format!("`{other}` is not one of delete, keep"),
                ));
            }
        };
        if body.raw("webhook").is_some() {
            return Err(Error::Unsupported(
                "`webhook`: run webhooks are not supported yet".into(),
            ));
        }
        if body.get::<f64>("after_seconds")?.is_some_and(|s| s > 0.0) {
            return Err(Error::Unsupported(
                "`after_seconds`: delayed runs are not supported yet".into(),
            ));
        }
        Ok(RunRequest {
            graph,
            start,
            modes,
            multitask,
            create_thread,
            cancel_on_disconnect,
            delete_on_completion,
            metadata: body.object("metadata")?,
            kwargs: Value::Object(body.0),
            config,
        })
    }

    /// The engine's config for a run of this request on `thread`, tagged with `run_id`.
    pub(crate) fn run_config(&self, thread: &str, run_id: &str) -> RunConfig {
        let parts = &self.config;
        let mut config = RunConfig::thread(thread)
            .durability(parts.durability)
            .interrupt_before(parts.interrupt_before.clone())
            .interrupt_after(parts.interrupt_after.clone())
            .metadata("run_id", run_id);
        for (key, value) in &self.metadata {
            if !key.starts_with("test_") {
                config = config.metadata(key.clone(), value.clone());
            }
        }
        if let Some(limit) = parts.max_supersteps {
            config = config.max_supersteps(limit);
        }
        if let Some(context) = &parts.context {
            config = config.context(context.clone());
        }
        match &parts.at {
            Some((ns, id)) if ns.is_root() => config.at(*id),
            Some((ns, id)) => config.at_checkpoint(ns.clone(), *id),
            None => config,
        }
    }
}

fn start(body: &Body) -> Result<Start, Error> {
    let input = body.raw("input").cloned();
    let command: Option<Map<String, Value>> = body.get("command")?;
    match (input, command) {
        (Some(_), Some(_)) => Err(Error::invalid(
            "command",
            "send either `input` or `command`, not both",
        )),
        (Some(input), None) => Ok(Start::Input(input)),
        (None, None) => Ok(Start::Resume(Resume::Continue)),
        (None, Some(command)) => {
            let command = Body(command);
            let goto = goto(&command)?;
            let update = command.raw("update").cloned();
            match command.raw("resume").cloned() {
                Some(resume) => {
                    if update.is_some() || !goto.is_empty() {
                        return Err(Error::Unsupported(
                            "`command`: `resume` together with `update` or `goto` is not \
                             supported yet; update the state first (POST /threads/{id}/state)"
                                .into(),
                        ));
                    }
                    Ok(Start::Resume(resume_of(resume)))
                }
                None if update.is_none() && goto.is_empty() => Err(Error::invalid(
                    "command",
                    "needs `resume`, `update` or `goto`",
                )),
                None => Ok(Start::Command { update, goto }),
            }
        }
    }
}

fn goto(command: &Body) -> Result<Vec<String>, Error> {
    match command.raw("goto") {
        None => Ok(Vec::new()),
        Some(Value::String(node)) => Ok(vec![node.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(node) => Ok(node.clone()),
                _ => Err(Error::Unsupported(
                    "`command.goto`: only node names are supported (not Send objects)".into(),
                )),
            })
            .collect(),
        Some(_) => Err(Error::invalid(
            "command.goto",
            "must be a node name or a list of them",
        )),
    }
}

/// An object whose keys all look like interrupt ids (32 hex digits, as they are written)
/// answers by id, if they are pending ([`confirm_ids`] checks it once the thread is known);
/// anything else is the answer to the one pending interrupt.
fn resume_of(value: Value) -> Resume {
    let is_id = |k: &str| k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit());
    if let Value::Object(map) = &value
        && !map.is_empty()
        && map.keys().all(|k| is_id(k))
        && let Ok(answers) = map
            .iter()
            .map(|(k, v)| k.parse::<InterruptId>().map(|id| (id, v.clone())))
            .collect::<Result<Vec<_>, _>>()
    {
        return Resume::by_id(answers);
    }
    Resume::Value(value)
}

/// Keeps answers by id only when every id is an interrupt pending in `pending`; otherwise the
/// object was an answer of its own (LangGraph's rule: "a map of pending interrupt ids").
pub(crate) fn confirm_ids(start: Start, pending: &[InterruptId]) -> Start {
    match start {
        Start::Resume(Resume::ById(answers)) if !answers.keys().all(|id| pending.contains(id)) => {
            let object = answers
                .into_iter()
                .map(|(id, value)| (id.to_string(), value))
                .collect();
            Start::Resume(Resume::Value(Value::Object(object)))
        }
        other => other,
    }
}

fn breakpoints(body: &Body, key: &str) -> Result<Breakpoints, Error> {
    match body.raw(key) {
        None => Ok(Breakpoints::None),
        Some(Value::String(star)) if star == "*" => Ok(Breakpoints::All),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::invalid(key, "must hold node names"))
            })
            .collect::<Result<Vec<String>, _>>()
            .map(Breakpoints::from),
        Some(_) => Err(Error::invalid(key, "must be \"*\" or a list of node names")),
    }
}

fn config_parts(body: &Body) -> Result<RunConfigParts, Error> {
    let config = Body(body.object("config")?);
    let configurable = Body(config.object("configurable")?);
    let max_supersteps = config
        .get::<u32>("recursion_limit")
        .map_err(|_| Error::invalid("config.recursion_limit", "must be a positive integer"))?
        .map(|limit| {
            // LangGraph's limit counts the input step too.
            if limit < 2 {
                Err(Error::invalid(
                    "config.recursion_limit",
                    "must be at least 2",
                ))
            } else {
                Ok(limit - 1)
            }
        })
        .transpose()?;
    // LangGraph's default is `async` too: a run's checkpoints share commits, and the run ends
    // only once all of them are stored.
    let durability = match body.get::<String>("durability")?.as_deref() {
        Some("sync") => Durability::Sync,
        None | Some("async") => Durability::Async,
        Some("exit") => Durability::Exit,
        Some(other) => {
            return Err(Error::invalid(
                "durability",
                format!("`{other}` is not one of sync, async, exit"),
            ));
        }
    };
    Ok(RunConfigParts {
        at: checkpoint_at(body, &configurable)?,
        max_supersteps,
        durability,
        interrupt_before: breakpoints(body, "interrupt_before")?,
        interrupt_after: breakpoints(body, "interrupt_after")?,
        context: body.raw("context").cloned(),
    })
}

/// The checkpoint a run starts from: `checkpoint_id`, `checkpoint` or the config's
/// `configurable.checkpoint_id`.
fn checkpoint_at(
    body: &Body,
    configurable: &Body,
) -> Result<Option<(Namespace, CheckpointId)>, Error> {
    let (field, id, ns) = if let Some(id) = body.get::<String>("checkpoint_id")? {
        ("checkpoint_id", id, String::new())
    } else if let Some(checkpoint) = body.get::<Map<String, Value>>("checkpoint")? {
        let checkpoint = Body(checkpoint);
        let Some(id) = checkpoint.get::<String>("checkpoint_id")? else {
            return Ok(None);
        };
        let ns = checkpoint
            .get::<String>("checkpoint_ns")?
            .unwrap_or_default();
        ("checkpoint.checkpoint_id", id, ns)
    } else if let Some(id) = configurable.get::<String>("checkpoint_id")? {
        let ns = configurable
            .get::<String>("checkpoint_ns")?
            .unwrap_or_default();
        ("config.configurable.checkpoint_id", id, ns)
    } else {
        return Ok(None);
    };
    let id = id
        .parse::<CheckpointId>()
        .map_err(|_| Error::invalid(field, format!("`{id}` is not a checkpoint id")))?;
    let ns = ns
        .parse::<Namespace>()
        .map_err(|e| Error::invalid("checkpoint_ns", e.to_string()))?;
    Ok(Some((ns, id)))
}
