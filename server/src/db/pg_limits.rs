//! [`PgLimits`]: the rate limits kept in PostgreSQL (`sv_rate`), so that replicas share one
//! budget per guest and one for everyone instead of each allowing the full limit.
//!
//! The algorithm is GCRA, as governor's in-memory limiter: a key's "theoretical arrival time"
//! (TAT) advances by the emission interval `T` per allowed message, and a message is allowed
//! when the new TAT is at most the window ahead of now (a burst of `window / T` messages).
//! One upsert decides and records a message atomically, on the database's clock.

use std::time::Duration;

use deadpool_postgres::Pool;

use super::pg_sql as sql;
use crate::Error;

/// A key's budget: `limit` messages per `window`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) limit: u32,
    pub(crate) window: Duration,
}

impl Budget {
    fn interval_ms(self) -> i64 {
        (self.window.as_millis() as i64 / i64::from(self.limit.max(1))).max(1)
    }

    fn window_ms(self) -> i64 {
        self.window.as_millis() as i64
    }
}

/// Whether a key's message was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    /// Allowed and counted.
    Allowed,
    /// Refused: `notify` for the first refusal since the key was last allowed; `wait` until
    /// the next message would be allowed.
    Refused { notify: bool, wait: Duration },
}

/// The rate limits in `sv_rate`.
#[derive(Clone)]
pub(crate) struct PgLimits {
    pool: Pool,
    database: String,
}

impl PgLimits {
    /// The limits in `pool`'s database, whose migrations created `sv_rate`.
    pub(crate) fn new(pool: Pool, database: String) -> PgLimits {
        PgLimits { pool, database }
    }

    fn fail(&self, reason: impl std::fmt::Display) -> Error {
        Error::Database {
            database: self.database.clone(),
            reason: format!("rate limits: {reason}"),
        }
    }

    /// Takes one message for `key` out of `budget`.
    pub(crate) async fn take(&self, key: &str, budget: Budget) -> Result<Taken, Error> {
        let client = self.pool.get().await.map_err(|e| self.fail(e))?;
        let (t, window) = (budget.interval_ms(), budget.window_ms());
        let allowed = client
            .query_opt(sql::TAKE, &[&key, &t, &window])
            .await
            .map_err(|e| self.fail(e))?;
        if allowed.is_some() {
            return Ok(Taken::Allowed);
        }
        let row = client
            .query_one(sql::REFUSED, &[&key])
            .await
            .map_err(|e| self.fail(e))?;
        let (was_notified, tat, now): (bool, i64, i64) = (row.get(0), row.get(1), row.get(2));
        let wait_ms = (tat.max(now) + t - now - window).max(0);
        Ok(Taken::Refused {
            notify: !was_notified,
            wait: Duration::from_millis(wait_ms as u64),
        })
    }
}
