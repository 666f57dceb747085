//! The benchmark workloads W1–W5, measured on Python LangGraph too (`benches/langgraph/`), and
//! W6 and W7 of our own, built on graph-core, shared by the `workloads` binary and the criterion
//! benches. docs/performance.md has the figures.
//!
//! - W1 hop: A → B → C → END, a fresh thread per invocation.
//! - W2 loop: router ⇄ worker for 50 supersteps per thread, threads one after another.
//! - W3 concurrency: 1000 threads × 10 supersteps, all in flight at once.
//! - W4 human in the loop: an interrupt in B of A → B → C, then resume; and the history of a
//!   thread with 500 checkpoints.
//! - W5 fan-out: 100 pushes to `worker` with an append reducer, then `merge`.
//! - W7 growing state: one node appends to a list every superstep and a conditional edge sends
//!   it back to itself, for 5,000 supersteps: the per-step cost must not grow with the list
//!   (juncture's "wide state" scenario showed routing copying the whole state).
//! - W6 subgraph: W1's A → B → C as a subgraph, the one node of its parent (START → sub → END),
//!   a fresh thread per invocation. LangGraph has no figure for it; W1 is the graph without the
//!   subgraph around it.

pub mod pg;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use checkpoint::{SqliteCheckpointer, Synchronous};
use graph_core::{
    Checkpointer, CompiledGraph, Ctx, END, InMemoryCheckpointer, NodeError, Push, START, State,
    StateGraph,
};

/// Which checkpointer a workload runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    /// No checkpointer: the engine alone.
    None,
    /// [`InMemoryCheckpointer`], durability `sync`.
    Memory,
    /// [`SqliteCheckpointer`] on a fresh file, `synchronous=FULL` (the default).
    Sqlite,
    /// [`SqliteCheckpointer`] on a fresh file, `synchronous=NORMAL`.
    SqliteNormal,
    /// [`checkpoint_pg::PgCheckpointer`] on a fresh schema of `$BENCH_DATABASE_URL`'s server
    /// (see [`pg`]), with the server's durability settings.
    Postgres,
}

impl Config {
    /// Every configuration, in report order.
    pub const ALL: [Config; 5] = [
        Config::None,
        Config::Memory,
        Config::Sqlite,
        Config::SqliteNormal,
        Config::Postgres,
    ];

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Config::None => "none",
            Config::Memory => "memory",
            Config::Sqlite => "sqlite",
            Config::SqliteNormal => "sqlite-normal",
            Config::Postgres => "postgres",
        }
    }

    /// A new checkpointer of this kind: a SQLite one on a fresh file from [`fresh_db`], a
    /// Postgres one on a fresh schema from [`pg::fresh_schema`].
    pub async fn checkpointer(self) -> Option<Arc<dyn Checkpointer>> {
        if self == Config::Postgres {
            let schema = pg::fresh_schema("w").await;
            return Some(Arc::new(pg::open(&schema).await));
        }
        self.checkpointer_at(&fresh_db())
    }

    /// A new checkpointer of this kind; a SQLite one on the file at `path`. `None` for
    /// [`Config::Postgres`] too, whose store is not a file: see [`Config::checkpointer`].
    pub fn checkpointer_at(self, path: &Path) -> Option<Arc<dyn Checkpointer>> {
        let sqlite = |synchronous| {
            let store = SqliteCheckpointer::options()
                .synchronous(synchronous)
                .open(path)
                .expect("open the bench database");
            Arc::new(store) as Arc<dyn Checkpointer>
        };
        match self {
            Config::None | Config::Postgres => None,
            Config::Memory => Some(Arc::new(InMemoryCheckpointer::new())),
            Config::Sqlite => Some(sqlite(Synchronous::Full)),
            Config::SqliteNormal => Some(sqlite(Synchronous::Normal)),
        }
    }

    /// Attaches a new checkpointer of this kind.
    pub async fn attach<S: State>(self, graph: CompiledGraph<S>) -> CompiledGraph<S> {
        match self.checkpointer().await {
            None => graph,
            Some(store) => graph.with_checkpointer(store),
        }
    }
}

/// The directory bench databases go in: `$BENCH_DB_DIR`, or `graph-bench-<pid>` in the system
/// temp dir. It must be on the disk being measured (a tmpfs would make fsync free).
pub fn db_dir() -> PathBuf {
    std::env::var_os("BENCH_DB_DIR").map_or_else(
        || std::env::temp_dir().join(format!("graph-bench-{}", std::process::id())),
        PathBuf::from,
    )
}

