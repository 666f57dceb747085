//! [`PgQueue`], the server's tables on PostgreSQL, shared by any number of replicas:
//!
//! - The inbox's unique (channel, message id) is the arbiter of redeliveries: the same webhook
//!   reaching two replicas at once is stored once (the second insert waits for the first's
//!   commit, then does nothing).
//! - A guest's messages are answered under a lease on the guest's `sv_guests` row, claimed
//!   with `FOR UPDATE SKIP LOCKED` (claimers never wait on each other), renewed while the
//!   guest is answered, given back when nothing is pending; a crashed replica's guests are
//!   taken over when its leases expire. Storing an answer is fenced: it marks the message only
//!   if it is still pending and the lease still ours, so a replica that lost the guest writes
//!   no reply, and a message is never answered twice.
//! - Reply parts are claimed the same way, each recipient's oldest first, with a claim that
//!   lapses if its replica dies mid-send (the part is then sent again: at least once).
//! - Writers `NOTIFY sv_inbox` / `sv_outbox` in their transaction; every replica `LISTEN`s on a
//!   connection of its own (`db/pg_listen.rs`) and still polls, in case one was missed.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Pool};

use super::pg_sql as sql;
use super::{
    Answered, Guest, InboxState, NewMessage, OutboxDepth, OutboxState, Outgoing, Pending, Queue,
    Reply,
};
use crate::Error;
use crate::meta::form::Form;
use crate::meta::{Channel, DeliveryFailure};

/// The shortest a reply part's claim lasts: longer than a send's timeout (15 s), so a slow send
/// is not claimed and sent again by another replica while it is still under way.
const MIN_CLAIM: Duration = Duration::from_secs(20);

/// The server's tables on PostgreSQL. Cloning shares the pool.
#[derive(Clone)]
pub(crate) struct PgQueue {
    pool: Pool,
    /// Names this process in leases and claims.
    pub(super) owner: Arc<str>,
    /// How long a guest's lease lasts unless renewed.
    lease: Duration,
    /// How long a claimed reply part waits for its sender before others may send it: twice
    /// the lease, at least [`MIN_CLAIM`].
    claim: Duration,
    /// The database as error messages name it (no password).
    database: Arc<str>,
}

impl PgQueue {
    /// Migrates the server's tables in `pool`'s database and serves them as this replica,
    /// holding guests' leases for `lease` at a time.
    pub(crate) async fn open(
        pool: Pool,
        database: String,
        lease: Duration,
    ) -> Result<PgQueue, Error> {
        super::pg_schema::migrate(&pool, &database).await?;
        let owner = format!("{}-{:08x}", std::process::id(), fastrand::u32(..));
        Ok(PgQueue {
            pool,
            owner: owner.into(),
            lease,
            claim: (lease * 2).max(MIN_CLAIM),
            database: database.into(),
        })
    }

    pub(super) fn fail(&self, what: &str, reason: impl std::fmt::Display) -> Error {
        Error::Database {
            database: self.database.to_string(),
            reason: format!("{what}: {reason}"),
        }
    }

    pub(super) async fn client(&self, what: &str) -> Result<deadpool_postgres::Object, Error> {
        self.pool.get().await.map_err(|e| self.fail(what, e))
    }

    fn lease_ms(&self) -> i64 {
        self.lease.as_millis() as i64
    }

    /// Prepares every statement of the queue, the handoffs, the scheduler's jobs, the limits
    /// and the migration (the migrations themselves aside) against the database (which checks
    /// their syntax, tables, columns and types); how many.
    pub(crate) async fn check_statements(&self) -> Result<usize, Error> {
        let what = "prepare the statements";
        let client = self.client(what).await?;
        let mut all = super::pg_schema::statements();
        all.extend(
            sql::ALL
                .iter()
                .chain(super::handoffs_pg::ALL)
                .chain(super::jobs_pg_sql::ALL)
                .map(|statement| (*statement).to_owned()),
        );
        all.extend(super::console_pg::all());
        for statement in &all {
            client
                .prepare(statement)
                .await
                .map_err(|e| self.fail(what, format!("{statement}: {e}")))?;
        }
        Ok(all.len())
    }
}

