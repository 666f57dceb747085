//! Night prices. A "night" is dated by the day it starts (its check-in day): the night of
//! Friday Jul 3 is Friday night, even though the guest wakes up on Saturday.
//!
//! `price = base × 1.20 (peak) × 1.10 (Friday or Saturday night)`, each night rounded to the
//! cent. The surcharges are combined into one exact multiplier in basis points (1.20 × 1.10 =
//! 13_200 bp) and applied once in integer arithmetic, rounding half away from zero, so the result
//! never depends on float error or on the order of the factors.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::Cents;

/// Peak season multiplier, in basis points (×1.20).
pub const PEAK_BP: u64 = 12_000;
/// Friday and Saturday night multiplier, in basis points (×1.10).
pub const WEEKEND_BP: u64 = 11_000;
const ONE_BP: u64 = 10_000;

/// Whether the night starting on `night` is in peak season: Dec 20 – Jan 5 or Jul 1 – Aug 31,
/// both inclusive, in any year.
pub fn is_peak(night: NaiveDate) -> bool {
    let md = (night.month(), night.day());
    md >= (12, 20) || md <= (1, 5) || ((7, 1)..=(8, 31)).contains(&md)
}

/// Whether the night starting on `night` is a Friday or Saturday night.
pub fn is_weekend_night(night: NaiveDate) -> bool {
    matches!(night.weekday(), Weekday::Fri | Weekday::Sat)
}

/// One night of a quote: its date, the surcharges that applied, and the rounded price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NightPrice {
    /// The day the night starts.
    pub date: NaiveDate,
    /// The room type's base price.
    pub base: Cents,
    /// Peak season surcharge applied.
    pub peak: bool,
    /// Friday/Saturday surcharge applied.
    pub weekend: bool,
    /// What the night costs, rounded to the cent.
    pub price: Cents,
}

/// Prices the night starting on `date` for a room with this `base` price.
pub fn night_price(base: Cents, date: NaiveDate) -> NightPrice {
    let peak = is_peak(date);
    let weekend = is_weekend_night(date);
    let peak_bp = if peak { PEAK_BP } else { ONE_BP };
    let weekend_bp = if weekend { WEEKEND_BP } else { ONE_BP };
    // Exact: both factors are whole basis points whose product is divisible by 10_000.
    let bp = peak_bp * weekend_bp / ONE_BP;
    NightPrice {
        date,
        base,
        peak,
        weekend,
        price: base.times_basis_points(bp),
    }
}

/// Prices every night from `check_in` up to (not including) `check_out`; empty when
/// `check_out <= check_in`.
pub fn price_nights(base: Cents, check_in: NaiveDate, check_out: NaiveDate) -> Vec<NightPrice> {
    check_in
        .iter_days()
        .take_while(|d| *d < check_out)
        .map(|d| night_price(base, d))
        .collect()
}
