//! The front desk's reads and staff changes through the [`Bookings`] trait, on both backends:
//! the search by reference, guest, hotel, dates and status; the rooms booked per night; the
//! activity per day; and a cancellation or reschedule on a guest's behalf, charged by the same
//! policy, recorded as staff's, and refused (nothing changed) for a booking that does not
//! exist or is already cancelled.

use hotel::{
    BookingQuery, BookingRef, BookingStatus, Bookings, Cents, Error, GuestId, ModificationKind,
    RoomKind,
};

use super::{TODAY, ana, stay};
use crate::d;

on_both_backends!(
    the_search_finds_by_each_condition,
    nights_booked_and_activity_count_what_happened,
    staff_cancel_and_reschedule_for_the_guest,
);

fn query() -> BookingQuery {
    BookingQuery {
        limit: 50,
        ..BookingQuery::default()
    }
}

async fn references(store: &dyn Bookings, query: BookingQuery) -> Vec<String> {
    let found = store.search(&query).await.unwrap();
    found
        .into_iter()
        .map(|f| f.booking.reference.as_str().to_owned())
        .collect()
}

async fn the_search_finds_by_each_condition(store: &dyn Bookings) {
    let ben = GuestId::new("instagram", "ben_99");
    let a = store
        .book(
            &ana(),
            &stay("SRS", RoomKind::Deluxe, d(2026, 7, 2), d(2026, 7, 5)),
            "a",
            TODAY,
        )
        .await
        .unwrap();
    let b = store
        .book(
            &ben,
            &stay("MVL", RoomKind::Family, d(2026, 6, 20), d(2026, 6, 22)),
            "b",
            TODAY,
        )
        .await
        .unwrap();
    let a_ref = a.reference.as_str().to_owned();
    let b_ref = b.reference.as_str().to_owned();
    // Newest stays first.
    assert_eq!(
        references(store, query()).await,
        [a_ref.as_str(), b_ref.as_str()]
    );
    let found = store.search(&query()).await.unwrap();
    assert_eq!(found[1].guest, ben);
    assert_eq!(found[1].booking, b);
    // By reference, any case, a part of it.
    let part = a_ref[2..7].to_lowercase();
    let by_ref = BookingQuery {
        reference: Some(part),
        ..query()
    };
    assert_eq!(references(store, by_ref).await, [a_ref.as_str()]);
    // By guest: the channel or the id, any case; `_` is no wildcard.
    for guest in ["INSTAGRAM", "ben_9", "instagram:ben"] {
        let by_guest = BookingQuery {
            guest: Some(guest.into()),
            ..query()
        };
        assert_eq!(
            references(store, by_guest).await,
            [b_ref.as_str()],
            "{guest}"
        );
    }
    let wildcard = BookingQuery {
        guest: Some("a_a".into()),
        ..query()
    };
    assert!(references(store, wildcard).await.is_empty());
    let by_hotel = BookingQuery {
        hotel: Some("srs".into()),
        ..query()
    };
    assert_eq!(references(store, by_hotel).await, [a_ref.as_str()]);
    // By dates: stays with a night in the range.
    let june = BookingQuery {
        from: Some(d(2026, 6, 21)),
        to: Some(d(2026, 6, 30)),
        ..query()
    };
    assert_eq!(references(store, june).await, [b_ref.as_str()]);
    let departure_day = BookingQuery {
        from: Some(d(2026, 6, 22)),
        to: Some(d(2026, 7, 1)),
        ..query()
    };
    assert!(references(store, departure_day).await.is_empty());
    store.cancel(&ben, &b.reference, "c", TODAY).await.unwrap();
    let cancelled = BookingQuery {
        status: Some(BookingStatus::Cancelled),
        ..query()
    };
    assert_eq!(references(store, cancelled).await, [b_ref.as_str()]);
    let paged = BookingQuery {
        limit: 1,
        offset: 1,
        ..query()
    };
    assert_eq!(references(store, paged).await, [b_ref.as_str()]);
}

