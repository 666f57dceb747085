//! [`Ctx`]: what a running node can do besides returning an update — pause for a human
//! ([`Ctx::interrupt`]), run a side effect exactly once across re-runs ([`Ctx::effect`]),
//! stream ([`Ctx::emit`], [`Ctx::emit_message`]), show it is alive ([`Ctx::heartbeat`]) and
//! reach long-term memory ([`Ctx::store`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::checkpoint::{Checkpointer, PendingWrite, WriteKind};
use crate::config::{CallSettings, RunContext};
use crate::error::{Interrupted, NodeError, StorageError};
use crate::ids::{CheckpointId, InterruptId, Namespace, NodeId, TaskId, ThreadId};
use crate::outcome::Interrupt;
use crate::store::Store;
use crate::stream::{MessageChunk, NodeEvent, NodeEventSink};

/// A journaled effect result, as stored in a pending write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EffectRecord {
    pub(crate) name: String,
    pub(crate) value: serde_json::Value,
}

/// Where the tasks of one superstep save their pending writes.
pub(crate) enum WriteSink {
    /// No checkpointer: nothing is saved.
    Discard,
    /// `Durability::Sync`: saved at once.
    Direct {
        checkpointer: Arc<dyn Checkpointer>,
        thread: ThreadId,
        ns: Namespace,
        checkpoint: CheckpointId,
        /// Resume answers not stored yet. The first write carries them, and every other write
        /// waits until they are stored: a write stored without them (an effect's result, say)
        /// would outlive an answer lost in a crash, and a re-run would pair the old result with
        /// a new answer.
        answers: tokio::sync::Mutex<Vec<PendingWrite>>,
    },
    /// `Durability::Exit`: kept until the run stops.
    Buffer(Mutex<Vec<PendingWrite>>),
}

impl WriteSink {
    /// The writes a `Buffer` holds back, taken out of it; the other sinks hold none.
    pub(crate) fn take_held(&self) -> Vec<PendingWrite> {
        match self {
            WriteSink::Buffer(buffer) => std::mem::take(
                &mut *buffer
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            ),
            WriteSink::Discard | WriteSink::Direct { .. } => Vec::new(),
        }
    }

    pub(crate) async fn write(&self, write: PendingWrite) -> Result<(), StorageError> {
        match self {
            WriteSink::Discard => Ok(()),
            WriteSink::Direct {
                checkpointer,
                thread,
                ns,
                checkpoint,
                answers,
            } => {
                let mut answers = answers.lock().await;
                if answers.is_empty() {
                    drop(answers);
                    return checkpointer
                        .put_writes(thread, ns, *checkpoint, vec![write])
                        .await;
                }
                let mut writes = answers.clone();
                writes.push(write);
                checkpointer
                    .put_writes(thread, ns, *checkpoint, writes)
                    .await?;
                answers.clear();
                Ok(())
            }
            WriteSink::Buffer(buffer) => {
                buffer
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(write);
                Ok(())
            }
        }
    }
}

/// What every attempt of one task shares.
pub(crate) struct TaskShared {
    pub(crate) thread: ThreadId,
    /// The namespace of the graph the task is in.
    pub(crate) ns: Namespace,
    pub(crate) step: i64,
    pub(crate) node: NodeId,
    pub(crate) task_id: TaskId,
    /// Answers to this task's interrupts, by slot.
    pub(crate) resumes: BTreeMap<u32, serde_json::Value>,
    /// Results of this task's effects, by sequence number.
    pub(crate) journal: Mutex<BTreeMap<u32, EffectRecord>>,
    pub(crate) writes: Arc<WriteSink>,
    pub(crate) events: Option<Arc<dyn NodeEventSink>>,
    /// Supersteps this call may still run after this one, under `RunConfig::max_supersteps`.
    pub(crate) remaining: u32,
    /// The call's `RunConfig::context`.
    pub(crate) context: Option<RunContext>,
    /// The graph's store (`CompiledGraph::with_store`); a subgraph's tasks get its parent's.
    pub(crate) store: Option<Arc<dyn Store>>,
    /// For a subgraph's task: how its parent's call runs, so the subgraph runs the same way.
    pub(crate) call: Option<Arc<CallSettings>>,
    /// For a subgraph's task: answers to interrupts inside the subgraph, for it to take.
    pub(crate) nested_answers: BTreeMap<InterruptId, serde_json::Value>,
    /// For a subgraph's task: the interrupts inside the subgraph it paused on.
    pub(crate) nested: Mutex<Vec<Interrupt>>,
}

