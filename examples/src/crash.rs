//! The crash-test graph: 50 supersteps with one parallel superstep and one journaled side
//! effect, instrumented so that a test can tell which tasks ran in which process.
//!
//! The `crash_loop` binary runs it on a SQLite file, and `tests/crash` kills that binary at
//! random moments. Two files outside the database record what happened:
//!
//! - the *runs* file gets a [`RunLine::Task`] line the moment a node body starts (synced
//!   before the node does anything else), and a [`RunLine::Effect`] line whenever the side
//!   effect's closure is called;
//! - the *effects* file stands in for an external system: the side effect appends one line
//!   holding its idempotency key.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use graph_core::{
    BuildError, CompiledGraph, Ctx, END, Endpoint, NodeError, Route, START, State, StateGraph,
};

/// Supersteps in a run, numbered from 0.
pub const SUPERSTEPS: u32 = 50;
/// The superstep whose three tasks run in parallel.
pub const FAN_STEP: i64 = 20;
/// The superstep that runs the side effect.
pub const EFFECT_STEP: i64 = 35;
/// The name of the journaled effect.
const EFFECT: &str = "notify";

/// How long the tasks of the parallel superstep work: staggered, so they save their outputs at
/// different moments and a kill often lands between two of them — the case where a resume must
/// reuse the saved outputs and re-run only the rest.
fn fan_latency(node: &str) -> Duration {
    match node {
        "fan_b" => Duration::from_millis(8),
        "fan_c" => Duration::from_millis(16),
        _ => Duration::ZERO,
    }
}

/// How long the stand-in external system takes to answer after it has written the effect, like
/// a network round trip. A kill in this window leaves an effect without a journal record.
const EFFECT_REPLY: Duration = Duration::from_millis(8);

/// How long the effect's task works after the effect returned. A kill in this window leaves a
/// journaled effect in an unfinished task, which a resume re-runs without repeating the effect.
const AFTER_EFFECT: Duration = Duration::from_millis(8);

/// The crash-test state: a log with one entry per task, `"<superstep> <node>"` (the effect's
/// task adds its result), in the order updates applied.
#[derive(State, Clone, Default, Debug, PartialEq, serde::Serialize)]
pub struct Crash {
    /// What ran, one entry per task.
    #[state(append)]
    pub log: Vec<String>,
}

/// The nodes that run in superstep `step`, in task order; empty once the run is over.
pub fn schedule(step: i64) -> &'static [&'static str] {
    match step {
        FAN_STEP => &["fan_a", "fan_b", "fan_c"],
        EFFECT_STEP => &["notify"],
        _ if (0..i64::from(SUPERSTEPS)).contains(&step) => &["work"],
        _ => &[],
    }
}

/// Every task of a run, in order.
pub fn all_tasks() -> Vec<TaskKey> {
    (0..i64::from(SUPERSTEPS))
        .flat_map(|step| {
            schedule(step)
                .iter()
                .map(move |node| TaskKey::new(step, node))
        })
        .collect()
}

/// One task of a run: its superstep and node (each node runs at most once per superstep here).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskKey {
    /// The superstep.
    pub step: i64,
    /// The node.
    pub node: String,
}

impl TaskKey {
    /// The task of `node` in superstep `step`.
    pub fn new(step: i64, node: &str) -> Self {
        Self {
            step,
            node: node.to_owned(),
        }
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.step, self.node)
    }
}

/// A line of the runs file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RunLine {
    /// The task's node body started.
    Task(TaskKey),
    /// The task called its effect's closure (the journal had no result for it).
    Effect(TaskKey),
}

impl fmt::Display for RunLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunLine::Task(task) => write!(f, "task {task}"),
            RunLine::Effect(task) => write!(f, "effect {task}"),
        }
    }
}

impl FromStr for RunLine {
    type Err = String;

    fn from_str(line: &str) -> Result<Self, String> {
        let bad = || format!("not a runs line: {line:?}");
        let mut words = line.split(' ');
        let (Some(kind), Some(step), Some(node), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(bad());
        };
        let task = TaskKey::new(step.parse().map_err(|_| bad())?, node);
        match kind {
            "task" => Ok(RunLine::Task(task)),
            "effect" => Ok(RunLine::Effect(task)),
            _ => Err(bad()),
        }
    }
}

/// The files the graph's nodes write besides the database.
#[derive(Debug, Clone)]
pub struct CrashFiles {
    /// Where [`RunLine`]s go.
    pub runs: PathBuf,
    /// The stand-in external system the side effect writes to.
    pub effects: PathBuf,
}

