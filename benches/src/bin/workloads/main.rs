//! Runs the W1–W7 workloads and prints one JSON object per workload and configuration.
//!
//! Run with: `cargo run --release -p benches --bin workloads -- [--json] [--only W1[,W2…]]
//! [--config sqlite]`
//!
//! Configurations: `none`, `memory`, `sqlite` (`synchronous=FULL`), `sqlite-normal` and
//! `postgres`. SQLite files go in `$BENCH_DB_DIR` (default: the system temp dir), which must be
//! on the disk being measured.
//!
//! `postgres` runs on `$BENCH_DATABASE_URL` (a `postgres://` URL or a `key=value` conninfo) if
//! set. Otherwise this process starts a throwaway cluster once (`initdb` + `pg_ctl`, as the
//! `postgres` user when run as root; about 1–2 s), with the server's default durability
//! (`fsync=on`, `synchronous_commit=on`, `full_page_writes=on`), its data directory in
//! `$BENCH_DB_DIR` and a unix socket as its only listener, hands it to each child process in
//! `$BENCH_DATABASE_URL`, and removes it when it exits. Every checkpointer works in a fresh
//! schema, dropped when its child process ends. The reports' notes name the server's version
//! and its durability settings as read back from it. Without a URL and without PostgreSQL's
//! server binaries, a run of every configuration skips `postgres` after a notice.
//!
//! Method (as for the LangGraph baseline): each measurement is calibrated to about 0.8 s per
//! repetition (W6: 1,000 invocations per repetition); throughput is the median of 5
//! repetitions; p50/p99 are over every timed call.
//! Each workload/configuration runs in a child process of its own, so `peak_rss_kb` (the
//! process's VmHWM) belongs to that workload alone.

mod durable;
mod growth;
mod measure;

use std::time::Instant;

use std::sync::Arc;

use benches::{BenchUpdate, Config, db_dir, fresh_db, looping, pg, w4, w5, w6};
use graph_core::{
    CompiledGraph, Durability, HistoryQuery, Namespace, NodeId, Resume, RunConfig, RunStatus,
    TaskId, TaskPath, ThreadId,
};

use measure::{REPS, Report, Samples, machine, measure, measure_calls, peak_rss_kb, report};

/// Bytes on disk per superstep of `threads` loop threads of `supersteps` each, on a fresh file,
/// measured after the store is closed (so the WAL is folded into the file).
async fn bytes_per_step(config: Config, threads: u64, supersteps: u64) -> Option<f64> {
    let path = fresh_db();
    let store = config.checkpointer_at(&path)?;
    let empty = std::fs::metadata(&path).ok()?.len();
    let graph = looping(supersteps).with_checkpointer(store);
    for k in 0..threads {
        let cfg = RunConfig::thread(format!("bytes-{k}")).max_supersteps(supersteps as u32 + 1);
        graph
            .invoke(BenchUpdate::default(), &cfg)
            .await
            .expect("the loop runs");
    }
    drop(graph);
    let size = std::fs::metadata(&path).ok()?.len();
    Some((size - empty) as f64 / (threads * supersteps) as f64)
}

/// Bytes per superstep on Postgres, over `threads` loop threads of `supersteps` each on a fresh
/// schema: the growth of its tables' `pg_total_relation_size` after a `VACUUM`, before it, and
/// the WAL written.
async fn pg_bytes_per_step(threads: u64, supersteps: u64) -> (f64, f64, f64) {
    let client = pg::client().await;
    let schema = pg::fresh_schema("bytes").await;
    let store = pg::open(&schema).await;
    let empty = pg::relation_bytes(&client, &schema.name).await;
    let wal = pg::stats(&client).await.wal_bytes;
    let graph = looping(supersteps).with_checkpointer(Arc::new(store));
    for k in 0..threads {
        let cfg = RunConfig::thread(format!("bytes-{k}")).max_supersteps(supersteps as u32 + 1);
        graph
            .invoke(BenchUpdate::default(), &cfg)
            .await
            .expect("the loop runs");
    }
    drop(graph);
    pg::wait_closed(&client, &schema.name).await;
    let wal = pg::stats(&client).await.wal_bytes - wal;
    let before = pg::relation_bytes(&client, &schema.name).await - empty;
    pg::vacuum(&client, &schema.name).await;
    let after = pg::relation_bytes(&client, &schema.name).await - empty;
    let steps = (threads * supersteps) as f64;
    (after as f64 / steps, before as f64 / steps, wal / steps)
}

