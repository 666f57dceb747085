//! A plan without its state type: [`Outline`], the shape of a graph (nodes, edges, joins,
//! breakpoints) that compile checks and drawing read of a subgraph, and [`ChildGraph`], what a
//! parent's plan holds of a subgraph node, whatever the subgraph's state type.

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::Persistence;
use crate::error::Result;
use crate::ids::{CheckpointId, Namespace, NodeId, ThreadId};
use crate::node::Endpoint;
use crate::outcome::SubgraphSnapshot;
use crate::state::State;

use super::Plan;

/// A node of an [`Outline`], its edges resolved to node indices as in the plan.
pub(crate) struct OutlineNode {
    pub(crate) id: NodeId,
    pub(crate) takes_push: bool,
    pub(crate) defer: bool,
    pub(crate) next: Vec<usize>,
    pub(crate) ends: bool,
    pub(crate) routes: Vec<usize>,
    pub(crate) destinations: Vec<usize>,
    /// Whether the node has a static breakpoint (before or after).
    pub(crate) breakpoint: bool,
    pub(crate) subgraph: Option<Arc<Outline>>,
}

/// A conditional edge of an [`Outline`]: where it leaves from, and its targets (`None` is END).
pub(crate) struct OutlineRoute {
    pub(crate) from: Endpoint,
    pub(crate) targets: Vec<Option<usize>>,
}

/// A join of an [`Outline`].
pub(crate) struct OutlineJoin {
    pub(crate) sources: Vec<usize>,
    pub(crate) target: usize,
}

/// The shape of a plan, with the same indices, and none of its functions or its state type.
pub(crate) struct Outline {
    pub(crate) nodes: Vec<OutlineNode>,
    pub(crate) entry: Vec<usize>,
    pub(crate) routes: Vec<OutlineRoute>,
    pub(crate) joins: Vec<OutlineJoin>,
}

impl<S: State> Plan<S> {
    /// The plan's shape, its subgraphs' included.
    pub(crate) fn outline(&self) -> Outline {
        Outline {
            nodes: self
                .nodes
                .iter()
                .map(|node| OutlineNode {
                    id: node.id.clone(),
                    takes_push: node.takes_push,
                    defer: node.defer,
                    next: node.next.clone(),
                    ends: node.ends,
                    routes: node.routes.clone(),
                    destinations: node.destinations.clone(),
                    breakpoint: node.interrupt_before || node.interrupt_after,
                    subgraph: node.subgraph.as_ref().map(|child| child.outline()),
                })
                .collect(),
            entry: self.entry.clone(),
            routes: self
                .routes
                .iter()
                .map(|route| OutlineRoute {
                    from: route.from.clone(),
                    targets: route.targets.clone(),
                })
                .collect(),
            joins: self
                .joins
                .iter()
                .map(|join| OutlineJoin {
                    sources: join.sources.clone(),
                    target: join.target,
                })
                .collect(),
        }
    }
}

/// Where a subgraph's state is read from, for [`ChildGraph::snapshot`].
pub(crate) struct ChildAddress<'a> {
    pub(crate) persistence: &'a Persistence,
    pub(crate) thread: &'a ThreadId,
    /// The subgraph task's namespace.
    pub(crate) ns: &'a Namespace,
    /// A checkpoint of that namespace; `None`, its latest.
    pub(crate) checkpoint: Option<CheckpointId>,
    /// Whether to read the subgraph's own subgraphs too.
    pub(crate) subgraphs: bool,
}

/// What a parent's plan holds of a subgraph node, whatever the subgraph's state type: its
/// shape, its own subgraph nodes, and how to read its state in a namespace.
#[async_trait]
pub(crate) trait ChildGraph: Send + Sync + 'static {
    /// The subgraph's shape.
    fn outline(&self) -> Arc<Outline>;

    /// The subgraph node `node` of the subgraph, if it has one by that name.
    fn child(&self, node: &NodeId) -> Option<Arc<dyn ChildGraph>>;

    /// The subgraph's state at a checkpoint of `at.ns`, or `None` when there is none (the task
    /// has not run, or the subgraph keeps no checkpoints).
    async fn snapshot(&self, at: ChildAddress<'_>) -> Result<Option<SubgraphSnapshot>>;
}
