//! Integration tests for the hotel domain, one module per rule set, all through the public API
//! with a fixed "today" so every edge date is reproducible.

mod catalog;
mod clock;
mod money;
mod policy;
mod pricing;
mod reference;
mod stay;
mod store;

use chrono::NaiveDate;

/// A date from literals known to be valid.
fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}
