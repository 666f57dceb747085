//! Parsing `catalog.json` into validated [`Hotel`]s. The JSON is read into private `Raw*`
//! structs first so every rule (unique codes, positive numbers, known room types) fails with an
//! [`Error`] that names the hotel and field, rather than a serde message with a line number.

use std::collections::HashSet;
use std::str::FromStr;

use chrono::NaiveTime;
use serde::Deserialize;

use super::{Amenities, Hotel, RoomKind, RoomType};
use crate::{Cents, Error, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    hotels: Vec<RawHotel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHotel {
    code: String,
    name: String,
    stars: u8,
    city: String,
    area: String,
    check_in: String,
    check_out: String,
    rooms: Vec<RawRoom>,
    amenities: Amenities,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoom {
    #[serde(rename = "type")]
    kind: String,
    count: u32,
    base_cents: u64,
    max_guests: u32,
}

pub(super) fn parse(json: &str) -> Result<Vec<Hotel>> {
    let raw: RawCatalog = serde_json::from_str(json)?;
    if raw.hotels.is_empty() {
        return Err(Error::EmptyCatalog);
    }
    let mut codes = HashSet::new();
    let mut hotels = Vec::with_capacity(raw.hotels.len());
    for raw in raw.hotels {
        let hotel = hotel(raw)?;
        if !codes.insert(hotel.code.clone()) {
            return Err(Error::DuplicateHotelCode { code: hotel.code });
        }
        hotels.push(hotel);
    }
    Ok(hotels)
}

fn hotel(raw: RawHotel) -> Result<Hotel> {
    let code = raw.code;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::InvalidHotelCode { code });
    }
    if !(2..=5).contains(&raw.stars) {
        return Err(Error::InvalidStars {
            hotel: code,
            stars: raw.stars,
        });
    }
    let check_in = time(&code, "check-in", raw.check_in)?;
    let check_out = time(&code, "check-out", raw.check_out)?;
    if raw.rooms.is_empty() {
        return Err(Error::NoRooms { hotel: code });
    }
    let mut rooms: Vec<RoomType> = Vec::with_capacity(raw.rooms.len());
    for raw in raw.rooms {
        let room = room(&code, raw)?;
        if rooms.iter().any(|r| r.kind == room.kind) {
            return Err(Error::DuplicateRoomType {
                hotel: code,
                room: room.kind,
            });
        }
        rooms.push(room);
    }
    if let Some(field) = raw.amenities.zero_prices().first() {
        return Err(Error::NotPositive {
            hotel: code,
            field: (*field).to_owned(),
        });
    }
    Ok(Hotel {
        code,
        name: raw.name,
        stars: raw.stars,
        city: raw.city,
        area: raw.area,
        check_in,
        check_out,
        rooms,
        amenities: raw.amenities,
    })
}

fn room(hotel: &str, raw: RawRoom) -> Result<RoomType> {
    let kind = RoomKind::from_str(&raw.kind).map_err(|()| Error::UnknownRoomType {
        hotel: hotel.to_owned(),
        name: raw.kind,
    })?;
    let not_positive = |what: &str| Error::NotPositive {
        hotel: hotel.to_owned(),
        field: format!("{kind} room {what}"),
    };
    if raw.count == 0 {
        return Err(not_positive("count"));
    }
    if raw.base_cents == 0 {
        return Err(not_positive("base price"));
    }
    if raw.max_guests == 0 {
        return Err(not_positive("max guests"));
    }
    Ok(RoomType {
        kind,
        count: raw.count,
        base: Cents(raw.base_cents),
        max_guests: raw.max_guests,
    })
}

fn time(hotel: &str, field: &'static str, value: String) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(&value, "%H:%M").map_err(|_| Error::InvalidTime {
        hotel: hotel.to_owned(),
        field,
        value,
    })
}
