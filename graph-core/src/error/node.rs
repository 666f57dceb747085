//! What a node reports: [`NodeError`], its failure or its request to pause ([`Interrupted`]),
//! and the errors the engine makes for an attempt that ran too long ([`Timeout`]).

use std::fmt;

use crate::ids::InterruptId;

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
    /// Whether the node timed out.
    pub fn is_timeout(&self) -> bool {
        self.error().is_some_and(|e| e.is::<Timeout>())
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

/// A node attempt ran longer than its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("timed out after {0:?}")]
pub struct Timeout(pub std::time::Duration);
