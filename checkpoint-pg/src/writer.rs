//! The writers: every change goes through a queue, and each queue has one task that applies
//! its changes in order.
//!
//! The trait requires changes to one thread to take effect in the order their calls were first
//! polled. A pool does not give that by itself (two calls queued for one thread could run on
//! two connections, the second first), so a call puts its [`Op`] on a queue during its first
//! poll, before it awaits anything, and a thread's ops always go to the same queue: the queue
//! is chosen by a hash of the thread's name. Each queue's task takes whatever has queued up (up
//! to a batch limit) and applies it in one transaction, answering each caller after `COMMIT`,
//! so a run's consecutive `put_later` checkpoints, or the writes of many threads that share a
//! queue, cost one commit (group commit). Several queues let threads commit in parallel.
//!
//! A batch first runs without savepoints; should an op fail (a duplicate checkpoint id, say),
//! the transaction is rolled back and the batch runs again with each op in a savepoint of its
//! own, so the failure fails only its caller. A `barrier` is an op on every queue that writes
//! nothing: its reply comes once everything queued before it has committed or failed, even ops
//! whose callers stopped waiting.
//!
//! `copy_thread` goes to the queue of its source, so it is ordered after the source's earlier
//! changes; its target must be empty, and nothing else should write to it meanwhile.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use deadpool_postgres::{Object, Pool};
use graph_core::{Checkpoint, CheckpointId, Namespace, PendingWrite, ThreadId};
use tokio::sync::{mpsc, oneshot};

use crate::error::Error;
use crate::fields::Fields;

mod apply;

pub(crate) use apply::STATEMENTS;

/// A change to make.
pub(crate) enum Op {
    Put(Checkpoint),
    Writes {
        thread: ThreadId,
        ns: Namespace,
        checkpoint: CheckpointId,
        writes: Vec<PendingWrite>,
    },
    Delete(ThreadId),
    Copy {
        from: ThreadId,
        to: ThreadId,
    },
    Prune {
        thread: ThreadId,
        keep: usize,
    },
    Rewind {
        thread: ThreadId,
        to: Option<CheckpointId>,
    },
    /// Nothing: its reply comes once every op queued before it has committed or failed.
    Barrier,
}

/// An op and where its result goes: for a prune or a rewind, how many checkpoints it deleted.
struct Job {
    op: Op,
    reply: oneshot::Sender<Result<usize, Error>>,
}

/// The queues. Dropping it ends each task once its queue is empty.
pub(crate) struct Writers {
    queues: Vec<mpsc::UnboundedSender<Job>>,
}

impl Writers {
    /// Spawns `queues` writer tasks on the current tokio runtime.
    pub(crate) fn spawn(
        pool: &Pool,
        fields: &Arc<Fields>,
        queues: usize,
        max_batch: usize,
    ) -> Self {
        let queues = (0..queues.max(1))
            .map(|_| {
                let (send, receive) = mpsc::unbounded_channel();
                tokio::spawn(run(
                    receive,
                    pool.clone(),
                    Arc::clone(fields),
                    max_batch.max(1),
                ));
                send
            })
            .collect();
        Self { queues }
    }

    fn queue(&self, thread: &ThreadId) -> &mpsc::UnboundedSender<Job> {
        let mut hasher = DefaultHasher::new();
        thread.as_str().hash(&mut hasher);
        let n = (hasher.finish() % self.queues.len() as u64) as usize;
        &self.queues[n]
    }

    fn send(
        queue: &mpsc::UnboundedSender<Job>,
        op: Op,
    ) -> Result<oneshot::Receiver<Result<usize, Error>>, Error> {
        let (reply, done) = oneshot::channel();
        queue
            .send(Job { op, reply })
            .map_err(|_| Error::WriterStopped("its queue is closed".into()))?;
        Ok(done)
    }

    /// Queues `op` on `thread`'s queue at once (the caller's first poll), then waits for it.
    pub(crate) async fn submit(&self, thread: &ThreadId, op: Op) -> Result<usize, Error> {
        let done = Self::send(self.queue(thread), op);
        wait(done?).await
    }

    /// Waits for everything queued so far on every queue.
    pub(crate) async fn barrier(&self) -> Result<(), Error> {
        let waits: Result<Vec<_>, Error> = self
            .queues
            .iter()
            .map(|queue| Self::send(queue, Op::Barrier))
            .collect();
        for done in waits? {
            wait(done).await?;
        }
        Ok(())
    }
}

