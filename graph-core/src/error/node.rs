//! What a node reports: [`NodeError`], its failure or its request to pause ([`Interrupted`]);
//! the errors the engine makes for an attempt that ran too long ([`Timeout`]), went quiet too
//! long ([`IdleTimeout`]) or panicked; and [`NodeFailure`], what a node's error handler is told
//! about the failure it handles.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{InterruptId, NodeId};

use super::BoxError;

/// A pause requested by `ctx.interrupt(..)`; propagate it with `?`.
#[derive(Debug, Clone, PartialEq)]
pub struct Interrupted {
    pub(crate) id: InterruptId,
    pub(crate) slot: u32,
    pub(crate) value: serde_json::Value,
}

enum Repr {
    Failed(BoxError),
    Interrupted(Interrupted),
    /// A subgraph paused; its interrupts are in the task's `TaskShared::nested` (this module
    /// sits below the one that defines them).
    Nested,
}

/// Why a node stopped without failing.
pub(crate) enum Pause {
    /// It called `ctx.interrupt`.
    Interrupted(Interrupted),
    /// It is a subgraph, and tasks inside it paused.
    Nested,
}

/// A node's failure, or its request to pause.
///
/// Any `std::error::Error` converts into it with `?`; [`NodeError::msg`] makes one from text. The
/// engine treats an error from `ctx.interrupt(..)` as a pause, not a failure.
pub struct NodeError {
    repr: Repr,
    permanent: bool,
}

impl NodeError {
    /// An error with a message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self {
            repr: Repr::Failed(message.to_string().into()),
            permanent: false,
        }
    }
    /// An error that a retry policy must not retry, whatever its predicate says.
    pub fn permanent(error: impl Into<NodeError>) -> Self {
        Self {
            permanent: true,
            ..error.into()
        }
    }
    /// Whether [`NodeError::permanent`] made it.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }
    /// Whether the node timed out ([`Timeout`] or [`IdleTimeout`]).
    pub fn is_timeout(&self) -> bool {
        self.error()
            .is_some_and(|e| e.is::<Timeout>() || e.is::<IdleTimeout>())
    }
    /// The underlying error, unless this is an interrupt.
    pub fn error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match &self.repr {
            Repr::Failed(error) => Some(error.as_ref()),
            Repr::Interrupted(_) | Repr::Nested => None,
        }
    }
    /// Whether the error is of type `E`.
    pub fn is<E: std::error::Error + 'static>(&self) -> bool {
        self.error().is_some_and(|e| e.is::<E>())
    }
    /// A subgraph's pause: never retried, like an interrupt.
    pub(crate) fn nested() -> Self {
        Self {
            repr: Repr::Nested,
            permanent: true,
        }
    }
    pub(crate) fn into_parts(self) -> Result<BoxError, Pause> {
        match self.repr {
            Repr::Failed(error) => Ok(error),
            Repr::Interrupted(interrupted) => Err(Pause::Interrupted(interrupted)),
            Repr::Nested => Err(Pause::Nested),
        }
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for NodeError {
    fn from(error: E) -> Self {
        Self {
            repr: Repr::Failed(Box::new(error)),
            permanent: false,
        }
    }
}
impl From<Interrupted> for NodeError {
    fn from(interrupted: Interrupted) -> Self {
        Self {
            repr: Repr::Interrupted(interrupted),
            permanent: true,
        }
    }
}
impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Failed(error) => fmt::Display::fmt(error, f),
            Repr::Interrupted(i) => write!(f, "interrupted ({})", i.id),
            Repr::Nested => f.write_str("interrupted inside a subgraph"),
        }
    }
}
impl fmt::Debug for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Failed(error) => fmt::Debug::fmt(error, f),
            Repr::Interrupted(i) => fmt::Debug::fmt(i, f),
            Repr::Nested => f.write_str("Nested"),
        }
    }
}

/// A node attempt ran longer than its run timeout ([`crate::TimeoutPolicy::run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("timed out after {0:?}")]
pub struct Timeout(pub std::time::Duration);

