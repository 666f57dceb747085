//! Graphs as the API serves them: [`ServedGraph`], one object-safe trait, so graphs of any
//! state type sit side by side in one registry. [`Served`] implements it once for every
//! [`CompiledGraph<S>`] whose state serialises and whose update deserialises: inputs, updates
//! and resume values arrive as JSON, and states, updates and events leave as JSON.

use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::Stream;
use graph_core::{
    Breakpoint, CheckpointId, CheckpointMeta, Checkpointer, Command, CompiledGraph, Event,
    EventKind, EventStream, GraphDescription, HistoryQuery, Interrupt, MessageChunk, Metadata,
    Namespace, NodeId, Payload, Resume, RunConfig, RunStatus, Source, State, StateSnapshot,
    StreamMode, StreamModes, TaskEnd, TaskId, TaskInfo, ThreadStatus, UpdateTarget,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::Error;

/// How a run starts.
#[derive(Debug, Clone)]
pub enum Start {
    /// New input, applied through the reducers (an object of the state's fields).
    Input(Value),
    /// Continue the thread: answer interrupts, pass a breakpoint, or replay.
    Resume(Resume),
    /// A command as input (LangGraph's `Command(update=…, goto=…)` without `resume`).
    Command {
        /// Written through the reducers, as input.
        update: Option<Value>,
        /// Nodes to run next.
        goto: Vec<String>,
    },
}

/// A state, an update or an argument as JSON.
pub type Json = Value;

/// One event of a run, with its payloads as JSON ([`graph_core::Event`] without the type).
#[derive(Debug, Clone)]
pub struct JsonEvent {
    /// The graph it happened in.
    pub ns: Namespace,
    /// The superstep.
    pub step: i64,
    /// The node, for task events.
    pub node: Option<NodeId>,
    /// The task, for task events.
    pub task: Option<TaskId>,
    /// The mode it is carried under (`None` for the events every stream carries).
    pub mode: Option<StreamMode>,
    /// Whether a task's output came from the node cache.
    pub cached: bool,
    /// What happened.
    pub kind: JsonKind,
}

/// [`graph_core::EventKind`] with JSON payloads.
#[derive(Debug, Clone)]
pub enum JsonKind {
    /// The state after the input or a superstep.
    Values(Json),
    /// One task's update.
    Update(Json),
    /// A value a node emitted.
    Custom(Json),
    /// A model's token chunk.
    Message(MessageChunk),
    /// A task started.
    TaskStart {
        /// Its input.
        input: Json,
    },
    /// A task ended.
    TaskEnd {
        /// How.
        end: TaskEnd,
        /// Its update, when it finished.
        result: Option<Json>,
    },
    /// A checkpoint was made.
    Checkpoint {
        /// Its id.
        id: CheckpointId,
        /// What made it.
        source: Source,
        /// The checkpoint before it.
        parent: Option<CheckpointId>,
        /// Its state.
        values: Json,
        /// The nodes planned next.
        next: Vec<NodeId>,
        /// Its metadata.
        metadata: Metadata,
    },
    /// The run paused on these interrupts.
    Interrupt(Vec<Interrupt>),
    /// The run paused at a breakpoint.
    Breakpoint {
        /// Before or after.
        kind: Breakpoint,
        /// The nodes planned next.
        next: Vec<NodeId>,
    },
    /// The run failed.
    Error(String),
    /// The run ended.
    End,
}

/// How a run ended, when it did not fail.
#[derive(Debug, Clone)]
pub struct JsonOutcome {
    /// The state at its last checkpoint.
    pub values: Json,
    /// That checkpoint.
    pub checkpoint: CheckpointId,
    /// Why it stopped.
    pub status: RunStatus,
}

/// A step of a run: an event, then, last, how it ended.
#[derive(Debug)]
pub enum Step {
    /// An event.
    Event(JsonEvent),
    /// The end: the outcome, or the error that failed the run.
    Done(Result<JsonOutcome, graph_core::Error>),
}

/// A run's steps. Dropping it stops the run where it stands (what it checkpointed stays).
pub type Steps = Pin<Box<dyn Stream<Item = Step> + Send>>;

/// A thread's state at a checkpoint, with JSON values.
#[derive(Debug, Clone)]
pub struct JsonSnapshot {
    /// The values.
    pub values: Json,
    /// The checkpoint; `None` for a thread with none.
    pub checkpoint: Option<CheckpointMeta>,
    /// The nodes planned next.
    pub next: Vec<NodeId>,
    /// The planned tasks.
    pub tasks: Vec<TaskInfo>,
    /// Pending interrupts.
    pub interrupts: Vec<Interrupt>,
    /// The thread's status.
    pub status: ThreadStatus,
}

/// The JSON Schemas of a graph (LangGraph's `input_schema`, `output_schema`, `state_schema`).
#[derive(Debug, Clone)]
pub struct Schemas {
    /// What a run's input may hold.
    pub input: Json,
    /// What a run returns.
    pub output: Json,
    /// The state.
    pub state: Json,
}

/// A graph the API serves, whatever its state type. Implemented by [`Served`].
#[async_trait]
pub trait ServedGraph: Send + Sync + 'static {
    /// The graph's id (`hotel`, `approval`), which names its assistant.
    fn graph_id(&self) -> &str;

    /// Its nodes and edges.
    fn describe(&self) -> GraphDescription;

    /// Its JSON Schemas.
    fn schemas(&self) -> Schemas;

    /// The checkpointer its threads live in.
    fn checkpointer(&self) -> Option<&Arc<dyn Checkpointer>>;

    /// Refuses a start whose JSON does not fit the graph (an input or a command's update that
    /// is not an update of its state), naming the field, before any run is created.
    fn check(&self, start: &Start) -> Result<(), Error>;

    /// Starts a run on `config`'s thread, streaming the events of `modes`. A start whose JSON
    /// does not fit the graph is refused before anything runs.
    async fn start(
        &self,
        start: Start,
        config: RunConfig,
        modes: StreamModes,
    ) -> Result<Steps, Error>;

    /// The thread's state at its latest checkpoint, or the one `config` names.
    async fn state(&self, config: &RunConfig) -> Result<JsonSnapshot, graph_core::Error>;

    /// A page of the thread's history, newest first, with values.
    async fn history(
        &self,
        config: &RunConfig,
        query: &HistoryQuery,
    ) -> Result<Vec<JsonSnapshot>, graph_core::Error>;

    /// Writes `values` (an update) in a new checkpoint, as `as_node` says; returns its id.
    async fn update_state(
        &self,
        config: &RunConfig,
        values: Option<Json>,
        as_node: Option<&str>,
    ) -> Result<CheckpointId, Error>;
}

