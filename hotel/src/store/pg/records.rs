//! Reading bookings and their modification log back inside a Postgres transaction, and
//! recording modifications.

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::super::decode::{self, RawBooking, RawModification, RawNight, sql_cents};
use super::super::{GuestId, Modification};
use super::rows::Tx;
use crate::{Booking, BookingRef, NightPrice, Result};

macro_rules! booking_select {
    ($filter:literal) => {
        concat!(
            "SELECT reference, hotel, room, check_in, check_out, guests, total_cents, status
             FROM hb_bookings WHERE ",
            $filter
        )
    };
}

macro_rules! modification_select {
    ($filter:literal) => {
        concat!(
            "SELECT reference, kind, old_check_in, old_check_out, new_check_in, new_check_out,
                 fee_cents, total_cents, day, by_staff
             FROM hb_modifications WHERE ",
            $filter,
            " ORDER BY id"
        )
    };
}

pub(super) const BOOKING: &str =
    booking_select!("reference = $1 AND channel = $2 AND user_id = $3");
/// [`BOOKING`], locking the row until the transaction ends, so changes to one booking take
/// turns (a cancel and a reschedule of it cannot both act on what they read before the other).
pub(super) const BOOKING_FOR_UPDATE: &str =
    booking_select!("reference = $1 AND channel = $2 AND user_id = $3 FOR UPDATE");
pub(super) const BOOKINGS_OF: &str =
    booking_select!("channel = $1 AND user_id = $2 ORDER BY check_in, reference");
pub(super) const OWNER: &str = "SELECT channel, user_id FROM hb_bookings WHERE reference = $1";
pub(super) const NIGHTS: &str = "SELECT night, base_cents, peak, weekend, price_cents
    FROM hb_booking_nights WHERE reference = $1 ORDER BY night";
pub(super) const RECORD: &str = "INSERT INTO hb_modifications (reference, channel, user_id,
        idempotency_key, kind, old_check_in, old_check_out, new_check_in, new_check_out,
        fee_cents, total_cents, day, by_staff)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
pub(super) const MODIFICATION_BY_KEY: &str =
    modification_select!("channel = $1 AND user_id = $2 AND idempotency_key = $3");
pub(super) const MODIFICATIONS_OF: &str = modification_select!("reference = $1");

impl Tx<'_> {
    /// `guest`'s booking `reference`, or `None` when it does not exist or is someone else's;
    /// with `lock`, the row stays locked until the transaction ends.
    pub(super) async fn booking(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        lock: bool,
    ) -> Result<Option<Booking>> {
        let sql = if lock { BOOKING_FOR_UPDATE } else { BOOKING };
        let params: [&(dyn ToSql + Sync); 3] = [&reference.as_str(), &guest.channel, &guest.user];
        Ok(self.bookings(sql, &params, guest).await?.pop())
    }

    /// Whose booking `reference` is, if it exists.
    pub(super) async fn owner(&self, reference: &BookingRef) -> Result<Option<GuestId>> {
        let step = format!("find booking {reference}");
        let rows = self.query(OWNER, &[&reference.as_str()], &step).await?;
        match rows.first() {
            None => Ok(None),
            Some(row) => Ok(Some(GuestId::new(
                self.get::<String>(row, 0, &step)?,
                self.get::<String>(row, 1, &step)?,
            ))),
        }
    }

    /// All of `guest`'s bookings, by check-in date then reference.
    pub(super) async fn bookings_of(&self, guest: &GuestId) -> Result<Vec<Booking>> {
        let params: [&(dyn ToSql + Sync); 2] = [&guest.channel, &guest.user];
        self.bookings(BOOKINGS_OF, &params, guest).await
    }

    async fn bookings(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        guest: &GuestId,
    ) -> Result<Vec<Booking>> {
        let step = format!("read the bookings of {guest}");
        let rows = self.query(sql, params, &step).await?;
        let mut bookings = Vec::with_capacity(rows.len());
        for row in &rows {
            let raw = self.raw_booking(row, &step)?;
            let nights = self.nights(&raw.reference).await?;
            bookings.push(decode::booking(raw, nights).map_err(Tx::damaged)?);
        }
        Ok(bookings)
    }

    pub(super) fn raw_booking(&self, row: &Row, step: &str) -> Result<RawBooking> {
        Ok(RawBooking {
            reference: self.get(row, 0, step)?,
            hotel: self.get(row, 1, step)?,
            room: self.get(row, 2, step)?,
            check_in: self.get(row, 3, step)?,
            check_out: self.get(row, 4, step)?,
            guests: i64::from(self.get::<i32>(row, 5, step)?),
            total: self.get(row, 6, step)?,
            status: self.get(row, 7, step)?,
        })
    }

    pub(super) async fn nights(&self, reference: &str) -> Result<Vec<NightPrice>> {
        let step = format!("read the nights of {reference}");
        let rows = self.query(NIGHTS, &[&reference], &step).await?;
        let raw = rows
            .iter()
            .map(|row| {
                Ok(RawNight {
                    date: self.get(row, 0, &step)?,
                    base: self.get(row, 1, &step)?,
                    peak: self.get(row, 2, &step)?,
                    weekend: self.get(row, 3, &step)?,
                    price: self.get(row, 4, &step)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        decode::nights(reference, raw).map_err(Tx::damaged)
    }

    /// Records a change made under `key`. A concurrent change under the same key makes this
    /// fail on the key constraint (see `super::is_key_conflict`).
    pub(super) async fn record(&self, guest: &GuestId, key: &str, m: &Modification) -> Result<()> {
        let step = format!("record the {} of {}", m.kind.name(), m.reference);
        let [old_in, old_out, new_in, new_out] = decode::stay_columns(m);
        let (fee, total, day) = (sql_cents(m.fee), sql_cents(m.total), m.day.to_string());
        let params: [&(dyn ToSql + Sync); 13] = [
            &m.reference.as_str(),
            &guest.channel,
            &guest.user,
            &key,
            &m.kind.name(),
            &old_in,
            &old_out,
            &new_in,
            &new_out,
            &fee,
            &total,
            &day,
            &m.by_staff,
        ];
        self.execute(RECORD, &params, &step).await.map(drop)
    }

    /// The change `guest` made under `key`, if any.
    pub(super) async fn modification_by_key(
        &self,
        guest: &GuestId,
        key: &str,
    ) -> Result<Option<Modification>> {
        let params: [&(dyn ToSql + Sync); 3] = [&guest.channel, &guest.user, &key];
        Ok(self
            .modifications(MODIFICATION_BY_KEY, &params)
            .await?
            .pop())
    }

    /// Every change to `reference`, oldest first.
    pub(super) async fn modifications_of(
        &self,
        reference: &BookingRef,
    ) -> Result<Vec<Modification>> {
        self.modifications(MODIFICATIONS_OF, &[&reference.as_str()])
            .await
    }

    async fn modifications(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Modification>> {
        let step = "read modifications";
        let rows = self.query(sql, params, step).await?;
        rows.iter()
            .map(|row| {
                let raw = RawModification {
                    reference: self.get(row, 0, step)?,
                    kind: self.get(row, 1, step)?,
                    stays: [
                        self.get(row, 2, step)?,
                        self.get(row, 3, step)?,
                        self.get(row, 4, step)?,
                        self.get(row, 5, step)?,
                    ],
                    fee: self.get(row, 6, step)?,
                    total: self.get(row, 7, step)?,
                    day: self.get(row, 8, step)?,
                    by_staff: self.get(row, 9, step)?,
                };
                decode::modification(raw).map_err(Tx::damaged)
            })
            .collect()
    }
}
