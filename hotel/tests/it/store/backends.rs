//! The store's behaviour through the [`Bookings`] trait, each test body written once and run on
//! both backends: a SQLite file and a fresh Postgres schema (skipped, loudly, when there is no
//! PostgreSQL to start).

use hotel::{
    BookingRef, BookingStatus, Bookings, Cents, Error, GuestId, ModificationKind, RoomKind,
    StayDates,
};

use super::{TODAY, ana, stay};
use crate::d;

on_both_backends!(
    booking_takes_one_room_per_night,
    the_same_key_replays_the_first_result,
    another_guests_reference_reads_as_not_found,
    a_free_reschedule_moves_the_inventory_and_is_recorded,
    late_reschedules_pay_the_fee_and_past_or_cancelled_are_refused,
    a_reschedule_ignores_its_own_nights_and_rolls_back_when_sold_out,
    cancelling_frees_the_room_and_charges_per_the_policy,
);

async fn left(store: &dyn Bookings, hotel: &str, room: RoomKind, nights: [u32; 4]) -> u32 {
    let [m1, d1, m2, d2] = nights;
    store
        .availability(hotel, room, d(2026, m1, d1), d(2026, m2, d2))
        .await
        .unwrap()
}

async fn booking_takes_one_room_per_night(store: &dyn Bookings) {
    let request = stay("SRS", RoomKind::Deluxe, d(2026, 7, 2), d(2026, 7, 5));
    let booking = store.book(&ana(), &request, "k1", TODAY).await.unwrap();
    assert_eq!(booking.reference.hotel_code(), "SRS");
    assert_eq!(booking.quote.total.to_string(), "$998.40");
    assert_eq!(booking.status, BookingStatus::Confirmed);
    assert_eq!(
        store.lookup(&ana(), &booking.reference).await.unwrap(),
        booking
    );
    assert_eq!(
        store.bookings_of(&ana()).await.unwrap(),
        vec![booking.clone()]
    );
    assert_eq!(left(store, "srs", RoomKind::Deluxe, [7, 2, 7, 5]).await, 9);
    assert_eq!(left(store, "SRS", RoomKind::Deluxe, [7, 5, 7, 6]).await, 10);
    let err = store
        .availability("SRS", RoomKind::Deluxe, d(2026, 7, 5), d(2026, 7, 5))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::CheckOutNotAfterCheckIn { .. }),
        "{err}"
    );
    let too_many = hotel::StayRequest {
        guests: 4,
        ..request
    };
    let err = store
        .book(&ana(), &too_many, "k2", TODAY)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooManyGuests { max: 3, .. }), "{err}");
    let unknown = stay("XXX", RoomKind::Deluxe, d(2026, 7, 2), d(2026, 7, 5));
    let err = store.book(&ana(), &unknown, "k3", TODAY).await.unwrap_err();
    assert!(matches!(err, Error::UnknownHotel { .. }), "{err}");
}

