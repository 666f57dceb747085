//! Tests of the SQLite checkpointer through its public API, on real files.

mod background;
mod cache;
mod compose;
mod conformance;
mod durability;
mod engine;
mod files;
mod history;
mod store;
mod subgraphs;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh path for a database file under cargo's per-target temp dir (removed first, with its
/// WAL files, if an earlier run left it).
fn temp_db(name: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("checkpoint-tests");
    std::fs::create_dir_all(&dir).expect("create the temp dir");
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("{name}-{}-{n}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}
