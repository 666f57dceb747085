//! Typed identifiers: nodes, threads, checkpoints, tasks and interrupts.
//!
//! Every id that feeds a checkpoint or a trace is deterministic: checkpoint ids count up within a
//! thread, and task and interrupt ids are hashes of where they sit (thread, checkpoint, task path,
//! slot), so re-planning the same superstep yields the same ids and a resume finds its saved writes.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use xxhash_rust::xxh3::Xxh3;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Creates the id.
            pub fn new(value: impl Into<Arc<str>>) -> Self {
                Self(value.into())
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }
        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.into())
            }
        }
        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value.into())
            }
        }
        impl From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self::from)
            }
        }
    };
}

string_id!(
    /// The name of a node, unique within a graph.
    NodeId
);
string_id!(
    /// A conversation or run history: the unit checkpoints are grouped by.
    ThreadId
);

/// A checkpoint's id: its position in its thread's history. Ids increase with creation order
/// within a thread (a fork gets a larger id than anything before it), so the latest checkpoint
/// of a thread is the one with the largest id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CheckpointId(pub u64);

impl CheckpointId {
    /// The id after this one.
    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }
}
impl fmt::Display for CheckpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
impl fmt::Debug for CheckpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CheckpointId({})", self.0)
    }
}
impl FromStr for CheckpointId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

macro_rules! hash_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u128);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:032x}", self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:032x})", stringify!($name), self.0)
            }
        }
        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                u128::from_str_radix(s, 16).map(Self)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hash_id!(
    /// One scheduled run of a node in a superstep. Stable across re-runs of the same superstep,
    /// so it doubles as an idempotency key for external systems.
    TaskId
);
hash_id!(
    /// One `ctx.interrupt(..)` call site of a task: the task and the call's position in it.
    InterruptId
);

/// Where a task sits in its superstep; tasks apply their updates in this order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TaskPath {
    /// Triggered by an edge; ordered by node name.
    Pull(NodeId),
    /// Created by a `Send`; ordered by its index among the superstep's sends.
    Push(u32),
}

impl TaskId {
    /// The id of the task at `path` planned from `checkpoint`. It does not depend on the thread,
    /// so a copied thread's pending writes still match its tasks; pending writes are always
    /// scoped by thread and checkpoint.
    pub fn derive(checkpoint: CheckpointId, path: &TaskPath) -> Self {
        let mut h = Xxh3::new();
        h.update(&checkpoint.0.to_le_bytes());
        match path {
            TaskPath::Pull(node) => {
                h.update(b"pull\0");
                h.update(node.as_str().as_bytes());
            }
            TaskPath::Push(index) => {
                h.update(b"push\0");
                h.update(&index.to_le_bytes());
            }
        }
        Self(h.digest128())
    }

    /// A key for external systems, unique to this task of `thread` (32 hex digits) and the same
    /// on every re-run of the task.
    pub fn idempotency_key(self, thread: &ThreadId) -> String {
        let mut h = Xxh3::new();
        h.update(thread.as_str().as_bytes());
        h.update(&[0]);
        h.update(&self.0.to_le_bytes());
        format!("{:032x}", h.digest128())
    }
}

impl InterruptId {
    /// The id of the `slot`-th interrupt of `task` (0 for the first `ctx.interrupt` call).
    pub fn derive(task: TaskId, slot: u32) -> Self {
        let mut h = Xxh3::new();
        h.update(&task.0.to_le_bytes());
        h.update(b"interrupt\0");
        h.update(&slot.to_le_bytes());
        Self(h.digest128())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_are_deterministic_and_distinct() {
        let a = TaskId::derive(CheckpointId(3), &TaskPath::Pull("a".into()));
        assert_eq!(
            a,
            TaskId::derive(CheckpointId(3), &TaskPath::Pull("a".into()))
        );
        assert_ne!(
            a,
            TaskId::derive(CheckpointId(4), &TaskPath::Pull("a".into()))
        );
        assert_ne!(
            TaskId::derive(CheckpointId(3), &TaskPath::Push(0)),
            TaskId::derive(CheckpointId(3), &TaskPath::Push(1))
        );
        let text = a.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<TaskId>().unwrap(), a);
        assert_ne!(InterruptId::derive(a, 0), InterruptId::derive(a, 1));
        let key = a.idempotency_key(&ThreadId::from("t1"));
        assert_eq!(key, a.idempotency_key(&ThreadId::from("t1")));
        assert_ne!(key, a.idempotency_key(&ThreadId::from("t2")));
        assert_eq!(key.len(), 32);
    }

    #[test]
    fn pull_tasks_order_by_name_before_push_tasks() {
        let mut paths = vec![
            TaskPath::Push(1),
            TaskPath::Pull("b".into()),
            TaskPath::Push(0),
            TaskPath::Pull("a".into()),
        ];
        paths.sort();
        assert_eq!(
            paths,
            vec![
                TaskPath::Pull("a".into()),
                TaskPath::Pull("b".into()),
                TaskPath::Push(0),
                TaskPath::Push(1)
            ]
        );
    }
}
