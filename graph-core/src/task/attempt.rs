//! One attempt of a node or of an error handler: its future under the node's timeouts (in all,
//! and idle), with panics caught and turned into errors.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tokio::time::Instant;

use crate::context::Ctx;
use crate::error::{IdleTimeout, NodeError, Panicked, Timeout};
use crate::timeout::TimeoutPolicy;

/// Runs `call`, the attempt whose handle is `ctx`, to its end, or fails it (with a retryable
/// [`Timeout`] or [`IdleTimeout`]) once it runs longer than `policy.run` in all, or longer than
/// `policy.idle` since `ctx` last showed it is alive. A panic is a permanent error: running the
/// same code again panics again.
pub(crate) async fn attempt<T>(
    call: impl Future<Output = Result<T, NodeError>>,
    policy: TimeoutPolicy,
    ctx: &Ctx,
) -> Result<T, NodeError> {
    if policy.is_unlimited() {
        return caught(call).await;
    }
    let call = AssertUnwindSafe(call).catch_unwind();
    let outcome = timed(call, policy, ctx).await?;
    outcome.unwrap_or_else(|panic| Err(panicked(panic.as_ref())))
}

/// `call` run to its end with no deadline, a panic caught as a permanent error.
pub(crate) async fn caught<T>(
    call: impl Future<Output = Result<T, NodeError>>,
) -> Result<T, NodeError> {
    AssertUnwindSafe(call)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(panicked(panic.as_ref())))
}

fn panicked(payload: &(dyn std::any::Any + Send)) -> NodeError {
    NodeError::permanent(Panicked(panic_message(payload)))
}

/// `call` under `policy`'s deadlines: its outcome, or the timeout that ended it.
async fn timed<O>(
    call: impl Future<Output = O>,
    policy: TimeoutPolicy,
    ctx: &Ctx,
) -> Result<O, NodeError> {
    let mut call = std::pin::pin!(call);
    if policy.idle.is_some() {
        ctx.watch_idle();
    }
    let ends = policy.run.map(|run| Instant::now() + run);
    loop {
        let idles = policy.idle.map(|idle| ctx.last_alive() + idle);
        // (A limited policy always has a deadline; without one the attempt just runs.)
        let Some(deadline) = ends.into_iter().chain(idles).min() else {
            return Ok((&mut call).await);
        };
        tokio::select! {
            // The attempt first: one that ends as its deadline passes has made it.
            biased;
            outcome = &mut call => return Ok(outcome),
            () = tokio::time::sleep_until(deadline) => {}
        }
        // The deadline passed: the run's, or the idle one as it was when the sleep began,
        // which a later sign of life may have moved.
        let now = Instant::now();
        if let (Some(end), Some(run)) = (ends, policy.run)
            && now >= end
        {
            return Err(NodeError::from(Timeout(run)));
        }
        if let Some(idle) = policy.idle
            && now >= ctx.last_alive() + idle
        {
            return Err(NodeError::from(IdleTimeout(idle)));
        }
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}
