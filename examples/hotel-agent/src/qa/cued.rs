//! Topics a cue word alone cannot tell: check-in times asked without a time word, the
//! season, a hold, head counts and what a change costs.

/// Check-in or check-out named without a time word: a question about times only when asked
/// as one ("y el check out??") with no date beside it ("check in jan 20" is a date).
pub(super) fn asks_times(text: &str, words: &[&str]) -> bool {
    let named = [
        "check-in",
        "checkin",
        "check in",
        "check-out",
        "checkout",
        "check out",
        "entrada",
        "salida",
    ]
    .iter()
    .any(|c| text.contains(c));
    // "Check in antes de la 1?", "check in before 11am": a number that is an hour.
    let hour = [
        "antes de la",
        "antes de las",
        "despues de la",
        "despues de las",
        "a la 1",
        "a las",
        "before",
        "after",
        "earlier than",
        "later than",
    ]
    .iter()
    .any(|c| text.contains(c))
        || words.iter().any(|w| {
            ["am", "pm"].iter().any(|m| {
                w.strip_suffix(m)
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            })
        });
    // ("Check out tuesday instead of monday" is a date too.)
    let weekday = words.iter().any(|w| {
        matches!(
            *w,
            "monday"
                | "tuesday"
                | "wednesday"
                | "thursday"
                | "friday"
                | "saturday"
                | "sunday"
                | "lunes"
                | "martes"
                | "miercoles"
                | "jueves"
                | "viernes"
                | "sabado"
                | "domingo"
        )
    });
    let dated = !hour && (weekday || words.iter().any(|w| w.bytes().any(|b| b.is_ascii_digit())));
    // "whats check in time there" asks without a question mark.
    let asked = text.contains('?')
        || ["whats", "what", "when", "hora", "time", "horario"]
            .iter()
            .any(|w| words.contains(w));
    // "What time is checkout on the 18th": the time asked outright, whatever day is beside it.
    let outright = ["what time", "a que hora", "que hora", "at what time"]
        .iter()
        .any(|c| text.contains(c));
    named && asked && (!dated || outright)
}

/// "Why is christmas more expensive?", "x q navidad es mas caro?", "is that peak season?":
/// a question about how stays are priced, not about one room's price.
pub(super) fn asks_season(text: &str, words: &[&str]) -> bool {
    let season = [
        "peak",
        "temporada",
        "high season",
        "low season",
        "off season",
    ]
    .iter()
    .any(|c| text.contains(c));
    let why = [
        "why", "how come", "por que", "porque", "por q", "x q", "xq", "pq",
    ]
    .iter()
    .any(|c| words.contains(c) || (c.contains(' ') && text.contains(c)));
    let dearer = [
        "expensive",
        "pricier",
        "more",
        "higher",
        "caro",
        "cara",
        "mas",
        "subio",
        "sube",
    ]
    .iter()
    .any(|c| words.contains(c));
    season || (why && dearer)
}

/// "Can you hold it till friday?", "¿me la puedes guardar?", "apártamela": to keep a room
/// without booking it. "Hold on" is a pause, not this.
pub(super) fn asks_hold(text: &str, words: &[&str]) -> bool {
    // ("Hold it, make that dec 5 to 7" and "hold that thought" are a pause: "hold it" counts
    // only asked of the agent or with how long.)
    const HOLD: &[&str] = &[
        "you hold it",
        "u hold it",
        "hold it for",
        "hold it till",
        "hold it until",
        "hold it til",
        "hold the room",
        "hold a room",
        "hold onto it",
        "hold the reservation",
        "hold the booking",
        "hold the price",
        "put it on hold",
        "put a hold",
        "keep it for me",
        "save it for me",
        "reserve it without paying",
        "book it without paying",
    ];
    // ("¿Guardas las maletas?" keeps luggage: the room is "la" or named.)
    const GUARDAR: &[&str] = &[
        "guardarla",
        "guardarmela",
        "guardarnosla",
        "guardamela",
        "apartarla",
        "apartarmela",
        "apartamela",
        "bloquearla",
        "bloquearmela",
        "prereserva",
        "pre-reserva",
    ];
    const GUARDAR_PHRASES: &[&str] = &[
        "la puedes guardar",
        "la pueden guardar",
        "la podes guardar",
        "la podrias guardar",
        "me la guardas",
        "me la guardan",
        "guardar la habitacion",
        "guardarme la habitacion",
        "me la apartas",
        "apartar la habitacion",
    ];
    HOLD.iter().any(|p| text.contains(p))
        || GUARDAR_PHRASES.iter().any(|p| text.contains(p))
        || GUARDAR.iter().any(|w| words.contains(w))
}

/// "Does the baby count?", "el bebé en la cuna no cuenta, no?", "are kids free?": whether a
/// child counts as a guest.
pub(super) fn asks_counts(words: &[&str]) -> bool {
    let child = words.iter().any(|w| {
        matches!(
            *w,
            "baby"
                | "babies"
                | "infant"
                | "infants"
                | "toddler"
                | "kid"
                | "kids"
                | "child"
                | "children"
                | "bebe"
                | "bebes"
                | "nino"
                | "ninos"
                | "nina"
                | "ninas"
                | "nene"
                | "nena"
                | "crio"
                | "crios"
        )
    });
    let counts = words.iter().any(|w| {
        matches!(
            *w,
            "count" | "counts" | "counted" | "cuenta" | "cuentan" | "contar" | "cuentas"
        )
    });
    child && counts
}

/// "Can I cancel for free?", "what's your cancellation policy", "¿cuánto me cobran por
/// cancelar?", "is there a change fee": what changing or cancelling a booking costs.
pub(super) fn asks_changes(text: &str) -> bool {
    [
        "cancellation policy",
        "cancel policy",
        "cancelation policy",
        "politica de cancelacion",
        "politica de cambios",
        "cancel for free",
        "free cancellation",
        "free to cancel",
        "cancelar gratis",
        "cancelacion gratuita",
        "cancelacion gratis",
        "refund",
        "reembolso",
        "cobran por cancelar",
        "cobran si cancel",
        "cobra por cancelar",
        "charge to cancel",
        "charge for cancel",
        "charge if i cancel",
        "charge if we cancel",
        "fee to cancel",
        "cost to cancel",
        "cancellation fee",
        "change fee",
        "fee to change",
        "cargo por cambio",
        "cargo por cancel",
        "penalidad",
        "penalizacion",
    ]
    .iter()
    .any(|c| text.contains(c))
}
