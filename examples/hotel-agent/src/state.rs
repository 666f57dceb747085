//! [`Conversation`], the state of one guest's thread, and the booking [`Slots`] it fills.

use agent_nodes::nlu::{Language, Understanding};
use agent_nodes::{ToolCall, ToolResult};
use chrono::NaiveDate;
use graph_core::State;
use serde::{Deserialize, Serialize};

use crate::policy::Dialog;

/// One guest's conversation. A turn is one `invoke` with the guest's message on the thread
/// `<channel>:<user>`; everything not reset by `ingest` carries over to the next turn.
#[derive(State, Clone, Default, Debug, Serialize)]
pub struct Conversation {
    /// The channel the guest writes on (`terminal`, `instagram`, …).
    pub channel: String,
    /// The guest's id on that channel.
    pub user: String,
    /// This turn's message.
    pub message: String,
    /// The language replies are written in; kept across turns so a bare "yes" or "2" does not
    /// switch it.
    pub language: Language,
    /// What was understood from this turn's message.
    pub understanding: Option<Understanding>,
    /// The booking being put together.
    pub slots: Slots,
    /// An action quoted to the guest and awaiting their yes or no.
    pub pending: Option<Pending>,
    /// A change to an existing booking still missing its booking or its new dates.
    pub change: Option<ChangeFlow>,
    /// The hotel the guest is talking about: questions without a hotel are about it, and a
    /// booking without one is at it.
    pub focus: Option<String>,
    /// The guest's last request, booked or dropped, for "same dates somewhere else" and "the
    /// same again for the 8th".
    pub previous: Option<Slots>,
    /// Messages in a row the agent did not understand.
    pub misses: u32,
    /// The month of a request whose dates were vague, for days given alone afterwards.
    pub month: Option<u32>,
    /// The booking last shown to the guest, which "it" refers to.
    pub shown: Option<String>,
    /// The guest's last question about the hotels ("how much is parking at the Heritage?"),
    /// which "and at the Grand Plaza?" asks again of another hotel.
    pub asked: Option<String>,
    /// Hotels the guest last named together, which "at each one" refers to.
    pub compared: Vec<String>,
    /// Stays last priced side by side ("dec 18-21 vs jan 8-11"), which "the january one" picks
    /// from.
    pub weighed_dates: Vec<(NaiveDate, NaiveDate)>,
    /// The tool calls the `create_booking` or `apply_change` tool node runs this turn.
    pub tool_calls: Vec<ToolCall>,
    /// Their results.
    pub tool_results: Vec<ToolResult>,
    /// The agent's reply to this turn's message.
    pub reply: String,
    /// The last [`TRANSCRIPT_LINES`] messages and replies, in order. A window, not the whole
    /// conversation: a guest's thread lives for years, and a turn must cost the same on its
    /// thousandth message as on its first. Every turn's lines stay in the thread's checkpoints
    /// (each checkpoint stores what its turn appended), where history reads them.
    #[state(append, keep_last = TRANSCRIPT_LINES)]
    pub transcript: Vec<Line>,
    /// While a person has the conversation (a handoff is open): why they were asked to take
    /// over. The agent answers nothing until staff hand it back (see [`crate::handoff`]).
    pub handoff: Option<crate::handoff::HandoffReason>,
    /// What the graph's store remembers of the guest, across threads and channels; `None`
    /// without a store.
    pub guest: Option<crate::guest::Profile>,
}

impl Conversation {
    /// Where the dialog stands, for the policy.
    pub fn dialog(&self) -> Dialog {
        Dialog {
            slots: self.slots.clone(),
            pending: self.pending.clone(),
            change: self.change.clone(),
            focus: self.focus.clone(),
            previous: self.previous.clone(),
            misses: self.misses,
            month: self.month,
            shown: self.shown.clone(),
            asked: self.asked.clone(),
            compared: self.compared.clone(),
            weighed_dates: self.weighed_dates.clone(),
        }
    }
}

impl ConversationUpdate {
    /// The update that makes the conversation's dialog `d`.
    pub fn dialog(self, d: Dialog) -> ConversationUpdate {
        self.slots(d.slots)
            .pending(d.pending)
            .change(d.change)
            .focus(d.focus)
            .previous(d.previous)
            .misses(d.misses)
            .month(d.month)
            .shown(d.shown)
            .asked(d.asked)
            .compared(d.compared)
            .weighed_dates(d.weighed_dates)
    }
}

/// How many lines [`Conversation::transcript`] keeps: twenty exchanges.
pub const TRANSCRIPT_LINES: usize = 40;

/// One line of the transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// `guest` or `agent`.
    pub from: String,
    /// What was said.
    pub text: String,
}

/// What a booking needs, as far as the guest has said it. Hotel is a catalog code, room a
/// [`hotel::RoomKind`] name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slots {
    /// Hotel code, e.g. `GPH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotel: Option<String>,
    /// Room type name, e.g. `Deluxe`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// Arrival.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in: Option<NaiveDate>,
    /// Departure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_out: Option<NaiveDate>,
    /// Guests in the room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guests: Option<u32>,
}

impl Slots {
    /// Whether the guest has started a booking.
    pub fn started(&self) -> bool {
        *self != Slots::default()
    }

    /// Whether every slot is filled.
    pub fn complete(&self) -> bool {
        self.hotel.is_some()
            && self.room.is_some()
            && self.check_in.is_some()
            && self.check_out.is_some()
            && self.guests.is_some()
    }
}

/// An action waiting for the guest's explicit yes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pending {
    /// Book this quoted stay.
    Book {
        /// The stay.
        stay: Stay,
        /// The quoted total, in cents.
        total_cents: u64,
    },
    /// Move this booking to new dates.
    Reschedule {
        /// The booking reference.
        reference: String,
        /// New arrival.
        check_in: NaiveDate,
        /// New departure.
        check_out: NaiveDate,
        /// The quoted fee, in cents.
        fee_cents: u64,
        /// The quoted new total of the stay, in cents.
        total_cents: u64,
    },
    /// Cancel this booking.
    Cancel {
        /// The booking reference.
        reference: String,
        /// The quoted charge, in cents.
        charge_cents: u64,
    },
}

/// A change to an existing booking being put together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeFlow {
    /// What the guest wants done.
    pub kind: ChangeKind,
    /// The booking, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// For a reschedule, the new stay once known: arrival and departure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dates: Option<(NaiveDate, NaiveDate)>,
}

/// What a change to an existing booking does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// New dates.
    Reschedule,
    /// Cancellation.
    Cancel,
}

/// A complete stay request, as the booking tool takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Stay {
    /// Hotel code.
    pub hotel: String,
    /// Room type name.
    pub room: String,
    /// Arrival, `YYYY-MM-DD`.
    pub check_in: NaiveDate,
    /// Departure, `YYYY-MM-DD`.
    pub check_out: NaiveDate,
    /// Guests.
    pub guests: u32,
}
