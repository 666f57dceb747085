//! The words of the hotel catalog for the offline NLU: hotels by code, name, city and the short
//! names guests use; room kinds with English and Spanish synonyms.

use std::sync::Arc;

use agent_nodes::nlu::{Catalog as NluCatalog, CatalogHotel, CatalogRoom, OfflineNlu, Understand};
use hotel::{Catalog, RoomKind};

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
