//! `peers`: graph-core against juncture 0.4.0 on juncture's published benchmark scenarios
//! (its repository's `benchmarks/benches/*.rs`), both libraries in one process and one Tokio
//! runtime, no checkpointer. Every scenario runs both ways, interleaved (the order alternates
//! each repetition), and the median of the repetitions is printed with the ratio
//! juncture / graph-core (above 1: graph-core is faster).
//!
//! `cargo run --release --manifest-path benches/peers/Cargo.toml [-- FILTER...]` runs every
//! scenario whose name contains one of the FILTERs (all without). `PEERS_REPS=N` overrides the
//! repetition count of every scenario.

mod gc;
mod jn;

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A random lowercase string (juncture's wide-state `node_one` writes one every round).
pub fn random_string(len: usize) -> String {
    (0..len).map(|_| fastrand::lowercase()).collect()
}

/// juncture's wide-state input messages: 50 maps of 50 keys (`"0000000000"`, …), each value
/// `["hi?hi?…", true, 1, 6327816386138, null]`.
pub fn wide_messages() -> Vec<Value> {
    (0..50)
        .map(|_| {
            let inner: serde_json::Map<String, Value> = (0..50)
                .map(|j: i32| {
                    let key = j.to_string().repeat(10);
                    let value = serde_json::json!([
                        "hi?".repeat(10),
                        true,
                        1,
                        6_327_816_386_138_i64,
                        Value::Null
                    ]);
                    (key, value)
                })
                .collect();
            Value::Object(inner)
        })
        .collect()
}

/// One printed line.
struct Row {
    name: String,
    gc: Vec<Duration>,
    jn: Vec<Duration>,
    note: String,
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.1} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.3} s", us / 1e6)
    }
}

/// Times `batch` runs of `run`, each on an input from `prep` made before the clock starts;
/// returns the time per run.
async fn sample<I, R>(
    batch: usize,
    prep: &mut impl FnMut() -> I,
    run: &mut impl AsyncFnMut(I) -> R,
) -> Duration {
    let inputs: Vec<I> = (0..batch).map(|_| prep()).collect();
    let start = Instant::now();
    for input in inputs {
        black_box(run(input).await);
    }
    start.elapsed() / u32::try_from(batch).expect("batch fits in u32")
}

/// `reps` samples of each side, interleaved, the first side alternating; one warm-up run of
/// each first.
#[allow(clippy::too_many_arguments)]
async fn compare<I, J, R, T>(
    name: &str,
    reps: usize,
    batch: usize,
    mut gc_prep: impl FnMut() -> I,
    mut gc_run: impl AsyncFnMut(I) -> R,
    mut jn_prep: impl FnMut() -> J,
    mut jn_run: impl AsyncFnMut(J) -> T,
    note: String,
) -> Row {
    let reps = std::env::var("PEERS_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(reps);
    sample(1, &mut gc_prep, &mut gc_run).await;
    sample(1, &mut jn_prep, &mut jn_run).await;
    let (mut gc, mut jn) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        if rep % 2 == 0 {
            gc.push(sample(batch, &mut gc_prep, &mut gc_run).await);
            jn.push(sample(batch, &mut jn_prep, &mut jn_run).await);
        } else {
            jn.push(sample(batch, &mut jn_prep, &mut jn_run).await);
            gc.push(sample(batch, &mut gc_prep, &mut gc_run).await);
        }
    }
    let row = Row {
        name: name.to_owned(),
        gc,
        jn,
        note,
    };
    print_row(&row);
    row
}

fn print_row(row: &Row) {
    let (g, j) = (median(&row.gc), median(&row.jn));
    let ratio = j.as_secs_f64() / g.as_secs_f64();
    let min = |v: &[Duration]| v.iter().min().copied().unwrap_or_default();
    println!(
        "{:<28} graph-core {:>10}  juncture {:>10}  ratio {:>6.2}x   (min {} / {}, n={}) {}",
        row.name,
        fmt(g),
        fmt(j),
        ratio,
        fmt(min(&row.gc)),
        fmt(min(&row.jn)),
        row.gc.len(),
        row.note
    );
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|r| r.trim_start_matches([' ', '\t', ':'])))
        .unwrap_or("unknown CPU")
        .to_owned();
    let logical = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let usable = std::thread::available_parallelism().map_or(0, usize::from);
    format!("machine: {model}, {logical} logical CPUs ({usable} usable by this process)")
}

