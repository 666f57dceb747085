//! Routing a finished task: its command's destinations and its node's conditional edges,
//! resolved against the plan into the task's output, or kept by name for a parent graph.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use crate::context::TaskShared;
use crate::error::Error;
use crate::frontier::{ParentRoute, PendingPush, PushInput, PushRecord, TaskOutput};
use crate::node::{Command, Endpoint, Goto, PushKind, StateType};
use crate::plan::Plan;
use crate::state::State;

use super::attempt::panic_message;

/// Resolves a node's command and conditional edges into the task's output. Conditional edges see
/// the superstep's starting state plus this node's own update, never its siblings' updates. The
/// command of the node's error handler (`handled`) goes only where it says: the node did not
/// finish, so its conditional edges are not taken.
pub(crate) fn route<S: State>(
    graph: &Plan<S>,
    node: usize,
    snapshot: &Arc<S>,
    command: Command<S>,
    shared: &TaskShared,
    handled: bool,
) -> Result<TaskOutput<S>, Error> {
    let mut output = route_command(graph, command, shared, handled)?;
    follow_edges(graph, node, snapshot, &mut output, shared)?;
    Ok(output)
}

fn route_error(shared: &TaskShared, target: String, reason: String) -> Error {
    Error::Route {
        thread: shared.thread.clone(),
        step: shared.step,
        node: shared.node.clone(),
        target,
        reason,
    }
}

/// The first half of [`route`]: the command's own destinations, which is what the node cache
/// keeps of a node's output (the edges are the graph's, and run again on a hit).
pub(crate) fn route_command<S: State>(
    graph: &Plan<S>,
    command: Command<S>,
    shared: &TaskShared,
    handled: bool,
) -> Result<TaskOutput<S>, Error> {
    let mut goto = Vec::new();
    let mut push = Vec::new();
    let Command {
        update,
        goto: command_goto,
        to_parent: _,
    } = command;
    for item in command_goto.0 {
        resolve(graph, item, None, &mut goto, &mut push)
            .map_err(|(t, r)| route_error(shared, t, r))?;
    }
    Ok(TaskOutput {
        update,
        goto,
        push,
        to_parent: None,
        handled,
        cached: false,
    })
}

/// The second half of [`route`]: adds to `output` where the node's conditional edges go, unless
/// its error handler made it (or it is for the parent graph, whose node's edges are not taken).
pub(crate) fn follow_edges<S: State>(
    graph: &Plan<S>,
    node: usize,
    snapshot: &Arc<S>,
    output: &mut TaskOutput<S>,
    shared: &TaskShared,
) -> Result<(), Error> {
    if !takes_edges(graph, node, output) {
        return Ok(());
    }
    let mut view = S::clone(snapshot);
    let applied = std::panic::catch_unwind(AssertUnwindSafe(|| view.apply(output.update.clone())));
    match applied {
        Ok(Ok(())) => {}
        Ok(Err(source)) => {
            return Err(Error::Reduce {
                thread: shared.thread.clone(),
                step: shared.step,
                node: shared.node.clone(),
                source,
            });
        }
        Err(panic) => {
            return Err(Error::Node {
                thread: shared.thread.clone(),
                step: shared.step,
                node: shared.node.clone(),
                message: format!(
                    "a reducer panicked applying its update: {}",
                    panic_message(panic.as_ref())
                ),
                source: None,
            });
        }
    }
    take_edges(graph, node, &view, output).map_err(|(t, r)| route_error(shared, t, r))
}

/// Whether `output` takes its node's conditional edges: the node has some, and neither its
/// error handler made the output nor is it for the parent graph.
pub(crate) fn takes_edges<S: State>(graph: &Plan<S>, node: usize, output: &TaskOutput<S>) -> bool {
    !(output.handled || output.to_parent.is_some() || graph.nodes[node].routes.is_empty())
}

/// Adds to `output` where its node's conditional edges go from `state`, which must be the
/// superstep's starting state plus the output's update. An error names the target and why.
pub(crate) fn take_edges<S: State>(
    graph: &Plan<S>,
    node: usize,
    state: &S,
    output: &mut TaskOutput<S>,
) -> Result<(), (String, String)> {
    if !takes_edges(graph, node, output) {
        return Ok(());
    }
    for &r in &graph.nodes[node].routes {
        let edge = &graph.routes[r];
        let chosen = std::panic::catch_unwind(AssertUnwindSafe(|| (edge.route)(state))).map_err(
            |panic| {
                (
                    "?".to_owned(),
                    format!(
                        "the conditional edge panicked: {}",
                        panic_message(panic.as_ref())
                    ),
                )
            },
        )?;
        for item in chosen.0 {
            resolve(
                graph,
                item,
                Some(&edge.targets),
                &mut output.goto,
                &mut output.push,
            )?;
        }
    }
    Ok(())
}

