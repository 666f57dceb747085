//! The front desk's reads and staff changes on the Postgres store (types and decoding in
//! `store/desk.rs`, shared with SQLite): the search, the rooms booked per night, the activity
//! per day, and cancelling or rescheduling a booking on its guest's behalf.

use chrono::NaiveDate;
use tokio_postgres::types::ToSql;

use super::super::decode;
use super::super::desk::{self, BookingQuery, DayActivity, GuestBooking, NightsBooked};
use super::super::logic::Acting;
use super::{Access, PgBookingStore};
use crate::store::{Change, GuestId, ModificationKind};
use crate::{BookingRef, Error, Result};

/// The booking columns first, as `records`' own selects have them, then whose it is.
pub(super) const SEARCH: &str = "SELECT reference, hotel, room, check_in, check_out, guests,
        total_cents, status, channel, user_id
    FROM hb_bookings
    WHERE ($1::TEXT IS NULL OR reference LIKE $1)
      AND ($2::TEXT IS NULL OR (channel || ':' || user_id) ILIKE $2)
      AND ($3::TEXT IS NULL OR hotel = $3)
      AND ($4::TEXT IS NULL OR check_out > $4)
      AND ($5::TEXT IS NULL OR check_in <= $5)
      AND ($6::TEXT IS NULL OR status = $6)
    ORDER BY check_in DESC, reference LIMIT $7 OFFSET $8";

pub(super) const NIGHTS_BOOKED: &str = "SELECT n.hotel, n.room, n.night, COUNT(*)
    FROM hb_booking_nights n JOIN hb_bookings b ON b.reference = n.reference
    WHERE n.night >= $1 AND n.night < $2 AND b.status = 'confirmed'
    GROUP BY n.hotel, n.room, n.night ORDER BY n.hotel, n.room, n.night";

/// `day` is compared byte-wise (`COLLATE "C"`), as the other date columns are.
pub(super) const ACTIVITY: &str = "SELECT day, kind, COUNT(*),
        SUM(CASE WHEN kind = 'book' THEN total_cents ELSE fee_cents END)::BIGINT
    FROM hb_modifications
    WHERE day COLLATE \"C\" >= $1 AND day COLLATE \"C\" < $2 GROUP BY day, kind";

impl PgBookingStore {
    /// Every guest's bookings that `query` selects, newest stays first: for staff, never for
    /// guests.
    pub async fn search(&self, query: &BookingQuery) -> Result<Vec<GuestBooking>> {
        let operation = "search the bookings";
        let mut client = self.client(operation).await?;
        let tx = self.begin(&mut client, operation, Access::Read).await?;
        let q = query.bound();
        let params: [&(dyn ToSql + Sync); 8] = [
            &q.reference,
            &q.guest,
            &q.hotel,
            &q.from,
            &q.to,
            &q.status,
            &q.limit,
            &q.offset,
        ];
        let rows = tx.query(SEARCH, &params, operation).await?;
        let mut found = Vec::with_capacity(rows.len());
        for row in &rows {
            let guest = GuestId::new(
                tx.get::<String>(row, 8, operation)?,
                tx.get::<String>(row, 9, operation)?,
            );
            let raw = tx.raw_booking(row, operation)?;
            let nights = tx.nights(&raw.reference).await?;
            let booking = decode::booking(raw, nights).map_err(super::rows::Tx::damaged)?;
            found.push(GuestBooking { guest, booking });
        }
        Ok(found)
    }