/// A [`CompiledGraph`] served under an id.
///
/// ```
/// use std::sync::Arc;
/// use agent_protocol::{Served, ServedGraph};
/// use graph_core::{Ctx, START, State, StateGraph};
///
/// #[derive(State, Clone, Default, Debug, serde::Serialize)]
/// struct Echo {
///     text: String,
/// }
///
/// let mut graph = StateGraph::<Echo>::new();
/// graph.add_node("echo", |s: Arc<Echo>, _ctx: Ctx| async move {
///     Ok(EchoUpdate::default().text(s.text.to_uppercase()))
/// });
/// graph.add_edge(START, "echo");
/// let served = Served::new("echo", graph.compile()?);
/// assert_eq!(served.graph_id(), "echo");
/// # Ok::<(), graph_core::BuildError>(())
/// ```
pub struct Served<S: State> {
    id: String,
    graph: CompiledGraph<S>,
    schemas: Option<Schemas>,
}

impl<S: State> Served<S> {
    /// Serves `graph` as `graph_id`.
    pub fn new(graph_id: impl Into<String>, graph: CompiledGraph<S>) -> Self {
        Self {
            id: graph_id.into(),
            graph,
            schemas: None,
        }
    }

    /// Uses these schemas (e.g. from [`CompiledGraph::state_schema`] and
    /// [`CompiledGraph::input_schema`] for a state with `#[state(schema)]`). Without them the
    /// schemas list the state's fields with no type.
    pub fn with_schemas(mut self, schemas: Schemas) -> Self {
        self.schemas = Some(schemas);
        self
    }
}

#[async_trait]
impl<S> ServedGraph for Served<S>
where
    S: State + Serialize,
    S::Update: Serialize + DeserializeOwned,
{
    fn graph_id(&self) -> &str {
        &self.id
    }

    fn describe(&self) -> GraphDescription {
        self.graph.describe()
    }

    fn schemas(&self) -> Schemas {
        self.schemas.clone().unwrap_or_else(|| {
            let fields: serde_json::Map<String, Value> = S::FIELDS
                .iter()
                .map(|f| (f.name.to_owned(), json!({})))
                .collect();
            let object = json!({ "type": "object", "properties": fields });
            Schemas {
                input: object.clone(),
                output: object.clone(),
                state: object,
            }
        })
    }

    fn checkpointer(&self) -> Option<&Arc<dyn Checkpointer>> {
        self.graph.checkpointer()
    }

    fn check(&self, start: &Start) -> Result<(), Error> {
        match start {
            Start::Input(value) => update_from::<S>("input", value.clone()).map(drop),
            Start::Command {
                update: Some(value),
                ..
            } => update_from::<S>("command.update", value.clone()).map(drop),
            Start::Command { update: None, .. } | Start::Resume(_) => Ok(()),
        }
    }

    async fn start(
        &self,
        start: Start,
        config: RunConfig,
        modes: StreamModes,
    ) -> Result<Steps, Error> {
        let events = match start {
            Start::Input(value) => {
                let input = update_from::<S>("input", value)?;
                self.graph.stream(input, &config, modes)
            }
            Start::Resume(resume) => self.graph.stream_resume(&config, resume, modes),
            Start::Command { update, goto } => {
                let update = match update {
                    Some(value) => update_from::<S>("command.update", value)?,
                    None => S::Update::default(),
                };
                let mut command = Command::update(update);
                for node in goto {
                    command = command.and_goto(node);
                }
                let at = self
                    .graph
                    .write_command(command, &config)
                    .await
                    .map_err(Error::Graph)?;
                self.graph
                    .stream_resume(&config.clone().at(at), Resume::Continue, modes)
            }
        };
        Ok(erase(events))
    }

    async fn state(&self, config: &RunConfig) -> Result<JsonSnapshot, graph_core::Error> {
        self.graph.get_state(config).await.map(snapshot)
    }

    async fn history(
        &self,
        config: &RunConfig,
        query: &HistoryQuery,
    ) -> Result<Vec<JsonSnapshot>, graph_core::Error> {
        let page = self.graph.get_state_history_values(config, query).await?;
        Ok(page.into_iter().map(snapshot).collect())
    }

    async fn update_state(
        &self,
        config: &RunConfig,
        values: Option<Json>,
        as_node: Option<&str>,
    ) -> Result<CheckpointId, Error> {
        let update = match values {
            Some(Value::Null) | None => S::Update::default(),
            Some(value) => update_from::<S>("values", value)?,
        };
        self.graph
            .update_state(config, update, UpdateTarget::from(as_node))
            .await
            .map_err(Error::Graph)
    }
}

