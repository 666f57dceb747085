//! The bookings store on real SQLite files: no overbooking under 200 concurrent requests,
//! idempotent changes, reschedules and cancellations moving inventory, privacy between guests,
//! and a file that keeps its data and its seeded inventory across reopenings. The behaviour
//! tests through the `Bookings` trait run on Postgres too (`backends`), and `pg`/`pg_race` test
//! what is Postgres's own.

/// Runs each named body on SQLite and on Postgres, as `<name>::sqlite` and `<name>::postgres`
/// (in the modules declared below).
macro_rules! on_both_backends {
    ($($body:ident),* $(,)?) => {$(
        mod $body {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let store = super::super::open(&super::super::fresh(stringify!($body)));
                super::$body(&store).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(store) = super::super::pg::store(stringify!($body), 4).await else {
                    return;
                };
                super::$body(&store).await;
            }
        }
    )*};
}

mod backends;
mod changes;
mod concurrency;
mod desk;
mod pg;
mod pg_race;

use std::path::PathBuf;

use chrono::NaiveDate;
use hotel::{
    BookingRef, BookingStatus, BookingStore, CATALOG_JSON, Catalog, Error, GuestId, RoomKind,
    StayRequest,
};

use crate::d;

pub(crate) const TODAY: NaiveDate = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();

