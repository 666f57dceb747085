//! The node cache as a task sees it (`CachePolicy`): the task's slot (its node's namespace and
//! the key of its input), the lookup before the node runs, and the store after it succeeded.
//!
//! A cache is an optimisation, never a source of failure: an error from it, a key that cannot be
//! computed or an entry that no longer decodes (the graph changed) is logged and taken as a
//! miss.

use std::sync::Arc;

use crate::cache::{Cache, CacheEntry, CachePolicy};
use crate::clock::Clock;
use crate::context::TaskShared;
use crate::frontier::{PushInput, TaskOutput};
use crate::state::State;

use super::TaskRun;

/// What a task of a node with a cache policy needs of the graph's cache.
pub(crate) struct TaskCache<'a> {
    pub(crate) cache: &'a Arc<dyn Cache>,
    /// The graph's clock, which entries expire by.
    pub(crate) clock: &'a Clock,
}

/// Where a task's entry lives.
pub(super) struct Slot {
    /// The node's namespace: the names of the subgraph nodes it is in, then its own, joined by
    /// `|` (which no node name contains).
    ns: String,
    key: Vec<u8>,
}

impl<S: State> TaskRun<'_, S> {
    /// The task's slot, when its node has a cache policy, the graph a cache, and the key can be
    /// computed.
    pub(super) fn cache_slot(&self) -> Option<Slot> {
        self.cache.as_ref()?;
        let policy = self.graph.nodes[self.node].cache.as_ref()?;
        let key = match &self.push {
            Some(PushInput::Arg(arg)) => CachePolicy::<S>::push_key(arg),
            _ => policy.state_key(self.input_state()),
        };
        let Some(key) = key else {
            tracing::warn!(
                thread = %self.shared.thread, step = self.shared.step, node = %self.shared.node,
                "cannot encode the node's input for its cache key; it runs uncached"
            );
            return None;
        };
        Some(Slot {
            ns: namespace(&self.shared),
            key,
        })
    }

    /// The output cached in `slot`, if there is a fresh one that decodes: the node's update and
    /// its command's destinations, without its conditional edges.
    pub(super) async fn cached(&self, slot: &Slot) -> Option<TaskOutput<S>> {
        let cache = self.cache.as_ref()?;
        let shared = &self.shared;
        let entry = match cache.cache.get(&slot.ns, &slot.key).await {
            Ok(entry) => entry?,
            Err(error) => {
                tracing::warn!(
                    thread = %shared.thread, step = shared.step, node = %shared.node, %error,
                    "the node cache failed a read; the node runs"
                );
                return None;
            }
        };
        if !entry.is_fresh((cache.clock)()) {
            return None;
        }
        match TaskOutput::decode(self.graph, &entry.value) {
            Ok(mut output) => {
                output.cached = true;
                Some(output)
            }
            Err(reason) => {
                tracing::warn!(
                    thread = %shared.thread, step = shared.step, node = %shared.node, %reason,
                    "a cached output does not decode; the node runs"
                );
                None
            }
        }
    }

    /// The bytes to cache for `output`, the node's command resolved before its edges are taken.
    pub(super) fn cache_bytes(&self, output: &TaskOutput<S>) -> Option<Vec<u8>> {
        match output.encode(self.graph) {
            Ok(bytes) => Some(bytes),
            Err(error) => {
                let shared = &self.shared;
                tracing::warn!(
                    thread = %shared.thread, step = shared.step, node = %shared.node, %error,
                    "cannot encode the node's output for its cache"
                );
                None
            }
        }
    }

    /// Stores `bytes` in `slot`, for the ttl of the node's policy.
    pub(super) async fn store(&self, slot: &Slot, bytes: Vec<u8>) {
        let Some(cache) = &self.cache else { return };
        let ttl = self.graph.nodes[self.node]
            .cache
            .as_ref()
            .and_then(|policy| policy.ttl);
        let entry = CacheEntry::new(bytes.into(), (cache.clock)(), ttl);
        if let Err(error) = cache.cache.set(&slot.ns, &slot.key, entry).await {
            let shared = &self.shared;
            tracing::warn!(
                thread = %shared.thread, step = shared.step, node = %shared.node, %error,
                "the node cache failed a write; the output is not cached"
            );
        }
    }
}

/// The cache namespace of the task's node.
fn namespace(shared: &TaskShared) -> String {
    let mut ns = String::new();
    for (node, _) in shared.ns.levels() {
        ns.push_str(node.as_str());
        ns.push('|');
    }
    ns.push_str(shared.node.as_str());
    ns
}
