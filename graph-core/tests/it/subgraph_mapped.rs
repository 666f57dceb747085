//! Subgraphs with a state type of their own (`add_subgraph_mapped`): the parent's state mapped
//! into the subgraph's input and the subgraph's final state mapped back, with every guarantee
//! of a same-type subgraph — namespaces, interrupts answered from the parent, resume without
//! re-running finished nodes, events with the namespace, drawing as a cluster.

use std::sync::Arc;
use std::time::Duration;

use graph_core::{
    Command, CompiledGraph, Ctx, Error, EventKind, NodeError, Resume, RunConfig, RunStatus, START,
    State, StateGraph, SubgraphMap, ThreadStatus,
};

use crate::{Calls, Log, LogUpdate, memory, push};

/// The subgraph's own state: a query and what it found.
#[derive(State, Clone, Default, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Search {
    pub(crate) query: String,
    #[state(append)]
    pub(crate) hits: Vec<String>,
}

/// `Log.v` becomes the query; the hits are appended to the parent's log.
pub(crate) fn search_map() -> SubgraphMap<Log, Search> {
    SubgraphMap::new(
        |p: &Log| SearchUpdate::default().query(p.v.clone()),
        |c: &Search| LogUpdate::default().log(c.hits.clone()),
    )
}

/// START → x → ask (interrupts) → y over `Search`, each counted.
pub(crate) fn asking_search(x: &Calls, ask: &Calls, y: &Calls) -> CompiledGraph<Search> {
    let mut child = StateGraph::<Search>::new();
    let calls = x.clone();
    child.add_node("x", move |s: Arc<Search>, _ctx: Ctx| {
        calls.hit();
        let hit = format!("x:{}", s.query);
        async move { Ok(SearchUpdate::default().hits(vec![hit])) }
    });
    let calls = ask.clone();
    child.add_node("ask", move |_s: Arc<Search>, ctx: Ctx| {
        calls.hit();
        async move {
            let answer: String = ctx.interrupt("more?")?;
            Ok(SearchUpdate::default().hits(vec![format!("ask:{answer}")]))
        }
    });
    let calls = y.clone();
    child.add_node("y", move |_s: Arc<Search>, _ctx: Ctx| {
        calls.hit();
        async { Ok(SearchUpdate::default().hits(vec!["y".to_owned()])) }
    });
    child
        .add_edge(START, "x")
        .add_edge("x", "ask")
        .add_edge("ask", "y");
    child.compile().unwrap()
}

/// START → a → sub (mapped `child`) → c.
pub(crate) fn mapped_parent(child: CompiledGraph<Search>) -> StateGraph<Log> {
    let mut parent = StateGraph::<Log>::new();
    parent.add_node("a", |_s: Arc<Log>, _ctx: Ctx| async {
        Ok(push("a").v("rooms"))
    });
    parent.add_subgraph_mapped("sub", child, search_map());
    parent.add_node("c", |_s: Arc<Log>, _ctx: Ctx| async { Ok(push("c")) });
    parent
        .add_edge(START, "a")
        .add_edge("a", "sub")
        .add_edge("sub", "c");
    parent
}

