//! Typed identifiers: nodes, threads, namespaces, checkpoints, tasks and interrupts.
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
string_id!(
    /// A background run ([`crate::RunHandle`]): a random UUID (version 4) unless the caller
    /// names it.
    RunId
);

impl RunId {
    /// A fresh random id in UUID form, as LangGraph's run ids are.
    pub fn random() -> Self {
        let bits = fastrand::u128(..);
        // Version 4, variant 1 (RFC 9562).
        let bits = (bits & !(0xf << 76)) | (0x4 << 76);
        let bits = (bits & !(0x3 << 62)) | (0x2 << 62);
        let hex = format!("{bits:032x}");
        Self::from(format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        ))
    }
}

/// What the name of a node's error handler starts with. Node names cannot start with `__`, so it
/// names no node of a graph, and it has no `:` or `|`, so it fits a namespace level.
const ERROR_HANDLER_PREFIX: &str = "__error_handler__";

impl NodeId {
    /// The name the error handler of `node` ([`crate::NodeOptions::on_error`]) runs under, in
    /// events, pending writes and [`crate::RunOutput::executed`]: `__error_handler__<node>`, as in
    /// LangGraph. No node can have it, since node names cannot start with `__`.
    ///
    /// ```
    /// use graph_core::NodeId;
    ///
    /// let handler = NodeId::error_handler(&NodeId::from("fetch"));
    /// assert_eq!(handler, "__error_handler__fetch");
    /// assert_eq!(handler.handled_node(), Some(NodeId::from("fetch")));
    /// assert_eq!(NodeId::from("fetch").handled_node(), None);
    /// ```
    pub fn error_handler(node: &NodeId) -> NodeId {
        NodeId::from(format!("{ERROR_HANDLER_PREFIX}{node}"))
    }

    /// The node whose error handler this name is ([`NodeId::error_handler`]), if it is one: to
    /// tell a handler's events from its node's.
    ///
    /// ```
    /// use graph_core::NodeId;
    ///
    /// let event_node = NodeId::from("__error_handler__pay");
    /// assert_eq!(event_node.handled_node().as_ref().map(NodeId::as_str), Some("pay"));
    /// assert_eq!(NodeId::from("pay").handled_node(), None);
    /// ```
    pub fn handled_node(&self) -> Option<NodeId> {
        self.as_str()
            .strip_prefix(ERROR_HANDLER_PREFIX)
            .filter(|node| !node.is_empty())
            .map(NodeId::from)
    }
}

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

/// Where a graph's checkpoints sit within a thread: the root graph (empty), or a subgraph that a
/// task of its parent runs, one level per subgraph (LangGraph's `checkpoint_ns`). Each level is
/// the parent's node and task: a subgraph's checkpoints for one task of its parent never mix
/// with those of another task, nor with the parent's own.
///
/// It is a typed path; its text form, used in storage, is `node:task` per level joined by `|`
/// (`outer:<32 hex>|inner:<32 hex>`), unambiguous because node names may not contain `:` or `|`.
///
/// ```
/// use graph_core::{Namespace, NodeId, TaskId};
///
/// let root = Namespace::root();
/// assert!(root.is_root());
/// let child = root.child(&NodeId::from("review"), TaskId(7));
/// let grandchild = child.child(&NodeId::from("check"), TaskId(9));
/// assert_eq!(grandchild.depth(), 2);
/// assert_eq!(grandchild.parent(), Some(child.clone()));
/// let levels: Vec<(NodeId, TaskId)> = grandchild.levels().collect();
/// assert_eq!(levels, [(NodeId::from("review"), TaskId(7)), (NodeId::from("check"), TaskId(9))]);
/// assert_eq!(grandchild.to_string().parse::<Namespace>(), Ok(grandchild));
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Namespace(Arc<str>);

