//! A two-node graph routed by [`IntentRouter`]: a booking request goes to `book`, anything else
//! to `answer`. It understands offline by default; with a Gemini key, Gemini first and the
//! offline NLU when Gemini fails.

use std::sync::Arc;

use agent_nodes::fallback::{FallbackUnderstand, LlmUnderstand};
use agent_nodes::gemini::GeminiClient;
use agent_nodes::nlu::{
    Intent, Lexicon, LexiconHotel, LexiconRoom, OfflineNlu, Understand, Understanding,
};
use agent_nodes::nodes::IntentRouter;
use chrono::NaiveDate;
use graph_core::{BuildError, CompiledGraph, Ctx, END, NodeError, START, State, StateGraph};

/// One guest message and what came of it.
#[derive(State, Clone, Default, Debug)]
pub struct Turn {
    /// The guest's message.
    pub message: String,
    /// What the router understood.
    pub understanding: Option<Understanding>,
    /// The reply.
    pub reply: String,
}

/// Two hotels and three room types: the words the offline NLU should recognise.
pub fn catalog() -> Lexicon {
    let hotel = |id: &str, name: &str, city: &str| LexiconHotel {
        id: id.into(),
        name: name.into(),
        city: city.into(),
        aliases: Vec::new(),
    };
    let room = |id: &str, names: &[&str]| LexiconRoom {
        id: id.into(),
        names: names.iter().map(|n| (*n).to_owned()).collect(),
    };
    Lexicon {
        hotels: vec![
            hotel("sol-madrid", "Hotel Sol", "Madrid"),
            hotel("mar-valencia", "Hotel Mar", "Valencia"),
        ],
        room_types: vec![
            room("double", &["double", "doble", "matrimonial"]),
            room("single", &["single", "individual"]),
            room("suite", &["suite"]),
        ],
        reference: None,
    }
}

/// The understander: Gemini then offline when `gemini` is given, offline alone otherwise.
pub fn understander(gemini: Option<GeminiClient>) -> Arc<dyn Understand> {
    let offline: Arc<dyn Understand> = Arc::new(OfflineNlu::new(catalog()));
    match gemini {
        None => offline,
        Some(client) => {
            let llm = LlmUnderstand::new(
                Arc::new(client),
                "You read messages to the reservations desk of Hotel Sol (Madrid, id \
                 sol-madrid) and Hotel Mar (Valencia, id mar-valencia). Room type ids: double, \
                 single, suite.",
            );
            Arc::new(FallbackUnderstand::new(vec![Arc::new(llm), offline]))
        }
    }
}

async fn book(s: Arc<Turn>, _ctx: Ctx) -> Result<TurnUpdate, NodeError> {
    let Some(u) = &s.understanding else {
        return Ok(TurnUpdate::default().reply("What would you like to book?"));
    };
    let e = &u.entities;
    let mut missing = Vec::new();
    if e.check_in.is_none() {
        missing.push("arrival date");
    }
    if e.check_out.is_none() && e.nights.is_none() {
        missing.push("departure date");
    }
    if e.adults.is_none() {
        missing.push("number of guests");
    }
    let reply = if missing.is_empty() {
        format!(
            "Booking a {} room from {} for {} adult(s).",
            e.room_type.as_deref().unwrap_or("standard"),
            e.check_in.map(|d| d.to_string()).unwrap_or_default(),
            e.adults.unwrap_or(1)
        )
    } else {
        format!("Happy to book. I still need your {}.", missing.join(", "))
    };
    Ok(TurnUpdate::default().reply(reply))
}

async fn answer(s: Arc<Turn>, _ctx: Ctx) -> Result<TurnUpdate, NodeError> {
    let intent = s.understanding.as_ref().map(|u| u.intent);
    let reply = match intent {
        Some(Intent::Greeting) => "Hello! How can I help with your stay?".to_owned(),
        Some(other) => format!("I understood {other:?}; a colleague will follow up."),
        None => "Sorry, I did not get that.".to_owned(),
    };
    Ok(TurnUpdate::default().reply(reply))
}

/// The graph: `route` (an [`IntentRouter`]) → `book` for booking requests, `answer` otherwise.
/// `today` anchors relative dates.
pub fn intent_graph(
    understand: Arc<dyn Understand>,
    today: NaiveDate,
) -> Result<CompiledGraph<Turn>, BuildError> {
    let mut graph = StateGraph::<Turn>::new();
    IntentRouter::new(
        understand,
        |s: &Turn| Some(s.message.clone()),
        |u| TurnUpdate::default().understanding(Some(u)),
        "answer",
    )
    .route(Intent::ReservationRequest, "book")
    .route(Intent::AvailabilityCheck, "book")
    .today(move || today)
    .add_to(&mut graph, "route");
    graph.add_node("book", book);
    graph.add_node("answer", answer);
    graph
        .add_edge(START, "route")
        .add_edge("book", END)
        .add_edge("answer", END);
    graph.compile()
}
