//! The hotel booking agent: one graph-core graph over the `hotel` crate. Each guest message is
//! one `invoke` on the guest's thread (`<channel>:<user>`), and the [`Conversation`] carries
//! the dialog from turn to turn.
//!
//! ```text
//! ingest → understand → decide ─┬─ greet / goodbye / refuse / recover / help
//!   │                           ├─ answer · answer_and_collect (→ quote)   catalog facts only
//!   │                           ├─ compare      one stay priced at several hotels or rooms
//!   │                           ├─ collect_slots (→ quote) · clarify       the request
//!   │                           ├─ lookup · reschedule · cancel · underway existing bookings
//!   │                           ├─ confirm ─┬─ create_booking → booked     only a clear yes
//!   │                           │           └─ apply_change → changed
//!   │                           ├─ decline · keep_booking · defer · ask_again
//!   │                           └─ complaint: a person is asked to take over
//!   └─ with_staff (while a person has it) → await_staff
//! every path ends in respond → END, or → await_staff once a handoff is open
//! ```
//!
//! A handoff ([`handoff`]) pauses the thread in `await_staff` on an interrupt until staff act:
//! their reply is the turn's reply, and after they hand the conversation back the agent
//! answers again.
//!
//! `understand` only reads the message (the offline NLU, or a model in front of it); what
//! happens next is decided by [`policy::decide`], a plain function of the dialog, the reading
//! and the guest's bookings. Consent is read from the guest's own words by
//! [`consent::classify`], so no understander can book on its own.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use graph_core::{InMemoryCheckpointer, RunConfig};
//! use hotel::{BookingStore, Catalog, Clock};
//! use hotel_agent::{HotelAgent, hotel_agent_graph, thread_id, turn};
//!
//! let dir = std::env::temp_dir().join(format!("hotel-agent-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let store = BookingStore::open(dir.join("bookings.db"), Catalog::load()?)?;
//! let today = "2026-11-22".parse()?;
//! let graph = hotel_agent_graph(HotelAgent::offline(store.clone(), Clock::Fixed(today)))?
//!     .with_checkpointer(Arc::new(InMemoryCheckpointer::new()));
//! let config = RunConfig::thread(thread_id("doc", "ana"));
//! let quoted = graph
//!     .invoke(turn("doc", "ana", "a deluxe at the grand plaza dec 3-6 for 2"), &config)
//!     .await?;
//! assert!(quoted.state.reply.contains("$1,024.00"));
//! // "ok thanks" is no yes: nothing is booked.
//! graph.invoke(turn("doc", "ana", "ok thanks, just looking"), &config).await?;
//! assert!(store.bookings_of(&hotel::GuestId::new("doc", "ana"))?.is_empty());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```

pub mod bench;
mod booking;
mod changes;
mod compare;
mod confirm;
pub mod consent;
mod decide;
mod error;
pub mod guest;
pub mod handoff;
mod lookup;
mod nlu;
pub mod policy;
mod qa;
mod quote;
pub mod reading;
mod reply;
mod state;
mod talk;
mod text;
mod tools;

use agent_nodes::ChatModel;
use agent_nodes::fallback::{FallbackUnderstand, LlmUnderstand};
use agent_nodes::gemini::GeminiClient;
use std::sync::Arc;

use agent_nodes::nlu::{OfflineNlu, Understand};
use agent_nodes::nodes::{IntentRouter, ToolNode};
use graph_core::{BuildError, CompiledGraph, Ctx, END, Endpoint, NodeError, START, StateGraph};
use hotel::{Bookings, Catalog, Clock};

pub use error::Error;
pub use handoff::{HANDOFF, HandoffReason, HandoffRequest, StaffAction, StaffHours};
pub use nlu::{nlu_lexicon, offline_understander};
pub use qa::answer_from_catalog;
pub use state::{
    ChangeFlow, ChangeKind, Conversation, ConversationUpdate, Line, Pending, Slots, Stay,
    TRANSCRIPT_LINES,
};
pub use tools::{
    BOOK_TOOL, BookArgs, Booked, CANCEL_TOOL, CancelArgs, Changed, RESCHEDULE_TOOL, RescheduleArgs,
};

/// A date as the agent words it for a guest (`Dec 3, 2026`, `3 de diciembre de 2026`).
pub use reply::date as guest_date;
use reply::language;

