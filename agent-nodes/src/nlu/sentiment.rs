//! How the guest feels, and whether a person should look: a small bilingual lexicon with
//! negation ("not clean", "no estaba limpia") and intensifiers ("very", "muy"), and cue
//! patterns for anger, threats of a bad review or of legal action, and safety or health
//! issues.

use std::sync::LazyLock;

use regex::Regex;

use super::text::Token;
use super::{Sentiment, Tone};

/// Folded words and how they feel, from -2.5 to 2.
#[rustfmt::skip]
const LEXICON: &[(&str, f32)] = &[
    ("good", 1.0), ("great", 1.5), ("excellent", 2.0), ("amazing", 2.0), ("wonderful", 2.0),
    ("fantastic", 2.0), ("awesome", 2.0), ("lovely", 1.5), ("nice", 1.0), ("perfect", 1.5),
    ("love", 2.0), ("loved", 2.0), ("enjoyed", 1.5), ("happy", 1.5), ("pleased", 1.5),
    ("beautiful", 1.5), ("clean", 1.0), ("comfortable", 1.0), ("friendly", 1.5), ("helpful", 1.5),
    ("recommend", 1.5), ("thanks", 0.5), ("thank", 0.5), ("best", 1.5), ("superb", 2.0),
    ("outstanding", 2.0), ("delighted", 2.0), ("glad", 1.0), ("spotless", 2.0), ("bueno", 1.0),
    ("buena", 1.0), ("genial", 1.5), ("excelente", 2.0), ("increible", 2.0), ("maravilloso", 2.0),
    ("maravillosa", 2.0), ("fantastico", 2.0), ("fantastica", 2.0), ("estupendo", 1.5),
    ("estupenda", 1.5), ("precioso", 1.5), ("preciosa", 1.5), ("bonito", 1.0), ("bonita", 1.0),
    ("perfecto", 1.5), ("perfecta", 1.5), ("encanto", 2.0), ("encantado", 2.0), ("encantada", 2.0),
    ("encanta", 2.0), ("feliz", 1.5), ("contento", 1.5), ("contenta", 1.5), ("contentos", 1.5),
    ("limpio", 1.0), ("limpia", 1.0), ("comodo", 1.0), ("comoda", 1.0), ("amable", 1.5),
    ("amables", 1.5), ("atento", 1.5), ("atentos", 1.5), ("recomiendo", 1.5), ("gracias", 0.5),
    ("agradable", 1.5), ("enhorabuena", 2.0), ("impecable", 2.0), ("espectacular", 2.0),
    ("bad", -1.5), ("terrible", -2.0), ("awful", -2.0), ("horrible", -2.0), ("worst", -2.0),
    ("worse", -1.5), ("dirty", -1.5), ("filthy", -2.0), ("disgusting", -2.5), ("rude", -2.0),
    ("noisy", -1.0), ("broken", -1.5), ("angry", -2.0), ("furious", -2.5), ("upset", -1.5),
    ("disappointed", -1.5), ("disappointing", -1.5), ("unacceptable", -2.0), ("ridiculous", -2.0),
    ("poor", -1.0), ("problem", -1.0), ("complaint", -1.0), ("complain", -1.0), ("smell", -1.0),
    ("smelly", -1.5), ("stinks", -1.5), ("hate", -2.0), ("waste", -1.5), ("scam", -2.5),
    ("annoyed", -1.5), ("frustrated", -1.5), ("sick", -1.5), ("unhappy", -1.5), ("mess", -1.0),
    ("bedbugs", -2.5), ("stolen", -2.0), ("injured", -2.0), ("dangerous", -2.0), ("unsafe", -2.0),
    ("cold", -0.5), ("slow", -1.0), ("lawyer", -1.5), ("malo", -1.5), ("mala", -1.5), ("mal", -1.0),
    ("fatal", -2.0), ("pesimo", -2.5), ("pesima", -2.5), ("sucio", -1.5), ("sucia", -1.5),
    ("sucios", -1.5), ("sucias", -1.5), ("asqueroso", -2.5), ("asquerosa", -2.5), ("asco", -2.0),
    ("maleducado", -2.0), ("maleducada", -2.0), ("grosero", -2.0), ("grosera", -2.0),
    ("ruido", -1.0), ("ruidoso", -1.0), ("ruidosa", -1.0), ("roto", -1.5), ("rota", -1.5),
    ("estropeado", -1.5), ("enfadado", -2.0), ("enfadada", -2.0), ("furioso", -2.5),
    ("furiosa", -2.5), ("molesto", -1.5), ("molesta", -1.5), ("decepcionado", -1.5),
    ("decepcionada", -1.5), ("decepcion", -1.5), ("inaceptable", -2.0), ("ridiculo", -2.0),
    ("problema", -1.0), ("queja", -1.0), ("verguenza", -2.0), ("odio", -2.0), ("estafa", -2.5),
    ("timo", -2.0), ("frio", -0.5), ("chinches", -2.5), ("cucarachas", -2.0), ("robado", -2.0),
    ("robo", -2.0), ("lento", -1.0), ("desastre", -2.5), ("harto", -2.0), ("harta", -2.0),
    ("peor", -1.5), ("abogado", -1.5), ("uncomfortable", -1.5), ("incomodo", -1.5),
    ("incomoda", -1.5), ("incomodisimo", -2.0), ("incomodisima", -2.0),
];

