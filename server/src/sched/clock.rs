//! [`Clock`], where the scheduler reads "now" and the hotels' local time: the system clock, or a
//! clock tests set and move (`server::testing`).
//!
//! With `HOTEL_TODAY` set, the agent lives on that day; the system clock then runs shifted by
//! whole days so that its date at start is that day too: a booking made for "tomorrow" gets
//! its reminder tomorrow at 10:00, as a demo expects. The shift applies to every instant the
//! scheduler compares with now ([`Clock::observed`]: when a guest last wrote), so the 24-hour
//! windows are measured on one timeline.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Local, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use tokio::sync::Notify;

const DAY_MS: i64 = 86_400_000;

/// The scheduler's clock. Clones share it.
#[derive(Clone, Debug)]
pub struct Clock {
    source: Source,
    /// Notified when a test moves the clock, so the scheduler looks at once.
    moved: Arc<Notify>,
}

#[derive(Clone, Debug)]
enum Source {
    /// The system clock moved by `shift_ms`, in the machine's time zone.
    System { shift_ms: i64 },
    /// A clock only a test moves, in UTC.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// The system clock, shifted so that its date is `today` now (unshifted without it).
    pub(crate) fn system(today: Option<NaiveDate>) -> Clock {
        let shift_days = today.map_or(0, |today| (today - Local::now().date_naive()).num_days());
        Clock {
            source: Source::System {
                shift_ms: shift_days.saturating_mul(DAY_MS),
            },
            moved: Arc::default(),
        }
    }

    /// A clock standing at `now_ms` (ms since the Unix epoch) until moved; its local time is
    /// UTC.
    pub fn manual(now_ms: i64) -> Clock {
        Clock {
            source: Source::Manual(Arc::new(AtomicI64::new(now_ms))),
            moved: Arc::default(),
        }
    }

    /// Sets a manual clock to `now_ms` and wakes the scheduler; a system clock is not moved.
    pub fn set(&self, now_ms: i64) {
        if let Source::Manual(now) = &self.source {
            now.store(now_ms, Ordering::SeqCst);
            self.moved.notify_waiters();
        }
    }

    /// Now, in ms since the Unix epoch (shifted, for a system clock under `HOTEL_TODAY`).
    pub fn now_ms(&self) -> i64 {
        match &self.source {
            Source::System { shift_ms } => crate::state::now_ms().saturating_add(*shift_ms),
            Source::Manual(now) => now.load(Ordering::SeqCst),
        }
    }

    /// An instant the system clock or Meta recorded (a message's timestamp) on this clock's
    /// timeline.
    pub(crate) fn observed(&self, wall_ms: i64) -> i64 {
        match &self.source {
            Source::System { shift_ms } => wall_ms.saturating_add(*shift_ms),
            Source::Manual(_) => wall_ms,
        }
    }

    /// The hotels' local date and time at `ms`.
    pub(crate) fn local(&self, ms: i64) -> NaiveDateTime {
        let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
        match self.source {
            Source::System { .. } => utc.with_timezone(&Local).naive_local(),
            Source::Manual(_) => utc.naive_utc(),
        }
    }

    /// The instant of the hotels' local time `at`: the earlier one when the clocks go back,
    /// the first valid one after a skipped hour.
    pub(crate) fn instant(&self, at: NaiveDateTime) -> i64 {
        match self.source {
            Source::System { .. } => {
                let mut probe = at;
                // A time skipped by a daylight-saving jump exists an hour later.
                for _ in 0..3 {
                    match Local.from_local_datetime(&probe) {
                        LocalResult::Single(t) => return t.timestamp_millis(),
                        // Not necessarily in time order (chrono gives the standard-time one
                        // first under some POSIX `TZ` rules), so the earlier is chosen here.
                        LocalResult::Ambiguous(a, b) => {
                            return a.timestamp_millis().min(b.timestamp_millis());
                        }
                        LocalResult::None => probe += chrono::Duration::minutes(30),
                    }
                }
                at.and_utc().timestamp_millis()
            }
            Source::Manual(_) => at.and_utc().timestamp_millis(),
        }
    }

    /// The hotels' date now.
    pub(crate) fn today(&self) -> NaiveDate {
        self.local(self.now_ms()).date()
    }

    /// Resolves when a test moves the clock (never for the system clock).
    pub(crate) async fn moved(&self) {
        self.moved.notified().await;
    }
}
