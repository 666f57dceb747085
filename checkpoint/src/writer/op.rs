//! What the writer is sent: an [`Op`] (a change to make) in a [`Job`] (the op, how soon its
//! caller waits for it, and where its reply goes).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use graph_core::{Checkpoint, CheckpointId, Namespace, PendingWrite, ThreadId};
use tokio::sync::oneshot;

use crate::cache::CacheOp;
use crate::error::Error;
use crate::store::StoreOp;

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
    /// A change to the node cache (`cache.rs`).
    Cache(CacheOp),
    /// Nothing: its reply comes once every op queued before it is committed or failed, since
    /// the writer takes ops in order (`Checkpointer::barrier`).
    Barrier,
    /// A change to the long-term store (`store.rs`).
    Store(StoreOp),
}

pub(super) struct Job {
    pub(super) op: Op,
    /// Someone waits for this op's reply now: the batch it lands in commits without lingering.
    pub(super) urgent: bool,
    /// For an op sent by `submit_later`: set once the writer has closed the batch the op is in,
    /// so the caller need not hurry it.
    pub(super) taken: Option<Arc<AtomicBool>>,
    /// The op's result: for a prune or a rewind, how many checkpoints it deleted; for a store
    /// sweep, how many items.
    pub(super) reply: oneshot::Sender<Result<usize, Error>>,
}