async fn wait(done: oneshot::Receiver<Result<usize, Error>>) -> Result<usize, Error> {
    done.await
        .map_err(|_| Error::WriterStopped("it dropped a request (did it panic?)".into()))?
}

/// A queue's task: batches in queue order, each applied and answered before the next.
async fn run(
    mut queue: mpsc::UnboundedReceiver<Job>,
    pool: Pool,
    fields: Arc<Fields>,
    max_batch: usize,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let ops: Vec<&Op> = batch.iter().map(|job| &job.op).collect();
        let results = commit(&pool, &fields, &ops).await;
        for (job, result) in batch.drain(..).zip(results) {
            // A caller that stopped waiting does not need its reply.
            let _ = job.reply.send(result);
        }
    }
}

/// Applies a batch in one transaction; one result per op.
async fn commit(pool: &Pool, fields: &Fields, batch: &[&Op]) -> Vec<Result<usize, Error>> {
    let fail_all = |message: String| {
        batch
            .iter()
            .map(|_| Err(Error::Transaction(message.clone())))
            .collect()
    };
    if batch.iter().all(|op| matches!(op, Op::Barrier)) {
        // Everything before these barriers has committed: nothing to write.
        return batch.iter().map(|_| Ok(0)).collect();
    }
    let mut client = match pool.get().await {
        Ok(client) => client,
        Err(e) => return fail_all(format!("no Postgres connection: {e}")),
    };
    let names = batch.iter().flat_map(|op| match op {
        Op::Put(checkpoint) => {
            let versions = checkpoint.versions.iter().map(|v| v.field.as_str());
            let writes = checkpoint.writes.iter().map(|w| w.field.as_str());
            Box::new(versions.chain(writes)) as Box<dyn Iterator<Item = &str> + Send>
        }
        _ => Box::new(std::iter::empty()),
    });
    if let Err(e) = fields.intern(&client, names).await {
        return fail_all(e.to_string());
    }
    if let Some(results) = commit_together(&mut client, fields, batch).await {
        return results;
    }
    commit_isolated(&mut client, fields, batch).await
}

/// The batch in one transaction without savepoints: its results if every op and the commit
/// succeeded, `None` (everything rolled back) otherwise.
async fn commit_together(
    client: &mut Object,
    fields: &Fields,
    batch: &[&Op],
) -> Option<Vec<Result<usize, Error>>> {
    let tx = client.transaction().await.ok()?;
    let mut results = Vec::with_capacity(batch.len());
    for op in batch {
        match apply::apply(&tx, fields, op).await {
            Ok(n) => results.push(Ok(n)),
            Err(e) if batch.len() == 1 => {
                // Alone in its batch, the op's own error is the answer.
                drop(tx.rollback().await);
                return Some(vec![Err(e)]);
            }
            // Dropping `tx` rolls it back.
            Err(_) => return None,
        }
    }
    tx.commit().await.ok()?;
    Some(results)
}

/// The batch in one transaction, each op in a savepoint of its own; one result per op.
async fn commit_isolated(
    client: &mut Object,
    fields: &Fields,
    batch: &[&Op],
) -> Vec<Result<usize, Error>> {
    let fail_all = |message: String| {
        batch
            .iter()
            .map(|_| Err(Error::Transaction(message.clone())))
            .collect()
    };
    let mut tx = match client.transaction().await {
        Ok(tx) => tx,
        Err(e) => return fail_all(format!("cannot begin a write transaction: {e}")),
    };
    let mut results = Vec::with_capacity(batch.len());
    for op in batch {
        let result = match tx.savepoint("gc_op").await {
            Ok(savepoint) => {
                let result = apply::apply(&savepoint, fields, op).await;
                let ended = if result.is_ok() {
                    savepoint.commit().await
                } else {
                    savepoint.rollback().await
                };
                match ended {
                    Ok(()) => result,
                    Err(e) => return fail_all(format!("cannot end a savepoint: {e}")),
                }
            }
            Err(e) => return fail_all(format!("cannot open a savepoint: {e}")),
        };
        results.push(result);
    }
    match tx.commit().await {
        Ok(()) => results,
        Err(e) => fail_all(format!("cannot commit: {e}")),
    }
}
