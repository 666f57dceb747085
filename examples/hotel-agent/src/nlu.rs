//! The words of the hotel catalog for the offline NLU: hotels by code, name, city and the short
//! names guests use; room kinds with English and Spanish synonyms.

use std::sync::Arc;

use agent_nodes::nlu::{
    Intent, Lexicon, LexiconHotel, LexiconRoom, OfflineNlu, Understand, Understanding,
};
use async_trait::async_trait;
use chrono::NaiveDate;
use hotel::{BookingRef, Catalog, RoomKind};

/// Synonyms of a room kind, English then Spanish. "Normal" and "basic" only with "room":
/// "at the normal price" names no room.
fn room_names(kind: RoomKind) -> &'static [&'static str] {
    match kind {
        RoomKind::Standard => &[
            "standard",
            "std",
            "standar",
            "normal room",
            "la normal",
            "una normal",
            "regular room",
            "basic room",
            "double room",
            "estándar",
            "estandar",
            "habitación normal",
            "habitación doble",
            "habitación básica",
        ],
        RoomKind::Deluxe => &["deluxe", "delux", "dlx", "de lujo", "lujo"],
        RoomKind::Suite => &["suite", "suites"],
        RoomKind::Family => &[
            "family",
            "familiar",
            "family room",
            "fam room",
            "habitación familiar",
        ],
    }
}

/// Words of hotel names too common to name a hotel on their own: "hotel", "city", "stay",
/// amenities ("spa") a guest asks about, and words one typo away from everyday ones ("palace"
/// from "place", "grand" from "gran"), or everyday themselves ("over budget").
const COMMON: &[&str] = &[
    "the", "hotel", "hotels", "city", "stay", "spa", "and", "&", "resort", "business", "airport",
    "center", "centre", "view", "palace", "grand", "budget",
];

/// What guests call a hotel besides its name: its city and the places near it.
fn extra_aliases(code: &str) -> &'static [&'static str] {
    match code {
        "GPH" => &["chicago", "grand plaza", "the plaza"],
        "SRS" => &[
            "miami",
            "miami beach",
            "south beach",
            "the beach one",
            "beach hotel",
            "on the beach",
            "by the beach",
            "near the beach",
            "close to the beach",
            "beach resort",
            "beachfront",
            "oceanfront",
            "hotel de playa",
            "el de la playa",
            "en la playa",
            "cerca de la playa",
            "junto a la playa",
            "frente a la playa",
            "frente al mar",
        ],
        "MVL" => &[
            "estes park",
            "colorado",
            "rocky mountains",
            "rockies",
            "the mountains",
            "mountain hotel",
            "las montanas",
            "la montana",
            "hotel de montana",
        ],
        "CCI" => &["austin", "city centre inn", "city centre"],
        "HPH" => &[
            "new orleans",
            "nueva orleans",
            "nola",
            "french quarter",
            "barrio frances",
            "heritage palace",
        ],
        "ABH" => &[
            "dallas",
            "dfw",
            "airport hotel",
            "airport business",
            "airport biz",
            "biz hotel",
            "hotel del aeropuerto",
            "del aeropuerto",
            "aeropuerto de dallas",
            "dallas airport",
        ],
        "BSE" => &[
            "orlando",
            "the budget",
            "el budget",
            "del budget",
            "budget hotel",
            "budget express",
            "budget stay",
            "hotel barato de orlando",
        ],
        _ => &[],
    }
}

/// The NLU lexicon of `catalog`: hotel ids are the hotel codes, room type ids the room kind
/// names (`Deluxe`). Besides its full name, a hotel is named by every run of words of its name
/// that no other hotel's name has and that is not a common word alone ("Grand Plaza", "Plaza",
/// "Heritage", "the Lodge", "Budget Stay"), by its code and by its city; booking references
/// are the store's own (`SRS-7K3Q9P`, typed in any case, with a space or no dash).
pub fn nlu_lexicon(catalog: &Catalog) -> Lexicon {
    let names: Vec<Vec<String>> = catalog
        .hotels()
        .iter()
        .map(|h| {
            h.name
                .split_whitespace()
                .map(|w| w.to_lowercase())
                .collect()
        })
        .collect();
    let hotels = catalog
        .hotels()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let words = &names[i];
            let mut aliases: Vec<String> = Vec::new();
            for start in 0..words.len() {
                for end in start + 1..=words.len() {
                    let run = &words[start..end];
                    if run.len() == words.len() || run.iter().all(|w| COMMON.contains(&w.as_str()))
                    {
                        continue;
                    }
                    let phrase = run.join(" ");
                    let elsewhere = names
                        .iter()
                        .enumerate()
                        .any(|(j, other)| j != i && other.windows(run.len()).any(|w| w == run));
                    if !elsewhere && run.last().is_some_and(|w| w != "&") {
                        aliases.push(phrase);
                    }
                }
            }
            aliases.extend(extra_aliases(&h.code).iter().map(|a| (*a).to_owned()));
            aliases.push(h.code.clone());
            LexiconHotel {
                id: h.code.clone(),
                name: h.name.clone(),
                city: h.city.clone(),
                aliases,
            }
        })
        .collect();
    let room_types = RoomKind::ALL
        .into_iter()
        .map(|kind| LexiconRoom {
            id: kind.name().to_owned(),
            names: room_names(kind).iter().map(|n| (*n).to_owned()).collect(),
        })
        .collect();
    let codes: Vec<String> = catalog
        .hotels()
        .iter()
        .map(|h| h.code.to_lowercase())
        .collect();
    let alphabet = hotel::REFERENCE_ALPHABET.to_lowercase();
    let reference = format!(
        r"\b({})[- ]?([{alphabet}]{{{}}})\b",
        codes.join("|"),
        hotel::REFERENCE_LEN
    );
    Lexicon {
        hotels,
        room_types,
        reference: Some(reference),
    }
}

