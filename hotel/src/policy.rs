//! Reschedule fees and cancellation charges for an existing [`Booking`].
//!
//! **The free window.** A change is free when requested 2 or more days before the original
//! check-in date, precisely when `check_in - today >= 2 days` (calendar dates, no times of day):
//! for a Friday check-in, Wednesday is free and Thursday is not.
//!
//! **Reschedule fee** outside the window: $25 (2–3 stars), $35 (4 stars) or $50 (5 stars);
//! doubled when requested on the check-in day itself; then plus 20% of that (possibly doubled)
//! fee when any night of the *new* stay is in peak season. Bookings that are cancelled, or whose
//! check-in date has passed, cannot be rescheduled (nor cancelled).
//!
//! **Cancellation charge** outside the window: the first night's price as booked.

use chrono::NaiveDate;

use crate::{BookingRef, Catalog, Cents, Error, Quote, Result, StayRequest};

/// Days before check-in from which changes are free (`check_in - today >= FREE_CHANGE_DAYS`).
pub const FREE_CHANGE_DAYS: i64 = 2;
/// Peak season surcharge on a reschedule fee, in percent of the fee.
pub const PEAK_FEE_SURCHARGE_PERCENT: u64 = 20;

/// A booking as far as the policies need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// Its reference.
    pub reference: BookingRef,
    /// The stay and prices as booked.
    pub quote: Quote,
    /// Whether it still holds.
    pub status: BookingStatus,
}

/// Whether a booking still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingStatus {
    /// Booked.
    Confirmed,
    /// Cancelled; cannot be changed again.
    Cancelled,
}

/// How a reschedule fee was arrived at, so the agent can explain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RescheduleFee {
    /// The star-rating fee, doubled on the check-in day; zero inside the free window.
    pub base: Cents,
    /// The 20% peak season surcharge on `base` (zero when no new night is peak).
    pub peak_surcharge: Cents,
    /// `base + peak_surcharge`.
    pub total: Cents,
}

/// A reschedule, quoted: the fee and the new stay at current rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RescheduleQuote {
    /// The fee for changing.
    pub fee: RescheduleFee,
    /// The new stay.
    pub stay: Quote,
}

/// Whether `today` is inside the free-change window for a stay starting on `check_in`.
pub fn is_free_change(check_in: NaiveDate, today: NaiveDate) -> bool {
    (check_in - today).num_days() >= FREE_CHANGE_DAYS
}

/// Refuses cancelled bookings and bookings whose check-in date is before `today`.
fn ensure_changeable(booking: &Booking, today: NaiveDate) -> Result<()> {
    if booking.status == BookingStatus::Cancelled {
        return Err(Error::BookingCancelled {
            reference: booking.reference.clone(),
        });
    }
    if booking.quote.check_in < today {
        let reference = booking.reference.clone();
        return Err(Error::BookingInPast {
            reference,
            check_in: booking.quote.check_in,
        });
    }
    Ok(())
}

/// The fee to move `booking` of a hotel with `stars` stars to a stay whose nights include peak
/// nights or not (`new_stay_has_peak`).
pub fn reschedule_fee(
    booking: &Booking,
    stars: u8,
    new_stay_has_peak: bool,
    today: NaiveDate,
) -> Result<RescheduleFee> {
    ensure_changeable(booking, today)?;
    let check_in = booking.quote.check_in;
    if is_free_change(check_in, today) {
        return Ok(RescheduleFee {
            base: Cents::ZERO,
            peak_surcharge: Cents::ZERO,
            total: Cents::ZERO,
        });
    }
    let dollars = match stars {
        ..=3 => 25,
        4 => 35,
        _ => 50,
    };
    let base = Cents::dollars(if check_in == today {
        dollars * 2
    } else {
        dollars
    });
    let peak_surcharge = if new_stay_has_peak {
        base.times_basis_points(PEAK_FEE_SURCHARGE_PERCENT * 100)
    } else {
        Cents::ZERO
    };
    Ok(RescheduleFee {
        base,
        peak_surcharge,
        total: base + peak_surcharge,
    })
}

/// What cancelling `booking` today costs: nothing inside the free window, else the first
/// night's price as booked.
pub fn cancellation_charge(booking: &Booking, today: NaiveDate) -> Result<Cents> {
    ensure_changeable(booking, today)?;
    if is_free_change(booking.quote.check_in, today) {
        Ok(Cents::ZERO)
    } else {
        Ok(booking.quote.first_night())
    }
}

impl Catalog {
    /// Quotes moving `booking` to `new_check_in..new_check_out` (same hotel, room type and
    /// guests): validates the new stay, prices it at current rates and computes the fee.
    /// Availability is the store's business, not checked here.
    pub fn quote_reschedule(
        &self,
        booking: &Booking,
        new_check_in: NaiveDate,
        new_check_out: NaiveDate,
        today: NaiveDate,
    ) -> Result<RescheduleQuote> {
        ensure_changeable(booking, today)?;
        let request = StayRequest {
            hotel: booking.quote.hotel.clone(),
            room: booking.quote.room,
            check_in: new_check_in,
            check_out: new_check_out,
            guests: booking.quote.guests,
        };
        let stay = self.quote(&request, today)?;
        let stars = self.hotel(&booking.quote.hotel)?.stars;
        let fee = reschedule_fee(booking, stars, stay.has_peak_night(), today)?;
        Ok(RescheduleQuote { fee, stay })
    }
}
