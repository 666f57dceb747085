//! [`Clock`], where "today" comes from. Every rule that depends on the date takes `today` as a
//! plain [`NaiveDate`]; the clock is only consulted at the edge, so tests and demos can fix it.

use chrono::{Local, NaiveDate};

use crate::{Error, Result};

/// The environment variable that fixes today's date: `HOTEL_TODAY=YYYY-MM-DD`.
pub const TODAY_VAR: &str = "HOTEL_TODAY";

/// The source of today's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// The machine's local date, read on every call.
    #[default]
    System,
    /// Always this date (tests, demos, [`TODAY_VAR`]).
    Fixed(NaiveDate),
}

impl Clock {
    /// [`Clock::Fixed`] when [`TODAY_VAR`] is set, else [`Clock::System`]. A value that is not
    /// `YYYY-MM-DD` is an error rather than a silent fallback, so a demo never runs on the
    /// wrong date.
    pub fn from_env() -> Result<Clock> {
        match std::env::var_os(TODAY_VAR) {
            None => Ok(Clock::System),
            Some(value) => Clock::from_env_value(Some(&value.to_string_lossy())),
        }
    }

    /// [`Clock::from_env`] with the variable's value passed in (`None` = unset), so the parsing
    /// can be tested without touching the process environment.
    pub fn from_env_value(value: Option<&str>) -> Result<Clock> {
        let Some(value) = value else {
            return Ok(Clock::System);
        };
        NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .map(Clock::Fixed)
            .map_err(|_| Error::InvalidTodayOverride {
                var: TODAY_VAR,
                value: value.to_owned(),
            })
    }

    /// Today's date.
    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::System => Local::now().date_naive(),
            Clock::Fixed(date) => *date,
        }
    }
}
