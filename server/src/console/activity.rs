//! The console's two overviews: the inventory at a glance (rooms booked per night for each
//! hotel and room type over the next days, for a heat map) and the activity of the last days
//! (guest messages, bookings, revenue and handoffs per day, and the LLM's use).
//!
//! Days are the hotel's ("today" is `HOTEL_TODAY` when set): bookings record the day they were
//! made in it; messages and handoffs record the wall clock, so their days are moved by the
//! difference between the hotel's today and the wall clock's (none in production).

use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;

use crate::db::DAY_MS;
use crate::state::App;
use crate::{Error, LlmProvider};

/// One hotel's room type over the days shown.
#[derive(Serialize)]
pub(crate) struct InventoryRow {
    hotel_code: String,
    hotel: String,
    room_type: String,
    /// Rooms of the type the hotel has.
    rooms: u32,
    /// Rooms booked on each night, in the order of [`Inventory::nights`].
    booked: Vec<u32>,
}

/// Rooms booked per night per hotel and room type.
#[derive(Serialize)]
pub(crate) struct Inventory {
    nights: Vec<NaiveDate>,
    rows: Vec<InventoryRow>,
}

/// The rooms booked on each of the `days` nights from `from`.
pub(crate) async fn inventory(app: &App, from: NaiveDate, days: u32) -> Result<Inventory, Error> {
    let nights: Vec<NaiveDate> = (0..u64::from(days))
        .filter_map(|i| from.checked_add_days(Days::new(i)))
        .collect();
    let to = from
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(from);
    let booked = app
        .agent
        .store
        .nights_booked(from, to)
        .await
        .map_err(Error::Bookings)?;
    let mut rows = Vec::new();
    for hotel in app.agent.catalog.hotels() {
        for room in &hotel.rooms {
            let mut counts = vec![0; nights.len()];
            for b in booked
                .iter()
                .filter(|b| b.hotel == hotel.code && b.room == room.kind)
            {
                let i = (b.night - from).num_days();
                if let Some(slot) = usize::try_from(i).ok().and_then(|i| counts.get_mut(i)) {
                    *slot = b.booked;
                }
            }
            rows.push(InventoryRow {
                hotel_code: hotel.code.clone(),
                hotel: hotel.name.clone(),
                room_type: room.kind.to_string(),
                rooms: room.count,
                booked: counts,
            });
        }
    }
    Ok(Inventory { nights, rows })
}

/// LLM calls to one provider that ended one way.
#[derive(Serialize)]
pub(crate) struct LlmUse {
    provider: String,
    /// `ok`, or why the call failed (the offline NLU answered instead).
    outcome: String,
    calls: u64,
}

/// The last days' activity, one entry per day in each series.
#[derive(Serialize)]
pub(crate) struct Activity {
    days: Vec<NaiveDate>,
    messages: Vec<i64>,
    bookings: Vec<u32>,
    cancellations: Vec<u32>,
    /// Gross, in cents: bookings made plus fees and charges taken (see `hotel::DayActivity`).
    revenue_cents: Vec<u64>,
    handoffs: Vec<i64>,
    /// The configured provider (`offline`, `gemini`, `openai`).
    provider: String,
    /// Calls since this process started.
    llm: Vec<LlmUse>,
    /// Calls that failed, each answered by the offline NLU instead.
    fallbacks: u64,
}

/// The `days` days up to and including the hotel's today.
pub(crate) async fn activity(app: &App, days: u32) -> Result<Activity, Error> {
    let today = app.agent.today();
    let first = today
        .checked_sub_days(Days::new(u64::from(days.saturating_sub(1))))
        .unwrap_or(today);
    let all: Vec<NaiveDate> = (0..u64::from(days))
        .filter_map(|i| first.checked_add_days(Days::new(i)))
        .collect();
    let index = |day: NaiveDate| usize::try_from((day - first).num_days()).ok();
    let (mut bookings, mut cancellations) = (vec![0; all.len()], vec![0; all.len()]);
    let mut revenue_cents = vec![0; all.len()];
    let tomorrow = today.succ_opt().unwrap_or(today);
    let made = app
        .agent
        .store
        .activity(first, tomorrow)
        .await
        .map_err(Error::Bookings)?;
    for day in made {
        if let Some(i) = index(day.day).filter(|i| *i < all.len()) {
            bookings[i] = day.booked;
            cancellations[i] = day.cancelled;
            revenue_cents[i] = day.revenue.0;
        }
    }
    // The wall clock's days, moved onto the hotel's.
    let wall_today = Utc::now().date_naive();
    let shift = (today - wall_today).num_days();
    let epoch = NaiveDate::default();
    let from_ms = ((wall_today - epoch).num_days() - i64::from(days)) * DAY_MS;
    let (mut messages, mut handoffs) = (vec![0; all.len()], vec![0; all.len()]);
    for counts in app.db.per_day(from_ms).await? {
        let day = chrono::TimeDelta::try_days(counts.day.saturating_add(shift))
            .and_then(|d| epoch.checked_add_signed(d));
        if let Some(i) = day.and_then(index).filter(|i| *i < all.len()) {
            messages[i] = counts.messages;
            handoffs[i] = counts.handoffs;
        }
    }
    let llm: Vec<LlmUse> = app
        .metrics
        .llm_calls()
        .into_iter()
        .map(|(provider, outcome, calls)| LlmUse {
            provider,
            outcome,
            calls,
        })
        .collect();
    let fallbacks = llm
        .iter()
        .filter(|u| u.outcome != "ok")
        .map(|u| u.calls)
        .sum();
    Ok(Activity {
        days: all,
        messages,
        bookings,
        cancellations,
        revenue_cents,
        handoffs,
        provider: match app.config.provider() {
            LlmProvider::Offline => "offline",
            LlmProvider::Gemini => "gemini",
            LlmProvider::Openai => "openai",
        }
        .to_owned(),
        llm,
        fallbacks,
    })
}
