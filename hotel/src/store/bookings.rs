//! [`Bookings`], the bookings store as the agent and the server use it: one object-safe async
//! trait over the SQLite file ([`BookingStore`], each call on a blocking thread) and the shared
//! Postgres database ([`PgBookingStore`]). Both give the same answers and the same guarantees
//! (no overbooking, idempotent changes, privacy between guests); see their docs for how.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::{
    BookingQuery, BookingStore, Change, DayActivity, GuestBooking, GuestId, Modification,
    NightsBooked, PgBookingStore,
};
use crate::{Booking, BookingRef, Catalog, Error, Result, RoomKind, StayRequest};

/// The bookings, wherever they are kept. The methods are [`BookingStore`]'s, asynchronous.
#[async_trait]
pub trait Bookings: Send + Sync {
    /// The catalog bookings are checked and priced against.
    fn catalog(&self) -> &Catalog;

    /// Rooms of type `room` at `hotel` free on every night from `check_in` to `check_out`;
    /// see [`BookingStore::availability`].
    async fn availability(
        &self,
        hotel: &str,
        room: RoomKind,
        check_in: NaiveDate,
        check_out: NaiveDate,
    ) -> Result<u32>;

    /// Books `request` for `guest` under idempotency `key`; see [`BookingStore::book`].
    async fn book(
        &self,
        guest: &GuestId,
        request: &StayRequest,
        key: &str,
        today: NaiveDate,
    ) -> Result<Booking>;

