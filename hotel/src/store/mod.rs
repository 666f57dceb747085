//! [`BookingStore`], the bookings in a SQLite file: availability, booking, rescheduling and
//! cancelling, each change recorded as a [`Modification`].
//!
//! **No overbooking under any concurrency.** Availability is derived from the confirmed
//! bookings' nights, and every change checks and takes inventory inside one `BEGIN IMMEDIATE`
//! transaction. SQLite lets one such transaction run at a time per file; the others wait (up to
//! the busy timeout) for the lock, then see what the first committed. This holds across
//! handles, threads and processes on the same file.
//!
//! **Idempotency.** Every change carries a key unique per guest (`hb_modifications` has a
//! unique index on it). Repeating a change with the same key returns what the first one did
//! instead of doing it again, so a retried tool call cannot book twice.
//!
//! **Privacy.** A guest ([`GuestId`]: channel + user id) sees and changes only their own
//! bookings; another guest's reference reads as [`Error::BookingNotFound`], exactly like one
//! that does not exist.

mod bookings;
mod decode;
mod desk;
mod desk_sqlite;
mod logic;
mod pg;
mod records;
mod rows;
mod schema;
mod types;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::NaiveDate;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::{Booking, BookingRef, Catalog, Error, Result, RoomKind, StayRequest};
pub use bookings::Bookings;
pub use desk::{BookingQuery, DayActivity, GuestBooking, MAX_SEARCH, NightsBooked};
use logic::Acting;
pub use pg::PgBookingStore;
use rows::Db;
pub use types::{Change, GuestId, Modification, ModificationKind, StayDates};

/// How long a change waits for another's lock on the file before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The bookings database. Cheap to clone; clones share one connection, taken in turn. Separate
/// [`BookingStore::open`]s of one file (threads, processes) are serialized by SQLite's lock.
#[derive(Debug, Clone)]
pub struct BookingStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    catalog: Catalog,
    conn: Mutex<Session>,
}

#[derive(Debug)]
struct Session {
    conn: Connection,
    rng: fastrand::Rng,
}

impl BookingStore {
    /// Opens (creating if needed) the bookings database at `path`: WAL mode, a busy timeout of
    /// [`BUSY_TIMEOUT`], the schema migrated, and the inventory of every catalog room type not
    /// yet in it seeded from `catalog` (counts already stored are kept). Blocks while it does.
    pub fn open(path: impl AsRef<Path>, catalog: Catalog) -> Result<BookingStore> {
        BookingStore::open_seeded(path, catalog, fastrand::Rng::new())
    }