async fn run_w2(config: Config) -> Report {
    // 50 supersteps per thread; 100 threads one after another make one timed call.
    let graph = config.attach(looping(50)).await;
    let mut thread = 0u64;
    let s = measure(|_| {
        let graph = graph.clone();
        thread += 1;
        let base = thread;
        async move {
            let t = Instant::now();
            for k in 0..100 {
                let cfg = RunConfig::thread(format!("w2-{base}-{k}"));
                let out = graph
                    .invoke(BenchUpdate::default(), &cfg)
                    .await
                    .expect("W2 runs");
                debug_assert_eq!(out.state.count, 51); // see `looping`
            }
            t.elapsed()
        }
    })
    .await;
    let mut r = report("W2", config, "steps/s", &s, 1.0);
    r.throughput *= 5000.0;
    r.per_step_us = 1e6 / r.throughput;
    r.p50_us /= 5000.0;
    r.p99_us /= 5000.0;
    r.note = Some("p50/p99 are per superstep, averaged over 100 threads × 50 supersteps".into());
    if matches!(config, Config::Sqlite | Config::SqliteNormal) {
        r.bytes_per_step = bytes_per_step(config, 100, 50).await;
        let long = bytes_per_step(config, 2, 2000).await.unwrap_or(0.0);
        r.note = Some(format!(
            "{}; bytes_per_step on disk over 100 threads × 50 supersteps (2 threads × 2000 \
             supersteps: {long:.0} B/step)",
            r.note.take().unwrap_or_default()
        ));
    }
    if config == Config::Postgres {
        let (after, before, wal) = pg_bytes_per_step(100, 50).await;
        let (long, _, long_wal) = pg_bytes_per_step(2, 2000).await;
        r.bytes_per_step = Some(after);
        r.note = Some(format!(
            "{}; bytes_per_step: growth of the fresh schema's tables (Σ pg_total_relation_size: \
             heap, indexes, TOAST, free space and visibility maps) over 100 threads × 50 \
             supersteps, after a VACUUM of them (no CHECKPOINT needed: relation files grow as \
             they are extended); before the VACUUM {before:.0} B/step; WAL written {wal:.0} \
             B/step; 2 threads × 2000 supersteps: {long:.0} B/step, WAL {long_wal:.0} B/step",
            r.note.take().unwrap_or_default()
        ));
    }
    r
}

async fn run_w3(config: Config) -> Report {
    let graph = config.attach(looping(10)).await;
    let mut walls = Vec::new();
    let mut latencies = Vec::new();
    for rep in 0..REPS {
        let start = Instant::now();
        let handles: Vec<_> = (0..1000)
            .map(|k| {
                let graph = graph.clone();
                tokio::spawn(async move {
                    let cfg = RunConfig::thread(format!("w3-{rep}-{k}"));
                    graph
                        .invoke(BenchUpdate::default(), &cfg)
                        .await
                        .expect("W3 runs");
                    start.elapsed()
                })
            })
            .collect();
        for h in handles {
            latencies.push(h.await.expect("W3 task"));
        }
        walls.push(start.elapsed());
    }
    walls.sort();
    let wall = walls[REPS / 2];
    let s = Samples {
        latencies,
        per_second: vec![10_000.0 / wall.as_secs_f64()],
    };
    let mut r = report("W3", config, "steps/s", &s, 1.0);
    r.per_step_us = wall.as_secs_f64() * 1e6 / 10_000.0;
    r.note = Some(format!(
        "1000 threads × 10 supersteps all in flight; median wall {:.1} ms; p50/p99 are thread completion times",
        wall.as_secs_f64() * 1e3
    ));
    r
}

