//! How the workloads measure: calibrated repetitions of timed calls ([`measure`]), the
//! per-workload [`Report`] and what it says about the machine.

use std::time::{Duration, Instant};

use benches::Config;
use serde::Serialize;

pub(crate) const REPS: usize = 5;
pub(crate) const TARGET: Duration = Duration::from_millis(800);

#[derive(Serialize)]
pub(crate) struct Report {
    pub(crate) workload: &'static str,
    pub(crate) config: &'static str,
    /// What `throughput` counts per second.
    pub(crate) unit: &'static str,
    pub(crate) throughput: f64,
    /// Wall time per superstep of one run (per node-superstep for W1), in microseconds.
    pub(crate) per_step_us: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
    pub(crate) peak_rss_kb: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bytes_per_step: Option<f64>,
    pub(crate) machine: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
}

/// Latencies of single calls and per-repetition throughputs.
pub(crate) struct Samples {
    pub(crate) latencies: Vec<Duration>,
    pub(crate) per_second: Vec<f64>,
}

impl Samples {
    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index].as_secs_f64() * 1e6
    }
    fn median_throughput(&self) -> f64 {
        let mut v = self.per_second.clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
}

/// Calls `op` (one timed call each) in calibrated repetitions.
pub(crate) async fn measure<F, Fut>(mut op: F) -> Samples
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = Duration>,
{
    let mut i = 0u64;
    let warmup = Instant::now();
    let mut calls = 0u64;
    while warmup.elapsed() < TARGET / 4 {
        op(i).await;
        i += 1;
        calls += 1;
    }
    let per_call = warmup.elapsed().as_secs_f64() / calls as f64;
    let batch = ((TARGET.as_secs_f64() / per_call) as u64).max(1);
    let mut samples = Samples {
        latencies: Vec::new(),
        per_second: Vec::new(),
    };
    for _ in 0..REPS {
        let start = Instant::now();
        for _ in 0..batch {
            samples.latencies.push(op(i).await);
            i += 1;
        }
        samples
            .per_second
            .push(batch as f64 / start.elapsed().as_secs_f64());
    }
    samples
}

/// Calls `op` (one timed call each) `calls` times per repetition, after one untimed
/// repetition that warms caches, the allocator and the database file up.
pub(crate) async fn measure_calls<F, Fut>(calls: u64, mut op: F) -> Samples
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = Duration>,
{
    let mut i = 0u64;
    for _ in 0..calls {
        op(i).await;
        i += 1;
    }
    let mut samples = Samples {
        latencies: Vec::new(),
        per_second: Vec::new(),
    };
    for _ in 0..REPS {
        let start = Instant::now();
        for _ in 0..calls {
            samples.latencies.push(op(i).await);
            i += 1;
        }
        samples
            .per_second
            .push(calls as f64 / start.elapsed().as_secs_f64());
    }
    samples
}

pub(crate) fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    format!(
        "{cores} cores, {cpu}; {} build",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    )
}

pub(crate) fn report(
    workload: &'static str,
    config: Config,
    unit: &'static str,
    s: &Samples,
    steps: f64,
) -> Report {
    let throughput = s.median_throughput();
    Report {
        workload,
        config: config.name(),
        unit,
        throughput,
        per_step_us: 1e6 / throughput / steps,
        p50_us: s.percentile(0.5),
        p99_us: s.percentile(0.99),
        peak_rss_kb: 0,
        bytes_per_step: None,
        machine: String::new(),
        note: None,
    }
}