fn wanted(name: &str, filters: &[String]) -> bool {
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

fn main() {
    let filters: Vec<String> = std::env::args().skip(1).collect();
    // The default multi-thread runtime: one worker per core, as `#[tokio::main]` and juncture's
    // criterion benches (`Runtime::new()`) use.
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    println!("{}", machine());
    println!(
        "graph-core (path ../../graph-core) vs juncture 0.4.0; median per run; ratio = juncture / graph-core"
    );
    runtime.block_on(run(&filters));
}

async fn run(filters: &[String]) {
    let (gcc, jnc) = (gc::config(), jn::config());

    // 1. sequential_3000: a chain of 3,000 no-op nodes, invoked once per sample.
    if wanted("sequential_3000", filters) {
        let (g, j) = (gc::sequential(3000), jn::sequential(3000));
        compare(
            "sequential_3000",
            15,
            1,
            || (),
            async |()| gc::invoke_chain(&g, &gcc).await,
            || (),
            async |()| jn::invoke_chain(&j, &jnc).await,
            String::new(),
        )
        .await;
    }

    // 2. streaming_10000: a chain of 10,000 no-op nodes streamed, every event consumed.
    for (label, gmode, jmode) in [
        (
            "streaming_10000 (values)",
            graph_core::StreamMode::Values,
            juncture::stream::StreamMode::Values,
        ),
        (
            "streaming_10000 (updates)",
            graph_core::StreamMode::Updates,
            juncture::stream::StreamMode::Updates,
        ),
    ] {
        if !wanted(label, filters) {
            continue;
        }
        let (g, j) = (gc::sequential(10_000), jn::sequential(10_000));
        let ge = gc::stream_chain(&g, &gcc, gmode).await;
        let je = jn::stream_chain(&j, &jnc, jmode.clone()).await;
        compare(
            label,
            9,
            1,
            || (),
            async |()| gc::stream_chain(&g, &gcc, gmode).await,
            || (),
            async |()| jn::stream_chain(&j, &jnc, jmode.clone()).await,
            format!("[events: graph-core {ge}, juncture {je}]"),
        )
        .await;
    }

    // 3. fanout_100: plan pushes 100 workers (each appends one result), then merge.
    if wanted("fanout_100", filters) {
        let (g, j) = (gc::fanout(), jn::fanout());
        let subjects: Vec<String> = (0..100).map(|i| format!("subject_{i}")).collect();
        let gr = gc::invoke_fanout(&g, &gcc, subjects.clone()).await;
        let jr = jn::invoke_fanout(&j, &jnc, subjects.clone()).await;
        assert_eq!((gr, jr), (100, 100), "each side appends one result per subject");
        compare(
            "fanout_100",
            31,
            20,
            || subjects.clone(),
            async |s| gc::invoke_fanout(&g, &gcc, s).await,
            || subjects.clone(),
            async |s| jn::invoke_fanout(&j, &jnc, s).await,
            String::new(),
        )
        .await;
    }

    // 4. wide_state_{300,600,1200}: six nodes looped while messages.len() <= n.
    for n in [300usize, 600, 1200] {
        let label = format!("wide_state_{n}");
        if !wanted(&label, filters) {
            continue;
        }
        let (g, j) = (gc::wide_state(n), jn::wide_state(n));
        let (gin, jin) = (gc::wide_input(), jn::wide_input());
        let gl = gc::invoke_wide(&g, &gcc, gin.clone()).await;
        let jl = jn::invoke_wide(&j, &jnc, jin.clone()).await;
        assert_eq!(gl, jl, "both sides loop the same number of rounds");
        compare(
            &label,
            if n == 1200 { 9 } else { 11 },
            1,
            || gin.clone(),
            async |input| gc::invoke_wide(&g, &gcc, input).await,
            || jin.clone(),
            async |input| jn::invoke_wide(&j, &jnc, input).await,
            format!(
                "[{} rounds of 6 nodes; messages {} , trigger_events {}]",
                gl.1, gl.0, gl.1
            ),
        )
        .await;
    }

    // 5. conditional_routing_50: route → (one of 50 branches by value % 50) → collect.
    if wanted("conditional_routing_50", filters) {
        let (g, j) = (gc::routing(50), jn::routing(50));
        let gr = gc::invoke_routing(&g, &gcc, 42).await;
        let jr = jn::invoke_routing(&j, &jnc, 42).await;
        assert_eq!(gr, "branch_42_visited_complete");
        assert_eq!(jr, gr);
        compare(
            "conditional_routing_50",
            31,
            200,
            || 42u32,
            async |v| gc::invoke_routing(&g, &gcc, v).await,
            || 42u32,
            async |v| jn::invoke_routing(&j, &jnc, v).await,
            String::new(),
        )
        .await;
    }
}