async fn run_w4(config: Config) -> Vec<Report> {
    let graph = config.attach(w4()).await;
    if config == Config::None {
        return Vec::new(); // resume and history need a checkpointer
    }
    let s = measure(|i| {
        let graph = graph.clone();
        async move {
            let cfg = RunConfig::thread(format!("w4-{i}"));
            let out = graph
                .invoke(BenchUpdate::default(), &cfg)
                .await
                .expect("W4 runs");
            assert!(matches!(out.status, RunStatus::Interrupted(_)));
            let t = Instant::now();
            let out = graph
                .resume(&cfg, Resume::value("yes"))
                .await
                .expect("W4 resumes");
            let elapsed = t.elapsed();
            debug_assert_eq!(out.state.value, "c");
            elapsed
        }
    })
    .await;
    let mut resume = report("W4-resume", config, "resumes/s", &s, 1.0);
    resume.note = Some("resume from the interrupt in B to END (runs B and C)".into());

    // A thread with 500 checkpoints: the input checkpoint plus 499 supersteps.
    let history_graph = config.attach(looping(499)).await;
    let cfg = RunConfig::thread("w4-history");
    history_graph
        .invoke(BenchUpdate::default(), &cfg)
        .await
        .expect("history thread runs");
    let all = history_graph
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .expect("history");
    assert_eq!(all.len(), 500, "the history thread has 500 checkpoints");
    let s = measure(|_| {
        let g = history_graph.clone();
        let cfg = cfg.clone();
        async move {
            let t = Instant::now();
            g.get_state(&cfg).await.expect("get_state");
            t.elapsed()
        }
    })
    .await;
    let mut get_state = report("W4-get_state", config, "calls/s", &s, 1.0);
    get_state.note = Some("latest state of a 500-checkpoint thread".into());
    let s = measure(|_| {
        let g = history_graph.clone();
        let cfg = cfg.clone();
        async move {
            let t = Instant::now();
            let h = g
                .get_state_history(&cfg, &HistoryQuery::default())
                .await
                .expect("history");
            debug_assert_eq!(h.len(), 500);
            t.elapsed()
        }
    })
    .await;
    let mut history = report("W4-history", config, "calls/s", &s, 1.0);
    history.note = Some("full history (500 checkpoints, metadata only)".into());
    vec![resume, get_state, history]
}

async fn run_w5(config: Config) -> Report {
    let graph = config.attach(w5(100)).await;
    let s = measure(|i| {
        let graph = graph.clone();
        async move {
            let cfg = RunConfig::thread(format!("w5-{i}"));
            let t = Instant::now();
            let out = graph
                .invoke(BenchUpdate::default(), &cfg)
                .await
                .expect("W5 runs");
            debug_assert_eq!(out.state.log.len(), 100);
            t.elapsed()
        }
    })
    .await;
    let mut r = report("W5", config, "runs/s", &s, 3.0);
    r.note = Some("per_step_us is per superstep (plan, 100 workers, merge)".into());
    r
}

async fn run_w6(config: Config) -> Report {
    const INVOCATIONS: u64 = 1000;
    let graph = config.attach(w6()).await;
    let s = measure_calls(INVOCATIONS, |i| {
        let graph = graph.clone();
        async move {
            let cfg = RunConfig::thread(format!("w6-{i}"));
            let t = Instant::now();
            let out = graph
                .invoke(BenchUpdate::default(), &cfg)
                .await
                .expect("W6 runs");
            debug_assert_eq!(out.state.value, "c");
            t.elapsed()
        }
    })
    .await;
    let mut r = report("W6", config, "runs/s", &s, 3.0);
    let stored = match stored_per_run(&graph, "w6-0").await {
        Some((parent, child)) => format!("; a run stores {parent} + {child} checkpoints"),
        None => String::new(),
    };
    r.note = Some(format!(
        "START → sub → END with W1's A → B → C as the subgraph; {INVOCATIONS} invocations per \
         repetition; per_step_us is per node-step of the subgraph (3 per run){stored}"
    ));
    r
}

/// How many checkpoints a W6 run stored on `thread`: the parent's, and its subgraph's in the
/// namespace of the task planned from the parent's input checkpoint.
async fn stored_per_run(
    graph: &CompiledGraph<benches::Bench>,
    thread: &str,
) -> Option<(usize, usize)> {
    let store = graph.checkpointer()?;
    let thread = ThreadId::from(thread);
    let query = HistoryQuery::default();
    let parent = store.list(&thread, &Namespace::root(), &query).await.ok()?;
    let input = parent.last()?.id;
    let sub = NodeId::from("sub");
    let task = TaskId::derive(input, &TaskPath::Pull(sub.clone()));
    let ns = Namespace::root().child(&sub, task);
    let child = store.list(&thread, &ns, &query).await.ok()?;
    Some((parent.len(), child.len()))
}

async fn run_one(workload: &str, config: Config) -> Vec<Report> {
    match workload {
        "W1" => {
            let mut reports = Vec::new();
            let durabilities: &[Durability] = match config {
                Config::None => &[Durability::Sync],
                _ => &[Durability::Sync, Durability::Async],
            };
            for &durability in durabilities {
                for in_flight in [1, 64] {
                    reports.push(durable::run_w1_with(config, durability, in_flight).await);
                }
            }
            reports.extend(durable::raw_commits(config).await);
            reports
        }
        "W2" => vec![run_w2(config).await],
        "W3" => vec![run_w3(config).await],
        "W4" => run_w4(config).await,
        "W5" => vec![run_w5(config).await],
        "W6" => vec![run_w6(config).await],
        "W7" => {
            let mut reports = vec![growth::run_w7(config, false).await];
            if config == Config::None {
                reports.push(growth::run_w7(config, true).await);
            }
            reports
        }
        other => panic!("unknown workload {other}; expected W1..W7"),
    }
}

