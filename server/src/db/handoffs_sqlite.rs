//! [`Handoffs`] in the SQLite file.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::Db;
use super::handoffs::{COLUMNS, Handoff, HandoffQuery, Handoffs, contains, handoff_from};
use crate::Error;

// rusqlite wants a function over rows of every lifetime: the shared decoder, named for it.
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Handoff> {
    handoff_from(r)
}

#[async_trait]
impl Handoffs for Db {
    async fn open_handoff(
        &self,
        channel: &str,
        user: &str,
        reason: &str,
        now_ms: i64,
    ) -> Result<(i64, bool), Error> {
        let (channel, user, reason) = (channel.to_owned(), user.to_owned(), reason.to_owned());
        self.call("open a handoff", move |c| {
            let tx = c.transaction()?;
            let open: Option<i64> = tx
                .query_row(
                    "SELECT id FROM sv_handoffs
                     WHERE channel = ?1 AND user_id = ?2 AND closed_ms IS NULL",
                    params![channel, user],
                    |r| r.get(0),
                )
                .optional()?;
            let opened = match open {
                Some(id) => (id, false),
                None => {
                    tx.execute(
                        "INSERT INTO sv_handoffs (channel, user_id, reason, opened_ms,
                             last_guest_ms)
                         VALUES (?1, ?2, ?3, ?4, ?4)",
                        params![channel, user, reason, now_ms],
                    )?;
                    (tx.last_insert_rowid(), true)
                }
            };
            tx.commit()?;
            Ok(opened)
        })
        .await
    }

    async fn guest_wrote(&self, channel: &str, user: &str, now_ms: i64) -> Result<bool, Error> {
        let (channel, user) = (channel.to_owned(), user.to_owned());
        self.call("record a guest's message on their handoff", move |c| {
            c.execute(
                "UPDATE sv_handoffs SET last_guest_ms = MAX(last_guest_ms, ?3)
                 WHERE channel = ?1 AND user_id = ?2 AND closed_ms IS NULL",
                params![channel, user, now_ms],
            )
            .map(|rows| rows > 0)
        })
        .await
    }

    async fn handoffs(&self, query: &HandoffQuery) -> Result<Vec<Handoff>, Error> {
        let query = query.clone();
        self.call("search handoffs", move |c| {
            let sql = format!(
                "SELECT {COLUMNS} FROM sv_handoffs
                 WHERE (?1 IS NULL OR (closed_ms IS NULL) = ?1)
                   AND (?2 IS NULL OR user_id LIKE ?2 ESCAPE '\\')
                   AND (?3 IS NULL OR channel = ?3)
                 ORDER BY opened_ms DESC, id DESC LIMIT ?4 OFFSET ?5"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![
                    query.open,
                    query.guest.as_deref().map(contains),
                    query.channel,
                    query.limit as i64,
                    query.offset as i64,
                ],
                row,
            )?;
            rows.collect()
        })
        .await
    }

    async fn handoff(&self, id: i64) -> Result<Option<Handoff>, Error> {
        self.call("read a handoff", move |c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM sv_handoffs WHERE id = ?1"),
                [id],
                row,
            )
            .optional()
        })
        .await
    }

    async fn close_handoff(
        &self,
        id: i64,
        by: &str,
        note: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, Error> {
        let (by, note) = (by.to_owned(), note.map(str::to_owned));
        self.call("close a handoff", move |c| {
            let changed = c.execute(
                "UPDATE sv_handoffs SET closed_ms = ?2, closed_by = ?3, note = ?4
                 WHERE id = ?1 AND closed_ms IS NULL",
                params![id, now_ms, by, note],
            )?;
            Ok(changed == 1)
        })
        .await
    }
}
