//! The pre-arrival reminder: scheduled when a turn (or staff) books or moves a room, due at
//! 10:00 hotel time the day before check-in, and, when it runs, re-read from the booking:
//! cancelled or already arriving → skipped with the reason, otherwise a message with the
//! hotel's check-in time, parking and breakfast in the guest's language.
//!
//! A job is one stay's reminder, keyed by booking and check-in date, so a stay moved after its
//! reminder went out gets one for its new dates, and a job that finds its stay moved makes
//! sure the new dates have theirs and stands down.
//!
//! How it may reach the guest: inside the platform's 24-hour window (since the guest's last
//! message) as plain text; outside it on WhatsApp as the configured template, on Instagram not
//! at all (the human agent tag is for people, not reminders); the web chat cannot be written
//! to first. Each "not at all" is a skip with its reason in `sv_jobs.detail`.

use agent_nodes::nlu::Language;
use chrono::{NaiveDate, NaiveTime};
use hotel::{BookingRef, BookingStatus};
use serde::{Deserialize, Serialize};

use super::{Scheduler, reminder, template};
use crate::Error;
use crate::db::{NewJob, OPTED_OUT, Outcome, Reply};
use crate::meta::Channel;
use crate::meta::form::Form;
use crate::meta::split;
use crate::state::App;

/// The job kind.
pub(crate) const KIND: &str = "pre-arrival";

/// When the reminder goes out, hotel time, the day before check-in.
const AT: NaiveTime = match NaiveTime::from_hms_opt(10, 0, 0) {
    Some(at) => at,
    None => NaiveTime::MIN,
};

/// Meta's customer-service window after a guest's message.
const WINDOW_MS: i64 = 24 * 3600 * 1000;

/// What the job keeps: whose booking, the check-in it reminds of, and the language the guest
/// wrote in when booking (the guest's profile, when the store has one, is newer and wins).
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    channel: String,
    user: String,
    reference: String,
    language: Language,
    /// `None` in the jobs of earlier versions, keyed by booking alone: such a job follows a
    /// moved stay to its new day before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    check_in: Option<NaiveDate>,
}

fn failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Scheduler(format!("{what}: {e}"))
}

/// When the reminder of a stay arriving `check_in` is due: 10:00 the day before (possibly
/// past); `None` when check-in is today or past.
fn due(scheduler: &Scheduler, check_in: NaiveDate) -> Option<i64> {
    let clock = &scheduler.clock;
    if check_in <= clock.today() {
        return None;
    }
    let day_before = check_in.pred_opt()?;
    Some(clock.instant(day_before.and_time(AT)))
}

/// Schedules the reminder of booking `reference`, just made (or moved) by `channel`/`user`
/// writing in `language`.
pub(crate) async fn plan(
    bookings: &dyn hotel::Bookings,
    scheduler: &Scheduler,
    (channel, user): (&str, &str),
    reference: &str,
    language: Language,
) -> Result<(), Error> {
    let parsed = BookingRef::parse(reference).map_err(|e| failed("a booking reference", e))?;
    let Some((_, booking)) = bookings
        .find(&parsed)
        .await
        .map_err(|e| failed("reading a booking", e))?
    else {
        return Ok(());
    };
    let stay = (reference, booking.quote.check_in);
    schedule(scheduler, (channel, user), stay, language).await
}

/// Schedules the reminder of the stay of booking `reference` arriving `check_in`, unless
/// check-in is today or past.
async fn schedule(
    scheduler: &Scheduler,
    guest: (&str, &str),
    (reference, check_in): (&str, NaiveDate),
    language: Language,
) -> Result<(), Error> {
    let Some(due_ms) = due(scheduler, check_in) else {
        return Ok(());
    };
    // Already past: due now.
    let due_ms = due_ms.max(scheduler.clock.now_ms());
    scheduler
        .schedule(job(guest, (reference, check_in), language, due_ms)?)
        .await
}

/// The reminder job of booking `reference` of `channel`/`user` arriving `check_in`, due at
/// `due_ms`.
pub(crate) fn job(
    (channel, user): (&str, &str),
    (reference, check_in): (&str, NaiveDate),
    language: Language,
    due_ms: i64,
) -> Result<NewJob, Error> {
    let payload = Payload {
        channel: channel.to_owned(),
        user: user.to_owned(),
        reference: reference.to_owned(),
        language,
        check_in: Some(check_in),
    };
    Ok(NewJob {
        kind: KIND.to_owned(),
        key: format!("{KIND}:{reference}:{check_in}"),
        payload: serde_json::to_string(&payload).map_err(|e| failed("a job's payload", e))?,
        due_ms,
    })
}

