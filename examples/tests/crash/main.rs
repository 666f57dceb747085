//! The crash test. The `crash_loop` binary runs the 50-superstep graph of `examples::crash`, one
//! superstep of which runs a subgraph, on a SQLite file or a PostgreSQL schema; this test starts it as a child process, kills it with SIGKILL at a random
//! moment, and restarts it (with a new random moment each time) until it finishes. That is a
//! *round*; rounds repeat on fresh files until enough kills have landed.
//!
//! What is asserted, and why:
//!
//! - **No finished task re-runs.** After each kill the test reads what storage recorded, on a
//!   copy of the files so the next process finds them exactly as the kill left them. A task is
//!   finished when its superstep has a checkpoint, or when its output is saved as a pending
//!   write of the superstep after the latest checkpoint (only the parallel superstep saves
//!   those: a lone task's output is its checkpoint). The same holds inside the subgraph, whose
//!   checkpoints and pending writes are in its task's namespace: while the root graph's task
//!   that runs it is unfinished, the subgraph's checkpointed supersteps and saved outputs are
//!   finished tasks too (and once that task is checkpointed, all of them are). The next process
//!   must start none of them: every node body logs its task to the runs file, synced, before
//!   doing anything else. This is the engine's promise that a resume re-runs only unfinished
//!   tasks, at every level.
//! - **Storage keeps what it acknowledged.** The finished set never shrinks from one kill to
//!   the next, and each checkpoint names the writers the schedule says.
//! - **Each side effect happens exactly once**, the root graph's and the subgraph's. Once an
//!   effect's result is journaled, no later process calls its closure again (the journal's
//!   promise). A kill between the effect and its record makes the next process call it again,
//!   and the idempotency key keeps the external write single: the effects file holds exactly
//!   one line per effect, the keys that the final state carries.
//! - **Nothing is lost.** A round's final state, printed by the process that finishes, equals
//!   that of an uninterrupted run, and the round's runs file covers every task.
//!
//! Kill moments are uniform in [0, 1.2 × an uninterrupted run's duration] after the start, so
//! most land mid-run and some before the database opens or after the run ends. The delays come
//! from a seed printed at the start and in every failure; `CRASH_SEED=<seed>` replays the same
//! delays (where they land still depends on timing, so a replay is likely, not certain, to
//! hit the same point). The ignored test runs 1000 kills: `cargo test -p examples --test crash
//! -- --ignored --nocapture`.
//!
//! Every campaign runs on both checkpointers: SQLite (a file per round) and Postgres (a fresh
//! schema per round on the throwaway cluster of `checkpoint_pg::testing`, which this test binary
//! starts once). After a kill, the Postgres campaigns wait for the killed process's backends to
//! end before reading (`recorded.rs`). Without PostgreSQL's server binaries the Postgres
//! campaigns skip with a loud notice, unless `REQUIRE_PG_TESTS=1`, when they fail.

#![cfg(unix)]

mod child;
mod recorded;

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use checkpoint_pg::testing::TestCluster;
use examples::crash::{RunLine, SUPERSTEPS, TaskKey, all_tasks, effect_tasks};

use child::{Backend, Ending, Files};
use recorded::Recorded;

#[test]
fn a_killed_run_resumes_to_the_same_end_50_kills() {
    campaign("ci", 50, "sync", Backend::Sqlite);
}

/// The same with `Durability::Async`: a superstep starts while the previous checkpoint is
/// being stored, so a kill often lands with checkpoints handed over but not yet on disk.
#[test]
fn an_async_run_killed_resumes_to_the_same_end_50_kills() {
    campaign("ci-async", 50, "async", Backend::Sqlite);
}

#[test]
#[ignore = "1000 kills take a few minutes"]
fn a_killed_run_resumes_to_the_same_end_1000_kills() {
    campaign("long", 1000, "sync", Backend::Sqlite);
}

#[test]
#[ignore = "1000 kills take a few minutes"]
fn an_async_run_killed_resumes_to_the_same_end_1000_kills() {
    campaign("long-async", 1000, "async", Backend::Sqlite);
}