const WORKLOADS: [&str; 7] = ["W1", "W2", "W3", "W4", "W5", "W6", "W7"];
const CONFIGS: [Config; 5] = Config::ALL;

fn parse_config(name: &str) -> Config {
    CONFIGS
        .into_iter()
        .find(|c| c.name() == name)
        .unwrap_or_else(|| panic!("unknown config {name}"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let json = args.iter().any(|a| a == "--json");
    if args.iter().any(|a| a == "--child") {
        let workload = flag("--only").expect("--only");
        let config = parse_config(&flag("--config").expect("--config"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let reports = runtime.block_on(async {
            let mut reports = run_one(&workload, config).await;
            if config == Config::Postgres {
                let note = pg::server_note(&pg::client().await).await;
                for r in &mut reports {
                    r.note = Some(match r.note.take() {
                        Some(own) => format!("{own}; {note}"),
                        None => note.clone(),
                    });
                }
                pg::drop_schemas().await;
            }
            reports
        });
        let peak = peak_rss_kb();
        drop(runtime);
        if std::env::var_os("BENCH_DB_DIR").is_none() {
            let _ = std::fs::remove_dir_all(db_dir());
        }
        for mut r in reports {
            r.peak_rss_kb = peak;
            r.machine = machine();
            println!("{}", serde_json::to_string(&r).expect("report encodes"));
        }
        return;
    }
    let workloads: Vec<String> = flag("--only").map_or_else(
        || WORKLOADS.map(String::from).to_vec(),
        |w| w.split(',').map(String::from).collect(),
    );
    let asked = flag("--config");
    let mut configs: Vec<Config> = asked
        .as_deref()
        .map_or_else(|| CONFIGS.to_vec(), |c| vec![parse_config(c)]);
    // The Postgres server for the children: `$BENCH_DATABASE_URL`, or a cluster of our own.
    let mut database_url = std::env::var(pg::URL_VAR).ok();
    if configs.contains(&Config::Postgres) && database_url.is_none() {
        database_url = pg::start_cluster();
        if database_url.is_none() {
            if asked.is_some() {
                eprintln!(
                    "--config postgres needs {} or PostgreSQL's server binaries",
                    pg::URL_VAR
                );
                std::process::exit(1);
            }
            eprintln!(
                "skipping the postgres configuration: no {} and no PostgreSQL server binaries",
                pg::URL_VAR
            );
            configs.retain(|&c| c != Config::Postgres);
        }
    }
    let exe = std::env::current_exe().expect("own path");
    if !json {
        println!(
            "{:<14} {:<13} {:>14} {:<15} {:>12} {:>10} {:>10} {:>10} {:>8}",
            "workload",
            "config",
            "throughput",
            "unit",
            "per-step µs",
            "p50 µs",
            "p99 µs",
            "RSS KiB",
            "B/step"
        );
    }
    for workload in &workloads {
        for config in &configs {
            let mut child = std::process::Command::new(&exe);
            child.args(["--child", "--only", workload, "--config", config.name()]);
            if let Some(url) = &database_url {
                child.env(pg::URL_VAR, url);
            }
            let out = child.output().expect("child runs");
            if !out.status.success() {
                eprintln!(
                    "{workload}/{}: {}",
                    config.name(),
                    String::from_utf8_lossy(&out.stderr)
                );
                std::process::exit(1);
            }
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                if json {
                    println!("{line}");
                    continue;
                }
                let v: serde_json::Value = serde_json::from_str(line).expect("child prints JSON");
                println!(
                    "{:<14} {:<13} {:>14.0} {:<15} {:>12.2} {:>10.1} {:>10.1} {:>10} {:>8}",
                    v["workload"].as_str().unwrap_or(""),
                    v["config"].as_str().unwrap_or(""),
                    v["throughput"].as_f64().unwrap_or(0.0),
                    v["unit"].as_str().unwrap_or(""),
                    v["per_step_us"].as_f64().unwrap_or(0.0),
                    v["p50_us"].as_f64().unwrap_or(0.0),
                    v["p99_us"].as_f64().unwrap_or(0.0),
                    v["peak_rss_kb"].as_u64().unwrap_or(0),
                    v["bytes_per_step"]
                        .as_f64()
                        .map_or_else(String::new, |b| format!("{b:.0}")),
                );
            }
        }
    }
}