async fn nights_booked_and_activity_count_what_happened(store: &dyn Bookings) {
    let request = stay("BSE", RoomKind::Family, d(2026, 6, 10), d(2026, 6, 12));
    let first = store.book(&ana(), &request, "n1", TODAY).await.unwrap();
    store.book(&ana(), &request, "n2", TODAY).await.unwrap();
    let nights = store
        .nights_booked(d(2026, 6, 11), d(2026, 6, 30))
        .await
        .unwrap();
    assert_eq!(nights.len(), 1, "{nights:?}");
    assert_eq!(nights[0].hotel, "BSE");
    assert_eq!(nights[0].room, RoomKind::Family);
    assert_eq!(nights[0].night, d(2026, 6, 11));
    assert_eq!(nights[0].booked, 2);
    // Cancelling frees the nights; the day after, a cancellation charge was taken.
    let tomorrow = TODAY.succ_opt().unwrap();
    let change = store
        .cancel(&ana(), &first.reference, "n3", tomorrow)
        .await
        .unwrap();
    let nights = store
        .nights_booked(d(2026, 6, 10), d(2026, 6, 12))
        .await
        .unwrap();
    assert!(nights.iter().all(|n| n.booked == 1), "{nights:?}");
    let days = store.activity(TODAY, d(2026, 6, 30)).await.unwrap();
    assert_eq!(days.len(), 2, "{days:?}");
    assert_eq!(
        (days[0].day, days[0].booked, days[0].cancelled),
        (TODAY, 2, 0)
    );
    assert_eq!(days[0].revenue, Cents(first.quote.total.0 * 2));
    assert_eq!((days[1].booked, days[1].cancelled), (0, 1));
    assert_eq!(days[1].revenue, change.modification.fee);
    assert!(
        store
            .activity(d(2026, 1, 1), TODAY)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn staff_cancel_and_reschedule_for_the_guest(store: &dyn Bookings) {
    let request = stay("GPH", RoomKind::Suite, d(2026, 6, 3), d(2026, 6, 5));
    let booking = store.book(&ana(), &request, "s1", TODAY).await.unwrap();
    let r = &booking.reference;
    // Within the free-change window no more: the reschedule pays the policy's fee.
    let (guest, moved) = store
        .reschedule_as_staff(r, (d(2026, 6, 4), d(2026, 6, 6)), "Marta", "k1", TODAY)
        .await
        .unwrap();
    assert_eq!(guest, ana());
    let quote = store
        .catalog()
        .quote_reschedule(&booking, d(2026, 6, 4), d(2026, 6, 6), TODAY)
        .unwrap();
    assert_eq!(moved.modification.fee, quote.fee.total);
    assert_eq!(moved.modification.by_staff.as_deref(), Some("Marta"));
    let (_, cancelled) = store
        .cancel_as_staff(r, "Marta", "k2", TODAY)
        .await
        .unwrap();
    assert_eq!(cancelled.booking.status, BookingStatus::Cancelled);
    let expected = hotel::cancellation_charge(&moved.booking, TODAY).unwrap();
    assert_eq!(cancelled.modification.fee, expected);
    let log = store.modifications(&ana(), r).await.unwrap();
    let kinds: Vec<_> = log
        .iter()
        .map(|m| (m.kind, m.by_staff.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            (ModificationKind::Booked, None),
            (ModificationKind::Rescheduled, Some("Marta")),
            (ModificationKind::Cancelled, Some("Marta")),
        ]
    );
    // Already cancelled, or no such booking: refused, nothing changed.
    let again = store
        .cancel_as_staff(r, "Marta", "k3", TODAY)
        .await
        .unwrap_err();
    assert!(matches!(again, Error::BookingCancelled { .. }), "{again}");
    let moved_again = store
        .reschedule_as_staff(r, (d(2026, 6, 8), d(2026, 6, 9)), "Marta", "k4", TODAY)
        .await
        .unwrap_err();
    assert!(
        matches!(moved_again, Error::BookingCancelled { .. }),
        "{moved_again}"
    );
    let missing = BookingRef::parse("GPH-2345AB").unwrap();
    let err = store
        .cancel_as_staff(&missing, "Marta", "k5", TODAY)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BookingNotFound { .. }), "{err}");
    assert_eq!(store.modifications(&ana(), r).await.unwrap().len(), 3);
}
