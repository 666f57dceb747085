//! The tools the agent's tool nodes run: [`BOOK_TOOL`] for `create_booking`, and
//! [`RESCHEDULE_TOOL`] and [`CANCEL_TOOL`] for `apply_change`. Each passes the tool call's
//! idempotency key to the [`Bookings`] store, so a re-run of the node cannot act twice.

use agent_nodes::nodes::{Toolbox, tool};
use chrono::NaiveDate;
use std::sync::Arc;

use hotel::{BookingRef, BookingStatus, Bookings, Change, Clock, GuestId, RoomKind, StayRequest};
use serde::{Deserialize, Serialize};

use super::state::Stay;

/// The name of the booking tool.
pub const BOOK_TOOL: &str = "book_room";
/// The name of the reschedule tool.
pub const RESCHEDULE_TOOL: &str = "reschedule_booking";
/// The name of the cancellation tool.
pub const CANCEL_TOOL: &str = "cancel_booking";

/// The booking tool's arguments.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BookArgs {
    /// The guest's channel.
    pub channel: String,
    /// The guest's id on the channel.
    pub user: String,
    /// The stay.
    pub stay: Stay,
}

/// The booking tool's result.
#[derive(Debug, Serialize, Deserialize)]
pub struct Booked {
    /// The booking reference.
    pub reference: String,
    /// The total, in cents.
    pub total_cents: u64,
}

/// The reschedule tool's arguments.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RescheduleArgs {
    /// The guest's channel.
    pub channel: String,
    /// The guest's id on the channel.
    pub user: String,
    /// The booking reference.
    pub reference: String,
    /// New arrival, `YYYY-MM-DD`.
    pub check_in: NaiveDate,
    /// New departure, `YYYY-MM-DD`.
    pub check_out: NaiveDate,
}

/// The cancellation tool's arguments.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CancelArgs {
    /// The guest's channel.
    pub channel: String,
    /// The guest's id on the channel.
    pub user: String,
    /// The booking reference.
    pub reference: String,
}

/// What the reschedule and cancellation tools report.
#[derive(Debug, Serialize, Deserialize)]
pub struct Changed {
    /// The booking reference.
    pub reference: String,
    /// Arrival after the change.
    pub check_in: NaiveDate,
    /// Departure after the change.
    pub check_out: NaiveDate,
    /// The fee or cancellation charge, in cents.
    pub fee_cents: u64,
    /// The stay's total after the change, in cents.
    pub total_cents: u64,
    /// Whether the booking is now cancelled.
    pub cancelled: bool,
}

impl From<Change> for Changed {
    fn from(c: Change) -> Changed {
        Changed {
            reference: c.booking.reference.to_string(),
            check_in: c.booking.quote.check_in,
            check_out: c.booking.quote.check_out,
            fee_cents: c.modification.fee.0,
            total_cents: c.booking.quote.total.0,
            cancelled: c.booking.status == BookingStatus::Cancelled,
        }
    }
}

fn failed(name: &str, reason: impl ToString) -> agent_nodes::Error {
    agent_nodes::Error::Tool {
        tool: name.into(),
        reason: reason.to_string(),
    }
}

/// The toolbox of the `create_booking` node.
pub(crate) fn booking_toolbox(
    store: Arc<dyn Bookings>,
    clock: Clock,
) -> Result<Toolbox, agent_nodes::Error> {
    Toolbox::new().with(tool(
        BOOK_TOOL,
        "Books a quoted stay for the guest",
        move |a: BookArgs, key: String| {
            let store = Arc::clone(&store);
            async move {
                let room = a
                    .stay
                    .room
                    .parse::<RoomKind>()
                    .map_err(|()| failed(BOOK_TOOL, "unknown room type"))?;
                let request = StayRequest {
                    hotel: a.stay.hotel,
                    room,
                    check_in: a.stay.check_in,
                    check_out: a.stay.check_out,
                    guests: a.stay.guests,
                };
                let guest = GuestId::new(a.channel, a.user);
                let today = clock.today();
                let booking = store
                    .book(&guest, &request, &key, today)
                    .await
                    .map_err(|e| failed(BOOK_TOOL, e))?;
                Ok(Booked {
                    reference: booking.reference.to_string(),
                    total_cents: booking.quote.total.0,
                })
            }
        },
    ))
}

/// The toolbox of the `apply_change` node: reschedules and cancellations.
pub(crate) fn change_toolbox(
    store: Arc<dyn Bookings>,
    clock: Clock,
) -> Result<Toolbox, agent_nodes::Error> {
    let cancel_store = Arc::clone(&store);
    Toolbox::new()
        .with(tool(
            RESCHEDULE_TOOL,
            "Moves the guest's booking to quoted new dates",
            move |a: RescheduleArgs, key: String| {
                let store = Arc::clone(&store);
                async move {
                    let reference =
                        BookingRef::parse(&a.reference).map_err(|e| failed(RESCHEDULE_TOOL, e))?;
                    let guest = GuestId::new(a.channel, a.user);
                    let today = clock.today();
                    let change = store
                        .reschedule(&guest, &reference, a.check_in, a.check_out, &key, today)
                        .await
                        .map_err(|e| failed(RESCHEDULE_TOOL, e))?;
                    Ok(Changed::from(change))
                }
            },
        ))?
        .with(tool(
            CANCEL_TOOL,
            "Cancels the guest's booking",
            move |a: CancelArgs, key: String| {
                let store = Arc::clone(&cancel_store);
                async move {
                    let reference =
                        BookingRef::parse(&a.reference).map_err(|e| failed(CANCEL_TOOL, e))?;
                    let guest = GuestId::new(a.channel, a.user);
                    let today = clock.today();
                    let change = store
                        .cancel(&guest, &reference, &key, today)
                        .await
                        .map_err(|e| failed(CANCEL_TOOL, e))?;
                    Ok(Changed::from(change))
                }
            },
        ))
}
