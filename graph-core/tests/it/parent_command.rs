//! `Command::parent`: a node inside a subgraph ends the subgraph and hands the parent an update
//! and destinations (LangGraph's `Command(graph=Command.PARENT)`). The command is saved as the
//! node's task output in the subgraph's namespace, so a parent superstep cut short re-runs the
//! subgraph's task without running the node again. Also: the events it streams, a cached node
//! sending one, and one pushing a state update to the parent.

use std::sync::Arc;

use graph_core::{
    CheckpointId, Command, CompiledGraph, Ctx, Error, NodeError, Push, Resume, RunConfig,
    RunStatus, START, StateGraph, ThreadStatus,
};

use crate::regressions::Flaky;
use crate::{Calls, Log, LogUpdate, append, memory, push};

/// A child node that journals an effect, then sends `from_sub` to the parent's `y`.
fn escalate(
    runs: &Calls,
    effects: &Calls,
) -> impl Fn(Arc<Log>, Ctx) -> EscalateFuture + Send + Sync + use<> {
    let (runs, effects) = (runs.clone(), effects.clone());
    move |_s, ctx| {
        runs.hit();
        let effects = effects.clone();
        Box::pin(async move {
            let _: usize = ctx
                .effect(
                    "notify",
                    |_key| async move { Ok::<_, NodeError>(effects.hit()) },
                )
                .await?;
            Ok(Command::parent("y", push("from_sub")))
        })
    }
}

type EscalateFuture =
    std::pin::Pin<Box<dyn Future<Output = Result<Command<Log>, NodeError>> + Send>>;

/// START → sub → (z), with `y` reached only by the subgraph's command.
fn parent_of(child: CompiledGraph<Log>, then_z: bool) -> CompiledGraph<Log> {
    let mut parent = StateGraph::<Log>::new();
    parent.add_subgraph("sub", child).destinations(["y"]);
    parent.add_node("y", append("y"));
    parent.add_edge(START, "sub");
    if then_z {
        parent.add_node("z", append("z"));
        parent.add_edge("sub", "z");
    }
    parent.compile().unwrap()
}

/// LangGraph's check: the parent applies the command's update and routes to `y`; the
/// subgraph's earlier update and its node after the command are not part of the parent's run.
#[tokio::test]
async fn the_parent_applies_the_update_and_routes_to_goto() {
    let (runs, effects, after) = (Calls::default(), Calls::default(), Calls::default());
    let mut child = StateGraph::<Log>::new();
    child.add_node("pre", append("pre"));
    child.add_node("escalate", escalate(&runs, &effects));
    let calls = after.clone();
    child.add_node("after", move |_s: Arc<Log>, _ctx: Ctx| {
        calls.hit();
        async { Ok(push("after")) }
    });
    child
        .add_edge(START, "pre")
        .add_edge("pre", "escalate")
        .add_edge("escalate", "after");
    let g = parent_of(child.compile().unwrap(), false).with_checkpointer(memory() as _);
    let out = g
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["from_sub", "y"]);
    assert_eq!(out.executed, ["sub", "y"]);
    assert_eq!((runs.get(), effects.get(), after.get()), (1, 1, 0));
}

/// The command's destinations come in addition to the subgraph node's own edges, as a
/// command's do in its own graph, and may push to the parent's push nodes; without a
/// checkpointer too.
#[tokio::test]
async fn goto_adds_to_the_subgraph_nodes_edges_and_may_push() {
    let mut child = StateGraph::<Log>::new();
    child.add_node("escalate", |_s: Arc<Log>, _ctx: Ctx| async {
        let goto = vec![Push::new("w", &7u32).into(), graph_core::Route::from("y")];
        Ok::<_, NodeError>(Command::parent(goto, push("from_sub")))
    });
    child.add_edge(START, "escalate");
    let mut parent = StateGraph::<Log>::new();
    parent
        .add_subgraph("sub", child.compile().unwrap())
        .destinations(["y", "w"]);
    parent.add_node("y", append("y"));
    parent.add_node("z", append("z"));
    parent.add_push_node("w", |n: u32, _c: Ctx| async move {
        Ok::<_, NodeError>(push(format!("w{n}")))
    });
    parent.add_edge(START, "sub").add_edge("sub", "z");
    let g = parent.compile().unwrap();
    let out = g
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    // y and z pull tasks by name, then the push task.
    assert_eq!(out.state.log, ["from_sub", "y", "z", "w7"]);
}

