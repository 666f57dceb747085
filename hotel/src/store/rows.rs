//! Reading and writing the store's rows on one connection (usually inside a transaction), with
//! every SQLite failure named by the database path and the operation.
//!
//! The stored form is `decode`'s, shared with the Postgres store; anything that does not read
//! back is [`Error::Damaged`]. Inventory and stay changes are here; reading bookings and the
//! modification log is in `records`.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use super::GuestId;
use super::decode::{self, Damage, sql_cents};
use super::logic::{self, REFERENCE_ATTEMPTS};
use crate::{BookingRef, Cents, Database, Error, Quote, Result, RoomKind};

/// A connection and the file it is on, for error messages.
pub(super) struct Db<'a> {
    pub(super) conn: &'a Connection,
    pub(super) path: &'a Path,
}

impl Db<'_> {
    pub(super) fn err(
        &self,
        operation: impl Into<String>,
    ) -> impl FnOnce(rusqlite::Error) -> Error {
        let path = self.path.to_owned();
        let operation = operation.into();
        move |source| Error::Storage {
            path,
            operation,
            source,
        }
    }

    /// [`Error::Damaged`] for this file.
    pub(super) fn damaged(&self) -> impl Fn(Damage) -> Error {
        let path = self.path.to_owned();
        move |what| Error::Damaged {
            database: Database::Sqlite(path.clone()),
            what,
        }
    }

    /// Rooms of this type the hotel has, as seeded.
    fn rooms(&self, hotel: &str, room: RoomKind) -> Result<u32> {
        let rooms: Option<i64> = self
            .conn
            .query_row(
                "SELECT rooms FROM hb_inventory WHERE hotel = ?1 AND room = ?2",
                (hotel, room.name()),
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err(format!("read the inventory of {hotel} {room}")))?;
        let rooms =
            rooms.ok_or_else(|| self.damaged()(format!("no inventory row for {hotel} {room}")))?;
        decode::room_count(rooms, hotel, room).map_err(self.damaged())
    }

    /// Rooms held by confirmed bookings on each night in `from..to` that has any.
    fn taken(
        &self,
        hotel: &str,
        room: RoomKind,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<NaiveDate, u32>> {
        let operation = format!("count the {hotel} {room} rooms taken from {from} to {to}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT n.night, COUNT(*) FROM hb_booking_nights n
                 JOIN hb_bookings b ON b.reference = n.reference
                 WHERE n.hotel = ?1 AND n.room = ?2 AND n.night >= ?3 AND n.night < ?4
                   AND b.status = 'confirmed'
                 GROUP BY n.night",
            )
            .map_err(self.err(operation.clone()))?;
        let rows = stmt
            .query_map(
                (hotel, room.name(), from.to_string(), to.to_string()),
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(self.err(operation))?;
        rows.into_iter()
            .map(|(night, count)| {
                let night = decode::date(&night, "hb_booking_nights").map_err(self.damaged())?;
                Ok((night, decode::taken_count(count)))
            })
            .collect()
    }

    /// Rooms left on every night of `from..to`: the fewest left on any one night.
    pub(super) fn rooms_left(
        &self,
        hotel: &str,
        room: RoomKind,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32> {
        let rooms = self.rooms(hotel, room)?;
        Ok(logic::rooms_left(
            rooms,
            &self.taken(hotel, room, from, to)?,
        ))
    }

    /// [`Error::SoldOut`] naming the first night of `quote` with no room left.
    pub(super) fn ensure_available(&self, quote: &Quote) -> Result<()> {
        let rooms = self.rooms(&quote.hotel, quote.room)?;
        let taken = self.taken(&quote.hotel, quote.room, quote.check_in, quote.check_out)?;
        logic::ensure_available(quote, rooms, &taken)
    }

    /// Inserts a confirmed booking of `quote` for `guest` under a fresh reference, drawing again
    /// when one is taken, and returns the reference. The nights are not inserted.
    pub(super) fn insert_booking(
        &self,
        guest: &GuestId,
        quote: &Quote,
        rng: &mut fastrand::Rng,
    ) -> Result<BookingRef> {
        let operation = format!("insert a {} {} booking", quote.hotel, quote.room);
        let mut attempt = 0;
        loop {
            let reference = BookingRef::generate(&quote.hotel, rng);
            let inserted = self.conn.execute(
                "INSERT INTO hb_bookings (reference, channel, user_id, hotel, room, check_in,
                     check_out, guests, total_cents, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'confirmed')",
                params![
                    reference.as_str(),
                    guest.channel,
                    guest.user,
                    quote.hotel,
                    quote.room.name(),
                    quote.check_in.to_string(),
                    quote.check_out.to_string(),
                    i64::from(quote.guests),
                    sql_cents(quote.total),
                ],
            );
            match inserted {
                Ok(_) => return Ok(reference),
                Err(e)
                    if attempt + 1 < REFERENCE_ATTEMPTS
                        && e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(self.err(operation)(e)),
            }
        }
    }

    /// Makes `quote`'s nights the ones `reference` holds, replacing any it held before.
    pub(super) fn replace_nights(&self, reference: &BookingRef, quote: &Quote) -> Result<()> {
        let operation = format!("store the nights of {reference}");
        self.release_nights(reference)?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO hb_booking_nights (reference, hotel, room, night, base_cents, peak,
                     weekend, price_cents)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(self.err(operation.clone()))?;
        for n in &quote.nights {
            stmt.execute(params![
                reference.as_str(),
                quote.hotel,
                quote.room.name(),
                n.date.to_string(),
                sql_cents(n.base),
                n.peak,
                n.weekend,
                sql_cents(n.price),
            ])
            .map_err(self.err(operation.clone()))?;
        }
        Ok(())
    }

    /// Frees `reference`'s nights (they no longer count against availability), for a
    /// reschedule to check its new nights against the others' only.
    pub(super) fn release_nights(&self, reference: &BookingRef) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM hb_booking_nights WHERE reference = ?1",
                [reference.as_str()],
            )
            .map(drop)
            .map_err(self.err(format!("release the nights of {reference}")))
    }

    /// Moves `reference` to `quote`'s dates and total.
    pub(super) fn update_stay(&self, reference: &BookingRef, quote: &Quote) -> Result<()> {
        self.conn
            .execute(
                "UPDATE hb_bookings SET check_in = ?2, check_out = ?3, total_cents = ?4
                 WHERE reference = ?1",
                params![
                    reference.as_str(),
                    quote.check_in.to_string(),
                    quote.check_out.to_string(),
                    sql_cents(quote.total),
                ],
            )
            .map(drop)
            .map_err(self.err(format!("update the stay of {reference}")))
    }

    /// Marks `reference` cancelled with this charge.
    pub(super) fn mark_cancelled(&self, reference: &BookingRef, charge: Cents) -> Result<()> {
        self.conn
            .execute(
                "UPDATE hb_bookings SET status = 'cancelled', charge_cents = ?2
                 WHERE reference = ?1",
                params![reference.as_str(), sql_cents(charge)],
            )
            .map(drop)
            .map_err(self.err(format!("cancel {reference}")))
    }
}
