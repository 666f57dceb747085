//! The console's bookings: the search and one booking with its change log, the fee of a
//! cancellation or reschedule quoted before it is made, and the change itself on the guest's
//! behalf. The change is the guest's own (`hotel::Bookings::cancel_as_staff`, the same policy
//! code), recorded as the staff member's; the guest is then told through their channel, when
//! its window allows a business to write (the web chat has no way to reach a guest).

use agent_nodes::nlu::Language;
use chrono::NaiveDate;
use hotel::{Booking, BookingRef, BookingStatus, Change, GuestId, Modification, StayDates};
use serde::Serialize;

use crate::db::Reply;
use crate::meta::form::{Form, Template};
use crate::meta::{Channel, split};
use crate::state::{App, correlation_id, now_ms};

/// A booking as staff see it.
#[derive(Serialize)]
pub(crate) struct BookingView {
    reference: String,
    channel: String,
    user: String,
    thread_id: String,
    hotel_code: String,
    hotel: String,
    room_type: String,
    check_in: NaiveDate,
    check_out: NaiveDate,
    guests: u32,
    total: String,
    total_cents: u64,
    status: &'static str,
}

impl BookingView {
    pub(crate) fn new(app: &App, guest: &GuestId, b: &Booking) -> BookingView {
        let hotel = app
            .agent
            .catalog
            .hotel(&b.quote.hotel)
            .map_or_else(|_| b.quote.hotel.clone(), |h| h.name.clone());
        BookingView {
            reference: b.reference.as_str().to_owned(),
            channel: guest.channel.clone(),
            user: guest.user.clone(),
            thread_id: hotel_agent::thread_id(&guest.channel, &guest.user),
            hotel_code: b.quote.hotel.clone(),
            hotel,
            room_type: b.quote.room.to_string(),
            check_in: b.quote.check_in,
            check_out: b.quote.check_out,
            guests: b.quote.guests,
            total: b.quote.total.to_string(),
            total_cents: b.quote.total.0,
            status: match b.status {
                BookingStatus::Confirmed => "confirmed",
                BookingStatus::Cancelled => "cancelled",
            },
        }
    }
}

/// One line of a booking's change log.
#[derive(Serialize)]
pub(crate) struct ChangeView {
    /// `book`, `reschedule` or `cancel`.
    kind: &'static str,
    day: NaiveDate,
    old: Option<(NaiveDate, NaiveDate)>,
    new: Option<(NaiveDate, NaiveDate)>,
    fee: String,
    total: String,
    /// The staff member who made it; `null`: the guest.
    by_staff: Option<String>,
}

impl From<Modification> for ChangeView {
    fn from(m: Modification) -> ChangeView {
        let dates = |d: Option<StayDates>| d.map(|d| (d.check_in, d.check_out));
        ChangeView {
            kind: m.kind.name(),
            day: m.day,
            old: dates(m.old),
            new: dates(m.new),
            fee: m.fee.to_string(),
            total: m.total.to_string(),
            by_staff: m.by_staff,
        }
    }
}

/// A fee quoted before a change.
#[derive(Serialize)]
pub(crate) struct QuoteView {
    /// `cancel` or `reschedule`.
    action: &'static str,
    /// The cancellation charge or reschedule fee.
    fee: String,
    fee_cents: u64,
    /// The booking's total after a reschedule (its current one for a cancellation).
    total: String,
}

/// What a staff change did, and whether the guest was told.
#[derive(Serialize)]
pub(crate) struct ChangeDone {
    booking: BookingView,
    fee: String,
    /// The guest's channel was given the message (`true`), or not, and `told_why` says why.
    told: bool,
    told_why: String,
}

/// Why a console action on a booking was refused.
pub(crate) enum Refused {
    /// No such booking (or a malformed reference).
    NotFound(String),
    /// The booking cannot change so (cancelled, past, sold out).
    Conflict(String),
    /// The new dates break a stay rule.
    Invalid(String),
    /// The server failed.
    Failed(crate::Error),
}

