//! No overbooking: many connections racing for the last rooms of one type.

use std::sync::{Arc, Barrier};
use std::time::Instant;

use hotel::{Error, GuestId, RoomKind};

use super::{TODAY, ana, fresh, open, stay};
use crate::d;

#[test]
fn two_hundred_concurrent_requests_for_three_rooms_book_exactly_three() {
    let path = fresh("concurrent");
    let store = open(&path);
    // GPH has 4 Suites; one already holds Jun 11-12, so Jun 10-13 has 3 left.
    let early = stay("GPH", RoomKind::Suite, d(2026, 6, 11), d(2026, 6, 12));
    store.book(&ana(), &early, "early", TODAY).unwrap();
    let (check_in, check_out) = (d(2026, 6, 10), d(2026, 6, 13));
    assert_eq!(
        store
            .availability("GPH", RoomKind::Suite, check_in, check_out)
            .unwrap(),
        3
    );

    const REQUESTS: usize = 200;
    let barrier = Arc::new(Barrier::new(REQUESTS));
    let started = Instant::now();
    let threads: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let (path, barrier) = (path.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                // Each thread has its own handle, hence its own SQLite connection.
                let store = open(&path);
                barrier.wait();
                let guest = GuestId::new("whatsapp", format!("guest-{i}"));
                let request = stay("GPH", RoomKind::Suite, check_in, check_out);
                store.book(&guest, &request, &format!("key-{i}"), TODAY)
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let elapsed = started.elapsed();

    let booked: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let sold_out = results
        .iter()
        .filter(|r| {
            // Jun 11 is the night the early booking already holds, so it fills first.
            matches!(r, Err(Error::SoldOut { hotel, room: RoomKind::Suite, night })
                if hotel == "GPH" && *night == d(2026, 6, 11))
        })
        .count();
    let others: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    eprintln!("{REQUESTS} concurrent requests took {elapsed:?}");
    assert_eq!(booked.len(), 3, "other errors: {others:?}");
    assert_eq!(sold_out, REQUESTS - 3, "other errors: {others:?}");

    // Inventory is consistent: nothing left on any night, every night holds at most 4 Suites,
    // and the three winners are stored under distinct references.
    assert_eq!(
        store
            .availability("GPH", RoomKind::Suite, check_in, check_out)
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .availability("GPH", RoomKind::Suite, d(2026, 6, 10), d(2026, 6, 11))
            .unwrap(),
        1
    );
    let mut references: Vec<_> = booked.iter().map(|b| b.reference.clone()).collect();
    references.sort();
    references.dedup();
    assert_eq!(references.len(), 3);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (bookings, modifications, fullest): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM hb_bookings), (SELECT COUNT(*) FROM hb_modifications),
                (SELECT MAX(c) FROM (SELECT COUNT(*) AS c FROM hb_booking_nights
                 WHERE hotel = 'GPH' AND room = 'Suite' GROUP BY night))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((bookings, modifications, fullest), (4, 4, 4));
}