/// LangGraph's check of a subgraph with a different schema: the parent has `shared` and
/// `parent_only`, the child `shared` and `child_only`; the child sees the shared key, and only
/// the shared key comes back (LangGraph: `{'shared': 'p+child', 'parent_only': 'po'}`).
#[tokio::test]
async fn a_subgraph_with_a_different_schema_maps_its_input_and_output() {
    #[derive(State, Clone, Default, Debug)]
    struct Parent {
        shared: String,
        parent_only: String,
    }
    #[derive(State, Clone, Default, Debug)]
    struct Child {
        shared: String,
        child_only: String,
    }
    let mut child = StateGraph::<Child>::new();
    child.add_node("c1", |s: Arc<Child>, _ctx: Ctx| async move {
        Ok(ChildUpdate::default()
            .shared(format!("{}+child", s.shared))
            .child_only("co"))
    });
    child.add_edge(START, "c1");
    let mut parent = StateGraph::<Parent>::new();
    parent.add_node("p1", |_s: Arc<Parent>, _ctx: Ctx| async {
        Ok(ParentUpdate::default().shared("p").parent_only("po"))
    });
    parent.add_subgraph_mapped(
        "sub",
        child.compile().unwrap(),
        SubgraphMap::new(
            |p: &Parent| ChildUpdate::default().shared(p.shared.clone()),
            |c: &Child| {
                assert_eq!(c.child_only, "co");
                ParentUpdate::default().shared(c.shared.clone())
            },
        ),
    );
    parent.add_edge(START, "p1").add_edge("p1", "sub");
    let out = parent
        .compile()
        .unwrap()
        .invoke(ParentUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();
    assert_eq!(
        (out.state.shared.as_str(), out.state.parent_only.as_str()),
        ("p+child", "po")
    );
    assert_eq!(out.executed, ["p1", "sub"]);
}

#[tokio::test]
async fn an_interrupt_inside_a_mapped_subgraph_is_answered_from_the_parent() {
    let (x, ask, y) = (Calls::default(), Calls::default(), Calls::default());
    let g = mapped_parent(asking_search(&x, &ask, &y))
        .compile()
        .unwrap()
        .with_checkpointer(memory() as _);
    let cfg = RunConfig::thread("t");
    let out = g.invoke(push("in"), &cfg).await.unwrap();
    let RunStatus::Interrupted(asked) = &out.status else {
        panic!("{:?}", out.status)
    };
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].node, "ask");
    assert_eq!(asked[0].ns, crate::subgraphs::sub_ns(1));
    assert_eq!(out.state.log, ["in", "a"]);
    let state = g.get_state(&cfg).await.unwrap();
    assert_eq!(state.status, ThreadStatus::Interrupted);
    assert_eq!(state.tasks[0].interrupt.as_ref(), Some(&asked[0]));

    let out = g.resume(&cfg, Resume::value("yes")).await.unwrap();
    assert_eq!(out.status, RunStatus::Done);
    assert_eq!(out.state.log, ["in", "a", "x:rooms", "ask:yes", "y", "c"]);
    assert_eq!((x.get(), ask.get(), y.get()), (1, 2, 1));
}

/// The run is dropped while a node of the mapped subgraph is in flight, then fails once: each
/// resume runs only what the subgraph had not finished.
#[tokio::test]
async fn a_mapped_subgraph_cut_short_or_failed_resumes_where_it_was() {
    let (x, slow) = (Calls::default(), Calls::default());
    let mut child = StateGraph::<Search>::new();
    let calls = x.clone();
    child.add_node("x", move |_s: Arc<Search>, _ctx: Ctx| {
        calls.hit();
        async { Ok(SearchUpdate::default().hits(vec!["x".to_owned()])) }
    });
    let calls = slow.clone();
    child.add_node("slow", move |_s: Arc<Search>, _ctx: Ctx| {
        let call = calls.hit();
        async move {
            match call {
                1 => std::future::pending::<()>().await,
                2 => return Err(NodeError::msg("boom")),
                _ => {}
            }
            Ok(SearchUpdate::default().hits(vec!["slow".to_owned()]))
        }
    });
    child.add_edge(START, "x").add_edge("x", "slow");
    let g = mapped_parent(child.compile().unwrap())
        .compile()
        .unwrap()
        .with_checkpointer(memory() as _);
    let cfg = RunConfig::thread("t");
    let dropped =
        tokio::time::timeout(Duration::from_millis(200), g.invoke(push("in"), &cfg)).await;
    assert!(dropped.is_err(), "the first run should hang in `slow`");
    assert_eq!(
        g.get_state(&cfg).await.unwrap().status,
        ThreadStatus::Pending
    );
    let error = g.resume(&cfg, Resume::Continue).await.unwrap_err();
    assert!(error.to_string().contains("boom"), "{error}");
    assert_eq!(g.get_state(&cfg).await.unwrap().status, ThreadStatus::Error);
    let out = g.resume(&cfg, Resume::Continue).await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "x", "slow", "c"]);
    assert_eq!((x.get(), slow.get()), (1, 3));
}

