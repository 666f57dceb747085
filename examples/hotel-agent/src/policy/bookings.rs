//! Which of the guest's bookings a message is about.

use chrono::Datelike;
use hotel::{Booking, BookingStatus};

use super::{World, named_hotel_of};
use crate::reading::Reading;

/// The booking with `reference` among the guest's.
pub(super) fn booking<'a>(w: World<'a>, reference: &str) -> Option<&'a Booking> {
    w.bookings
        .iter()
        .find(|b| b.reference.as_str().eq_ignore_ascii_case(reference))
}

pub(super) fn upcoming<'a>(w: World<'a>) -> impl Iterator<Item = &'a Booking> {
    w.bookings
        .iter()
        .filter(move |b| b.status == BookingStatus::Confirmed && b.quote.check_in >= w.today)
}

/// The booking a change is about: the one the message names by reference, else `current`,
/// else the guest's only upcoming booking, else the only one whose hotel, month or check-in
/// the message names.
pub(super) fn pick_booking(r: &Reading, w: World<'_>, current: Option<&str>) -> Option<String> {
    if let Some(reference) = &r.entities.booking_ref {
        return Some(reference.clone());
    }
    if let Some(current) = current {
        return Some(current.to_owned());
    }
    let upcoming: Vec<&Booking> = upcoming(w).collect();
    if let [only] = upcoming.as_slice() {
        return Some(only.reference.to_string());
    }
    let named = named_hotel_of(r, w);
    let fits = |b: &&&Booking| {
        let q = &b.quote;
        let hotel = named.as_deref().is_none_or(|h| h == q.hotel);
        let month = r.months.is_empty() || r.months.contains(&q.check_in.month());
        let day = r.entities.check_in.is_none_or(|d| d == q.check_in);
        hotel && month && day
    };
    let said_something = named.is_some() || !r.months.is_empty() || r.entities.check_in.is_some();
    let matching: Vec<&&Booking> = upcoming.iter().filter(fits).collect();
    match matching.as_slice() {
        [one] if said_something => Some(one.reference.to_string()),
        _ => None,
    }
}
