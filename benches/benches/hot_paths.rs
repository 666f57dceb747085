//! Criterion benches of the engine's hot paths: a three-node run without and with the in-memory
//! checkpointer, a 100-way fan-out, and task id derivation.
//!
//! Run with: `cargo bench -p benches`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use benches::{BenchUpdate, Config, w1, w5};
use criterion::{Criterion, criterion_group, criterion_main};
use graph_core::{CheckpointId, RunConfig, TaskId, TaskPath};

fn engine(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for config in [Config::None, Config::Memory] {
        let graph = config.attach(w1());
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
        let graph = config.attach(w5(100));
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

criterion_group!(benches, engine);
criterion_main!(benches);
