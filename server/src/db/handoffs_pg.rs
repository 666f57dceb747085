//! [`Handoffs`] on Postgres, shared by the replicas: one open handoff per guest is the partial
//! unique index's to keep, so two replicas opening one at once get the same.

use async_trait::async_trait;

use super::PgQueue;
use super::handoffs::{Handoff, HandoffQuery, Handoffs, contains, handoff_from};
use crate::Error;

const OPEN: &str = "INSERT INTO sv_handoffs (channel, user_id, reason, opened_ms, last_guest_ms)
    VALUES ($1, $2, $3, $4, $4)
    ON CONFLICT (channel, user_id) WHERE closed_ms IS NULL DO NOTHING
    RETURNING id";

const OPEN_ONE: &str =
    "SELECT id FROM sv_handoffs WHERE channel = $1 AND user_id = $2 AND closed_ms IS NULL";

const GUEST_WROTE: &str = "UPDATE sv_handoffs SET last_guest_ms = GREATEST(last_guest_ms, $3)
    WHERE channel = $1 AND user_id = $2 AND closed_ms IS NULL";

const SEARCH: &str = "SELECT id, channel, user_id, reason, opened_ms, last_guest_ms, closed_ms,
        closed_by, note
    FROM sv_handoffs
    WHERE ($1::BOOLEAN IS NULL OR (closed_ms IS NULL) = $1)
        AND ($2::TEXT IS NULL OR user_id LIKE $2)
        AND ($3::TEXT IS NULL OR channel = $3)
    ORDER BY opened_ms DESC, id DESC LIMIT $4 OFFSET $5";

const ONE: &str = "SELECT id, channel, user_id, reason, opened_ms, last_guest_ms, closed_ms,
        closed_by, note
    FROM sv_handoffs WHERE id = $1";

const CLOSE: &str = "UPDATE sv_handoffs SET closed_ms = $2, closed_by = $3, note = $4
    WHERE id = $1 AND closed_ms IS NULL";

/// Every statement above, for the statements check.
pub(super) const ALL: &[&str] = &[OPEN, OPEN_ONE, GUEST_WROTE, SEARCH, ONE, CLOSE];

#[async_trait]
impl Handoffs for PgQueue {
    async fn open_handoff(
        &self,
        channel: &str,
        user: &str,
        reason: &str,
        now_ms: i64,
    ) -> Result<(i64, bool), Error> {
        let what = "open a handoff";
        let client = self.client(what).await?;
        let inserted = client
            .query_opt(OPEN, &[&channel, &user, &reason, &now_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        if let Some(row) = inserted {
            return Ok((row.get(0), true));
        }
        let open = client
            .query_one(OPEN_ONE, &[&channel, &user])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok((open.get(0), false))
    }

    async fn guest_wrote(&self, channel: &str, user: &str, now_ms: i64) -> Result<bool, Error> {
        let what = "record a guest's message on their handoff";
        let client = self.client(what).await?;
        let rows = client
            .execute(GUEST_WROTE, &[&channel, &user, &now_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(rows > 0)
    }

    async fn handoffs(&self, query: &HandoffQuery) -> Result<Vec<Handoff>, Error> {
        let what = "search handoffs";
        let client = self.client(what).await?;
        let guest = query.guest.as_deref().map(contains);
        let rows = client
            .query(
                SEARCH,
                &[
                    &query.open,
                    &guest,
                    &query.channel,
                    &(query.limit as i64),
                    &(query.offset as i64),
                ],
            )
            .await
            .map_err(|e| self.fail(what, e))?;
        rows.iter()
            .map(|r| handoff_from(r).map_err(|e| self.fail(what, e)))
            .collect()
    }

    async fn handoff(&self, id: i64) -> Result<Option<Handoff>, Error> {
        let what = "read a handoff";
        let client = self.client(what).await?;
        let found = client
            .query_opt(ONE, &[&id])
            .await
            .map_err(|e| self.fail(what, e))?;
        found
            .map(|r| handoff_from(&r).map_err(|e| self.fail(what, e)))
            .transpose()
    }

    async fn close_handoff(
        &self,
        id: i64,
        by: &str,
        note: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, Error> {
        let what = "close a handoff";
        let client = self.client(what).await?;
        let changed = client
            .execute(CLOSE, &[&id, &now_ms, &by, &note])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(changed == 1)
    }
}
