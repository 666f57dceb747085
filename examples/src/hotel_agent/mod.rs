//! The hotel booking agent as one graph: each guest message is one `invoke` on the guest's
//! thread (`<channel>:<user>`), and the [`Conversation`] carries the booking being put together
//! from turn to turn.
//!
//! ```text
//! ingest → understand ─┬─ greet / goodbye / answer (catalog Q&A)
//!                      ├─ collect_slots → quote           (asks only for what is missing)
//!                      ├─ confirm → create_booking → booked   (only an explicit yes books)
//!                      └─ triage → collect_slots | recover
//! every path ends in respond → END
//! ```
//!
//! The domain lives in the `hotel` crate; this module only wires it in.

mod booking;
mod nlu;
mod qa;
mod reply;
mod state;

use std::sync::Arc;

use agent_nodes::nlu::{Intent, Understand};
use agent_nodes::nodes::{IntentRouter, ToolNode};
use graph_core::{BuildError, Command, CompiledGraph, Ctx, END, NodeError, START, StateGraph};
use hotel::{BookingStore, Catalog, Clock};

pub use booking::{BOOK_TOOL, BookArgs, Booked};
pub use nlu::{nlu_catalog, offline_understander};
pub use qa::answer_from_catalog;
pub use state::{Conversation, ConversationUpdate, Line, Pending, Slots, Stay};

use reply::{language, say};

/// What the agent's graph is built from.
pub struct HotelAgent {
    /// The hotels.
    pub catalog: Catalog,
    /// The bookings.
    pub store: BookingStore,
    /// Reads the guest's messages.
    pub understand: Arc<dyn Understand>,
    /// Where today comes from.
    pub clock: Clock,
}

impl HotelAgent {
    /// An agent on `store` (and its catalog) that understands with the offline NLU.
    pub fn offline(store: BookingStore, clock: Clock) -> HotelAgent {
        let catalog = store.catalog().clone();
        HotelAgent {
            understand: offline_understander(&catalog),
            catalog,
            store,
            clock,
        }
    }
}

/// The input of one turn: `message` from the guest `channel`/`user`. Invoke it on the thread
/// [`thread_id`]`(channel, user)`.
pub fn turn(channel: &str, user: &str, message: &str) -> ConversationUpdate {
    ConversationUpdate::default()
        .channel(channel)
        .user(user)
        .message(message)
}

/// A guest's thread id: `<channel>:<user>`.
pub fn thread_id(channel: &str, user: &str) -> String {
    format!("{channel}:{user}")
}

/// Clears what belongs to the previous turn.
async fn ingest(_s: Arc<Conversation>, _ctx: Ctx) -> Result<ConversationUpdate, NodeError> {
    Ok(ConversationUpdate::default()
        .reply(String::new())
        .tool_calls(Vec::new())
        .tool_results(Vec::new()))
}

async fn greet(s: Arc<Conversation>, _ctx: Ctx) -> Result<ConversationUpdate, NodeError> {
    let reply = say(
        language(&s),
        "Hello! I can book a room at any of our seven hotels, or answer questions about them. How can I help?",
        "¡Hola! Puedo reservarle una habitación en cualquiera de nuestros siete hoteles o responder a sus preguntas. ¿En qué puedo ayudarle?",
    );
    Ok(ConversationUpdate::default().reply(reply))
}

async fn goodbye(s: Arc<Conversation>, _ctx: Ctx) -> Result<ConversationUpdate, NodeError> {
    let reply = say(
        language(&s),
        "Thank you for contacting us. Have a great day!",
        "Gracias por contactarnos. ¡Que tenga un buen día!",
    );
    Ok(ConversationUpdate::default().reply(reply))
}

/// Where the router sends what it has no route for: a message that only adds booking details
/// ("2 guests", "Dec 3 to 6") goes on with the booking, anything else to `recover`.
async fn triage(s: Arc<Conversation>, _ctx: Ctx) -> Result<Command<Conversation>, NodeError> {
    // Low-confidence booking requests land here too; flows not built yet (changes,
    // cancellations, complaints) must not be mistaken for a new booking.
    let other_flow = [
        Intent::ModificationRequest,
        Intent::CancellationRequest,
        Intent::BookingLookup,
        Intent::Complaint,
        Intent::HumanHandoff,
    ];
    let adds_details = s.understanding.as_ref().is_some_and(|u| {
        booking::has_booking_entities(&u.entities) && !other_flow.contains(&u.intent)
    });
    // A question the router was unsure of ("is there a casino at the Grand Plaza?") is a
    // question, not a booking: the catalog answers it, or says it does not know.
    let stay_details = s.understanding.as_ref().is_some_and(|u| {
        let e = &u.entities;
        e.room_type.is_some() || e.check_in.is_some() || e.nights.is_some() || e.adults.is_some()
    });
    if s.message.contains('?') && !stay_details {
        return Ok(Command::goto("answer"));
    }
    Ok(Command::goto(if adds_details {
        "collect_slots"
    } else {
        "recover"
    }))
}

