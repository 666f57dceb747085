//! Reading and writing the store's rows inside one Postgres transaction ([`Tx`]), with every
//! failure named by the operation and step (never the SQL). Inventory and stay changes are
//! here; bookings and the modification log are in `records`. The stored form is `decode`'s,
//! shared with the SQLite store.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::NaiveDate;
use deadpool_postgres::Transaction;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql};

use super::super::GuestId;
use super::super::decode::{self, Damage, sql_cents};
use super::super::logic::{self, REFERENCE_ATTEMPTS};
use crate::{BookingRef, Cents, Database, Error, Quote, Result, RoomKind};

/// The rooms of one type, locked until the transaction ends: the first statement of every
/// booking and reschedule, so changes to one (hotel, room type) take turns.
pub(super) const LOCK_ROOMS: &str =
    "SELECT rooms FROM hb_inventory WHERE hotel = $1 AND room = $2 FOR UPDATE";
/// [`LOCK_ROOMS`] for the room type of guest `$2`/`$3`'s booking `$1` (a booking's hotel and
/// room type never change, so reading them unlocked is safe).
pub(super) const LOCK_ROOMS_OF: &str = "SELECT rooms FROM hb_inventory
    WHERE (hotel, room) = (SELECT hotel, room FROM hb_bookings
                           WHERE reference = $1 AND channel = $2 AND user_id = $3)
    FOR UPDATE";
pub(super) const ROOMS: &str = "SELECT rooms FROM hb_inventory WHERE hotel = $1 AND room = $2";
pub(super) const TAKEN: &str = "SELECT n.night, COUNT(*) FROM hb_booking_nights n
    JOIN hb_bookings b ON b.reference = n.reference
    WHERE n.hotel = $1 AND n.room = $2 AND n.night >= $3 AND n.night < $4
      AND b.status = 'confirmed'
    GROUP BY n.night";
/// A new confirmed booking, or nothing when the reference is taken: a failed insert would
/// abort the transaction, so a collision must not be an error here.
pub(super) const INSERT_BOOKING: &str = "INSERT INTO hb_bookings (reference, channel, user_id,
        hotel, room, check_in, check_out, guests, total_cents, status)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'confirmed')
    ON CONFLICT (reference) DO NOTHING";
/// All of a stay's nights in one round trip, from parallel arrays.
pub(super) const INSERT_NIGHTS: &str = "INSERT INTO hb_booking_nights (reference, hotel, room,
        night, base_cents, peak, weekend, price_cents)
    SELECT $1, $2, $3, n.* FROM unnest($4::TEXT[], $5::BIGINT[], $6::BOOLEAN[], $7::BOOLEAN[],
        $8::BIGINT[]) AS n";
pub(super) const RELEASE_NIGHTS: &str = "DELETE FROM hb_booking_nights WHERE reference = $1";
pub(super) const UPDATE_STAY: &str = "UPDATE hb_bookings
    SET check_in = $2, check_out = $3, total_cents = $4 WHERE reference = $1";
pub(super) const MARK_CANCELLED: &str = "UPDATE hb_bookings
    SET status = 'cancelled', charge_cents = $2 WHERE reference = $1";

/// One transaction and the operation it carries out, for error messages.
pub(super) struct Tx<'c> {
    pub(super) tx: Transaction<'c>,
    pub(super) operation: String,
}

