//! The business rules both bookings stores (SQLite's and Postgres's) apply inside their
//! transactions, as plain functions of what the transaction read: whether a key's first result
//! may be replayed, what a change records, what availability a night count leaves. The stores
//! only fetch and write; keeping the rules here means the backends cannot drift apart.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{Change, Modification, ModificationKind, StayDates};
use crate::{
    Booking, BookingRef, BookingStatus, Catalog, Cents, Error, Quote, RescheduleQuote, Result,
    RoomKind,
};

/// Who makes a reschedule or cancellation, and under what: the idempotency key, the day, and
/// the staff member acting on the guest's behalf (`None`: the guest).
#[derive(Debug, Clone, Copy)]
pub(super) struct Acting<'a> {
    pub(super) key: &'a str,
    pub(super) today: NaiveDate,
    pub(super) by: Option<&'a str>,
}

/// How many fresh references a booking draws before giving up on collisions. With about 887
/// million codes per hotel, a second draw is already rare.
pub(super) const REFERENCE_ATTEMPTS: usize = 16;

/// The hotel code an availability question is about, once the hotel offers `room` and the
/// dates are in order (`hotel` may be written in any case).
pub(super) fn availability_hotel(
    catalog: &Catalog,
    hotel: &str,
    room: RoomKind,
    check_in: NaiveDate,
    check_out: NaiveDate,
) -> Result<String> {
    let hotel = catalog.hotel(hotel)?;
    hotel.room(room)?;
    if check_out <= check_in {
        return Err(Error::CheckOutNotAfterCheckIn {
            check_in,
            check_out,
        });
    }
    Ok(hotel.code.clone())
}

/// Rooms left on every night, given the hotel's `rooms` and those `taken` on each night that
/// has any: the fewest left on any one night.
pub(super) fn rooms_left(rooms: u32, taken: &BTreeMap<NaiveDate, u32>) -> u32 {
    rooms.saturating_sub(taken.values().copied().max().unwrap_or(0))
}

/// [`Error::SoldOut`] naming the first night of `quote` with none of the hotel's `rooms` left,
/// given those `taken` on each night that has any.
pub(super) fn ensure_available(
    quote: &Quote,
    rooms: u32,
    taken: &BTreeMap<NaiveDate, u32>,
) -> Result<()> {
    match taken.iter().find(|&(_, &count)| count >= rooms) {
        Some((&night, _)) => Err(Error::SoldOut {
            hotel: quote.hotel.clone(),
            room: quote.room,
            night,
        }),
        None => Ok(()),
    }
}

/// Whether `done`, the change already made under `key`, may be replayed for a `kind` change
/// (of booking `reference`, for reschedules and cancellations): only the same kind of change to
/// the same booking may; anything else is [`Error::IdempotencyKeyReused`].
pub(super) fn check_replay(
    key: &str,
    done: &Modification,
    kind: ModificationKind,
    reference: Option<&BookingRef>,
) -> Result<()> {
    if done.kind != kind || reference.is_some_and(|r| *r != done.reference) {
        return Err(Error::IdempotencyKeyReused {
            key: key.to_owned(),
            used_for: format!("booking {} ({})", done.reference, done.kind.name()),
        });
    }
    Ok(())
}

/// A stay's dates.
pub(super) fn dates(quote: &Quote) -> StayDates {
    StayDates {
        check_in: quote.check_in,
        check_out: quote.check_out,
    }
}

/// A new booking of `quote` under `reference`, and the change to record for it.
pub(super) fn booked(reference: BookingRef, quote: Quote, today: NaiveDate) -> Change {
    let modification = Modification {
        reference: reference.clone(),
        kind: ModificationKind::Booked,
        old: None,
        new: Some(dates(&quote)),
        fee: Cents::ZERO,
        total: quote.total,
        day: today,
        by_staff: None,
    };
    Change {
        booking: Booking {
            reference,
            quote,
            status: BookingStatus::Confirmed,
        },
        modification,
    }
}

/// `booking` moved as `quote` says (by staff member `by`, or by the guest), and the change to
/// record for it.
pub(super) fn rescheduled(
    booking: Booking,
    quote: RescheduleQuote,
    today: NaiveDate,
    by: Option<&str>,
) -> Change {
    let modification = Modification {
        reference: booking.reference.clone(),
        kind: ModificationKind::Rescheduled,
        old: Some(dates(&booking.quote)),
        new: Some(dates(&quote.stay)),
        fee: quote.fee.total,
        total: quote.stay.total,
        day: today,
        by_staff: by.map(str::to_owned),
    };
    Change {
        booking: Booking {
            quote: quote.stay,
            ..booking
        },
        modification,
    }
}

/// `booking` cancelled for `charge` (by staff member `by`, or by the guest), and the change to
/// record for it.
pub(super) fn cancelled(
    booking: Booking,
    charge: Cents,
    today: NaiveDate,
    by: Option<&str>,
) -> Change {
    let modification = Modification {
        reference: booking.reference.clone(),
        kind: ModificationKind::Cancelled,
        old: Some(dates(&booking.quote)),
        new: None,
        fee: charge,
        total: charge,
        day: today,
        by_staff: by.map(str::to_owned),
    };
    Change {
        booking: Booking {
            status: BookingStatus::Cancelled,
            ..booking
        },
        modification,
    }
}

/// The replay of `done`, the change first made under a key: the booking it changed as it is
/// now (`found`, the guest's booking of that reference), and the change as recorded.
pub(super) fn replayed(done: Modification, found: Option<Booking>) -> Result<Change> {
    Ok(Change {
        booking: owned(found, &done.reference)?,
        modification: done,
    })
}

/// [`Error::BookingNotFound`] unless `found` holds the guest's booking.
pub(super) fn owned(found: Option<Booking>, reference: &BookingRef) -> Result<Booking> {
    found.ok_or_else(|| Error::BookingNotFound {
        reference: reference.clone(),
    })
}