/// The recovery path: says what the agent can do, and where the booking stands.
async fn recover(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let mut reply = say(
        lang,
        "Sorry, I did not quite get that. I can book a room or answer questions about our hotels.",
        "Disculpe, no le he entendido bien. Puedo reservar una habitación o responder preguntas sobre nuestros hoteles.",
    );
    if s.pending.is_some() {
        reply.push(' ');
        reply.push_str(&say(
            lang,
            "Shall I book the stay I quoted? Please answer yes or no.",
            "¿Reservo la estancia que le indiqué? Responda sí o no, por favor.",
        ));
    } else if s.slots.started() {
        reply.push(' ');
        reply.push_str(&booking::next_question(&agent.catalog, lang, &s.slots));
    }
    Ok(ConversationUpdate::default().reply(reply))
}

/// Records the turn in the transcript and the language it was answered in.
async fn respond(s: Arc<Conversation>, _ctx: Ctx) -> Result<ConversationUpdate, NodeError> {
    Ok(ConversationUpdate::default()
        .language(language(&s))
        .transcript(vec![
            Line {
                from: "guest".into(),
                text: s.message.clone(),
            },
            Line {
                from: "agent".into(),
                text: s.reply.clone(),
            },
        ]))
}

/// The agent's graph (without a checkpointer: add one with `with_checkpointer`, or every
/// invoke starts a fresh conversation).
pub fn hotel_agent_graph(agent: HotelAgent) -> Result<CompiledGraph<Conversation>, BuildError> {
    let toolbox = booking::toolbox(agent.store.clone(), agent.clock)
        .expect("the booking tool's schema is valid");
    let agent = Arc::new(agent);
    let clock = agent.clock;
    let mut graph = StateGraph::<Conversation>::new();

    graph.add_node("ingest", ingest);
    IntentRouter::new(
        Arc::clone(&agent.understand),
        |s: &Conversation| Some(s.message.clone()),
        |u| ConversationUpdate::default().understanding(Some(u)),
        "triage",
    )
    .route(Intent::Greeting, "greet")
    .route(Intent::Goodbye, "goodbye")
    .route(Intent::GeneralInquiry, "answer")
    .route(Intent::ReservationRequest, "collect_slots")
    .route(Intent::AvailabilityCheck, "collect_slots")
    .route(Intent::Affirm, "confirm")
    .route(Intent::Deny, "confirm")
    .today(move || clock.today())
    .add_to(&mut graph, "understand");
    graph
        .add_node("triage", triage)
        .destinations(["answer", "collect_slots", "recover"]);
    graph.add_node("greet", greet);
    graph.add_node("goodbye", goodbye);
    let a = Arc::clone(&agent);
    graph.add_node("answer", move |s, _ctx| qa::answer(Arc::clone(&a), s));
    let a = Arc::clone(&agent);
    graph.add_node("collect_slots", move |s, _ctx| {
        booking::collect_slots(Arc::clone(&a), s)
    });
    let a = Arc::clone(&agent);
    graph.add_node("quote", move |s, _ctx| booking::quote(Arc::clone(&a), s));
    graph.add_node("confirm", |s, _ctx| booking::confirm(s));
    graph.add_node_impl(
        "create_booking",
        ToolNode::new(
            toolbox,
            |s: &Conversation| s.tool_calls.clone(),
            |r| ConversationUpdate::default().tool_results(r),
        ),
    );
    graph.add_node("booked", |s, _ctx| booking::booked(s));
    let a = Arc::clone(&agent);
    graph.add_node("recover", move |s, _ctx| recover(Arc::clone(&a), s));
    graph.add_node("respond", respond);

    graph
        .add_edge(START, "ingest")
        .add_edge("ingest", "understand");
    graph.add_conditional_edge("collect_slots", ["quote", "respond"], |s: &Conversation| {
        if s.slots.complete() {
            "quote"
        } else {
            "respond"
        }
    });
    graph.add_conditional_edge(
        "confirm",
        ["create_booking", "respond"],
        |s: &Conversation| {
            if s.tool_calls.is_empty() {
                "respond"
            } else {
                "create_booking"
            }
        },
    );
    graph.add_edge("create_booking", "booked");
    for node in ["greet", "goodbye", "answer", "quote", "booked", "recover"] {
        graph.add_edge(node, "respond");
    }
    graph.add_edge("respond", END);
    graph.compile()
}
