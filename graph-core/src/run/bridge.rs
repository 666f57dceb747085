//! How a subgraph's state meets its parent's ([`Bridge`]): the same state type (the subgraph
//! starts from the parent's state and hands back its net change), or a state of its own mapped
//! both ways by a [`SubgraphMap`]. Also how a mapped subgraph's events enter its parent's
//! stream ([`foreign_event`]).

use std::sync::Arc;

use crate::state::{State, Update};
use crate::stream::{Event, EventKind, Payload};
use crate::subgraph_map::SubgraphMap;

/// Why a subgraph's command for the parent cannot be handed up.
pub(crate) struct UnmappedParentUpdate;

/// How a subgraph of state `C` meets its parent of state `P`.
pub(crate) trait Bridge<P: State, C: State>: Send + Sync + 'static {
    /// The subgraph's input state, from the parent's state as the task started.
    fn input(&self, parent: &Arc<P>) -> Result<Arc<C>, String>;
    /// The parent task's update, from the parent's state as the task started and the
    /// subgraph's final state.
    fn output(&self, before: &P, after: &C) -> Result<P::Update, String>;
    /// The parent's update from the update of a command a node sent to the parent.
    fn parent_update(&self, update: C::Update) -> Result<P::Update, UnmappedParentUpdate>;
}

/// A subgraph of the parent's own state type (`add_subgraph`).
pub(crate) struct SameState;

impl<S: State> Bridge<S, S> for SameState {
    fn input(&self, parent: &Arc<S>) -> Result<Arc<S>, String> {
        Ok(Arc::clone(parent))
    }

    fn output(&self, before: &S, after: &S) -> Result<S::Update, String> {
        S::diff(before, after)
            .map_err(|e| format!("cannot compare the subgraph's state with its parent's: {e}"))
    }

    fn parent_update(&self, update: S::Update) -> Result<S::Update, UnmappedParentUpdate> {
        Ok(update)
    }
}

impl<P: State, C: State> Bridge<P, C> for SubgraphMap<P, C> {
    fn input(&self, parent: &Arc<P>) -> Result<Arc<C>, String> {
        let mut state = C::default();
        state
            .apply((self.input)(parent))
            .map_err(|e| format!("cannot apply the subgraph's mapped input: {e}"))?;
        Ok(Arc::new(state))
    }

    fn output(&self, _before: &P, after: &C) -> Result<P::Update, String> {
        Ok((self.output)(after))
    }

    fn parent_update(&self, update: C::Update) -> Result<P::Update, UnmappedParentUpdate> {
        match &self.parent_update {
            Some(map) => Ok(map(update)),
            None if update.is_empty() => Ok(P::Update::default()),
            None => Err(UnmappedParentUpdate),
        }
    }
}

/// A state as a JSON object of its fields (a field that does not encode is `null`).
pub(crate) fn state_json<S: State>(state: &S) -> serde_json::Value {
    let fields = S::FIELDS.iter().enumerate().map(|(index, field)| {
        let value = state
            .encode_field(index)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(serde_json::Value::Null);
        (field.name.to_owned(), value)
    });
    serde_json::Value::Object(fields.collect())
}

/// An event of a subgraph of state `C` as an event of its parent's stream, of state `P`: the
/// state and updates, which `P` cannot name, become JSON.
pub(crate) fn foreign_event<P: State, C: State>(event: Event<C>) -> Event<P> {
    let kind = match event.kind {
        EventKind::Values(state) => EventKind::SubgraphValues(state_json(&*state)),
        EventKind::Update(update) => EventKind::SubgraphUpdate(
            serde_json::to_value(update).unwrap_or(serde_json::Value::Null),
        ),
        EventKind::SubgraphValues(values) => EventKind::SubgraphValues(values),
        EventKind::SubgraphUpdate(update) => EventKind::SubgraphUpdate(update),
        EventKind::Custom(value) => EventKind::Custom(value),
        EventKind::Message(chunk) => EventKind::Message(chunk),
        EventKind::TaskStart { input } => EventKind::TaskStart {
            input: foreign_payload(input),
        },
        EventKind::TaskEnd { end, result } => EventKind::TaskEnd {
            end,
            result: result.map(foreign_payload),
        },
        EventKind::Checkpoint {
            id,
            source,
            parent,
            values,
            next,
            metadata,
        } => EventKind::Checkpoint {
            id,
            source,
            parent,
            values: foreign_payload(values),
            next,
            metadata,
        },
        EventKind::Interrupt(interrupts) => EventKind::Interrupt(interrupts),
        EventKind::Breakpoint { kind, next } => EventKind::Breakpoint { kind, next },
        EventKind::Error(message) => EventKind::Error(message),
        EventKind::End => EventKind::End,
    };
    Event {
        thread: event.thread,
        ns: event.ns,
        step: event.step,
        node: event.node,
        task: event.task,
        kind,
        mode: event.mode,
        cached: event.cached,
    }
}

/// A subgraph's payload as JSON, for its parent's stream.
fn foreign_payload<P: State, C: State>(payload: Payload<C>) -> Payload<P> {
    Payload::Json(match payload {
        Payload::State(state) => state_json(&*state),
        Payload::Update(update) => serde_json::to_value(update).unwrap_or(serde_json::Value::Null),
        Payload::Json(value) => value,
    })
}
