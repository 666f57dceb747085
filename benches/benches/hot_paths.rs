//! Criterion benches of the hot paths: a three-node run without and with the in-memory
//! checkpointer, a 100-way fan-out, task id derivation, and the SQLite checkpointer's single
//! calls (`synchronous=NORMAL`, so they measure CPU and thread hand-offs rather than fsync).
//!
//! Run with: `cargo bench -p benches`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use std::sync::Arc;

use benches::{BenchUpdate, Config, fresh_db, w1, w5};
use checkpoint::{SqliteCheckpointer, Synchronous};
use criterion::{Criterion, criterion_group, criterion_main};
use graph_core::testing::checkpoint;
use graph_core::{
    CheckpointId, Checkpointer, HistoryQuery, Namespace, RunConfig, TaskId, TaskPath, ThreadId,
};

fn engine(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for config in [Config::None, Config::Memory] {
        let graph = runtime.block_on(config.attach(w1()));
        let mut i = 0u64;
        c.bench_function(&format!("w1_hop/{}", config.name()), |b| {
            b.iter(|| {
                i += 1;
                let cfg = RunConfig::thread(format!("t{i}"));
                runtime
                    .block_on(graph.invoke(BenchUpdate::default(), &cfg))
                    .expect("runs")
            })
        });
        let graph = runtime.block_on(config.attach(w5(100)));
        c.bench_function(&format!("w5_fanout_100/{}", config.name()), |b| {
            b.iter(|| {
                i += 1;
                let cfg = RunConfig::thread(format!("t{i}"));
                runtime
                    .block_on(graph.invoke(BenchUpdate::default(), &cfg))
                    .expect("runs")
            })
        });
    }
    let path = TaskPath::Pull("worker".into());
    c.bench_function("task_id_derive", |b| {
        b.iter(|| TaskId::derive(black_box(CheckpointId(42)), black_box(&path)))
    });
}

fn sqlite(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let store = Arc::new(
        SqliteCheckpointer::options()
            .synchronous(Synchronous::Normal)
            .open(fresh_db())
            .expect("open"),
    );
    let mut thread = 0u64;
    c.bench_function("sqlite/put_first_checkpoint", |b| {
        b.iter(|| {
            thread += 1;
            runtime
                .block_on(store.put(checkpoint(format!("p{thread}"), 0, None)))
                .expect("put")
        })
    });
    let history = ThreadId::from("history");
    runtime.block_on(async {
        store
            .put(checkpoint("history", 0, None))
            .await
            .expect("put");
        for id in 1..500 {
            store
                .put(checkpoint("history", id, Some(id - 1)))
                .await
                .expect("put");
        }
    });
    c.bench_function("sqlite/get_latest", |b| {
        b.iter(|| {
            runtime
                .block_on(store.get(&history, &Namespace::root(), None))
                .expect("get")
        })
    });
    c.bench_function("sqlite/get_missing_thread", |b| {
        b.iter(|| {
            runtime
                .block_on(store.get(&ThreadId::from("nobody"), &Namespace::root(), None))
                .expect("get")
        })
    });
    c.bench_function("sqlite/list_500", |b| {
        b.iter(|| {
            runtime
                .block_on(store.list(&history, &Namespace::root(), &HistoryQuery::default()))
                .expect("list")
        })
    });
    let _ = std::fs::remove_dir_all(benches::db_dir());
}

criterion_group!(benches, engine, sqlite);
criterion_main!(benches);