/// The command's node shares its superstep with a sibling that fails: the subgraph stops with
/// the failure, the command saved. The resume runs the sibling again, not the command's node
/// or its effect, and the parent gets the command.
#[tokio::test]
async fn a_saved_command_survives_a_failed_sibling_and_is_not_run_again() {
    let (runs, effects, flaky) = (Calls::default(), Calls::default(), Calls::default());
    let mut child = StateGraph::<Log>::new();
    child.add_node("escalate", escalate(&runs, &effects));
    let calls = flaky.clone();
    child.add_node("flaky", move |_s: Arc<Log>, _ctx: Ctx| {
        let first = calls.hit() == 1;
        async move {
            if first {
                return Err(NodeError::msg("disk full"));
            }
            Ok(push("flaky"))
        }
    });
    child.add_edge(START, "escalate").add_edge(START, "flaky");
    let g = parent_of(child.compile().unwrap(), false).with_checkpointer(memory() as _);
    let cfg = RunConfig::thread("t");
    let error = g.invoke(LogUpdate::default(), &cfg).await.unwrap_err();
    assert!(error.to_string().contains("disk full"), "{error}");
    assert_eq!(g.get_state(&cfg).await.unwrap().status, ThreadStatus::Error);

    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    // The sibling's update goes with the subgraph: the parent gets the command's alone.
    assert_eq!(out.state.log, ["from_sub", "y"]);
    assert_eq!((runs.get(), effects.get(), flaky.get()), (1, 1, 2));
}

/// A lone command's node: its output is saved although a lone task's output normally goes into
/// the checkpoint after it, since the subgraph stores none. When the parent's checkpoint fails
/// to store, the resumed subgraph hands up the saved command without running the node again.
#[tokio::test]
async fn a_lone_command_is_saved_so_a_failed_parent_checkpoint_does_not_run_it_again() {
    let (runs, effects) = (Calls::default(), Calls::default());
    let mut child = StateGraph::<Log>::new();
    child.add_node("escalate", escalate(&runs, &effects));
    child.add_edge(START, "escalate");
    let store = Arc::new(Flaky::default());
    // The parent's checkpoints are 0 (input) and 1 (after `sub`); the subgraph stores only its
    // input, 0, before the command stops it.
    *store.fail_put.lock().unwrap() = Some(CheckpointId(1));
    let g = parent_of(child.compile().unwrap(), true).with_checkpointer(Arc::clone(&store) as _);
    let cfg = RunConfig::thread("t");
    let error = g.invoke(LogUpdate::default(), &cfg).await.unwrap_err();
    assert!(error.to_string().contains("disk on fire"), "{error}");
    assert_eq!((runs.get(), effects.get()), (1, 1));

    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["from_sub", "y", "z"]);
    assert_eq!((runs.get(), effects.get()), (1, 1));
}

#[tokio::test]
async fn a_root_graphs_node_has_no_parent_to_command() {
    let mut g = StateGraph::<Log>::new();
    g.add_node("a", |_s: Arc<Log>, _ctx: Ctx| async {
        Ok::<_, NodeError>(Command::parent("a", push("x")))
    });
    g.add_edge(START, "a");
    let error = g
        .compile()
        .unwrap()
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Route { .. }), "{error}");
    assert!(error.to_string().contains("root graph"), "{error}");
}

#[tokio::test]
async fn two_commands_to_the_parent_in_one_superstep_fail_it() {
    let mut child = StateGraph::<Log>::new();
    for name in ["p", "q"] {
        child.add_node(name, move |_s: Arc<Log>, _ctx: Ctx| async move {
            Ok::<_, NodeError>(Command::parent("y", push(name)))
        });
        child.add_edge(START, name);
    }
    let g = parent_of(child.compile().unwrap(), false);
    let error = g
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("`p` sent a command to the parent"),
        "{message}"
    );
    assert!(message.contains("node `sub`"), "{message}");
}

/// What a stream event says, for an order test: `namespace|node|kind`, with an update's log.
fn line(event: &graph_core::Event<Log>) -> String {
    use graph_core::{EventKind, FieldUpdate};
    let what = match &event.kind {
        EventKind::TaskStart { .. } => "start".to_owned(),
        EventKind::TaskEnd { .. } if event.cached => "end cached".to_owned(),
        EventKind::TaskEnd { .. } => "end".to_owned(),
        EventKind::Update(u) => match &u.log {
            Some(FieldUpdate::Reduce(log)) => format!("update {log:?}"),
            _ => "update".to_owned(),
        },
        EventKind::Values(s) => format!("values {:?}", s.log),
        EventKind::Checkpoint { .. } => "checkpoint".to_owned(),
        EventKind::End => "END".to_owned(),
        _ => "other".to_owned(),
    };
    let node = event
        .node
        .as_ref()
        .map_or("-".to_owned(), ToString::to_string);
    let ns = event
        .ns
        .levels()
        .map(|(n, _)| n.to_string())
        .collect::<Vec<_>>()
        .join("/");
    format!("{ns}|{node}|{what}")
}

