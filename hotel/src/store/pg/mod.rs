//! [`PgBookingStore`], the bookings in PostgreSQL, so several server replicas share them: the
//! SQLite store's tables, rules and answers, with Postgres's locks in place of SQLite's file lock.
//!
//! **No overbooking across replicas.** Every booking and reschedule runs READ COMMITTED and
//! its first statement locks the inventory row of its (hotel, room type) `FOR UPDATE`; only
//! then does it check the idempotency key, count what is taken and insert, each a later
//! statement. Changes to one room type therefore take turns, and under READ COMMITTED each of
//! those later statements sees what the previous holder of the lock committed. (REPEATABLE READ
//! would not do: its snapshot is taken at that first statement, before the lock is granted, so
//! the second of two racing bookings would count rooms as they were before the first and both
//! would book the last room. Locking a row without updating it raises no serialization error.
//! [`PgBookingStore::with_repeatable_read_writes_for_tests`] exists to prove the race test
//! catches that.) A reschedule keeps its room type, so it locks one inventory row, then its
//! booking; a cancellation frees rooms, so it needs no inventory lock and locks its booking row
//! only. Locks are always taken inventory first, booking second, so changes cannot deadlock.
//!
//! **Idempotency.** As in SQLite, a key this guest already used replays its first result. Two
//! changes racing under one key both pass the check; the second's record then fails on the
//! key's unique constraint, and it answers with the first's result instead of an error.
//!
//! **Reads** (availability, lookups, the change log) run in one REPEATABLE READ READ ONLY
//! transaction each, so they see one consistent state.

mod changes;
mod records;
mod rows;
mod schema;

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use deadpool_postgres::Pool;
use tokio_postgres::IsolationLevel;

use super::logic;
use super::{Change, GuestId, Modification, ModificationKind};
use crate::{Booking, BookingRef, Catalog, Error, Result, RoomKind};
use rows::Tx;

/// The bookings in a Postgres database (the pool's connections' `search_path` decides the
/// schema). Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct PgBookingStore {
    pool: Pool,
    catalog: Arc<Catalog>,
    rng: Arc<Mutex<fastrand::Rng>>,
    writes: IsolationLevel,
}

impl std::fmt::Debug for PgBookingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBookingStore")
            .field("pool", &self.pool.status())
            .field("writes", &self.writes)
            .finish_non_exhaustive()
    }
}

impl PgBookingStore {
    /// Opens the bookings on `pool`: migrates the schema (replicas opening at once take turns;
    /// a schema from a newer build is refused with [`Error::NewerSchema`]) and seeds the
    /// inventory of every catalog room type not yet in it (counts already stored are kept).
    pub async fn open(pool: Pool, catalog: Catalog) -> Result<PgBookingStore> {
        PgBookingStore::open_seeded(pool, catalog, fastrand::Rng::new()).await
    }

    /// [`PgBookingStore::open`] drawing references from `rng`, so tests can force collisions.
    pub async fn open_seeded(
        pool: Pool,
        catalog: Catalog,
        rng: fastrand::Rng,
    ) -> Result<PgBookingStore> {
        schema::migrate_and_seed(&pool, &catalog).await?;
        Ok(PgBookingStore {
            pool,
            catalog: Arc::new(catalog),
            rng: Arc::new(Mutex::new(rng)),
            writes: IsolationLevel::ReadCommitted,
        })
    }

    /// This store with its changes run under REPEATABLE READ instead of READ COMMITTED. **For
    /// tests only:** it exists to prove that the race test catches overbooking (see the module
    /// docs for why REPEATABLE READ overbooks here). Never use it in a program.
    #[doc(hidden)]
    pub fn with_repeatable_read_writes_for_tests(self) -> PgBookingStore {
        PgBookingStore {
            writes: IsolationLevel::RepeatableRead,
            ..self
        }
    }

    /// The connection pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The catalog bookings are checked and priced against.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Prepares every SQL statement this store runs (the migrations aside) against the live
    /// schema and returns how many: Postgres checks their syntax, tables, columns and types. A
    /// health check after a deploy, and the tests' stand-in for compile-time checked SQL.
    pub async fn check_statements(&self) -> Result<usize> {
        let operation = "check the statements";
        let client = self
            .pool
            .get()
            .await
            .map_err(|source| Error::PgConnection {
                operation: operation.to_owned(),
                source,
            })?;
        let all = statements();
        for (i, sql) in all.iter().enumerate() {
            client
                .prepare(sql)
                .await
                .map_err(|source| Error::Postgres {
                    // The statement's place in the list, not its text.
                    operation: format!("{operation}: prepare statement {i}"),
                    source,
                })?;
        }
        Ok(all.len())
    }

    /// Rooms of type `room` at `hotel` free on every night from `check_in` to `check_out`
    /// (the fewest free on any one night).
    pub async fn availability(
        &self,
        hotel: &str,
        room: RoomKind,
        check_in: NaiveDate,
        check_out: NaiveDate,
    ) -> Result<u32> {
        let hotel = logic::availability_hotel(&self.catalog, hotel, room, check_in, check_out)?;
        let mut client = self.client("read availability").await?;
        let tx = self
            .begin(&mut client, "read availability", Access::Read)
            .await?;
        tx.rooms_left(&hotel, room, check_in, check_out).await
    }

