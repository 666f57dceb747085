//! W1 (A → B → C, a fresh thread per invocation) one at a time and 64 in flight, where group
//! commit shares fsyncs, with `Durability::Sync` and `Async`. What durability costs: the
//! commits (fsyncs at `synchronous=FULL`) a W1 invocation costs with each durability, and the
//! raw rate of single-row commits on the same disk, the ceiling a `Sync` run can approach.
//! With Postgres, the commits come from the server's counters (`benches::pg::Stats`).

use std::sync::Arc;
use std::time::Instant;

use benches::{BenchUpdate, Config, fresh_db, pg, w1};
use checkpoint::SqliteCheckpointer;
use graph_core::{Durability, RunConfig};

use crate::measure::{Report, Samples, TARGET, measure, report};

/// W1 with `durability`, one invocation at a time (`in_flight` 1) or `in_flight` at once.
pub(crate) async fn run_w1_with(config: Config, durability: Durability, in_flight: u64) -> Report {
    let sqlite = sqlite_of(config);
    // Postgres: a schema of its own, and a connection to read the server's counters with.
    let postgres = match config {
        Config::Postgres => Some((pg::fresh_schema("w1").await, pg::client().await)),
        _ => None,
    };
    let graph = match (&sqlite, &postgres) {
        (Some(store), _) => w1().with_checkpointer(Arc::clone(store) as _),
        (None, Some((schema, _))) => w1().with_checkpointer(Arc::new(pg::open(schema).await)),
        (None, None) => config.attach(w1()).await,
    };
    let commits_before = sqlite.as_ref().map(|store| store.commits());
    let stats_before = match &postgres {
        Some((_, client)) => Some(pg::stats(client).await),
        None => None,
    };
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
    drop(graph);
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
    if let (Some((schema, client)), Some(before)) = (&postgres, stats_before) {
        // Once the checkpointer's connections have closed, their backends have flushed their
        // statistics, and every write queued by an `Async` run has committed.
        pg::wait_closed(client, &schema.name).await;
        let after = pg::stats(client).await;
        let runs = invocations.load(std::sync::atomic::Ordering::Relaxed) as f64;
        let per_run = |n: f64| n / runs;
        note.push_str(&format!(
            "; per invocation: {:.2} write commits (transaction ids assigned), {:.2} \
             transactions (pg_stat_database.xact_commit, read-only ones included)",
            per_run((after.xids - before.xids) as f64),
            per_run((after.commits - before.commits) as f64),
        ));
        if let (Some(a), Some(b)) = (after.wal_syncs, before.wal_syncs) {
            note.push_str(&format!(
                ", {:.2} WAL fsyncs (pg_stat_wal.wal_sync)",
                per_run((a - b) as f64)
            ));
        }
        note.push_str(&format!(
            ", {:.0} WAL bytes",
            per_run(after.wal_bytes - before.wal_bytes)
        ));
    }
    r.note = Some(note);
    r
}

/// The rate of single-row INSERT transactions on the checkpointer's storage: for SQLite on a
/// fresh file with the checkpointer's settings (WAL, `synchronous` of `config`), one fsync each
/// at FULL; for Postgres on one connection to the server, one WAL flush each.
pub(crate) async fn raw_commits(config: Config) -> Option<Report> {
    let synchronous = match config {
        Config::Sqlite => "FULL",
        Config::SqliteNormal => "NORMAL",
        Config::Postgres => return Some(raw_commits_pg().await),
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

/// [`raw_commits`] on Postgres: autocommit INSERTs of one row on one connection, in a fresh
/// schema.
async fn raw_commits_pg() -> Report {
    let schema = pg::fresh_schema("disk").await;
    let (client, connection) = schema
        .config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect for the raw commits");
    let connection = tokio::spawn(connection);
    client
        .batch_execute("CREATE TABLE t (id BIGINT PRIMARY KEY, v BYTEA NOT NULL)")
        .await
        .expect("create the table");
    let insert = client
        .prepare("INSERT INTO t VALUES ($1, '\\x00')")
        .await
        .expect("prepare the insert");
    let mut per_second = Vec::new();
    let mut latencies = Vec::new();
    let mut id = 0i64;
    for _ in 0..crate::measure::REPS {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < TARGET {
            let t = Instant::now();
            client.execute(&insert, &[&id]).await.expect("insert");
            latencies.push(t.elapsed());
            id += 1;
            n += 1;
        }
        per_second.push(n as f64 / start.elapsed().as_secs_f64());
    }
    // What a round trip costs without a commit to flush: the share of the latency that is the
    // socket and the two processes' wake-ups.
    let mut trips = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let t = Instant::now();
        client.query_one("SELECT 1", &[]).await.expect("SELECT 1");
        trips.push(t.elapsed());
    }
    trips.sort();
    let trip = |p: f64| trips[((trips.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e6;
    let (trip50, trip99) = (trip(0.5), trip(0.99));
    drop(client);
    let _ = connection.await;
    let s = Samples {
        latencies,
        per_second,
    };
    let mut r = report("disk", Config::Postgres, "commits/s", &s, 1.0);
    r.note = Some(format!(
        "raw single-row autocommit INSERTs on one connection, same server: the WAL-flush \
         ceiling of one session; a `SELECT 1` round trip (no commit to flush) takes p50 \
         {trip50:.0} µs, p99 {trip99:.0} µs"
    ));
    r
}

fn sqlite_of(config: Config) -> Option<Arc<SqliteCheckpointer>> {
    let synchronous = match config {
        Config::Sqlite => checkpoint::Synchronous::Full,
        Config::SqliteNormal => checkpoint::Synchronous::Normal,
        Config::None | Config::Memory | Config::Postgres => return None,
    };
    let store = SqliteCheckpointer::options()
        .synchronous(synchronous)
        .open(fresh_db())
        .expect("open the bench database");
    Some(Arc::new(store))
}