    /// Moves `guest`'s booking to new dates; see [`BookingStore::reschedule`].
    async fn reschedule(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        check_in: NaiveDate,
        check_out: NaiveDate,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change>;

    /// Cancels `guest`'s booking; see [`BookingStore::cancel`].
    async fn cancel(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change>;

    /// `guest`'s booking `reference`; see [`BookingStore::lookup`].
    async fn lookup(&self, guest: &GuestId, reference: &BookingRef) -> Result<Booking>;

    /// Booking `reference` and whose it is, for operators; see [`BookingStore::find`].
    async fn find(&self, reference: &BookingRef) -> Result<Option<(GuestId, Booking)>>;

    /// All of `guest`'s bookings; see [`BookingStore::bookings_of`].
    async fn bookings_of(&self, guest: &GuestId) -> Result<Vec<Booking>>;

    /// Every recorded change to `guest`'s booking; see [`BookingStore::modifications`].
    async fn modifications(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
    ) -> Result<Vec<Modification>>;
    /// Every guest's bookings `query` selects, for staff; see [`BookingStore::search`].
    async fn search(&self, query: &BookingQuery) -> Result<Vec<GuestBooking>>;

    /// Rooms booked per night, hotel and room type; see [`BookingStore::nights_booked`].
    async fn nights_booked(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<NightsBooked>>;

    /// Bookings made, moved, cancelled and money taken per day; see
    /// [`BookingStore::activity`].
    async fn activity(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayActivity>>;

    /// Cancels a booking on its guest's behalf as `staff`; see
    /// [`BookingStore::cancel_as_staff`].
    async fn cancel_as_staff(
        &self,
        reference: &BookingRef,
        staff: &str,
        key: &str,
        today: NaiveDate,
    ) -> Result<(GuestId, Change)>;

    /// Reschedules a booking on its guest's behalf as `staff`; see
    /// [`BookingStore::reschedule_as_staff`].
    async fn reschedule_as_staff(
        &self,
        reference: &BookingRef,
        dates: (NaiveDate, NaiveDate),
        staff: &str,
        key: &str,
        today: NaiveDate,
    ) -> Result<(GuestId, Change)>;
}

impl BookingStore {
    /// Runs the blocking call `f` on a clone of this store on tokio's blocking pool, so an async
    /// caller's worker thread never waits on SQLite's lock.
    async fn blocking<T: Send + 'static>(
        &self,
        operation: impl FnOnce() -> String,
        f: impl FnOnce(BookingStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(store))
            .await
            .map_err(|source| Error::Worker {
                operation: operation(),
                source,
            })?
    }
}

#[async_trait]
impl Bookings for BookingStore {
    fn catalog(&self) -> &Catalog {
        BookingStore::catalog(self)
    }

    async fn availability(
        &self,
        hotel: &str,
        room: RoomKind,
        check_in: NaiveDate,
        check_out: NaiveDate,
    ) -> Result<u32> {
        let hotel = hotel.to_owned();
        self.blocking(
            || "read availability".to_owned(),
            move |s| s.availability(&hotel, room, check_in, check_out),
        )
        .await
    }

    async fn book(
        &self,
        guest: &GuestId,
        request: &StayRequest,
        key: &str,
        today: NaiveDate,
    ) -> Result<Booking> {
        let operation = || format!("book {} {}", request.hotel, request.room);
        let (guest, request, key) = (guest.clone(), request.clone(), key.to_owned());
        self.blocking(operation, move |s| s.book(&guest, &request, &key, today))
            .await
    }

    async fn reschedule(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        check_in: NaiveDate,
        check_out: NaiveDate,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change> {
        let operation = || format!("reschedule {reference}");
        let (guest, r, key) = (guest.clone(), reference.clone(), key.to_owned());
        self.blocking(operation, move |s| {
            s.reschedule(&guest, &r, check_in, check_out, &key, today)
        })
        .await
    }

    async fn cancel(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change> {
        let operation = || format!("cancel {reference}");
        let (guest, r, key) = (guest.clone(), reference.clone(), key.to_owned());
        self.blocking(operation, move |s| s.cancel(&guest, &r, &key, today))
            .await
    }

    async fn lookup(&self, guest: &GuestId, reference: &BookingRef) -> Result<Booking> {
        let operation = || format!("look up {reference}");
        let (guest, r) = (guest.clone(), reference.clone());
        self.blocking(operation, move |s| s.lookup(&guest, &r))
            .await
    }

    async fn find(&self, reference: &BookingRef) -> Result<Option<(GuestId, Booking)>> {
        let operation = || format!("find {reference}");
        let r = reference.clone();
        self.blocking(operation, move |s| s.find(&r)).await
    }

    async fn bookings_of(&self, guest: &GuestId) -> Result<Vec<Booking>> {
        let operation = || format!("list the bookings of {guest}");
        let g = guest.clone();
        self.blocking(operation, move |s| s.bookings_of(&g)).await
    }

    async fn modifications(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
    ) -> Result<Vec<Modification>> {
        let operation = || format!("list the changes to {reference}");
        let (guest, r) = (guest.clone(), reference.clone());
        self.blocking(operation, move |s| s.modifications(&guest, &r))
            .await
    }
    async fn search(&self, query: &BookingQuery) -> Result<Vec<GuestBooking>> {
        let query = query.clone();
        self.blocking(
            || "search the bookings".to_owned(),
            move |s| s.search(&query),
        )
        .await
    }

    async fn nights_booked(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<NightsBooked>> {
        let operation = || format!("count the rooms booked from {from} to {to}");
        self.blocking(operation, move |s| s.nights_booked(from, to))
            .await
    }

    async fn activity(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayActivity>> {
        let operation = || format!("sum the bookings' activity from {from} to {to}");
        self.blocking(operation, move |s| s.activity(from, to))
            .await
    }

    async fn cancel_as_staff(
        &self,
        reference: &BookingRef,
        staff: &str,
        key: &str,
        today: NaiveDate,
    ) -> Result<(GuestId, Change)> {
        let operation = || format!("cancel {reference} for its guest");
        let (r, staff, key) = (reference.clone(), staff.to_owned(), key.to_owned());
        self.blocking(operation, move |s| {
            s.cancel_as_staff(&r, &staff, &key, today)
        })
        .await
    }

    async fn reschedule_as_staff(
        &self,
        reference: &BookingRef,
        dates: (NaiveDate, NaiveDate),
        staff: &str,
        key: &str,
        today: NaiveDate,
    ) -> Result<(GuestId, Change)> {
        let operation = || format!("reschedule {reference} for its guest");
        let (r, staff, key) = (reference.clone(), staff.to_owned(), key.to_owned());
        self.blocking(operation, move |s| {
            s.reschedule_as_staff(&r, dates, &staff, &key, today)
        })
        .await
    }
}

#[async_trait]
impl Bookings for PgBookingStore {
    fn catalog(&self) -> &Catalog {
        PgBookingStore::catalog(self)
    }

    async fn availability(
        &self,
        hotel: &str,
        room: RoomKind,
        check_in: NaiveDate,
        check_out: NaiveDate,
    ) -> Result<u32> {
        PgBookingStore::availability(self, hotel, room, check_in, check_out).await
    }

    async fn book(
        &self,
        guest: &GuestId,
        request: &StayRequest,
        key: &str,
        today: NaiveDate,
    ) -> Result<Booking> {
        PgBookingStore::book(self, guest, request, key, today).await
    }

    async fn reschedule(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        check_in: NaiveDate,
        check_out: NaiveDate,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change> {
        PgBookingStore::reschedule(self, guest, reference, check_in, check_out, key, today).await
    }

    async fn cancel(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
        key: &str,
        today: NaiveDate,
    ) -> Result<Change> {
        PgBookingStore::cancel(self, guest, reference, key, today).await
    }

    async fn lookup(&self, guest: &GuestId, reference: &BookingRef) -> Result<Booking> {
        PgBookingStore::lookup(self, guest, reference).await
    }

    async fn find(&self, reference: &BookingRef) -> Result<Option<(GuestId, Booking)>> {
        PgBookingStore::find(self, reference).await
    }

    async fn bookings_of(&self, guest: &GuestId) -> Result<Vec<Booking>> {
        PgBookingStore::bookings_of(self, guest).await
    }

    async fn modifications(
        &self,
        guest: &GuestId,
        reference: &BookingRef,
    ) -> Result<Vec<Modification>> {
        PgBookingStore::modifications(self, guest, reference).await
    }

    async fn search(&self, query: &BookingQuery) -> Result<Vec<GuestBooking>> {
        PgBookingStore::search(self, query).await
    }

    async fn nights_booked(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<NightsBooked>> {
        PgBookingStore::nights_booked(self, from, to).await
    }

    async fn activity(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayActivity>> {
        PgBookingStore::activity(self, from, to).await
    }

    async fn cancel_as_staff(
        &self,
        reference: &BookingRef,
        staff: &str,
        key: &str,
        today: NaiveDate,
    ) -> Result<(GuestId, Change)> {
        PgBookingStore::cancel_as_staff(self, reference, staff, key, today).await
    }

    async fn reschedule_as_staff(
        &self,
        reference: &BookingRef,
        dates: (NaiveDate, NaiveDate),
        staff: &str,
        key: &str,
        today: NaiveDate,
    ) -> Result<(GuestId, Change)> {
        PgBookingStore::reschedule_as_staff(self, reference, dates, staff, key, today).await
    }
}
