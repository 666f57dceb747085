//! [`TimeoutPolicy`]: how long an attempt of a node may run in all, and how long it may go
//! without a sign of life.

use std::time::Duration;

/// How long an attempt of a node may take (LangGraph's `TimeoutPolicy(run_timeout=,
/// idle_timeout=)`). An attempt that exceeds either fails with a retryable error, so the node's
/// retry policy runs it again; after the last attempt its error handler, if any, is told
/// [`crate::FailureKind::Timeout`] or [`crate::FailureKind::IdleTimeout`].
///
/// The **idle** timer starts with the attempt and restarts every time the node shows it is
/// alive: every event it emits through its [`crate::Ctx`] ([`crate::Ctx::emit`],
/// [`crate::Ctx::emit_message`]), whether or not the run is streamed, and every
/// [`crate::Ctx::heartbeat`]. (LangGraph's `refresh_on` picks which events count; here every one
/// does.) A subgraph's node is idle unless it emits itself: the events of the nodes inside the
/// subgraph are theirs.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use graph_core::{Ctx, Error, RunConfig, START, State, StateGraph, TimeoutPolicy};
///
/// #[derive(State, Clone, Default, Debug)]
/// struct Download {
///     #[state(add)]
///     chunks: u32,
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut graph = StateGraph::<Download>::new();
/// graph
///     .add_node("download", |_s: Arc<Download>, ctx: Ctx| async move {
///         for chunk in 0..10 {
///             tokio::time::sleep(Duration::from_secs(1)).await;
///             ctx.emit(chunk).await?; // progress: the idle timer starts over
///         }
///         Ok(DownloadUpdate::default().chunks(10u32))
///     })
///     .timeout_policy(TimeoutPolicy {
///         run: Some(Duration::from_secs(60)),
///         idle: Some(Duration::from_secs(5)),
///     });
/// graph.add_edge(START, "download");
/// let out = graph.compile()?.invoke(DownloadUpdate::default(), &RunConfig::thread("t")).await?;
/// assert_eq!(out.state.chunks, 10);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TimeoutPolicy {
    /// The longest an attempt may run in all; `None` for no limit.
    pub run: Option<Duration>,
    /// The longest an attempt may go without emitting an event or a heartbeat; `None` for no
    /// limit.
    pub idle: Option<Duration>,
}

impl TimeoutPolicy {
    /// Whether it limits nothing.
    pub(crate) fn is_unlimited(&self) -> bool {
        self.run.is_none() && self.idle.is_none()
    }
}
