//! The plan: the frozen, index-addressed form of a graph that every run reads ([`Plan`], with
//! its nodes, conditional edges and joins), and [`compile`], which checks what the builder
//! recorded ([`GraphDef`]) and resolves it into one.
//!
//! The plan sits below the run and the public handle: it knows nodes, edges and retry policies,
//! and nothing about checkpoints, streams or how a run proceeds.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::cache::CachePolicy;
use crate::error::BuildError;
use crate::ids::NodeId;
use crate::node::{Endpoint, ErasedNode, ErrorHandler, Route};
use crate::retry::RetryPolicy;
use crate::state::State;
use crate::timeout::TimeoutPolicy;

mod outline;

pub(crate) use outline::{ChildAddress, ChildGraph, Outline};

/// A node of the plan, with its outgoing edges resolved to node indices.
pub(crate) struct CompiledNode<S: State> {
    pub(crate) id: NodeId,
    pub(crate) runner: Arc<dyn ErasedNode<S>>,
    pub(crate) takes_push: bool,
    pub(crate) retry: Option<RetryPolicy>,
    /// How long an attempt may run, in all and idle.
    pub(crate) timeout: TimeoutPolicy,
    /// What runs, as a task of its own, when the node fails after its retries.
    pub(crate) on_error: Option<ErrorHandler<S>>,
    /// How its results are cached, when the graph has a cache.
    pub(crate) cache: Option<CachePolicy<S>>,
    /// Static edge targets.
    pub(crate) next: Vec<usize>,
    /// Whether a static edge goes to END (for drawing).
    pub(crate) ends: bool,
    /// Conditional edges leaving this node (indices into `Plan::routes`).
    pub(crate) routes: Vec<usize>,
    /// Joins this node is a source of: (join index, position among its sources).
    pub(crate) joins: Vec<(usize, usize)>,
    /// Declared command destinations.
    pub(crate) destinations: Vec<usize>,
    pub(crate) interrupt_before: bool,
    pub(crate) interrupt_after: bool,
    /// Whether a trigger waits until no other task is planned (see `Frontier::normalize`).
    pub(crate) defer: bool,
    /// For a subgraph node, the subgraph (its runner runs it; this is for checks, drawing and
    /// reading its state), whatever its state type.
    pub(crate) subgraph: Option<Arc<dyn ChildGraph>>,
}

/// A conditional edge of the plan.
pub(crate) struct CompiledRoute<S: State> {
    pub(crate) from: Endpoint,
    /// Declared targets; `None` is END.
    pub(crate) targets: Vec<Option<usize>>,
    pub(crate) route: RouteFn<S>,
}

/// A join edge: `target` runs once every one of `sources` has run since it last ran.
pub(crate) struct CompiledJoin {
    pub(crate) sources: Vec<usize>,
    pub(crate) target: usize,
}

/// The frozen plan of a graph: what `compile()` checked and resolved, addressed by node index.
/// Runs only read it; stored records name nodes instead, so they outlive a recompile.
pub(crate) struct Plan<S: State> {
    pub(crate) nodes: Vec<CompiledNode<S>>,
    pub(crate) index: HashMap<NodeId, usize>,
    /// Static START targets.
    pub(crate) entry: Vec<usize>,
    /// Conditional edges from START.
    pub(crate) entry_routes: Vec<usize>,
    pub(crate) routes: Vec<CompiledRoute<S>>,
    pub(crate) joins: Vec<CompiledJoin>,
    /// Each node's position in node-name order (the order pull tasks apply in).
    pub(crate) name_rank: Vec<usize>,
}

/// A conditional edge's function: reads the state (as of the start of the superstep, plus the
/// source node's own update) and picks destinations.
pub(crate) type RouteFn<S> = Arc<dyn Fn(&S) -> Route + Send + Sync>;

/// A node as the builder recorded it.
pub(crate) struct NodeDef<S: State> {
    pub(crate) id: NodeId,
    pub(crate) runner: Arc<dyn ErasedNode<S>>,
    pub(crate) takes_push: bool,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) timeout: Option<TimeoutPolicy>,
    pub(crate) on_error: Option<ErrorHandler<S>>,
    pub(crate) cache: Option<CachePolicy<S>>,
    pub(crate) destinations: Vec<NodeId>,
    pub(crate) interrupt_before: bool,
    pub(crate) interrupt_after: bool,
    pub(crate) defer: bool,
    pub(crate) subgraph: Option<Arc<dyn ChildGraph>>,
}

/// A conditional edge as the builder recorded it.
pub(crate) struct ConditionalDef<S: State> {
    pub(crate) from: Endpoint,
    pub(crate) targets: Vec<Endpoint>,
    pub(crate) route: RouteFn<S>,
}

/// Everything the builder recorded, unchecked: the input of [`compile`].
pub(crate) struct GraphDef<S: State> {
    pub(crate) nodes: Vec<NodeDef<S>>,
    pub(crate) edges: Vec<(Endpoint, Endpoint)>,
    pub(crate) conditional: Vec<ConditionalDef<S>>,
    /// Join edges: (sources, target).
    pub(crate) joins: Vec<(Vec<NodeId>, NodeId)>,
}

impl<S: State> Default for GraphDef<S> {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            edges: Vec::new(),
            conditional: Vec::new(),
            joins: Vec::new(),
        }
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
    } else if name.contains([':', '|']) {
        // They separate the levels of a nested checkpoint namespace and the parts of a
        // stream event's name, as in LangGraph.
        "`:` and `|` are reserved for namespaces"
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

/// Checks a graph's definition (names, edges, entry, reachability) and resolves it into a plan.
pub(crate) fn compile<S: State>(graph: GraphDef<S>) -> Result<Plan<S>, BuildError> {
    let GraphDef {
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
        // A Push is a task of the superstep after it is sent, with its own input: there is no
        // trigger to hold back and no "once" to merge several pushes into.
        if def.defer && def.takes_push {
            return Err(BuildError::DeferredPushNode(def.id.to_string()));
        }
        // A push node's input is its argument, which is its key; a key function reads state.
        if def.takes_push && def.cache.as_ref().is_some_and(|c| c.key.is_some()) {
            return Err(BuildError::CacheKeyOnPushNode(def.id.to_string()));
        }
        // A breakpoint pauses a run between supersteps, and a subgraph's supersteps happen
        // inside one task of its parent: there is no point of the parent to pause at.
        if let Some(child) = &def.subgraph
            && let Some(node) = child.outline().nodes.iter().find(|n| n.breakpoint)
        {
            return Err(BuildError::SubgraphBreakpoint {
                subgraph: def.id.to_string(),
                node: node.id.to_string(),
            });
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
            timeout: def.timeout.unwrap_or_default(),
            on_error: def.on_error,
            cache: def.cache,
            next: Vec::new(),
            ends: false,
            routes: Vec::new(),
            joins: Vec::new(),
            destinations: Vec::new(),
            interrupt_before: def.interrupt_before,
            interrupt_after: def.interrupt_after,
            defer: def.defer,
            subgraph: def.subgraph,
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

    Ok(Plan {
        nodes,
        index,
        entry,
        entry_routes,
        routes,
        joins: compiled_joins,
        name_rank,
    })
}