/// What the agent's graph is built from.
pub struct HotelAgent {
    /// The hotels.
    pub catalog: Catalog,
    /// The bookings (SQLite or Postgres).
    pub store: Arc<dyn Bookings>,
    /// Reads the guest's messages.
    pub understand: Arc<dyn Understand>,
    /// Where today comes from.
    pub clock: Clock,
    /// When staff answer guests a person was asked for (told to the guest when a handoff
    /// opens).
    pub staff_hours: StaffHours,
    /// Reads the stays a guest weighs ("dec 18-21 vs jan 8-11") one by one, whichever
    /// understander reads the message.
    options: OfflineNlu,
}

impl HotelAgent {
    /// An agent on `store` (and its catalog) that understands with the offline NLU.
    pub fn offline(store: impl Bookings + 'static, clock: Clock) -> HotelAgent {
        HotelAgent::offline_on(Arc::new(store), clock)
    }

    /// [`HotelAgent::offline`] on a store already shared.
    pub fn offline_on(store: Arc<dyn Bookings>, clock: Clock) -> HotelAgent {
        let catalog = store.catalog().clone();
        HotelAgent {
            understand: offline_understander(&catalog),
            options: OfflineNlu::new(nlu_lexicon(&catalog)),
            catalog,
            store,
            clock,
            staff_hours: StaffHours::default(),
        }
    }

    /// An agent that asks `model` first (structured output) and falls back to the offline NLU
    /// when it fails, is rate-limited or answers badly. Traces name who understood.
    pub fn with_model(
        store: impl Bookings + 'static,
        clock: Clock,
        model: Arc<dyn ChatModel>,
    ) -> HotelAgent {
        HotelAgent::with_model_on(Arc::new(store), clock, model)
    }