async fn the_same_key_replays_the_first_result(store: &dyn Bookings) {
    let request = stay("MVL", RoomKind::Family, d(2026, 6, 20), d(2026, 6, 22));
    let first = store.book(&ana(), &request, "k1", TODAY).await.unwrap();
    let again = store.book(&ana(), &request, "k1", TODAY).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(
        left(store, "MVL", RoomKind::Family, [6, 20, 6, 22]).await,
        3
    );
    assert_eq!(store.bookings_of(&ana()).await.unwrap().len(), 1);
    // Keys are per guest: another guest's "k1" is a new booking.
    let ben = GuestId::new("web", "ben");
    let other = store.book(&ben, &request, "k1", TODAY).await.unwrap();
    assert_ne!(other.reference, first.reference);
    // A key used for a booking cannot cancel it.
    let err = store
        .cancel(&ana(), &first.reference, "k1", TODAY)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IdempotencyKeyReused { .. }), "{err}");
    // A replayed cancel returns the first result and charges nothing more; its key cannot
    // reschedule.
    let cancelled = store
        .cancel(&ana(), &first.reference, "c1", TODAY)
        .await
        .unwrap();
    let replayed = store.cancel(&ana(), &first.reference, "c1", TODAY).await;
    assert_eq!(replayed.unwrap(), cancelled);
    let (a, b) = (d(2026, 6, 25), d(2026, 6, 26));
    let err = store
        .reschedule(&ana(), &first.reference, a, b, "c1", TODAY)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IdempotencyKeyReused { .. }), "{err}");
    assert_eq!(
        store
            .modifications(&ana(), &first.reference)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn another_guests_reference_reads_as_not_found(store: &dyn Bookings) {
    let request = stay("ABH", RoomKind::Standard, d(2026, 6, 10), d(2026, 6, 12));
    let booking = store.book(&ana(), &request, "b", TODAY).await.unwrap();
    let missing = BookingRef::parse("ABH-22222Z").unwrap();
    assert_eq!(
        store.find(&booking.reference).await.unwrap(),
        Some((ana(), booking.clone()))
    );
    assert_eq!(store.find(&missing).await.unwrap(), None);
    for guest in [GuestId::new("web", "ben"), GuestId::new("sms", "ana")] {
        let r = &booking.reference;
        let not_found =
            |e: Error| matches!(e, Error::BookingNotFound { reference } if &reference == r);
        assert!(not_found(store.lookup(&guest, r).await.unwrap_err()));
        assert!(not_found(store.modifications(&guest, r).await.unwrap_err()));
        assert!(not_found(
            store.cancel(&guest, r, "c", TODAY).await.unwrap_err()
        ));
        let (a, b) = (d(2026, 6, 20), d(2026, 6, 21));
        let err = store.reschedule(&guest, r, a, b, "r", TODAY).await;
        assert!(not_found(err.unwrap_err()));
        assert!(store.bookings_of(&guest).await.unwrap().is_empty());
        let shown = store.lookup(&guest, r).await.unwrap_err().to_string();
        let absent = store
            .lookup(&guest, &missing)
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            shown.replace(r.as_str(), "REF"),
            absent.replace(missing.as_str(), "REF")
        );
    }
    let mine = store.lookup(&ana(), &booking.reference).await.unwrap();
    assert_eq!(mine.status, BookingStatus::Confirmed);
}

async fn a_free_reschedule_moves_the_inventory_and_is_recorded(store: &dyn Bookings) {
    let request = stay("CCI", RoomKind::Deluxe, d(2026, 6, 10), d(2026, 6, 12));
    let booking = store.book(&ana(), &request, "b", TODAY).await.unwrap();
    let (a, b) = (d(2026, 6, 15), d(2026, 6, 18));
    let change = store
        .reschedule(&ana(), &booking.reference, a, b, "r", TODAY)
        .await
        .unwrap();
    assert_eq!(change.modification.fee, Cents::ZERO);
    assert_eq!(change.booking.quote.check_in, a);
    assert_eq!(change.booking.quote.nights.len(), 3);
    assert_eq!(change.modification.total, change.booking.quote.total);
    assert_eq!(
        left(store, "CCI", RoomKind::Deluxe, [6, 10, 6, 12]).await,
        6
    );
    assert_eq!(
        left(store, "CCI", RoomKind::Deluxe, [6, 15, 6, 18]).await,
        5
    );
    let now = store.lookup(&ana(), &booking.reference).await.unwrap();
    assert_eq!(now, change.booking);
    // The replay of the reschedule is the change as first made.
    let replayed = store
        .reschedule(&ana(), &booking.reference, a, b, "r", TODAY)
        .await
        .unwrap();
    assert_eq!(replayed, change);

    let log = store
        .modifications(&ana(), &booking.reference)
        .await
        .unwrap();
    let kinds: Vec<_> = log.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [ModificationKind::Booked, ModificationKind::Rescheduled]
    );
    let dates = |check_in, check_out| {
        Some(StayDates {
            check_in,
            check_out,
        })
    };
    assert_eq!(log[0].new, dates(d(2026, 6, 10), d(2026, 6, 12)));
    assert_eq!(log[1].old, dates(d(2026, 6, 10), d(2026, 6, 12)));
    assert_eq!(log[1].new, dates(a, b));
    assert_eq!(log[1].day, TODAY);
}

