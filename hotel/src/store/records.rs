//! Reading bookings and their modification log back, and recording modifications.

use rusqlite::{OptionalExtension, params};

use super::decode::{self, RawBooking, RawModification, RawNight, sql_cents};
use super::rows::Db;
use super::{GuestId, Modification};
use crate::{Booking, BookingRef, NightPrice, Result};

impl Db<'_> {
    /// `guest`'s booking `reference`, or `None` when it does not exist or is someone else's.
    pub(super) fn booking(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
    ) -> Result<Option<Booking>> {
        Ok(self
            .bookings(
                "reference = ?1 AND channel = ?2 AND user_id = ?3",
                guest,
                Some(reference),
            )?
            .pop())
    }

    /// Whose booking `reference` is, if it exists.
    pub(super) fn owner(&self, reference: &BookingRef) -> Result<Option<GuestId>> {
        self.conn
            .query_row(
                "SELECT channel, user_id FROM hb_bookings WHERE reference = ?1",
                params![reference.as_str()],
                |r| Ok(GuestId::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
            .map_err(self.err(format!("find booking {reference}")))
    }

    /// All of `guest`'s bookings, by check-in date then reference.
    pub(super) fn bookings_of(&self, guest: &GuestId) -> Result<Vec<Booking>> {
        self.bookings("?1 IS NULL AND channel = ?2 AND user_id = ?3", guest, None)
    }

    fn bookings(
        &self,
        filter: &str,
        guest: &GuestId,
        reference: Option<&BookingRef>,
    ) -> Result<Vec<Booking>> {
        let operation = format!("read the bookings of {guest}");
        let sql = format!(
            "SELECT reference, hotel, room, check_in, check_out, guests, total_cents, status
             FROM hb_bookings WHERE {filter} ORDER BY check_in, reference"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(self.err(operation.clone()))?;
        let rows = stmt
            .query_map(
                params![reference.map(BookingRef::as_str), guest.channel, guest.user],
                |r| {
                    Ok(RawBooking {
                        reference: r.get(0)?,
                        hotel: r.get(1)?,
                        room: r.get(2)?,
                        check_in: r.get(3)?,
                        check_out: r.get(4)?,
                        guests: r.get(5)?,
                        total: r.get(6)?,
                        status: r.get(7)?,
                    })
                },
            )
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(self.err(operation))?;
        rows.into_iter()
            .map(|raw| {
                let nights = self.nights(&raw.reference)?;
                decode::booking(raw, nights).map_err(self.damaged())
            })
            .collect()
    }

    pub(super) fn nights(&self, reference: &str) -> Result<Vec<NightPrice>> {
        let operation = format!("read the nights of {reference}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT night, base_cents, peak, weekend, price_cents FROM hb_booking_nights
                 WHERE reference = ?1 ORDER BY night",
            )
            .map_err(self.err(operation.clone()))?;
        let rows = stmt
            .query_map([reference], |r| {
                Ok(RawNight {
                    date: r.get(0)?,
                    base: r.get(1)?,
                    peak: r.get(2)?,
                    weekend: r.get(3)?,
                    price: r.get(4)?,
                })
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(self.err(operation))?;
        decode::nights(reference, rows).map_err(self.damaged())
    }

    /// Records a change made under `key`.
    pub(super) fn record(&self, guest: &GuestId, key: &str, m: &Modification) -> Result<()> {
        let [old_in, old_out, new_in, new_out] = decode::stay_columns(m);
        self.conn
            .execute(
                "INSERT INTO hb_modifications (reference, channel, user_id, idempotency_key,
                     kind, old_check_in, old_check_out, new_check_in, new_check_out, fee_cents,
                     total_cents, day, by_staff)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    m.reference.as_str(),
                    guest.channel,
                    guest.user,
                    key,
                    m.kind.name(),
                    old_in,
                    old_out,
                    new_in,
                    new_out,
                    sql_cents(m.fee),
                    sql_cents(m.total),
                    m.day.to_string(),
                    m.by_staff,
                ],
            )
            .map(drop)
            .map_err(self.err(format!("record the {} of {}", m.kind.name(), m.reference)))
    }

    /// The change `guest` made under `key`, if any.
    pub(super) fn modification_by_key(
        &self,
        guest: &GuestId,
        key: &str,
    ) -> Result<Option<Modification>> {
        Ok(self
            .modifications(
                "channel = ?1 AND user_id = ?2 AND idempotency_key = ?3",
                params![guest.channel, guest.user, key],
            )?
            .pop())
    }

    /// Every change to `reference`, oldest first.
    pub(super) fn modifications_of(&self, reference: &BookingRef) -> Result<Vec<Modification>> {
        self.modifications("reference = ?1", params![reference.as_str()])
    }

    fn modifications(
        &self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Modification>> {
        let operation = "read modifications";
        let sql = format!(
            "SELECT reference, kind, old_check_in, old_check_out, new_check_in, new_check_out,
                 fee_cents, total_cents, day, by_staff
             FROM hb_modifications WHERE {filter} ORDER BY id"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(self.err(operation))?;
        let rows = stmt
            .query_map(args, |r| {
                Ok(RawModification {
                    reference: r.get(0)?,
                    kind: r.get(1)?,
                    stays: [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
                    fee: r.get(6)?,
                    total: r.get(7)?,
                    day: r.get(8)?,
                    by_staff: r.get(9)?,
                })
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(self.err(operation))?;
        rows.into_iter()
            .map(|raw| decode::modification(raw).map_err(self.damaged()))
            .collect()
    }
}
