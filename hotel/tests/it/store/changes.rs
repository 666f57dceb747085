//! Reschedules and cancellations: fees, inventory moved or freed, refusals, the change log.

use hotel::{BookingStatus, Cents, Error, ModificationKind, RoomKind, StayDates};

use super::{TODAY, ana, fresh, open, stay};
use crate::d;

#[test]
fn a_free_reschedule_moves_the_inventory_and_is_recorded() {
    let store = open(&fresh("reschedule-free"));
    let request = stay("CCI", RoomKind::Deluxe, d(2026, 6, 10), d(2026, 6, 12));
    let booking = store.book(&ana(), &request, "b", TODAY).unwrap();
    let change = store
        .reschedule(
            &ana(),
            &booking.reference,
            d(2026, 6, 15),
            d(2026, 6, 18),
            "r",
            TODAY,
        )
        .unwrap();
    assert_eq!(change.modification.fee, Cents::ZERO);
    assert_eq!(change.booking.quote.check_in, d(2026, 6, 15));
    assert_eq!(change.booking.quote.nights.len(), 3);
    assert_eq!(change.modification.total, change.booking.quote.total);
    let left = |a, b| store.availability("CCI", RoomKind::Deluxe, a, b).unwrap();
    assert_eq!(left(d(2026, 6, 10), d(2026, 6, 12)), 6);
    assert_eq!(left(d(2026, 6, 15), d(2026, 6, 18)), 5);
    assert_eq!(
        store.lookup(&ana(), &booking.reference).unwrap(),
        change.booking
    );

    let log = store.modifications(&ana(), &booking.reference).unwrap();
    let kinds: Vec<_> = log.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [ModificationKind::Booked, ModificationKind::Rescheduled]
    );
    let dates = |a, b| {
        Some(StayDates {
            check_in: a,
            check_out: b,
        })
    };
    assert_eq!(log[1].old, dates(d(2026, 6, 10), d(2026, 6, 12)));
    assert_eq!(log[1].new, dates(d(2026, 6, 15), d(2026, 6, 18)));
    assert_eq!(log[1].day, TODAY);
}

#[test]
fn late_reschedules_pay_the_fee_and_past_or_cancelled_bookings_are_refused() {
    let store = open(&fresh("reschedule-late"));
    let request = stay("SRS", RoomKind::Standard, d(2026, 6, 10), d(2026, 6, 12));
    let booking = store.book(&ana(), &request, "b", TODAY).unwrap();
    let day_before = d(2026, 6, 9);
    let change = store
        .reschedule(
            &ana(),
            &booking.reference,
            d(2026, 6, 16),
            d(2026, 6, 17),
            "r1",
            day_before,
        )
        .unwrap();
    assert_eq!(change.modification.fee, Cents::dollars(35));
    // On the (new) check-in day itself the fee doubles.
    let change = store
        .reschedule(
            &ana(),
            &booking.reference,
            d(2026, 6, 20),
            d(2026, 6, 21),
            "r2",
            d(2026, 6, 16),
        )
        .unwrap();
    assert_eq!(change.modification.fee, Cents::dollars(70));
    let err = store
        .reschedule(
            &ana(),
            &booking.reference,
            d(2026, 6, 25),
            d(2026, 6, 26),
            "r3",
            d(2026, 6, 21),
        )
        .unwrap_err();
    assert!(matches!(err, Error::BookingInPast { .. }), "{err}");

    let other = store.book(&ana(), &request, "b2", TODAY).unwrap();
    store.cancel(&ana(), &other.reference, "c", TODAY).unwrap();
    let err = store
        .reschedule(
            &ana(),
            &other.reference,
            d(2026, 6, 25),
            d(2026, 6, 26),
            "r4",
            TODAY,
        )
        .unwrap_err();
    assert!(matches!(err, Error::BookingCancelled { .. }), "{err}");
    assert_eq!(
        store
            .modifications(&ana(), &booking.reference)
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_reschedule_ignores_its_own_nights_and_rolls_back_when_sold_out() {
    let store = open(&fresh("reschedule-full"));
    // SRS has 3 Suites: all three taken for Jun 10-12.
    let request = stay("SRS", RoomKind::Suite, d(2026, 6, 10), d(2026, 6, 12));
    let refs: Vec<_> = (0..3)
        .map(|i| {
            store
                .book(&ana(), &request, &format!("b{i}"), TODAY)
                .unwrap()
                .reference
        })
        .collect();
    // Shifting one by a night overlaps only its own night of Jun 11.
    let moved = store
        .reschedule(
            &ana(),
            &refs[0],
            d(2026, 6, 11),
            d(2026, 6, 13),
            "r1",
            TODAY,
        )
        .unwrap();
    assert_eq!(moved.booking.quote.check_out, d(2026, 6, 13));
    // Two more take Jun 12, which is now full (with the moved one); moving another booking
    // onto it is refused, even though its own Jun 11 would be free for it.
    let later = stay("SRS", RoomKind::Suite, d(2026, 6, 12), d(2026, 6, 13));
    for key in ["b3", "b4"] {
        store.book(&ana(), &later, key, TODAY).unwrap();
    }
    let err = store
        .reschedule(
            &ana(),
            &refs[1],
            d(2026, 6, 11),
            d(2026, 6, 13),
            "r2",
            TODAY,
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::SoldOut { night, .. } if night == d(2026, 6, 12)),
        "{err}"
    );
    // Nothing changed: the booking keeps its nights and no modification was recorded.
    let kept = store.lookup(&ana(), &refs[1]).unwrap();
    assert_eq!(kept.quote.check_in, d(2026, 6, 10));
    assert_eq!(store.modifications(&ana(), &refs[1]).unwrap().len(), 1);
    assert_eq!(
        store
            .availability("SRS", RoomKind::Suite, d(2026, 6, 10), d(2026, 6, 11))
            .unwrap(),
        1
    );
}

#[test]
fn cancelling_frees_the_room_and_charges_per_the_policy() {
    let store = open(&fresh("cancel"));
    let request = stay("BSE", RoomKind::Family, d(2026, 6, 10), d(2026, 6, 12));
    let early = store.book(&ana(), &request, "b1", TODAY).unwrap();
    let late = store.book(&ana(), &request, "b2", TODAY).unwrap();
    let left = || {
        store
            .availability("BSE", RoomKind::Family, d(2026, 6, 10), d(2026, 6, 12))
            .unwrap()
    };
    assert_eq!(left(), 3);
    let free = store.cancel(&ana(), &early.reference, "c1", TODAY).unwrap();
    assert_eq!(free.modification.fee, Cents::ZERO);
    assert_eq!(free.booking.status, BookingStatus::Cancelled);
    assert_eq!(free.modification.new, None);
    assert_eq!(left(), 4);
    let charged = store
        .cancel(&ana(), &late.reference, "c2", d(2026, 6, 9))
        .unwrap();
    assert_eq!(charged.modification.fee, late.quote.first_night());
    assert_eq!(left(), 5);
    let err = store
        .cancel(&ana(), &late.reference, "c3", d(2026, 6, 9))
        .unwrap_err();
    assert!(matches!(err, Error::BookingCancelled { .. }), "{err}");
    // Cancelled bookings stay visible to their guest.
    assert_eq!(
        store.lookup(&ana(), &late.reference).unwrap().status,
        BookingStatus::Cancelled
    );
}