#[tokio::test]
async fn a_mapped_subgraphs_events_carry_its_namespace_and_json_state() {
    let mut child = StateGraph::<Search>::new();
    child.add_node("x", |s: Arc<Search>, ctx: Ctx| async move {
        ctx.emit("from x").await?;
        Ok(SearchUpdate::default().hits(vec![format!("x:{}", s.query)]))
    });
    child.add_edge(START, "x");
    let g = mapped_parent(child.compile().unwrap())
        .compile()
        .unwrap()
        .with_checkpointer(memory() as _);
    let mut stream = g.stream(
        push("in"),
        &RunConfig::thread("t"),
        graph_core::StreamModes::ALL,
    );
    let mut seen = Vec::new();
    let mut values = Vec::new();
    while let Some(event) = stream.next().await {
        let what = match &event.kind {
            EventKind::TaskStart { .. } => "start",
            EventKind::TaskEnd { .. } => "end",
            EventKind::Update(_) => "update",
            EventKind::SubgraphUpdate(_) => "sub-update",
            EventKind::Custom(_) => "custom",
            EventKind::Values(_) => "values",
            EventKind::SubgraphValues(v) => {
                values.push(v.clone());
                "sub-values"
            }
            EventKind::Checkpoint { .. } => "checkpoint",
            EventKind::End => "END",
            _ => "other",
        };
        let node = event
            .node
            .as_ref()
            .map_or("-".to_owned(), ToString::to_string);
        let ns: Vec<String> = event.ns.levels().map(|(n, _)| n.to_string()).collect();
        seen.push(format!("{}|{node}|{what}", ns.join("/")));
    }
    let out = stream.finish().await.unwrap();
    assert_eq!(out.state.log, ["in", "a", "x:rooms", "c"]);
    let from_sub: Vec<&str> = seen
        .iter()
        .map(String::as_str)
        .skip_while(|e| *e != "|sub|start")
        .take_while(|e| *e != "|sub|update")
        .collect();
    assert_eq!(
        from_sub,
        [
            "|sub|start",
            "sub|-|sub-values",
            "sub|-|checkpoint",
            "sub|x|start",
            "sub|x|custom",
            "sub|x|sub-update",
            "sub|x|end",
            "sub|-|sub-values",
            "sub|-|checkpoint",
        ]
    );
    assert_eq!(
        values,
        [
            serde_json::json!({"query": "rooms", "hits": []}),
            serde_json::json!({"query": "rooms", "hits": ["x:rooms"]}),
        ]
    );
}

/// `Command::parent` from a mapped subgraph: destinations alone route the parent; an update
/// needs `SubgraphMap::parent_update`, and without it the run fails saying so.
#[tokio::test]
async fn a_command_for_the_parent_from_a_mapped_subgraph_needs_its_update_mapped() {
    fn child(with_update: bool) -> CompiledGraph<Search> {
        let mut child = StateGraph::<Search>::new();
        child.add_node("escalate", move |_s: Arc<Search>, _ctx: Ctx| async move {
            let update = if with_update {
                SearchUpdate::default().hits(vec!["urgent".to_owned()])
            } else {
                SearchUpdate::default()
            };
            Ok::<_, NodeError>(Command::parent("human", update))
        });
        child.add_edge(START, "escalate");
        child.compile().unwrap()
    }
    fn parent(child: CompiledGraph<Search>, map: SubgraphMap<Log, Search>) -> StateGraph<Log> {
        let mut parent = StateGraph::<Log>::new();
        parent
            .add_subgraph_mapped("sub", child, map)
            .destinations(["human"]);
        parent.add_node("human", |_s: Arc<Log>, _ctx: Ctx| async {
            Ok(push("human"))
        });
        parent.add_edge(START, "sub");
        parent
    }
    let cfg = RunConfig::thread("t");

    let g = parent(child(false), search_map()).compile().unwrap();
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["human"]);

    let g = parent(child(true), search_map()).compile().unwrap();
    let error = g.invoke(LogUpdate::default(), &cfg).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("node `escalate` in subgraph `sub:"),
        "{error}"
    );
    assert!(
        error.to_string().contains("SubgraphMap::parent_update"),
        "{error}"
    );
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    let mut found = false;
    while let Some(e) = source {
        found |= e
            .downcast_ref::<Error>()
            .is_some_and(|e| matches!(e, Error::UnmappedParentUpdate { .. }));
        source = e.source();
    }
    assert!(found || matches!(error, Error::UnmappedParentUpdate { .. }));

    let map = search_map().parent_update(|u: SearchUpdate| match u.hits {
        Some(graph_core::FieldUpdate::Reduce(hits)) => LogUpdate::default().log(hits),
        _ => LogUpdate::default(),
    });
    let g = parent(child(true), map).compile().unwrap();
    let out = g.invoke(LogUpdate::default(), &cfg).await.unwrap();
    assert_eq!(out.state.log, ["urgent", "human"]);
}

#[test]
fn a_mapped_subgraph_is_drawn_as_a_cluster() {
    let g = mapped_parent(asking_search(
        &Calls::default(),
        &Calls::default(),
        &Calls::default(),
    ))
    .compile()
    .unwrap();
    let dot = g.to_dot();
    assert!(dot.contains("subgraph cluster_0 {"), "{dot}");
    assert!(dot.contains("\"ask\""), "{dot}");
    let mermaid = g.to_mermaid();
    assert!(
        mermaid.contains("subgraph __cluster0 [\"sub\"]"),
        "{mermaid}"
    );
}
