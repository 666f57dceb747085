//! The staff console's work, below the HTTP layer (`http/console.rs` and
//! `http/console_api.rs` are its boundary): staff credentials and sessions (`auth`), the
//! conversations (`conversation`), the bookings and the changes staff make for guests
//! (`bookings`), and the inventory and activity overviews (`activity`).

pub(crate) mod activity;
pub(crate) mod auth;
pub(crate) mod bookings;
pub(crate) mod conversation;
pub(crate) mod input;

pub(crate) use auth::{Actor, Logins};
