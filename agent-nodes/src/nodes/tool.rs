//! Tools and [`ToolNode`]: run the model's tool calls safely.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use graph_core::{Command, Ctx, Node, NodeResult, State};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::Error;
use crate::model::{ToolCall, ToolResult, ToolSpec};

/// A tool the model can call.
#[async_trait]
pub trait Tool: Send + Sync {
    /// Its name, description and argument schema.
    fn spec(&self) -> &ToolSpec;

    /// Runs it with arguments already validated against the schema. `key` is stable across
    /// re-runs of the same call: pass it to external systems as an idempotency key.
    async fn call(&self, args: Value, key: String) -> Result<Value, Error>;
}

/// A [`Tool`] from an async function of typed arguments; made by [`tool`].
pub struct ToolFn<A, F> {
    spec: ToolSpec,
    f: F,
    args: PhantomData<fn(A)>,
}

/// A tool named `name` whose arguments are an `A` (its JSON Schema comes from schemars) and
/// whose result is any serializable value.
///
/// ```
/// use agent_nodes::nodes::tool;
/// use schemars::JsonSchema;
/// use serde::Deserialize;
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Availability { hotel: String, nights: u32 }
///
/// let check = tool("check_availability", "Rooms free for a stay", |a: Availability, _key| async move {
///     Ok::<_, agent_nodes::Error>(serde_json::json!({"hotel": a.hotel, "rooms": 3, "nights": a.nights}))
/// });
/// ```
pub fn tool<A, F, Fut, R>(name: &str, description: &str, f: F) -> ToolFn<A, F>
where
    A: DeserializeOwned + JsonSchema + Send + 'static,
    F: Fn(A, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, Error>> + Send + 'static,
    R: Serialize + 'static,
{
    ToolFn {
        spec: ToolSpec::of::<A>(name, description),
        f,
        args: PhantomData,
    }
}

#[async_trait]
impl<A, F, Fut, R> Tool for ToolFn<A, F>
where
    A: DeserializeOwned + JsonSchema + Send + 'static,
    F: Fn(A, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, Error>> + Send + 'static,
    R: Serialize + 'static,
{
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    async fn call(&self, args: Value, key: String) -> Result<Value, Error> {
        let name = &self.spec.name;
        let args: A = serde_json::from_value(args).map_err(|e| Error::ToolArguments {
            tool: name.clone(),
            reason: e.to_string(),
        })?;
        let out = (self.f)(args, key).await?;
        serde_json::to_value(out).map_err(|e| Error::Tool {
            tool: name.clone(),
            reason: format!("its result does not serialize: {e}"),
        })
    }
}

/// The tools offered to a model, each with its compiled argument schema.
#[derive(Clone, Default)]
pub struct Toolbox {
    tools: Vec<(Arc<dyn Tool>, Arc<jsonschema::Validator>)>,
}

impl Toolbox {
    /// An empty toolbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `tool`. Its schema must be a valid JSON Schema and its name unique.
    pub fn with(mut self, tool: impl Tool + 'static) -> Result<Self, Error> {
        let spec = tool.spec();
        let invalid = |reason: String| Error::InvalidTool {
            tool: spec.name.clone(),
            reason,
        };
        if self.get(&spec.name).is_some() {
            return Err(invalid(
                "a tool with this name is already in the toolbox".into(),
            ));
        }
        let validator = jsonschema::validator_for(&spec.parameters)
            .map_err(|e| invalid(format!("its argument schema is invalid: {e}")))?;
        self.tools.push((Arc::new(tool), Arc::new(validator)));
        Ok(self)
    }

    /// The specs to put in a [`crate::ChatRequest`].
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.iter().map(|(t, _)| t.spec().clone()).collect()
    }

    fn get(&self, name: &str) -> Option<&(Arc<dyn Tool>, Arc<jsonschema::Validator>)> {
        self.tools.iter().find(|(t, _)| t.spec().name == name)
    }

    /// Runs one call: unknown tools, arguments that break the schema and failures become a
    /// result with `is_error`, worded for the model to correct itself.
    pub async fn run(&self, call: &ToolCall, key: String) -> ToolResult {
        let result = |output: Value, is_error: bool| ToolResult {
            id: call.id.clone(),
            name: call.name.clone(),
            output,
            is_error,
        };
        let Some((tool, schema)) = self.get(&call.name) else {
            let known: Vec<&str> = self
                .tools
                .iter()
                .map(|(t, _)| t.spec().name.as_str())
                .collect();
            let error = Error::UnknownTool {
                tool: call.name.clone(),
            };
            return result(
                json!({"error": format!("{error}; available: {}", known.join(", "))}),
                true,
            );
        };
        if let Value::String(raw) = &call.args {
            // Some servers send arguments that are not JSON; they arrive as the raw text.
            let error = Error::ToolArguments {
                tool: call.name.clone(),
                reason: format!("the arguments are not valid JSON: {raw}"),
            };
            return result(json!({"error": error.to_string()}), true);
        }
        let problems: Vec<String> = schema
            .iter_errors(&call.args)
            .take(5)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() {
                    e.to_string()
                } else {
                    format!("{at}: {e}")
                }
            })
            .collect();
        if !problems.is_empty() {
            let error = Error::ToolArguments {
                tool: call.name.clone(),
                reason: problems.join("; "),
            };
            return result(json!({"error": error.to_string()}), true);
        }
        match tool.call(call.args.clone(), key).await {
            Ok(output) => result(output, false),
            Err(error) => result(json!({"error": error.to_string()}), true),
        }
    }
}

