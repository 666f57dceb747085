//! Runnable examples of graph-core. Each graph is built by a function here so the `tests`
//! package can run and snapshot it; the binaries in `src/bin` run them for people.
//!
//! Run with:
//!
//! ```text
//! cargo run -p examples --bin approval            # answers the approval with "yes"
//! cargo run -p examples --bin approval -- no      # or with "no"
//! cargo run -p examples --bin crash_loop -- --db c.db --effects e.txt --runs r.txt
//! cargo run -p examples --bin intent -- "a double room from Dec 3 to 6 for 2"
//! ```

pub mod crash;
pub mod intent;

use std::sync::Arc;

use graph_core::{
    BuildError, CompiledGraph, Ctx, END, InMemoryCheckpointer, NodeError, START, State, StateGraph,
};

/// A booking request that a human approves before it is confirmed.
#[derive(State, Clone, Default, Debug, PartialEq, serde::Serialize)]
pub struct Request {
    /// What the guest asked for.
    pub ask: String,
    /// The quote drafted for it, in USD cents.
    pub quote_cents: u64,
    /// The human's decision.
    pub approved: Option<bool>,
    /// What happened, one line per step.
    #[state(append)]
    pub log: Vec<String>,
}

async fn draft(state: Arc<Request>, _ctx: Ctx) -> Result<RequestUpdate, NodeError> {
    let nights = state
        .ask
        .split_whitespace()
        .filter_map(|w| w.parse::<u64>().ok())
        .next()
        .unwrap_or(1);
    Ok(RequestUpdate::default()
        .quote_cents(nights * 22_000)
        .log(vec![format!("drafted a quote for {nights} night(s)")]))
}

/// Pauses for a human: the run stops here until it is resumed with "yes" or "no".
async fn approve(state: Arc<Request>, ctx: Ctx) -> Result<RequestUpdate, NodeError> {
    let question = serde_json::json!({
        "question": "approve this quote?",
        "quote_usd": format!("{:.2}", state.quote_cents as f64 / 100.0),
    });
    let answer: String = ctx.interrupt(question)?;
    let approved = answer.trim().eq_ignore_ascii_case("yes");
    Ok(RequestUpdate::default()
        .approved(approved)
        .log(vec![format!("human answered {answer:?}")]))
}

async fn confirm(_state: Arc<Request>, ctx: Ctx) -> Result<RequestUpdate, NodeError> {
    // The confirmation is a side effect: journaled, so a re-run would not send it twice.
    let reference: String = ctx
        .effect("send-confirmation", |key| async move {
            Ok::<_, NodeError>(format!("REF-{}", &key[..6]))
        })
        .await?;
    Ok(RequestUpdate::default().log(vec![format!("confirmed as {reference}")]))
}

async fn decline(_state: Arc<Request>, _ctx: Ctx) -> Result<RequestUpdate, NodeError> {
    Ok(RequestUpdate::default().log(vec!["declined".to_owned()]))
}

/// The approval graph: draft → approve (interrupt) → confirm | decline, with an in-memory
/// checkpointer so the interrupt can be resumed.
pub fn approval_graph() -> Result<CompiledGraph<Request>, BuildError> {
    let mut graph = StateGraph::<Request>::new();
    graph.add_node("draft", draft);
    graph.add_node("approve", approve);
    graph.add_node("confirm", confirm);
    graph.add_node("decline", decline);
    graph.add_edge(START, "draft").add_edge("draft", "approve");
    graph.add_conditional_edge("approve", ["confirm", "decline"], |s: &Request| {
        if s.approved == Some(true) {
            "confirm"
        } else {
            "decline"
        }
    });
    graph.add_edge("confirm", END).add_edge("decline", END);
    Ok(graph
        .compile()?
        .with_checkpointer(Arc::new(InMemoryCheckpointer::new())))
}
