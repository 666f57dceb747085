//! [`SqliteJobs`], the scheduler's jobs and the opt-outs in the SQLite file: one process serves
//! the file, so a job's claim is an entry in this process's set of jobs being run (as a guest's
//! lease is in [`super::Db`]); a crash forgets it, and the restarted process runs the job.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::params;

use super::Db;
use super::jobs::{Finished, Job, JobState, Jobs, NewJob, Outcome, Record, message};
use super::sqlite::queue;
use crate::Error;

/// The jobs in the SQLite file. Cloning shares the connection and the claims.
#[derive(Clone)]
pub(crate) struct SqliteJobs {
    db: Db,
    /// The jobs being run: the claims, in this one process.
    busy: Arc<Mutex<HashSet<i64>>>,
}

impl SqliteJobs {
    /// The jobs in `db`'s file (its migrations made the tables).
    pub(crate) fn new(db: Db) -> SqliteJobs {
        SqliteJobs {
            db,
            busy: Arc::default(),
        }
    }

    fn busy(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.busy.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn opted_out(c: &rusqlite::Connection, channel: &str, user: &str) -> rusqlite::Result<bool> {
    c.prepare_cached("SELECT 1 FROM sv_optouts WHERE channel = ?1 AND user_id = ?2")?
        .exists(params![channel, user])
}

#[async_trait]
impl Jobs for SqliteJobs {
    async fn schedule(&self, job: NewJob, now_ms: i64) -> Result<(), Error> {
        self.db
            .call("schedule a job", move |c| {
                c.execute(
                    "INSERT INTO sv_jobs (kind, key, payload, due_ms, state, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (key) DO UPDATE SET due_ms = excluded.due_ms,
                         payload = excluded.payload
                     WHERE sv_jobs.state = ?5",
                    params![
                        job.kind,
                        job.key,
                        job.payload,
                        job.due_ms,
                        JobState::Pending.as_str(),
                        now_ms
                    ],
                )
                .map(|_| ())
            })
            .await
    }

    async fn claim_due(
        &self,
        now_ms: i64,
        kinds: &[&str],
        limit: usize,
    ) -> Result<Vec<Job>, Error> {
        // Jobs being run are still pending: read past them.
        let skip = self.busy().len();
        let due = self
            .db
            .call("read due jobs", move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT id, kind, key, payload, due_ms, attempts FROM sv_jobs
                     WHERE state = ?1 AND due_ms <= ?2 ORDER BY due_ms, id LIMIT ?3",
                )?;
                let rows = stmt.query_map(
                    params![JobState::Pending.as_str(), now_ms, (limit + skip) as i64],
                    |r| {
                        Ok(Job {
                            id: r.get(0)?,
                            kind: r.get(1)?,
                            key: r.get(2)?,
                            payload: r.get(3)?,
                            due_ms: r.get(4)?,
                            attempts: r.get(5)?,
                        })
                    },
                )?;
                rows.collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let mut busy = self.busy();
        Ok(due
            .into_iter()
            .filter(|job| kinds.contains(&job.kind.as_str()))
            .filter(|job| busy.insert(job.id))
            .take(limit)
            .collect())
    }

    async fn finish(
        &self,
        job: &Job,
        outcome: Outcome,
        now_ms: i64,
        queued_ms: i64,
    ) -> Result<Finished, Error> {
        let id = job.id;
        let result = self
            .db
            .call("finish a job", move |c| {
                let tx = c.transaction()?;
                let reply = message(&outcome);
                let out = match reply {
                    Some(reply) => opted_out(&tx, reply.channel.as_str(), &reply.recipient)?,
                    None => false,
                };
                let record = Record::of(&outcome, out, now_ms);
                tx.execute(
                    "UPDATE sv_jobs SET state = ?2, attempts = attempts + ?3,
                         due_ms = COALESCE(?4, due_ms), last_error = ?5, detail = ?6,
                         done_ms = ?7
                     WHERE id = ?1",
                    params![
                        id,
                        record.state.as_str(),
                        record.attempts,
                        record.due_ms,
                        record.last_error,
                        record.detail,
                        record.done_ms
                    ],
                )?;
                if let Some(reply) = reply.filter(|_| !out) {
                    queue(&tx, reply, queued_ms)?;
                }
                tx.commit()?;
                Ok(if out {
                    Finished::OptedOut
                } else {
                    Finished::Stored
                })
            })
            .await;
        self.busy().remove(&id);
        result
    }

    async fn last_heard(&self, channel: &str, user: &str) -> Result<Option<i64>, Error> {
        let (channel, user) = (channel.to_owned(), user.to_owned());
        self.db
            .call("read when a guest last wrote", move |c| {
                c.query_row(
                    "SELECT MAX(sent_at_ms) FROM sv_inbox WHERE channel = ?1 AND user_id = ?2",
                    params![channel, user],
                    |r| r.get(0),
                )
            })
            .await
    }

    async fn set_opt_out(
        &self,
        channel: &str,
        user: &str,
        out: bool,
        now_ms: i64,
    ) -> Result<(), Error> {
        let (channel, user) = (channel.to_owned(), user.to_owned());
        self.db
            .call("record an opt-out", move |c| {
                if out {
                    c.execute(
                        "INSERT OR IGNORE INTO sv_optouts (channel, user_id, since_ms)
                         VALUES (?1, ?2, ?3)",
                        params![channel, user, now_ms],
                    )
                } else {
                    c.execute(
                        "DELETE FROM sv_optouts WHERE channel = ?1 AND user_id = ?2",
                        params![channel, user],
                    )
                }
                .map(|_| ())
            })
            .await
    }

    async fn opted_out(&self, channel: &str, user: &str) -> Result<bool, Error> {
        let (channel, user) = (channel.to_owned(), user.to_owned());
        self.db
            .call("read an opt-out", move |c| opted_out(c, &channel, &user))
            .await
    }

    async fn prune(&self, before_ms: i64) -> Result<usize, Error> {
        self.db
            .call("prune old jobs", move |c| {
                c.execute(
                    "DELETE FROM sv_jobs WHERE state != ?2 AND done_ms < ?1",
                    params![before_ms, JobState::Pending.as_str()],
                )
            })
            .await
    }

    async fn undelivered(&self, key: &str, reason: &str) -> Result<(), Error> {
        let (key, reason) = (
            key.to_owned(),
            format!("the outbox dropped its message: {reason}"),
        );
        self.db
            .call("record an undelivered job", move |c| {
                c.execute(
                    "UPDATE sv_jobs SET state = ?3, last_error = ?2 WHERE key = ?1 AND state = ?4",
                    params![
                        key,
                        reason,
                        JobState::Failed.as_str(),
                        JobState::Done.as_str()
                    ],
                )
                .map(drop)
            })
            .await
    }
}
