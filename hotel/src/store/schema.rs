//! The bookings schema, its migrations, and seeding the inventory from the catalog.
//!
//! `hb_schema` records every migration applied, one row each. Opening runs the missing ones
//! (with the workspace's runner, `migrations::sqlite`) and the seeding in one `IMMEDIATE`
//! transaction, so two processes opening a new file at once cannot both migrate or seed it, and
//! refuses a file whose newest migration is unknown to this build. Tables are prefixed `hb_` so
//! the file can sit beside other tables (the checkpoint crate's are `gc_`).

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::{Catalog, Database, Error, Result};

/// Migrations in order; entry `i` brings the schema to version `i + 1`. Never edit one that has
/// shipped: add a new one.
const MIGRATIONS: &[&str] = &[
    // Version 1.
    //
    // Availability is derived, not counted: the rooms a (hotel, room type) has, minus the
    // confirmed bookings holding each night. One source of truth means nothing can drift, and
    // a booking checks and takes a night in the same `BEGIN IMMEDIATE` transaction.
    "CREATE TABLE hb_inventory (
        hotel TEXT NOT NULL,
        room TEXT NOT NULL,
        rooms INTEGER NOT NULL CHECK (rooms >= 0),
        PRIMARY KEY (hotel, room)
    );
    -- status: 'confirmed' or 'cancelled'. charge_cents: what cancelling cost (0 until then).
    CREATE TABLE hb_bookings (
        reference TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        hotel TEXT NOT NULL,
        room TEXT NOT NULL,
        check_in TEXT NOT NULL,
        check_out TEXT NOT NULL,
        guests INTEGER NOT NULL,
        total_cents INTEGER NOT NULL,
        status TEXT NOT NULL,
        charge_cents INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX hb_bookings_guest ON hb_bookings (channel, user_id);
    -- The nights of a booking's current stay with their prices as booked (dates `YYYY-MM-DD`,
    -- which sort as text). A reschedule replaces them; a cancelled booking keeps them but no
    -- longer holds them, as availability only counts confirmed bookings.
    CREATE TABLE hb_booking_nights (
        reference TEXT NOT NULL REFERENCES hb_bookings (reference),
        hotel TEXT NOT NULL,
        room TEXT NOT NULL,
        night TEXT NOT NULL,
        base_cents INTEGER NOT NULL,
        peak INTEGER NOT NULL,
        weekend INTEGER NOT NULL,
        price_cents INTEGER NOT NULL,
        PRIMARY KEY (reference, night)
    );
    CREATE INDEX hb_booking_nights_room ON hb_booking_nights (hotel, room, night);
    -- Every change, one row each: kind 'book' (no old dates), 'reschedule' or 'cancel' (no new
    -- dates). fee_cents: the reschedule fee or cancellation charge; total_cents: the booking's
    -- total after the change. The unique key makes each change idempotent per guest.
    CREATE TABLE hb_modifications (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL REFERENCES hb_bookings (reference),
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        old_check_in TEXT,
        old_check_out TEXT,
        new_check_in TEXT,
        new_check_out TEXT,
        fee_cents INTEGER NOT NULL,
        total_cents INTEGER NOT NULL,
        day TEXT NOT NULL,
        UNIQUE (channel, user_id, idempotency_key)
    );
    CREATE INDEX hb_modifications_reference ON hb_modifications (reference);",
];

/// The bookings tables: [`MIGRATIONS`], recorded in `hb_schema`. The advisory lock is
/// Postgres's (the Postgres store's key); on SQLite, `BEGIN IMMEDIATE` makes openers take turns.
const SCHEMA: migrations::Schema = migrations::Schema {
    table: "hb_schema",
    lock: i64::from_be_bytes(*b"hb_schem"),
    migrations: MIGRATIONS,
};

/// Brings the database at `path` (open on `conn`) to the newest version, then seeds the
/// inventory of every (hotel, room type) of `catalog` not yet in it, in the same transaction.
/// Seeding never overwrites a count already stored, so it happens once per room type, however
/// often the store is opened.
pub(crate) fn migrate_and_seed(
    conn: &mut Connection,
    path: &Path,
    catalog: &Catalog,
) -> Result<()> {
    let err = |operation: &str| {
        let operation = operation.to_owned();
        move |source| Error::Storage {
            path: path.to_owned(),
            operation,
            source,
        }
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err("begin the migration"))?;
    migrations::sqlite(&tx, &SCHEMA)
        .map_err(|error| Error::migration(Database::Sqlite(path.to_owned()), error))?;
    {
        let mut seed = tx
            .prepare(
                "INSERT INTO hb_inventory (hotel, room, rooms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (hotel, room) DO NOTHING",
            )
            .map_err(err("prepare the inventory seed"))?;
        for hotel in catalog.hotels() {
            for room in &hotel.rooms {
                seed.execute((&hotel.code, room.kind.name(), i64::from(room.count)))
                    .map_err(err(&format!("seed {} {}", hotel.code, room.kind)))?;
            }
        }
    }
    tx.commit().map_err(err("commit the migration"))
}
