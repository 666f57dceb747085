//! No overbooking on Postgres: 200 concurrent requests for the last 3 rooms of a type, through
//! one store and split across two (separate pools, standing in for two replicas); and the proof
//! that this race catches overbooking: the same race with the writes forced to REPEATABLE READ
//! books more rooms than there are.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotel::{Booking, Error, GuestId, PgBookingStore, RoomKind};
use tokio::sync::Barrier;

use super::pg::{connect, count, open, schema};
use super::{TODAY, ana, stay};
use crate::d;

const REQUESTS: usize = 200;

/// Sends [`REQUESTS`] bookings for `check_in..check_out` of `hotel`'s `room` type at once,
/// spread round-robin over `stores`, and returns their results and how long they took.
async fn race(
    stores: &[PgBookingStore],
    hotel: &'static str,
    room: RoomKind,
    (check_in, check_out): (chrono::NaiveDate, chrono::NaiveDate),
    tag: &str,
) -> (Vec<hotel::Result<Booking>>, Duration) {
    let barrier = Arc::new(Barrier::new(REQUESTS));
    let started = Instant::now();
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            let barrier = Arc::clone(&barrier);
            let key = format!("{tag}-{i}");
            tokio::spawn(async move {
                let guest = GuestId::new("whatsapp", format!("guest-{i}"));
                let request = stay(hotel, room, check_in, check_out);
                // Released together, so the transactions overlap as much as the pools allow.
                barrier.wait().await;
                store.book(&guest, &request, &key, TODAY).await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(REQUESTS);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    (results, started.elapsed())
}

/// The race of the SQLite test (`concurrency.rs`) on `stores`: GPH has 4 Suites and one
/// already holds Jun 11-12, so of 200 requests for Jun 10-13 exactly 3 succeed.
async fn exactly_three_of_two_hundred(stores: &[PgBookingStore], config: &tokio_postgres::Config) {
    let store = &stores[0];
    let early = stay("GPH", RoomKind::Suite, d(2026, 6, 11), d(2026, 6, 12));
    store.book(&ana(), &early, "early", TODAY).await.unwrap();
    let nights = (d(2026, 6, 10), d(2026, 6, 13));
    let left = store.availability("GPH", RoomKind::Suite, nights.0, nights.1);
    assert_eq!(left.await.unwrap(), 3);

    let (results, elapsed) = race(stores, "GPH", RoomKind::Suite, nights, "key").await;
    eprintln!(
        "{REQUESTS} concurrent Postgres requests over {} store(s) took {elapsed:?}",
        stores.len()
    );
    let booked: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let sold_out = results
        .iter()
        .filter(|r| {
            matches!(r, Err(Error::SoldOut { hotel, room: RoomKind::Suite, night })
                if hotel == "GPH" && *night == d(2026, 6, 11))
        })
        .count();
    let others: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(booked.len(), 3, "other errors: {others:?}");
    assert_eq!(sold_out, REQUESTS - 3, "other errors: {others:?}");

    let left = store.availability("GPH", RoomKind::Suite, nights.0, nights.1);
    assert_eq!(left.await.unwrap(), 0);
    let first_night = store.availability("GPH", RoomKind::Suite, nights.0, d(2026, 6, 11));
    assert_eq!(first_night.await.unwrap(), 1);
    let mut references: Vec<_> = booked.iter().map(|b| b.reference.clone()).collect();
    references.sort();
    references.dedup();
    assert_eq!(references.len(), 3);
    let client = connect(config).await;
    let fullest = "SELECT MAX(c) FROM (SELECT COUNT(*) AS c FROM hb_booking_nights
        WHERE hotel = 'GPH' AND room = 'Suite' GROUP BY night) AS per_night";
    assert_eq!(count(&client, "SELECT COUNT(*) FROM hb_bookings").await, 4);
    assert_eq!(
        count(&client, "SELECT COUNT(*) FROM hb_modifications").await,
        4
    );
    assert_eq!(count(&client, fullest).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_requests_for_three_rooms_book_exactly_three() {
    let Some(config) = schema("race_one").await else {
        return;
    };
    let store = open(&config, 8).await;
    exactly_three_of_two_hundred(&[store], &config).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_racing_for_three_rooms_book_exactly_three() {
    let Some(config) = schema("race_two").await else {
        return;
    };
    // Two stores, each with its own pool of 8: two processes' worth of connections.
    let (a, b) = (open(&config, 8).await, open(&config, 8).await);
    exactly_three_of_two_hundred(&[a, b], &config).await;
}

/// The regression test for the isolation level: under REPEATABLE READ each booking's snapshot
/// is taken by its first statement, before the inventory lock is granted, so bookings queued on
/// the lock count the rooms as they were before the holder committed and overbook. Overlap is
/// a matter of timing, so this tries up to 5 rounds (fresh nights each) and asserts that at
/// least one overbooked; in practice the first does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn repeatable_read_writes_overbook_so_the_race_test_would_catch_it() {
    let Some(config) = schema("race_rr").await else {
        return;
    };
    let store = open(&config, 8)
        .await
        .with_repeatable_read_writes_for_tests();
    let mut booked_per_round = Vec::new();
    for round in 0..5u32 {
        // SRS has 3 Suites; each round takes two fresh nights.
        let nights = (d(2026, 7, 1 + 2 * round), d(2026, 7, 3 + 2 * round));
        let left = store.availability("SRS", RoomKind::Suite, nights.0, nights.1);
        assert_eq!(left.await.unwrap(), 3);
        let tag = format!("rr{round}");
        let (results, _) = race(
            std::slice::from_ref(&store),
            "SRS",
            RoomKind::Suite,
            nights,
            &tag,
        )
        .await;
        let booked = results.iter().filter(|r| r.is_ok()).count();
        booked_per_round.push(booked);
        if booked > 3 {
            break;
        }
    }
    eprintln!("REPEATABLE READ booked {booked_per_round:?} of 3 rooms per round");
    assert!(
        booked_per_round.iter().any(|&booked| booked > 3),
        "REPEATABLE READ never overbooked: {booked_per_round:?}"
    );
}