/// The per-attempt counters: a node re-runs from the start, so its interrupts and effects are
/// numbered from zero each time.
struct Attempt {
    number: u32,
    next_interrupt: AtomicU32,
    next_effect: AtomicU32,
    /// When the attempt last showed it is alive (started, emitted, sent a heartbeat): what its
    /// idle timeout counts from. `None` for a node without an idle timeout, whose attempts
    /// never read the clock for it.
    alive: Mutex<Option<Instant>>,
}

/// A running task's handle on the engine. Cheap to clone.
///
/// Interrupts and effects are matched to their earlier runs by the order in which the node calls
/// them, so a node must call them in the same order every time it runs.
#[derive(Clone)]
pub struct Ctx {
    task: Arc<TaskShared>,
    attempt: Arc<Attempt>,
}

impl Ctx {
    pub(crate) fn new(task: Arc<TaskShared>, attempt: u32) -> Self {
        let attempt = Attempt {
            number: attempt,
            next_interrupt: AtomicU32::new(0),
            next_effect: AtomicU32::new(0),
            alive: Mutex::new(None),
        };
        Self {
            task,
            attempt: Arc::new(attempt),
        }
    }

    /// The thread this run belongs to.
    pub fn thread(&self) -> &ThreadId {
        &self.task.thread
    }
    /// The graph this node runs in: the root graph (empty), or a subgraph's namespace.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Trace {
    ///     #[state(append)]
    ///     depth: Vec<usize>,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut child = StateGraph::<Trace>::new();
    /// child.add_node("inner", |_s: Arc<Trace>, ctx: Ctx| async move {
    ///     Ok(TraceUpdate::default().depth(vec![ctx.namespace().depth()]))
    /// });
    /// child.add_edge(START, "inner");
    /// let mut parent = StateGraph::<Trace>::new();
    /// parent.add_node("outer", |_s: Arc<Trace>, ctx: Ctx| async move {
    ///     Ok(TraceUpdate::default().depth(vec![ctx.namespace().depth()]))
    /// });
    /// parent.add_subgraph("sub", child.compile()?);
    /// parent.add_edge(START, "outer").add_edge("outer", "sub");
    /// let out = parent.compile()?.invoke(TraceUpdate::default(), &RunConfig::thread("t")).await?;
    /// assert_eq!(out.state.depth, [0, 1]);
    /// # Ok(()) }
    /// ```
    pub fn namespace(&self) -> &Namespace {
        &self.task.ns
    }

