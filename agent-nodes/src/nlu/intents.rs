//! What a message asks for: weighted cue patterns add evidence to intents, and the intent with
//! the most evidence wins.
//!
//! Weights are in units of evidence: about 3 for a phrase that settles the intent on its own
//! ("cancel", "reservar"), 1.5 to 2 for a strong hint ("breakfast", a greeting that opens the
//! message), 1 for a weak one (a date or a head count alone suggests a booking, a question mark
//! a question), and 6 for a negation that overturns the words it contains ("I don't want to
//! book any more"). Affirm, deny and greeting cues count only at the start of the message, so
//! "Yes, I'd like to book" is a reservation and "No funciona el aire" a complaint. The weights
//! are tuned against the table of phrasings in the crate's tests (`tests/it/nlu/table.rs`),
//! which is their spec.
//!
//! The confidence is `(1 - e^-top) * (1 - e^-(top - second))`: it grows with the winner's
//! evidence and with its lead over the runner-up, so one weak cue gives 0.4, a greeting 0.6,
//! one decisive phrase 0.9 and more, a close rival pulls it down and a tie gives 0. Unknown (no
//! evidence) has confidence 0.

use std::sync::LazyLock;

use regex::Regex;

use super::Intent::{self, *};
use super::cues::{At, CUES, Needs};

/// What else was understood, which adds evidence to some intents.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Signals {
    /// A date or a length of stay.
    pub(super) dated: bool,
    /// A head count.
    pub(super) party: bool,
    /// A hotel, a city or a room type.
    pub(super) place: bool,
    /// A booking reference.
    pub(super) booking_ref: bool,
    /// A question mark.
    pub(super) question: bool,
    /// The sentiment score.
    pub(super) sentiment: f32,
    /// Anger, a threat, a safety or health issue.
    pub(super) attention: bool,
}

/// Intents in the order that breaks a tie: the more consequential (a person, a cancellation)
/// before the more casual.
const ORDER: [Intent; 13] = [
    HumanHandoff,
    CancellationRequest,
    ModificationRequest,
    BookingLookup,
    Complaint,
    AvailabilityCheck,
    ReservationRequest,
    GeneralInquiry,
    Compliment,
    Goodbye,
    Deny,
    Affirm,
    Greeting,
];

struct Cue {
    intent: Intent,
    weight: f32,
    needs: Needs,
    regex: Regex,
}

static COMPILED: LazyLock<Vec<Cue>> = LazyLock::new(|| {
    CUES.iter()
        .map(|&(intent, weight, at, needs, alternatives)| {
            let any = alternatives.join("|");
            let pattern = match at {
                At::Anywhere => format!(r"\b(?:{any})\b"),
                At::Start => format!(r"^[^a-z0-9]*(?:{any})(?:[^a-z0-9]|$)"),
            };
            let regex = Regex::new(&pattern).unwrap_or_else(|e| panic!("cue {intent:?}: {e}"));
            Cue {
                intent,
                weight,
                needs,
                regex,
            }
        })
        .collect()
});

/// Evidence per intent, indexed like [`ORDER`].
struct Evidence([f32; ORDER.len()]);

impl Evidence {
    fn slot(intent: Intent) -> Option<usize> {
        ORDER.iter().position(|o| *o == intent)
    }

    fn add(&mut self, intent: Intent, weight: f32) {
        if let Some(i) = Self::slot(intent) {
            self.0[i] += weight;
        }
    }

    fn of(&self, intent: Intent) -> f32 {
        Self::slot(intent).map_or(0.0, |i| self.0[i])
    }
}

/// "Me cancelaron el vuelo", "my flight got cancelled": someone else cancelled something else,
/// which is no cue for cancelling the booking ("…so I need to cancel my room" still is).
static OTHERS_CANCELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:flight|vuelo|tren|train|bus|concert|concierto|conference|congreso|event|evento)\s+(?:was|got|has\s+been|fue|se|ha\s+sido)\s+(?:\w+\s+)?cancel\w*|\b(?:me\s+|nos\s+)?(?:cancelaron|cancelled|canceled|cancelo)\s+(?:el|mi|my|our|the|nuestro)\s+(?:vuelo|flight|tren|train|bus|concierto|concert|congreso|conference|evento|event)\b",
    )
    .unwrap_or_else(|e| panic!("others-cancelled rule: {e}"))
});

/// Classifies `folded` (emails and booking references masked, so "book@…" is no cue).
pub(super) fn classify(folded: &str, signals: &Signals) -> (Intent, f32) {
    let folded = &*OTHERS_CANCELLED.replace_all(folded, " ");
    let mut evidence = Evidence([0.0; ORDER.len()]);
    for cue in COMPILED.iter() {
        let applies = match cue.needs {
            Needs::Nothing => true,
            Needs::Dates => signals.dated,
            Needs::NoDates => !signals.dated,
            Needs::Place => signals.place,
        };
        if applies && cue.regex.is_match(folded) {
            evidence.add(cue.intent, cue.weight);
        }
    }
    if signals.dated || signals.party || signals.place {
        evidence.add(ReservationRequest, 1.0);
    }
    // A reference alone asks about the booking; with a cancellation, a change or a complaint
    // it only says which booking, and must not look like a rival.
    let other_purpose = [CancellationRequest, ModificationRequest, Complaint]
        .into_iter()
        .any(|intent| evidence.of(intent) > 0.0);
    if signals.booking_ref && !other_purpose {
        evidence.add(BookingLookup, 1.5);
    }
    if signals.question {
        evidence.add(GeneralInquiry, 1.0);
    }
    if signals.sentiment <= -0.4 {
        evidence.add(Complaint, 1.0);
    }
    if signals.attention {
        evidence.add(Complaint, 2.5);
    }
    if signals.sentiment >= 0.5 {
        evidence.add(Compliment, 0.75);
    }

    // The first of equals in ORDER wins.
    let mut top = 0;
    for (i, e) in evidence.0.iter().enumerate() {
        if *e > evidence.0[top] {
            top = i;
        }
    }
    let best = evidence.0[top];
    if best < 1.0 {
        return (Unknown, 0.0);
    }
    let second = evidence
        .0
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != top)
        .map(|(_, e)| *e)
        .fold(0.0f32, f32::max);
    let confidence = (1.0 - (-best).exp()) * (1.0 - (second - best).exp());
    (ORDER[top], confidence.clamp(0.0, 1.0))
}
