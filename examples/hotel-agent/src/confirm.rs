//! `confirm`: the guest's yes or no to a pending quote. Only an explicit yes acts, by handing
//! the action to a tool node (`create_booking` for a booking, `apply_change` for a reschedule or
//! a cancellation); a no drops it.

use std::sync::Arc;

use agent_nodes::ToolCall;
use agent_nodes::nlu::Intent;
use graph_core::NodeError;
use serde::Serialize;

use super::reply::{language, say};
use super::state::{Conversation, ConversationUpdate, Pending, Slots};
use super::tools::{BOOK_TOOL, BookArgs, CANCEL_TOOL, CancelArgs, RESCHEDULE_TOOL, RescheduleArgs};

fn call(name: &str, id: &str, args: impl Serialize) -> Result<ToolCall, NodeError> {
    Ok(ToolCall {
        id: Some(id.into()),
        name: name.into(),
        args: serde_json::to_value(args).map_err(NodeError::permanent)?,
        replay: None,
    })
}

pub(crate) async fn confirm(s: Arc<Conversation>) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let intent = s.understanding.as_ref().map(|u| u.intent);
    let Some(pending) = &s.pending else {
        let reply = say(
            lang,
            "There is nothing waiting for your confirmation. Would you like to book a room or ask about our hotels?",
            "No hay nada pendiente de confirmar. ¿Desea reservar una habitación o preguntar por nuestros hoteles?",
        );
        return Ok(ConversationUpdate::default().reply(reply));
    };
    if intent != Some(Intent::Affirm) {
        let reply = match pending {
            Pending::Book { .. } => say(
                lang,
                "All right, I have not booked anything. Is there anything else I can help you with?",
                "De acuerdo, no he reservado nada. ¿Puedo ayudarle en algo más?",
            ),
            Pending::Reschedule { .. } | Pending::Cancel { .. } => say(
                lang,
                "All right, I have left your booking as it was. Is there anything else I can help you with?",
                "De acuerdo, he dejado su reserva como estaba. ¿Puedo ayudarle en algo más?",
            ),
        };
        return Ok(ConversationUpdate::default()
            .pending(None)
            .slots(Slots::default())
            .reply(reply));
    }
    let (channel, user) = (s.channel.clone(), s.user.clone());
    let tool_call = match pending.clone() {
        Pending::Book { stay, .. } => call(
            BOOK_TOOL,
            "book-1",
            BookArgs {
                channel,
                user,
                stay,
            },
        )?,
        Pending::Reschedule {
            reference,
            check_in,
            check_out,
            ..
        } => call(
            RESCHEDULE_TOOL,
            "reschedule-1",
            RescheduleArgs {
                channel,
                user,
                reference,
                check_in,
                check_out,
            },
        )?,
        Pending::Cancel { reference, .. } => call(
            CANCEL_TOOL,
            "cancel-1",
            CancelArgs {
                channel,
                user,
                reference,
            },
        )?,
    };
    Ok(ConversationUpdate::default().tool_calls(vec![tool_call]))
}
