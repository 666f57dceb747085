//! The Postgres store's changes: booking, rescheduling, cancelling. Each is one write
//! transaction that takes its locks first (see the module docs of `pg`), then checks the
//! idempotency key, then applies the shared rules (`store/logic.rs`) to what it reads.

use chrono::NaiveDate;

use super::{Access, PgBookingStore, is_key_conflict, replay};
use crate::store::logic::Acting;
use crate::store::{Change, GuestId, ModificationKind, logic};
use crate::{Booking, BookingRef, Error, Result, StayRequest};

/// [`Error::Damaged`] for a room type the catalog offers but the inventory lacks (impossible
/// once seeded, as seeding covers every catalog room type).
fn no_inventory(what: impl std::fmt::Display) -> Error {
    super::rows::Tx::damaged(format!("no inventory row for {what}"))
}

impl PgBookingStore {
    /// Books `request` for `guest`: checks it against the catalog and the stay rules as of
    /// `today`, prices it, and takes one room for each night if every night has one left
    /// ([`Error::SoldOut`] otherwise), all in one transaction. With a `key` this guest already
    /// booked under (even concurrently), returns that booking as it is now and books nothing.
    pub async fn book(
        &self,
        guest: &GuestId,
        request: &StayRequest,
        key: &str,
        today: NaiveDate,
    ) -> Result<Booking> {
        let operation = format!("book {} {}", request.hotel, request.room);
        let done = self.try_book(&operation, guest, request, key, today).await;
        let kind = ModificationKind::Booked;
        self.or_replay(done, &operation, guest, key, kind, None)
            .await
            .map(|c| c.booking)
    }

    /// `done`, the outcome of a change under `key`; or, when it failed on the key's unique
    /// constraint (a concurrent change under the same key committed first), the replay of
    /// what that one did.
    pub(super) async fn or_replay(
        &self,
        done: Result<Change>,
        operation: &str,
        guest: &GuestId,
        key: &str,
        kind: ModificationKind,
        reference: Option<&BookingRef>,
    ) -> Result<Change> {
        match done {
            Err(e) if is_key_conflict(&e) => self
                .replay_committed(operation, guest, key, kind, reference)
                .await?
                .ok_or(e),
            done => done,
        }
    }

    async fn try_book(
        &self,
        operation: &str,
        guest: &GuestId,
        request: &StayRequest,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change> {
        // The room type to lock, when the catalog offers it; when it does not, the quote below
        // refuses the request (after a replay, as the key is checked first).
        let offered = self
            .catalog
            .hotel(&request.hotel)
            .ok()
            .filter(|h| h.room(request.room).is_ok())
            .map(|h| h.code.clone());
        let mut client = self.client(operation).await?;
        let tx = self.begin(&mut client, operation, Access::Write).await?;
        let rooms = match &offered {
            Some(hotel) => Some(tx.lock_rooms(hotel, request.room).await?),
            None => None,
        };
        if let Some(done) = tx.modification_by_key(guest, key).await? {
            let kind = ModificationKind::Booked;
            let change = replay(&tx, guest, key, done, kind, None).await?;
            tx.commit().await?;
            return Ok(change);
        }
        let quote = self.catalog.quote(request, today)?;
        let rooms = rooms.ok_or_else(|| no_inventory(format!("{} {}", quote.hotel, quote.room)))?;
        tx.ensure_available(&quote, rooms).await?;
        let reference = tx.insert_booking(guest, &quote, &self.rng).await?;
        tx.replace_nights(&reference, &quote).await?;
        let change = logic::booked(reference, quote, today);
        tx.record(guest, key, &change.modification).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Moves `guest`'s booking `reference` to `check_in..check_out`: the fee and new price come
    /// from [`crate::Catalog::quote_reschedule`] (past and cancelled bookings are refused), and
    /// the new nights must be free apart from the booking's own. One transaction; repeated
    /// `key`s replay the first result.
    pub async fn reschedule(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        check_in: NaiveDate,
        check_out: NaiveDate,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change> {
        let operation = format!("reschedule {reference}");
        let dates = (check_in, check_out);
        let acting = Acting {
            key,
            today,
            by: None,
        };
        let done = self
            .try_reschedule(&operation, guest, reference, dates, acting)
            .await;
        let kind = ModificationKind::Rescheduled;
        self.or_replay(done, &operation, guest, key, kind, Some(reference))
            .await
    }

    /// A reschedule's transaction (see [`PgBookingStore::reschedule`]), by staff member
    /// `acting.by` or the guest.
    pub(super) async fn try_reschedule(
        &self,
        operation: &str,
        guest: &GuestId,
        reference: &BookingRef,
        (check_in, check_out): (NaiveDate, NaiveDate),
        Acting { key, today, by }: Acting<'_>,
    ) -> Result<Change> {
        let mut client = self.client(operation).await?;
        let tx = self.begin(&mut client, operation, Access::Write).await?;
        // A reschedule keeps the room type: one inventory row, then the booking's own row.
        let rooms = tx.lock_rooms_of(guest, reference).await?;
        let locked = tx.booking(guest, reference, true).await?;
        if let Some(done) = tx.modification_by_key(guest, key).await? {
            let kind = ModificationKind::Rescheduled;
            let change = replay(&tx, guest, key, done, kind, Some(reference)).await?;
            tx.commit().await?;
            return Ok(change);
        }
        let booking = logic::owned(locked, reference)?;
        let quote = self
            .catalog
            .quote_reschedule(&booking, check_in, check_out, today)?;
        let rooms = rooms.ok_or_else(|| no_inventory(reference))?;
        tx.release_nights(reference).await?;
        tx.ensure_available(&quote.stay, rooms).await?;
        tx.replace_nights(reference, &quote.stay).await?;
        tx.update_stay(reference, &quote.stay).await?;
        let change = logic::rescheduled(booking, quote, today, by);
        tx.record(guest, key, &change.modification).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Cancels `guest`'s booking `reference`, charging per [`crate::cancellation_charge`] and
    /// freeing its nights. Repeated `key`s replay the first result.
    pub async fn cancel(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change> {
        let operation = format!("cancel {reference}");
        let acting = Acting {
            key,
            today,
            by: None,
        };
        let done = self.try_cancel(&operation, guest, reference, acting).await;
        let kind = ModificationKind::Cancelled;
        self.or_replay(done, &operation, guest, key, kind, Some(reference))
            .await
    }

    /// A cancellation's transaction (see [`PgBookingStore::cancel`]), by staff member
    /// `acting.by` or the guest.
    pub(super) async fn try_cancel(
        &self,
        operation: &str,
        guest: &GuestId,
        reference: &BookingRef,
        Acting { key, today, by }: Acting<'_>,
    ) -> Result<Change> {
        let mut client = self.client(operation).await?;
        let tx = self.begin(&mut client, operation, Access::Write).await?;
        // Freeing rooms cannot overbook, so no inventory lock: only the booking's row, so a
        // concurrent reschedule or cancel of it acts on what this one leaves.
        let locked = tx.booking(guest, reference, true).await?;
        if let Some(done) = tx.modification_by_key(guest, key).await? {
            let kind = ModificationKind::Cancelled;
            let change = replay(&tx, guest, key, done, kind, Some(reference)).await?;
            tx.commit().await?;
            return Ok(change);
        }
        let booking = logic::owned(locked, reference)?;
        let charge = crate::cancellation_charge(&booking, today)?;
        tx.mark_cancelled(reference, charge).await?;
        let change = logic::cancelled(booking, charge, today, by);
        tx.record(guest, key, &change.modification).await?;
        tx.commit().await?;
        Ok(change)
    }
}
