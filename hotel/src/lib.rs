//! The hotel agent's domain: the [`Catalog`] of seven hotels, night [pricing](night_price),
//! the stay rules, [`BookingRef`]s, and the reschedule and cancellation [policies](reschedule_fee),
//! all as plain functions of their inputs and an explicit `today` from a [`Clock`]; and the
//! [`BookingStore`], the bookings in a SQLite file with no overbooking under any concurrency,
//! and [`PgBookingStore`], the same in PostgreSQL for replicas sharing one database; both behind
//! the async [`Bookings`] trait.
//!
//! **Invariant:** this crate knows nothing about graphs or conversations; the agent wires it
//! in. Only the store does IO. Money is integer [`Cents`]; nothing is computed in floating point.
//!
//! ```
//! use chrono::NaiveDate;
//! use hotel::{Booking, BookingRef, BookingStatus, Catalog, Clock, RoomKind, StayRequest};
//!
//! let catalog = Catalog::load()?;
//! let today = Clock::Fixed(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()).today();
//!
//! // Thursday Jul 2 to Sunday Jul 5: three peak nights, Friday and Saturday also weekend.
//! let request = StayRequest {
//!     hotel: "SRS".into(),
//!     room: RoomKind::Deluxe,
//!     check_in: NaiveDate::from_ymd_opt(2026, 7, 2).unwrap(),
//!     check_out: NaiveDate::from_ymd_opt(2026, 7, 5).unwrap(),
//!     guests: 2,
//! };
//! let quote = catalog.quote(&request, today)?;
//! // $260 × 1.20 = $312, then $312 × 1.10 = $343.20 twice.
//! assert_eq!(quote.total.to_string(), "$998.40");
//!
//! let reference = BookingRef::generate("SRS", &mut fastrand::Rng::with_seed(7));
//! let booking = Booking { reference, quote, status: BookingStatus::Confirmed };
//! // The day before check-in: a 4-star fee of $35, plus 20% for the peak nights.
//! let day_before = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
//! let new = catalog.quote_reschedule(
//!     &booking,
//!     NaiveDate::from_ymd_opt(2026, 7, 9).unwrap(),
//!     NaiveDate::from_ymd_opt(2026, 7, 11).unwrap(),
//!     day_before,
//! )?;
//! assert_eq!(new.fee.total.to_string(), "$42.00");
//! # Ok::<(), hotel::Error>(())
//! ```

mod catalog;
mod clock;
mod error;
mod money;
mod policy;
mod pricing;
mod reference;
mod stay;
mod store;

pub use catalog::{
    Amenities, Breakfast, CATALOG_JSON, Catalog, Hotel, Parking, Pets, RoomKind, RoomType, Shuttle,
};
pub use clock::{Clock, TODAY_VAR};
pub use error::{Database, Error, Result};
pub use money::Cents;
pub use policy::{
    Booking, BookingStatus, FREE_CHANGE_DAYS, PEAK_FEE_SURCHARGE_PERCENT, RescheduleFee,
    RescheduleQuote, cancellation_charge, is_free_change, reschedule_fee,
};
pub use pricing::{
    NightPrice, PEAK_BP, WEEKEND_BP, is_peak, is_weekend_night, night_price, price_nights,
};
pub use reference::{BookingRef, REFERENCE_ALPHABET, REFERENCE_LEN};
pub use stay::{BOOKING_HORIZON_DAYS, MAX_NIGHTS, Quote, StayRequest, validate_stay};
pub use store::{
    BUSY_TIMEOUT, BookingQuery, BookingStore, Bookings, Change, DayActivity, GuestBooking, GuestId,
    MAX_SEARCH, Modification, ModificationKind, NightsBooked, PgBookingStore, StayDates,
};