/// Queues `reply`'s parts in `tx` and notifies the senders (at commit).
pub(super) async fn queue(
    tx: &impl GenericClient,
    reply: &Reply,
    now_ms: i64,
) -> Result<(), tokio_postgres::Error> {
    let insert = tx.prepare_cached(sql::QUEUE_PART).await?;
    let form = reply.form.stored();
    for part in &reply.parts {
        tx.execute(
            &insert,
            &[
                &reply.channel.as_str(),
                &reply.recipient,
                part,
                &reply.correlation,
                &OutboxState::Pending.as_str(),
                &now_ms,
                &form,
            ],
        )
        .await?;
    }
    tx.execute(sql::NOTIFY_OUTBOX, &[]).await?;
    Ok(())
}

#[async_trait]
impl Queue for PgQueue {
    async fn ping(&self) -> Result<(), Error> {
        let client = self.client("ping").await?;
        client
            .query_one(sql::PING, &[])
            .await
            .map_err(|e| self.fail("ping", e))?;
        Ok(())
    }

    async fn stored_already(
        &self,
        channel: Channel,
        message_ids: Vec<String>,
    ) -> Result<HashSet<String>, Error> {
        let what = "look up received messages";
        let client = self.client(what).await?;
        let rows = client
            .query(sql::STORED_ALREADY, &[&channel.as_str(), &message_ids])
            .await
            .map_err(|e| self.fail(what, e))?;
        rows.iter()
            .map(|row| row.try_get(0).map_err(|e| self.fail(what, e)))
            .collect()
    }

    async fn receive(
        &self,
        messages: Vec<NewMessage>,
        now_ms: i64,
    ) -> Result<Vec<(NewMessage, bool)>, Error> {
        let what = "store received messages";
        let mut client = self.client(what).await?;
        let stored: Result<_, tokio_postgres::Error> = async {
            let tx = client.transaction().await?;
            let insert = tx.prepare_cached(sql::RECEIVE).await?;
            let guest = tx.prepare_cached(sql::ADD_GUEST).await?;
            // What the guest wrote, for the staff console, stored with the message so neither
            // is kept without the other.
            let keep = tx.prepare_cached(sql::KEEP_MESSAGE).await?;
            let mut new = vec![false; messages.len()];
            let mut pending = false;
            // In one order whatever the delivery's: two replicas storing overlapping
            // deliveries then wait on each other's rows instead of deadlocking.
            let mut order: Vec<usize> = (0..messages.len()).collect();
            order.sort_by_key(|&i| {
                let m = &messages[i];
                (m.channel, &m.user, &m.message_id)
            });
            for i in order {
                let m = &messages[i];
                let channel = m.channel.as_str();
                let inserted = tx
                    .execute(
                        &insert,
                        &[
                            &channel,
                            &m.message_id,
                            &m.user,
                            &m.kind.as_str(),
                            &m.text,
                            &m.sent_at_ms,
                            &now_ms,
                            &m.correlation,
                            &m.state.as_str(),
                        ],
                    )
                    .await?
                    == 1;
                if inserted {
                    let shown = m.shown();
                    tx.execute(&keep, &[&channel, &m.user, &now_ms, &shown])
                        .await?;
                }
                if inserted && m.state == InboxState::Pending {
                    tx.execute(&guest, &[&channel, &m.user, &now_ms]).await?;
                    pending = true;
                }
                new[i] = inserted;
            }
            if pending {
                tx.execute(sql::NOTIFY_INBOX, &[]).await?;
            }
            tx.commit().await?;
            Ok(new)
        }
        .await;
        let new = stored.map_err(|e| self.fail(what, e))?;
        Ok(messages.into_iter().zip(new).collect())
    }

