//! [`Db`], the server's tables in the SQLite file, beside the bookings (`hb_*`) and
//! checkpoints (`gc_*`): one process serves the file, so a guest's lease is an entry in this
//! process's set of busy guests.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::sqlite_schema::migrate;
use super::{
    Answered, Guest, InboxState, NewMessage, OutboxDepth, OutboxState, Outgoing, Pending, Queue,
    Reply,
};
use crate::Error;
use crate::meta::form::Form;
use crate::meta::{Channel, DeliveryFailure};

/// The server's tables. Cloning shares the connection.
#[derive(Clone)]
pub(crate) struct Db {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
    /// The guests being answered: the leases, in this one process.
    busy: Arc<Mutex<HashSet<Guest>>>,
}

impl Db {
    /// Opens (and creates) the tables in the SQLite file at `path`; every commit is synced to
    /// the disk before it returns (a webhook is answered only once its messages are).
    pub(crate) fn open(path: &Path) -> Result<Db, Error> {
        Db::connect(path, "FULL")
    }

    /// A second connection to the same file whose commits survive the process being killed
    /// but may be lost, the newest few, when the machine loses power (SQLite's WAL with
    /// `synchronous = NORMAL`): for the Agent Protocol's run records and events, where a sync
    /// per write would cap the runs per second, and where a power cut costs at most the record
    /// of the last runs (their threads' states are in the checkpoints, synced as ever).
    pub(crate) fn open_relaxed(path: &Path) -> Result<Db, Error> {
        Db::connect(path, "NORMAL")
    }

    fn connect(path: &Path, synchronous: &str) -> Result<Db, Error> {
        let fail = |e: rusqlite::Error| Error::Database {
            database: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(fail)?;
        migrate(&mut conn, path)?;
        Ok(Db {
            path: path.to_owned(),
            conn: Arc::new(Mutex::new(conn)),
            busy: Arc::default(),
        })
    }

    /// Runs `f` on the connection on the blocking pool.
    pub(crate) async fn call<T: Send + 'static>(
        &self,
        what: &'static str,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, Error> {
        let conn = Arc::clone(&self.conn);
        let path = self.path.clone();
        let failed = move |reason: String| Error::Database {
            database: path.display().to_string(),
            reason: format!("{what}: {reason}"),
        };
        match tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn)
        })
        .await
        {
            Ok(result) => result.map_err(|e| failed(e.to_string())),
            Err(join) => Err(failed(join.to_string())),
        }
    }
}

#[async_trait]
impl Queue for Db {
    /// Whether the database answers.
    async fn ping(&self) -> Result<(), Error> {
        self.call("ping", |c| c.query_row("SELECT 1", [], |_| Ok(())))
            .await
    }

    /// Stores `messages` in one transaction and hands each back with whether it is new
    /// (false: a redelivery).
    async fn stored_already(
        &self,
        channel: Channel,
        message_ids: Vec<String>,
    ) -> Result<HashSet<String>, Error> {
        self.call("look up received messages", move |c| {
            let mut stmt =
                c.prepare_cached("SELECT 1 FROM sv_inbox WHERE channel = ?1 AND message_id = ?2")?;
            let mut stored = HashSet::new();
            for id in message_ids {
                if stmt.exists(params![channel.as_str(), id])? {
                    stored.insert(id);
                }
            }
            Ok(stored)
        })
        .await
    }