/// Reads `value` as an update of `S`, naming `what` and the field serde objects to.
fn update_from<S: State>(what: &'static str, value: Value) -> Result<S::Update, Error>
where
    S::Update: DeserializeOwned,
{
    serde_json::from_value(value).map_err(|e| Error::Invalid {
        field: what.to_owned(),
        reason: e.to_string(),
    })
}

/// JSON of `value`; a state that cannot be written as JSON (a map with non-string keys) shows
/// why instead of failing the run.
fn to_json(value: &impl Serialize) -> Json {
    serde_json::to_value(value).unwrap_or_else(|e| json!({ "__unserializable__": e.to_string() }))
}

fn payload<S: State + Serialize>(payload: Payload<S>) -> Json
where
    S::Update: Serialize,
{
    match payload {
        Payload::State(state) => to_json(&*state),
        Payload::Update(update) => to_json(&update),
        Payload::Json(value) => value,
    }
}

fn event<S: State + Serialize>(event: Event<S>) -> Option<JsonEvent>
where
    S::Update: Serialize,
{
    let kind = match event.kind {
        EventKind::Values(state) => JsonKind::Values(to_json(&*state)),
        EventKind::SubgraphValues(value) => JsonKind::Values(value),
        EventKind::Update(update) => JsonKind::Update(to_json(&update)),
        EventKind::SubgraphUpdate(value) => JsonKind::Update(value),
        EventKind::Custom(value) => JsonKind::Custom(value),
        EventKind::Message(chunk) => JsonKind::Message(chunk),
        EventKind::TaskStart { input } => JsonKind::TaskStart {
            input: payload(input),
        },
        EventKind::TaskEnd { end, result } => JsonKind::TaskEnd {
            end,
            result: result.map(payload),
        },
        EventKind::Checkpoint {
            id,
            source,
            parent,
            values,
            next,
            metadata,
        } => JsonKind::Checkpoint {
            id,
            source,
            parent,
            values: payload(values),
            next,
            metadata,
        },
        EventKind::Interrupt(interrupts) => JsonKind::Interrupt(interrupts),
        EventKind::Breakpoint { kind, next } => JsonKind::Breakpoint { kind, next },
        EventKind::Error(message) => JsonKind::Error(message),
        EventKind::End => JsonKind::End,
        // EventKind is non-exhaustive: a kind this crate does not know yet is dropped, since
        // no stream mode of the SDK could carry it.
        _ => return None,
    };
    Some(JsonEvent {
        ns: event.ns,
        step: event.step,
        node: event.node,
        task: event.task,
        mode: event.mode,
        cached: event.cached,
        kind,
    })
}

fn snapshot<S: State + Serialize>(snapshot: StateSnapshot<S>) -> JsonSnapshot {
    JsonSnapshot {
        values: to_json(&snapshot.values),
        checkpoint: snapshot.checkpoint,
        next: snapshot.next,
        tasks: snapshot.tasks,
        interrupts: snapshot.interrupts,
        status: snapshot.status,
    }
}

/// The run's events as JSON, then its outcome.
fn erase<S: State + Serialize>(events: EventStream<S>) -> Steps
where
    S::Update: Serialize,
{
    Box::pin(futures_util::stream::unfold(
        Some(events),
        |events| async move {
            let mut events = events?;
            while let Some(e) = events.next().await {
                if let Some(e) = event(e) {
                    return Some((Step::Event(e), Some(events)));
                }
            }
            let outcome = events.finish().await.map(|out| JsonOutcome {
                values: to_json(&out.state),
                checkpoint: out.checkpoint,
                status: out.status,
            });
            Some((Step::Done(outcome), None))
        },
    ))
}
