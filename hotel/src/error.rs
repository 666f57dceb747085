//! [`Error`], everything the hotel domain can reject: a bad catalog, a stay that breaks the
//! rules, a malformed booking reference, a booking that can no longer be changed, a bad clock,
//! and the bookings stores' refusals (sold out, not found) and storage failures, SQLite's and
//! Postgres's.

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::{BookingRef, RoomKind};

/// Why a catalog, stay, reference, policy or clock request was refused. Messages are meant to be
/// shown to an operator (catalog, clock) or turned into a reply to the guest (the rest).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The catalog text is not JSON of the expected shape.
    #[error("the catalog is not valid: {0}")]
    CatalogJson(#[from] serde_json::Error),
    /// The catalog lists no hotel at all.
    #[error("the catalog lists no hotels")]
    EmptyCatalog,
    /// A hotel code is not three uppercase ASCII letters (it prefixes booking references).
    #[error("hotel code `{code}` must be three uppercase letters A-Z")]
    InvalidHotelCode {
        /// The code as written.
        code: String,
    },
    /// Two hotels share a code.
    #[error("hotel code `{code}` appears more than once in the catalog")]
    DuplicateHotelCode {
        /// The repeated code.
        code: String,
    },
    /// A star rating outside 2–5, the range the reschedule fee table covers.
    #[error("hotel {hotel} has {stars} stars; the catalog supports 2 to 5")]
    InvalidStars {
        /// The hotel code.
        hotel: String,
        /// The rating as written.
        stars: u8,
    },
    /// A check-in or check-out time that is not `HH:MM`.
    #[error("hotel {hotel} has {field} time `{value}`, expected HH:MM")]
    InvalidTime {
        /// The hotel code.
        hotel: String,
        /// `check-in` or `check-out`.
        field: &'static str,
        /// The text as written.
        value: String,
    },
    /// A hotel without rooms.
    #[error("hotel {hotel} lists no room types")]
    NoRooms {
        /// The hotel code.
        hotel: String,
    },
    /// A room type name that is not one of [`RoomKind`]'s.
    #[error(
        "hotel {hotel} has unknown room type `{name}` (known: Standard, Deluxe, Suite, Family)"
    )]
    UnknownRoomType {
        /// The hotel code.
        hotel: String,
        /// The name as written.
        name: String,
    },
    /// The same room type listed twice for one hotel.
    #[error("hotel {hotel} lists room type {room} more than once")]
    DuplicateRoomType {
        /// The hotel code.
        hotel: String,
        /// The repeated type.
        room: RoomKind,
    },
    /// A count or price that must be positive is zero.
    #[error("hotel {hotel}: {field} must be positive")]
    NotPositive {
        /// The hotel code.
        hotel: String,
        /// What is zero, e.g. `Standard room count` or `breakfast price`.
        field: String,
    },
    /// No hotel has this code.
    #[error("there is no hotel with code `{code}`")]
    UnknownHotel {
        /// The code asked for.
        code: String,
    },
    /// The hotel exists but does not offer this room type.
    #[error("hotel {hotel} has no {room} rooms")]
    RoomNotOffered {
        /// The hotel code.
        hotel: String,
        /// The room type asked for.
        room: RoomKind,
    },
    /// Zero guests.
    #[error("a booking needs at least 1 guest")]
    NoGuests,
    /// More guests than the room type sleeps.
    #[error("a {room} room sleeps at most {max} guests, not {guests}")]
    TooManyGuests {
        /// The room type.
        room: RoomKind,
        /// Its maximum.
        max: u32,
        /// Guests asked for.
        guests: u32,
    },
    /// Check-out on or before check-in.
    #[error("check-out ({check_out}) must be after check-in ({check_in})")]
    CheckOutNotAfterCheckIn {
        /// Requested check-in.
        check_in: NaiveDate,
        /// Requested check-out.
        check_out: NaiveDate,
    },
    /// A stay longer than the maximum.
    #[error("a stay can be at most {max} nights, not {nights}", max = crate::MAX_NIGHTS)]
    TooManyNights {
        /// Nights asked for.
        nights: i64,
    },
    /// Check-in before today.
    #[error("check-in ({check_in}) is in the past; today is {today}")]
    CheckInInPast {
        /// Requested check-in.
        check_in: NaiveDate,
        /// The clock's today.
        today: NaiveDate,
    },
    /// Check-in more than a year ahead.
    #[error("check-in ({check_in}) is too far ahead; the latest possible is {latest}")]
    CheckInTooFarAhead {
        /// Requested check-in.
        check_in: NaiveDate,
        /// Today plus the booking horizon.
        latest: NaiveDate,
    },
    /// Text that is not a booking reference.
    #[error("`{value}` is not a booking reference ({reason}); expected e.g. SRS-7K3Q9P")]
    InvalidReference {
        /// The text as given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The booking is cancelled, so it cannot be changed again.
    #[error("booking {reference} is cancelled")]
    BookingCancelled {
        /// The booking.
        reference: BookingRef,
    },
    /// The booking's check-in date has passed, so it cannot be changed.
    #[error("booking {reference} checked in on {check_in}, which has passed")]
    BookingInPast {
        /// The booking.
        reference: BookingRef,
        /// Its check-in date.
        check_in: NaiveDate,
    },
    /// The date override variable holds something other than `YYYY-MM-DD`.
    #[error("{var}=`{value}` is not a date; expected YYYY-MM-DD")]
    InvalidTodayOverride {
        /// The variable name, [`crate::TODAY_VAR`].
        var: &'static str,
        /// Its value (lossily decoded if not UTF-8).
        value: String,
    },
    /// No room of this type is left for one of the nights asked for.
    #[error("hotel {hotel} has no {room} room left for the night of {night}")]
    SoldOut {
        /// The hotel code.
        hotel: String,
        /// The room type.
        room: RoomKind,
        /// The first night with no room left.
        night: NaiveDate,
    },
    /// The guest has no booking with this reference. Also what another guest's reference gives,
    /// so a reference never reveals that someone else's booking exists.
    #[error("you have no booking {reference}")]
    BookingNotFound {
        /// The reference asked for.
        reference: BookingRef,
    },
    /// An idempotency key already used by this guest for a different operation or booking.
    #[error("idempotency key `{key}` was already used for {used_for}")]
    IdempotencyKeyReused {
        /// The key.
        key: String,
        /// What it was used for, e.g. `booking SRS-7K3Q9P (cancel)`.
        used_for: String,
    },
    /// A SQLite call of the bookings store failed.
    #[error("bookings database `{}`: {operation}: {source}", path.display())]
    Storage {
        /// The database file.
        path: PathBuf,
        /// What was being done, e.g. `book SRS Deluxe`.
        operation: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The bookings database cannot use WAL mode.
    #[error(
        "bookings database `{}` cannot use WAL mode (journal_mode stays `{mode}`)",
        path.display()
    )]
    NoWal {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite kept.
        mode: String,
    },
    /// The bookings database was written by a newer build.
    #[error(
        "{database} has schema version {found}, but this build knows versions up to \
         {supported}; upgrade the program (the database was not changed)"
    )]
    NewerSchema {
        /// The database.
        database: Database,
        /// The version recorded in it.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A stored row cannot be read back: the database is damaged or was edited by hand.
    #[error("{database}: damaged row: {what}")]
    Damaged {
        /// The database.
        database: Database,
        /// Which row and what is wrong with it.
        what: String,
    },
    /// A statement (or transaction) of the Postgres bookings store failed. Like
    /// [`Error::Storage`] it names the operation, never the SQL.
    #[error("Postgres bookings database: {operation}: {source}")]
    Postgres {
        /// What was being done, e.g. `book SRS Deluxe: lock the inventory`.
        operation: String,
        /// What Postgres (or the connection) said.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The Postgres bookings store got no connection from its pool (the server is down, refuses
    /// us, or every connection stayed busy past the pool's timeout).
    #[error("Postgres bookings database: {operation}: no connection: {source}")]
    PgConnection {
        /// What was being done.
        operation: String,
        /// What the pool said.
        #[source]
        source: deadpool_postgres::PoolError,
    },
    /// Every booking reference drawn was already taken (it would take an absurdly full hotel).
    #[error("no free booking reference for hotel {hotel} after {attempts} draws")]
    NoFreeReference {
        /// The hotel code.
        hotel: String,
        /// How many references were drawn.
        attempts: usize,
    },
    /// The worker thread running a SQLite store call for an async caller did not return (it
    /// panicked, or the runtime is shutting down); the call's transaction was rolled back.
    #[error("bookings database: {operation}: the worker thread failed: {source}")]
    Worker {
        /// What was being done.
        operation: String,
        /// Why the thread did not return.
        #[source]
        source: tokio::task::JoinError,
    },
}

impl Error {
    /// `error`, from migrating `database` (`migrations::sqlite` or `migrations::postgres`), as
    /// this crate reports it: a refused version as [`Error::NewerSchema`] or [`Error::Damaged`],
    /// a failed statement as [`Error::Storage`] or [`Error::Postgres`] naming the step.
    pub(crate) fn migration(database: Database, error: migrations::Error) -> Error {
        use migrations::Error as Migration;
        match (database, error) {
            (
                database,
                Migration::NewerSchema {
                    found, supported, ..
                },
            ) => Error::NewerSchema {
                database,
                found,
                supported,
            },
            (database, Migration::Damaged { table, found }) => Error::Damaged {
                database,
                what: format!("{table} records version {found}"),
            },
            (Database::Sqlite(path), Migration::Sqlite(failed)) => Error::Storage {
                path,
                operation: failed.step.to_string(),
                source: failed.source,
            },
            (_, Migration::Postgres(failed)) => Error::Postgres {
                operation: format!("open: {}", failed.step),
                source: failed.source,
            },
            // Never: each runner fails only with its own engine's errors.
            (database, other) => Error::Damaged {
                database,
                what: other.to_string(),
            },
        }
    }
}

/// Which bookings database an [`Error`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Database {
    /// A SQLite file ([`crate::BookingStore`]).
    Sqlite(PathBuf),
    /// The Postgres database of a [`crate::PgBookingStore`] (its pool decides which).
    Postgres,
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "bookings database `{}`", path.display()),
            Database::Postgres => f.write_str("Postgres bookings database"),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