    async fn receive(
        &self,
        messages: Vec<NewMessage>,
        now_ms: i64,
    ) -> Result<Vec<(NewMessage, bool)>, Error> {
        self.call("store received messages", move |c| {
            let tx = c.transaction()?;
            let mut new = Vec::with_capacity(messages.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO sv_inbox (channel, message_id, user_id, kind, text,
                         sent_at_ms, received_at_ms, correlation, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                // What the guest wrote, for the staff console, stored with the message so
                // neither is kept without the other.
                let mut keep = tx.prepare_cached(
                    "INSERT INTO sv_messages (channel, user_id, at_ms, text) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for m in &messages {
                    let changed = insert.execute(params![
                        m.channel.as_str(),
                        m.message_id,
                        m.user,
                        m.kind,
                        m.text,
                        m.sent_at_ms,
                        now_ms,
                        m.correlation,
                        m.state,
                    ])?;
                    if changed == 1 {
                        keep.execute(params![m.channel.as_str(), m.user, now_ms, m.shown()])?;
                    }
                    new.push(changed == 1);
                }
            }
            tx.commit()?;
            Ok(messages.into_iter().zip(new).collect())
        })
        .await
    }

    async fn claim_guests(&self, limit: usize) -> Result<Vec<Guest>, Error> {
        let waiting = self
            .call("read the guests waiting", move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT channel, user_id FROM sv_inbox WHERE state = ?1
                     GROUP BY channel, user_id ORDER BY MIN(seq)",
                )?;
                // A channel this build does not know cannot be answered; its rows stay stored.
                let rows = stmt.query_map([InboxState::Pending], |r| {
                    let (channel, user): (String, String) = (r.get(0)?, r.get(1)?);
                    Ok(Channel::parse(&channel).map(|channel| Guest { channel, user }))
                })?;
                rows.filter_map(Result::transpose)
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        Ok(waiting
            .into_iter()
            .filter(|guest| busy.insert(guest.clone()))
            .take(limit)
            .collect())
    }

    async fn pending_of(&self, guest: &Guest) -> Result<Vec<Pending>, Error> {
        let guest = guest.clone();
        self.call("read pending messages", move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, message_id, kind, text, correlation, attempts
                 FROM sv_inbox WHERE state = ?1 AND channel = ?2 AND user_id = ?3
                 ORDER BY sent_at_ms, seq",
            )?;
            let rows = stmt.query_map(
                params![InboxState::Pending, guest.channel.as_str(), guest.user],
                |r| {
                    Ok(Pending {
                        seq: r.get(0)?,
                        channel: guest.channel,
                        message_id: r.get(1)?,
                        user: guest.user.clone(),
                        kind: r.get(2)?,
                        text: r.get(3)?,
                        correlation: r.get(4)?,
                        attempts: r.get(5)?,
                    })
                },
            )?;
            rows.collect()
        })
        .await
    }

    async fn renew(&self, _guest: &Guest) -> Result<bool, Error> {
        // Nothing else takes a guest from this process.
        Ok(true)
    }

    async fn release(&self, guest: &Guest) -> Result<(), Error> {
        self.busy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(guest);
        Ok(())
    }

    /// Marks message `seq` handled ([`InboxState::Done`] or [`InboxState::Failed`]) and
    /// queues its `reply`, in one transaction: a reply is never lost nor queued twice.
    async fn hold(&self, _: &str, _: &str, _: std::time::Duration) -> Result<bool, Error> {
        Ok(true)
    }

    async fn renew_hold(&self, _: &str, _: &str) -> Result<bool, Error> {
        Ok(true)
    }

    async fn unhold(&self, _: &str, _: &str) -> Result<(), Error> {
        Ok(())
    }

    async fn answer(
        &self,
        seq: i64,
        state: InboxState,
        detail: Option<String>,
        reply: Reply,
        now_ms: i64,
    ) -> Result<Answered, Error> {
        self.call("store a reply", move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE sv_inbox SET state = ?2, detail = ?3 WHERE seq = ?1",
                params![seq, state, detail],
            )?;
            queue(&tx, &reply, now_ms)?;
            tx.commit()
        })
        .await?;
        Ok(Answered::Stored)
    }

    /// Counts a failed attempt at message `seq`.
    async fn attempt_failed(&self, seq: i64, detail: String) -> Result<(), Error> {
        self.call("count a failed attempt", move |c| {
            c.execute(
                "UPDATE sv_inbox SET attempts = attempts + 1, detail = ?2 WHERE seq = ?1",
                params![seq, detail],
            )
            .map(|_| ())
        })
        .await
    }

    /// Queues a `reply` not tied to an inbox message (the rate-limit notice).
    async fn send_later(&self, reply: Reply, now_ms: i64) -> Result<(), Error> {
        self.call("queue a reply", move |c| {
            let tx = c.transaction()?;
            queue(&tx, &reply, now_ms)?;
            tx.commit()
        })
        .await
    }

    // One sender per process reads and sends in turn, so what it read is its claim.
    async fn claim_due(&self, now_ms: i64, limit: usize) -> Result<Vec<Outgoing>, Error> {
        self.call("read due replies", move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, channel, recipient, text, correlation, attempts, form FROM sv_outbox o
                 WHERE state = ?3 AND next_attempt_ms <= ?1
                   AND NOT EXISTS (SELECT 1 FROM sv_outbox p
                       WHERE p.state = ?3 AND p.channel = o.channel
                         AND p.recipient = o.recipient AND p.id < o.id)
                 ORDER BY id LIMIT ?2",
            )?;
            let rows =
                stmt.query_map(params![now_ms, limit as i64, OutboxState::Pending], |r| {
                    let Some(channel) = Channel::parse(&r.get::<_, String>(1)?) else {
                        return Ok(None);
                    };
                    Ok(Some(Outgoing {
                        id: r.get(0)?,
                        channel,
                        recipient: r.get(2)?,
                        text: r.get(3)?,
                        correlation: r.get(4)?,
                        attempts: r.get(5)?,
                        form: Form::from_stored(r.get::<_, Option<String>>(6)?.as_deref()),
                    }))
                })?;
            rows.filter_map(Result::transpose).collect()
        })
        .await
    }

    /// Records that part `id` was sent.
    async fn sent(&self, id: i64, remote_id: String, now_ms: i64) -> Result<(), Error> {
        self.call("record a sent reply", move |c| {
            c.execute(
                "UPDATE sv_outbox SET state = ?4, attempts = attempts + 1, done_ms = ?2,
                     remote_id = ?3, last_error = NULL WHERE id = ?1",
                params![id, now_ms, remote_id, OutboxState::Sent],
            )
            .map(|_| ())
        })
        .await
    }

    /// Records a failed attempt at part `id`: tried again at `retry_at_ms`, or dropped when
    /// `None`.
    async fn send_failed(
        &self,
        id: i64,
        reason: String,
        retry_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<(), Error> {
        self.call("record a failed send", move |c| {
            match retry_at_ms {
                Some(at) => c.execute(
                    "UPDATE sv_outbox SET attempts = attempts + 1, next_attempt_ms = ?2,
                         last_error = ?3 WHERE id = ?1",
                    params![id, at, reason],
                ),
                None => c.execute(
                    "UPDATE sv_outbox SET state = ?4, attempts = attempts + 1,
                         done_ms = ?2, last_error = ?3 WHERE id = ?1",
                    params![id, now_ms, reason, OutboxState::Dropped],
                ),
            }
            .map(|_| ())
        })
        .await
    }

    /// How many parts wait to be sent, since when, and when the next one is due.
    async fn depth(&self) -> Result<OutboxDepth, Error> {
        self.call("measure the outbox", |c| {
            c.query_row(
                "SELECT COUNT(*), MIN(created_ms), MIN(next_attempt_ms) FROM sv_outbox
                 WHERE state = ?1",
                [OutboxState::Pending],
                |r| {
                    Ok(OutboxDepth {
                        pending: r.get(0)?,
                        oldest_created_ms: r.get(1)?,
                        next_due_ms: r.get(2)?,
                    })
                },
            )
        })
        .await
    }

    /// Records a failed-delivery status (once per message).
    async fn delivery_failed(
        &self,
        channel: Channel,
        failure: DeliveryFailure,
        now_ms: i64,
    ) -> Result<(), Error> {
        self.call("record a failed delivery", move |c| {
            c.execute(
                "INSERT OR IGNORE INTO sv_delivery_failures
                     (channel, message_id, recipient, code, detail, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    channel.as_str(),
                    failure.message_id,
                    failure.recipient,
                    failure.code,
                    failure.detail,
                    now_ms
                ],
            )
            .map(|_| ())
        })
        .await
    }

    /// Deletes handled messages and finished parts older than `before_ms`.
    async fn prune(&self, before_ms: i64) -> Result<usize, Error> {
        self.call("prune old rows", move |c| {
            let inbox = c.execute(
                "DELETE FROM sv_inbox WHERE state != ?2 AND received_at_ms < ?1",
                params![before_ms, InboxState::Pending],
            )?;
            let outbox = c.execute(
                "DELETE FROM sv_outbox WHERE state != ?2 AND created_ms < ?1",
                params![before_ms, OutboxState::Pending],
            )?;
            Ok(inbox + outbox)
        })
        .await
    }
}

pub(super) fn queue(
    tx: &rusqlite::Transaction<'_>,
    reply: &Reply,
    now_ms: i64,
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO sv_outbox (channel, recipient, text, correlation, state, next_attempt_ms,
             created_ms, form)
         VALUES (?1, ?2, ?3, ?4, ?6, ?5, ?5, ?7)",
    )?;
    let form = reply.form.stored();
    for part in &reply.parts {
        insert.execute(params![
            reply.channel.as_str(),
            reply.recipient,
            part,
            reply.correlation,
            now_ms,
            OutboxState::Pending,
            form,
        ])?;
    }
    Ok(())
}