/// The sync campaign with Postgres as the store.
#[test]
fn postgres_a_killed_run_resumes_to_the_same_end_50_kills() {
    pg_campaign("ci-pg", 50, "sync");
}

/// The async campaign with Postgres as the store.
#[test]
fn postgres_an_async_run_killed_resumes_to_the_same_end_50_kills() {
    pg_campaign("ci-pg-async", 50, "async");
}

#[test]
#[ignore = "1000 kills take a few minutes"]
fn postgres_a_killed_run_resumes_to_the_same_end_1000_kills() {
    pg_campaign("long-pg", 1000, "sync");
}

#[test]
#[ignore = "1000 kills take a few minutes"]
fn postgres_an_async_run_killed_resumes_to_the_same_end_1000_kills() {
    pg_campaign("long-pg-async", 1000, "async");
}

/// `campaign` on Postgres, or a skip (loud, from `TestCluster::get`) without a server.
fn pg_campaign(name: &str, target_kills: usize, durability: &'static str) {
    let Some(cluster) = TestCluster::get() else {
        return;
    };
    campaign(name, target_kills, durability, Backend::Postgres(cluster));
}

/// Where a failure happened, with what it takes to replay it.
struct Trace<'a> {
    seed: u64,
    round: usize,
    start: usize,
    delay: Duration,
    dir: &'a std::path::Path,
}

impl fmt::Display for Trace<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {} (replay with CRASH_SEED={}), round {}, start {} (kill after {:?}), files in {}",
            self.seed,
            self.seed,
            self.round,
            self.start,
            self.delay,
            self.dir.display()
        )
    }
}

/// Where the kills landed, for the report printed at the end.
#[derive(Debug, Default)]
struct Tally {
    rounds: usize,
    starts: usize,
    kills: usize,
    /// Kills by the latest checkpoint's superstep: none, the input's, 0–9, …, 40–49.
    by_head: [usize; 7],
    /// Kills after a task of the parallel superstep saved its output, before its checkpoint.
    with_saved_outputs: usize,
    /// Kills while the subgraph had a checkpoint and the root's task of it was unfinished.
    in_subgraph: usize,
    /// Kills after a task of the subgraph's parallel superstep saved its output, before its
    /// checkpoint.
    with_saved_subgraph_outputs: usize,
    /// Kills after an effect reached the effects file but before its result was journaled.
    effect_sent_not_journaled: usize,
    /// Kills after an effect's result was journaled but before its superstep's checkpoint.
    effect_journaled_not_checkpointed: usize,
    /// Tasks a killed process started and the next one started again (allowed: unfinished).
    reran_unfinished: usize,
}

impl Tally {
    fn count_kill(&mut self, recorded: &Recorded, effects: &[String]) {
        self.kills += 1;
        let bucket = match recorded.head_step {
            None => 0,
            Some(step) if step < 0 => 1,
            Some(step) => 2 + usize::try_from(step / 10).expect("steps count up from 0"),
        };
        self.by_head[bucket] += 1;
        if recorded.saved_outputs > 0 {
            self.with_saved_outputs += 1;
        }
        if recorded.subgraph_head_step.is_some() {
            self.in_subgraph += 1;
        }
        if recorded.subgraph_saved_outputs > 0 {
            self.with_saved_subgraph_outputs += 1;
        }
        // Effects run one after the other, so one more line than records is the one in flight.
        if effects.len() > recorded.effects_journaled.len() {
            self.effect_sent_not_journaled += 1;
        }
        if recorded.effects_pending > 0 {
            self.effect_journaled_not_checkpointed += 1;
        }
    }
}

