//! W7: a state that grows every superstep, routed every superstep. Reports the mean per-step
//! time of the first and of the last 1,000 of 5,000 supersteps; flat means a step's cost does
//! not depend on the state's size.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use benches::{BenchUpdate, Config, w7};
use graph_core::{Durability, RunConfig};

use crate::measure::{Report, Samples, report};

const STEPS: u64 = 5_000;
const WINDOW: usize = 1_000;

/// W7 as configured; with `copy`, under `Durability::Exit`, whose lone tasks still route on a
/// copy of the state (as every task did before routing moved to the post-step state).
pub(crate) async fn run_w7(config: Config, copy: bool) -> Report {
    let marks: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let clock = {
        let marks = Arc::clone(&marks);
        move || marks.lock().expect("marks").push(Instant::now())
    };
    let graph = config.attach(w7(STEPS, clock)).await;
    let mut latencies = Vec::new();
    let mut per_second = Vec::new();
    let (mut first, mut last) = (Vec::new(), Vec::new());
    // One warm-up run, then three timed ones.
    for run in 0..4 {
        marks.lock().expect("marks").clear();
        let durability = if copy {
            Durability::Exit
        } else {
            Durability::Sync
        };
        let cfg = RunConfig::thread(format!("w7-{run}"))
            .max_supersteps(STEPS as u32 + 10)
            .durability(durability);
        let t = Instant::now();
        graph
            .invoke(BenchUpdate::default(), &cfg)
            .await
            .expect("W7 runs");
        let took = t.elapsed();
        if run == 0 {
            continue;
        }
        latencies.push(took);
        per_second.push(STEPS as f64 / took.as_secs_f64());
        let marks = marks.lock().expect("marks");
        let mean = |window: &[Instant]| {
            let span = window[window.len() - 1] - window[0];
            span.as_secs_f64() * 1e6 / (window.len() - 1) as f64
        };
        first.push(mean(&marks[..WINDOW]));
        last.push(mean(&marks[marks.len() - WINDOW..]));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (first, last) = (median(&mut first), median(&mut last));
    let samples = Samples {
        latencies,
        per_second,
    };
    let name = if copy { "W7-copy" } else { "W7" };
    let mut r = report(name, config, "steps/s", &samples, 1.0);
    r.note = Some(format!(
        "{STEPS} supersteps, list growing to {STEPS} items, a router every step; per step: \
         {first:.2} µs over the first {WINDOW}, {last:.2} µs over the last {WINDOW} \
         (ratio {:.2}); p50/p99 are per run",
        last / first
    ));
    r
}
