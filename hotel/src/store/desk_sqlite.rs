//! The front desk's reads and staff changes on the SQLite store (types and decoding in
//! `desk`): the search, the rooms booked per night, the activity per day, and cancelling or
//! rescheduling a booking on its guest's behalf.

use chrono::NaiveDate;
use rusqlite::params;

use super::decode::{self, RawBooking};
use super::desk::{self, BookingQuery, DayActivity, GuestBooking, NightsBooked};
use super::logic::Acting;
use super::rows::Db;
use super::{BookingStore, Change, GuestId, cancel_in};
use crate::{BookingRef, Error, Result};

const SEARCH: &str = "SELECT channel, user_id, reference, hotel, room, check_in, check_out,
        guests, total_cents, status
    FROM hb_bookings
    WHERE (?1 IS NULL OR reference LIKE ?1 ESCAPE '\\')
      AND (?2 IS NULL OR (channel || ':' || user_id) LIKE ?2 ESCAPE '\\')
      AND (?3 IS NULL OR hotel = ?3)
      AND (?4 IS NULL OR check_out > ?4)
      AND (?5 IS NULL OR check_in <= ?5)
      AND (?6 IS NULL OR status = ?6)
    ORDER BY check_in DESC, reference LIMIT ?7 OFFSET ?8";

const NIGHTS_BOOKED: &str = "SELECT n.hotel, n.room, n.night, COUNT(*) FROM hb_booking_nights n
    JOIN hb_bookings b ON b.reference = n.reference
    WHERE n.night >= ?1 AND n.night < ?2 AND b.status = 'confirmed'
    GROUP BY n.hotel, n.room, n.night ORDER BY n.hotel, n.room, n.night";

const ACTIVITY: &str = "SELECT day, kind, COUNT(*),
        SUM(CASE WHEN kind = 'book' THEN total_cents ELSE fee_cents END)
    FROM hb_modifications WHERE day >= ?1 AND day < ?2 GROUP BY day, kind";

impl Db<'_> {
    fn search(&self, query: &BookingQuery) -> Result<Vec<GuestBooking>> {
        let operation = "search the bookings";
        let q = query.bound();
        let mut stmt = self
            .conn
            .prepare_cached(SEARCH)
            .map_err(self.err(operation))?;
        let rows = stmt
            .query_map(
                params![
                    q.reference,
                    q.guest,
                    q.hotel,
                    q.from,
                    q.to,
                    q.status,
                    q.limit,
                    q.offset
                ],
                |r| {
                    let guest = GuestId::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?);
                    let raw = RawBooking {
                        reference: r.get(2)?,
                        hotel: r.get(3)?,
                        room: r.get(4)?,
                        check_in: r.get(5)?,
                        check_out: r.get(6)?,
                        guests: r.get(7)?,
                        total: r.get(8)?,
                        status: r.get(9)?,
                    };
                    Ok((guest, raw))
                },
            )
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(self.err(operation))?;
        rows.into_iter()
            .map(|(guest, raw)| {
                let nights = self.nights(&raw.reference)?;
                let booking = decode::booking(raw, nights).map_err(self.damaged())?;
                Ok(GuestBooking { guest, booking })
            })
            .collect()
    }

    fn rows<T>(
        &self,
        operation: &str,
        sql: &str,
        (from, to): (NaiveDate, NaiveDate),
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err(operation))?;
        stmt.query_map((from.to_string(), to.to_string()), row)
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(self.err(operation))
    }
}

impl BookingStore {
    /// Every guest's bookings that `query` selects, newest stays first: for staff, never
    /// for guests.
    pub fn search(&self, query: &BookingQuery) -> Result<Vec<GuestBooking>> {
        self.read("search the bookings", |db| db.search(query))
    }

    /// Rooms booked by confirmed bookings on each night from `from` until `to` (exclusive),
    /// per hotel and room type; nights with none are left out.
    pub fn nights_booked(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<NightsBooked>> {
        let operation = format!("count the rooms booked from {from} to {to}");
        self.read(&operation, |db| {
            let rows = db.rows(&operation, NIGHTS_BOOKED, (from, to), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            desk::nights_booked(rows).map_err(db.damaged())
        })
    }

    /// The bookings made, moved and cancelled, and the money taken, on each day from `from`
    /// until `to` (exclusive) that has any.
    pub fn activity(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayActivity>> {
        let operation = format!("sum the bookings' activity from {from} to {to}");
        self.read(&operation, |db| {
            let rows = db.rows(&operation, ACTIVITY, (from, to), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            desk::activity(rows).map_err(db.damaged())
        })
    }

    /// Cancels booking `reference` on its guest's behalf, as staff member `staff`: the
    /// guest's own cancellation ([`BookingStore::cancel`], the same charge), recorded as done
    /// by `staff`. [`Error::BookingNotFound`] for no such booking, [`Error::BookingCancelled`]
    /// for one already cancelled; either way nothing changes.
    pub fn cancel_as_staff(
        &self,
        reference: &BookingRef,
        staff: &str,
        key: &str,
        today: NaiveDate,
    ) -> Result<(GuestId, Change)> {
        self.write(&format!("cancel {reference} for its guest"), |db, _| {
            let guest = owner(db, reference)?;
            let acting = Acting {
                key,
                today,
                by: Some(staff),
            };
            let change = cancel_in(db, &guest, reference, acting)?;
            Ok((guest, change))
        })
    }

    /// Moves booking `reference` to `check_in..check_out` on its guest's behalf, as staff
    /// member `staff`: the guest's own reschedule ([`BookingStore::reschedule`], the same fee
    /// and rules), recorded as done by `staff`.
    pub fn reschedule_as_staff(
        &self,
        reference: &BookingRef,
        (check_in, check_out): (NaiveDate, NaiveDate),
        staff: &str,
        key: &str,
        today: NaiveDate,
    ) -> Result<(GuestId, Change)> {
        self.write(&format!("reschedule {reference} for its guest"), |db, _| {
            let guest = owner(db, reference)?;
            let acting = Acting {
                key,
                today,
                by: Some(staff),
            };
            let change =
                self.reschedule_in(db, &guest, reference, (check_in, check_out), acting)?;
            Ok((guest, change))
        })
    }
}

/// Whose booking `reference` is; [`Error::BookingNotFound`] when there is none.
fn owner(db: &Db<'_>, reference: &BookingRef) -> Result<GuestId> {
    db.owner(reference)?.ok_or_else(|| Error::BookingNotFound {
        reference: reference.clone(),
    })
}
