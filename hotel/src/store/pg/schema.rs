//! The Postgres bookings schema, its migrations, and seeding the inventory from the catalog.
//!
//! The tables are the SQLite store's (`store/schema.rs`, version 1) with Postgres types: dates
//! stay `YYYY-MM-DD` text (byte-ordered with `COLLATE "C"`, so ranges compare as dates under
//! any database collation, and both stores decode them alike), money is BIGINT cents, flags are
//! BOOLEAN. `hb_schema` records every migration applied. Opening runs the missing ones (with the
//! workspace's runner, `migrations::postgres`) and the seeding in one transaction that first
//! takes a transaction-scoped advisory lock: Postgres DDL is transactional, so replicas opening
//! a fresh database at once take turns and the later ones find everything made. A schema whose
//! newest migration is unknown to this build is refused, unchanged. The tables live in the
//! connection's `search_path`.

use deadpool_postgres::Pool;

use crate::{Catalog, Database, Error, Result};

/// The advisory lock key migrations take: "hb_schem" in ASCII, distinct from the checkpoint
/// crate's "gc_schem", so the two schemas can migrate in one database without waiting on each
/// other.
const MIGRATION_LOCK: i64 = i64::from_be_bytes(*b"hb_schem");

/// Migrations in order; entry `i` brings the schema to version `i + 1`. Never edit one that has
/// shipped: add a new one. Keep the version numbers in step with the SQLite store's, so a
/// version means the same tables in both.
const MIGRATIONS: &[&str] = &[
    // Version 1: see the SQLite store's version 1 for what each table and column means. The
    // idempotency constraint is named, so a write can tell a concurrent duplicate key (replay
    // the first result) from any other failure.
    "CREATE TABLE hb_inventory (
        hotel TEXT NOT NULL,
        room TEXT NOT NULL,
        rooms INTEGER NOT NULL CHECK (rooms >= 0),
        PRIMARY KEY (hotel, room)
    );
    CREATE TABLE hb_bookings (
        reference TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        hotel TEXT NOT NULL,
        room TEXT NOT NULL,
        check_in TEXT COLLATE \"C\" NOT NULL,
        check_out TEXT COLLATE \"C\" NOT NULL,
        guests INTEGER NOT NULL,
        total_cents BIGINT NOT NULL,
        status TEXT NOT NULL,
        charge_cents BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX hb_bookings_guest ON hb_bookings (channel, user_id);
    CREATE TABLE hb_booking_nights (
        reference TEXT NOT NULL REFERENCES hb_bookings (reference),
        hotel TEXT NOT NULL,
        room TEXT NOT NULL,
        night TEXT COLLATE \"C\" NOT NULL,
        base_cents BIGINT NOT NULL,
        peak BOOLEAN NOT NULL,
        weekend BOOLEAN NOT NULL,
        price_cents BIGINT NOT NULL,
        PRIMARY KEY (reference, night)
    );
    CREATE INDEX hb_booking_nights_room ON hb_booking_nights (hotel, room, night);
    CREATE TABLE hb_modifications (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        reference TEXT NOT NULL REFERENCES hb_bookings (reference),
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        old_check_in TEXT,
        old_check_out TEXT,
        new_check_in TEXT,
        new_check_out TEXT,
        fee_cents BIGINT NOT NULL,
        total_cents BIGINT NOT NULL,
        day TEXT NOT NULL,
        CONSTRAINT hb_modifications_key UNIQUE (channel, user_id, idempotency_key)
    );
    CREATE INDEX hb_modifications_reference ON hb_modifications (reference);",
];

/// The name of the unique constraint on (guest, idempotency key).
pub(super) const KEY_CONSTRAINT: &str = "hb_modifications_key";

/// The bookings tables: [`MIGRATIONS`], recorded in `hb_schema` behind [`MIGRATION_LOCK`].
const SCHEMA: migrations::Schema = migrations::Schema {
    table: "hb_schema",
    lock: MIGRATION_LOCK,
    migrations: MIGRATIONS,
};

const SEED: &str = "INSERT INTO hb_inventory (hotel, room, rooms)
    SELECT * FROM unnest($1::TEXT[], $2::TEXT[], $3::INTEGER[])
    ON CONFLICT (hotel, room) DO NOTHING";

/// The statements opening runs besides the migrations themselves (for the statements check;
/// `hb_schema` must exist to prepare them).
pub(super) fn statements() -> Vec<String> {
    let mut all = migrations::statements(&SCHEMA);
    all.push(SEED.to_owned());
    all
}

/// Brings the schema on `pool`'s `search_path` to the newest version, then seeds the inventory
/// of every (hotel, room type) of `catalog` not yet in it, in the same transaction. Seeding
/// never overwrites a count already stored, so it happens once per room type, however often the
/// store is opened.
pub(super) async fn migrate_and_seed(pool: &Pool, catalog: &Catalog) -> Result<()> {
    let pg = |step: &'static str| {
        move |source| Error::Postgres {
            operation: format!("open: {step}"),
            source,
        }
    };
    let mut client = pool.get().await.map_err(|source| Error::PgConnection {
        operation: "open".to_owned(),
        source,
    })?;
    let tx = client
        .transaction()
        .await
        .map_err(pg("begin the migration"))?;
    migrations::postgres(&tx, &SCHEMA)
        .await
        .map_err(|error| Error::migration(Database::Postgres, error))?;
    let (mut hotels, mut rooms, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    for hotel in catalog.hotels() {
        for room in &hotel.rooms {
            hotels.push(hotel.code.clone());
            rooms.push(room.kind.name().to_owned());
            counts.push(i32::try_from(room.count).unwrap_or(i32::MAX));
        }
    }
    tx.execute(SEED, &[&hotels, &rooms, &counts])
        .await
        .map_err(pg("seed the inventory"))?;
    tx.commit().await.map_err(pg("commit the migration"))
}
