//! The crash-test graph: 50 supersteps with one parallel superstep, one journaled side effect
//! and one subgraph (which has a parallel superstep and a journaled side effect of its own),
//! instrumented so that a test can tell which tasks ran in which process.
//!
//! The `crash_loop` binary runs it on a SQLite file, and `tests/crash` kills that binary at
//! random moments. Two files outside the database record what happened:
//!
//! - the *runs* file gets a [`RunLine::Task`] line the moment a node body starts (synced
//!   before the node does anything else), and a [`RunLine::Effect`] line whenever a side
//!   effect's closure is called;
//! - the *effects* file stands in for an external system: each side effect appends one line
//!   holding its idempotency key.
//!
//! The subgraph is one task of the root graph (its superstep [`SUBGRAPH_STEP`]), and its nodes
//! are the root's `work`, `fan_*` and `notify` again, in the subgraph's own supersteps
//! ([`subgraph_schedule`]); a [`TaskKey`] tells them apart from the root's by the subgraph's
//! superstep it carries.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use graph_core::{
    BuildError, CompiledGraph, Ctx, END, Endpoint, NodeError, Route, START, State, StateGraph,
};

/// The root graph's node that runs the subgraph.
pub const SUBGRAPH: &str = "sub";

/// Supersteps in a run, numbered from 0.
pub const SUPERSTEPS: u32 = 50;
/// The superstep whose three tasks run in parallel.
pub const FAN_STEP: i64 = 20;
/// The superstep that runs the root graph's side effect.
pub const EFFECT_STEP: i64 = 35;
/// The superstep whose one task runs the subgraph.
pub const SUBGRAPH_STEP: i64 = 42;
/// The subgraph's superstep whose two tasks run in parallel.
pub const SUBGRAPH_FAN_STEP: i64 = 1;
/// The subgraph's superstep that runs its side effect.
pub const SUBGRAPH_EFFECT_STEP: i64 = 2;
/// The subgraph's supersteps, numbered from 0.
const SUBGRAPH_SUPERSTEPS: i64 = 4;
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

/// The crash-test state: a log with one entry per task, its [`TaskKey`] (the effect's task adds
/// its result), in the order updates applied; the subgraph's task adds its tasks' entries.
#[derive(State, Clone, Default, Debug, PartialEq, serde::Serialize)]
pub struct Crash {
    /// What ran, one entry per task.
    #[state(append)]
    pub log: Vec<String>,
}

/// The nodes that run in the root graph's superstep `step`, in task order; empty once the run
/// is over.
pub fn schedule(step: i64) -> &'static [&'static str] {
    match step {
        FAN_STEP => &["fan_a", "fan_b", "fan_c"],
        EFFECT_STEP => &["notify"],
        SUBGRAPH_STEP => &[SUBGRAPH],
        _ if (0..i64::from(SUPERSTEPS)).contains(&step) => &["work"],
        _ => &[],
    }
}

/// The nodes that run in the subgraph's superstep `step`, in task order; empty once the
/// subgraph is over.
pub fn subgraph_schedule(step: i64) -> &'static [&'static str] {
    match step {
        SUBGRAPH_FAN_STEP => &["fan_a", "fan_b"],
        SUBGRAPH_EFFECT_STEP => &["notify"],
        _ if (0..SUBGRAPH_SUPERSTEPS).contains(&step) => &["work"],
        _ => &[],
    }
}

/// Every task of the subgraph, in order.
pub fn subgraph_tasks() -> Vec<TaskKey> {
    (0..SUBGRAPH_SUPERSTEPS)
        .flat_map(|step| {
            subgraph_schedule(step)
                .iter()
                .map(move |node| TaskKey::in_subgraph(step, node))
        })
        .collect()
}

/// Every task of a run whose node body is the test's, in order: the subgraph's task is its
/// tasks.
pub fn all_tasks() -> Vec<TaskKey> {
    (0..i64::from(SUPERSTEPS))
        .flat_map(|step| match step {
            SUBGRAPH_STEP => subgraph_tasks(),
            _ => schedule(step)
                .iter()
                .map(|node| TaskKey::new(step, node))
                .collect(),
        })
        .collect()
}

/// The tasks whose node journals a side effect, in the order they run.
pub fn effect_tasks() -> [TaskKey; 2] {
    [
        TaskKey::new(EFFECT_STEP, "notify"),
        TaskKey::in_subgraph(SUBGRAPH_EFFECT_STEP, "notify"),
    ]
}

/// One task of a run: its superstep and node (each node runs at most once per superstep here),
/// and for a task inside the subgraph, the subgraph's superstep. Written `"<step> <node>"`, or
/// `"<step>/<subgraph step> <node>"` inside the subgraph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskKey {
    /// The root graph's superstep ([`SUBGRAPH_STEP`] for a task inside the subgraph).
    pub step: i64,
    /// The subgraph's superstep, for a task inside the subgraph.
    pub subgraph_step: Option<i64>,
    /// The node.
    pub node: String,
}

impl TaskKey {
    /// The task of `node` in the root graph's superstep `step`.
    pub fn new(step: i64, node: &str) -> Self {
        Self {
            step,
            subgraph_step: None,
            node: node.to_owned(),
        }
    }