fn campaign(name: &str, target_kills: usize, durability: &'static str, backend: Backend) {
    let seed = match std::env::var("CRASH_SEED") {
        Ok(seed) => seed.parse().expect("CRASH_SEED is a u64"),
        Err(_) => fastrand::u64(..),
    };
    println!("{name}: seed {seed} (replay the kill delays with CRASH_SEED={seed})");
    let mut rng = fastrand::Rng::with_seed(seed);
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("crash")
        .join(format!("{name}-{}", std::process::id()));
    let began = Instant::now();

    // Three uninterrupted runs: the reference state, and the median duration to spread the
    // kills over (one run's duration varies with the disk's fsync latency).
    let mut durations = Vec::new();
    let mut expected = None;
    for run in 0..3 {
        let files = Files::fresh(
            root.join(format!("uninterrupted-{run}")),
            durability,
            backend,
        );
        let state = uninterrupted(&files, seed, &mut durations);
        if let Some(expected) = &expected {
            assert_eq!(
                &state, expected,
                "seed {seed}: two uninterrupted runs differ"
            );
        }
        expected = Some(state);
        std::fs::remove_dir_all(&files.dir).expect("remove the uninterrupted run's files");
    }
    let expected = expected.expect("three runs");
    durations.sort();
    let duration = durations[1];

    let max_delay = duration.mul_f64(1.2);
    let mut tally = Tally::default();
    while tally.kills < target_kills {
        tally.rounds += 1;
        let files = Files::fresh(
            root.join(format!("round-{}", tally.rounds)),
            durability,
            backend,
        );
        round(&files, &expected, seed, max_delay, &mut rng, &mut tally);
        std::fs::remove_dir_all(&files.dir).expect("remove a passed round's files");
    }
    let _ = std::fs::remove_dir_all(&root);
    println!(
        "{name}: {} kills in {} rounds ({} process starts) in {:.1?}; an uninterrupted run took \
         {duration:.1?} (median of 3), kills came at most {max_delay:.1?} after a start",
        tally.kills,
        tally.rounds,
        tally.starts,
        began.elapsed()
    );
    println!(
        "{name}: kills by latest checkpoint: none {}, input {}, supersteps 0-9 {}, 10-19 {}, \
         20-29 {}, 30-39 {}, 40-{} {}",
        tally.by_head[0],
        tally.by_head[1],
        tally.by_head[2],
        tally.by_head[3],
        tally.by_head[4],
        tally.by_head[5],
        SUPERSTEPS - 1,
        tally.by_head[6]
    );
    println!(
        "{name}: {} kills inside the subgraph; {} with saved outputs of the parallel superstep, \
         {} of the subgraph's; {} after an effect but before its record, {} after its record \
         but before its checkpoint; {} unfinished tasks re-ran",
        tally.in_subgraph,
        tally.with_saved_outputs,
        tally.with_saved_subgraph_outputs,
        tally.effect_sent_not_journaled,
        tally.effect_journaled_not_checkpointed,
        tally.reran_unfinished
    );
}

/// Runs `crash_loop` to its end on fresh `files`, checks that it ran every task and each effect
/// once, and returns the final state; its duration is pushed onto `durations`.
fn uninterrupted(files: &Files, seed: u64, durations: &mut Vec<Duration>) -> serde_json::Value {
    let (ending, duration) = child::run(files, None)
        .unwrap_or_else(|e| panic!("seed {seed}: an uninterrupted run: {e}"));
    let Ending::Finished(state) = ending else {
        panic!("seed {seed}: an uninterrupted run was killed by something else");
    };
    durations.push(duration);
    let runs = files.runs().expect("the uninterrupted run's runs file");
    let mut started: Vec<TaskKey> = runs
        .iter()
        .filter_map(|line| match line {
            RunLine::Task(task) => Some(task.clone()),
            RunLine::Effect(_) => None,
        })
        .collect();
    started.sort();
    let mut every_task = all_tasks();
    every_task.sort();
    assert_eq!(
        started, every_task,
        "an uninterrupted run starts every task once"
    );
    assert_eq!(
        runs.iter()
            .filter(|l| matches!(l, RunLine::Effect(_)))
            .count(),
        effect_tasks().len(),
        "an uninterrupted run calls each effect once"
    );
    assert_effects_once(files, &state, &format!("seed {seed}, uninterrupted"));
    state
}