    /// What the task shares with the engine, for a subgraph's node.
    pub(crate) fn shared(&self) -> &Arc<TaskShared> {
        &self.task
    }
    /// The superstep.
    pub fn step(&self) -> i64 {
        self.task.step
    }
    /// This node's name.
    pub fn node(&self) -> &NodeId {
        &self.task.node
    }
    /// This task's id: the same on every re-run of the task (after a retry, an interrupt or a
    /// crash), so it can serve as an idempotency key for external systems.
    pub fn task_id(&self) -> TaskId {
        self.task.task_id
    }
    /// A key unique to this task of this thread, the same on every re-run of the task: pass it
    /// to external systems that deduplicate requests.
    pub fn idempotency_key(&self) -> String {
        self.task.task_id.idempotency_key(&self.task.thread)
    }
    /// Which attempt this is under the node's retry policy, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt.number
    }
    /// How many supersteps this call may still run after this one before it stops with
    /// [`Error::SuperstepLimit`](crate::Error::SuperstepLimit): LangGraph's `RemainingSteps`.
    /// The count is per call (`invoke`, `resume`, `stream`), as `RunConfig::max_supersteps` is.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, END, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug, serde::Serialize, serde::Deserialize)]
    /// struct Loop {
    ///     #[state(add)]
    ///     rounds: u32,
    ///     done: bool,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut g = StateGraph::<Loop>::new();
    /// // An agent loop that wraps up instead of failing on the last superstep it has.
    /// g.add_node("agent", |_s: Arc<Loop>, ctx: Ctx| async move {
    ///     Ok(LoopUpdate::default().rounds(1u32).done(ctx.is_last_superstep()))
    /// });
    /// g.add_edge(START, "agent");
    /// g.add_conditional_edge("agent", ["agent".into(), END], |s: &Loop| {
    ///     if s.done { END } else { "agent".into() }
    /// });
    /// let out = g
    ///     .compile()
    ///     .unwrap()
    ///     .invoke(LoopUpdate::default(), &RunConfig::thread("t").max_supersteps(5))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(out.state.rounds, 5);
    /// # }
    /// ```
    pub fn remaining_supersteps(&self) -> u32 {
        self.task.remaining
    }

    /// The data this call was given with [`RunConfig::context`](crate::RunConfig::context),
    /// if it is a `T`: `None` when the call gave none or gave another type.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, END, NodeError, RunConfig, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug, serde::Serialize, serde::Deserialize)]
    /// struct Greeting {
    ///     text: String,
    /// }
    ///
    /// struct User {
    ///     name: String,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut g = StateGraph::<Greeting>::new();
    /// g.add_node("greet", |_s: Arc<Greeting>, ctx: Ctx| async move {
    ///     let user = ctx.context::<User>().ok_or_else(|| NodeError::msg("no user"))?;
    ///     Ok(GreetingUpdate::default().text(format!("hello {}", user.name)))
    /// });
    /// g.add_edge(START, "greet").add_edge("greet", END);
    /// let cfg = RunConfig::thread("t").context(User { name: "Ana".into() });
    /// let out = g.compile().unwrap().invoke(GreetingUpdate::default(), &cfg).await.unwrap();
    /// assert_eq!(out.state.text, "hello Ana");
    /// # }
    /// ```
    pub fn context<T: std::any::Any>(&self) -> Option<&T> {
        self.task.context.as_ref()?.get::<T>()
    }

    /// The graph's long-term memory ([`crate::CompiledGraph::with_store`]), shared by every
    /// thread and by subgraphs; `None` when the graph has none. The example on
    /// [`crate::CompiledGraph::with_store`] uses it.
    ///
    /// A store write is not journaled: a node that fails after writing, or is re-run on resume,
    /// writes again. Puts overwrite, so a node that writes the same item each time is safe; for
    /// anything else, write in [`Ctx::effect`].
    pub fn store(&self) -> Option<&Arc<dyn Store>> {
        self.task.store.as_ref()
    }

    /// Whether this is the last superstep the call may run: LangGraph's `is_last_step`.
    pub fn is_last_superstep(&self) -> bool {
        self.task.remaining == 0
    }

    /// Whether the run streams the `messages` mode, so token chunks ([`Ctx::emit_message`])
    /// are worth producing: an LLM node asks its provider for a token stream only then.
    pub fn is_streaming(&self) -> bool {
        self.task
            .events
            .as_ref()
            .is_some_and(|events| events.streams(crate::stream::StreamMode::Messages))
    }

    /// Pauses the run for a human's answer, or returns the answer once there is one.
    ///
    /// The first time, this returns an error carrying `value`; propagate it with `?` and the run
    /// stops with the thread's status "interrupted". When the thread is resumed with an answer,
    /// the node runs again from its start and this call returns the answer. A node may
    /// interrupt several times; each call is answered separately, in order.
    pub fn interrupt<T: DeserializeOwned>(&self, value: impl Serialize) -> Result<T, NodeError> {
        let slot = self.attempt.next_interrupt.fetch_add(1, Ordering::SeqCst);
        let id = InterruptId::derive(self.task.task_id, slot);
        if let Some(answer) = self.task.resumes.get(&slot) {
            return serde_json::from_value(answer.clone()).map_err(|e| {
                NodeError::permanent(NodeError::msg(format!(
                    "the answer to interrupt {id} does not decode as `{}`: {e}",
                    std::any::type_name::<T>()
                )))
            });
        }
        let value = serde_json::to_value(value).map_err(|e| {
            NodeError::permanent(NodeError::msg(format!(
                "cannot encode interrupt payload: {e}"
            )))
        })?;
        Err(Interrupted { id, slot, value }.into())
    }

    /// Runs a side effect at most once per task, whatever happens to the task afterwards.
    ///
    /// `f` receives an idempotency key unique to this effect and stable across re-runs. When it
    /// succeeds, its result is saved with the task's pending writes before this returns; when the
    /// node runs again (after an interrupt, a failure or a crash), this returns the saved result
    /// instead of calling `f`. A failed `f` is not saved, so a retry calls it again. Effects are
    /// matched by their order in the node, and `name` must match the saved one.
    pub async fn effect<T, E, F, Fut>(&self, name: &str, f: F) -> Result<T, NodeError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: Into<NodeError>,
    {
        let seq = self.attempt.next_effect.fetch_add(1, Ordering::SeqCst);
        let saved = self.journal().get(&seq).cloned();
        if let Some(record) = saved {
            if record.name != name {
                return Err(NodeError::permanent(NodeError::msg(format!(
                    "effect #{seq} of this task was journaled as `{}` but is now `{name}`: a node \
                     must run its effects in the same order every time",
                    record.name
                ))));
            }
            return serde_json::from_value(record.value).map_err(|e| {
                NodeError::permanent(NodeError::msg(format!(
                    "the journaled result of effect `{name}` does not decode as `{}`: {e}",
                    std::any::type_name::<T>()
                )))
            });
        }
        let key = format!("{}-{seq}", self.idempotency_key());
        let value = f(key).await.map_err(Into::into)?;
        let record = EffectRecord {
            name: name.to_owned(),
            value: serde_json::to_value(&value).map_err(|e| {
                NodeError::permanent(NodeError::msg(format!(
                    "cannot encode the result of effect `{name}`: {e}"
                )))
            })?,
        };
        let bytes = serde_json::to_vec(&record).map_err(NodeError::from)?;
        let write = PendingWrite {
            task_id: self.task.task_id,
            node: self.task.node.clone(),
            kind: WriteKind::Effect,
            slot: seq,
            value: bytes.into(),
        };
        // Journal in memory first: even if saving fails, no retry of this task in this run
        // repeats the effect. A failed save fails the task for good; a later resume may repeat
        // the effect, which is what the idempotency key is for.
        self.journal().insert(seq, record);
        self.task.writes.write(write).await.map_err(|e| {
            NodeError::permanent(NodeError::msg(format!(
                "effect `{name}` ran but its result could not be saved: {e}"
            )))
        })?;
        Ok(value)
    }

    /// Tells the engine the node is alive, without an event: restarts the attempt's idle
    /// timeout ([`crate::TimeoutPolicy::idle`]), as every [`Ctx::emit`] and
    /// [`Ctx::emit_message`] does.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use graph_core::{Ctx, RunConfig, START, State, StateGraph, TimeoutPolicy};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Batch {
    ///     #[state(add)]
    ///     rows: u32,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut graph = StateGraph::<Batch>::new();
    /// graph
    ///     .add_node("import", |_s: Arc<Batch>, ctx: Ctx| async move {
    ///         for _ in 0..100 {
    ///             tokio::time::sleep(Duration::from_millis(200)).await; // one row
    ///             ctx.heartbeat();
    ///         }
    ///         Ok(BatchUpdate::default().rows(100u32))
    ///     })
    ///     .timeout_policy(TimeoutPolicy { run: None, idle: Some(Duration::from_secs(1)) });
    /// graph.add_edge(START, "import");
    /// let out = graph.compile()?.invoke(BatchUpdate::default(), &RunConfig::thread("t")).await?;
    /// assert_eq!(out.state.rows, 100);
    /// # Ok(()) }
    /// ```
    pub fn heartbeat(&self) {
        let mut alive = self
            .attempt
            .alive
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(at) = alive.as_mut() {
            *at = Instant::now();
        }
    }

    /// Starts counting the attempt's idle time from now (for a node with an idle timeout).
    pub(crate) fn watch_idle(&self) {
        *self
            .attempt
            .alive
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
    }

    /// Whether this attempt called [`Ctx::interrupt`] or [`Ctx::effect`]: its output then
    /// depends on more than its input, and is not cached.
    pub(crate) fn journaled(&self) -> bool {
        self.attempt.next_interrupt.load(Ordering::SeqCst) > 0
            || self.attempt.next_effect.load(Ordering::SeqCst) > 0
    }

    /// When this attempt last showed it is alive: its start, or its latest event or heartbeat
    /// (now, unless [`Ctx::watch_idle`] started the count).
    pub(crate) fn last_alive(&self) -> Instant {
        self.attempt
            .alive
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or_else(Instant::now)
    }

    /// Sends a custom event to the run's stream (a no-op when not streaming). Streamed or not,
    /// it restarts the attempt's idle timeout ([`Ctx::heartbeat`]).
    pub async fn emit(&self, value: impl Serialize) -> Result<(), NodeError> {
        self.heartbeat();
        if let Some(events) = &self.task.events {
            let value = serde_json::to_value(value)?;
            events
                .send(
                    self.task.step,
                    &self.task.node,
                    self.task.task_id,
                    NodeEvent::Custom(value),
                )
                .await;
        }
        Ok(())
    }

    /// Sends an LLM token chunk to the run's stream (a no-op when not streaming). Streamed or
    /// not, it restarts the attempt's idle timeout ([`Ctx::heartbeat`]).
    pub async fn emit_message(&self, chunk: MessageChunk) {
        self.heartbeat();
        if let Some(events) = &self.task.events {
            events
                .send(
                    self.task.step,
                    &self.task.node,
                    self.task.task_id,
                    NodeEvent::Message(chunk),
                )
                .await;
        }
    }

    fn journal(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, EffectRecord>> {
        self.task
            .journal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
