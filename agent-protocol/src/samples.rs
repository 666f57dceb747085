//! Small graphs to try the API with (and that its tests drive): `approval`, a quote a human
//! approves (draft → approve, which interrupts → confirm | decline), and `sleepy`, one node
//! that sleeps `ms` milliseconds, for cancellation and double-texting.

use std::sync::Arc;
use std::time::Duration;

use graph_core::{BuildError, CompiledGraph, Ctx, END, NodeError, START, State, StateGraph};
use serde::Serialize;

/// A booking request that a human approves before it is confirmed.
#[derive(State, Clone, Default, Debug, PartialEq, Serialize)]
pub struct Approval {
    /// What the guest asked for ("suite 2 nights").
    pub ask: String,
    /// The quote drafted for it, in USD cents: 220 USD per night.
    pub quote_cents: u64,
    /// The human's decision.
    pub approved: Option<bool>,
    /// What happened, one line per step.
    #[state(append)]
    pub log: Vec<String>,
}

async fn draft(state: Arc<Approval>, _ctx: Ctx) -> Result<ApprovalUpdate, NodeError> {
    let nights = state
        .ask
        .split_whitespace()
        .find_map(|w| w.parse::<u64>().ok())
        .unwrap_or(1);
    Ok(ApprovalUpdate::default()
        .quote_cents(nights * 22_000)
        .log(vec![format!("drafted a quote for {nights} night(s)")]))
}

/// Pauses for a human, who answers "yes" or anything else.
async fn approve(state: Arc<Approval>, ctx: Ctx) -> Result<ApprovalUpdate, NodeError> {
    let question = serde_json::json!({
        "question": "approve this quote?",
        "quote_usd": format!("{}.{:02}", state.quote_cents / 100, state.quote_cents % 100),
    });
    let answer: String = ctx.interrupt(question)?;
    let approved = answer.trim().eq_ignore_ascii_case("yes");
    Ok(ApprovalUpdate::default()
        .approved(approved)
        .log(vec![format!("human answered {answer:?}")]))
}

async fn confirm(_state: Arc<Approval>, ctx: Ctx) -> Result<ApprovalUpdate, NodeError> {
    // Journaled: a re-run does not confirm twice.
    let reference: String = ctx
        .effect("send-confirmation", |key| async move {
            Ok::<_, NodeError>(format!("REF-{}", &key[..6]))
        })
        .await?;
    Ok(ApprovalUpdate::default().log(vec![format!("confirmed as {reference}")]))
}

async fn decline(_state: Arc<Approval>, _ctx: Ctx) -> Result<ApprovalUpdate, NodeError> {
    Ok(ApprovalUpdate::default().log(vec!["declined".to_owned()]))
}

/// The approval graph, without a checkpointer (the caller gives it one).
pub fn approval_graph() -> Result<CompiledGraph<Approval>, BuildError> {
    let mut graph = StateGraph::<Approval>::new();
    graph.add_node("draft", draft);
    graph.add_node("approve", approve);
    graph.add_node("confirm", confirm);
    graph.add_node("decline", decline);
    graph.add_edge(START, "draft").add_edge("draft", "approve");
    graph.add_conditional_edge("approve", ["confirm", "decline"], |s: &Approval| {
        if s.approved == Some(true) {
            "confirm"
        } else {
            "decline"
        }
    });
    graph.add_edge("confirm", END).add_edge("decline", END);
    graph.compile()
}

/// A run of `sleepy`: how long to sleep, and what happened.
#[derive(State, Clone, Default, Debug, PartialEq, Serialize)]
pub struct Sleepy {
    /// Milliseconds to sleep (at most 60 000).
    pub ms: u64,
    /// One line per sleep.
    #[state(append)]
    pub log: Vec<String>,
}

async fn sleep(state: Arc<Sleepy>, ctx: Ctx) -> Result<SleepyUpdate, NodeError> {
    let ms = state.ms.min(60_000);
    ctx.emit(serde_json::json!({ "sleeping_ms": ms })).await?;
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(SleepyUpdate::default().log(vec![format!("slept {ms} ms")]))
}

/// The sleepy graph, without a checkpointer.
pub fn sleepy_graph() -> Result<CompiledGraph<Sleepy>, BuildError> {
    let mut graph = StateGraph::<Sleepy>::new();
    graph.add_node("sleep", sleep);
    graph.add_edge(START, "sleep").add_edge("sleep", END);
    graph.compile()
}
