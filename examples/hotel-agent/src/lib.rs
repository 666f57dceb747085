//! The hotel booking agent as one graph: each guest message is one `invoke` on the guest's
//! thread (`<channel>:<user>`), and the [`Conversation`] carries the booking being put together
//! from turn to turn.
//!
//! ```text
//! ingest → understand ─┬─ greet / goodbye / answer (catalog Q&A) / complaint (escalates)
//!                      ├─ collect_slots → quote           (asks only for what is missing)
//!                      ├─ lookup (→ reschedule | cancel when a change waits for a reference)
//!                      ├─ reschedule / cancel             (find the booking, quote the fee)
//!                      ├─ confirm ─┬─ create_booking → booked   (only an explicit yes acts)
//!                      │           └─ apply_change → changed
//!                      └─ triage → collect_slots | reschedule | cancel | answer | recover
//! every path ends in respond → END
//! ```
//!
//! The domain lives in the `hotel` crate; this module only wires it in.

pub mod bench;
mod booking;
mod changes;
mod confirm;
mod error;
mod lookup;
mod nlu;
mod qa;
mod reply;
mod state;
mod tools;

use agent_nodes::ChatModel;
use agent_nodes::fallback::{FallbackUnderstand, LlmUnderstand};
use agent_nodes::gemini::GeminiClient;
use std::sync::Arc;

use agent_nodes::nlu::{Intent, Understand};
use agent_nodes::nodes::{IntentRouter, ToolNode};
use graph_core::{BuildError, Command, CompiledGraph, Ctx, END, NodeError, START, StateGraph};
use hotel::{BookingStore, Catalog, Clock};