/// A fresh database file named after the test, under Cargo's per-target temporary directory.
pub(crate) fn fresh(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hotel-store");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

pub(crate) fn open(path: &PathBuf) -> BookingStore {
    BookingStore::open(path, Catalog::load().unwrap()).unwrap()
}

pub(crate) fn stay(
    hotel: &str,
    room: RoomKind,
    check_in: NaiveDate,
    check_out: NaiveDate,
) -> StayRequest {
    StayRequest {
        hotel: hotel.into(),
        room,
        check_in,
        check_out,
        guests: 2,
    }
}

pub(crate) fn ana() -> GuestId {
    GuestId::new("web", "ana")
}

#[test]
fn a_booking_can_be_looked_up_and_takes_one_room_per_night() {
    let store = open(&fresh("book"));
    let request = stay("SRS", RoomKind::Deluxe, d(2026, 7, 2), d(2026, 7, 5));
    let booking = store.book(&ana(), &request, "k1", TODAY).unwrap();
    assert_eq!(booking.reference.hotel_code(), "SRS");
    assert_eq!(booking.quote.total.to_string(), "$998.40");
    assert_eq!(booking.status, BookingStatus::Confirmed);
    assert_eq!(store.lookup(&ana(), &booking.reference).unwrap(), booking);
    assert_eq!(store.bookings_of(&ana()).unwrap(), vec![booking.clone()]);
    let left = |a, b| store.availability("srs", RoomKind::Deluxe, a, b).unwrap();
    assert_eq!(left(d(2026, 7, 2), d(2026, 7, 5)), 9);
    assert_eq!(left(d(2026, 7, 5), d(2026, 7, 6)), 10);
    // The stay rules are the catalog's.
    let too_many = StayRequest {
        guests: 4,
        ..request
    };
    let err = store.book(&ana(), &too_many, "k2", TODAY).unwrap_err();
    assert!(matches!(err, Error::TooManyGuests { max: 3, .. }), "{err}");
}

#[test]
fn the_same_key_returns_the_same_booking_instead_of_a_second_one() {
    let store = open(&fresh("idempotent"));
    let request = stay("MVL", RoomKind::Family, d(2026, 6, 20), d(2026, 6, 22));
    let first = store.book(&ana(), &request, "k1", TODAY).unwrap();
    let again = store.book(&ana(), &request, "k1", TODAY).unwrap();
    assert_eq!(first, again);
    assert_eq!(
        store
            .availability("MVL", RoomKind::Family, d(2026, 6, 20), d(2026, 6, 22))
            .unwrap(),
        3
    );
    assert_eq!(store.bookings_of(&ana()).unwrap().len(), 1);
    // Keys are per guest: another guest's "k1" is a new booking.
    let ben = GuestId::new("web", "ben");
    assert_ne!(
        store.book(&ben, &request, "k1", TODAY).unwrap().reference,
        first.reference
    );
    // A key used for a booking cannot cancel it.
    let err = store
        .cancel(&ana(), &first.reference, "k1", TODAY)
        .unwrap_err();
    assert!(matches!(err, Error::IdempotencyKeyReused { .. }), "{err}");
    // A replayed cancel returns the first result and charges nothing more.
    let cancelled = store.cancel(&ana(), &first.reference, "c1", TODAY).unwrap();
    assert_eq!(
        store.cancel(&ana(), &first.reference, "c1", TODAY).unwrap(),
        cancelled
    );
}

#[test]
fn another_guests_reference_reads_as_not_found() {
    let store = open(&fresh("privacy"));
    let request = stay("ABH", RoomKind::Standard, d(2026, 6, 10), d(2026, 6, 12));
    let booking = store.book(&ana(), &request, "b", TODAY).unwrap();
    let missing = BookingRef::parse("ABH-22222Z").unwrap();
    // Operators find any booking and whose it is.
    assert_eq!(
        store.find(&booking.reference).unwrap(),
        Some((ana(), booking.clone()))
    );
    assert_eq!(store.find(&missing).unwrap(), None);
    // Same user id on another channel is another guest.
    for guest in [GuestId::new("web", "ben"), GuestId::new("sms", "ana")] {
        let r = &booking.reference;
        let not_found =
            |e: Error| matches!(e, Error::BookingNotFound { reference } if &reference == r);
        assert!(not_found(store.lookup(&guest, r).unwrap_err()));
        assert!(not_found(store.modifications(&guest, r).unwrap_err()));
        assert!(not_found(store.cancel(&guest, r, "c", TODAY).unwrap_err()));
        let err = store.reschedule(&guest, r, d(2026, 6, 20), d(2026, 6, 21), "r", TODAY);
        assert!(not_found(err.unwrap_err()));
        assert!(store.bookings_of(&guest).unwrap().is_empty());
        // The message is the one for a reference that does not exist at all.
        let shown = store.lookup(&guest, r).unwrap_err().to_string();
        let absent = store.lookup(&guest, &missing).unwrap_err().to_string();
        assert_eq!(
            shown.replace(r.as_str(), "REF"),
            absent.replace(missing.as_str(), "REF")
        );
    }
    assert_eq!(
        store.lookup(&ana(), &booking.reference).unwrap().status,
        BookingStatus::Confirmed
    );
}

#[test]
fn reopening_keeps_the_bookings_and_seeds_only_once() {
    let path = fresh("reopen");
    let request = stay("GPH", RoomKind::Suite, d(2026, 6, 10), d(2026, 6, 12));
    let booking = open(&path).book(&ana(), &request, "b", TODAY).unwrap();
    // A catalog that now lists 10 Suites does not overwrite the 4 seeded on first start.
    let bigger = CATALOG_JSON.replacen(r#""Suite", "count": 4"#, r#""Suite", "count": 10"#, 1);
    assert_ne!(bigger, CATALOG_JSON);
    let store = BookingStore::open(&path, Catalog::from_json(&bigger).unwrap()).unwrap();
    assert_eq!(store.lookup(&ana(), &booking.reference).unwrap(), booking);
    assert_eq!(
        store
            .availability("GPH", RoomKind::Suite, d(2026, 6, 10), d(2026, 6, 12))
            .unwrap(),
        3
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT COUNT(*) FROM hb_inventory"), 17);
    assert_eq!(
        count("SELECT COUNT(*) FROM hb_schema"),
        2,
        "one row per version"
    );
}

#[test]
fn a_reference_collision_draws_again_and_a_newer_schema_is_refused() {
    let path = fresh("collision");
    let seeded =
        || BookingStore::open_seeded(&path, Catalog::load().unwrap(), fastrand::Rng::with_seed(7));
    let request = stay("HPH", RoomKind::Deluxe, d(2026, 6, 10), d(2026, 6, 12));
    let first = seeded()
        .unwrap()
        .book(&ana(), &request, "b1", TODAY)
        .unwrap();
    let second = seeded()
        .unwrap()
        .book(&ana(), &request, "b2", TODAY)
        .unwrap();
    // The second store drew the first one's reference first, then drew again.
    let first_draw = BookingRef::generate("HPH", &mut fastrand::Rng::with_seed(7));
    assert_eq!(first.reference, first_draw);
    assert_ne!(second.reference, first_draw);

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO hb_schema (version, applied_at_ms) VALUES (99, 0)",
        [],
    )
    .unwrap();
    let err = seeded().unwrap_err();
    assert!(
        matches!(
            err,
            Error::NewerSchema {
                found: 99,
                supported: 2,
                ..
            }
        ),
        "{err}"
    );
}