async fn late_reschedules_pay_the_fee_and_past_or_cancelled_are_refused(store: &dyn Bookings) {
    let request = stay("SRS", RoomKind::Standard, d(2026, 6, 10), d(2026, 6, 12));
    let booking = store.book(&ana(), &request, "b", TODAY).await.unwrap();
    let r = &booking.reference;
    let (a, b) = (d(2026, 6, 16), d(2026, 6, 17));
    let change = store
        .reschedule(&ana(), r, a, b, "r1", d(2026, 6, 9))
        .await
        .unwrap();
    assert_eq!(change.modification.fee, Cents::dollars(35));
    // On the (new) check-in day itself the fee doubles.
    let (a, b) = (d(2026, 6, 20), d(2026, 6, 21));
    let change = store
        .reschedule(&ana(), r, a, b, "r2", d(2026, 6, 16))
        .await
        .unwrap();
    assert_eq!(change.modification.fee, Cents::dollars(70));
    let (a, b) = (d(2026, 6, 25), d(2026, 6, 26));
    let err = store
        .reschedule(&ana(), r, a, b, "r3", d(2026, 6, 21))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BookingInPast { .. }), "{err}");

    let other = store.book(&ana(), &request, "b2", TODAY).await.unwrap();
    store
        .cancel(&ana(), &other.reference, "c", TODAY)
        .await
        .unwrap();
    let err = store
        .reschedule(&ana(), &other.reference, a, b, "r4", TODAY)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BookingCancelled { .. }), "{err}");
    assert_eq!(store.modifications(&ana(), r).await.unwrap().len(), 3);
}

async fn a_reschedule_ignores_its_own_nights_and_rolls_back_when_sold_out(store: &dyn Bookings) {
    // SRS has 3 Suites: all three taken for Jun 10-12.
    let request = stay("SRS", RoomKind::Suite, d(2026, 6, 10), d(2026, 6, 12));
    let mut refs = Vec::new();
    for i in 0..3 {
        let key = format!("b{i}");
        refs.push(
            store
                .book(&ana(), &request, &key, TODAY)
                .await
                .unwrap()
                .reference,
        );
    }
    let sold_out = store.book(&ana(), &request, "b3", TODAY).await.unwrap_err();
    assert!(
        matches!(sold_out, Error::SoldOut { night, .. } if night == d(2026, 6, 10)),
        "{sold_out}"
    );
    // Shifting one by a night overlaps only its own night of Jun 11.
    let (a, b) = (d(2026, 6, 11), d(2026, 6, 13));
    let moved = store
        .reschedule(&ana(), &refs[0], a, b, "r1", TODAY)
        .await
        .unwrap();
    assert_eq!(moved.booking.quote.check_out, b);
    // Two more take Jun 12, which is now full; moving another booking onto it is refused.
    let later = stay("SRS", RoomKind::Suite, d(2026, 6, 12), d(2026, 6, 13));
    for key in ["b4", "b5"] {
        store.book(&ana(), &later, key, TODAY).await.unwrap();
    }
    let err = store
        .reschedule(&ana(), &refs[1], a, b, "r2", TODAY)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::SoldOut { night, .. } if night == d(2026, 6, 12)),
        "{err}"
    );
    // Nothing changed: the booking keeps its nights and no modification was recorded.
    let kept = store.lookup(&ana(), &refs[1]).await.unwrap();
    assert_eq!(kept.quote.check_in, d(2026, 6, 10));
    assert_eq!(
        store.modifications(&ana(), &refs[1]).await.unwrap().len(),
        1
    );
    assert_eq!(left(store, "SRS", RoomKind::Suite, [6, 10, 6, 11]).await, 1);
}

async fn cancelling_frees_the_room_and_charges_per_the_policy(store: &dyn Bookings) {
    let request = stay("BSE", RoomKind::Family, d(2026, 6, 10), d(2026, 6, 12));
    let early = store.book(&ana(), &request, "b1", TODAY).await.unwrap();
    let late = store.book(&ana(), &request, "b2", TODAY).await.unwrap();
    assert_eq!(
        left(store, "BSE", RoomKind::Family, [6, 10, 6, 12]).await,
        3
    );
    let free = store
        .cancel(&ana(), &early.reference, "c1", TODAY)
        .await
        .unwrap();
    assert_eq!(free.modification.fee, Cents::ZERO);
    assert_eq!(free.booking.status, BookingStatus::Cancelled);
    assert_eq!(free.modification.new, None);
    assert_eq!(
        left(store, "BSE", RoomKind::Family, [6, 10, 6, 12]).await,
        4
    );
    let charged = store
        .cancel(&ana(), &late.reference, "c2", d(2026, 6, 9))
        .await
        .unwrap();
    assert_eq!(charged.modification.fee, late.quote.first_night());
    assert_eq!(
        left(store, "BSE", RoomKind::Family, [6, 10, 6, 12]).await,
        5
    );
    let err = store
        .cancel(&ana(), &late.reference, "c3", d(2026, 6, 9))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BookingCancelled { .. }), "{err}");
    let kept = store.lookup(&ana(), &late.reference).await.unwrap();
    assert_eq!(kept.status, BookingStatus::Cancelled);
    assert_eq!(kept.quote.nights.len(), 2);
}