/// Every hotel `folded` names by one of its names written in full ("parking at the seaside and
/// at the grand plaza"), in catalog order; the understander reports only the likeliest one.
pub(crate) fn hotels_in(catalog: &Catalog, folded: &str) -> Vec<String> {
    let words = crate::text::words(folded);
    let names = |phrase: &str| crate::text::has_phrase(&words, phrase);
    nlu_lexicon(catalog)
        .hotels
        .into_iter()
        .filter(|h| names(&h.name) || h.aliases.iter().any(|a| names(a)))
        .map(|h| h.id)
        .collect()
}

/// Every room kind `folded` names, in [`RoomKind::ALL`] order ("standard vs family").
pub(crate) fn rooms_in(folded: &str) -> Vec<RoomKind> {
    let words = crate::text::words(folded);
    RoomKind::ALL
        .into_iter()
        .filter(|kind| {
            room_names(*kind)
                .iter()
                .any(|name| crate::text::has_phrase(&words, name))
        })
        .collect()
}

/// The offline understander for `catalog`.
pub fn offline_understander(catalog: &Catalog) -> Arc<dyn Understand> {
    Arc::new(OfflineNlu::new(nlu_lexicon(catalog)))
}

/// The hotel's reading on top of any understander: a booking reference is kept only when it
/// is well formed (a model may report anything), in the store's spelling; a reference or "my
/// bookings" with no other purpose asks for a lookup; a message whose sentiment requires
/// attention is a complaint, whatever else it asks.
pub(crate) struct HotelUnderstand(pub(crate) Arc<dyn Understand>);

/// Whether `text` asks about the guest's own bookings ("my reservation", "mis reservas").
fn mentions_own_bookings(text: &str) -> bool {
    let t = crate::text::fold(text);
    [
        "my booking",
        "my reservation",
        "bookings do i have",
        "reservations do i have",
        "mi reserva",
        "mis reservas",
        "our booking",
        "our reservation",
        "nuestra reserva",
        "have a booking",
        "have a reservation",
        "tengo reserva",
        "tenemos reserva",
        "tengo una reserva",
        "tenemos una reserva",
        // "What else do I still have?" after a cancellation.
        "else do i have",
        "do i still have",
        "do i have booked",
        "do i have left",
        "que mas tengo",
        "mis reservaciones",
        "tengo reservaciones",
        "tengo unas reservaciones",
        "tengo unas reservas",
        "cuales tengo",
        "que reservaciones",
        // "And what did I pay at the seaside?": a booking's total.
        "what did i pay",
        "how much did i pay",
        "cuanto pague",
        "que otras reservas",
        "que me queda reservado",
    ]
    .iter()
    .any(|p| t.contains(p))
        || OWN_BOOKING.is_match(&t)
}

/// "My miami booking", "nuestra reserva de enero": a booking of the guest's, named with a
/// word or two between.
static OWN_BOOKING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\b(?:my|our)\s+(?:[a-z]+\s+){1,2}(?:booking|reservation)s?\b")
        .unwrap_or_else(|e| panic!("own booking rule: {e}"))
});

#[async_trait]
impl Understand for HotelUnderstand {
    fn provider(&self) -> &str {
        self.0.provider()
    }

    async fn understand(
        &self,
        text: &str,
        today: NaiveDate,
    ) -> Result<Understanding, agent_nodes::Error> {
        use Intent::{
            BookingLookup, CancellationRequest, Complaint, GeneralInquiry, Greeting,
            ModificationRequest, Unknown,
        };
        let mut u = self.0.understand(text, today).await?;
        let reference = u
            .entities
            .booking_ref
            .as_deref()
            .and_then(|r| BookingRef::parse(r).ok())
            .map(|r| r.to_string());
        u.entities.booking_ref.clone_from(&reference);
        let sure = |u: &mut Understanding| u.confidence = u.confidence.max(0.9);
        match u.intent {
            ModificationRequest | CancellationRequest if reference.is_some() => sure(&mut u),
            Unknown | GeneralInquiry | BookingLookup | Greeting
                if reference.is_some() || mentions_own_bookings(text) =>
            {
                u.intent = BookingLookup;
                sure(&mut u);
            }
            // "Ok no importa. and mine? HPH-DM2KK3": a reference asked about (a yes with one
            // stays a yes).
            Intent::Affirm if reference.is_some() && !crate::consent::has_yes(text) => {
                u.intent = BookingLookup;
                sure(&mut u);
            }
            _ => {}
        }
        // A change with a sad reason ("my mother fell ill, cancel please") stays a change.
        if u.sentiment.requires_attention
            && !matches!(u.intent, CancellationRequest | ModificationRequest)
        {
            u.intent = Complaint;
            sure(&mut u);
        }
        Ok(u)
    }
}
