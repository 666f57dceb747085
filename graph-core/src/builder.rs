//! [`StateGraph`]: the mutable builder, and `compile()`, which validates it into the frozen
//! structure a [`CompiledGraph`] runs.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::compiled::{CompiledGraph, CompiledJoin, CompiledNode, CompiledRoute, GraphInner};
use crate::context::Ctx;
use crate::error::BuildError;
use crate::ids::NodeId;
use crate::node::{
    Endpoint, ErasedNode, FnNode, IntoCommand, Node, NodeError, PushFnNode, Route, StateNode,
};
use crate::retry::RetryPolicy;
use crate::state::State;

/// A conditional edge's function: reads the state (as of the start of the superstep, plus the
/// source node's own update) and picks destinations.
pub(crate) type RouteFn<S> = Arc<dyn Fn(&S) -> Route + Send + Sync>;

struct NodeDef<S: State> {
    id: NodeId,
    runner: Arc<dyn ErasedNode<S>>,
    takes_push: bool,
    retry: Option<RetryPolicy>,
    timeout: Option<Duration>,
    destinations: Vec<NodeId>,
    interrupt_before: bool,
    interrupt_after: bool,
}

struct ConditionalDef<S: State> {
    from: Endpoint,
    targets: Vec<Endpoint>,
    route: RouteFn<S>,
}

/// Builds a graph: add nodes and edges, then [`StateGraph::compile`] it.
pub struct StateGraph<S: State> {
    nodes: Vec<NodeDef<S>>,
    edges: Vec<(Endpoint, Endpoint)>,
    conditional: Vec<ConditionalDef<S>>,
    joins: Vec<(Vec<NodeId>, NodeId)>,
}

impl<S: State> Default for StateGraph<S> {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            edges: Vec::new(),
            conditional: Vec::new(),
            joins: Vec::new(),
        }
    }
}

/// Options of the node just added: retry, timeout, breakpoints, command destinations.
pub struct NodeOptions<'a, S: State> {
    def: &'a mut NodeDef<S>,
}

impl<S: State> NodeOptions<'_, S> {
    /// Retries the node on failure.
    pub fn retry(self, policy: RetryPolicy) -> Self {
        self.def.retry = Some(policy);
        self
    }
    /// Fails an attempt that runs longer than `timeout` (a retryable error).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.def.timeout = Some(timeout);
        self
    }
    /// Pauses the run before this node runs (a static breakpoint).
    pub fn interrupt_before(self) -> Self {
        self.def.interrupt_before = true;
        self
    }
    /// Pauses the run after the superstep in which this node ran.
    pub fn interrupt_after(self) -> Self {
        self.def.interrupt_after = true;
        self
    }
    /// Declares where the node's [`crate::Command`]s may go, so exports can draw them.
    pub fn destinations<T: Into<NodeId>>(self, nodes: impl IntoIterator<Item = T>) -> Self {
        self.def
            .destinations
            .extend(nodes.into_iter().map(Into::into));
        self
    }
}