/// Runs reminder `key`'s job with `payload` at `now_ms`: the outcome to record.
pub(crate) async fn run(
    app: &App,
    scheduler: &Scheduler,
    key: &str,
    payload: &str,
    now_ms: i64,
) -> Result<Outcome, Error> {
    let payload: Payload = match serde_json::from_str(payload) {
        Ok(payload) => payload,
        Err(e) => return Ok(Outcome::Failed(format!("the payload is unreadable: {e}"))),
    };
    let reference = match BookingRef::parse(&payload.reference) {
        Ok(reference) => reference,
        Err(e) => return Ok(Outcome::Failed(format!("the booking reference: {e}"))),
    };
    let skip = |reason: &str| Ok(Outcome::Skipped(reason.to_owned()));
    let Some((guest, booking)) = app
        .agent
        .store
        .find(&reference)
        .await
        .map_err(|e| failed("reading the booking", e))?
    else {
        return skip("the booking no longer exists");
    };
    if booking.status == BookingStatus::Cancelled {
        return skip("the booking was cancelled");
    }
    let now_in = booking.quote.check_in;
    if payload.check_in.is_some_and(|planned| planned != now_in) {
        // Whoever moved it planned the new dates' reminder; planning it again is harmless
        // and covers a move that did not.
        let guest = (guest.channel.as_str(), guest.user.as_str());
        let stay = (payload.reference.as_str(), now_in);
        schedule(scheduler, guest, stay, payload.language).await?;
        return skip(&format!(
            "the stay moved to {now_in}; the new dates have a reminder of their own"
        ));
    }
    match due(scheduler, booking.quote.check_in) {
        None => return skip("check-in is today or past"),
        Some(due_ms) if due_ms > now_ms => return Ok(Outcome::Moved { due_ms }),
        Some(_) => {}
    }
    let Some(channel) = Channel::parse(&guest.channel) else {
        return skip(&format!(
            "the {} channel cannot be written to first",
            guest.channel
        ));
    };
    let jobs = &scheduler.jobs;
    if jobs.opted_out(&guest.channel, &guest.user).await? {
        return skip(OPTED_OUT);
    }
    // The language the guest last wrote in, else the one they booked in.
    let language = super::guest_language(app, &guest.channel, &guest.user)
        .await
        .unwrap_or(payload.language);
    let hotel = app
        .agent
        .catalog
        .hotel(&booking.quote.hotel)
        .map_err(|e| failed("the booking's hotel", e))?;
    let (text, values) = reminder::reminder(language, hotel, &booking);
    let heard = jobs.last_heard(&guest.channel, &guest.user).await?;
    let inside = heard.is_some_and(|at| now_ms - scheduler.clock.observed(at) < WINDOW_MS);
    let form = match (inside, channel) {
        (true, _) => Form::Text,
        (false, Channel::Instagram) => {
            return skip("outside Instagram's 24-hour window since the guest last wrote");
        }
        (false, Channel::Whatsapp) => {
            let config = &app.config;
            let name = config.whatsapp_reminder_template.as_deref();
            match (name, config.whatsapp_reminder_languages.code(language)) {
                (Some(name), Some(code)) => Form::Template(template::template(name, code, values)),
                (None, _) => {
                    return skip(
                        "outside WhatsApp's 24-hour window, and no reminder template is \
                         configured (WHATSAPP_REMINDER_TEMPLATE)",
                    );
                }
                (Some(_), None) => {
                    return skip(&format!(
                        "outside WhatsApp's 24-hour window, and the reminder template has no \
                         language for {language:?} (WHATSAPP_REMINDER_LANGUAGES)"
                    ));
                }
            }
        }
    };
    // A template goes out as one message; its text is what it says, for the log.
    let parts = match form {
        Form::Text => split::split(&text, channel.limit()),
        _ => vec![text],
    };
    Ok(Outcome::Done(Some(Reply {
        channel,
        recipient: guest.user,
        parts,
        correlation: key.to_owned(),
        form,
    })))
}
