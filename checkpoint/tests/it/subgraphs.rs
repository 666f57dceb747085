//! Subgraphs on a SQLite file: a run paused, failed or cut short inside a subgraph resumes on a
//! reopened file (a new process, as far as the store knows) without running again what the
//! subgraph finished, a command a node sent to the parent (`Command::parent`) included.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use checkpoint::SqliteCheckpointer;
use graph_core::{
    Command, CompiledGraph, Ctx, HistoryQuery, Namespace, NodeError, Resume, RunConfig, RunStatus,
    START, State, StateGraph, ThreadStatus, WriteKind,
};

#[derive(State, Clone, Default, Debug)]
struct Trace {
    #[state(append)]
    log: Vec<String>,
}

fn entry(name: &str) -> TraceUpdate {
    TraceUpdate::default().log(vec![name.to_owned()])
}

/// How the child's middle node behaves on its first call.
#[derive(Clone, Copy)]
enum First {
    Interrupt,
    Fail,
    Hang,
}

/// Calls of the child's nodes `x` and `mid`.
#[derive(Default)]
struct Calls {
    x: AtomicUsize,
    mid: AtomicUsize,
}

/// plan → sub (x → mid → y) → done, on the SQLite file at `path`.
fn graph(path: &Path, first: First, calls: &Arc<Calls>) -> CompiledGraph<Trace> {
    let mut child = StateGraph::<Trace>::new();
    let counted = Arc::clone(calls);
    child.add_node("x", move |_s: Arc<Trace>, _ctx: Ctx| {
        counted.x.fetch_add(1, Ordering::SeqCst);
        async { Ok(entry("x")) }
    });
    let counted = Arc::clone(calls);
    child.add_node("mid", move |_s: Arc<Trace>, ctx: Ctx| {
        let call = counted.mid.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            match first {
                First::Interrupt => {
                    let answer: String = ctx.interrupt("go on?")?;
                    return Ok(entry(&format!("mid:{answer}")));
                }
                First::Fail if call == 1 => return Err(NodeError::msg("disk full")),
                First::Hang if call == 1 => std::future::pending::<()>().await,
                First::Fail | First::Hang => {}
            }
            Ok::<_, NodeError>(entry("mid"))
        }
    });
    child.add_node("y", |_s: Arc<Trace>, _ctx: Ctx| async { Ok(entry("y")) });
    child
        .add_edge(START, "x")
        .add_edge("x", "mid")
        .add_edge("mid", "y");

    let mut parent = StateGraph::<Trace>::new();
    parent.add_node("plan", |_s: Arc<Trace>, _ctx: Ctx| async {
        Ok(entry("plan"))
    });
    parent.add_subgraph("sub", child.compile().expect("compile the child"));
    parent.add_node("done", |_s: Arc<Trace>, _ctx: Ctx| async {
        Ok(entry("done"))
    });
    parent
        .add_edge(START, "plan")
        .add_edge("plan", "sub")
        .add_edge("sub", "done");
    let store = SqliteCheckpointer::open(path).expect("open");
    parent
        .compile()
        .expect("compile")
        .with_checkpointer(Arc::new(store))
}

#[tokio::test]
async fn an_interrupt_inside_a_subgraph_is_answered_after_a_reopen() {
    let path = crate::temp_db("subgraph-interrupt");
    let calls = Arc::new(Calls::default());
    let cfg = RunConfig::thread("guest");
    let out = graph(&path, First::Interrupt, &calls)
        .invoke(TraceUpdate::default(), &cfg)
        .await
        .unwrap();
    let RunStatus::Interrupted(pending) = &out.status else {
        panic!("{:?}", out.status)
    };
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].ns.depth(), 1);

    // The graph and its store are gone; a new one opens the file.
    let g = graph(&path, First::Interrupt, &calls);
    assert_eq!(g.get_state(&cfg).await.unwrap().interrupts, pending.clone());
    let out = g.resume(&cfg, Resume::value("yes")).await.unwrap();
    assert_eq!(out.state.log, ["plan", "x", "mid:yes", "y", "done"]);
    assert_eq!(calls.x.load(Ordering::SeqCst), 1);
    // The subgraph's history is in the file, under its namespace, apart from the parent's.
    let store = g.checkpointer().unwrap();
    let child = store
        .list(&cfg.thread, &pending[0].ns, &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(child.len(), 4, "input, x, mid, y: {child:?}");
    let root = g
        .get_state_history(&cfg, &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(root.len(), 4, "input, plan, sub, done: {root:?}");
}

#[tokio::test]
async fn a_failure_inside_a_subgraph_resumes_after_a_reopen() {
    let path = crate::temp_db("subgraph-failure");
    let calls = Arc::new(Calls::default());
    let cfg = RunConfig::thread("guest");
    let error = graph(&path, First::Fail, &calls)
        .invoke(TraceUpdate::default(), &cfg)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("disk full"), "{error}");

    let g = graph(&path, First::Fail, &calls);
    assert_eq!(g.get_state(&cfg).await.unwrap().status, ThreadStatus::Error);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["plan", "x", "mid", "y", "done"]);
    assert_eq!(calls.x.load(Ordering::SeqCst), 1);
    assert_eq!(calls.mid.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_run_cut_short_inside_a_subgraph_resumes_after_a_reopen() {
    let path = crate::temp_db("subgraph-cut");
    let calls = Arc::new(Calls::default());
    let cfg = RunConfig::thread("guest");
    {
        let g = graph(&path, First::Hang, &calls);
        let cut = tokio::time::timeout(
            Duration::from_millis(300),
            g.invoke(TraceUpdate::default(), &cfg),
        )
        .await;
        assert!(cut.is_err(), "the run should hang in `mid`");
    }
    let g = graph(&path, First::Hang, &calls);
    assert_eq!(
        g.get_state(&cfg).await.unwrap().status,
        ThreadStatus::Pending
    );
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["plan", "x", "mid", "y", "done"]);
    assert_eq!(calls.x.load(Ordering::SeqCst), 1);
    assert_eq!(calls.mid.load(Ordering::SeqCst), 2);
}

