//! What DOT and Mermaid draw: a graph's vertices and edges with every subgraph opened up
//! (LangGraph's `xray`), its vertices in a cluster of their own.
//!
//! A subgraph node is not a vertex: its cluster holds the subgraph's own START, nodes and END,
//! edges into the node go to that START, and edges out of it leave from that END, so the
//! subgraph's edges are drawn as they are, whatever its entry and exits.

use crate::plan::{Outline, Plan};
use crate::state::State;

use super::{EdgeKind, NodeKind};

/// A vertex to draw.
pub(super) struct Vertex {
    /// A node's name, or `__start__` / `__end__`.
    pub(super) name: String,
    pub(super) kind: NodeKind,
    /// Whether the node is deferred (`NodeOptions::defer`).
    pub(super) deferred: bool,
    /// The innermost cluster holding it; `None` in the root graph.
    pub(super) cluster: Option<usize>,
}

/// A subgraph's cluster.
pub(super) struct Cluster {
    /// The subgraph node's name in its graph.
    pub(super) name: String,
    /// Whether the subgraph node is deferred.
    pub(super) deferred: bool,
    /// The cluster of the graph the subgraph node is in; `None` for the root graph.
    pub(super) parent: Option<usize>,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// An edge between two vertices.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Edge {
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) kind: EdgeKind,
}

#[derive(Default)]
pub(super) struct Drawing {
    pub(super) vertices: Vec<Vertex>,
    pub(super) edges: Vec<Edge>,
    pub(super) clusters: Vec<Cluster>,
}

impl Drawing {
    /// The drawing of `plan`. For a graph without subgraphs its vertices and edges are those of
    /// `describe`, in the same order.
    pub(super) fn of<S: State>(plan: &Plan<S>) -> Self {
        let mut drawing = Self::default();
        drawing.add(&plan.outline(), None);
        drawing
    }

    /// The clusters directly inside `parent` (`None`: the root graph), in order.
    pub(super) fn children(&self, parent: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        (0..self.clusters.len()).filter(move |&c| self.clusters[c].parent == parent)
    }

    /// Adds `plan` in `cluster`, and returns its START and END vertices.
    fn add(&mut self, plan: &Outline, cluster: Option<usize>) -> (usize, usize) {
        let start = self.vertex(super::START_ID, NodeKind::Start, false, cluster);
        // Where each node is entered and left: its vertex, or its subgraph's START and END.
        let mut ways = Vec::with_capacity(plan.nodes.len());
        for node in &plan.nodes {
            let way = match &node.subgraph {
                Some(child) => {
                    let c = self.clusters.len();
                    self.clusters.push(Cluster {
                        name: node.id.to_string(),
                        deferred: node.defer,
                        parent: cluster,
                        start: 0,
                        end: 0,
                    });
                    let (start, end) = self.add(child, Some(c));
                    (self.clusters[c].start, self.clusters[c].end) = (start, end);
                    (start, end)
                }
                None => {
                    let kind = if node.takes_push {
                        NodeKind::Push
                    } else {
                        NodeKind::Node
                    };
                    let v = self.vertex(node.id.as_str(), kind, node.defer, cluster);
                    (v, v)
                }
            };
            ways.push(way);
        }
        let end = self.vertex(super::END_ID, NodeKind::End, false, cluster);
        let into = |t: Option<usize>| t.map_or(end, |t| ways[t].0);

        for &t in &plan.entry {
            self.edge(start, ways[t].0, EdgeKind::Static);
        }
        for route in &plan.routes {
            if route.from == crate::node::Endpoint::Start {
                for &t in &route.targets {
                    self.edge(start, into(t), EdgeKind::Conditional);
                }
            }
        }
        for (node, &(_, out)) in plan.nodes.iter().zip(&ways) {
            for &t in &node.next {
                self.edge(out, ways[t].0, EdgeKind::Static);
            }
            if node.ends {
                self.edge(out, end, EdgeKind::Static);
            }
            for &r in &node.routes {
                for &t in &plan.routes[r].targets {
                    self.edge(out, into(t), EdgeKind::Conditional);
                }
            }
            for &d in &node.destinations {
                self.edge(out, ways[d].0, EdgeKind::Command);
            }
        }
        for join in &plan.joins {
            for &s in &join.sources {
                self.edge(ways[s].1, ways[join.target].0, EdgeKind::Join);
            }
        }
        (start, end)
    }

    fn vertex(
        &mut self,
        name: &str,
        kind: NodeKind,
        deferred: bool,
        cluster: Option<usize>,
    ) -> usize {
        self.vertices.push(Vertex {
            name: name.to_owned(),
            kind,
            deferred,
            cluster,
        });
        self.vertices.len() - 1
    }

    /// Adds an edge unless the same one is drawn already (two routes may name one target).
    fn edge(&mut self, from: usize, to: usize, kind: EdgeKind) {
        let edge = Edge { from, to, kind };
        if !self.edges.contains(&edge) {
            self.edges.push(edge);
        }
    }

    /// Which vertices a run that executed `executed` (the root graph's nodes) went through: those
    /// nodes, the root's START once anything ran, and the START and END of an executed
    /// subgraph node's cluster (which of its nodes ran is not known here).
    pub(super) fn lit(&self, executed: &[crate::ids::NodeId]) -> Vec<bool> {
        let ran = |name: &str| executed.iter().any(|n| n.as_str() == name);
        let mut lit: Vec<bool> = self
            .vertices
            .iter()
            .map(|v| {
                v.cluster.is_none()
                    && match v.kind {
                        NodeKind::Start => !executed.is_empty(),
                        // A finished run lists END ("__end__", as LangGraph names it).
                        NodeKind::End => ran("__end__"),
                        NodeKind::Node | NodeKind::Push => ran(&v.name),
                    }
            })
            .collect();
        for c in self.children(None) {
            let cluster = &self.clusters[c];
            if ran(&cluster.name) {
                lit[cluster.start] = true;
                lit[cluster.end] = true;
            }
        }
        lit
    }
}