    /// Rooms booked by confirmed bookings on each night from `from` until `to` (exclusive),
    /// per hotel and room type; nights with none are left out.
    pub async fn nights_booked(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<NightsBooked>> {
        let operation = format!("count the rooms booked from {from} to {to}");
        let rows = self.rows(&operation, NIGHTS_BOOKED, (from, to)).await?;
        let rows = rows
            .iter()
            .map(|r| {
                let get = |i| r.try_get::<_, String>(i);
                Ok((get(0)?, get(1)?, get(2)?, r.try_get::<_, i64>(3)?))
            })
            .collect::<std::result::Result<Vec<_>, tokio_postgres::Error>>()
            .map_err(|source| Error::Postgres {
                operation: operation.clone(),
                source,
            })?;
        desk::nights_booked(rows).map_err(super::rows::Tx::damaged)
    }

    /// The bookings made, moved and cancelled, and the money taken, on each day from `from`
    /// until `to` (exclusive) that has any.
    pub async fn activity(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayActivity>> {
        let operation = format!("sum the bookings' activity from {from} to {to}");
        let rows = self.rows(&operation, ACTIVITY, (from, to)).await?;
        let rows = rows
            .iter()
            .map(|r| {
                let get = |i| r.try_get::<_, String>(i);
                let number = |i| r.try_get::<_, i64>(i);
                Ok((get(0)?, get(1)?, number(2)?, number(3)?))
            })
            .collect::<std::result::Result<Vec<_>, tokio_postgres::Error>>()
            .map_err(|source| Error::Postgres {
                operation: operation.clone(),
                source,
            })?;
        desk::activity(rows).map_err(super::rows::Tx::damaged)
    }

    /// The rows of `sql` over the days `from..to`, in a read transaction.
    async fn rows(
        &self,
        operation: &str,
        sql: &str,
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<Vec<tokio_postgres::Row>> {
        let mut client = self.client(operation).await?;
        let tx = self.begin(&mut client, operation, Access::Read).await?;
        tx.query(sql, &[&from.to_string(), &to.to_string()], operation)
            .await
    }

    /// Cancels booking `reference` on its guest's behalf, as staff member `staff`: the
    /// guest's own cancellation (the same charge), recorded as done by `staff`.
    /// [`Error::BookingNotFound`] for no such booking, [`Error::BookingCancelled`] for one
    /// already cancelled; either way nothing changes.
    pub async fn cancel_as_staff(
        &self,
        reference: &BookingRef,
        staff: &str,
        key: &str,
        today: NaiveDate,
    ) -> Result<(GuestId, Change)> {
        let guest = self.owner_of(reference).await?;
        let operation = format!("cancel {reference} for its guest");
        let acting = Acting {
            key,
            today,
            by: Some(staff),
        };
        let done = self.try_cancel(&operation, &guest, reference, acting).await;
        let kind = ModificationKind::Cancelled;
        let change = self
            .or_replay(done, &operation, &guest, key, kind, Some(reference))
            .await?;
        Ok((guest, change))
    }

    /// Moves booking `reference` to `check_in..check_out` on its guest's behalf, as staff
    /// member `staff`: the guest's own reschedule (the same fee and rules), recorded as done
    /// by `staff`.
    pub async fn reschedule_as_staff(
        &self,
        reference: &BookingRef,
        dates: (NaiveDate, NaiveDate),
        staff: &str,
        key: &str,
        today: NaiveDate,
    ) -> Result<(GuestId, Change)> {
        let guest = self.owner_of(reference).await?;
        let operation = format!("reschedule {reference} for its guest");
        let acting = Acting {
            key,
            today,
            by: Some(staff),
        };
        let done = self
            .try_reschedule(&operation, &guest, reference, dates, acting)
            .await;
        let kind = ModificationKind::Rescheduled;
        let change = self
            .or_replay(done, &operation, &guest, key, kind, Some(reference))
            .await?;
        Ok((guest, change))
    }

    /// Whose booking `reference` is (a booking's guest never changes, so the change's own
    /// transaction need not read it again); [`Error::BookingNotFound`] when there is none.
    async fn owner_of(&self, reference: &BookingRef) -> Result<GuestId> {
        let operation = format!("find {reference}");
        let mut client = self.client(&operation).await?;
        let tx = self.begin(&mut client, &operation, Access::Read).await?;
        tx.owner(reference)
            .await?
            .ok_or_else(|| Error::BookingNotFound {
                reference: reference.clone(),
            })
    }
}
