//! The human handoff: when a guest asks for a person, is angry, writes legal or safety words
//! or is misunderstood three times in a row, `complaint` tells them a person will answer and
//! the thread pauses in `await_staff` on an interrupt whose value is a [`HandoffRequest`].
//! While it is open the agent answers nothing: each guest message is recorded (`with_staff`)
//! and the thread pauses again. Staff resume it with a [`StaffAction`]: a reply, which
//! becomes the turn's reply (sent to the guest like the agent's) and pauses again, or the hand
//! back, after which the agent answers the guest's next message. Every step is a line of the
//! transcript, so the thread's history shows who said what. A complaint without anger or
//! danger opens none: the agent apologises, offers a person, and goes on helping.
//!
//! The graph holds no clock and no staff: when a person will be there comes from
//! [`StaffHours`], and what staff do arrives as the interrupt's answer.

use std::sync::Arc;

use agent_nodes::nlu::{Intent, Language};
use chrono::NaiveTime;
use graph_core::{Ctx, NodeError};
use serde::{Deserialize, Serialize};

use super::HotelAgent;
use super::reply::{language, say};
use super::state::{Conversation, ConversationUpdate, Line};

/// Why a person was asked to take over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// The guest asked for a person ("can I talk to a human", "quiero hablar con alguien").
    AskedForPerson,
    /// Anger, or a threat of a bad review.
    Anger,
    /// Legal, safety or health words.
    LegalOrSafety,
    /// A complaint without anger or danger: apologised for, and the guest offered a person;
    /// no handoff opens.
    Complaint,
    /// Three messages in a row the agent did not understand.
    Misunderstood,
}

impl HandoffReason {
    /// Every reason.
    pub const ALL: [HandoffReason; 5] = [
        HandoffReason::AskedForPerson,
        HandoffReason::Anger,
        HandoffReason::LegalOrSafety,
        HandoffReason::Complaint,
        HandoffReason::Misunderstood,
    ];

    /// A stable machine name (as serialized): `asked_for_person`, `anger`,
    /// `legal_or_safety`, `complaint`, `misunderstood`.
    pub fn as_str(self) -> &'static str {
        match self {
            HandoffReason::AskedForPerson => "asked_for_person",
            HandoffReason::Anger => "anger",
            HandoffReason::LegalOrSafety => "legal_or_safety",
            HandoffReason::Complaint => "complaint",
            HandoffReason::Misunderstood => "misunderstood",
        }
    }

    /// The reason named by [`HandoffReason::as_str`].
    pub fn parse(name: &str) -> Option<HandoffReason> {
        HandoffReason::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The reason in a sentence, for staff.
    pub fn human(self) -> &'static str {
        match self {
            HandoffReason::AskedForPerson => "The guest asked to talk to a person.",
            HandoffReason::Anger => "The guest sounds angry or upset.",
            HandoffReason::LegalOrSafety => "The guest mentioned a legal, safety or health matter.",
            HandoffReason::Complaint => "The guest has a complaint.",
            HandoffReason::Misunderstood => {
                "The assistant misunderstood the guest three times in a row."
            }
        }
    }

    /// Why `s`'s message opened a handoff.
    fn of(s: &Conversation) -> HandoffReason {
        let Some(u) = &s.understanding else {
            return HandoffReason::Complaint;
        };
        // Each cue reads `label: words found` ("anger: unacceptable").
        let cues = &u.sentiment.reasons;
        let cue = |label: &str| cues.iter().any(|c| c.split(':').next() == Some(label));
        if u.intent == Intent::HumanHandoff {
            HandoffReason::AskedForPerson
        } else if cue("legal threat") || cue("safety") || cue("health") {
            HandoffReason::LegalOrSafety
        } else if cue("anger") || cue("review threat") {
            HandoffReason::Anger
        } else if u.intent == Intent::Complaint {
            HandoffReason::Complaint
        } else if s.misses >= MISSES_BEFORE_HANDOFF {
            HandoffReason::Misunderstood
        } else {
            HandoffReason::Complaint
        }
    }
}

impl std::fmt::Display for HandoffReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Misses in a row after which a person is asked to take over (the first two get "sorry" and
/// then what the agent can do).
pub const MISSES_BEFORE_HANDOFF: u32 = 3;

/// When staff answer guests, in the hotels' local time. Guests are told it when a handoff
/// opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaffHours {
    /// From.
    pub opens: NaiveTime,
    /// Until (before `opens`: the hours run past midnight).
    pub closes: NaiveTime,
}

impl Default for StaffHours {
    /// 08:00 to 22:00.
    fn default() -> StaffHours {
        StaffHours {
            opens: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            closes: NaiveTime::from_hms_opt(22, 0, 0).unwrap_or_default(),
        }
    }
}

impl std::str::FromStr for StaffHours {
    type Err = String;

    /// `HH:MM-HH:MM`, e.g. `08:00-22:00`.
    fn from_str(s: &str) -> Result<StaffHours, String> {
        let (opens, closes) = s
            .split_once('-')
            .ok_or_else(|| format!("`{s}` is not HH:MM-HH:MM"))?;
        let time = |t: &str| {
            NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .map_err(|_| format!("`{}` is not a time of day (HH:MM)", t.trim()))
        };
        let hours = StaffHours {
            opens: time(opens)?,
            closes: time(closes)?,
        };
        if hours.opens == hours.closes {
            return Err(format!("`{s}` opens and closes at the same time"));
        }
        Ok(hours)
    }
}