    /// `guest`'s booking `reference` ([`Error::BookingNotFound`] if it is not theirs).
    pub async fn lookup(&self, guest: &GuestId, reference: &BookingRef) -> Result<Booking> {
        let operation = format!("look up {reference}");
        let mut client = self.client(&operation).await?;
        let tx = self.begin(&mut client, &operation, Access::Read).await?;
        logic::owned(tx.booking(guest, reference, false).await?, reference)
    }

    /// Booking `reference` and whose it is, whoever asks: for operators, never for guests
    /// (they use [`PgBookingStore::lookup`]). `None` when no booking has that reference.
    pub async fn find(&self, reference: &BookingRef) -> Result<Option<(GuestId, Booking)>> {
        let operation = format!("find {reference}");
        let mut client = self.client(&operation).await?;
        let tx = self.begin(&mut client, &operation, Access::Read).await?;
        let Some(guest) = tx.owner(reference).await? else {
            return Ok(None);
        };
        let booking = tx.booking(&guest, reference, false).await?;
        Ok(booking.map(|booking| (guest, booking)))
    }

    /// All of `guest`'s bookings, cancelled ones included, by check-in date.
    pub async fn bookings_of(&self, guest: &GuestId) -> Result<Vec<Booking>> {
        let operation = format!("list the bookings of {guest}");
        let mut client = self.client(&operation).await?;
        let tx = self.begin(&mut client, &operation, Access::Read).await?;
        tx.bookings_of(guest).await
    }

    /// Every recorded change to `guest`'s booking `reference`, oldest first.
    pub async fn modifications(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
    ) -> Result<Vec<Modification>> {
        let operation = format!("list the changes to {reference}");
        let mut client = self.client(&operation).await?;
        let tx = self.begin(&mut client, &operation, Access::Read).await?;
        logic::owned(tx.booking(guest, reference, false).await?, reference)?;
        tx.modifications_of(reference).await
    }

    /// A pooled connection.
    async fn client(&self, operation: &str) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|source| Error::PgConnection {
            operation: operation.to_owned(),
            source,
        })
    }

    /// Begins a transaction on `client`: a change's (READ COMMITTED, or what the tests forced)
    /// or a read's (REPEATABLE READ READ ONLY, one snapshot for all its statements).
    async fn begin<'c>(
        &self,
        client: &'c mut deadpool_postgres::Object,
        operation: &str,
        access: Access,
    ) -> Result<Tx<'c>> {
        let builder = client.build_transaction();
        let builder = match access {
            Access::Write => builder.isolation_level(self.writes),
            Access::Read => builder
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true),
        };
        let tx = builder.start().await.map_err(|source| Error::Postgres {
            operation: format!("{operation}: begin"),
            source,
        })?;
        Ok(Tx {
            tx,
            operation: operation.to_owned(),
        })
    }

    /// After a change failed on the key constraint (a concurrent change under `key` committed
    /// first): that change's result, replayed as [`replay`] does, in a transaction of its own.
    async fn replay_committed(
        &self,
        operation: &str,
        guest: &GuestId,
        key: &str,
        kind: ModificationKind,
        reference: Option<&BookingRef>,
    ) -> Result<Option<Change>> {
        let mut client = self.client(operation).await?;
        let tx = self.begin(&mut client, operation, Access::Read).await?;
        match tx.modification_by_key(guest, key).await? {
            Some(done) => replay(&tx, guest, key, done, kind, reference)
                .await
                .map(Some),
            None => Ok(None),
        }
    }
}

/// What a transaction does.
#[derive(Debug, Clone, Copy)]
enum Access {
    Read,
    Write,
}

/// The result of the change `done` already made under `key`, if it is the same kind of change
/// to the same booking; [`Error::IdempotencyKeyReused`] otherwise.
async fn replay(
    tx: &Tx<'_>,
    guest: &GuestId,
    key: &str,
    done: Modification,
    kind: ModificationKind,
    reference: Option<&BookingRef>,
) -> Result<Change> {
    logic::check_replay(key, &done, kind, reference)?;
    let found = tx.booking(guest, &done.reference, false).await?;
    logic::replayed(done, found)
}

/// Whether `error` is a change's record failing on the idempotency key's unique constraint.
fn is_key_conflict(error: &Error) -> bool {
    matches!(error, Error::Postgres { source, .. }
        if source.as_db_error().and_then(|e| e.constraint()) == Some(schema::KEY_CONSTRAINT))
}

/// Every statement the store runs, the migrations themselves aside.
fn statements() -> Vec<String> {
    use records::{
        BOOKING, BOOKING_FOR_UPDATE, BOOKINGS_OF, MODIFICATION_BY_KEY, MODIFICATIONS_OF, NIGHTS,
        OWNER, RECORD,
    };
    use rows::{
        INSERT_BOOKING, INSERT_NIGHTS, LOCK_ROOMS, LOCK_ROOMS_OF, MARK_CANCELLED, RELEASE_NIGHTS,
        ROOMS, TAKEN, UPDATE_STAY,
    };
    let own = [
        LOCK_ROOMS,
        LOCK_ROOMS_OF,
        ROOMS,
        TAKEN,
        INSERT_BOOKING,
        INSERT_NIGHTS,
        RELEASE_NIGHTS,
        UPDATE_STAY,
        MARK_CANCELLED,
        BOOKING,
        BOOKING_FOR_UPDATE,
        BOOKINGS_OF,
        OWNER,
        NIGHTS,
        RECORD,
        MODIFICATION_BY_KEY,
        MODIFICATIONS_OF,
    ];
    let mut all = schema::statements();
    all.extend(own.map(str::to_owned));
    all
}
