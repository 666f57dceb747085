//! Reschedule fees and cancellation charges around the 2-day window.

use chrono::NaiveDate;
use hotel::{
    Booking, BookingRef, BookingStatus, Catalog, Cents, Error, RoomKind, StayRequest,
    cancellation_charge, is_free_change,
};

use crate::d;

/// A confirmed Standard (or Deluxe at HPH) booking for two nights from `check_in`, quoted on
/// 2026-06-01.
fn booking(catalog: &Catalog, hotel: &str, check_in: NaiveDate) -> Booking {
    let room = if hotel == "HPH" {
        RoomKind::Deluxe
    } else {
        RoomKind::Standard
    };
    let request = StayRequest {
        hotel: hotel.into(),
        room,
        check_in,
        check_out: check_in + chrono::Duration::days(2),
        guests: 1,
    };
    Booking {
        reference: BookingRef::parse(&format!("{hotel}-7K3Q9P")).unwrap(),
        quote: catalog.quote(&request, d(2026, 6, 1)).unwrap(),
        status: BookingStatus::Confirmed,
    }
}

#[test]
fn the_free_window_is_two_calendar_days() {
    let check_in = d(2026, 6, 10);
    let cases = [
        (d(2026, 6, 7), true),
        (d(2026, 6, 8), true),
        (d(2026, 6, 9), false),
        (check_in, false),
    ];
    for (today, free) in cases {
        assert_eq!(is_free_change(check_in, today), free, "{today}");
    }
}

#[test]
fn reschedule_fee_by_stars_day_and_peak() {
    let catalog = Catalog::load().unwrap();
    let check_in = d(2026, 6, 10);
    let off_peak = (d(2026, 6, 17), d(2026, 6, 19));
    // Nights Jun 29, 30 and Jul 1: one peak night is enough.
    let touches_peak = (d(2026, 6, 29), d(2026, 7, 2));
    let cases = [
        // (hotel, today, new stay, base, peak surcharge, total) in dollars
        ("GPH", d(2026, 6, 7), touches_peak, 0, 0, 0), // 3 days before: free
        ("GPH", d(2026, 6, 8), touches_peak, 0, 0, 0), // 2 days before: free, even in peak
        ("GPH", d(2026, 6, 9), off_peak, 50, 0, 50),   // 1 day before, 5 stars
        ("GPH", check_in, off_peak, 100, 0, 100),      // check-in day: doubled
        ("GPH", d(2026, 6, 9), touches_peak, 50, 10, 60),
        ("GPH", check_in, touches_peak, 100, 20, 120), // 20% of the doubled fee
        ("HPH", d(2026, 6, 9), off_peak, 50, 0, 50),
        ("SRS", d(2026, 6, 9), off_peak, 35, 0, 35), // 4 stars
        ("ABH", check_in, off_peak, 70, 0, 70),
        ("SRS", d(2026, 6, 9), touches_peak, 35, 7, 42),
        ("SRS", check_in, touches_peak, 70, 14, 84),
        ("MVL", d(2026, 6, 9), off_peak, 25, 0, 25), // 3 stars
        ("CCI", check_in, touches_peak, 50, 10, 60),
        ("BSE", d(2026, 6, 9), off_peak, 25, 0, 25), // 2 stars
        ("BSE", d(2026, 6, 9), touches_peak, 25, 5, 30),
    ];
    for (hotel, today, (new_in, new_out), base, surcharge, total) in cases {
        let booking = booking(&catalog, hotel, check_in);
        let quote = catalog
            .quote_reschedule(&booking, new_in, new_out, today)
            .unwrap();
        let fee = quote.fee;
        let got = (fee.base, fee.peak_surcharge, fee.total);
        let want = (
            Cents::dollars(base),
            Cents::dollars(surcharge),
            Cents::dollars(total),
        );
        assert_eq!(got, want, "{hotel} on {today} to {new_in}");
        assert_eq!(
            (quote.stay.check_in, quote.stay.check_out),
            (new_in, new_out)
        );
    }
}

#[test]
fn the_new_stay_is_repriced_and_validated() {
    let catalog = Catalog::load().unwrap();
    let booking = booking(&catalog, "GPH", d(2026, 6, 10));
    assert_eq!(booking.quote.total, Cents::dollars(440));
    // Fri and Sat nights in peak: $220 × 1.32 twice.
    let moved = catalog
        .quote_reschedule(&booking, d(2026, 7, 3), d(2026, 7, 5), d(2026, 6, 1))
        .unwrap();
    assert_eq!(moved.stay.total, Cents(58_080));
    assert_eq!(moved.stay.guests, 1);
    let too_long = catalog.quote_reschedule(&booking, d(2026, 7, 1), d(2026, 8, 1), d(2026, 6, 1));
    assert!(
        matches!(too_long, Err(Error::TooManyNights { nights: 31 })),
        "{too_long:?}"
    );
}

#[test]
fn past_or_cancelled_bookings_cannot_be_changed() {
    let catalog = Catalog::load().unwrap();
    let check_in = d(2026, 6, 10);
    let (new_in, new_out) = (d(2026, 6, 17), d(2026, 6, 19));
    let past = booking(&catalog, "GPH", check_in);
    let day_after = d(2026, 6, 11);
    let err = catalog
        .quote_reschedule(&past, new_in, new_out, day_after)
        .unwrap_err();
    assert!(matches!(err, Error::BookingInPast { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "booking GPH-7K3Q9P checked in on 2026-06-10, which has passed"
    );
    assert!(matches!(
        cancellation_charge(&past, day_after),
        Err(Error::BookingInPast { .. })
    ));

    let mut cancelled = booking(&catalog, "GPH", check_in);
    cancelled.status = BookingStatus::Cancelled;
    let err = catalog
        .quote_reschedule(&cancelled, new_in, new_out, d(2026, 6, 2))
        .unwrap_err();
    assert_eq!(err.to_string(), "booking GPH-7K3Q9P is cancelled");
    assert!(matches!(
        cancellation_charge(&cancelled, d(2026, 6, 2)),
        Err(Error::BookingCancelled { .. })
    ));
}

#[test]
fn cancellation_charges_the_first_night_as_booked_inside_two_days() {
    let catalog = Catalog::load().unwrap();
    // Friday Jun 12 ($242, weekend) then Saturday ($242): first night is the Friday.
    let booking = booking(&catalog, "GPH", d(2026, 6, 12));
    let cases = [
        (d(2026, 6, 1), Cents::ZERO),
        (d(2026, 6, 10), Cents::ZERO),   // 2 days before
        (d(2026, 6, 11), Cents(24_200)), // 1 day before
        (d(2026, 6, 12), Cents(24_200)), // check-in day
    ];
    for (today, charge) in cases {
        assert_eq!(
            cancellation_charge(&booking, today).unwrap(),
            charge,
            "{today}"
        );
    }
}
