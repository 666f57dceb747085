//! Drawing and describing a compiled graph: DOT (through petgraph), Mermaid, a JSON description
//! for servers, and JSON Schemas of the state and the input.
//!
//! Edge kinds are drawn apart: static edges solid, conditional edges and command destinations
//! dashed, join edges bold. START and END have their own shapes. A run's executed nodes can be
//! highlighted.

use std::collections::HashSet;
use std::fmt::Write as _;

use petgraph::dot::{Config, Dot};
use petgraph::graph::DiGraph;
use serde::{Deserialize, Serialize};

use crate::compiled::CompiledGraph;
use crate::ids::NodeId;
use crate::node::Endpoint;
use crate::state::State;

/// What kind of edge an [`EdgeDescription`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    /// Always taken after the source runs.
    Static,
    /// Taken when the source's conditional edge picks it.
    Conditional,
    /// A declared destination of the source's commands.
    Command,
    /// Part of a join: the target runs after all its sources.
    Join,
}

/// What kind of vertex a [`NodeDescription`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// START.
    Start,
    /// END.
    End,
    /// A node whose input is the state.
    Node,
    /// A node started by `Push`es.
    Push,
}

/// A vertex of a [`GraphDescription`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeDescription {
    /// The node name, or `__start__` / `__end__`.
    pub id: String,
    /// Its kind.
    #[serde(rename = "type")]
    pub kind: NodeKind,
}

/// An edge of a [`GraphDescription`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeDescription {
    /// The source vertex id.
    pub source: String,
    /// The target vertex id.
    pub target: String,
    /// Whether it is taken only sometimes (conditional and command edges).
    pub conditional: bool,
    /// Its kind.
    pub kind: EdgeKind,
}

/// A JSON-ready description of a graph, shaped like LangGraph's `get_graph().to_json()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphDescription {
    /// START, every node in the order added, then END.
    pub nodes: Vec<NodeDescription>,
    /// Every edge.
    pub edges: Vec<EdgeDescription>,
}

const START_ID: &str = "__start__";
const END_ID: &str = "__end__";