/// A path for a new database file in [`db_dir`].
pub fn fresh_db() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = db_dir();
    std::fs::create_dir_all(&dir).expect("create the bench database dir");
    dir.join(format!(
        "w-{}-{}.db",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// The state of every workload: a message log, a counter and a scratch value.
#[derive(State, Clone, Default, Debug)]
pub struct Bench {
    /// Appended by workers.
    #[state(append)]
    pub log: Vec<String>,
    /// Counted supersteps.
    #[state(add)]
    pub count: u64,
    /// Overwritten by hops.
    pub value: String,
}

/// W1: A → B → C → END; each node overwrites `value`.
pub fn w1() -> CompiledGraph<Bench> {
    let mut g = StateGraph::<Bench>::new();
    for name in ["a", "b", "c"] {
        g.add_node(name, move |_s: Arc<Bench>, _c: Ctx| async move {
            Ok(BenchUpdate::default().value(name))
        });
    }
    g.add_edge(START, "a")
        .add_edge("a", "b")
        .add_edge("b", "c")
        .add_edge("c", END);
    g.compile().expect("W1 compiles")
}

/// W2/W3/W4-history: router ⇄ worker until `count` reaches `supersteps` (router and worker
/// each take one superstep; the worker appends a short message). The router routes on the
/// count after its own step, so a thread runs `supersteps + 1` supersteps when `supersteps` is
/// even (51 for W2); reports count `supersteps` per thread, as LangGraph's script
/// (`benches/langgraph/`) does on the same graph, so the two stay comparable.
pub fn looping(supersteps: u64) -> CompiledGraph<Bench> {
    let mut g = StateGraph::<Bench>::new();
    g.add_node("router", |_s: Arc<Bench>, _c: Ctx| async {
        Ok(BenchUpdate::default().count(1u64))
    });
    g.add_node("worker", |s: Arc<Bench>, _c: Ctx| async move {
        Ok(BenchUpdate::default()
            .count(1u64)
            .log(vec![format!("message {}", s.count)]))
    });
    g.add_edge(START, "router").add_edge("worker", "router");
    g.add_conditional_edge("router", ["worker".into(), END], move |s: &Bench| {
        if s.count < supersteps {
            "worker".into()
        } else {
            END
        }
    });
    g.compile().expect("the loop compiles")
}

/// W4: A → B → C where B asks a human.
pub fn w4() -> CompiledGraph<Bench> {
    let mut g = StateGraph::<Bench>::new();
    g.add_node("a", |_s: Arc<Bench>, _c: Ctx| async {
        Ok(BenchUpdate::default().value("a"))
    });
    g.add_node("b", |_s: Arc<Bench>, ctx: Ctx| async move {
        let answer: String = ctx.interrupt("approve?")?;
        Ok(BenchUpdate::default().value(answer))
    });
    g.add_node("c", |_s: Arc<Bench>, _c: Ctx| async {
        Ok(BenchUpdate::default().value("c"))
    });
    g.add_edge(START, "a")
        .add_edge("a", "b")
        .add_edge("b", "c")
        .add_edge("c", END);
    g.compile().expect("W4 compiles")
}

/// W5: `plan` pushes `fanout` tasks to `worker` (each appends), then `merge`.
pub fn w5(fanout: usize) -> CompiledGraph<Bench> {
    let mut g = StateGraph::<Bench>::new();
    g.add_node("plan", |_s: Arc<Bench>, _c: Ctx| async { Ok(()) });
    g.add_push_node("worker", |i: usize, _c: Ctx| async move {
        Ok::<_, NodeError>(BenchUpdate::default().log(vec![format!("result {i}")]))
    });
    g.add_node("merge", |s: Arc<Bench>, _c: Ctx| async move {
        Ok(BenchUpdate::default().value(format!("{} results", s.log.len())))
    });
    g.add_edge(START, "plan");
    g.add_conditional_edge("plan", ["worker"], move |_s: &Bench| {
        (0..fanout)
            .map(|i| Push::new("worker", &i))
            .collect::<Vec<_>>()
    });
    g.add_edge("worker", "merge").add_edge("merge", END);
    g.compile().expect("W5 compiles")
}

/// W6: [`w1`] as the subgraph `sub` of a parent whose only node it is: START → sub → END. It
/// inherits the parent's checkpointer, so a run stores the parent's input and one superstep,
/// and in `sub`'s namespace the subgraph's input and three supersteps.
pub fn w6() -> CompiledGraph<Bench> {
    let mut g = StateGraph::<Bench>::new();
    g.add_subgraph("sub", w1());
    g.add_edge(START, "sub").add_edge("sub", END);
    g.compile().expect("W6 compiles")
}

/// W7: `grow` appends one message and counts, and a conditional edge sends it back to itself
/// until `count` reaches `supersteps`; `clock` is called at the start of every superstep's
/// node, so a caller can time each step.
pub fn w7(supersteps: u64, clock: impl Fn() + Send + Sync + 'static) -> CompiledGraph<Bench> {
    let clock = Arc::new(clock);
    let mut g = StateGraph::<Bench>::new();
    g.add_node("grow", move |s: Arc<Bench>, _c: Ctx| {
        clock();
        async move {
            Ok(BenchUpdate::default()
                .count(1u64)
                .log(vec![format!("message {}", s.count)]))
        }
    });
    g.add_edge(START, "grow");
    g.add_conditional_edge("grow", ["grow".into(), END], move |s: &Bench| {
        if s.count < supersteps {
            "grow".into()
        } else {
            END
        }
    });
    g.compile().expect("W7 compiles")
}
