//! Drawing and describing a compiled graph: DOT (through petgraph), Mermaid, a JSON description
//! for servers, and JSON Schemas of the state and the input.
//!
//! Edge kinds are drawn apart: static edges solid, conditional edges and command destinations
//! dashed, join edges bold. START and END have their own shapes. A run's executed nodes can be
//! highlighted.

mod drawing;

use std::fmt::Write as _;

use petgraph::dot::{Config, Dot};
use petgraph::graph::DiGraph;
use serde::{Deserialize, Serialize};

use crate::compiled::CompiledGraph;
use crate::ids::NodeId;
use crate::node::Endpoint;
use crate::state::State;

use drawing::Drawing;

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

    /// The graph in Graphviz DOT. A subgraph is drawn opened up (LangGraph's `xray`): a
    /// cluster named after its node holds the subgraph's own START, nodes and END, and the
    /// node's edges enter at that START and leave from that END. A deferred node
    /// ([`crate::NodeOptions::defer`]) has a dashed border.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use graph_core::{Ctx, START, State, StateGraph};
    ///
    /// #[derive(State, Clone, Default, Debug)]
    /// struct Trace {
    ///     #[state(append)]
    ///     log: Vec<String>,
    /// }
    ///
    /// # fn main() -> Result<(), graph_core::BuildError> {
    /// let mut child = StateGraph::<Trace>::new();
    /// child.add_node("check", |_s: Arc<Trace>, _ctx: Ctx| async { Ok(()) });
    /// child.add_edge(START, "check");
    /// let mut graph = StateGraph::<Trace>::new();
    /// graph.add_subgraph("review", child.compile()?);
    /// graph.add_node("sum", |_s: Arc<Trace>, _ctx: Ctx| async { Ok(()) }).defer();
    /// graph.add_edge(START, "review").add_edge("review", "sum");
    /// let dot = graph.compile()?.to_dot();
    /// assert!(dot.contains("subgraph cluster_0 {"));
    /// assert!(dot.contains(r#"label="sum" shape=box style="rounded,filled,dashed""#));
    /// # Ok(()) }
    /// ```
    pub fn to_dot(&self) -> String {
        self.to_dot_highlighting(&[])
    }

    /// The graph in Graphviz DOT, with `executed` nodes (e.g. [`crate::RunOutput::executed`])
    /// filled and the edges between them coloured; `"__end__"` among them lights END too (a
    /// run that finished). An executed subgraph node lights its cluster's START and END (which
    /// of its nodes ran is the subgraph's own history).
    pub fn to_dot_highlighting(&self, executed: &[NodeId]) -> String {
        let drawing = Drawing::of(&self.plan);
        let lit = drawing.lit(executed);
        // Weights are indices into the drawing; petgraph only lays out the text.
        let mut graph: DiGraph<usize, usize> = DiGraph::new();
        let indices: Vec<_> = (0..drawing.vertices.len())
            .map(|v| graph.add_node(v))
            .collect();
        for (i, edge) in drawing.edges.iter().enumerate() {
            graph.add_edge(indices[edge.from], indices[edge.to], i);
        }
        let node_attributes = |_, (_, &v): (_, &usize)| {
            let vertex = &drawing.vertices[v];
            let fill = if lit[v] { "#9ae6b4" } else { "#ffffff" };
            match vertex.kind {
                NodeKind::Start | NodeKind::End => {
                    let (label, shape) = match vertex.kind {
                        NodeKind::Start => ("start", "circle"),
                        _ => ("end", "doublecircle"),
                    };
                    let fill = if lit[v] { "#9ae6b4" } else { "#e2e8f0" };
                    format!("label=\"{label}\" shape={shape} style=filled fillcolor=\"{fill}\"")
                }
                NodeKind::Node | NodeKind::Push => {
                    let shape = if vertex.kind == NodeKind::Push {
                        "box3d"
                    } else {
                        "box"
                    };
                    let dashed = if vertex.deferred { ",dashed" } else { "" };
                    format!(
                        "label=\"{}\" shape={shape} style=\"rounded,filled{dashed}\" fillcolor=\"{fill}\"",
                        escape_dot(&vertex.name),
                    )
                }
            }
        };
        let edge_attributes = |_, edge: petgraph::graph::EdgeReference<'_, usize>| {
            let e = drawing.edges[*edge.weight()];
            let mut attributes = match e.kind {
                EdgeKind::Static => String::new(),
                EdgeKind::Conditional => "style=dashed".to_owned(),
                EdgeKind::Command => "style=dashed color=\"#718096\"".to_owned(),
                EdgeKind::Join => "style=bold".to_owned(),
            };
            if lit[e.from] && lit[e.to] {
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
        let mut out = format!("{dot:?}");
        // petgraph has no clusters: they go before the closing brace, naming vertices it drew
        // (a vertex named in a cluster is laid out in it).
        if !drawing.clusters.is_empty() {
            let body = out.trim_end().strip_suffix('}').unwrap_or(&out).to_owned();
            out = body;
            dot_clusters(&drawing, None, 1, &mut out);
            out.push_str("}\n");
        }
        out
    }

    /// The graph in Mermaid (`graph TD;`), drawn like LangGraph's `draw_mermaid()`, subgraphs
    /// opened up like its `xray`: a `subgraph` block named after the node holds the subgraph's
    /// own START, nodes and END, as in [`CompiledGraph::to_dot`]. A deferred node has the
    /// `deferred` class (a dashed border).
    pub fn to_mermaid(&self) -> String {
        let drawing = Drawing::of(&self.plan);
        let ids: Vec<String> = drawing
            .vertices
            .iter()
            .enumerate()
            .map(|(i, v)| match (v.cluster, v.kind) {
                (None, NodeKind::Start | NodeKind::End) => v.name.clone(),
                (None, _) => mermaid_id(&v.name, i),
                // A subgraph's names may repeat its parent's: its ids are its positions.
                (Some(_), _) => format!("__node{i}"),
            })
            .collect();
        let mut out = String::from("graph TD;\n");
        mermaid_block(&drawing, &ids, None, &mut out);
        for edge in &drawing.edges {
            let arrow = match edge.kind {
                EdgeKind::Static => "-->",
                EdgeKind::Conditional | EdgeKind::Command => "-.->",
                EdgeKind::Join => "==>",
            };
            let _ = writeln!(out, "\t{} {arrow} {};", ids[edge.from], ids[edge.to]);
        }
        out.push_str("\tclassDef default fill:#f2f0ff,line-height:1.2\n");
        out.push_str("\tclassDef first fill-opacity:0\n");
        out.push_str("\tclassDef last fill:#bfb6fc\n");
        let deferred_clusters: Vec<usize> = (0..drawing.clusters.len())
            .filter(|&c| drawing.clusters[c].deferred)
            .collect();
        if drawing.vertices.iter().any(|v| v.deferred) || !deferred_clusters.is_empty() {
            out.push_str("\tclassDef deferred stroke-dasharray:5 5\n");
        }
        for c in deferred_clusters {
            let _ = writeln!(out, "\tclass __cluster{c} deferred");
        }
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

/// Writes the DOT clusters inside `parent` (`None`: the root graph), `depth` levels indented.
fn dot_clusters(drawing: &Drawing, parent: Option<usize>, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    for c in drawing.children(parent) {
        let cluster = &drawing.clusters[c];
        let style = if cluster.deferred {
            "rounded,dashed"
        } else {
            "rounded"
        };
        let _ = writeln!(out, "{indent}subgraph cluster_{c} {{");
        let _ = writeln!(out, "{indent}    label=\"{}\"", escape_dot(&cluster.name));
        let _ = writeln!(out, "{indent}    style=\"{style}\" color=\"#a0aec0\"");
        for (v, vertex) in drawing.vertices.iter().enumerate() {
            if vertex.cluster == Some(c) {
                let _ = writeln!(out, "{indent}    {v}");
            }
        }
        dot_clusters(drawing, Some(c), depth + 1, out);
        let _ = writeln!(out, "{indent}}}");
    }
}

/// Writes the Mermaid vertices of `cluster` (`None`: the root graph), then its clusters' blocks.
fn mermaid_block(drawing: &Drawing, ids: &[String], cluster: Option<usize>, out: &mut String) {
    for (vertex, id) in drawing.vertices.iter().zip(ids) {
        if vertex.cluster != cluster {
            continue;
        }
        let name = &vertex.name;
        let _ = match vertex.kind {
            NodeKind::Start => writeln!(out, "\t{id}([<p>{name}</p>]):::first"),
            NodeKind::End => writeln!(out, "\t{id}([<p>{name}</p>]):::last"),
            _ => {
                let class = if vertex.deferred { ":::deferred" } else { "" };
                if id == name {
                    writeln!(out, "\t{id}({id}){class}")
                } else {
                    writeln!(out, "\t{id}(\"{}\"){class}", escape_mermaid(name))
                }
            }
        };
    }
    for c in drawing.children(cluster) {
        let name = escape_mermaid(&drawing.clusters[c].name);
        let _ = writeln!(out, "\tsubgraph __cluster{c} [\"{name}\"]");
        mermaid_block(drawing, ids, Some(c), out);
        out.push_str("\tend\n");
    }
}