pub use error::Error;
pub use nlu::{nlu_catalog, offline_understander};
pub use qa::answer_from_catalog;
pub use state::{
    ChangeFlow, ChangeKind, Conversation, ConversationUpdate, Line, Pending, Slots, Stay,
};
pub use tools::{
    BOOK_TOOL, BookArgs, Booked, CANCEL_TOOL, CancelArgs, Changed, RESCHEDULE_TOOL, RescheduleArgs,
};

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

    /// An agent that asks `model` first (structured output) and falls back to the offline NLU
    /// when it fails, is rate-limited or answers badly. Traces name who understood.
    pub fn with_model(store: BookingStore, clock: Clock, model: Arc<dyn ChatModel>) -> HotelAgent {
        let mut agent = HotelAgent::offline(store, clock);
        let hotels: Vec<String> = agent
            .catalog
            .hotels()
            .iter()
            .map(|h| format!("{} ({}, id {})", h.name, h.city, h.code))
            .collect();
        let instructions = format!(
            "You read guests' messages to the reservations desk of these hotels: {}. Room type \
             ids: standard, deluxe, suite, family. Booking references look like SRS-7K3Q9P.",
            hotels.join("; ")
        );
        let llm = LlmUnderstand::new(model, instructions);
        let offline = Arc::clone(&agent.understand);
        agent.understand = Arc::new(FallbackUnderstand::new(vec![Arc::new(llm), offline]));
        agent
    }

    /// [`HotelAgent::with_model`] with Gemini.
    pub fn with_gemini(store: BookingStore, clock: Clock, gemini: GeminiClient) -> HotelAgent {
        HotelAgent::with_model(store, clock, Arc::new(gemini))
    }

    /// [`HotelAgent::with_gemini`] when `GEMINI_API_KEY` is set (see
    /// [`GeminiClient::from_env`]), [`HotelAgent::offline`] otherwise.
    pub fn from_env(store: BookingStore, clock: Clock) -> Result<HotelAgent, agent_nodes::Error> {
        if std::env::var_os("GEMINI_API_KEY").is_none() {
            return Ok(HotelAgent::offline(store, clock));
        }
        Ok(HotelAgent::with_gemini(
            store,
            clock,
            GeminiClient::from_env()?,
        ))
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

/// `complaint`: apologises, flags the thread for a person, and tells the guest so.
async fn complaint(s: Arc<Conversation>, _ctx: Ctx) -> Result<ConversationUpdate, NodeError> {
    let reply = say(
        language(&s),
        "I am very sorry about this. I have passed your message to our guest relations team, and a person will follow up with you shortly.",
        "Lamento mucho lo ocurrido. He enviado su mensaje a nuestro equipo de atención al huésped y una persona se pondrá en contacto con usted en breve.",
    );
    Ok(ConversationUpdate::default().escalated(true).reply(reply))
}

async fn goodbye(s: Arc<Conversation>, _ctx: Ctx) -> Result<ConversationUpdate, NodeError> {
    let reply = say(
        language(&s),
        "Thank you for contacting us. Have a great day!",
        "Gracias por contactarnos. ¡Que tenga un buen día!",
    );
    Ok(ConversationUpdate::default().reply(reply))
}

/// Where the router sends what it has no route for: new dates or a reference for a change
/// waiting for them go on with that change; a message that only adds booking details ("2
/// guests", "Dec 3 to 6") goes on with the booking; a question goes to `answer`; anything else
/// to `recover`.
async fn triage(s: Arc<Conversation>, _ctx: Ctx) -> Result<Command<Conversation>, NodeError> {
    let entities = s.understanding.as_ref().map(|u| &u.entities);
    if let Some(change) = &s.change {
        let dated = entities.is_some_and(|e| e.check_in.is_some());
        let named = entities.is_some_and(|e| e.booking_ref.is_some());
        match change.kind {
            ChangeKind::Reschedule if dated || named => return Ok(Command::goto("reschedule")),
            ChangeKind::Cancel if named => return Ok(Command::goto("cancel")),
            _ => {}
        }
    }
    // Low-confidence requests of the other flows must not be mistaken for a new booking.
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
    let stay_details = entities.is_some_and(|e| {
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
    if let Some(pending) = &s.pending {
        let (en, es) = match pending {
            Pending::Book { .. } => (
                "Shall I book the stay I quoted? Please answer yes or no.",
                "¿Reservo la estancia que le indiqué? Responda sí o no, por favor.",
            ),
            Pending::Reschedule { .. } => (
                "Shall I make the change I quoted? Please answer yes or no.",
                "¿Hago el cambio que le indiqué? Responda sí o no, por favor.",
            ),
            Pending::Cancel { .. } => (
                "Shall I cancel the booking? Please answer yes or no.",
                "¿Cancelo la reserva? Responda sí o no, por favor.",
            ),
        };
        reply.push(' ');
        reply.push_str(&say(lang, en, es));
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
    let booking_tools = tools::booking_toolbox(agent.store.clone(), agent.clock)
        .expect("the booking tool's schema is valid");
    let change_tools = tools::change_toolbox(agent.store.clone(), agent.clock)
        .expect("the change tools' schemas are valid");
    let agent = Arc::new(agent);
    let clock = agent.clock;
    let mut graph = StateGraph::<Conversation>::new();

    graph.add_node("ingest", ingest);
    IntentRouter::new(
        Arc::new(nlu::HotelUnderstand(Arc::clone(&agent.understand))),
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
    .route(Intent::BookingLookup, "lookup")
    .route(Intent::ModificationRequest, "reschedule")
    .route(Intent::CancellationRequest, "cancel")
    .route(Intent::Complaint, "complaint")
    .today(move || clock.today())
    .add_to(&mut graph, "understand");
    graph.add_node("triage", triage).destinations([
        "answer",
        "collect_slots",
        "reschedule",
        "cancel",
        "recover",
    ]);
    graph.add_node("greet", greet);
    graph.add_node("complaint", complaint);
    graph.add_node("goodbye", goodbye);
    let a = Arc::clone(&agent);
    graph.add_node("answer", move |s, _ctx| qa::answer(Arc::clone(&a), s));
    let a = Arc::clone(&agent);
    graph.add_node("collect_slots", move |s, _ctx| {
        booking::collect_slots(Arc::clone(&a), s)
    });
    let a = Arc::clone(&agent);
    graph.add_node("quote", move |s, _ctx| booking::quote(Arc::clone(&a), s));
    let a = Arc::clone(&agent);
    graph
        .add_node("lookup", move |s, _ctx| lookup::lookup(Arc::clone(&a), s))
        .destinations(["reschedule", "cancel", "respond"]);
    let a = Arc::clone(&agent);
    graph.add_node("reschedule", move |s, _ctx| {
        changes::reschedule(Arc::clone(&a), s)
    });
    let a = Arc::clone(&agent);
    graph.add_node("cancel", move |s, _ctx| changes::cancel(Arc::clone(&a), s));
    graph.add_node("confirm", |s, _ctx| confirm::confirm(s));
    for (node, toolbox) in [
        ("create_booking", booking_tools),
        ("apply_change", change_tools),
    ] {
        graph.add_node_impl(
            node,
            ToolNode::new(
                toolbox,
                |s: &Conversation| s.tool_calls.clone(),
                |r| ConversationUpdate::default().tool_results(r),
            ),
        );
    }
    graph.add_node("booked", |s, _ctx| booking::booked(s));
    graph.add_node("changed", |s, _ctx| changes::changed(s));
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
        ["create_booking", "apply_change", "respond"],
        |s: &Conversation| match s.tool_calls.first() {
            None => "respond",
            Some(call) if call.name == BOOK_TOOL => "create_booking",
            Some(_) => "apply_change",
        },
    );
    graph.add_edge("create_booking", "booked");
    graph.add_edge("apply_change", "changed");
    for node in [
        "greet",
        "goodbye",
        "complaint",
        "answer",
        "quote",
        "booked",
        "reschedule",
        "cancel",
        "changed",
        "recover",
    ] {
        graph.add_edge(node, "respond");
    }
    graph.add_edge("respond", END);
    graph.compile()
}