impl std::fmt::Display for StaffHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-{}",
            self.opens.format("%H:%M"),
            self.closes.format("%H:%M")
        )
    }
}

/// The value the thread pauses on while a person has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffRequest {
    /// Always `handoff`: tells this interrupt from any other a graph may raise.
    pub kind: String,
    /// Why the handoff opened.
    pub reason: HandoffReason,
    /// The guest's latest message.
    pub message: String,
    /// The language the guest writes in.
    pub language: Language,
}

/// The interrupt kind of a [`HandoffRequest`].
pub const HANDOFF: &str = "handoff";

/// What staff do with a conversation they hold: the answer that resumes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum StaffAction {
    /// Say `text` to the guest (it becomes the turn's reply); the conversation stays with
    /// staff.
    Reply {
        /// Who, as staff sign in.
        by: String,
        /// What.
        text: String,
    },
    /// Hand the conversation back to the assistant, with a note for the history.
    HandBack {
        /// Who.
        by: String,
        /// Why, or what was agreed; shown in the history, never to the guest.
        #[serde(default)]
        note: Option<String>,
    },
}

/// `complaint`: opens the handoff. Tells the guest, in their language, that a person will
/// answer here and when staff are about; the thread then pauses in `await_staff`.
pub(crate) async fn open(
    agent: Arc<HotelAgent>,
    s: Arc<Conversation>,
) -> Result<ConversationUpdate, NodeError> {
    let lang = language(&s);
    let reason = HandoffReason::of(&s);
    if reason == HandoffReason::Complaint {
        // A complaint without anger, danger or a request for a person stays with the agent
        // (a guest who mentions last stay's noise may be booking the next one); the guest is
        // told a person is a message away.
        return Ok(ConversationUpdate::default().reply(say(
            lang,
            "I am very sorry about this. If you would like a member of our team to take over, just say so and a person will answer you here.",
            "Lamento mucho lo ocurrido. Si prefiere que una persona de nuestro equipo continúe, dígamelo y le responderá aquí.",
        )));
    }
    let hours = agent.staff_hours;
    let (opens, closes) = (
        hours.opens.format("%H:%M").to_string(),
        hours.closes.format("%H:%M").to_string(),
    );
    let first = match reason {
        HandoffReason::AskedForPerson => say(
            lang,
            "Of course. I have asked a member of our team to take over this conversation.",
            "Por supuesto. He pedido a una persona de nuestro equipo que continúe esta conversación.",
        ),
        HandoffReason::Misunderstood => say(
            lang,
            "I am sorry I keep getting this wrong. I have asked a member of our team to help you.",
            "Disculpe que no le esté entendiendo. He pedido a una persona de nuestro equipo que le ayude.",
        ),
        HandoffReason::Anger | HandoffReason::LegalOrSafety | HandoffReason::Complaint => say(
            lang,
            "I am very sorry about this. I have passed your message to our guest relations team.",
            "Lamento mucho lo ocurrido. He enviado su mensaje a nuestro equipo de atención al huésped.",
        ),
    };
    let when = match lang {
        Language::Es => format!(
            "Una persona le responderá aquí en cuanto pueda; nuestro equipo atiende de {opens} a {closes}."
        ),
        Language::En => format!(
            "A person will reply here as soon as they can; our team is on hand from {opens} to {closes}."
        ),
    };
    Ok(ConversationUpdate::default()
        .handoff(Some(reason))
        .reply(format!("{first} {when}")))
}

/// `with_staff`: a guest message while a person has the conversation. The agent does not
/// answer it; it goes in the transcript for staff to read, and the thread pauses again.
pub(crate) async fn with_staff(
    s: Arc<Conversation>,
    _ctx: Ctx,
) -> Result<ConversationUpdate, NodeError> {
    Ok(ConversationUpdate::default()
        .reply(String::new())
        .understanding(None)
        .transcript(vec![Line {
            from: "guest".into(),
            text: s.message.clone(),
        }]))
}

/// `await_staff`: pauses until staff act ([`StaffAction`]). A reply is said to the guest and
/// the thread pauses again; the hand back ends the handoff.
pub(crate) async fn await_staff(
    s: Arc<Conversation>,
    ctx: Ctx,
) -> Result<ConversationUpdate, NodeError> {
    let request = HandoffRequest {
        kind: HANDOFF.into(),
        reason: s.handoff.unwrap_or(HandoffReason::Complaint),
        message: s.message.clone(),
        language: language(&s),
    };
    let action: StaffAction = ctx.interrupt(request)?;
    Ok(match action {
        StaffAction::Reply { by, text } => ConversationUpdate::default()
            .reply(text.clone())
            .transcript(vec![Line {
                from: format!("staff:{by}"),
                text,
            }]),
        StaffAction::HandBack { by, note } => {
            let text = match note {
                Some(note) if !note.trim().is_empty() => {
                    format!("handed back to the assistant: {}", note.trim())
                }
                _ => "handed back to the assistant".to_owned(),
            };
            ConversationUpdate::default()
                .handoff(None)
                .misses(0_u32)
                .reply(String::new())
                .transcript(vec![Line {
                    from: format!("staff:{by}"),
                    text,
                }])
        }
    })
}