impl Tx<'_> {
    /// Wraps a Postgres error with the operation and `step`.
    pub(super) fn pg(&self, step: &str) -> impl FnOnce(tokio_postgres::Error) -> Error + use<> {
        let operation = format!("{}: {step}", self.operation);
        move |source| Error::Postgres { operation, source }
    }

    /// [`Error::Damaged`] for the Postgres database.
    pub(super) fn damaged(what: Damage) -> Error {
        Error::Damaged {
            database: Database::Postgres,
            what,
        }
    }

    pub(super) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        step: &str,
    ) -> Result<Vec<Row>> {
        let stmt = self.tx.prepare_cached(sql).await.map_err(self.pg(step))?;
        self.tx.query(&stmt, params).await.map_err(self.pg(step))
    }

    pub(super) async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        step: &str,
    ) -> Result<u64> {
        let stmt = self.tx.prepare_cached(sql).await.map_err(self.pg(step))?;
        self.tx.execute(&stmt, params).await.map_err(self.pg(step))
    }

    /// Column `i` of `row`.
    pub(super) fn get<'r, T: FromSql<'r>>(&self, row: &'r Row, i: usize, step: &str) -> Result<T> {
        row.try_get(i).map_err(self.pg(step))
    }

    /// Commits, or reports why not.
    pub(super) async fn commit(self) -> Result<()> {
        let err = self.pg("commit");
        self.tx.commit().await.map_err(err)
    }

    /// The rooms of `hotel`'s `room` type, read from the first row of `rows`.
    fn room_count(&self, rows: &[Row], hotel: &str, room: RoomKind) -> Result<u32> {
        let Some(row) = rows.first() else {
            return Err(Tx::damaged(format!("no inventory row for {hotel} {room}")));
        };
        let rooms: i32 = self.get(row, 0, "read the inventory")?;
        decode::room_count(i64::from(rooms), hotel, room).map_err(Tx::damaged)
    }

    /// Locks the inventory row of `hotel`'s `room` type and returns its rooms.
    pub(super) async fn lock_rooms(&self, hotel: &str, room: RoomKind) -> Result<u32> {
        let step = format!("lock the inventory of {hotel} {room}");
        let rows = self
            .query(LOCK_ROOMS, &[&hotel, &room.name()], &step)
            .await?;
        self.room_count(&rows, hotel, room)
    }

    /// Locks the inventory row of the room type of `guest`'s booking `reference` and returns
    /// its rooms; `None` when the guest has no such booking.
    pub(super) async fn lock_rooms_of(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
    ) -> Result<Option<u32>> {
        let step = format!("lock the inventory of {reference}'s room type");
        let params: [&(dyn ToSql + Sync); 3] = [&reference.as_str(), &guest.channel, &guest.user];
        let rows = self.query(LOCK_ROOMS_OF, &params, &step).await?;
        match rows.first() {
            None => Ok(None),
            Some(row) => {
                let rooms: i32 = self.get(row, 0, &step)?;
                u32::try_from(rooms)
                    .map(Some)
                    .map_err(|_| Tx::damaged(format!("inventory of {reference} is {rooms}")))
            }
        }
    }

    /// Rooms held by confirmed bookings on each night in `from..to` that has any.
    async fn taken(
        &self,
        hotel: &str,
        room: RoomKind,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<NaiveDate, u32>> {
        let step = format!("count the {hotel} {room} rooms taken from {from} to {to}");
        let (from, to) = (from.to_string(), to.to_string());
        let params: [&(dyn ToSql + Sync); 4] = [&hotel, &room.name(), &from, &to];
        let rows = self.query(TAKEN, &params, &step).await?;
        rows.iter()
            .map(|row| {
                let night: String = self.get(row, 0, &step)?;
                let count: i64 = self.get(row, 1, &step)?;
                let night = decode::date(&night, "hb_booking_nights").map_err(Tx::damaged)?;
                Ok((night, decode::taken_count(count)))
            })
            .collect()
    }

    /// Rooms left on every night of `from..to`: the fewest left on any one night.
    pub(super) async fn rooms_left(
        &self,
        hotel: &str,
        room: RoomKind,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32> {
        let step = format!("read the inventory of {hotel} {room}");
        let rows = self.query(ROOMS, &[&hotel, &room.name()], &step).await?;
        let rooms = self.room_count(&rows, hotel, room)?;
        Ok(logic::rooms_left(
            rooms,
            &self.taken(hotel, room, from, to).await?,
        ))
    }

    /// [`Error::SoldOut`] naming the first night of `quote` with none of `rooms` left.
    pub(super) async fn ensure_available(&self, quote: &Quote, rooms: u32) -> Result<()> {
        let taken = self
            .taken(&quote.hotel, quote.room, quote.check_in, quote.check_out)
            .await?;
        logic::ensure_available(quote, rooms, &taken)
    }

    /// Inserts a confirmed booking of `quote` for `guest` under a fresh reference drawn from
    /// `rng`, drawing again when one is taken, and returns the reference. The nights are not
    /// inserted.
    pub(super) async fn insert_booking(
        &self,
        guest: &GuestId,
        quote: &Quote,
        rng: &Mutex<fastrand::Rng>,
    ) -> Result<BookingRef> {
        let step = format!("insert a {} {} booking", quote.hotel, quote.room);
        let (check_in, check_out) = (quote.check_in.to_string(), quote.check_out.to_string());
        let guests = i32::try_from(quote.guests).unwrap_or(i32::MAX);
        for _ in 0..REFERENCE_ATTEMPTS {
            let reference = {
                // Never held across an await; a panic while drawing left the rng usable.
                let mut rng = rng
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                BookingRef::generate(&quote.hotel, &mut rng)
            };
            let params: [&(dyn ToSql + Sync); 9] = [
                &reference.as_str(),
                &guest.channel,
                &guest.user,
                &quote.hotel,
                &quote.room.name(),
                &check_in,
                &check_out,
                &guests,
                &sql_cents(quote.total),
            ];
            if self.execute(INSERT_BOOKING, &params, &step).await? == 1 {
                return Ok(reference);
            }
        }
        Err(Error::NoFreeReference {
            hotel: quote.hotel.clone(),
            attempts: REFERENCE_ATTEMPTS,
        })
    }

    /// Makes `quote`'s nights the ones `reference` holds, replacing any it held before.
    pub(super) async fn replace_nights(&self, reference: &BookingRef, quote: &Quote) -> Result<()> {
        self.release_nights(reference).await?;
        let step = format!("store the nights of {reference}");
        let nights = &quote.nights;
        let dates: Vec<String> = nights.iter().map(|n| n.date.to_string()).collect();
        let bases: Vec<i64> = nights.iter().map(|n| sql_cents(n.base)).collect();
        let peaks: Vec<bool> = nights.iter().map(|n| n.peak).collect();
        let weekends: Vec<bool> = nights.iter().map(|n| n.weekend).collect();
        let prices: Vec<i64> = nights.iter().map(|n| sql_cents(n.price)).collect();
        let params: [&(dyn ToSql + Sync); 8] = [
            &reference.as_str(),
            &quote.hotel,
            &quote.room.name(),
            &dates,
            &bases,
            &peaks,
            &weekends,
            &prices,
        ];
        self.execute(INSERT_NIGHTS, &params, &step).await.map(drop)
    }

    /// Frees `reference`'s nights (they no longer count against availability), for a
    /// reschedule to check its new nights against the others' only.
    pub(super) async fn release_nights(&self, reference: &BookingRef) -> Result<()> {
        let step = format!("release the nights of {reference}");
        self.execute(RELEASE_NIGHTS, &[&reference.as_str()], &step)
            .await
            .map(drop)
    }

    /// Moves `reference` to `quote`'s dates and total.
    pub(super) async fn update_stay(&self, reference: &BookingRef, quote: &Quote) -> Result<()> {
        let step = format!("update the stay of {reference}");
        let (check_in, check_out) = (quote.check_in.to_string(), quote.check_out.to_string());
        let total = sql_cents(quote.total);
        let params: [&(dyn ToSql + Sync); 4] = [&reference.as_str(), &check_in, &check_out, &total];
        self.execute(UPDATE_STAY, &params, &step).await.map(drop)
    }

    /// Marks `reference` cancelled with this charge.
    pub(super) async fn mark_cancelled(&self, reference: &BookingRef, charge: Cents) -> Result<()> {
        let step = format!("cancel {reference}");
        let params: [&(dyn ToSql + Sync); 2] = [&reference.as_str(), &sql_cents(charge)];
        self.execute(MARK_CANCELLED, &params, &step).await.map(drop)
    }
}