/// Two-word phrases that feel different from their words.
#[rustfmt::skip]
const PHRASES: &[(&str, &str, f32)] = &[
    ("not", "working", -1.5), ("doesnt", "work", -1.5), ("dont", "work", -1.5),
    ("isnt", "working", -1.5), ("no", "funciona", -1.5), ("no", "funcionan", -1.5),
    ("never", "again", -2.0), ("nunca", "mas", -2.0), ("well", "done", 1.5), ("no", "problem", 0.5),
    ("de", "nada", 0.0), ("thank", "you", 0.5),
];

/// Words that turn the next sentiment word (within three words) around.
#[rustfmt::skip]
const NEGATORS: &[&str] = &[
    "not", "no", "never", "dont", "doesnt", "didnt", "isnt", "wasnt", "werent", "arent", "cant",
    "cannot", "wont", "nor", "without", "nunca", "ni", "tampoco", "sin", "nada",
];

/// Words that strengthen the next sentiment word.
#[rustfmt::skip]
const INTENSIFIERS: &[&str] = &[
    "very", "really", "so", "extremely", "super", "too", "incredibly", "absolutely", "totally",
    "muy", "tan", "realmente", "totalmente", "demasiado", "absolutamente",
];

/// Why a message requires attention: the kind of cue, and the pattern that finds it.
struct Cue {
    label: &'static str,
    /// Only counts in a negative message ("I'll post on TripAdvisor" can be praise).
    negative_only: bool,
    regex: Regex,
}

fn cue(label: &'static str, negative_only: bool, pattern: &str) -> Cue {
    let regex = Regex::new(&format!(r"\b(?:{pattern})\b"))
        .unwrap_or_else(|e| panic!("attention cue {label}: {e}"));
    Cue {
        label,
        negative_only,
        regex,
    }
}

/// Cue words that open an idiom meaning nothing of the kind: "se cayó el viaje" (the trip
/// fell through) is no fall. Matched at the cue found.
static IDIOMS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^se\s+cayo\s+(?:el|la|mi|nuestro|nuestra|todo)\s*(?:viaje|vuelo|plan|planes|reserva|evento|boda|negocio|trato|sistema|pagina|web|app|llamada)\b",
    )
    .unwrap_or_else(|e| panic!("attention idioms: {e}"))
});

