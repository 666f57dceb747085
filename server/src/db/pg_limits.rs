//! [`PgLimits`]: the rate limits kept in PostgreSQL (`sv_rate`), so that replicas share one
//! budget per guest and one for everyone instead of each allowing the full limit.
//!
//! The algorithm is GCRA, as governor's in-memory limiter: a key's "theoretical arrival time"
//! (TAT, in microseconds) advances by the emission interval `T` per allowed message, and a message is allowed
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
    /// `T`, in microseconds: fine enough that limits up to a million a second come out as
    /// configured.
    fn interval_us(self) -> i64 {
        (self.window_us() / i64::from(self.limit.max(1))).max(1)
    }

    fn window_us(self) -> i64 {
        i64::try_from(self.window.as_micros()).unwrap_or(i64::MAX)
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

    /// Takes one message of `guest` out of their budget, then out of everyone's, stopping at
    /// the first that refuses it (what the guest's took stays taken, as with in-memory limits).
    /// A refusal says whether it is the guest's first since they were last allowed (they get
    /// one notice) and how long the refusing budget needs. One transaction whose commit does
    /// not wait for the disk: the counters are not worth an fsync, and everyone's budget is
    /// one row every message locks, so commits waiting for the disk would make all messages
    /// take turns at disk speed.
    pub(crate) async fn take(
        &self,
        guest: &str,
        per_guest: Budget,
        everyone: (&str, Budget),
    ) -> Result<Taken, Error> {
        let mut client = self.pool.get().await.map_err(|e| self.fail(e))?;
        let taken: Result<Taken, tokio_postgres::Error> = async {
            let tx = client.transaction().await?;
            tx.batch_execute("SET LOCAL synchronous_commit TO OFF")
                .await?;
            for (key, budget) in [(guest, per_guest), everyone] {
                let (t, window) = (budget.interval_us(), budget.window_us());
                if tx
                    .query_opt(sql::TAKE, &[&key, &t, &window])
                    .await?
                    .is_some()
                {
                    continue;
                }
                let row = tx.query_one(sql::REFUSED, &[&guest, &key]).await?;
                tx.commit().await?;
                let (was_notified, tat, now): (bool, i64, i64) =
                    (row.get(0), row.get(1), row.get(2));
                let wait_us = (tat.max(now) + t - now - window).max(0);
                return Ok(Taken::Refused {
                    notify: !was_notified,
                    wait: Duration::from_micros(wait_us as u64),
                });
            }
            tx.execute(sql::UNNOTIFY, &[&guest]).await?;
            tx.commit().await?;
            Ok(Taken::Allowed)
        }
        .await;
        taken.map_err(|e| self.fail(e))
    }
}
