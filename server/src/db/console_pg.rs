//! [`ConsoleStore`] on Postgres, shared by the replicas: a session opened on one is known to
//! all of them.

use async_trait::async_trait;

use super::PgQueue;
use super::console::{
    ConsoleStore, ConversationQuery, ConversationRow, DAY_MS, DayCounts, conversations_sql,
};
use super::handoffs::contains;
use crate::Error;

const ADD_STAFF: &str = "INSERT INTO sv_staff (name, password_hash, created_ms)
    VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING";
const STAFF_HASH: &str = "SELECT password_hash FROM sv_staff WHERE name = $1";
const FORGET_SESSIONS: &str = "DELETE FROM sv_sessions WHERE expires_ms <= $1";
const OPEN_SESSION: &str = "INSERT INTO sv_sessions (token_hash, staff, created_ms, expires_ms)
    VALUES ($1, $2, $3, $4)";
const SESSION: &str = "SELECT staff FROM sv_sessions WHERE token_hash = $1 AND expires_ms > $2";
const CLOSE_SESSION: &str = "DELETE FROM sv_sessions WHERE token_hash = $1";
const GUEST_MESSAGE: &str =
    "INSERT INTO sv_messages (channel, user_id, at_ms, text) VALUES ($1, $2, $3, $4)";
const LAST_GUEST_MESSAGE: &str =
    "SELECT MAX(at_ms) FROM sv_messages WHERE channel = $1 AND user_id = $2";
const MESSAGES_PER_DAY: &str = "SELECT at_ms / $2, COUNT(*) FROM sv_messages
    WHERE at_ms >= $1 GROUP BY 1";
const HANDOFFS_PER_DAY: &str = "SELECT opened_ms / $2, COUNT(*) FROM sv_handoffs
    WHERE opened_ms >= $1 GROUP BY 1";
const FORGET_MESSAGES: &str = "DELETE FROM sv_messages WHERE at_ms < $1";
const LOGIN_FAILURES: &str = "SELECT key, count FROM sv_login_failures
    WHERE key IN ($1, 'all') AND since_ms > $2";
const FORGET_LOGIN_FAILURES: &str = "DELETE FROM sv_login_failures WHERE since_ms <= $1";
/// Both counts in one statement, so replicas counting at once never lose one.
const LOGIN_FAILED: &str = "INSERT INTO sv_login_failures (key, count, since_ms)
    VALUES ($1, 1, $2), ('all', 1, $2)
    ON CONFLICT (key) DO UPDATE SET count = sv_login_failures.count + 1";
const LOGIN_SUCCEEDED: &str = "DELETE FROM sv_login_failures WHERE key = $1";

