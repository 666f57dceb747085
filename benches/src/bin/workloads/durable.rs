//! W1 (A → B → C, a fresh thread per invocation) one at a time and 64 in flight, where group
//! commit shares fsyncs, with `Durability::Sync` and `Async`. What durability costs: the
//! commits (fsyncs at `synchronous=FULL`) a W1 invocation costs with each durability, and the
//! raw rate of single-row commits on the same disk, the ceiling a `Sync` run can approach.

use std::time::Instant;

use benches::{BenchUpdate, Config, fresh_db, w1};
use checkpoint::SqliteCheckpointer;
use graph_core::{Durability, RunConfig};

use crate::measure::{Report, Samples, TARGET, measure, report};

/// W1 with `durability`, one invocation at a time (`in_flight` 1) or `in_flight` at once.
pub(crate) async fn run_w1_with(config: Config, durability: Durability, in_flight: u64) -> Report {
    let sqlite = sqlite_of(config);
    let graph = match &sqlite {
        Some(store) => w1().with_checkpointer(std::sync::Arc::clone(store) as _),
        None => config.attach(w1()),
    };
    let commits_before = sqlite.as_ref().map(|store| store.commits());
    let invocations = std::sync::atomic::AtomicU64::new(0);
    let s = measure(|i| {
        let graph = graph.clone();
        let invocations = &invocations;
        async move {
            let t = Instant::now();
            if in_flight == 1 {
                // Inline, as a caller awaiting one invocation does: a spawned task would add
                // its wake-up (tens of µs) to a run of a few µs.
                let cfg = RunConfig::thread(format!("w1-{i}")).durability(durability);
                graph
                    .invoke(BenchUpdate::default(), &cfg)
                    .await
                    .expect("W1 runs");
                invocations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return t.elapsed();
            }
            let handles: Vec<_> = (0..in_flight)
                .map(|k| {
                    let graph = graph.clone();
                    tokio::spawn(async move {
                        let cfg = RunConfig::thread(format!("w1-{i}-{k}")).durability(durability);
                        graph
                            .invoke(BenchUpdate::default(), &cfg)
                            .await
                            .expect("W1 runs");
                    })
                })
                .collect();
            for h in handles {
                h.await.expect("W1 task");
            }
            invocations.fetch_add(in_flight, std::sync::atomic::Ordering::Relaxed);
            t.elapsed()
        }
    })
    .await;
    let name = match (durability, in_flight) {
        (Durability::Async, 1) => "W1-async",
        (Durability::Async, _) => "W1-async-concurrent",
        (_, 1) => "W1",
        _ => "W1-concurrent",
    };
    let mut r = report(name, config, "invocations/s", &s, 3.0);
    r.throughput *= in_flight as f64;
    r.per_step_us = 1e6 / r.throughput / 3.0;
    let mut note = format!("durability {durability:?}, {in_flight} invocation(s) in flight");
    if let (Some(store), Some(before)) = (&sqlite, commits_before) {
        let runs = invocations.load(std::sync::atomic::Ordering::Relaxed) as f64;
        let per_run = (store.commits() - before) as f64 / runs;
        note.push_str(&format!("; {per_run:.2} commits per invocation"));
    }
    r.note = Some(note);
    r
}

/// The rate of single-row INSERT transactions on a fresh file with the checkpointer's settings
/// (WAL, `synchronous` of `config`): one fsync each at FULL.
pub(crate) fn raw_commits(config: Config) -> Option<Report> {
    let synchronous = match config {
        Config::Sqlite => "FULL",
        Config::SqliteNormal => "NORMAL",
        Config::None | Config::Memory => return None,
    };
    let conn = rusqlite::Connection::open(fresh_db()).expect("open a raw database");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("WAL");
    conn.pragma_update(None, "synchronous", synchronous)
        .expect("synchronous");
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
        .expect("create the table");
    let mut per_second = Vec::new();
    let mut latencies = Vec::new();
    let mut id = 0i64;
    for _ in 0..crate::measure::REPS {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < TARGET {
            let t = Instant::now();
            conn.execute("INSERT INTO t VALUES (?1, x'00')", [id])
                .expect("insert");
            latencies.push(t.elapsed());
            id += 1;
            n += 1;
        }
        per_second.push(n as f64 / start.elapsed().as_secs_f64());
    }
    let s = Samples {
        latencies,
        per_second,
    };
    let mut r = report("disk", config, "commits/s", &s, 1.0);
    r.note = Some("raw single-row autocommit INSERTs, WAL, same disk: the fsync ceiling".into());
    Some(r)
}

fn sqlite_of(config: Config) -> Option<std::sync::Arc<SqliteCheckpointer>> {
    let synchronous = match config {
        Config::Sqlite => checkpoint::Synchronous::Full,
        Config::SqliteNormal => checkpoint::Synchronous::Normal,
        Config::None | Config::Memory => return None,
    };
    let store = SqliteCheckpointer::options()
        .synchronous(synchronous)
        .open(fresh_db())
        .expect("open the bench database");
    Some(std::sync::Arc::new(store))
}
