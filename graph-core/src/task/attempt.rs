//! One attempt of a node or of an error handler: its future under the run timeout, with panics
//! caught and turned into errors.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;

use crate::error::{NodeError, Panicked, Timeout};

/// Runs `call` to its end, or fails it once it runs longer than `timeout` (a retryable
/// [`Timeout`]). A panic is a permanent error: running the same code again panics again.
pub(crate) async fn attempt<T>(
    call: impl Future<Output = Result<T, NodeError>>,
    timeout: Option<Duration>,
) -> Result<T, NodeError> {
    let call = AssertUnwindSafe(call).catch_unwind();
    let outcome = match timeout {
        Some(limit) => match tokio::time::timeout(limit, call).await {
            Ok(outcome) => outcome,
            Err(_) => return Err(NodeError::from(Timeout(limit))),
        },
        None => call.await,
    };
    outcome.unwrap_or_else(|panic| {
        Err(NodeError::permanent(Panicked(panic_message(
            panic.as_ref(),
        ))))
    })
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