static CUES: LazyLock<Vec<Cue>> = LazyLock::new(|| {
    vec![
        cue(
            "anger",
            false,
            r"furious|outraged|livid|angry|pissed(?:\s+off)?|fed\s+up|unacceptable|disgrace\w*|ridiculous|scam|rip\s*-?\s*off|worst|disgusted|disgusting|furios[oa]s?|indignad[oa]s?|indignante|enfadad[oa]s?|cabread[oa]s?|hart[oa]s?|inaceptable|verguenza|vergonzoso|estafa|timo|lo\s+peor|asqueros[oa]s?",
        ),
        cue(
            "review threat",
            false,
            r"(?:bad|negative|terrible|awful|horrible|one\s*-?\s*star|1\s*-?\s*star|zero\s*-?\s*star)\s+reviews?|(?:one|1|zero|0)\s+stars?|(?:tell|warn)\s+everyone|mala\s+(?:resena|critica|valoracion|opinion|puntuacion)|(?:resena|critica|valoracion|opinion)\s+(?:muy\s+)?negativa|(?:una|1|cero)\s+estrellas?",
        ),
        cue(
            "review threat",
            true,
            r"(?:leave|write|post|pondre|escribire|dejare|publicare)\s+(?:a|an|una|un)?\s*(?:\w+\s+)?(?:review|resena|critica|opinion|valoracion|comentario)|tripadvisor|trustpilot|google\s+reviews|redes\s+sociales|social\s+media",
        ),
        cue(
            "legal threat",
            false,
            r"lawyers?|attorneys?|sue|suing|lawsuit|legal\s+action|(?:take|taking)\s+(?:\w+\s+)?to\s+court|(?:call|calling|report\w*)\s+(?:\w+\s+){0,3}(?:the\s+)?police|consumer\s+(?:protection|rights|authority|association)|abogad[oa]s?|demandar\w*|una\s+demanda|denuncia\w*|juzgado|tribunal(?:es)?|hoja\s+de\s+reclamaciones|(?:oficina|departamento|autoridades|organismo)\s+de\s+consumo|accion(?:es)?\s+legal(?:es)?|via\s+judicial|(?:llamar|llamare|llamo)\s+a\s+la\s+policia",
        ),
        cue(
            "safety",
            false,
            r"on\s+fire|there\s+is\s+(?:a\s+)?fire|(?:a|the)\s+fire\s+(?:in|on|at)|smell\w*\s+(?:of\s+)?(?:smoke|burning)|(?:smoke|fumes)\s+(?:in|coming|everywhere)|full\s+of\s+smoke|gas\s+leak|smells?\s+of\s+gas|injur\w*|hurt|bleeding|blood|ambulance|i\s+fell|fell\s+(?:down|over)|slipped|unsafe|stolen|stole|steal\w*|theft|thief|thieves|robbed|robbery|broke\s+into|break\s*-?\s*in|harass\w*|assault\w*|attacked|threatened|stalk\w*|incendio|fuego|humo|quemando|fuga\s+de\s+gas|olor\s+a\s+gas|herid[oa]s?|lesion\w*|sangr\w*|ambulancia|emergencia|me\s+cai|se\s+cayo|peligros[oa]|peligro|robad[oa]s?|robo|robaron|ladron\w*|acoso|acosad[oa]s?|acosando|acosaron|agredi\w*|agresion|amenaz\w*|atacad[oa]s?",
        ),
        cue(
            "health",
            false,
            r"bed\s*-?\s*bugs?|food\s+poisoning|poison\w*|sick\s+(?:after|from)|got\s+sick|made\s+(?:me|us)\s+sick|vomit\w*|threw\s+up|diarrh\w*|allergic\s+reaction|anaphyla\w*|cockroach\w*|rats?|mice|chinches|intoxic\w*|me\s+puse\s+mal[oa]|nos\s+pusimos\s+mal[oa]s|enferm[oa]s?|enfermamos|diarrea|reaccion\s+alergica|moho|cucarachas?|ratas?|ratones|legionella",
        ),
        // Words that also name amenities ("fire place", "smoke detector", "tennis court",
        // "emergency exit", "mold-free") raise attention only in an unhappy message.
        cue("legal threat", true, r"court"),
        cue(
            "safety",
            true,
            r"fire|smoke|burning|emergency|dangerous|danger",
        ),
        cue("health", true, r"mold|mould"),
    ]
});