/// The crash-test graph, without a checkpointer. Each superstep's tasks route to the next
/// superstep's nodes per [`schedule`].
pub fn crash_graph(files: CrashFiles) -> Result<CompiledGraph<Crash>, BuildError> {
    let files = Arc::new(files);
    let mut graph = StateGraph::<Crash>::new();
    for node in ["work", "fan_a", "fan_b", "fan_c"] {
        let files = Arc::clone(&files);
        graph.add_node(node, move |_s: Arc<Crash>, ctx: Ctx| {
            plain_task(Arc::clone(&files), ctx)
        });
    }
    let notify_files = Arc::clone(&files);
    graph.add_node("notify", move |_s: Arc<Crash>, ctx: Ctx| {
        notify_task(Arc::clone(&notify_files), ctx)
    });
    let nodes = ["work", "fan_a", "fan_b", "fan_c", "notify"];
    let targets: Vec<Endpoint> = nodes.iter().map(|&n| n.into()).chain([END]).collect();
    graph.add_conditional_edge(START, targets.clone(), next_superstep);
    for node in nodes {
        graph.add_conditional_edge(node, targets.clone(), next_superstep);
    }
    graph.compile()
}

/// Routes to the nodes of the superstep after the one that wrote the last log entry. A
/// conditional edge sees the pre-step state plus its own node's update, so the last entry is
/// the routing task's own.
fn next_superstep(state: &Crash) -> Route {
    let last = state
        .log
        .last()
        .and_then(|entry| entry.split(' ').next())
        .map_or(-1, |step| {
            step.parse::<i64>()
                .expect("log entries start with their step")
        });
    match schedule(last + 1) {
        [] => END.into(),
        nodes => nodes
            .iter()
            .fold(Route::none(), |route, &node| route.and(node)),
    }
}

async fn plain_task(files: Arc<CrashFiles>, ctx: Ctx) -> Result<CrashUpdate, NodeError> {
    let task = TaskKey::new(ctx.step(), ctx.node().as_str());
    append_synced(&files.runs, RunLine::Task(task.clone()).to_string()).await?;
    tokio::time::sleep(fan_latency(&task.node)).await;
    Ok(CrashUpdate::default().log(vec![task.to_string()]))
}

async fn notify_task(files: Arc<CrashFiles>, ctx: Ctx) -> Result<CrashUpdate, NodeError> {
    let task = TaskKey::new(ctx.step(), ctx.node().as_str());
    append_synced(&files.runs, RunLine::Task(task.clone()).to_string()).await?;
    // The journal makes a re-run of this task return the saved key without calling the
    // closure, but a kill can land after the closure wrote the effect and before its result
    // was committed. That gap is what `ctx.effect` hands the closure an idempotency key for
    // (its documented contract): like an external API that deduplicates requests by key,
    // `send_once` does nothing when it has already seen the key.
    let key: String = ctx
        .effect(EFFECT, |key| {
            let files = Arc::clone(&files);
            let called = RunLine::Effect(task.clone()).to_string();
            async move {
                append_synced(&files.runs, called).await?;
                send_once(files.effects.clone(), key).await
            }
        })
        .await?;
    tokio::time::sleep(AFTER_EFFECT).await;
    Ok(CrashUpdate::default().log(vec![format!("{task} sent {key}")]))
}

/// The stand-in external system: appends `key` to the effects file unless a line already
/// holds it, and returns the key as its receipt.
async fn send_once(effects: PathBuf, key: String) -> Result<String, NodeError> {
    let receipt = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&effects)?;
        let mut seen = String::new();
        file.read_to_string(&mut seen)?;
        if !seen.lines().any(|line| line == key) {
            file.write_all(format!("{key}\n").as_bytes())?;
            file.sync_all()?;
        }
        Ok(key)
    })
    .await
    .map_err(NodeError::msg)??;
    tokio::time::sleep(EFFECT_REPLY).await;
    Ok(receipt)
}

/// Appends `line` to `path` in one write and syncs it, so a kill right after leaves the line
/// on disk (the write alone would survive a kill; the sync makes it survive power loss too).
async fn append_synced(path: &Path, line: String) -> Result<(), NodeError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)?;
        file.write_all(format!("{line}\n").as_bytes())?;
        file.sync_all()
    })
    .await
    .map_err(NodeError::msg)??;
    Ok(())
}