fn escape_dot(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A Mermaid-safe vertex id: the name when it is plain, otherwise one derived from its position
/// with the reserved `__` prefix, which no node name can have, so ids never collide.
fn mermaid_id(name: &str, position: usize) -> String {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    // `end` is a Mermaid keyword.
    if plain && !name.eq_ignore_ascii_case("end") {
        name.to_owned()
    } else {
        format!("__node{position}")
    }
}

fn escape_mermaid(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

impl<S: State> CompiledGraph<S> {
    /// The graph's vertices and edges.
    pub fn describe(&self) -> GraphDescription {
        let graph = &self.plan;
        let mut nodes = vec![NodeDescription {
            id: START_ID.into(),
            kind: NodeKind::Start,
        }];
        nodes.extend(graph.nodes.iter().map(|n| NodeDescription {
            id: n.id.to_string(),
            kind: if n.takes_push {
                NodeKind::Push
            } else {
                NodeKind::Node
            },
        }));
        nodes.push(NodeDescription {
            id: END_ID.into(),
            kind: NodeKind::End,
        });

        let name = |i: usize| graph.nodes[i].id.to_string();
        let target = |t: Option<usize>| t.map_or_else(|| END_ID.to_owned(), name);
        let mut edges = Vec::new();
        let mut add = |source: String, target: String, kind: EdgeKind| {
            let edge = EdgeDescription {
                source,
                target,
                conditional: matches!(kind, EdgeKind::Conditional | EdgeKind::Command),
                kind,
            };
            if !edges.contains(&edge) {
                edges.push(edge);
            }
        };
        for &t in &graph.entry {
            add(START_ID.into(), name(t), EdgeKind::Static);
        }
        for route in &graph.routes {
            if route.from == Endpoint::Start {
                for &t in &route.targets {
                    add(START_ID.into(), target(t), EdgeKind::Conditional);
                }
            }
        }
        for node in &graph.nodes {
            let from = node.id.to_string();
            for &t in &node.next {
                add(from.clone(), name(t), EdgeKind::Static);
            }
            if node.ends {
                add(from.clone(), END_ID.into(), EdgeKind::Static);
            }
            for &r in &node.routes {
                for &t in &graph.routes[r].targets {
                    add(from.clone(), target(t), EdgeKind::Conditional);
                }
            }
            for &d in &node.destinations {
                add(from.clone(), name(d), EdgeKind::Command);
            }
        }
        for join in &graph.joins {
            for &s in &join.sources {
                add(name(s), name(join.target), EdgeKind::Join);
            }
        }
        GraphDescription { nodes, edges }
    }

    /// The graph in Graphviz DOT.
    pub fn to_dot(&self) -> String {
        self.to_dot_highlighting(&[])
    }

    /// The graph in Graphviz DOT, with `executed` nodes (e.g. [`crate::RunOutput::executed`])
    /// filled and the edges between them coloured.
    pub fn to_dot_highlighting(&self, executed: &[NodeId]) -> String {
        let description = self.describe();
        let done: HashSet<&str> = executed.iter().map(NodeId::as_str).collect();
        let mut graph: DiGraph<NodeDescription, EdgeDescription> = DiGraph::new();
        let indices: Vec<_> = description
            .nodes
            .iter()
            .map(|n| graph.add_node(n.clone()))
            .collect();
        let position = |id: &str| {
            description
                .nodes
                .iter()
                .position(|n| n.id == id)
                .expect("described")
        };
        for edge in &description.edges {
            graph.add_edge(
                indices[position(&edge.source)],
                indices[position(&edge.target)],
                edge.clone(),
            );
        }
        let lit = |id: &str| done.contains(id) || (id == START_ID && !done.is_empty());
        let node_attributes = |_, (_, node): (_, &NodeDescription)| {
            let mut attributes = match node.kind {
                NodeKind::Start => {
                    "label=\"start\" shape=circle style=filled fillcolor=\"#e2e8f0\"".to_owned()
                }
                NodeKind::End => {
                    "label=\"end\" shape=doublecircle style=filled fillcolor=\"#e2e8f0\"".to_owned()
                }
                NodeKind::Node | NodeKind::Push => {
                    let shape = if node.kind == NodeKind::Push {
                        "box3d"
                    } else {
                        "box"
                    };
                    format!(
                        "label=\"{}\" shape={shape} style=\"rounded,filled\" fillcolor=\"{}\"",
                        escape_dot(&node.id),
                        if done.contains(node.id.as_str()) {
                            "#9ae6b4"
                        } else {
                            "#ffffff"
                        }
                    )
                }
            };
            if node.kind == NodeKind::Start && lit(START_ID) {
                attributes = attributes.replace("#e2e8f0", "#9ae6b4");
            }
            attributes
        };
        let edge_attributes = |_, edge: petgraph::graph::EdgeReference<'_, EdgeDescription>| {
            let e = edge.weight();
            let mut attributes = match e.kind {
                EdgeKind::Static => String::new(),
                EdgeKind::Conditional => "style=dashed".to_owned(),
                EdgeKind::Command => "style=dashed color=\"#718096\"".to_owned(),
                EdgeKind::Join => "style=bold".to_owned(),
            };
            if lit(&e.source) && done.contains(e.target.as_str()) {
                attributes.push_str(" color=\"#2f855a\" penwidth=2");
            }
            attributes
        };
        let dot = Dot::with_attr_getters(
            &graph,
            &[Config::NodeNoLabel, Config::EdgeNoLabel],
            &edge_attributes,
            &node_attributes,
        );
        format!("{dot:?}")
    }

    /// The graph in Mermaid (`graph TD;`), drawn like LangGraph's `draw_mermaid()`.
    pub fn to_mermaid(&self) -> String {
        let description = self.describe();
        let ids: Vec<String> = description
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| match n.kind {
                NodeKind::Start | NodeKind::End => n.id.clone(),
                _ => mermaid_id(&n.id, i),
            })
            .collect();
        let id_of = |name: &str| {
            let i = description
                .nodes
                .iter()
                .position(|n| n.id == name)
                .expect("described");
            ids[i].as_str()
        };
        let mut out = String::from("graph TD;\n");
        for (node, id) in description.nodes.iter().zip(&ids) {
            let _ = match node.kind {
                NodeKind::Start => writeln!(out, "\t{id}([<p>{id}</p>]):::first"),
                NodeKind::End => writeln!(out, "\t{id}([<p>{id}</p>]):::last"),
                _ if *id == node.id => writeln!(out, "\t{id}({id})"),
                _ => writeln!(out, "\t{id}(\"{}\")", escape_mermaid(&node.id)),
            };
        }
        for edge in &description.edges {
            let arrow = match edge.kind {
                EdgeKind::Static => "-->",
                EdgeKind::Conditional | EdgeKind::Command => "-.->",
                EdgeKind::Join => "==>",
            };
            let _ = writeln!(
                out,
                "\t{} {arrow} {};",
                id_of(&edge.source),
                id_of(&edge.target)
            );
        }
        out.push_str("\tclassDef default fill:#f2f0ff,line-height:1.2\n");
        out.push_str("\tclassDef first fill-opacity:0\n");
        out.push_str("\tclassDef last fill:#bfb6fc\n");
        out
    }

    /// The JSON Schema of the state.
    pub fn state_schema(&self) -> serde_json::Value
    where
        S: schemars::JsonSchema,
    {
        schemars::schema_for!(S).to_value()
    }

    /// The JSON Schema of the input (the state's update type: every field optional). Derive it
    /// with `#[state(schema)]` on the state.
    pub fn input_schema(&self) -> serde_json::Value
    where
        S::Update: schemars::JsonSchema,
    {
        schemars::schema_for!(S::Update).to_value()
    }
}