    /// The task of `node` in the subgraph's superstep `step`.
    pub fn in_subgraph(step: i64, node: &str) -> Self {
        Self {
            step: SUBGRAPH_STEP,
            subgraph_step: Some(step),
            node: node.to_owned(),
        }
    }

    /// The task running now: in the subgraph when the node's namespace is not the root's.
    fn of(ctx: &Ctx) -> Self {
        if ctx.namespace().is_root() {
            Self::new(ctx.step(), ctx.node().as_str())
        } else {
            Self::in_subgraph(ctx.step(), ctx.node().as_str())
        }
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.subgraph_step {
            None => write!(f, "{} {}", self.step, self.node),
            Some(inner) => write!(f, "{}/{inner} {}", self.step, self.node),
        }
    }
}

impl FromStr for TaskKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("not a task: {text:?}");
        let (steps, node) = text.split_once(' ').ok_or_else(bad)?;
        if node.is_empty() || node.contains(' ') {
            return Err(bad());
        }
        let parse = |step: &str| step.parse::<i64>().map_err(|_| bad());
        match steps.split_once('/') {
            None => Ok(Self::new(parse(steps)?, node)),
            Some((outer, inner)) if parse(outer)? == SUBGRAPH_STEP => {
                Ok(Self::in_subgraph(parse(inner)?, node))
            }
            Some(_) => Err(bad()),
        }
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
        let (kind, task) = line.split_once(' ').ok_or_else(bad)?;
        let task = task.parse().map_err(|_| bad())?;
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
    /// The stand-in external system the side effects write to.
    pub effects: PathBuf,
}

/// The crash-test graph, without a checkpointer. Each superstep's tasks route to the next
/// superstep's nodes per [`schedule`], and the subgraph's per [`subgraph_schedule`].
pub fn crash_graph(files: CrashFiles) -> Result<CompiledGraph<Crash>, BuildError> {
    let files = Arc::new(files);
    let mut child = StateGraph::<Crash>::new();
    add_nodes(
        &mut child,
        &files,
        &["work", "fan_a", "fan_b", "notify"],
        next_subgraph_superstep,
    );
    let mut graph = StateGraph::<Crash>::new();
    graph.add_subgraph(SUBGRAPH, child.compile()?);
    add_nodes(
        &mut graph,
        &files,
        &["work", "fan_a", "fan_b", "fan_c", "notify", SUBGRAPH],
        next_superstep,
    );
    graph.compile()
}

/// Adds the test's nodes among `nodes` (a subgraph's node is added apart), and a conditional
/// edge by `route` from `START` and from each of `nodes` to any of them or `END`.
fn add_nodes(
    graph: &mut StateGraph<Crash>,
    files: &Arc<CrashFiles>,
    nodes: &[&'static str],
    route: fn(&Crash) -> Route,
) {
    for &node in nodes {
        let files = Arc::clone(files);
        match node {
            "notify" => graph.add_node(node, move |_s: Arc<Crash>, ctx: Ctx| {
                notify_task(Arc::clone(&files), ctx)
            }),
            SUBGRAPH => continue,
            _ => graph.add_node(node, move |_s: Arc<Crash>, ctx: Ctx| {
                plain_task(Arc::clone(&files), ctx)
            }),
        };
    }
    let targets: Vec<Endpoint> = nodes.iter().map(|&n| n.into()).chain([END]).collect();
    graph.add_conditional_edge(START, targets.clone(), route);
    for &node in nodes {
        graph.add_conditional_edge(node, targets.clone(), route);
    }
}

/// The task that wrote the last log entry. A conditional edge sees the pre-step state plus its
/// own node's update, so the last entry is the routing task's own (or, after the subgraph's
/// task, the subgraph's last task's).
fn last_task(state: &Crash) -> Option<TaskKey> {
    let entry = state.log.last()?;
    // The effect's task adds its result after its key.
    let key: String = entry.split(' ').take(2).collect::<Vec<_>>().join(" ");
    Some(key.parse().expect("log entries start with their task"))
}

/// Routes to the nodes of the root graph's superstep after the last task's.
fn next_superstep(state: &Crash) -> Route {
    let last = last_task(state).map_or(-1, |task| task.step);
    to_nodes(schedule(last + 1))
}

/// Routes to the nodes of the subgraph's superstep after the last task's; the subgraph starts
/// from its parent's state, whose last task is the root graph's.
fn next_subgraph_superstep(state: &Crash) -> Route {
    let last = last_task(state)
        .and_then(|task| task.subgraph_step)
        .unwrap_or(-1);
    to_nodes(subgraph_schedule(last + 1))
}

fn to_nodes(nodes: &[&str]) -> Route {
    match nodes {
        [] => END.into(),
        nodes => nodes
            .iter()
            .fold(Route::none(), |route, &node| route.and(node)),
    }
}

async fn plain_task(files: Arc<CrashFiles>, ctx: Ctx) -> Result<CrashUpdate, NodeError> {
    let task = TaskKey::of(&ctx);
    append_synced(&files.runs, RunLine::Task(task.clone()).to_string()).await?;
    tokio::time::sleep(fan_latency(&task.node)).await;
    Ok(CrashUpdate::default().log(vec![task.to_string()]))
}

async fn notify_task(files: Arc<CrashFiles>, ctx: Ctx) -> Result<CrashUpdate, NodeError> {
    let task = TaskKey::of(&ctx);
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
