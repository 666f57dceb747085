//! The frontier: which tasks the next superstep runs, which deferred nodes wait for a superstep
//! with nothing else to run, and how far each join has got, plus the stored forms of the
//! frontier and of a finished task's output.
//!
//! Deferred nodes and join progress are triggers, not tasks: they live here, in the checkpoint,
//! so a run that stops while they wait (a pause, a failure, a crash) finds them on resume.
//!
//! Stored forms name nodes, never indices, so a checkpoint stays readable by a recompiled graph
//! and a missing node is reported by name.

use serde::{Deserialize, Serialize};

use crate::ids::{CheckpointId, Namespace, NodeId, TaskId, TaskPath};
use crate::node::StateType;
use crate::plan::Plan;
use crate::state::State;

/// A push task waiting for the next superstep.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PendingPush {
    pub(crate) node: usize,
    pub(crate) input: PushInput,
}

/// What a push task hands its node, as JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PushInput {
    /// The argument of a push node (`Push::new`), its input instead of the state.
    Arg(serde_json::Value),
    /// A state update (`Push::state`) for an ordinary node: its input is the superstep's state
    /// with the update applied, for this task only.
    State(serde_json::Value),
}

impl PushInput {
    fn record(&self, node: NodeId) -> PushRecord {
        let (arg, state) = match self {
            PushInput::Arg(arg) => (arg.clone(), false),
            PushInput::State(update) => (update.clone(), true),
        };
        PushRecord {
            node,
            arg,
            state,
            state_type: None,
        }
    }

