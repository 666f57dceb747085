//! [`PgJobs`], the scheduler's jobs and the opt-outs on PostgreSQL, shared by the replicas:
//! due jobs are claimed with `FOR UPDATE SKIP LOCKED` (claimers never wait on each other) and a
//! claim lease on the database's clock, and a job is finished only while this replica's claim
//! holds (`sql::FINISH`), so two replicas never both queue a job's message. Every statement is
//! named in `db/jobs_pg_sql.rs` and listed in its `ALL`, which the statements test prepares
//! (`PgQueue::check_statements`).

use std::time::Duration;

use async_trait::async_trait;

use super::PgQueue;
use super::jobs::{Finished, Job, Jobs, NewJob, Outcome, Record, message};
use super::jobs_pg_sql as sql;
use super::pg::queue;
use crate::Error;

/// The scheduler's jobs on PostgreSQL. Cloning shares the pool.
#[derive(Clone)]
pub(crate) struct PgJobs {
    /// The queue's pool, and its name for this process in claims.
    queue: PgQueue,
    /// How long a claim holds: longer than a job runs (it reads a few rows), so a live
    /// replica's job is never taken over; a dead replica's jobs wait this long.
    claim: Duration,
}

impl PgJobs {
    /// The jobs beside `queue` (whose migrations made the tables), claimed for `claim` at a
    /// time.
    pub(crate) fn new(queue: PgQueue, claim: Duration) -> PgJobs {
        PgJobs { queue, claim }
    }

    /// Runs one statement that changes rows; how many.
    async fn execute(
        &self,
        what: &str,
        statement: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, Error> {
        let client = self.queue.client(what).await?;
        client
            .execute(statement, params)
            .await
            .map_err(|e| self.queue.fail(what, e))
    }
}

#[async_trait]
impl Jobs for PgJobs {
    async fn schedule(&self, job: NewJob, now_ms: i64) -> Result<(), Error> {
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
            [&job.kind, &job.key, &job.payload, &job.due_ms, &now_ms];
        self.execute("schedule a job", sql::SCHEDULE, &params)
            .await
            .map(|_| ())
    }

    async fn claim_due(
        &self,
        now_ms: i64,
        kinds: &[&str],
        limit: usize,
    ) -> Result<Vec<Job>, Error> {
        let what = "claim due jobs";
        let client = self.queue.client(what).await?;
        let rows = client
            .query(
                sql::CLAIM_DUE,
                &[
                    &&*self.queue.owner,
                    &now_ms,
                    &(limit as i64),
                    &(self.claim.as_millis() as f64),
                    &kinds,
                ],
            )
            .await
            .map_err(|e| self.queue.fail(what, e))?;
        let mut jobs: Vec<Job> = rows
            .into_iter()
            .map(|row| Job {
                id: row.get(0),
                kind: row.get(1),
                key: row.get(2),
                payload: row.get(3),
                due_ms: row.get(4),
                attempts: row.get(5),
            })
            .collect();
        jobs.sort_by_key(|job| (job.due_ms, job.id));
        Ok(jobs)
    }

    async fn finish(
        &self,
        job: &Job,
        outcome: Outcome,
        now_ms: i64,
        queued_ms: i64,
    ) -> Result<Finished, Error> {
        let what = "finish a job";
        let mut client = self.queue.client(what).await?;
        let finished: Result<Finished, tokio_postgres::Error> = async {
            let tx = client.transaction().await?;
            let reply = message(&outcome);
            // Read in the finishing transaction: an opt-out committed before it wins.
            let out = match reply {
                Some(reply) => tx
                    .query_opt(sql::OPTED_OUT, &[&reply.channel.as_str(), &reply.recipient])
                    .await?
                    .is_some(),
                None => false,
            };
            let record = Record::of(&outcome, out, now_ms);
            let written = tx
                .execute(
                    sql::FINISH,
                    &[
                        &job.id,
                        &&*self.queue.owner,
                        &record.state.as_str(),
                        &record.attempts,
                        &record.due_ms,
                        &record.last_error,
                        &record.detail,
                        &record.done_ms,
                    ],
                )
                .await?;
            if written == 0 {
                tx.rollback().await?;
                return Ok(Finished::ClaimLost);
            }
            if let Some(reply) = reply.filter(|_| !out) {
                queue(&tx, reply, queued_ms).await?;
            }
            tx.commit().await?;
            Ok(if out {
                Finished::OptedOut
            } else {
                Finished::Stored
            })
        }
        .await;
        finished.map_err(|e| self.queue.fail(what, e))
    }

    async fn last_heard(&self, channel: &str, user: &str) -> Result<Option<i64>, Error> {
        let what = "read when a guest last wrote";
        let client = self.queue.client(what).await?;
        let row = client
            .query_one(sql::LAST_HEARD, &[&channel, &user])
            .await
            .map_err(|e| self.queue.fail(what, e))?;
        Ok(row.get(0))
    }

    async fn set_opt_out(
        &self,
        channel: &str,
        user: &str,
        out: bool,
        now_ms: i64,
    ) -> Result<(), Error> {
        let what = "record an opt-out";
        if out {
            self.execute(what, sql::OPT_OUT, &[&channel, &user, &now_ms])
                .await
        } else {
            self.execute(what, sql::OPT_IN, &[&channel, &user]).await
        }
        .map(|_| ())
    }

    async fn opted_out(&self, channel: &str, user: &str) -> Result<bool, Error> {
        let what = "read an opt-out";
        let client = self.queue.client(what).await?;
        let row = client
            .query_opt(sql::OPTED_OUT, &[&channel, &user])
            .await
            .map_err(|e| self.queue.fail(what, e))?;
        Ok(row.is_some())
    }

    async fn prune(&self, before_ms: i64) -> Result<usize, Error> {
        self.execute("prune old jobs", sql::PRUNE, &[&before_ms])
            .await
            .map(|n| n as usize)
    }

    async fn undelivered(&self, key: &str, reason: &str) -> Result<(), Error> {
        let reason = format!("the outbox dropped its message: {reason}");
        self.execute(
            "record an undelivered job",
            sql::UNDELIVERED,
            &[&key, &reason],
        )
        .await
        .map(drop)
    }
}
