//! The words of the hotel catalog for the offline NLU: hotels by code, name, city and the short
//! names guests use; room kinds with English and Spanish synonyms.

use std::sync::Arc;

use agent_nodes::nlu::{
    Catalog as NluCatalog, CatalogHotel, CatalogRoom, Intent, OfflineNlu, Understand, Understanding,
};
use async_trait::async_trait;
use chrono::NaiveDate;
use hotel::{BookingRef, Catalog, RoomKind};

/// Synonyms of a room kind, English then Spanish.
fn room_names(kind: RoomKind) -> &'static [&'static str] {
    match kind {
        RoomKind::Standard => &[
            "standard",
            "estándar",
            "estandar",
            "normal",
            "basic",
            "básica",
        ],
        RoomKind::Deluxe => &["deluxe", "de lujo", "lujo"],
        RoomKind::Suite => &["suite"],
        RoomKind::Family => &["family", "familiar", "family room", "habitación familiar"],
    }
}

/// The NLU catalog of `catalog`: hotel ids are the hotel codes, room type ids the room kind
/// names (`Deluxe`).
pub fn nlu_catalog(catalog: &Catalog) -> NluCatalog {
    let hotels = catalog
        .hotels()
        .iter()
        .map(|h| {
            // "Grand Plaza Hotel" is also "Grand Plaza"; "Seaside Resort & Spa" is "Seaside".
            let mut aliases = Vec::new();
            let short = h
                .name
                .trim_end_matches(" Hotel")
                .split(" & ")
                .next()
                .unwrap_or(&h.name)
                .trim_end_matches(" Resort")
                .to_owned();
            if short != h.name {
                aliases.push(short);
            }
            aliases.push(h.code.clone());
            CatalogHotel {
                id: h.code.clone(),
                name: h.name.clone(),
                city: h.city.clone(),
                aliases,
            }
        })
        .collect();
    let room_types = RoomKind::ALL
        .into_iter()
        .map(|kind| CatalogRoom {
            id: kind.name().to_owned(),
            names: room_names(kind).iter().map(|n| (*n).to_owned()).collect(),
        })
        .collect();
    NluCatalog { hotels, room_types }
}

/// The offline understander for `catalog`.
pub fn offline_understander(catalog: &Catalog) -> Arc<dyn Understand> {
    Arc::new(OfflineNlu::new(nlu_catalog(catalog)))
}

/// The hotel's reading on top of any understander: finds the hotel's booking references
/// (`SRS-7K3Q9P`, which the generic NLU does not know) and puts them in
/// [`Entities::booking_ref`](agent_nodes::nlu::Entities); a reference or "my bookings" with no
/// other purpose asks for a lookup; a message whose sentiment requires attention is a
/// complaint, whatever else it asks.
pub(crate) struct HotelUnderstand(pub(crate) Arc<dyn Understand>);

/// The first word of `text` that reads as a booking reference.
pub(crate) fn find_reference(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find_map(|w| BookingRef::parse(w).ok())
        .map(|r| r.to_string())
}

/// Whether `text` asks about the guest's own bookings ("my reservation", "mis reservas").
fn mentions_own_bookings(text: &str) -> bool {
    let t = text.to_lowercase();
    [
        "my booking",
        "my reservation",
        "bookings do i have",
        "reservations do i have",
        "mi reserva",
        "mis reservas",
    ]
    .iter()
    .any(|p| t.contains(p))
}

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
            BookingLookup, CancellationRequest, Complaint, GeneralInquiry, ModificationRequest,
            Unknown,
        };
        let mut u = self.0.understand(text, today).await?;
        let reference = find_reference(text);
        let sure = |u: &mut Understanding| u.confidence = u.confidence.max(0.9);
        if reference.is_some() {
            u.entities.booking_ref.clone_from(&reference);
        }
        match u.intent {
            ModificationRequest | CancellationRequest if reference.is_some() => sure(&mut u),
            Unknown | GeneralInquiry | BookingLookup
                if reference.is_some() || mentions_own_bookings(text) =>
            {
                u.intent = BookingLookup;
                sure(&mut u);
            }
            _ => {}
        }
        if u.sentiment.requires_attention {
            u.intent = Complaint;
            sure(&mut u);
        }
        Ok(u)
    }
}