/// The conversations query (`console::conversations_sql`) in Postgres's dialect: typed
/// parameters, and `ILIKE` for Postgres's case-sensitive `LIKE`.
fn conversations() -> String {
    let types = ["TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "BIGINT", "BIGINT"];
    let param = |i: usize| format!("${i}::{}", types.get(i - 1).copied().unwrap_or("TEXT"));
    conversations_sql(param, "ILIKE", "")
}

/// Every statement of this file, for the statements check.
pub(super) fn all() -> Vec<String> {
    let mut all: Vec<String> = FIXED.iter().map(|s| (*s).to_owned()).collect();
    all.push(conversations());
    all
}

const FIXED: &[&str] = &[
    ADD_STAFF,
    STAFF_HASH,
    FORGET_SESSIONS,
    OPEN_SESSION,
    SESSION,
    CLOSE_SESSION,
    GUEST_MESSAGE,
    LAST_GUEST_MESSAGE,
    MESSAGES_PER_DAY,
    HANDOFFS_PER_DAY,
    FORGET_MESSAGES,
    LOGIN_FAILURES,
    FORGET_LOGIN_FAILURES,
    LOGIN_FAILED,
    LOGIN_SUCCEEDED,
];

#[async_trait]
impl ConsoleStore for PgQueue {
    async fn add_staff(&self, name: &str, hash: &str, now_ms: i64) -> Result<bool, Error> {
        let what = "add a staff member";
        let client = self.client(what).await?;
        let added = client
            .execute(ADD_STAFF, &[&name, &hash, &now_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(added == 1)
    }

    async fn staff_hash(&self, name: &str) -> Result<Option<String>, Error> {
        let what = "read a staff member";
        let client = self.client(what).await?;
        let row = client
            .query_opt(STAFF_HASH, &[&name])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn open_session(
        &self,
        token_hash: &str,
        name: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), Error> {
        let what = "open a staff session";
        let mut client = self.client(what).await?;
        let tx = client.transaction().await.map_err(|e| self.fail(what, e))?;
        tx.execute(FORGET_SESSIONS, &[&now_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        tx.execute(OPEN_SESSION, &[&token_hash, &name, &now_ms, &expires_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        tx.commit().await.map_err(|e| self.fail(what, e))
    }

    async fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<String>, Error> {
        let what = "read a staff session";
        let client = self.client(what).await?;
        let row = client
            .query_opt(SESSION, &[&token_hash, &now_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn close_session(&self, token_hash: &str) -> Result<(), Error> {
        let what = "end a staff session";
        let client = self.client(what).await?;
        client
            .execute(CLOSE_SESSION, &[&token_hash])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(())
    }

    async fn guest_message(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        at_ms: i64,
    ) -> Result<(), Error> {
        let what = "record a guest's message";
        let client = self.client(what).await?;
        client
            .execute(GUEST_MESSAGE, &[&channel, &user, &at_ms, &text])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(())
    }

    async fn last_guest_message(&self, channel: &str, user: &str) -> Result<Option<i64>, Error> {
        let what = "read when a guest last wrote";
        let client = self.client(what).await?;
        let row = client
            .query_one(LAST_GUEST_MESSAGE, &[&channel, &user])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(row.get(0))
    }

    async fn conversations(
        &self,
        query: &ConversationQuery,
    ) -> Result<Vec<ConversationRow>, Error> {
        let what = "list conversations";
        let client = self.client(what).await?;
        let (guest, text) = (
            query.guest.as_deref().map(contains),
            query.text.as_deref().map(contains),
        );
        let status = query.status.map(|s| s.as_str());
        let rows = client
            .query(
                &conversations(),
                &[
                    &query.channel,
                    &guest,
                    &text,
                    &status,
                    &query.active_since_ms,
                    &(query.limit as i64),
                    &(query.offset as i64),
                ],
            )
            .await
            .map_err(|e| self.fail(what, e))?;
        rows.iter()
            .map(|r| {
                Ok(ConversationRow {
                    channel: r.try_get(0)?,
                    user: r.try_get(1)?,
                    last_ms: r.try_get(2)?,
                    messages: r.try_get(3)?,
                    last_text: r.try_get::<_, Option<String>>(4)?.unwrap_or_default(),
                    handoff: r.try_get(5)?,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()
            .map_err(|e| self.fail(what, e))
    }

    async fn per_day(&self, from_ms: i64) -> Result<Vec<DayCounts>, Error> {
        let what = "count messages and handoffs per day";
        let client = self.client(what).await?;
        let mut both = Vec::new();
        for sql in [MESSAGES_PER_DAY, HANDOFFS_PER_DAY] {
            let rows = client
                .query(sql, &[&from_ms, &DAY_MS])
                .await
                .map_err(|e| self.fail(what, e))?;
            let counts = rows
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<(i64, i64)>, tokio_postgres::Error>>()
                .map_err(|e| self.fail(what, e))?;
            both.push(counts);
        }
        let handoffs = both.pop().unwrap_or_default();
        let messages = both.pop().unwrap_or_default();
        Ok(super::console::merge_days(messages, handoffs))
    }

    async fn forget_messages(&self, before_ms: i64) -> Result<usize, Error> {
        let what = "forget old guest messages";
        let client = self.client(what).await?;
        let deleted = client
            .execute(FORGET_MESSAGES, &[&before_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
    }

    async fn login_failures(&self, name_key: &str, since_ms: i64) -> Result<(i64, i64), Error> {
        let what = "read failed logins";
        let client = self.client(what).await?;
        let rows = client
            .query(LOGIN_FAILURES, &[&name_key, &since_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        let mut counts = (0, 0);
        for row in rows {
            let key: String = row.try_get(0).map_err(|e| self.fail(what, e))?;
            let count: i64 = row.try_get(1).map_err(|e| self.fail(what, e))?;
            if key == "all" {
                counts.1 = count;
            } else {
                counts.0 = count;
            }
        }
        Ok(counts)
    }

    async fn login_failed(&self, name_key: &str, now_ms: i64, since_ms: i64) -> Result<(), Error> {
        let what = "count a failed login";
        let client = self.client(what).await?;
        client
            .execute(FORGET_LOGIN_FAILURES, &[&since_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        client
            .execute(LOGIN_FAILED, &[&name_key, &now_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(())
    }

    async fn login_succeeded(&self, name_key: &str) -> Result<(), Error> {
        let what = "forget failed logins";
        let client = self.client(what).await?;
        client
            .execute(LOGIN_SUCCEEDED, &[&name_key])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(())
    }
}
