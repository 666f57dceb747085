//! Stay rules and quotes: a [`StayRequest`] is checked against the catalog and "today", then
//! priced night by night into a [`Quote`].
//!
//! Rules: one booking is one room; 1 to [`MAX_NIGHTS`] nights; 1 guest up to the room type's
//! maximum; check-in from today up to [`BOOKING_HORIZON_DAYS`] days ahead, inclusive.

use chrono::{Days, NaiveDate};

use crate::pricing::{NightPrice, price_nights};
use crate::{Catalog, Cents, Error, Result, RoomKind, RoomType};

/// Longest stay, in nights.
pub const MAX_NIGHTS: i64 = 30;
/// Furthest check-in, in days after today.
pub const BOOKING_HORIZON_DAYS: u64 = 365;

/// What a guest asks for: one room of one type at one hotel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StayRequest {
    /// Hotel code (case-insensitive).
    pub hotel: String,
    /// Room type.
    pub room: RoomKind,
    /// Arrival day; the first night.
    pub check_in: NaiveDate,
    /// Departure day; not a night of the stay.
    pub check_out: NaiveDate,
    /// People in the room.
    pub guests: u32,
}

/// A priced, valid stay.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quote {
    /// Hotel code as in the catalog.
    pub hotel: String,
    /// Room type.
    pub room: RoomKind,
    /// Arrival day.
    pub check_in: NaiveDate,
    /// Departure day.
    pub check_out: NaiveDate,
    /// People in the room.
    pub guests: u32,
    /// One entry per night, in date order (never empty).
    pub nights: Vec<NightPrice>,
    /// Sum of the night prices.
    pub total: Cents,
}

impl Quote {
    /// The first night's price, which is what a late cancellation costs.
    pub fn first_night(&self) -> Cents {
        self.nights[0].price
    }

    /// Whether any night is in peak season (this raises a late reschedule fee).
    pub fn has_peak_night(&self) -> bool {
        self.nights.iter().any(|n| n.peak)
    }
}

/// Checks the stay rules for `room`, returning the number of nights. Each broken rule is its own
/// [`Error`] variant; guests are checked first, then dates, so the guest hears about one problem
/// at a time in a stable order.
pub fn validate_stay(
    room: &RoomType,
    check_in: NaiveDate,
    check_out: NaiveDate,
    guests: u32,
    today: NaiveDate,
) -> Result<u32> {
    if guests == 0 {
        return Err(Error::NoGuests);
    }
    if guests > room.max_guests {
        return Err(Error::TooManyGuests {
            room: room.kind,
            max: room.max_guests,
            guests,
        });
    }
    if check_out <= check_in {
        return Err(Error::CheckOutNotAfterCheckIn {
            check_in,
            check_out,
        });
    }
    let nights = (check_out - check_in).num_days();
    if nights > MAX_NIGHTS {
        return Err(Error::TooManyNights { nights });
    }
    if check_in < today {
        return Err(Error::CheckInInPast { check_in, today });
    }
    let latest = today + Days::new(BOOKING_HORIZON_DAYS);
    if check_in > latest {
        return Err(Error::CheckInTooFarAhead { check_in, latest });
    }
    Ok(u32::try_from(nights).expect("at most MAX_NIGHTS"))
}

impl Catalog {
    /// Validates `request` against the catalog and the stay rules as of `today`, and prices it
    /// at current rates.
    pub fn quote(&self, request: &StayRequest, today: NaiveDate) -> Result<Quote> {
        let hotel = self.hotel(&request.hotel)?;
        let room = hotel.room(request.room)?;
        let StayRequest {
            check_in,
            check_out,
            guests,
            ..
        } = *request;
        validate_stay(room, check_in, check_out, guests, today)?;
        let nights = price_nights(room.base, check_in, check_out);
        let total = nights.iter().map(|n| n.price).sum();
        Ok(Quote {
            hotel: hotel.code.clone(),
            room: room.kind,
            check_in,
            check_out,
            guests,
            nights,
            total,
        })
    }
}
