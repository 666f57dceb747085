//! [`ConsoleStore`] in the SQLite file.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::Db;
use super::console::{
    ConsoleStore, ConversationQuery, ConversationRow, DAY_MS, DayCounts, conversations_sql,
};
use super::handoffs::contains;
use crate::Error;

#[async_trait]
impl ConsoleStore for Db {
    async fn add_staff(&self, name: &str, hash: &str, now_ms: i64) -> Result<bool, Error> {
        let (name, hash) = (name.to_owned(), hash.to_owned());
        self.call("add a staff member", move |c| {
            let added = c.execute(
                "INSERT INTO sv_staff (name, password_hash, created_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO NOTHING",
                params![name, hash, now_ms],
            )?;
            Ok(added == 1)
        })
        .await
    }

    async fn staff_hash(&self, name: &str) -> Result<Option<String>, Error> {
        let name = name.to_owned();
        self.call("read a staff member", move |c| {
            c.query_row(
                "SELECT password_hash FROM sv_staff WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    async fn open_session(
        &self,
        token_hash: &str,
        name: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), Error> {
        let (token, name) = (token_hash.to_owned(), name.to_owned());
        self.call("open a staff session", move |c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM sv_sessions WHERE expires_ms <= ?1", [now_ms])?;
            tx.execute(
                "INSERT INTO sv_sessions (token_hash, staff, created_ms, expires_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                params![token, name, now_ms, expires_ms],
            )?;
            tx.commit()
        })
        .await
    }

    async fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<String>, Error> {
        let token = token_hash.to_owned();
        self.call("read a staff session", move |c| {
            c.query_row(
                "SELECT staff FROM sv_sessions WHERE token_hash = ?1 AND expires_ms > ?2",
                params![token, now_ms],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    async fn close_session(&self, token_hash: &str) -> Result<(), Error> {
        let token = token_hash.to_owned();
        self.call("end a staff session", move |c| {
            c.execute("DELETE FROM sv_sessions WHERE token_hash = ?1", [token])
                .map(drop)
        })
        .await
    }

    async fn guest_message(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        at_ms: i64,
    ) -> Result<(), Error> {
        let (channel, user, text) = (channel.to_owned(), user.to_owned(), text.to_owned());
        self.call("record a guest's message", move |c| {
            c.execute(
                "INSERT INTO sv_messages (channel, user_id, at_ms, text) VALUES (?1, ?2, ?3, ?4)",
                params![channel, user, at_ms, text],
            )
            .map(drop)
        })
        .await
    }

    async fn last_guest_message(&self, channel: &str, user: &str) -> Result<Option<i64>, Error> {
        let (channel, user) = (channel.to_owned(), user.to_owned());
        self.call("read when a guest last wrote", move |c| {
            c.query_row(
                "SELECT MAX(at_ms) FROM sv_messages WHERE channel = ?1 AND user_id = ?2",
                params![channel, user],
                |r| r.get(0),
            )
        })
        .await
    }

    async fn conversations(
        &self,
        query: &ConversationQuery,
    ) -> Result<Vec<ConversationRow>, Error> {
        let q = query.clone();
        self.call("list conversations", move |c| {
            // SQLite's LIKE ignores ASCII case already.
            let sql = conversations_sql(|i| format!("?{i}"), "LIKE", " ESCAPE '\\'");
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![
                    q.channel,
                    q.guest.as_deref().map(contains),
                    q.text.as_deref().map(contains),
                    q.status.map(|s| s.as_str()),
                    q.active_since_ms,
                    q.limit as i64,
                    q.offset as i64,
                ],
                |r| {
                    Ok(ConversationRow {
                        channel: r.get(0)?,
                        user: r.get(1)?,
                        last_ms: r.get(2)?,
                        messages: r.get(3)?,
                        last_text: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                        handoff: r.get(5)?,
                    })
                },
            )?;
            rows.collect()
        })
        .await
    }

    async fn per_day(&self, from_ms: i64) -> Result<Vec<DayCounts>, Error> {
        self.call("count messages and handoffs per day", move |c| {
            let counts = |sql: &str| -> rusqlite::Result<Vec<(i64, i64)>> {
                let mut stmt = c.prepare_cached(sql)?;
                let rows =
                    stmt.query_map(params![from_ms, DAY_MS], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect()
            };
            let messages = counts(
                "SELECT at_ms / ?2, COUNT(*) FROM sv_messages WHERE at_ms >= ?1 GROUP BY 1",
            )?;
            let handoffs = counts(
                "SELECT opened_ms / ?2, COUNT(*) FROM sv_handoffs WHERE opened_ms >= ?1 GROUP BY 1",
            )?;
            Ok(super::console::merge_days(messages, handoffs))
        })
        .await
    }

    async fn forget_messages(&self, before_ms: i64) -> Result<usize, Error> {
        self.call("forget old guest messages", move |c| {
            c.execute(
                "DELETE FROM sv_messages WHERE at_ms < ?1",
                params![before_ms],
            )
        })
        .await
    }

    async fn login_failures(&self, name_key: &str, since_ms: i64) -> Result<(i64, i64), Error> {
        let name_key = name_key.to_owned();
        self.call("read failed logins", move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT key, count FROM sv_login_failures
                 WHERE key IN (?1, 'all') AND since_ms > ?2",
            )?;
            let rows = stmt.query_map(params![name_key, since_ms], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            let mut counts = (0, 0);
            for row in rows {
                let (key, count) = row?;
                if key == "all" {
                    counts.1 = count;
                } else {
                    counts.0 = count;
                }
            }
            Ok(counts)
        })
        .await
    }

    async fn login_failed(&self, name_key: &str, now_ms: i64, since_ms: i64) -> Result<(), Error> {
        let name_key = name_key.to_owned();
        self.call("count a failed login", move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM sv_login_failures WHERE since_ms <= ?1",
                params![since_ms],
            )?;
            let mut count = tx.prepare_cached(
                "INSERT INTO sv_login_failures (key, count, since_ms) VALUES (?1, 1, ?2)
                 ON CONFLICT (key) DO UPDATE SET count = count + 1",
            )?;
            count.execute(params![name_key, now_ms])?;
            count.execute(params!["all", now_ms])?;
            drop(count);
            tx.commit()
        })
        .await
    }

    async fn login_succeeded(&self, name_key: &str) -> Result<(), Error> {
        let name_key = name_key.to_owned();
        self.call("forget failed logins", move |c| {
            c.execute(
                "DELETE FROM sv_login_failures WHERE key = ?1",
                params![name_key],
            )
            .map(drop)
        })
        .await
    }
}