#[tokio::test]
async fn a_command_to_the_parent_streams_the_childs_events_then_the_parents_update() {
    let (runs, effects) = (Calls::default(), Calls::default());
    let mut child = StateGraph::<Log>::new();
    child.add_node("pre", append("pre"));
    child.add_node("escalate", escalate(&runs, &effects));
    child.add_edge(START, "pre").add_edge("pre", "escalate");
    let g = parent_of(child.compile().unwrap(), false).with_checkpointer(memory() as _);
    let mut stream = g.stream(
        push("in"),
        &RunConfig::thread("t"),
        graph_core::StreamModes::ALL,
    );
    let mut seen = Vec::new();
    while let Some(event) = stream.next().await {
        seen.push(line(&event));
    }
    let out = stream.finish().await.unwrap();
    assert_eq!(out.state.log, ["in", "from_sub", "y"]);
    assert_eq!(
        seen,
        [
            "|-|values [\"in\"]",
            "|-|checkpoint",
            "|sub|start",
            // The subgraph's own events, in its namespace, between its task's start and end.
            "sub|-|values [\"in\"]",
            "sub|-|checkpoint",
            "sub|pre|start",
            "sub|pre|update [\"pre\"]",
            "sub|pre|end",
            "sub|-|values [\"in\", \"pre\"]",
            "sub|-|checkpoint",
            "sub|escalate|start",
            "sub|escalate|end",
            // The command ends the subgraph: no update, state or checkpoint of its superstep.
            // The parent's task ends with the command's update, not the subgraph's `pre`.
            "|sub|update [\"from_sub\"]",
            "|sub|end",
            "|-|values [\"in\", \"from_sub\"]",
            "|-|checkpoint",
            "|y|start",
            "|y|update [\"y\"]",
            "|y|end",
            "|-|values [\"in\", \"from_sub\", \"y\"]",
            "|-|checkpoint",
            "|-|END",
        ]
    );
}

#[tokio::test]
async fn a_cached_node_sending_a_command_to_the_parent_replays_it_on_a_hit() {
    let calls = Calls::default();
    let c = calls.clone();
    let mut child = StateGraph::<Log>::new();
    child
        .add_node("escalate", move |_s: Arc<Log>, _ctx: Ctx| {
            c.hit();
            async { Ok::<_, NodeError>(Command::parent("y", push("from_sub"))) }
        })
        .cache(graph_core::CachePolicy::new());
    child.add_edge(START, "escalate");
    let g = parent_of(child.compile().unwrap(), true)
        .with_checkpointer(memory() as _)
        .with_cache(Arc::new(graph_core::InMemoryCache::new()));

    let first = g.invoke(push("in"), &RunConfig::thread("a")).await.unwrap();
    assert_eq!(first.state.log, ["in", "from_sub", "y", "z"]);
    assert_eq!(calls.get(), 1);

    // The same input on another thread: a hit, and the parent goes where the command said.
    let mut stream = g.stream(
        push("in"),
        &RunConfig::thread("b"),
        graph_core::StreamModes::ALL,
    );
    let mut seen = Vec::new();
    while let Some(event) = stream.next().await {
        seen.push(line(&event));
    }
    let second = stream.finish().await.unwrap();
    assert_eq!(calls.get(), 1, "the second run's `escalate` is a hit");
    assert_eq!(second.state.log, first.state.log);
    assert_eq!(second.executed, ["sub", "y", "z"]);
    let child_task: Vec<&str> = seen
        .iter()
        .map(String::as_str)
        .filter(|e| e.starts_with("sub|escalate|"))
        .collect();
    assert_eq!(
        child_task,
        ["sub|escalate|start", "sub|escalate|end cached"]
    );
    assert!(
        seen.contains(&"|sub|update [\"from_sub\"]".to_owned()),
        "{seen:?}"
    );
}

/// A command to the parent may push a state update to one of the parent's ordinary nodes.
#[tokio::test]
async fn a_command_to_the_parent_may_push_a_state_update() {
    let mut child = StateGraph::<Log>::new();
    child.add_node("escalate", |_s: Arc<Log>, _ctx: Ctx| async {
        let goto = Push::state("y", LogUpdate::default().v("from the child"));
        Ok::<_, NodeError>(Command::parent(goto, push("from_sub")))
    });
    child.add_edge(START, "escalate");
    let mut parent = StateGraph::<Log>::new();
    parent
        .add_subgraph("sub", child.compile().unwrap())
        .destinations(["y"]);
    parent.add_node("y", |s: Arc<Log>, _c: Ctx| async move {
        Ok::<_, NodeError>(push(format!("y got {:?}", s.v)))
    });
    parent.add_edge(START, "sub");
    let g = parent.compile().unwrap().with_checkpointer(memory() as _);
    let out = g
        .invoke(LogUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(out.state.log, ["from_sub", "y got \"from the child\""]);
    assert_eq!(out.state.v, "");
}
