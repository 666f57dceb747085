//! The front desk's view of the bookings, for the staff console: a search over every guest's
//! bookings, the rooms booked per night, the bookings made and money taken per day. Both
//! stores answer with these types and decode their rows through the functions here, so they
//! cannot drift apart. (Changes staff make on a guest's behalf are the guest's own changes,
//! recorded with the staff member's name: see `BookingStore::cancel_as_staff`.)

use chrono::NaiveDate;

use super::GuestId;
use super::decode::{self, Damage};
use crate::{Booking, BookingStatus, Cents, RoomKind};

/// The most bookings one search returns.
pub const MAX_SEARCH: usize = 500;

/// Which bookings a search returns: every condition given must hold. Newest stays first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingQuery {
    /// References containing this (any case).
    pub reference: Option<String>,
    /// Guests whose `channel:user` contains this (any case).
    pub guest: Option<String>,
    /// This hotel (its code).
    pub hotel: Option<String>,
    /// Stays with a night on or after this day.
    pub from: Option<NaiveDate>,
    /// Stays arriving on or before this day.
    pub to: Option<NaiveDate>,
    /// This status.
    pub status: Option<BookingStatus>,
    /// At most this many (capped at [`MAX_SEARCH`]).
    pub limit: usize,
    /// After skipping this many.
    pub offset: usize,
}

/// A booking and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestBooking {
    /// The guest it belongs to.
    pub guest: GuestId,
    /// The booking.
    pub booking: Booking,
}

/// Rooms of one type booked (by confirmed bookings) on one night.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NightsBooked {
    /// The hotel's code.
    pub hotel: String,
    /// The room type.
    pub room: RoomKind,
    /// The night (the date it starts).
    pub night: NaiveDate,
    /// Rooms booked.
    pub booked: u32,
}

/// What happened to bookings on one day (the store's "today" when each change was made).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayActivity {
    /// The day.
    pub day: NaiveDate,
    /// Bookings made.
    pub booked: u32,
    /// Bookings moved to new dates.
    pub rescheduled: u32,
    /// Bookings cancelled.
    pub cancelled: u32,
    /// Money taken, gross: the totals of the bookings made that day, plus the reschedule fees
    /// and cancellation charges of that day (a later cancellation does not take a booking's
    /// total back out of the day it was made).
    pub revenue: Cents,
}

/// A `LIKE` pattern matching values that contain `text` literally (`%`, `_` and `\` escaped).
pub(super) fn contains(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The query's values as both stores bind them: reference, guest and hotel patterns or
/// values, the dates as stored text, the status name, and the page.
pub(super) struct Bound {
    pub(super) reference: Option<String>,
    pub(super) guest: Option<String>,
    pub(super) hotel: Option<String>,
    pub(super) from: Option<String>,
    pub(super) to: Option<String>,
    pub(super) status: Option<&'static str>,
    pub(super) limit: i64,
    pub(super) offset: i64,
}

impl BookingQuery {
    pub(super) fn bound(&self) -> Bound {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Bound {
            reference: text(&self.reference).map(|r| contains(&r.to_uppercase())),
            guest: text(&self.guest).map(|g| contains(&g)),
            hotel: text(&self.hotel).map(|h| h.to_uppercase()),
            from: self.from.map(|d| d.to_string()),
            to: self.to.map(|d| d.to_string()),
            status: self.status.map(|s| match s {
                BookingStatus::Confirmed => "confirmed",
                BookingStatus::Cancelled => "cancelled",
            }),
            limit: i64::try_from(self.limit.min(MAX_SEARCH)).unwrap_or(0),
            offset: i64::try_from(self.offset).unwrap_or(i64::MAX),
        }
    }
}

/// Rows of (hotel, room, night, count), decoded.
pub(super) fn nights_booked(
    rows: Vec<(String, String, String, i64)>,
) -> Result<Vec<NightsBooked>, Damage> {
    rows.into_iter()
        .map(|(hotel, room, night, count)| {
            Ok(NightsBooked {
                room: room
                    .parse()
                    .map_err(|()| format!("booked nights: unknown room type `{room}`"))?,
                night: decode::date(&night, "hb_booking_nights")?,
                hotel,
                booked: decode::taken_count(count),
            })
        })
        .collect()
}

/// Rows of (day, kind, count, cents) from the modification log, one per day and kind, as one
/// [`DayActivity`] per day that has any, in date order.
pub(super) fn activity(rows: Vec<(String, String, i64, i64)>) -> Result<Vec<DayActivity>, Damage> {
    let mut days: std::collections::BTreeMap<NaiveDate, DayActivity> = Default::default();
    for (day, kind, count, cents) in rows {
        let day = decode::date(&day, "hb_modifications")?;
        let entry = days.entry(day).or_insert(DayActivity {
            day,
            booked: 0,
            rescheduled: 0,
            cancelled: 0,
            revenue: Cents::ZERO,
        });
        let count = decode::taken_count(count);
        match kind.as_str() {
            "book" => entry.booked += count,
            "reschedule" => entry.rescheduled += count,
            "cancel" => entry.cancelled += count,
            other => return Err(format!("hb_modifications: unknown kind `{other}`")),
        }
        let taken = decode::cents(cents, "hb_modifications")?;
        entry.revenue = Cents(entry.revenue.0.saturating_add(taken.0));
    }
    Ok(days.into_values().collect())
}