    /// [`HotelAgent::with_model`] on a store already shared.
    pub fn with_model_on(
        store: Arc<dyn Bookings>,
        clock: Clock,
        model: Arc<dyn ChatModel>,
    ) -> HotelAgent {
        let mut agent = HotelAgent::offline_on(store, clock);
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
    pub fn with_gemini(
        store: impl Bookings + 'static,
        clock: Clock,
        gemini: GeminiClient,
    ) -> HotelAgent {
        HotelAgent::with_model(store, clock, Arc::new(gemini))
    }

    /// [`HotelAgent::with_gemini`] when `GEMINI_API_KEY` is set (see
    /// [`GeminiClient::from_env`]), [`HotelAgent::offline`] otherwise.
    pub fn from_env(
        store: impl Bookings + 'static,
        clock: Clock,
    ) -> Result<HotelAgent, agent_nodes::Error> {
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

/// A guest's thread id: `<channel>:<user>`, the guest's [`hotel::GuestId`] as it renders (one
/// spelling of a guest everywhere: threads, rate limits, the console).
pub fn thread_id(channel: &str, user: &str) -> String {
    hotel::GuestId::new(channel, user).to_string()
}

/// Clears what belongs to the previous turn, and recalls the guest (with what this message
/// says of them) from the graph's store, when it has one.
async fn ingest(s: Arc<Conversation>, ctx: Ctx) -> Result<ConversationUpdate, NodeError> {
    let update = ConversationUpdate::default()
        .reply(String::new())
        .tool_calls(Vec::new())
        .tool_results(Vec::new());
    let Some(store) = ctx.store() else {
        return Ok(update);
    };
    let profile = guest::remember(store, ctx.thread().as_str(), &s.message, s.language).await?;
    Ok(update.guest(Some(profile)))
}

/// Records the turn in the transcript and the language it was answered in, which the guest's
/// profile keeps too.
async fn respond(s: Arc<Conversation>, ctx: Ctx) -> Result<ConversationUpdate, NodeError> {
    let language = language(&s);
    if let (Some(store), Some(profile)) = (ctx.store(), &s.guest)
        && profile.language != Some(language)
    {
        guest::remember(store, ctx.thread().as_str(), "", language).await?;
    }
    Ok(ConversationUpdate::default()
        .language(language)
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
    let booking_tools = tools::booking_toolbox(Arc::clone(&agent.store), agent.clock)
        .expect("the booking tool's schema is valid");
    let change_tools = tools::change_toolbox(Arc::clone(&agent.store), agent.clock)
        .expect("the change tools' schemas are valid");
    let agent = Arc::new(agent);
    let clock = agent.clock;
    let mut graph = StateGraph::<Conversation>::new();

    graph.add_node("ingest", ingest);
    // Understanding only: what happens next is the policy's decision, not the intent's.
    IntentRouter::new(
        Arc::new(nlu::HotelUnderstand(Arc::clone(&agent.understand))),
        |s: &Conversation| Some(s.message.clone()),
        |u| ConversationUpdate::default().understanding(Some(u)),
        "decide",
    )
    .today(move || clock.today())
    .add_to(&mut graph, "understand");
    let a = Arc::clone(&agent);
    graph
        .add_node("decide", move |s, _ctx| decide::decide(Arc::clone(&a), s))
        .destinations(policy::Route::ALL.map(policy::Route::node));
    graph.add_node("greet", talk::greet);
    let a = Arc::clone(&agent);
    graph.add_node("complaint", move |s, _ctx| handoff::open(Arc::clone(&a), s));
    graph.add_node("with_staff", handoff::with_staff);
    graph.add_node("await_staff", handoff::await_staff);
    graph.add_node("goodbye", talk::goodbye);
    let a = Arc::clone(&agent);
    graph.add_node("answer", move |s, _ctx| qa::answer(Arc::clone(&a), s));
    let a = Arc::clone(&agent);
    graph.add_node("answer_and_collect", move |s, _ctx| {
        qa::answer(Arc::clone(&a), s)
    });
    let a = Arc::clone(&agent);
    graph.add_node("collect_slots", move |s, _ctx| {
        booking::collect_slots(Arc::clone(&a), s)
    });
    let a = Arc::clone(&agent);
    graph.add_node("clarify", move |s, _ctx| {
        booking::clarify(Arc::clone(&a), s)
    });
    let a = Arc::clone(&agent);
    graph.add_node("compare", move |s, _ctx| {
        compare::compare(Arc::clone(&a), s)
    });
    let a = Arc::clone(&agent);
    graph.add_node("quote", move |s, _ctx| quote::quote(Arc::clone(&a), s));
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
    let a = Arc::clone(&agent);
    graph.add_node("decline", move |s, _ctx| {
        confirm::decline(Arc::clone(&a), s)
    });
    graph.add_node("keep_booking", |s, _ctx| confirm::keep_booking(s));
    graph.add_node("defer", |s, _ctx| confirm::defer(s));
    let a = Arc::clone(&agent);
    graph.add_node("ask_again", move |s, _ctx| {
        confirm::ask_again(Arc::clone(&a), s)
    });
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
    let a = Arc::clone(&agent);
    graph.add_node("booked", move |s, _ctx| quote::booked(Arc::clone(&a), s));
    graph.add_node("changed", |s, _ctx| changes::changed(s));
    let a = Arc::clone(&agent);
    graph.add_node("underway", move |s, _ctx| {
        changes::underway(Arc::clone(&a), s)
    });
    let a = Arc::clone(&agent);
    graph.add_node("recover", move |s, _ctx| talk::recover(Arc::clone(&a), s));
    let a = Arc::clone(&agent);
    graph.add_node("help", move |s, _ctx| talk::help(Arc::clone(&a), s));
    let a = Arc::clone(&agent);
    graph.add_node("refuse", move |s, _ctx| talk::refuse(Arc::clone(&a), s));
    graph.add_node("respond", respond);

    graph.add_edge(START, "ingest");
    // While a person has the conversation, the agent reads nothing and answers nothing.
    graph.add_conditional_edge(
        "ingest",
        ["understand", "with_staff"],
        |s: &Conversation| {
            if s.handoff.is_some() {
                "with_staff"
            } else {
                "understand"
            }
        },
    );
    graph.add_edge("with_staff", "await_staff");
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
    // A question asked with a complete request is answered, then the request quoted.
    graph.add_conditional_edge(
        "answer_and_collect",
        ["quote", "respond"],
        |s: &Conversation| {
            if s.pending.is_none() && s.slots.complete() {
                "quote"
            } else {
                "respond"
            }
        },
    );
    graph.add_edge("create_booking", "booked");
    graph.add_edge("apply_change", "changed");
    for node in [
        "greet",
        "goodbye",
        "complaint",
        "answer",
        "clarify",
        "compare",
        "quote",
        "booked",
        "reschedule",
        "cancel",
        "underway",
        "changed",
        "decline",
        "keep_booking",
        "defer",
        "ask_again",
        "recover",
        "help",
        "refuse",
    ] {
        graph.add_edge(node, "respond");
    }
    // A handoff opened this turn (or staff replied) waits for staff; otherwise the turn ends.
    for node in ["respond", "await_staff"] {
        let waits = Endpoint::from("await_staff");
        graph.add_conditional_edge(node, [waits.clone(), END], move |s: &Conversation| {
            if s.handoff.is_some() {
                waits.clone()
            } else {
                END
            }
        });
    }
    graph.compile()
}