    async fn claim_guests(&self, limit: usize) -> Result<Vec<Guest>, Error> {
        let what = "claim guests";
        let client = self.client(what).await?;
        // Only channels this build answers: in a rollout, an older replica leaves a newer
        // channel's guests to the replicas that know it.
        let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        let rows = client
            .query(
                sql::CLAIM_GUESTS,
                &[
                    &&*self.owner,
                    &(self.lease_ms() as f64),
                    &(limit as i64),
                    &channels,
                ],
            )
            .await
            .map_err(|e| self.fail(what, e))?;
        let mut guests = Vec::with_capacity(rows.len());
        for row in rows {
            let channel: String = row.get(0);
            let user: String = row.get(1);
            match Channel::parse(&channel) {
                Some(channel) => guests.push(Guest { channel, user }),
                // The claim asks for known channels only; a row that reads otherwise is left to
                // lapse.
                None => tracing::warn!(channel, "messages on a channel this build cannot answer"),
            }
        }
        Ok(guests)
    }

    async fn pending_of(&self, guest: &Guest) -> Result<Vec<Pending>, Error> {
        let what = "read pending messages";
        let client = self.client(what).await?;
        let rows = client
            .query(sql::PENDING_OF, &[&guest.channel.as_str(), &guest.user])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(rows
            .into_iter()
            .map(|row| Pending {
                seq: row.get(0),
                channel: guest.channel,
                message_id: row.get(1),
                user: guest.user.clone(),
                kind: super::Kind::parse(row.get(2)),
                text: row.get(3),
                correlation: row.get(4),
                attempts: row.get(5),
            })
            .collect())
    }

    async fn renew(&self, guest: &Guest) -> Result<bool, Error> {
        self.renew_hold(guest.channel.as_str(), &guest.user).await
    }

    async fn release(&self, guest: &Guest) -> Result<(), Error> {
        self.unhold(guest.channel.as_str(), &guest.user).await
    }

