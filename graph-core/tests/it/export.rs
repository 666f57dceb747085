//! Export: DOT, Mermaid, the JSON description, JSON Schemas, and every build error.

use std::sync::Arc;

use graph_core::{BuildError, Ctx, END, Push, START, StateGraph};

use crate::{Log, LogUpdate, append};

fn sample() -> graph_core::CompiledGraph<Log> {
    let mut g = StateGraph::<Log>::new();
    g.add_node("classify", append("classify"));
    g.add_node("answer", append("answer"));
    g.add_node("book", |_s: Arc<Log>, _c: Ctx| async { Ok(()) })
        .destinations(["answer"]);
    g.add_push_node("worker", |_x: u32, _c: Ctx| async { Ok(()) });
    g.add_node("merge", append("merge"));
    g.add_edge(START, "classify");
    g.add_conditional_edge(
        "classify",
        ["answer".into(), "book".into(), END],
        |s: &Log| {
            if s.flag { "book".into() } else { END }
        },
    );
    g.add_conditional_edge("answer", ["worker"], |_s: &Log| {
        vec![Push::new("worker", &1)]
    });
    g.add_join_edge(["worker", "book"], "merge");
    g.add_edge("merge", END);
    g.compile().unwrap()
}

#[test]
fn dot_draws_conditional_edges_dashed_and_start_end_shaped() {
    insta::assert_snapshot!(sample().to_dot());
}

#[test]
fn dot_can_highlight_an_executed_path() {
    let dot = sample().to_dot_highlighting(&["classify".into(), "book".into()]);
    insta::assert_snapshot!(dot);
}

#[test]
fn a_finished_run_lights_end_too() {
    let lit = |executed: &[&str]| {
        let executed: Vec<graph_core::NodeId> = executed.iter().map(|n| (*n).into()).collect();
        sample()
            .to_dot_highlighting(&executed)
            .contains(r##"label="end" shape=doublecircle style=filled fillcolor="#9ae6b4""##)
    };
    assert!(!lit(&["classify", "book", "merge"]));
    assert!(lit(&["classify", "book", "merge", "__end__"]));
}

#[test]
fn mermaid_matches_langgraphs_shape() {
    insta::assert_snapshot!(sample().to_mermaid());
}

#[test]
fn the_json_description_lists_nodes_and_typed_edges() {
    insta::assert_json_snapshot!(sample().describe());
}

#[test]
fn state_and_input_schemas() {
    let g = sample();
    let state = g.state_schema();
    assert_eq!(state["title"], "Log");
    assert!(
        state["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "log")
    );
    let input = g.input_schema();
    assert_eq!(input["title"], "LogUpdate");
    assert!(
        input.get("required").is_none(),
        "every input field is optional"
    );
    assert_eq!(input["additionalProperties"], false);
}

#[test]
fn every_build_error_names_what_is_wrong() {
    fn err(build: impl FnOnce(&mut StateGraph<Log>)) -> String {
        let mut g = StateGraph::<Log>::new();
        build(&mut g);
        g.compile().unwrap_err().to_string()
    }
    let a = || append("a");
    let cases = [
        err(|g| {
            g.add_node("a", a());
        }),
        err(|g| {
            g.add_node("a", a());
            g.add_edge(START, "a").add_edge("a", "zzz");
        }),
        err(|g| {
            g.add_node("a", a());
            g.add_node("a", a());
            g.add_edge(START, "a");
        }),
        err(|g| {
            g.add_node("__start__", a());
        }),
        err(|g| {
            g.add_node("", a());
        }),
        err(|g| {
            g.add_node("agent:tools", a());
        }),
        err(|g| {
            g.add_node("a", a());
            g.add_edge(START, "a").add_edge(END, "a");
        }),
        err(|g| {
            g.add_node("a", a());
            g.add_edge(START, "a").add_edge("a", START);
        }),
        err(|g| {
            g.add_node("a", a());
            g.add_node("island", a());
            g.add_node("island2", a());
            g.add_edge(START, "a").add_edge("island", "island2");
        }),
        err(|g| {
            g.add_node("a", a());
            g.add_push_node("w", |_x: u32, _c: Ctx| async { Ok(()) });
            g.add_edge(START, "a").add_edge("a", "w");
        }),
        err(|g| {
            g.add_node("a", a());
            g.add_edge(START, "a");
            g.add_conditional_edge("a", Vec::<&str>::new(), |_s: &Log| END);
        }),
        err(|g| {
            g.add_node("a", a());
            g.add_edge(START, "a");
            g.add_join_edge(["a", "a"], "a");
        }),
        err(|g| {
            g.add_node("a", a()).destinations(["ghost"]);
            g.add_edge(START, "a");
        }),
        err(|g| {
            g.add_node("a", a());
            g.add_push_node("w", |_x: u32, _c: Ctx| async { Ok(()) })
                .defer();
            g.add_edge(START, "a");
        }),
    ];
    insta::assert_snapshot!(cases.join("\n"));
    let _ = BuildError::MissingEntry;
    let _ = LogUpdate::default();
}

/// plan → review (a subgraph: check, then fix — itself a subgraph of one node — or END) → sum,
/// and plan → side → sum, `sum` deferred so it runs once after both.
fn with_subgraphs() -> graph_core::CompiledGraph<Log> {
    let mut fix = StateGraph::<Log>::new();
    fix.add_node("patch", append("patch"));
    fix.add_edge(START, "patch");
    let mut review = StateGraph::<Log>::new();
    review.add_node("check", append("check"));
    review.add_subgraph("fix", fix.compile().unwrap());
    review.add_edge(START, "check");
    review.add_conditional_edge("check", ["fix".into(), END], |s: &Log| {
        if s.flag { "fix".into() } else { END }
    });
    let mut g = StateGraph::<Log>::new();
    g.add_node("plan", append("plan"));
    g.add_subgraph("review", review.compile().unwrap());
    g.add_node("side", append("side"));
    g.add_node("sum", append("sum")).defer();
    g.add_edge(START, "plan")
        .add_edge("plan", "review")
        .add_edge("plan", "side")
        .add_edge("review", "sum")
        .add_edge("side", "sum");
    g.compile().unwrap()
}

#[test]
fn dot_draws_a_subgraph_as_a_cluster_and_a_deferred_node_dashed() {
    insta::assert_snapshot!(with_subgraphs().to_dot());
}

#[test]
fn dot_highlights_an_executed_subgraph_at_its_start_and_end() {
    let executed = ["plan", "review", "side", "sum"].map(Into::into);
    insta::assert_snapshot!(with_subgraphs().to_dot_highlighting(&executed));
}

#[test]
fn mermaid_draws_a_subgraph_as_a_block_and_a_deferred_node_dashed() {
    insta::assert_snapshot!(with_subgraphs().to_mermaid());
}

#[test]
fn the_json_description_keeps_a_subgraph_one_node() {
    let description = with_subgraphs().describe();
    let names: Vec<&str> = description.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(
        names,
        ["__start__", "plan", "review", "side", "sum", "__end__"]
    );
}