impl Namespace {
    /// The root graph's namespace.
    pub fn root() -> Self {
        Self(Arc::from(""))
    }
    /// Whether this is the root graph's namespace.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
    /// The namespace of the subgraph that task `task` of node `node` runs in this namespace.
    pub fn child(&self, node: &NodeId, task: TaskId) -> Self {
        if self.is_root() {
            Self(format!("{node}:{task}").into())
        } else {
            Self(format!("{}|{node}:{task}", self.0).into())
        }
    }
    /// The namespace of the graph whose task runs this one; `None` for the root.
    pub fn parent(&self) -> Option<Self> {
        if self.is_root() {
            return None;
        }
        Some(match self.0.rfind('|') {
            Some(cut) => Self(self.0[..cut].into()),
            None => Self::root(),
        })
    }
    /// The levels from the root down: each subgraph's node in its parent and the task that ran it.
    pub fn levels(&self) -> impl Iterator<Item = (NodeId, TaskId)> + '_ {
        // Every constructor checks the form, so each level parses.
        self.0
            .split('|')
            .filter(|level| !level.is_empty())
            .filter_map(|level| {
                let (node, task) = level.split_once(':')?;
                Some((NodeId::from(node), task.parse().ok()?))
            })
    }
    /// How many subgraphs deep this is: 0 for the root.
    pub fn depth(&self) -> usize {
        if self.is_root() {
            0
        } else {
            self.0.matches('|').count() + 1
        }
    }
    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Namespace {
    fn default() -> Self {
        Self::root()
    }
}
impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Namespace({:?})", &*self.0)
    }
}

/// Why a text is not a [`Namespace`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a namespace: {reason}")]
pub struct NamespaceError {
    text: String,
    reason: &'static str,
}

impl FromStr for Namespace {
    type Err = NamespaceError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| NamespaceError {
            text: text.to_owned(),
            reason,
        };
        if text.is_empty() {
            return Ok(Self::root());
        }
        for level in text.split('|') {
            let (node, task) = level
                .split_once(':')
                .ok_or_else(|| invalid("a level is not `node:task`"))?;
            if node.is_empty() || task.contains(':') {
                return Err(invalid("a level is not `node:task`"));
            }
            if task.len() != 32 || task.parse::<TaskId>().is_err() {
                return Err(invalid("a task id is not 32 hex digits"));
            }
        }
        Ok(Self(text.into()))
    }
}
impl Serialize for Namespace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}
impl<'de> Deserialize<'de> for Namespace {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

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
        Self::derive_in(&Namespace::root(), checkpoint, path)
    }

    /// The id of the task at `path` planned from `checkpoint` of namespace `ns`. A subgraph's
    /// checkpoint ids count from 0 like its parent's, so the namespace is hashed in (except for
    /// the root, whose ids stay what [`TaskId::derive`] always gave): task ids, and so interrupt
    /// ids and idempotency keys, are unique within a thread across all its namespaces.
    pub fn derive_in(ns: &Namespace, checkpoint: CheckpointId, path: &TaskPath) -> Self {
        let mut h = Xxh3::new();
        if !ns.is_root() {
            h.update(b"ns\0");
            h.update(ns.as_str().as_bytes());
            h.update(&[0]);
        }
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

    /// The id of the error handler's task of this task ([`crate::NodeOptions::on_error`]): its
    /// own id, so its interrupts, effects and writes are its own, and as deterministic as this
    /// one, so a resume finds what it saved.
    pub(crate) fn error_handler(self) -> Self {
        let mut h = Xxh3::new();
        h.update(b"error_handler\0");
        h.update(&self.0.to_le_bytes());
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
    fn namespaces_parse_their_text_form_and_refuse_others() {
        let ns = Namespace::root().child(&NodeId::from("a"), TaskId(1));
        assert_eq!(ns.as_str(), "a:00000000000000000000000000000001");
        assert_eq!("".parse::<Namespace>(), Ok(Namespace::root()));
        assert_eq!(ns.as_str().parse::<Namespace>(), Ok(ns.clone()));
        for bad in [
            "a",
            "a:1",
            ":00000000000000000000000000000001",
            "a:0000000000000000000000000000000g",
        ] {
            assert!(bad.parse::<Namespace>().is_err(), "{bad}");
        }
        let path = TaskPath::Pull("a".into());
        assert_eq!(
            TaskId::derive_in(&Namespace::root(), CheckpointId(0), &path),
            TaskId::derive(CheckpointId(0), &path)
        );
        assert_ne!(
            TaskId::derive_in(&ns, CheckpointId(0), &path),
            TaskId::derive(CheckpointId(0), &path)
        );
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