/// A node attempt went longer than its idle timeout ([`crate::TimeoutPolicy::idle`]) without
/// emitting an event or a heartbeat. Like [`Timeout`], it is retryable.
///
/// ```
/// use std::time::Duration;
/// use graph_core::{IdleTimeout, NodeError, RetryPolicy};
///
/// let error = NodeError::from(IdleTimeout(Duration::from_secs(10)));
/// assert!(error.is_timeout() && error.is::<IdleTimeout>());
/// assert_eq!(error.to_string(), "timed out: idle for 10s with no event");
/// assert!(RetryPolicy::attempts(2).should_retry(1, &error));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("timed out: idle for {0:?} with no event")]
pub struct IdleTimeout(pub std::time::Duration);

/// A node attempt panicked; the message is the panic's payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("panicked: {0}")]
pub(crate) struct Panicked(pub(crate) String);

/// How a node's last attempt failed, as its error handler is told ([`NodeFailure::kind`]).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use graph_core::{Ctx, FailureKind, NodeFailure, RunConfig, START, State, StateGraph};
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Job {
///     note: String,
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut graph = StateGraph::<Job>::new();
/// graph
///     .add_node("slow", |_s: Arc<Job>, _ctx: Ctx| async {
///         tokio::time::sleep(Duration::from_secs(60)).await;
///         Ok(())
///     })
///     .timeout(Duration::from_secs(1))
///     .on_error(|_s: Arc<Job>, failure: NodeFailure, _ctx: Ctx| async move {
///         let note = match failure.kind {
///             FailureKind::Timeout | FailureKind::IdleTimeout => "try later",
///             _ => "broken",
///         };
///         Ok(JobUpdate::default().note(note))
///     });
/// graph.add_edge(START, "slow");
/// let out = graph.compile()?.invoke(JobUpdate::default(), &RunConfig::thread("t")).await?;
/// assert_eq!(out.state.note, "try later");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// It returned an error.
    Error,
    /// It ran longer than its run timeout.
    Timeout,
    /// It went longer than its idle timeout without an event.
    IdleTimeout,
    /// It panicked.
    Panic,
}

/// What a node's error handler ([`crate::NodeOptions::on_error`]) is told about the failure it
/// handles: LangGraph's `NodeError`, which names the node and carries its exception. Here the
/// error is kept as its message, since the failure is saved with the task's pending writes (a
/// handler that runs again after a crash or a pause is told exactly what it was told before).
///
/// ```
/// use std::sync::Arc;
/// use graph_core::{Ctx, FailureKind, NodeError, NodeFailure, RunConfig, START, State, StateGraph};
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Job {
///     #[state(append)]
///     log: Vec<String>,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut graph = StateGraph::<Job>::new();
/// graph
///     .add_node("fetch", |_s: Arc<Job>, _ctx: Ctx| async {
///         Err::<(), _>(NodeError::msg("connection reset"))
///     })
///     .on_error(|_s: Arc<Job>, failure: NodeFailure, _ctx: Ctx| async move {
///         assert_eq!(failure.kind, FailureKind::Error);
///         let seen = format!("{}: {} ({})", failure.node, failure.message, failure.attempts);
///         Ok(JobUpdate::default().log(vec![seen]))
///     });
/// graph.add_edge(START, "fetch");
/// let out = graph.compile()?.invoke(JobUpdate::default(), &RunConfig::thread("t")).await?;
/// assert_eq!(out.state.log, ["fetch: connection reset (1)"]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NodeFailure {
    /// The node that failed.
    pub node: NodeId,
    /// Its last attempt's error, rendered (`panicked: ...` for a panic).
    pub message: String,
    /// How many attempts it made under its retry policy (1 without one).
    pub attempts: u32,
    /// How the last attempt failed.
    pub kind: FailureKind,
}

impl fmt::Display for NodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = match self.attempts {
            1 => "1 attempt".to_owned(),
            n => format!("{n} attempts"),
        };
        write!(
            f,
            "node `{}` failed after {attempts}: {}",
            self.node, self.message
        )
    }
}

impl NodeFailure {
    /// What `error`, the last of `attempts` attempts of `node`, says about how it failed.
    pub(crate) fn new(node: NodeId, error: &super::BoxError, attempts: u32) -> Self {
        let kind = if error.is::<Timeout>() {
            FailureKind::Timeout
        } else if error.is::<IdleTimeout>() {
            FailureKind::IdleTimeout
        } else if error.is::<Panicked>() {
            FailureKind::Panic
        } else {
            FailureKind::Error
        };
        Self {
            node,
            message: error.to_string(),
            attempts,
            kind,
        }
    }
}
