//! Sentiment: tone, and the cues that make a message require a person's attention.

use agent_nodes::nlu::Tone::{self, Negative, Neutral, Positive};

use super::analyze;

/// (text, tone, the label of the first reason it requires attention, if any).
#[rustfmt::skip]
const TABLE: &[(&str, Tone, Option<&str>)] = &[
    ("The stay was wonderful, thank you!", Positive, None),
    ("Not bad at all", Positive, None),
    ("I'll leave a great review on TripAdvisor!", Positive, None),
    ("Is breakfast included?", Neutral, None),
    ("Book a double room for Dec 3", Neutral, None),
    ("The room was not clean", Negative, None),
    ("The wifi is slow and the room is noisy", Negative, None),
    ("I am furious, this is unacceptable", Negative, Some("anger")),
    ("THIS IS RIDICULOUS, NOBODY ANSWERS THE PHONE", Negative, Some("anger")),
    ("Terrible service, I will leave a bad review", Negative, Some("review threat")),
    ("Awful stay, I'm posting about it on TripAdvisor", Negative, Some("review threat")),
    ("You will hear from my lawyer", Negative, Some("legal threat")),
    ("There is smoke coming out of the socket", Neutral, Some("safety")),
    ("Someone stole my laptop from the room", Neutral, Some("safety")),
    ("A man in the corridor keeps harassing me", Neutral, Some("safety")),
    ("I slipped in the shower and hurt my back", Neutral, Some("safety")),
    ("We found bedbugs in the bed, disgusting", Negative, Some("anger")),
    ("We got food poisoning at the restaurant", Neutral, Some("health")),
    ("La habitación estaba preciosa y el personal muy amable", Positive, None),
    ("No estaba limpia", Negative, None),
    ("Estoy furioso, es una vergüenza", Negative, Some("anger")),
    ("Voy a poner una mala reseña", Negative, Some("review threat")),
    ("Voy a llamar a mi abogado", Negative, Some("legal threat")),
    ("Hay humo en el pasillo", Neutral, Some("safety")),
    ("Me han robado la cartera en la habitación", Negative, Some("safety")),
    ("Hay chinches en la cama", Negative, Some("health")),
    ("Nos intoxicamos con la cena del restaurante", Neutral, Some("health")),
    ("Quiero la hoja de reclamaciones", Neutral, Some("legal threat")),
    ("Mi madre se cayó en la ducha", Neutral, Some("safety")),
    ("mi hijo se cayo!", Neutral, Some("safety")),
    // "Se cayó el viaje": the trip fell through, nobody fell.
    ("olvídalo, se cayó el viaje", Neutral, None),
    // Amenities that share a word with an alarm are questions, not emergencies.
    ("Is there a tennis court?", Neutral, None),
    ("Does the room have a smoke detector?", Neutral, None),
    ("Is there a fire place in the suite?", Neutral, None),
    ("Where is the emergency exit?", Neutral, None),
    ("Are the rooms mold-free?", Neutral, None),
    ("The room is on fire", Neutral, Some("safety")),
];

#[test]
fn tone_and_attention_follow_the_table() {
    let mut failures = Vec::new();
    for (text, tone, reason) in TABLE {
        let s = analyze(text).sentiment;
        let first = s.reasons.first().and_then(|r| r.split(':').next());
        if s.tone != *tone || first != *reason || s.requires_attention != reason.is_some() {
            failures.push(format!("{text:?}: want {tone:?} {reason:?}, got {s:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reasons_name_the_cue_found() {
    let s = analyze("There was a fire alarm and smoke, and my lawyer says I should sue").sentiment;
    assert!(
        s.reasons.contains(&"safety: fire".to_owned()),
        "{:?}",
        s.reasons
    );
    assert!(
        s.reasons.contains(&"legal threat: lawyer".to_owned()),
        "{:?}",
        s.reasons
    );
}

#[test]
fn more_praise_scores_higher_and_a_safety_issue_makes_a_complaint() {
    let good = analyze("good").sentiment.score;
    let great = analyze("really great, amazing, wonderful!").sentiment.score;
    assert!(0.0 < good && good < great && great <= 1.0, "{good} {great}");
    let fire = analyze("There is a fire in the kitchen!");
    assert_eq!(fire.intent, agent_nodes::nlu::Intent::Complaint);
    assert!(fire.sentiment.requires_attention);
}