impl From<hotel::Error> for Refused {
    fn from(e: hotel::Error) -> Refused {
        use hotel::Error as E;
        match e {
            // The guest-facing text says "you have no booking"; staff read this.
            E::BookingNotFound { reference } => {
                Refused::NotFound(format!("no booking {reference}"))
            }
            E::InvalidReference { .. } => Refused::NotFound(e.to_string()),
            E::BookingCancelled { .. }
            | E::BookingInPast { .. }
            | E::SoldOut { .. }
            | E::IdempotencyKeyReused { .. } => Refused::Conflict(e.to_string()),
            E::NoGuests
            | E::TooManyGuests { .. }
            | E::CheckOutNotAfterCheckIn { .. }
            | E::TooManyNights { .. }
            | E::CheckInInPast { .. }
            | E::CheckInTooFarAhead { .. }
            | E::UnknownHotel { .. }
            | E::RoomNotOffered { .. } => Refused::Invalid(e.to_string()),
            other => Refused::Failed(crate::Error::Bookings(other)),
        }
    }
}

/// What a staff member asks of a booking.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Action {
    Cancel,
    Reschedule(NaiveDate, NaiveDate),
}

/// Booking `reference` and whose it is.
pub(crate) async fn find(app: &App, reference: &str) -> Result<(GuestId, Booking), Refused> {
    let reference = BookingRef::parse(reference)?;
    app.agent
        .store
        .find(&reference)
        .await?
        .ok_or_else(|| Refused::NotFound(format!("no booking {reference}")))
}

/// The booking's change log, oldest first.
pub(crate) async fn changes(
    app: &App,
    guest: &GuestId,
    booking: &Booking,
) -> Result<Vec<ChangeView>, Refused> {
    let log = app
        .agent
        .store
        .modifications(guest, &booking.reference)
        .await?;
    Ok(log.into_iter().map(ChangeView::from).collect())
}

/// The fee `action` would cost today, by the policy the change itself applies.
pub(crate) async fn quote(
    app: &App,
    reference: &str,
    action: Action,
) -> Result<QuoteView, Refused> {
    let (_, booking) = find(app, reference).await?;
    let today = app.agent.today();
    Ok(match action {
        Action::Cancel => {
            let fee = hotel::cancellation_charge(&booking, today)?;
            QuoteView {
                action: "cancel",
                fee: fee.to_string(),
                fee_cents: fee.0,
                total: booking.quote.total.to_string(),
            }
        }
        Action::Reschedule(check_in, check_out) => {
            let quote = app
                .agent
                .catalog
                .quote_reschedule(&booking, check_in, check_out, today)?;
            QuoteView {
                action: "reschedule",
                fee: quote.fee.total.to_string(),
                fee_cents: quote.fee.total.0,
                total: quote.stay.total.to_string(),
            }
        }
    })
}

/// Makes `action` on booking `reference` as staff member `by`, then tells the guest.
pub(crate) async fn act(
    app: &App,
    reference: &str,
    action: Action,
    by: &str,
) -> Result<ChangeDone, Refused> {
    let reference = BookingRef::parse(reference)?;
    let today = app.agent.today();
    // A fresh key each time: a second click is a second request, refused once cancelled.
    let key = format!("staff:{}", correlation_id());
    let store = &app.agent.store;
    let (guest, change) = match action {
        Action::Cancel => store.cancel_as_staff(&reference, by, &key, today).await?,
        Action::Reschedule(check_in, check_out) => {
            let dates = (check_in, check_out);
            store
                .reschedule_as_staff(&reference, dates, by, &key, today)
                .await?
        }
    };
    tracing::info!(%reference, staff = by, kind = change.modification.kind.name(),
        "a booking was changed by staff");
    if change.booking.status == BookingStatus::Confirmed {
        plan_reminder(app, &guest, &change.booking.reference.to_string()).await;
    }
    let (told, told_why) = tell_guest(app, &guest, &change).await;
    Ok(ChangeDone {
        booking: BookingView::new(app, &guest, &change.booking),
        fee: change.modification.fee.to_string(),
        told,
        told_why,
    })
}