impl<S: State> StateGraph<S> {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    fn push_node(
        &mut self,
        id: NodeId,
        runner: Arc<dyn ErasedNode<S>>,
        takes_push: bool,
    ) -> NodeOptions<'_, S> {
        self.nodes.push(NodeDef {
            id,
            runner,
            takes_push,
            retry: None,
            timeout: None,
            destinations: Vec::new(),
            interrupt_before: false,
            interrupt_after: false,
        });
        let def = self.nodes.last_mut().expect("just pushed");
        NodeOptions { def }
    }

    /// Adds a node that is an async function or closure of `(Arc<S>, Ctx)` returning an
    /// update, a [`crate::Command`] or `()`.
    pub fn add_node<F, Fut, O>(&mut self, name: impl Into<NodeId>, f: F) -> NodeOptions<'_, S>
    where
        F: Fn(Arc<S>, Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, NodeError>> + Send + 'static,
        O: IntoCommand<S> + 'static,
    {
        let node = StateNode(FnNode(f, PhantomData));
        self.push_node(name.into(), Arc::new(node), false)
    }

    /// Adds a node that implements [`Node`].
    pub fn add_node_impl(
        &mut self,
        name: impl Into<NodeId>,
        node: impl Node<S>,
    ) -> NodeOptions<'_, S> {
        self.push_node(name.into(), Arc::new(StateNode(node)), false)
    }

    /// Adds a node that only a [`crate::Push`] starts, with the push's argument (of type `I`) as
    /// its input instead of the state.
    pub fn add_push_node<I, F, Fut, O>(
        &mut self,
        name: impl Into<NodeId>,
        f: F,
    ) -> NodeOptions<'_, S>
    where
        I: DeserializeOwned + Send + 'static,
        F: Fn(I, Ctx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, NodeError>> + Send + 'static,
        O: IntoCommand<S> + 'static,
    {
        let node = PushFnNode(f, PhantomData);
        self.push_node(name.into(), Arc::new(node), true)
    }

    /// Adds an edge: when `from` runs, `to` runs in the next superstep. Several edges into one
    /// node run it once per superstep in which any of their sources ran.
    pub fn add_edge(&mut self, from: impl Into<Endpoint>, to: impl Into<Endpoint>) -> &mut Self {
        self.edges.push((from.into(), to.into()));
        self
    }

    /// Adds a conditional edge: after `from` runs, `route` picks destinations among `targets`
    /// (declared so the graph can be drawn and checked). Returning anything else is a run-time
    /// error. `from` may be START.
    pub fn add_conditional_edge<R, T>(
        &mut self,
        from: impl Into<Endpoint>,
        targets: impl IntoIterator<Item = T>,
        route: impl Fn(&S) -> R + Send + Sync + 'static,
    ) -> &mut Self
    where
        R: Into<Route>,
        T: Into<Endpoint>,
    {
        self.conditional.push(ConditionalDef {
            from: from.into(),
            targets: targets.into_iter().map(Into::into).collect(),
            route: Arc::new(move |state: &S| route(state).into()),
        });
        self
    }

    /// Adds a join edge: `to` runs once after every one of `sources` has run (since `to` last
    /// ran), however many supersteps apart they finish.
    pub fn add_join_edge<T: Into<NodeId>>(
        &mut self,
        sources: impl IntoIterator<Item = T>,
        to: impl Into<NodeId>,
    ) -> &mut Self {
        self.joins
            .push((sources.into_iter().map(Into::into).collect(), to.into()));
        self
    }

    /// Validates the graph and freezes it.
    pub fn compile(self) -> Result<CompiledGraph<S>, BuildError> {
        compile(self).map(|inner| CompiledGraph::new(Arc::new(inner)))
    }
}

const MAX_NAME_LEN: usize = 128;