/// Scores `folded` (whose words are `tokens`) and collects attention cues; `raw` is read for
/// exclamation marks and shouting, the booking `reference` in it aside.
pub(super) fn analyze(
    raw: &str,
    folded: &str,
    tokens: &[Token<'_>],
    reference: Option<&str>,
) -> Sentiment {
    let mut sum = lexicon_sum(folded, tokens);
    let bangs = raw.chars().filter(|c| *c == '!').take(3).count();
    sum *= 1.0 + 0.15 * bangs as f32;
    let shouting = shouting(raw, reference);
    if shouting && sum <= 0.0 {
        sum -= 1.0;
    }
    // Squashed into (-1, 1): one strong word is about ±0.7, several saturate towards ±1.
    let score = (sum / (sum * sum + 4.0).sqrt()).clamp(-1.0, 1.0);
    let score = if score.is_finite() { score } else { 0.0 };

    let mut reasons: Vec<String> = Vec::new();
    for cue in CUES.iter() {
        if cue.negative_only && score >= 0.0 {
            continue;
        }
        if let Some(m) = cue.regex.find(folded) {
            if IDIOMS.is_match(&folded[m.start()..]) {
                continue;
            }
            let reason = format!("{}: {}", cue.label, m.as_str());
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
    }
    if shouting && score < 0.0 {
        reasons.push("anger: shouting".to_owned());
    }
    let tone = match score {
        s if s >= 0.25 => Tone::Positive,
        s if s <= -0.25 => Tone::Negative,
        _ => Tone::Neutral,
    };
    Sentiment {
        score,
        tone,
        requires_attention: !reasons.is_empty(),
        reasons,
    }
}

/// The lexicon's sum over the words, with negation, intensifiers and two-word phrases.
/// Punctuation between two words ends a negation ("No, thanks!" is not "not thanks").
fn lexicon_sum(folded: &str, tokens: &[Token<'_>]) -> f32 {
    let mut sum = 0.0;
    let mut negated = 0u8;
    let mut boost = 1.0;
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        if i > 0 {
            let gap = folded
                .get(tokens[i - 1].span.end..token.span.start)
                .unwrap_or("");
            if gap.contains(['.', ',', ';', '!', '?']) {
                negated = 0;
            }
        }
        let next = tokens.get(i + 1).map(|t| t.text);
        let phrase = PHRASES
            .iter()
            .find(|(a, b, _)| *a == token.text && Some(*b) == next);
        let (value, width) = match phrase {
            Some((_, _, v)) => (Some(*v), 2),
            None => (
                LEXICON
                    .iter()
                    .find(|(w, _)| *w == token.text)
                    .map(|(_, v)| *v),
                1,
            ),
        };
        match value {
            Some(v) => {
                let v = v * boost;
                sum += if negated > 0 && phrase.is_none() {
                    -0.75 * v
                } else {
                    v
                };
                negated = 0;
                boost = 1.0;
            }
            None if NEGATORS.contains(&token.text) => negated = 4,
            None if INTENSIFIERS.contains(&token.text) => boost = 1.5,
            None => {}
        }
        negated = negated.saturating_sub(1);
        i += width;
    }
    sum
}

/// Two or more words in capitals, at least half of the words: "THIS IS UNACCEPTABLE". A
/// reference is written in capitals ("cancel GPH BGAXAS please") without anger: its words
/// do not count.
fn shouting(raw: &str, reference: Option<&str>) -> bool {
    let reference: String = reference
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    let of_reference = |word: &str| {
        let word: String = word.chars().filter(char::is_ascii_alphanumeric).collect();
        !word.is_empty() && reference.contains(&word.to_ascii_uppercase())
    };
    let (mut words, mut loud) = (0usize, 0usize);
    for word in raw.split_whitespace() {
        if word.chars().any(|c| c.is_numeric())
            || word.chars().filter(|c| c.is_alphabetic()).count() < 3
            || of_reference(word)
        {
            continue;
        }
        words += 1;
        if word
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase)
        {
            loud += 1;
        }
    }
    loud >= 2 && loud * 2 >= words
}
