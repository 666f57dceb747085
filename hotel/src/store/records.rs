//! Reading bookings and their modification log back, and recording modifications.

use rusqlite::{OptionalExtension, params};

use super::rows::{Db, sql_cents};
use super::{GuestId, Modification, ModificationKind, StayDates};
use crate::{Booking, BookingRef, BookingStatus, NightPrice, Quote, Result};

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
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        [r.get::<_, String>(3)?, r.get::<_, String>(4)?],
                        r.get::<_, i64>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                },
            )
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(self.err(operation))?;
        let mut bookings = Vec::with_capacity(rows.len());
        for (reference, hotel, room, [check_in, check_out], guests, total, status) in rows {
            let row = format!("booking `{reference}`");
            let bad = |what: &str| self.damaged(format!("{row}: {what}"));
            let reference = BookingRef::parse(&reference).map_err(|_| bad("bad reference"))?;
            let status = match status.as_str() {
                "confirmed" => BookingStatus::Confirmed,
                "cancelled" => BookingStatus::Cancelled,
                other => return Err(bad(&format!("unknown status `{other}`"))),
            };
            let quote = Quote {
                room: room
                    .parse()
                    .map_err(|()| bad(&format!("unknown room type `{room}`")))?,
                hotel,
                check_in: self.date(&check_in, &row)?,
                check_out: self.date(&check_out, &row)?,
                guests: u32::try_from(guests).map_err(|_| bad("bad guest count"))?,
                nights: self.nights(&reference)?,
                total: self.cents(total, &row)?,
            };
            if quote.nights.is_empty() {
                return Err(bad("no nights"));
            }
            bookings.push(Booking {
                reference,
                quote,
                status,
            });
        }
        Ok(bookings)
    }

    fn nights(&self, reference: &BookingRef) -> Result<Vec<NightPrice>> {
        let operation = format!("read the nights of {reference}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT night, base_cents, peak, weekend, price_cents FROM hb_booking_nights
                 WHERE reference = ?1 ORDER BY night",
            )
            .map_err(self.err(operation.clone()))?;
        let rows = stmt
            .query_map([reference.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(self.err(operation))?;
        let row = format!("nights of {reference}");
        rows.into_iter()
            .map(|(date, base, peak, weekend, price)| {
                Ok(NightPrice {
                    date: self.date(&date, &row)?,
                    base: self.cents(base, &row)?,
                    peak,
                    weekend,
                    price: self.cents(price, &row)?,
                })
            })
            .collect()
    }

    /// Records a change made under `key`.
    pub(super) fn record(&self, guest: &GuestId, key: &str, m: &Modification) -> Result<()> {
        let text =
            |d: Option<StayDates>| d.map(|d| [d.check_in.to_string(), d.check_out.to_string()]);
        let [old_in, old_out] = text(m.old).map_or([None, None], |[a, b]| [Some(a), Some(b)]);
        let [new_in, new_out] = text(m.new).map_or([None, None], |[a, b]| [Some(a), Some(b)]);
        self.conn
            .execute(
                "INSERT INTO hb_modifications (reference, channel, user_id, idempotency_key,
                     kind, old_check_in, old_check_out, new_check_in, new_check_out, fee_cents,
                     total_cents, day)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
                 fee_cents, total_cents, day
             FROM hb_modifications WHERE {filter} ORDER BY id"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(self.err(operation))?;
        type Raw = (String, String, [Option<String>; 4], i64, i64, String);
        let rows: Vec<Raw> = stmt
            .query_map(args, |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(self.err(operation))?;
        let mut out = Vec::with_capacity(rows.len());
        for (reference, kind, [old_in, old_out, new_in, new_out], fee, total, day) in rows {
            let row = format!("modification of `{reference}`");
            let stay =
                |check_in: Option<String>, check_out: Option<String>| match (check_in, check_out) {
                    (Some(a), Some(b)) => Ok(Some(StayDates {
                        check_in: self.date(&a, &row)?,
                        check_out: self.date(&b, &row)?,
                    })),
                    (None, None) => Ok(None),
                    _ => Err(self.damaged(format!("{row}: half a stay"))),
                };
            out.push(Modification {
                reference: BookingRef::parse(&reference)
                    .map_err(|_| self.damaged(format!("{row}: bad reference")))?,
                kind: ModificationKind::from_name(&kind)
                    .ok_or_else(|| self.damaged(format!("{row}: unknown kind `{kind}`")))?,
                old: stay(old_in, old_out)?,
                new: stay(new_in, new_out)?,
                fee: self.cents(fee, &row)?,
                total: self.cents(total, &row)?,
                day: self.date(&day, &row)?,
            });
        }
        Ok(out)
    }
}
