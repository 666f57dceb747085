//! Understanding a guest's message: its [`Intent`], typed [`Entities`], [`Language`] and
//! [`Sentiment`]. [`Understand`] is implemented by the offline rule-based engine
//! ([`OfflineNlu`], the embedded default that needs no network and no key) and by an LLM with
//! structured output, and a fallback chain puts one in front of the other.
//!
//! Nothing here knows about a particular hotel: hotel and room names come in a [`Lexicon`].

use async_trait::async_trait;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Error;

mod calendar;
mod cues;
mod dates;
mod guests;
mod identity;
mod intents;
mod lang;
mod lexicon;
mod numbers;
mod offline;
mod sentiment;
mod text;

pub use offline::OfflineNlu;
pub use text::fold;

/// What a message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Wants to book a stay.
    ReservationRequest,
    /// Asks whether rooms are free, or what they cost, for dates.
    AvailabilityCheck,
    /// Wants to change (reschedule) a booking.
    ModificationRequest,
    /// Wants to cancel a booking.
    CancellationRequest,
    /// Asks about an existing booking.
    BookingLookup,
    /// Asks about amenities, policies, prices, location.
    GeneralInquiry,
    /// Complains.
    Complaint,
    /// Praises.
    Compliment,
    /// Says hello.
    Greeting,
    /// Says goodbye or thanks to close.
    Goodbye,
    /// Says yes.
    Affirm,
    /// Says no.
    Deny,
    /// Asks for a person.
    HumanHandoff,
    /// None of the above.
    Unknown,
}

/// The language of a message (and of the answer to it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    #[default]
    En,
    /// Spanish.
    Es,
}

/// The tone of a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    /// Pleased.
    Positive,
    /// Neither.
    #[default]
    Neutral,
    /// Unhappy.
    Negative,
}

/// How the guest feels, and whether a person should look.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sentiment {
    /// From -1 (very negative) to 1 (very positive).
    pub score: f32,
    /// The score as a word.
    pub tone: Tone,
    /// Anger, a threat of a bad review or of legal action, a safety or health issue: a graph
    /// can route this to a human.
    pub requires_attention: bool,
    /// Why it requires attention (the cues found), empty otherwise.
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// What a message says, as typed slots. Hotel and room type are lexicon ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Entities {
    /// Arrival date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_in: Option<NaiveDate>,
    /// Departure date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_out: Option<NaiveDate>,
    /// Nights, when said without a departure date ("for 3 nights").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nights: Option<u32>,
    /// Adults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adults: Option<u32>,
    /// Children.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<u32>,
    /// A room type's lexicon id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_type: Option<String>,
    /// A hotel's lexicon id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotel: Option<String>,
    /// A city, as the lexicon spells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// A booking reference, upper-cased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_ref: Option<String>,
    /// An email address, lower-cased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The guest's name, when they give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Everything understood from one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Understanding {
    /// What it asks for.
    pub intent: Intent,
    /// How sure, from 0 to 1.
    pub confidence: f32,
    /// Its language.
    pub language: Language,
    /// Its slots.
    pub entities: Entities,
    /// Its tone.
    pub sentiment: Sentiment,
    /// Who understood it: `offline`, or the model provider.
    pub provider: String,
}

/// A hotel the guest may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LexiconHotel {
    /// The id reported in [`Entities::hotel`].
    pub id: String,
    /// Its name ("Hotel Sol").
    pub name: String,
    /// Its city ("Madrid").
    pub city: String,
    /// Other names guests use.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A room type the guest may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LexiconRoom {
    /// The id reported in [`Entities::room_type`].
    pub id: String,
    /// Names and synonyms in any language ("double", "doble", "matrimonial").
    pub names: Vec<String>,
}

/// The words of a particular business: given by the caller, never hard-coded here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lexicon {
    /// Hotels.
    pub hotels: Vec<LexiconHotel>,
    /// Room types.
    pub room_types: Vec<LexiconRoom>,
    /// The business's own booking references, as a regex over the message lower-cased and
    /// without accents: with two capture groups (`(srs|gph)[- ]?([2-9a-z]{6})`) the reference is
    /// reported as `GROUP1-GROUP2` upper-cased, so "srs 7k3q9p" reads as `SRS-7K3Q9P`; with
    /// none, the whole match upper-cased. `None` reads the generic shapes (`SOL-88213`,
    /// "booking number 88213"). A pattern that does not compile is ignored, with a warning.
    #[serde(default)]
    pub reference: Option<String>,
}

/// Understands a message. `today` anchors relative dates ("tomorrow", "next Friday"), so a
/// caller (and a test) decides what today is.
#[async_trait]
pub trait Understand: Send + Sync {
    /// Who understands (`offline`, `gemini`, …).
    fn provider(&self) -> &str;

    /// Understands `text`.
    async fn understand(&self, text: &str, today: NaiveDate) -> Result<Understanding, Error>;
}
