//! The guest's answer to a quote, as the policy read it: `confirm` hands an accepted quote to
//! a tool node (`create_booking` for a booking, `apply_change` for a reschedule or a
//! cancellation); `decline`, `keep_booking` and `defer` tell the guest it is dropped;
//! `ask_again` repeats its exact terms.

use std::sync::Arc;

use agent_nodes::ToolCall;
use agent_nodes::nlu::Language;
use graph_core::NodeError;
use serde::Serialize;

use super::HotelAgent;
use super::reply::{date, language, say, stay_terms};
use super::state::{Conversation, ConversationUpdate, Pending};
use super::tools::{BOOK_TOOL, BookArgs, CANCEL_TOOL, CancelArgs, RESCHEDULE_TOOL, RescheduleArgs};

fn call(name: &str, id: &str, args: impl Serialize) -> Result<ToolCall, NodeError> {
    Ok(ToolCall {
        id: Some(id.into()),
        name: name.into(),
        args: serde_json::to_value(args).map_err(NodeError::permanent)?,
        replay: None,
    })
}

/// The yes/no question for `pending`, with its exact terms.
pub(crate) fn terms_question(agent: &HotelAgent, lang: Language, pending: &Pending) -> String {
    match pending {
        Pending::Book { stay, total_cents } => {
            let name = agent
                .catalog
                .hotel(&stay.hotel)
                .map_or(stay.hotel.clone(), |h| h.name.clone());
            let total = hotel::Cents(*total_cents);
            let terms = stay_terms(lang, &name, &format!("{} room", stay.room), stay);
            say(
                lang,
                format!("Shall I book {terms}, for {total}? (yes/no)"),
                format!("¿Reservo {terms}, por {total}? (sí/no)"),
            )
        }
        Pending::Reschedule {
            reference,
            check_in,
            check_out,
            fee_cents,
            total_cents,
        } => {
            let (fee, total) = (hotel::Cents(*fee_cents), hotel::Cents(*total_cents));
            say(
                lang,
                format!(
                    "Shall I move booking {reference} to {} to {} (new total {total}, change fee {fee})? (yes/no)",
                    date(lang, *check_in),
                    date(lang, *check_out)
                ),
                format!(
                    "¿Cambio la reserva {reference} al {} hasta el {} (nuevo total {total}, tarifa de cambio {fee})? (sí/no)",
                    date(lang, *check_in),
                    date(lang, *check_out)
                ),
            )
        }
        Pending::Cancel {
            reference,
            charge_cents,
        } => {
            let charge = hotel::Cents(*charge_cents);
            say(
                lang,
                format!("Shall I cancel booking {reference} (charge {charge})? (yes/no)"),
                format!("¿Cancelo la reserva {reference} (cargo {charge})? (sí/no)"),
            )
        }
    }
}

/// `confirm`: the guest accepted the pending quote; its tool call goes to the tool node.
pub(crate) async fn confirm(s: Arc<Conversation>) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let Some(pending) = &s.pending else {
        let reply = say(
            lang,
            "There is nothing waiting for your confirmation. Would you like to book a room or ask about our hotels?",
            "No hay nada pendiente de confirmar. ¿Desea reservar una habitación o preguntar por nuestros hoteles?",
        );
        return Ok(ConversationUpdate::default().reply(reply));
    };
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

/// `decline`: the guest said no to a quoted booking or dropped their request.
pub(crate) async fn decline(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    // "Olvídalo. Oye, ¿el de Austin tiene gimnasio?": the question is answered after the no,
    // about the hotel it names (or the one now in focus).
    // ("Nah too pricey. whats the check in time there" asks without a question mark.)
    let folded = crate::text::fold(&s.message);
    let asks = crate::qa::asks(&folded);
    // (A sentence that opens with a question word asks.)
    let asking = s.message.contains(['?', '¿'])
        || folded.split(['.', '!', ',', ';']).any(|sentence| {
            crate::text::words(sentence).first().is_some_and(|w| {
                matches!(
                    *w,
                    "what"
                        | "whats"
                        | "when"
                        | "how"
                        | "que"
                        | "cual"
                        | "cuando"
                        | "cuanto"
                        | "donde"
                )
            })
        });
    if asks.topic && asking {
        // (Or the hotel of the quote just declined: "too pricey. whats the check in time there".)
        let about: Vec<String> = s
            .focus
            .clone()
            .or_else(|| s.previous.as_ref().and_then(|p| p.hotel.clone()))
            .into_iter()
            .collect();
        let answer = crate::qa::answer_from_catalog(&agent.catalog, lang, &about, &s.message);
        let reply = say(
            lang,
            format!("All right, I have not booked anything.\n{answer}"),
            format!("De acuerdo, no he reservado nada.\n{answer}"),
        );
        return Ok(ConversationUpdate::default().reply(reply));
    }
    let reply = say(
        lang,
        "All right, I have not booked anything. Is there anything else I can help you with?",
        "De acuerdo, no he reservado nada. ¿Puedo ayudarle en algo más?",
    );
    Ok(ConversationUpdate::default().reply(reply))
}

/// `keep_booking`: the guest said no to a quoted change or cancellation.
pub(crate) async fn keep_booking(s: Arc<Conversation>) -> Result<ConversationUpdate, NodeError> {
    let reply = say(
        language(&s),
        "All right, I have left your booking as it was. Is there anything else I can help you with?",
        "De acuerdo, he dejado su reserva como estaba. ¿Puedo ayudarle en algo más?",
    );
    Ok(ConversationUpdate::default().reply(reply))
}

/// `defer`: the guest wants time. Nothing is booked; the request is kept, and quoted afresh
/// when they come back to it.
pub(crate) async fn defer(s: Arc<Conversation>) -> Result<ConversationUpdate, NodeError> {
    let reply = say(
        language(&s),
        "No problem, take your time: I have not booked anything. When you are ready, just tell me and I will quote it again.",
        "Sin problema, tómese su tiempo: no he reservado nada. Cuando quiera, dígamelo y se lo vuelvo a cotizar.",
    );
    Ok(ConversationUpdate::default().reply(reply))
}

/// `ask_again`: the answer was neither yes nor no; the exact terms are asked again.
pub(crate) async fn ask_again(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let reply = match &s.pending {
        Some(p) => terms_question(&agent, lang, p),
        None => String::new(),
    };
    Ok(ConversationUpdate::default().reply(reply))
}