    fn from_record(record: PushRecord) -> Self {
        if record.state {
            PushInput::State(record.arg)
        } else {
            PushInput::Arg(record.arg)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frontier {
    /// Nodes triggered by edges, in node-name order, each once.
    pub(crate) pull: Vec<usize>,
    /// Push tasks, in push order.
    pub(crate) push: Vec<PendingPush>,
    /// Deferred nodes triggered while other tasks were planned, in node-name order, each once.
    /// `normalize` moves them to `pull` when `pull` and `push` are empty, so a normalized
    /// frontier with waiting deferred nodes always has another task planned.
    pub(crate) deferred: Vec<usize>,
    /// Per join: which of its sources have run, in this run, since its target last ran.
    pub(crate) joins: Vec<Vec<bool>>,
}

/// A task of the superstep about to run.
pub(crate) struct PlannedTask {
    pub(crate) id: TaskId,
    pub(crate) path: TaskPath,
    pub(crate) node: usize,
    /// A push task's input; `None` for a pull task, which takes the state.
    pub(crate) input: Option<PushInput>,
}

/// What a finished task produced: its update and the destinations it chose beyond static edges.
pub(crate) struct TaskOutput<S: State> {
    pub(crate) update: S::Update,
    pub(crate) goto: Vec<usize>,
    pub(crate) push: Vec<PendingPush>,
    /// Set when the task's node sent its command to the parent graph (`Command::parent`): then
    /// `update` is the parent's, `goto` and `push` are empty, and this says where the parent
    /// goes, by name (only the parent's plan can resolve it). Boxed: it is rare, and every
    /// task's output is moved several times on its way to the checkpoint.
    pub(crate) to_parent: Option<Box<ParentRoute>>,
    /// Whether the node's error handler made it (`NodeOptions::on_error`): the node did not
    /// finish, so only the handler's own destinations count, not the node's edges or joins.
    pub(crate) handled: bool,
    /// Whether it came from the node cache (`CachePolicy`) instead of a call of the node. Not
    /// stored: a reused output is the task's, however it was made.
    pub(crate) cached: bool,
}

/// The destinations of a command for the parent graph, as the parent's node names.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ParentRoute {
    pub(crate) goto: Vec<NodeId>,
    pub(crate) push: Vec<PushRecord>,
}

impl Frontier {
    pub(crate) fn empty<S: State>(graph: &Plan<S>) -> Self {
        Self {
            pull: Vec::new(),
            push: Vec::new(),
            deferred: Vec::new(),
            joins: graph
                .joins
                .iter()
                .map(|j| vec![false; j.sources.len()])
                .collect(),
        }
    }

    /// Whether nothing is planned and nothing waits: the run is over.
    pub(crate) fn is_idle(&self) -> bool {
        self.pull.is_empty() && self.push.is_empty() && self.deferred.is_empty()
    }

    /// The first join (in the order the joins were added) that heard from some of its sources
    /// but not all.
    pub(crate) fn starved_join(&self) -> Option<usize> {
        self.joins
            .iter()
            .position(|arrived| arrived.contains(&true) && arrived.contains(&false))
    }

    /// Plans `node` as a pull task of the next superstep, or, if it is deferred, lets it wait.
    pub(crate) fn trigger<S: State>(&mut self, graph: &Plan<S>, node: usize) {
        if graph.nodes[node].defer {
            self.deferred.push(node);
        } else {
            self.pull.push(node);
        }
    }

    /// Orders and deduplicates the pull tasks and the waiting deferred nodes, and releases the
    /// deferred nodes when nothing else is planned: they run in the superstep that would
    /// otherwise have no task (LangGraph's `finish`), all together, each once.
    pub(crate) fn normalize<S: State>(&mut self, graph: &Plan<S>) {
        for nodes in [&mut self.pull, &mut self.deferred] {
            nodes.sort_by_key(|&n| graph.name_rank[n]);
            nodes.dedup();
        }
        if self.pull.is_empty() && self.push.is_empty() {
            self.pull = std::mem::take(&mut self.deferred);
        }
    }

    /// What carries over from this frontier to the next superstep's: the waiting deferred nodes
    /// and the join progress, without the tasks planned (they are this superstep's). Built, not
    /// cloned and cleared, so the planned pushes' inputs are not copied only to be dropped.
    pub(crate) fn carried_over(&self) -> Self {
        Self {
            pull: Vec::new(),
            push: Vec::new(),
            deferred: self.deferred.clone(),
            joins: self.joins.clone(),
        }
    }

    /// Records that a task of `node` ended with `output`: its chosen destinations and, unless
    /// its error handler made the output (the node did not finish), its static edges and joins.
    /// The output's pushes move into the frontier (`output.push` is left empty): a fan-out's
    /// inputs are not copied.
    pub(crate) fn record<S: State>(
        &mut self,
        graph: &Plan<S>,
        node: usize,
        output: &mut TaskOutput<S>,
    ) {
        let edges = if output.handled {
            &[][..]
        } else {
            &graph.nodes[node].next[..]
        };
        for &next in edges.iter().chain(&output.goto) {
            self.trigger(graph, next);
        }
        self.push.append(&mut output.push);
        if output.handled {
            return;
        }
        for &(join, position) in &graph.nodes[node].joins {
            let arrived = &mut self.joins[join];
            arrived[position] = true;
            if arrived.iter().all(|&a| a) {
                arrived.iter_mut().for_each(|a| *a = false);
                self.trigger(graph, graph.joins[join].target);
            }
        }
    }

    /// The tasks of the next superstep, planned from `checkpoint` of namespace `ns`, in the order
    /// their updates apply.
    pub(crate) fn plan<S: State>(
        &self,
        graph: &Plan<S>,
        ns: &Namespace,
        checkpoint: CheckpointId,
    ) -> Vec<PlannedTask> {
        let pull = self.pull.iter().map(|&node| {
            let path = TaskPath::Pull(graph.nodes[node].id.clone());
            PlannedTask {
                id: TaskId::derive_in(ns, checkpoint, &path),
                path,
                node,
                input: None,
            }
        });
        let push = self.push.iter().enumerate().map(|(i, push)| {
            let path = TaskPath::Push(u32::try_from(i).unwrap_or(u32::MAX));
            PlannedTask {
                id: TaskId::derive_in(ns, checkpoint, &path),
                path,
                node: push.node,
                input: Some(push.input.clone()),
            }
        });
        pull.chain(push).collect()
    }

    /// The node names of the next superstep, in task order.
    pub(crate) fn next_names<S: State>(&self, graph: &Plan<S>) -> Vec<NodeId> {
        self.pull
            .iter()
            .chain(self.push.iter().map(|p| &p.node))
            .map(|&n| graph.nodes[n].id.clone())
            .collect()
    }

    pub(crate) fn encode<S: State>(&self, graph: &Plan<S>) -> serde_json::Result<Vec<u8>> {
        let record = FrontierRecord {
            pull: self
                .pull
                .iter()
                .map(|&n| graph.nodes[n].id.clone())
                .collect(),
            push: self
                .push
                .iter()
                .map(|p| p.input.record(graph.nodes[p.node].id.clone()))
                .collect(),
            deferred: self
                .deferred
                .iter()
                .map(|&n| graph.nodes[n].id.clone())
                .collect(),
            joins: self
                .joins
                .iter()
                .enumerate()
                .filter(|(_, arrived)| arrived.iter().any(|&a| a))
                .map(|(j, arrived)| {
                    let join = &graph.joins[j];
                    JoinRecord {
                        target: graph.nodes[join.target].id.clone(),
                        sources: join
                            .sources
                            .iter()
                            .map(|&s| graph.nodes[s].id.clone())
                            .collect(),
                        arrived: join
                            .sources
                            .iter()
                            .zip(arrived)
                            .filter(|(_, a)| **a)
                            .map(|(&s, _)| graph.nodes[s].id.clone())
                            .collect(),
                    }
                })
                .collect(),
        };
        serde_json::to_vec(&record)
    }

    pub(crate) fn decode<S: State>(graph: &Plan<S>, bytes: &[u8]) -> Result<Self, String> {
        let record: FrontierRecord = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let mut frontier = Frontier::empty(graph);
        for name in &record.pull {
            frontier.pull.push(node_index(graph, name)?);
        }
        for push in record.push {
            frontier.push.push(PendingPush {
                node: node_index(graph, &push.node)?,
                input: PushInput::from_record(push),
            });
        }
        for name in &record.deferred {
            frontier.deferred.push(node_index(graph, name)?);
        }
        for join in &record.joins {
            let target = node_index(graph, &join.target)?;
            let sources = join
                .sources
                .iter()
                .map(|s| node_index(graph, s))
                .collect::<Result<Vec<_>, _>>()?;
            let j = graph
                .joins
                .iter()
                .position(|c| c.target == target && c.sources == sources)
                .ok_or_else(|| {
                    format!(
                        "the join edge into `{}` is no longer in the graph",
                        join.target
                    )
                })?;
            for name in &join.arrived {
                let s = node_index(graph, name)?;
                if let Some(position) = sources.iter().position(|&x| x == s) {
                    frontier.joins[j][position] = true;
                }
            }
        }
        frontier.normalize(graph);
        Ok(frontier)
    }
}

pub(crate) fn node_index<S: State>(graph: &Plan<S>, name: &NodeId) -> Result<usize, String> {
    graph
        .index
        .get(name)
        .copied()
        .ok_or_else(|| format!("node `{name}` is not in the graph"))
}

#[derive(Serialize, Deserialize)]
struct FrontierRecord {
    #[serde(default)]
    pull: Vec<NodeId>,
    #[serde(default)]
    push: Vec<PushRecord>,
    /// Deferred nodes waiting; absent in frontiers stored before deferral existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deferred: Vec<NodeId>,
    #[serde(default)]
    joins: Vec<JoinRecord>,
}

/// The stored form of a push: its node by name, and its input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PushRecord {
    pub(crate) node: NodeId,
    /// The argument, or for a state push the update.
    pub(crate) arg: serde_json::Value,
    /// A `Push::state`: `arg` is a state update for an ordinary node. Absent otherwise, so
    /// every push stored before it existed reads as before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) state: bool,
    /// The state type of a state push's update, while the push is in memory (a command for the
    /// parent graph, checked when the parent routes it). Not stored.
    #[serde(skip)]
    pub(crate) state_type: Option<StateType>,
}

#[derive(Serialize, Deserialize)]
struct JoinRecord {
    target: NodeId,
    sources: Vec<NodeId>,
    arrived: Vec<NodeId>,
}

/// The stored form of a finished task's output.
#[derive(Serialize, Deserialize)]
pub(crate) struct OutputRecord<U> {
    pub(crate) update: U,
    #[serde(default)]
    pub(crate) goto: Vec<NodeId>,
    #[serde(default)]
    pub(crate) push: Vec<PushRecord>,
    /// A command for the parent graph: `goto` and `push` name the parent's nodes. Absent
    /// otherwise, so every output stored before it existed reads as before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) parent: bool,
    /// Made by the node's error handler: the node's edges and joins do not count. Absent
    /// otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) handled: bool,
}

impl<S: State> TaskOutput<S> {
    pub(crate) fn encode(&self, graph: &Plan<S>) -> serde_json::Result<Vec<u8>> {
        if let Some(parent) = &self.to_parent {
            return serde_json::to_vec(&OutputRecord {
                update: &self.update,
                goto: parent.goto.clone(),
                push: parent.push.clone(),
                parent: true,
                handled: self.handled,
            });
        }
        serde_json::to_vec(&OutputRecord {
            update: &self.update,
            goto: self
                .goto
                .iter()
                .map(|&n| graph.nodes[n].id.clone())
                .collect(),
            push: self
                .push
                .iter()
                .map(|p| p.input.record(graph.nodes[p.node].id.clone()))
                .collect(),
            parent: false,
            handled: self.handled,
        })
    }

    pub(crate) fn decode(graph: &Plan<S>, bytes: &[u8]) -> Result<Self, String> {
        let record: OutputRecord<S::Update> =
            serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if record.parent {
            return Ok(Self {
                update: record.update,
                goto: Vec::new(),
                push: Vec::new(),
                to_parent: Some(Box::new(ParentRoute {
                    goto: record.goto,
                    push: record.push,
                })),
                handled: record.handled,
                cached: false,
            });
        }
        Ok(Self {
            update: record.update,
            goto: record
                .goto
                .iter()
                .map(|n| node_index(graph, n))
                .collect::<Result<_, _>>()?,
            push: record
                .push
                .into_iter()
                .map(|p| {
                    Ok(PendingPush {
                        node: node_index(graph, &p.node)?,
                        input: PushInput::from_record(p),
                    })
                })
                .collect::<Result<_, String>>()?,
            to_parent: None,
            handled: record.handled,
            cached: false,
        })
    }
}