/// Starts, kills and restarts `crash_loop` on fresh `files` until a process finishes the run,
/// checking each process against what storage recorded when the previous one was killed.
fn round(
    files: &Files,
    expected: &serde_json::Value,
    seed: u64,
    max_delay: Duration,
    rng: &mut fastrand::Rng,
    tally: &mut Tally,
) {
    let mut recorded = Recorded::default();
    let mut killed_started = BTreeSet::new();
    let mut seen_runs = 0;
    let mut started = BTreeSet::new();
    for start in 1.. {
        let delay = max_delay.mul_f64(rng.f64());
        let trace = Trace {
            seed,
            round: tally.rounds,
            start,
            delay,
            dir: &files.dir,
        };
        tally.starts += 1;
        let (ending, _) = child::run(files, Some(delay)).unwrap_or_else(|e| panic!("{trace}: {e}"));
        let runs = files.runs().unwrap_or_else(|e| panic!("{trace}: {e}"));
        let mut this_started = BTreeSet::new();
        for line in &runs[seen_runs..] {
            match line {
                RunLine::Task(task) => {
                    assert!(
                        !recorded.finished.contains(task),
                        "{trace}: task `{task}` ran again, but storage recorded it finished \
                         before the previous kill (latest checkpoint: superstep {:?}, {} saved \
                         outputs; the subgraph's: superstep {:?}, {} saved outputs)",
                        recorded.head_step,
                        recorded.saved_outputs,
                        recorded.subgraph_head_step,
                        recorded.subgraph_saved_outputs
                    );
                    if killed_started.contains(task) {
                        tally.reran_unfinished += 1;
                    }
                    this_started.insert(task.clone());
                }
                RunLine::Effect(task) => assert!(
                    !recorded.effects_journaled.contains(task),
                    "{trace}: task `{task}` called its effect's closure again, but its result \
                     was journaled before the previous kill"
                ),
            }
        }
        seen_runs = runs.len();
        started.extend(this_started.iter().cloned());
        let effects = files.effects();
        let distinct: BTreeSet<&String> = effects.iter().collect();
        assert!(
            distinct.len() == effects.len() && effects.len() <= effect_tasks().len(),
            "{trace}: an effect reached the effects file twice: {effects:?}"
        );
        match ending {
            Ending::Finished(state) => {
                assert_eq!(
                    &state, expected,
                    "{trace}: the final state differs from an uninterrupted run's"
                );
                assert_effects_once(files, expected, &trace.to_string());
                let missing: Vec<_> = all_tasks()
                    .into_iter()
                    .filter(|t| !started.contains(t))
                    .collect();
                assert!(missing.is_empty(), "{trace}: tasks never ran: {missing:?}");
                return;
            }
            Ending::Killed => {
                let scratch = files.dir.join("inspect");
                let now = recorded::read(&files.db, &scratch, child::THREAD)
                    .unwrap_or_else(|e| panic!("{trace}: {e}"));
                let lost: Vec<_> = recorded.finished.difference(&now.finished).collect();
                assert!(
                    lost.is_empty(),
                    "{trace}: storage no longer records tasks it recorded finished: {lost:?}"
                );
                tally.count_kill(&now, &effects);
                recorded = now;
                killed_started = this_started;
            }
        }
    }
}

/// The effects file holds exactly one line per effect, in the order they ran: the key each
/// effect's log entry carries.
fn assert_effects_once(files: &Files, state: &serde_json::Value, context: &str) {
    let keys: Vec<&str> = effect_tasks()
        .iter()
        .map(|task| {
            let prefix = format!("{task} sent ");
            state["log"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|entry| entry.as_str()?.strip_prefix(&prefix))
                .unwrap_or_else(|| panic!("{context}: no `{prefix}…` entry in {state}"))
        })
        .collect();
    assert_eq!(
        files.effects(),
        keys,
        "{context}: the effects file should hold each effect's key once"
    );
}
