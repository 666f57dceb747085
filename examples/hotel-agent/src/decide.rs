//! `decide`, the node that runs the [`policy`](crate::policy): it reads this turn's message
//! (with the understander's reading stored by `understand`), fetches the guest's bookings,
//! calls [`policy::decide`](crate::policy::decide), stores the dialog it returns and goes to
//! the node of its route.

use std::sync::Arc;

use agent_nodes::nlu::{Entities, Intent, Sentiment, Understanding};
use graph_core::{Command, NodeError};

use super::HotelAgent;
use super::lookup::guest;
use super::policy::{self, World};
use super::reading::Reading;
use super::state::{Conversation, ConversationUpdate};

pub(crate) async fn decide(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<Command<Conversation>, NodeError> {
    // `understand` always stores a reading of a message; an empty message has none.
    let unknown = Understanding {
        intent: Intent::Unknown,
        confidence: 0.0,
        language: s.language,
        entities: Entities::default(),
        sentiment: Sentiment::default(),
        provider: String::new(),
    };
    let mut reading = Reading::new(&s.message, s.understanding.as_ref().unwrap_or(&unknown));
    reading.date_options =
        crate::reading::date_options(&agent.options, &s.message, agent.clock.today());
    let bookings = agent
        .store
        .bookings_of(&guest(&s))
        .await
        .map_err(NodeError::permanent)?;
    let world = World {
        catalog: &agent.catalog,
        today: agent.clock.today(),
        bookings: &bookings,
    };
    let (route, dialog) = policy::decide(&s.dialog(), &reading, world);
    Ok(Command::update(ConversationUpdate::default().dialog(dialog)).and_goto(route.node()))
}