    /// [`BookingStore::open`] drawing references from `rng`, so tests can force collisions.
    pub fn open_seeded(
        path: impl AsRef<Path>,
        catalog: Catalog,
        rng: fastrand::Rng,
    ) -> Result<BookingStore> {
        let path = path.as_ref().to_owned();
        let open_err = |operation: &str| {
            let (path, operation) = (path.clone(), operation.to_owned());
            move |source| Error::Storage {
                path,
                operation,
                source,
            }
        };
        let mut conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err("open"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(open_err("set the busy timeout"))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(open_err("set WAL mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::NoWal { path, mode });
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON")
            .map_err(open_err("set synchronous and foreign keys"))?;
        schema::migrate_and_seed(&mut conn, &path, &catalog)?;
        Ok(BookingStore {
            inner: Arc::new(Inner {
                path,
                catalog,
                conn: Mutex::new(Session { conn, rng }),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The catalog bookings are checked and priced against.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// Rooms of type `room` at `hotel` free on every night from `check_in` to `check_out`
    /// (the fewest free on any one night).
    pub fn availability(
        &self,
        hotel: &str,
        room: RoomKind,
        check_in: NaiveDate,
        check_out: NaiveDate,
    ) -> Result<u32> {
        let hotel =
            logic::availability_hotel(&self.inner.catalog, hotel, room, check_in, check_out)?;
        self.read("read availability", |db| {
            db.rooms_left(&hotel, room, check_in, check_out)
        })
    }

    /// Books `request` for `guest`: checks it against the catalog and the stay rules as of
    /// `today`, prices it, and takes one room for each night if every night has one left
    /// ([`Error::SoldOut`] otherwise), all in one transaction. With a `key` this guest already
    /// booked under, returns that booking as it is now and books nothing.
    pub fn book(
        &self,
        guest: &GuestId,
        request: &StayRequest,
        key: &str,
        today: NaiveDate,
    ) -> Result<Booking> {
        let operation = format!("book {} {}", request.hotel, request.room);
        self.write(&operation, |db, rng| {
            if let Some(done) = db.modification_by_key(guest, key)? {
                return replay(db, guest, key, done, ModificationKind::Booked, None)
                    .map(|c| c.booking);
            }
            let quote = self.inner.catalog.quote(request, today)?;
            db.ensure_available(&quote)?;
            let reference = db.insert_booking(guest, &quote, rng)?;
            db.replace_nights(&reference, &quote)?;
            let change = logic::booked(reference, quote, today);
            db.record(guest, key, &change.modification)?;
            Ok(change.booking)
        })
    }

    /// Moves `guest`'s booking `reference` to `check_in..check_out`: the fee and new price come
    /// from [`Catalog::quote_reschedule`] (past and cancelled bookings are refused), and the new
    /// nights must be free apart from the booking's own. One transaction; repeated `key`s
    /// replay the first result.
    pub fn reschedule(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        check_in: NaiveDate,
        check_out: NaiveDate,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change> {
        self.write(&format!("reschedule {reference}"), |db, _| {
            let acting = Acting {
                key,
                today,
                by: None,
            };
            self.reschedule_in(db, guest, reference, (check_in, check_out), acting)
        })
    }

    /// [`BookingStore::reschedule`] inside `db`'s transaction, by staff member `by` or the
    /// guest.
    fn reschedule_in(
        &self,
        db: &Db<'_>,
        guest: &GuestId,
        reference: &BookingRef,
        (check_in, check_out): (NaiveDate, NaiveDate),
        Acting { key, today, by }: Acting<'_>,
    ) -> Result<Change> {
        if let Some(done) = db.modification_by_key(guest, key)? {
            let kind = ModificationKind::Rescheduled;
            return replay(db, guest, key, done, kind, Some(reference));
        }
        let booking = logic::owned(db.booking(guest, reference)?, reference)?;
        let quote = self
            .inner
            .catalog
            .quote_reschedule(&booking, check_in, check_out, today)?;
        db.release_nights(reference)?;
        db.ensure_available(&quote.stay)?;
        db.replace_nights(reference, &quote.stay)?;
        db.update_stay(reference, &quote.stay)?;
        let change = logic::rescheduled(booking, quote, today, by);
        db.record(guest, key, &change.modification)?;
        Ok(change)
    }

    /// Cancels `guest`'s booking `reference`, charging per [`crate::cancellation_charge`] and
    /// freeing its nights. Repeated `key`s replay the first result.
    pub fn cancel(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change> {
        self.write(&format!("cancel {reference}"), |db, _| {
            let acting = Acting {
                key,
                today,
                by: None,
            };
            cancel_in(db, guest, reference, acting)
        })
    }

    /// `guest`'s booking `reference` ([`Error::BookingNotFound`] if it is not theirs).
    pub fn lookup(&self, guest: &GuestId, reference: &BookingRef) -> Result<Booking> {
        self.read(&format!("look up {reference}"), |db| {
            logic::owned(db.booking(guest, reference)?, reference)
        })
    }

    /// Booking `reference` and whose it is, whoever asks: for operators, never for guests
    /// (they use [`BookingStore::lookup`]). `None` when no booking has that reference.
    pub fn find(&self, reference: &BookingRef) -> Result<Option<(GuestId, Booking)>> {
        self.read(&format!("find {reference}"), |db| {
            let Some(guest) = db.owner(reference)? else {
                return Ok(None);
            };
            Ok(db
                .booking(&guest, reference)?
                .map(|booking| (guest, booking)))
        })
    }

    /// All of `guest`'s bookings, cancelled ones included, by check-in date.
    pub fn bookings_of(&self, guest: &GuestId) -> Result<Vec<Booking>> {
        self.read(&format!("list the bookings of {guest}"), |db| {
            db.bookings_of(guest)
        })
    }

    /// Every recorded change to `guest`'s booking `reference`, oldest first.
    pub fn modifications(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
    ) -> Result<Vec<Modification>> {
        self.read(&format!("list the changes to {reference}"), |db| {
            logic::owned(db.booking(guest, reference)?, reference)?;
            db.modifications_of(reference)
        })
    }

    fn session(&self) -> MutexGuard<'_, Session> {
        // A panic mid-transaction rolled it back when the transaction dropped; the connection
        // itself is still good.
        self.inner
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction, committed only if `f` succeeds.
    fn write<T>(
        &self,
        operation: &str,
        f: impl FnOnce(&Db<'_>, &mut fastrand::Rng) -> Result<T>,
    ) -> Result<T> {
        let mut session = self.session();
        let Session { conn, rng } = &mut *session;
        let path = &self.inner.path;
        let err = |step: &str| {
            let operation = format!("{operation}: {step}");
            move |source| Error::Storage {
                path: path.clone(),
                operation,
                source,
            }
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("begin"))?;
        let out = f(&Db { conn: &tx, path }, rng)?;
        tx.commit().map_err(err("commit"))?;
        Ok(out)
    }

    /// Runs `f` in a read transaction, so it sees one consistent state.
    fn read<T>(&self, operation: &str, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        let mut session = self.session();
        let path = &self.inner.path;
        let tx = session
            .conn
            .transaction()
            .map_err(|source| Error::Storage {
                path: path.clone(),
                operation: format!("{operation}: begin"),
                source,
            })?;
        f(&Db { conn: &tx, path })
    }
}

/// [`BookingStore::cancel`] inside `db`'s transaction, by staff member `by` or the guest.
fn cancel_in(
    db: &Db<'_>,
    guest: &GuestId,
    reference: &BookingRef,
    Acting { key, today, by }: Acting<'_>,
) -> Result<Change> {
    if let Some(done) = db.modification_by_key(guest, key)? {
        let kind = ModificationKind::Cancelled;
        return replay(db, guest, key, done, kind, Some(reference));
    }
    let booking = logic::owned(db.booking(guest, reference)?, reference)?;
    let charge = crate::cancellation_charge(&booking, today)?;
    db.mark_cancelled(reference, charge)?;
    let change = logic::cancelled(booking, charge, today, by);
    db.record(guest, key, &change.modification)?;
    Ok(change)
}

/// The result of the change `done` already made under `key`, if it is the same kind of change
/// to the same booking; [`Error::IdempotencyKeyReused`] otherwise.
fn replay(
    db: &Db<'_>,
    guest: &GuestId,
    key: &str,
    done: Modification,
    kind: ModificationKind,
    reference: Option<&BookingRef>,
) -> Result<Change> {
    logic::check_replay(key, &done, kind, reference)?;
    let found = db.booking(guest, &done.reference)?;
    logic::replayed(done, found)
}