    async fn hold(&self, channel: &str, user: &str, wait: Duration) -> Result<bool, Error> {
        let what = "hold a thread";
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let held = {
                let client = self.client(what).await?;
                client
                    .query_opt(
                        sql::HOLD,
                        &[&channel, &user, &&*self.owner, &(self.lease_ms() as f64)],
                    )
                    .await
                    .map_err(|e| self.fail(what, e))?
            };
            if held.is_some() {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn renew_hold(&self, channel: &str, user: &str) -> Result<bool, Error> {
        let what = "renew a lease";
        let client = self.client(what).await?;
        let renewed = client
            .execute(
                sql::RENEW,
                &[&channel, &user, &&*self.owner, &(self.lease_ms() as f64)],
            )
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(renewed == 1)
    }

    async fn unhold(&self, channel: &str, user: &str) -> Result<(), Error> {
        let what = "give a lease back";
        let client = self.client(what).await?;
        client
            .execute(sql::RELEASE, &[&channel, &user, &&*self.owner])
            .await
            .map_err(|e| self.fail(what, e))?;
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
        let what = "store a reply";
        let mut client = self.client(what).await?;
        let stored: Result<Answered, tokio_postgres::Error> = async {
            let tx = client.transaction().await?;
            // Still pending (nobody answered it) and still ours (nobody took the guest over).
            let marked = tx
                .execute(
                    sql::ANSWER,
                    &[&seq, &state.as_str(), &detail, &&*self.owner],
                )
                .await?;
            if marked == 0 {
                tx.rollback().await?;
                return Ok(Answered::LeaseLost);
            }
            queue(&tx, &reply, now_ms).await?;
            tx.commit().await?;
            Ok(Answered::Stored)
        }
        .await;
        stored.map_err(|e| self.fail(what, e))
    }

    async fn attempt_failed(&self, seq: i64, detail: String) -> Result<(), Error> {
        let what = "count a failed attempt";
        let client = self.client(what).await?;
        client
            .execute(sql::ATTEMPT_FAILED, &[&seq, &detail])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(())
    }

    async fn send_later(&self, reply: Reply, now_ms: i64) -> Result<(), Error> {
        let what = "queue a reply";
        let mut client = self.client(what).await?;
        let stored: Result<(), tokio_postgres::Error> = async {
            let tx = client.transaction().await?;
            queue(&tx, &reply, now_ms).await?;
            tx.commit().await
        }
        .await;
        stored.map_err(|e| self.fail(what, e))
    }

    async fn claim_due(&self, now_ms: i64, limit: usize) -> Result<Vec<Outgoing>, Error> {
        let what = "claim due replies";
        let client = self.client(what).await?;
        let rows = client
            .query(
                sql::CLAIM_DUE,
                &[
                    &&*self.owner,
                    &now_ms,
                    &(limit as i64),
                    &(self.claim.as_millis() as f64),
                ],
            )
            .await
            .map_err(|e| self.fail(what, e))?;
        let mut due: Vec<Outgoing> = rows
            .into_iter()
            .filter_map(|row| {
                Some(Outgoing {
                    id: row.get(0),
                    channel: Channel::parse(row.get(1))?,
                    recipient: row.get(2),
                    text: row.get(3),
                    correlation: row.get(4),
                    attempts: row.get(5),
                    form: Form::from_stored(row.get::<_, Option<&str>>(6)),
                })
            })
            .collect();
        due.sort_by_key(|part| part.id);
        Ok(due)
    }

    async fn sent(&self, id: i64, remote_id: String, now_ms: i64) -> Result<(), Error> {
        let what = "record a sent reply";
        let client = self.client(what).await?;
        client
            .execute(sql::SENT, &[&id, &now_ms, &remote_id])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(())
    }

    async fn send_failed(
        &self,
        id: i64,
        reason: String,
        retry_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<(), Error> {
        let what = "record a failed send";
        let client = self.client(what).await?;
        match retry_at_ms {
            Some(at) => client.execute(sql::RETRY_LATER, &[&id, &at, &reason]).await,
            None => client.execute(sql::DROPPED, &[&id, &now_ms, &reason]).await,
        }
        .map_err(|e| self.fail(what, e))?;
        Ok(())
    }

    async fn depth(&self) -> Result<OutboxDepth, Error> {
        let what = "measure the outbox";
        let client = self.client(what).await?;
        let row = client
            .query_one(sql::DEPTH, &[])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(OutboxDepth {
            pending: row.get(0),
            oldest_created_ms: row.get(1),
            next_due_ms: row.get(2),
        })
    }

    async fn delivery_failed(
        &self,
        channel: Channel,
        failure: DeliveryFailure,
        now_ms: i64,
    ) -> Result<(), Error> {
        let what = "record a failed delivery";
        let client = self.client(what).await?;
        client
            .execute(
                sql::DELIVERY_FAILED,
                &[
                    &channel.as_str(),
                    &failure.message_id,
                    &failure.recipient,
                    &failure.code,
                    &failure.detail,
                    &now_ms,
                ],
            )
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok(())
    }

    async fn prune(&self, before_ms: i64) -> Result<usize, Error> {
        let what = "prune old rows";
        let client = self.client(what).await?;
        let inbox = client
            .execute(sql::PRUNE_INBOX, &[&before_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        let outbox = client
            .execute(sql::PRUNE_OUTBOX, &[&before_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        let guests = client
            .execute(sql::PRUNE_GUESTS, &[&before_ms])
            .await
            .map_err(|e| self.fail(what, e))?;
        let budgets = client
            .execute(sql::PRUNE_RATE, &[])
            .await
            .map_err(|e| self.fail(what, e))?;
        Ok((inbox + outbox + guests + budgets) as usize)
    }
}
