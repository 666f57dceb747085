//! The [`Catalog`] of hotels: who they are, which [`RoomType`]s they sell at what base price,
//! and their [`Amenities`]. Read-only data, validated once when loaded.

mod amenities;
mod load;

use std::fmt;
use std::str::FromStr;

use chrono::NaiveTime;

pub use amenities::{Amenities, Breakfast, Parking, Pets, Shuttle};

use crate::{Cents, Error, Result};

/// The catalog shipped with the crate, `data/catalog.json`.
pub const CATALOG_JSON: &str = include_str!("../../data/catalog.json");

/// All hotels, in catalog order. Construct with [`Catalog::load`] or [`Catalog::from_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    hotels: Vec<Hotel>,
}

impl Catalog {
    /// The catalog shipped with the crate ([`CATALOG_JSON`]), validated.
    pub fn load() -> Result<Catalog> {
        Catalog::from_json(CATALOG_JSON)
    }

    /// Parses and validates a catalog in the shape of `data/catalog.json`. Fails on the first
    /// problem found, naming the hotel and field.
    pub fn from_json(json: &str) -> Result<Catalog> {
        load::parse(json).map(|hotels| Catalog { hotels })
    }

    /// All hotels, in catalog order.
    pub fn hotels(&self) -> &[Hotel] {
        &self.hotels
    }

    /// The hotel with this code (case-insensitive, so `srs` finds `SRS`).
    pub fn hotel(&self, code: &str) -> Result<&Hotel> {
        self.hotels
            .iter()
            .find(|h| h.code.eq_ignore_ascii_case(code))
            .ok_or_else(|| Error::UnknownHotel {
                code: code.to_owned(),
            })
    }
}

/// One hotel. `#[non_exhaustive]` so only the catalog loader builds one, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hotel {
    /// Three uppercase letters, e.g. `SRS`; prefixes its booking references.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Star rating, 2 to 5; sets the reschedule fee.
    pub stars: u8,
    /// City, e.g. `Miami Beach`.
    pub city: String,
    /// Area within the city, e.g. `oceanfront`.
    pub area: String,
    /// Earliest check-in time (local to the hotel).
    pub check_in: NaiveTime,
    /// Latest check-out time (local to the hotel).
    pub check_out: NaiveTime,
    /// Room types sold, in catalog order, each kind at most once.
    pub rooms: Vec<RoomType>,
    /// Services.
    pub amenities: Amenities,
}

impl Hotel {
    /// This hotel's rooms of `kind`.
    pub fn room(&self, kind: RoomKind) -> Result<&RoomType> {
        self.rooms
            .iter()
            .find(|r| r.kind == kind)
            .ok_or_else(|| Error::RoomNotOffered {
                hotel: self.code.clone(),
                room: kind,
            })
    }
}

/// One room type at one hotel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoomType {
    /// Which type.
    pub kind: RoomKind,
    /// How many such rooms the hotel has (at least 1).
    pub count: u32,
    /// Price per night before peak and weekend surcharges (positive).
    pub base: Cents,
    /// Guests one room sleeps (at least 1).
    pub max_guests: u32,
}

/// The room types any hotel may sell. A closed set so the catalog cannot introduce a type the
/// agent does not know how to talk about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoomKind {
    /// Standard room.
    Standard,
    /// Deluxe room.
    Deluxe,
    /// Suite.
    Suite,
    /// Family room.
    Family,
}

impl RoomKind {
    /// Every kind, in display order.
    pub const ALL: [RoomKind; 4] = [
        RoomKind::Standard,
        RoomKind::Deluxe,
        RoomKind::Suite,
        RoomKind::Family,
    ];

    /// The catalog name, e.g. `Deluxe`.
    pub const fn name(self) -> &'static str {
        match self {
            RoomKind::Standard => "Standard",
            RoomKind::Deluxe => "Deluxe",
            RoomKind::Suite => "Suite",
            RoomKind::Family => "Family",
        }
    }
}

impl fmt::Display for RoomKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RoomKind {
    type Err = ();

    /// Case-insensitive catalog name; `Err(())` because callers attach their own context.
    fn from_str(s: &str) -> std::result::Result<RoomKind, ()> {
        RoomKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or(())
    }
}