fn check_name(name: &str) -> Result<(), BuildError> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_NAME_LEN {
        "it is longer than 128 bytes"
    } else if name.starts_with("__") {
        "names starting with `__` are reserved"
    } else if name.chars().any(char::is_control) {
        "it contains a control character"
    } else {
        return Ok(());
    };
    Err(BuildError::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

fn compile<S: State>(graph: StateGraph<S>) -> Result<GraphInner<S>, BuildError> {
    let StateGraph {
        nodes: defs,
        edges,
        conditional,
        joins,
    } = graph;

    let mut index: HashMap<NodeId, usize> = HashMap::new();
    for (i, def) in defs.iter().enumerate() {
        check_name(def.id.as_str())?;
        if index.insert(def.id.clone(), i).is_some() {
            return Err(BuildError::DuplicateNode(def.id.to_string()));
        }
    }
    let lookup = |node: &NodeId, context: &dyn Fn() -> String| -> Result<usize, BuildError> {
        index
            .get(node)
            .copied()
            .ok_or_else(|| BuildError::UnknownNode {
                node: node.to_string(),
                context: context(),
            })
    };

    // Command destinations are resolved to indices below, once every node is known.
    let destination_names: Vec<Vec<NodeId>> =
        defs.iter().map(|def| def.destinations.clone()).collect();
    let mut nodes: Vec<CompiledNode<S>> = defs
        .into_iter()
        .map(|def| CompiledNode {
            id: def.id,
            runner: def.runner,
            takes_push: def.takes_push,
            retry: def.retry,
            timeout: def.timeout,
            next: Vec::new(),
            ends: false,
            routes: Vec::new(),
            joins: Vec::new(),
            destinations: Vec::new(),
            interrupt_before: def.interrupt_before,
            interrupt_after: def.interrupt_after,
        })
        .collect();

    let mut entry = Vec::new();
    let mut entry_routes = Vec::new();
    for (from, to) in &edges {
        let to_index = match to {
            Endpoint::Start => return Err(BuildError::StartAsTarget(from.to_string())),
            Endpoint::End => None,
            Endpoint::Node(node) => {
                let i = lookup(node, &|| format!("the edge from `{from}`"))?;
                if nodes[i].takes_push {
                    return Err(BuildError::PushNodeAsEdgeTarget {
                        node: node.to_string(),
                        from: from.to_string(),
                    });
                }
                Some(i)
            }
        };
        match from {
            Endpoint::End => return Err(BuildError::EndAsSource(to.to_string())),
            Endpoint::Start => entry.extend(to_index),
            Endpoint::Node(node) => {
                let i = lookup(node, &|| format!("the edge to `{to}`"))?;
                match to_index {
                    Some(t) if !nodes[i].next.contains(&t) => nodes[i].next.push(t),
                    Some(_) => {}
                    None => nodes[i].ends = true,
                }
            }
        }
    }

    let mut routes = Vec::new();
    for def in conditional {
        if def.targets.is_empty() {
            return Err(BuildError::NoTargets(def.from.to_string()));
        }
        let mut targets = Vec::new();
        for target in &def.targets {
            targets.push(match target {
                Endpoint::Start => return Err(BuildError::StartAsTarget(def.from.to_string())),
                Endpoint::End => None,
                Endpoint::Node(node) => Some(lookup(node, &|| {
                    format!("the conditional edge from `{}`", def.from)
                })?),
            });
        }
        let route_index = routes.len();
        match &def.from {
            Endpoint::End => return Err(BuildError::EndAsSource("a conditional edge".into())),
            Endpoint::Start => entry_routes.push(route_index),
            Endpoint::Node(node) => {
                let i = lookup(node, &|| "a conditional edge".to_owned())?;
                nodes[i].routes.push(route_index);
            }
        }
        routes.push(CompiledRoute {
            from: def.from,
            targets,
            route: def.route,
        });
    }

    let mut compiled_joins = Vec::new();
    for (sources, target) in joins {
        let target_index = lookup(&target, &|| "a join edge".to_owned())?;
        if sources.is_empty() {
            return Err(BuildError::InvalidJoin {
                target: target.to_string(),
                reason: "it has no sources",
            });
        }
        if nodes[target_index].takes_push {
            return Err(BuildError::PushNodeAsEdgeTarget {
                node: target.to_string(),
                from: sources
                    .iter()
                    .map(NodeId::as_str)
                    .collect::<Vec<_>>()
                    .join("+"),
            });
        }
        let mut source_indices = Vec::new();
        for source in &sources {
            let i = lookup(source, &|| format!("the join edge into `{target}`"))?;
            if source_indices.contains(&i) {
                return Err(BuildError::InvalidJoin {
                    target: target.to_string(),
                    reason: "a source is listed twice",
                });
            }
            source_indices.push(i);
        }
        let join_index = compiled_joins.len();
        for (position, &i) in source_indices.iter().enumerate() {
            nodes[i].joins.push((join_index, position));
        }
        compiled_joins.push(CompiledJoin {
            sources: source_indices,
            target: target_index,
        });
    }

    for (node, names) in nodes.iter_mut().zip(&destination_names) {
        for name in names {
            let from = &node.id;
            let d = lookup(name, &|| format!("the destinations of `{from}`"))?;
            node.destinations.push(d);
        }
    }

    if entry.is_empty() && entry_routes.is_empty() {
        return Err(BuildError::MissingEntry);
    }

    // Reachability from START over every kind of edge. A join target counts as reachable when
    // all its sources are.
    let mut reached = vec![false; nodes.len()];
    let mut queue: VecDeque<usize> = VecDeque::new();
    let visit = |i: usize, reached: &mut Vec<bool>, queue: &mut VecDeque<usize>| {
        if !reached[i] {
            reached[i] = true;
            queue.push_back(i);
        }
    };
    for &i in &entry {
        visit(i, &mut reached, &mut queue);
    }
    for &r in &entry_routes {
        for &t in routes[r].targets.iter().flatten() {
            visit(t, &mut reached, &mut queue);
        }
    }
    loop {
        while let Some(i) = queue.pop_front() {
            let node = &nodes[i];
            let mut out: Vec<usize> = node.next.clone();
            out.extend(node.destinations.iter().copied());
            for &r in &node.routes {
                out.extend(routes[r].targets.iter().flatten().copied());
            }
            for t in out {
                visit(t, &mut reached, &mut queue);
            }
        }
        let mut progressed = false;
        for join in &compiled_joins {
            if !reached[join.target] && join.sources.iter().all(|&s| reached[s]) {
                visit(join.target, &mut reached, &mut queue);
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    let unreachable: Vec<String> = nodes
        .iter()
        .zip(&reached)
        .filter(|(_, reached)| !**reached)
        .map(|(node, _)| node.id.to_string())
        .collect();
    if !unreachable.is_empty() {
        return Err(BuildError::Unreachable(unreachable));
    }

    // Pull tasks apply in node-name order; precompute each node's rank in that order.
    let mut by_name: Vec<usize> = (0..nodes.len()).collect();
    by_name.sort_by(|&a, &b| nodes[a].id.cmp(&nodes[b].id));
    let mut name_rank = vec![0; nodes.len()];
    for (rank, &i) in by_name.iter().enumerate() {
        name_rank[i] = rank;
    }

    Ok(GraphInner {
        nodes,
        index,
        entry,
        entry_routes,
        routes,
        joins: compiled_joins,
        name_rank,
    })
}