/// Keeps a command for the parent graph as the task's output, its destinations by name: only
/// the parent's plan can resolve them, which the parent's task does when the subgraph hands the
/// command up. The node's own edges are not taken, since its graph stops. A node of the root
/// graph has no parent to send it to.
pub(crate) fn for_parent<S: State>(
    command: Command<S>,
    shared: &TaskShared,
    handled: bool,
) -> Result<TaskOutput<S>, Error> {
    let route_error = |target: &str, reason: String| Error::Route {
        thread: shared.thread.clone(),
        step: shared.step,
        node: shared.node.clone(),
        target: target.to_owned(),
        reason,
    };
    if shared.ns.is_root() {
        return Err(route_error(
            "the parent graph",
            "Command::parent is for a node inside a subgraph, and this node is in the root graph"
                .to_owned(),
        ));
    }
    let mut parent = ParentRoute::default();
    for item in command.goto.0 {
        match item {
            Goto::To(Endpoint::Node(node)) => parent.goto.push(node),
            // Ending a branch adds no destination, as in a command for the node's own graph.
            Goto::To(Endpoint::End) => {}
            Goto::To(Endpoint::Start) => {
                return Err(route_error(
                    "START",
                    "START is not a destination".to_owned(),
                ));
            }
            Goto::Push(push) => {
                let arg = push.arg.map_err(|e| {
                    route_error(
                        push.node.as_str(),
                        format!("cannot encode the Push argument: {e}"),
                    )
                })?;
                let (state, state_type) = match push.kind {
                    PushKind::Arg => (false, None),
                    PushKind::State(of) => (true, of),
                };
                parent.push.push(PushRecord {
                    node: push.node,
                    arg,
                    state,
                    state_type,
                });
            }
        }
    }
    Ok(TaskOutput {
        update: command.update,
        goto: Vec::new(),
        push: Vec::new(),
        to_parent: Some(Box::new(parent)),
        handled,
        cached: false,
    })
}

/// Resolves one destination. With `declared`, it must be one of those targets.
pub(crate) fn resolve<S: State>(
    graph: &Plan<S>,
    item: Goto,
    declared: Option<&[Option<usize>]>,
    goto: &mut Vec<usize>,
    push: &mut Vec<PendingPush>,
) -> Result<(), (String, String)> {
    let declared_names = |declared: &[Option<usize>]| {
        declared
            .iter()
            .map(|t| t.map_or("END".to_owned(), |i| format!("`{}`", graph.nodes[i].id)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let node_name = match &item {
        Goto::To(Endpoint::Start) => {
            return Err(("START".into(), "START is not a destination".into()));
        }
        Goto::To(Endpoint::End) => {
            return match declared {
                Some(d) if !d.contains(&None) => Err((
                    "END".into(),
                    format!(
                        "it is not a declared target (declared: {})",
                        declared_names(d)
                    ),
                )),
                _ => Ok(()),
            };
        }
        Goto::To(Endpoint::Node(name)) => name.clone(),
        Goto::Push(p) => p.node.clone(),
    };
    // A conditional edge's destination is one of its few declared targets, found there by name
    // without hashing it (a fan-out resolves one per push); the index tells the errors apart.
    let among_declared = declared.and_then(|d| {
        d.iter()
            .flatten()
            .copied()
            .find(|&i| graph.nodes[i].id == node_name)
    });
    let index = match among_declared {
        Some(index) => index,
        None => {
            let Some(&index) = graph.index.get(&node_name) else {
                return Err((node_name.to_string(), "no such node".into()));
            };
            if let Some(d) = declared
                && !d.contains(&Some(index))
            {
                return Err((
                    node_name.to_string(),
                    format!(
                        "it is not a declared target (declared: {})",
                        declared_names(d)
                    ),
                ));
            }
            index
        }
    };
    let takes_push = graph.nodes[index].takes_push;
    match item {
        Goto::Push(p) => {
            let input = |arg: Result<serde_json::Value, String>| {
                arg.map_err(|e| {
                    (
                        node_name.to_string(),
                        format!("cannot encode the Push argument: {e}"),
                    )
                })
            };
            let input = match (p.kind, takes_push) {
                (PushKind::Arg, true) => PushInput::Arg(input(p.arg)?),
                (PushKind::State(of), false) => {
                    if let Some(of) = of.filter(|of| *of != StateType::of::<S>()) {
                        return Err((
                            node_name.to_string(),
                            format!(
                                "the Push::state update is of state `{}`, and this graph's state \
                                 is `{}`",
                                of.name,
                                std::any::type_name::<S>()
                            ),
                        ));
                    }
                    PushInput::State(input(p.arg)?)
                }
                (PushKind::Arg, false) => {
                    return Err((
                        node_name.to_string(),
                        "it takes the state, so a Push::new argument cannot be its input; send \
                         it a state update with Push::state, or add it with add_push_node"
                            .into(),
                    ));
                }
                (PushKind::State(_), true) => {
                    return Err((
                        node_name.to_string(),
                        "it takes a Push argument (add_push_node), not a state update; send it \
                         Push::new"
                            .into(),
                    ));
                }
            };
            push.push(PendingPush { node: index, input });
        }
        _ => {
            if takes_push {
                return Err((
                    node_name.to_string(),
                    "it takes a Push input; send it a Push".into(),
                ));
            }
            goto.push(index);
        }
    }
    Ok(())
}
