//! The time graph-core stamps things with: milliseconds since the Unix epoch, read through a
//! [`Clock`] so tests can inject one (`CompiledGraph::with_clock`, `InMemoryStore::with_clock`).
//! It sits below `config` and `store` so both can use it without importing each other.

use std::sync::Arc;

/// Milliseconds since the Unix epoch: the time checkpoints and store items are stamped with.
pub(crate) type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system's clock, in milliseconds since the Unix epoch (0 before it, `u64::MAX` past the
/// year 584 million): the one place the workspace reads it (the checkpointers, the server and
/// LangGraph's API stamp with it too).
pub fn system_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
