//! The stored form of bookings, nights and modifications, which both stores share: dates as
//! `YYYY-MM-DD` text, room types by their catalog name, statuses and kinds by name, money as
//! integer cents. Rows come in raw (as the database returned them) and are decoded here;
//! anything that does not read back is reported as the `what` of an [`crate::Error::Damaged`],
//! which each store completes with the database it read.

use chrono::NaiveDate;

use super::{Modification, ModificationKind, StayDates};
use crate::{Booking, BookingRef, BookingStatus, Cents, NightPrice, Quote, RoomKind};

/// What is wrong with a stored row.
pub(super) type Damage = String;

/// The columns of a booking row, as read.
pub(super) struct RawBooking {
    pub(super) reference: String,
    pub(super) hotel: String,
    pub(super) room: String,
    pub(super) check_in: String,
    pub(super) check_out: String,
    pub(super) guests: i64,
    pub(super) total: i64,
    pub(super) status: String,
}

/// The columns of a night row, as read.
pub(super) struct RawNight {
    pub(super) date: String,
    pub(super) base: i64,
    pub(super) peak: bool,
    pub(super) weekend: bool,
    pub(super) price: i64,
}

/// The columns of a modification row, as read: the stays are old check-in, old check-out, new
/// check-in and new check-out.
pub(super) struct RawModification {
    pub(super) reference: String,
    pub(super) kind: String,
    pub(super) stays: [Option<String>; 4],
    pub(super) fee: i64,
    pub(super) total: i64,
    pub(super) day: String,
    pub(super) by_staff: Option<String>,
}

/// Money as the stores keep it.
pub(super) fn sql_cents(amount: Cents) -> i64 {
    // A stay is at most 30 nights of a catalog price; nothing near 2^63 cents.
    i64::try_from(amount.0).unwrap_or(i64::MAX)
}

/// A modification's dates as stored: old check-in, old check-out, new check-in, new check-out.
pub(super) fn stay_columns(m: &Modification) -> [Option<String>; 4] {
    let text = |d: Option<StayDates>| {
        d.map_or([None, None], |d| {
            [Some(d.check_in.to_string()), Some(d.check_out.to_string())]
        })
    };
    let ([old_in, old_out], [new_in, new_out]) = (text(m.old), text(m.new));
    [old_in, old_out, new_in, new_out]
}

/// A stored `YYYY-MM-DD` date of `row`.
pub(super) fn date(text: &str, row: &str) -> Result<NaiveDate, Damage> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{row}: `{text}` is not a date"))
}

/// Stored cents of `row`.
pub(super) fn cents(value: i64, row: &str) -> Result<Cents, Damage> {
    u64::try_from(value)
        .map(Cents)
        .map_err(|_| format!("{row}: negative amount {value}"))
}

/// A stored room count of `hotel`'s `room` type.
pub(super) fn room_count(rooms: i64, hotel: &str, room: RoomKind) -> Result<u32, Damage> {
    u32::try_from(rooms).map_err(|_| format!("inventory of {hotel} {room} is {rooms}"))
}

/// A count of rooms taken on one night (a count cannot be negative; huge is full anyway).
pub(super) fn taken_count(count: i64) -> u32 {
    u32::try_from(count.max(0)).unwrap_or(u32::MAX)
}

/// The nights of `reference`, in date order.
pub(super) fn nights(reference: &str, raw: Vec<RawNight>) -> Result<Vec<NightPrice>, Damage> {
    let row = format!("nights of {reference}");
    raw.into_iter()
        .map(|n| {
            Ok(NightPrice {
                date: date(&n.date, &row)?,
                base: cents(n.base, &row)?,
                peak: n.peak,
                weekend: n.weekend,
                price: cents(n.price, &row)?,
            })
        })
        .collect()
}

/// A booking row with its nights.
pub(super) fn booking(raw: RawBooking, nights: Vec<NightPrice>) -> Result<Booking, Damage> {
    let row = format!("booking `{}`", raw.reference);
    let bad = |what: &str| format!("{row}: {what}");
    let reference = BookingRef::parse(&raw.reference).map_err(|_| bad("bad reference"))?;
    let status = match raw.status.as_str() {
        "confirmed" => BookingStatus::Confirmed,
        "cancelled" => BookingStatus::Cancelled,
        other => return Err(bad(&format!("unknown status `{other}`"))),
    };
    let quote = Quote {
        room: raw
            .room
            .parse()
            .map_err(|()| bad(&format!("unknown room type `{}`", raw.room)))?,
        hotel: raw.hotel,
        check_in: date(&raw.check_in, &row)?,
        check_out: date(&raw.check_out, &row)?,
        guests: u32::try_from(raw.guests).map_err(|_| bad("bad guest count"))?,
        nights,
        total: cents(raw.total, &row)?,
    };
    if quote.nights.is_empty() {
        return Err(bad("no nights"));
    }
    Ok(Booking {
        reference,
        quote,
        status,
    })
}

/// A modification row.
pub(super) fn modification(raw: RawModification) -> Result<Modification, Damage> {
    let row = format!("modification of `{}`", raw.reference);
    let [old_in, old_out, new_in, new_out] = raw.stays;
    let stay = |check_in: Option<String>, check_out: Option<String>| match (check_in, check_out) {
        (Some(a), Some(b)) => Ok(Some(StayDates {
            check_in: date(&a, &row)?,
            check_out: date(&b, &row)?,
        })),
        (None, None) => Ok(None),
        _ => Err(format!("{row}: half a stay")),
    };
    Ok(Modification {
        reference: BookingRef::parse(&raw.reference)
            .map_err(|_| format!("{row}: bad reference"))?,
        kind: ModificationKind::from_name(&raw.kind)
            .ok_or_else(|| format!("{row}: unknown kind `{}`", raw.kind))?,
        old: stay(old_in, old_out)?,
        new: stay(new_in, new_out)?,
        fee: cents(raw.fee, &row)?,
        total: cents(raw.total, &row)?,
        day: date(&raw.day, &row)?,
        by_staff: raw.by_staff,
    })
}