type Calls<S> = Arc<dyn Fn(&S) -> Vec<ToolCall> + Send + Sync>;
type Store<S> = Arc<dyn Fn(Vec<ToolResult>) -> <S as State>::Update + Send + Sync>;

/// What a tool call's journal entry holds: its result, success or not.
#[derive(Serialize, Deserialize)]
struct Recorded(Value, bool);

/// A node that runs the tool calls `calls(state)` (normally those of the model's last message)
/// and stores their results, in call order, with `store`.
///
/// Each call runs inside [`Ctx::effect`] under its own journal entry, and the tool gets that
/// entry's key (derived from the task's idempotency key) followed by `/<call index>`: a task
/// that re-runs after a crash or an interrupt gets the recorded results instead of calling
/// again. A tool's failure is recorded too (the model sees it and can call again).
///
/// ```
/// use agent_nodes::nodes::{ToolNode, Toolbox, tool};
/// use agent_nodes::{ToolCall, ToolResult};
/// use graph_core::{State, StateGraph};
/// use schemars::JsonSchema;
/// use serde::Deserialize;
///
/// #[derive(State, Clone, Default)]
/// struct Chat { calls: Vec<ToolCall>, #[state(append)] results: Vec<ToolResult> }
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Cancel { booking_ref: String }
///
/// let toolbox = Toolbox::new().with(tool("cancel", "Cancels a booking", |c: Cancel, key| async move {
///     // `key` is stable across re-runs: give it to the booking system as an idempotency key.
///     Ok::<_, agent_nodes::Error>(serde_json::json!({"cancelled": c.booking_ref, "key": key}))
/// }))?;
/// let mut graph = StateGraph::<Chat>::new();
/// graph.add_node_impl(
///     "tools",
///     ToolNode::new(toolbox, |s: &Chat| s.calls.clone(), |r| ChatUpdate::default().results(r)),
/// );
/// # Ok::<(), agent_nodes::Error>(())
/// ```
pub struct ToolNode<S: State> {
    toolbox: Toolbox,
    calls: Calls<S>,
    store: Store<S>,
}

impl<S: State> ToolNode<S> {
    /// A node running `calls(state)` with `toolbox` and storing `store(results)`.
    pub fn new(
        toolbox: Toolbox,
        calls: impl Fn(&S) -> Vec<ToolCall> + Send + Sync + 'static,
        store: impl Fn(Vec<ToolResult>) -> S::Update + Send + Sync + 'static,
    ) -> Self {
        Self {
            toolbox,
            calls: Arc::new(calls),
            store: Arc::new(store),
        }
    }
}

#[async_trait]
impl<S: State> Node<S> for ToolNode<S> {
    async fn run(&self, state: Arc<S>, ctx: Ctx) -> NodeResult<S> {
        let calls = (self.calls)(&state);
        let mut results = Vec::with_capacity(calls.len());
        for (index, call) in calls.iter().enumerate() {
            let Recorded(output, is_error) = ctx
                .effect(&format!("tool:{}", call.name), |key| async move {
                    let result = self.toolbox.run(call, format!("{key}/{index}")).await;
                    Ok::<_, Error>(Recorded(result.output, result.is_error))
                })
                .await?;
            results.push(ToolResult {
                id: call.id.clone(),
                name: call.name.clone(),
                output,
                is_error,
            });
        }
        Ok(Command::update((self.store)(results)))
    }
}
