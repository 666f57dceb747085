//! The store's vocabulary: who a guest is ([`GuestId`]) and what a change did
//! ([`Modification`], [`Change`]).

use std::fmt;

use chrono::NaiveDate;

use crate::{Booking, BookingRef, Cents};

/// Who a booking belongs to: the channel the guest writes from and their user id there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GuestId {
    /// The channel, e.g. `whatsapp` or `web`.
    pub channel: String,
    /// The user id on that channel.
    pub user: String,
}

impl GuestId {
    /// A guest on `channel` known there as `user`.
    pub fn new(channel: impl Into<String>, user: impl Into<String>) -> GuestId {
        GuestId {
            channel: channel.into(),
            user: user.into(),
        }
    }
}

impl fmt::Display for GuestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.channel, self.user)
    }
}

/// A stay's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StayDates {
    /// Arrival day.
    pub check_in: NaiveDate,
    /// Departure day.
    pub check_out: NaiveDate,
}

/// What a [`Modification`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModificationKind {
    /// The booking was made.
    Booked,
    /// Its dates moved.
    Rescheduled,
    /// It was cancelled.
    Cancelled,
}

impl ModificationKind {
    /// The name stored in the database.
    pub const fn name(self) -> &'static str {
        match self {
            ModificationKind::Booked => "book",
            ModificationKind::Rescheduled => "reschedule",
            ModificationKind::Cancelled => "cancel",
        }
    }

    pub(super) fn from_name(name: &str) -> Option<ModificationKind> {
        [Self::Booked, Self::Rescheduled, Self::Cancelled]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// One recorded change to a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modification {
    /// The booking.
    pub reference: BookingRef,
    /// What happened.
    pub kind: ModificationKind,
    /// The dates before (none for a new booking).
    pub old: Option<StayDates>,
    /// The dates after (none for a cancellation).
    pub new: Option<StayDates>,
    /// The reschedule fee or cancellation charge; zero for a new booking.
    pub fee: Cents,
    /// The booking's total after the change (for a cancellation: the charge).
    pub total: Cents,
    /// The day it was made.
    pub day: NaiveDate,
    /// The staff member who made it on the guest's behalf; `None` when the guest did.
    pub by_staff: Option<String>,
}

/// A reschedule or cancellation as applied (or as first applied, when replayed by key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The booking now.
    pub booking: Booking,
    /// The recorded change.
    pub modification: Modification,
}
