//! Runs the crash-test graph (`examples::crash`) on a SQLite file (`--db`) or a PostgreSQL
//! database (`--pg`, a `postgres://` URL or `key=value` conninfo; set the `search_path` with
//! `options='-c search_path=<schema>'`) to its end and prints the
//! final state as JSON: it starts the thread if it has no checkpoint and otherwise resumes it
//! where a killed predecessor left it. `tests/crash` kills it at random moments and restarts it.
//!
//! Run with:
//!
//! ```text
//! cargo run -p examples --bin crash_loop -- (--db c.db | --pg <conninfo>) --effects e.txt \
//!     --runs r.txt [--thread t] [--durability sync|async]
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use checkpoint::SqliteCheckpointer;
use checkpoint_pg::PgCheckpointer;
use examples::crash::{CrashFiles, CrashUpdate, SUPERSTEPS, crash_graph};
use graph_core::{Checkpointer, Durability, Resume, RunConfig, RunStatus, ThreadStatus};

/// Checkpoint timestamps: fixed, so that two runs of the thread store the same checkpoints.
const CLOCK_MS: u64 = 1_700_000_000_000;

const USAGE: &str = "usage: crash_loop (--db <path> | --pg <postgres URL or conninfo>) \
     --effects <path> --runs <path> [--thread <name>] [--durability sync|async]";

/// Where the checkpoints go.
enum Db {
    Sqlite(PathBuf),
    Postgres(Box<tokio_postgres::Config>),
}

struct Args {
    db: Db,
    files: CrashFiles,
    thread: String,
    durability: Durability,
}

fn parse_args() -> Result<Args, String> {
    let (mut db, mut pg, mut effects, mut runs, mut thread) = (None, None, None, None, None);
    let mut durability = Durability::Sync;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))?;
        match flag.as_str() {
            "--db" => db = Some(PathBuf::from(value)),
            "--pg" => {
                pg = Some(
                    value
                        .parse::<tokio_postgres::Config>()
                        .map_err(|e| format!("--pg: not a postgres URL or conninfo: {e}"))?,
                )
            }
            "--effects" => effects = Some(PathBuf::from(value)),
            "--runs" => runs = Some(PathBuf::from(value)),
            "--thread" => thread = Some(value),
            "--durability" => {
                durability = match value.as_str() {
                    "sync" => Durability::Sync,
                    "async" => Durability::Async,
                    other => return Err(format!("--durability {other}: not sync or async")),
                }
            }
            _ => return Err(format!("unknown argument {flag}; {USAGE}")),
        }
    }
    let db = match (db, pg) {
        (Some(path), None) => Some(Db::Sqlite(path)),
        (None, Some(config)) => Some(Db::Postgres(Box::new(config))),
        (Some(_), Some(_)) => return Err(format!("--db and --pg exclude each other; {USAGE}")),
        (None, None) => None,
    };
    match (db, effects, runs) {
        (Some(db), Some(effects), Some(runs)) => Ok(Args {
            db,
            files: CrashFiles { runs, effects },
            thread: thread.unwrap_or_else(|| "crash".to_owned()),
            durability,
        }),
        _ => Err(USAGE.to_owned()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let store: Arc<dyn Checkpointer> = match args.db {
        Db::Sqlite(path) => Arc::new(SqliteCheckpointer::open(&path)?),
        Db::Postgres(config) => Arc::new(PgCheckpointer::connect(*config).await?),
    };
    let graph = crash_graph(args.files)?
        .with_checkpointer(store)
        .with_clock(|| CLOCK_MS);
    // A routing mistake would loop; the limit turns that into an error.
    let config = RunConfig::thread(args.thread)
        .max_supersteps(SUPERSTEPS)
        .durability(args.durability);

    let snapshot = graph.get_state(&config).await?;
    let state = match (&snapshot.checkpoint, snapshot.status) {
        (None, _) => {
            let out = graph.invoke(CrashUpdate::default(), &config).await?;
            finished(out.status)?;
            out.state
        }
        (Some(_), ThreadStatus::Pending) => {
            let out = graph.resume(&config, Resume::Continue).await?;
            finished(out.status)?;
            out.state
        }
        // A predecessor finished the run but was killed before it exited.
        (Some(_), ThreadStatus::Idle) => snapshot.values,
        (Some(head), status) => {
            return Err(format!(
                "the thread is {status:?} at checkpoint {} (superstep {}); a kill cannot cause that",
                head.id, head.step
            )
            .into());
        }
    };
    println!("{}", serde_json::to_string(&state)?);
    Ok(())
}

fn finished(status: RunStatus) -> Result<(), String> {
    match status {
        RunStatus::Done => Ok(()),
        other => Err(format!("the run stopped before its end: {other:?}")),
    }
}
