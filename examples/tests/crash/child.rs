//! The `crash_loop` process: its files, starting it, and killing it after a delay.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use checkpoint_pg::testing::{TestCluster, TestSchema};
use examples::crash::RunLine;

/// The thread every run uses.
pub(crate) const THREAD: &str = "crash";

/// Which checkpointer a campaign runs `crash_loop` with.
#[derive(Clone, Copy)]
pub(crate) enum Backend {
    /// A SQLite file in each round's dir.
    Sqlite,
    /// A fresh schema on the shared throwaway cluster for each round.
    Postgres(&'static TestCluster),
}

/// Where one round's checkpoints are.
pub(crate) enum Db {
    Sqlite(PathBuf),
    Postgres(Box<TestSchema>),
}

/// One round's files, in a directory of their own, and its database.
pub(crate) struct Files {
    /// `sync` or `async`: the durability `crash_loop` runs with.
    pub(crate) durability: &'static str,
    pub(crate) dir: PathBuf,
    pub(crate) db: Db,
    pub(crate) effects: PathBuf,
    pub(crate) runs: PathBuf,
}

impl Files {
    /// Empty files in `dir`, which is emptied first, and an empty database on `backend`, for
    /// runs with `durability`.
    pub(crate) fn fresh(dir: PathBuf, durability: &'static str, backend: Backend) -> Self {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the round's dir");
        let db = match backend {
            Backend::Sqlite => Db::Sqlite(dir.join("crash.db")),
            Backend::Postgres(cluster) => Db::Postgres(Box::new(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime")
                    .block_on(cluster.fresh_schema("crash")),
            )),
        };
        Self {
            durability,
            db,
            effects: dir.join("effects.txt"),
            runs: dir.join("runs.txt"),
            dir,
        }
    }

    /// The lines of the runs file.
    pub(crate) fn runs(&self) -> Result<Vec<RunLine>, String> {
        lines(&self.runs).iter().map(|line| line.parse()).collect()
    }

    /// The lines of the effects file.
    pub(crate) fn effects(&self) -> Vec<String> {
        lines(&self.effects)
    }
}

fn lines(path: &Path) -> Vec<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.lines().map(str::to_owned).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("read {}: {e}", path.display()),
    }
}

/// How a process ended.
pub(crate) enum Ending {
    /// SIGKILL ended it.
    Killed,
    /// It ran the thread to its end and printed this final state.
    Finished(serde_json::Value),
}

/// Runs `crash_loop` on `files`, sending SIGKILL `kill_after` its start unless it exits first.
/// Returns how it ended and how long it lived; a process that fails on its own is an error.
pub(crate) fn run(
    files: &Files,
    kill_after: Option<Duration>,
) -> Result<(Ending, Duration), String> {
    let start = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_crash_loop"));
    match &files.db {
        Db::Sqlite(path) => command.arg("--db").arg(path),
        Db::Postgres(schema) => command.arg("--pg").arg(schema.conninfo()),
    };
    let mut child = command
        .arg("--effects")
        .arg(&files.effects)
        .arg("--runs")
        .arg(&files.runs)
        .args(["--thread", THREAD])
        .args(["--durability", files.durability])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start crash_loop: {e}"))?;
    if let Some(delay) = kill_after {
        let deadline = start + delay;
        // Polling rather than one sleep: a process that exits early ends the wait early.
        while child.try_wait().map_err(|e| e.to_string())?.is_none() {
            let now = Instant::now();
            if now >= deadline {
                // `Child::kill` is SIGKILL on Unix: no destructor, flush or handler runs.
                child.kill().map_err(|e| format!("kill crash_loop: {e}"))?;
                break;
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(1)));
        }
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let lived = start.elapsed();
    // The process may have exited on its own just before the kill: its status says which.
    if output.status.signal() == Some(9) {
        return Ok((Ending::Killed, lived));
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("crash_loop failed ({}): {stderr}", output.status));
    }
    let state = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "crash_loop printed no JSON state ({e}): {:?} {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    })?;
    Ok((Ending::Finished(state), lived))
}