/// Plans the reminder of a stay staff moved, as a guest's own move does; the change stands
/// whatever happens here, so a failure is logged (the old dates' job plans it when it runs).
async fn plan_reminder(app: &App, guest: &GuestId, reference: &str) {
    let language = crate::sched::guest_language(app, &guest.channel, &guest.user)
        .await
        .unwrap_or_default();
    let planned = crate::sched::plan_pre_arrival(
        &*app.agent.store,
        &app.agent.scheduler(),
        (&guest.channel, &guest.user),
        reference,
        language,
    )
    .await;
    if let Err(e) = planned {
        tracing::error!(error = %e, %reference, "planning the reminder of a moved stay");
    }
}

/// Tells the guest of a change staff made, through their channel's outbox under its window;
/// whether it was queued, and why not.
async fn tell_guest(app: &App, guest: &GuestId, change: &Change) -> (bool, String) {
    let Some(channel) = Channel::parse(&guest.channel) else {
        return (
            false,
            format!(
                "{} guests cannot be written to; tell them another way",
                guest.channel
            ),
        );
    };
    let last = match app.db.last_guest_message(&guest.channel, &guest.user).await {
        Ok(Some(last)) => last,
        Ok(None) => return (false, "the guest has not written since the console began keeping messages; tell them another way".into()),
        Err(e) => {
            tracing::error!(error = %e, "reading when a guest last wrote");
            return (false, "the server could not tell; see the log".into());
        }
    };
    let language = crate::sched::guest_language(app, &guest.channel, &guest.user)
        .await
        .unwrap_or_default();
    let b = &change.booking;
    let hotel = app
        .agent
        .catalog
        .hotel(&b.quote.hotel)
        .map_or_else(|_| b.quote.hotel.clone(), |h| h.name.clone());
    let fee = change.modification.fee.to_string();
    let (what, text) = match (b.status, language) {
        (BookingStatus::Cancelled, Language::Es) => (
            "cancelada".to_owned(),
            format!(
                "Nuestro equipo ha cancelado su reserva {} en {hotel}. Cargo por cancelación: {fee}.",
                b.reference
            ),
        ),
        (BookingStatus::Cancelled, Language::En) => (
            "cancelled".to_owned(),
            format!(
                "Your booking {} at {hotel} has been cancelled by our staff. Cancellation charge: {fee}.",
                b.reference
            ),
        ),
        (BookingStatus::Confirmed, Language::Es) => {
            let what = format!("del {} al {}", b.quote.check_in, b.quote.check_out);
            let text = format!(
                "Nuestro equipo ha cambiado su reserva {} en {hotel} {what} (total {}, cargo por el cambio {fee}).",
                b.reference, b.quote.total
            );
            (what, text)
        }
        (BookingStatus::Confirmed, Language::En) => {
            let what = format!("{} – {}", b.quote.check_in, b.quote.check_out);
            let text = format!(
                "Your booking {} at {hotel} has been moved by our staff to {what} (total {}, change fee {fee}).",
                b.reference, b.quote.total
            );
            (what, text)
        }
    };
    let form = match crate::handoff::window(channel, now_ms() - last) {
        Ok(form) => form,
        // Outside WhatsApp's window only an approved template reaches the guest.
        Err(crate::handoff::Refused::OutsideWindow(why)) => {
            let template = app.config.whatsapp_change_template.as_deref();
            let code = app.config.whatsapp_reminder_languages.code(language);
            match (channel, template, code) {
                (Channel::Whatsapp, Some(name), Some(code)) => Form::Template(Template {
                    name: name.to_owned(),
                    language: code.to_owned(),
                    params: vec![hotel.clone(), b.reference.to_string(), what, fee.clone()],
                }),
                _ => return (false, why),
            }
        }
        Err(_) => return (false, "the guest's channel refuses messages now".into()),
    };
    let reply = Reply {
        channel,
        recipient: guest.user.clone(),
        parts: match form {
            // A template is one message, whatever its length.
            Form::Template(_) => vec![text],
            _ => split::split(&text, channel.limit()),
        },
        correlation: format!("staff-booking:{}", b.reference),
        form,
    };
    match app.db.send_later(reply, now_ms()).await {
        Ok(()) => {
            app.wake.outbox.notify_one();
            (true, format!("sent on {channel}"))
        }
        Err(e) => {
            tracing::error!(error = %e, "queueing a booking change for the guest");
            (
                false,
                "the server could not queue the message; see the log".into(),
            )
        }
    }
}