/// plan → sub → done on the SQLite file at `path`, where the subgraph's `escalate` sends
/// `from_sub` to the parent's `escalated` (`Command::parent`) while its sibling `mid` hangs on
/// its first call.
fn escalating_graph(path: &Path, calls: &Arc<Calls>) -> CompiledGraph<Trace> {
    let mut child = StateGraph::<Trace>::new();
    let counted = Arc::clone(calls);
    child.add_node("escalate", move |_s: Arc<Trace>, _ctx: Ctx| {
        counted.x.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, NodeError>(Command::parent("escalated", entry("from_sub"))) }
    });
    let counted = Arc::clone(calls);
    child.add_node("mid", move |_s: Arc<Trace>, _ctx: Ctx| {
        let first = counted.mid.fetch_add(1, Ordering::SeqCst) == 0;
        async move {
            if first {
                std::future::pending::<()>().await;
            }
            Ok(entry("mid"))
        }
    });
    child.add_edge(START, "escalate").add_edge(START, "mid");

    let mut parent = StateGraph::<Trace>::new();
    parent.add_node("plan", |_s: Arc<Trace>, _ctx: Ctx| async {
        Ok(entry("plan"))
    });
    parent
        .add_subgraph("sub", child.compile().expect("compile the child"))
        .destinations(["escalated"]);
    for name in ["escalated", "done"] {
        parent.add_node(name, move |_s: Arc<Trace>, _ctx: Ctx| async move {
            Ok(entry(name))
        });
    }
    parent
        .add_edge(START, "plan")
        .add_edge("plan", "sub")
        .add_edge("sub", "done");
    let store = SqliteCheckpointer::open(path).expect("open");
    parent
        .compile()
        .expect("compile")
        .with_checkpointer(Arc::new(store))
}

/// The command is in the file as `escalate`'s output in the subgraph's namespace, so after a
/// reopen the subgraph hands it up without running `escalate` again.
#[tokio::test]
async fn a_command_to_the_parent_is_handed_up_after_a_reopen() {
    let path = crate::temp_db("subgraph-parent-command");
    let calls = Arc::new(Calls::default());
    let cfg = RunConfig::thread("guest");
    {
        let g = escalating_graph(&path, &calls);
        let cut = tokio::time::timeout(
            Duration::from_millis(300),
            g.invoke(TraceUpdate::default(), &cfg),
        )
        .await;
        assert!(cut.is_err(), "the run should hang in `mid`");
    }
    let g = escalating_graph(&path, &calls);
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Pending);
    let [sub] = &state.tasks[..] else {
        panic!("{:?}", state.tasks)
    };
    let ns = Namespace::root().child(&sub.node, sub.id);
    let saved = g
        .checkpointer()
        .unwrap()
        .get(&cfg.thread, &ns, None)
        .await
        .unwrap()
        .expect("the subgraph's input checkpoint");
    let outputs: Vec<&str> = saved
        .pending_writes
        .iter()
        .filter(|w| w.kind == WriteKind::Output)
        .map(|w| w.node.as_str())
        .collect();
    assert_eq!(outputs, ["escalate"]);

    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    // `mid`'s update goes with the subgraph; the parent runs `escalated` besides `done`.
    assert_eq!(out.state.log, ["plan", "from_sub", "done", "escalated"]);
    assert_eq!(calls.x.load(Ordering::SeqCst), 1);
    assert_eq!(calls.mid.load(Ordering::SeqCst), 2);
}

/// On a reopened file: `get_state_with` shows the paused subgraph's state, and a replay from
/// the subgraph's checkpoint before `mid` (`RunConfig::at_checkpoint`) does not run `x` again.
#[tokio::test]
async fn a_subgraphs_state_and_a_replay_from_its_checkpoint_after_a_reopen() {
    let path = crate::temp_db("subgraph-replay");
    let calls = Arc::new(Calls::default());
    let cfg = RunConfig::thread("guest");
    graph(&path, First::Interrupt, &calls)
        .invoke(TraceUpdate::default(), &cfg)
        .await
        .unwrap();

    let g = graph(&path, First::Interrupt, &calls);
    let state = g
        .get_state_with(&cfg, graph_core::StateOptions::default().subgraphs(true))
        .await
        .unwrap();
    let inside = state.tasks[0].state.as_deref().expect("paused inside");
    assert_eq!(inside.next, ["mid"]);
    assert_eq!(inside.values_as::<Trace>().unwrap().log, ["plan", "x"]);
    let ns = inside.checkpoint.ns.clone();
    g.resume(&cfg, Resume::value("first")).await.unwrap();

    let g = graph(&path, First::Interrupt, &calls);
    let history = g
        .get_state_history(&cfg.clone().namespace(ns.clone()), &HistoryQuery::default())
        .await
        .unwrap();
    let before_mid = history.iter().find(|m| m.next == ["mid"]).unwrap().id;
    let out = g
        .resume(&cfg.clone().at_checkpoint(ns, before_mid), Resume::Continue)
        .await
        .unwrap();
    assert!(
        matches!(out.status, RunStatus::Interrupted(_)),
        "{:?}",
        out.status
    );
    let out = g.resume(&cfg, Resume::value("second")).await.unwrap();
    assert_eq!(out.state.log, ["plan", "x", "mid:second", "y", "done"]);
    assert_eq!(calls.x.load(Ordering::SeqCst), 1);
}
