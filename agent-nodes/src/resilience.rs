//! Resilience for model calls: a timeout on every attempt, retries with exponential backoff and
//! jitter that honour the server's own retry delay, a total time budget across attempts, and a
//! [`CircuitBreaker`] that stops calling a provider after repeated failures.
//!
//! Every delay is a field of [`ResiliencePolicy`], so tests (and a webhook in a hurry) can shrink
//! them. The backoff schedule comes from `backon`: its `adjust` hook lets a server-sent delay
//! (Gemini's `RetryInfo.retryDelay`, HTTP `Retry-After`) replace the computed one, which is the
//! one thing a retry crate must allow here. The breaker is written here ([`CircuitBreaker`] says why).

mod breaker;
pub(crate) mod transport;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use tokio::time::Instant;

pub use breaker::{BreakerPolicy, BreakerState, CircuitBreaker, Permit};

use crate::error::Error;

/// How often and how patiently to retry one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1, or 0, means no retry).
    pub attempts: u32,
    /// The delay before the first retry; each next one doubles.
    pub initial: Duration,
    /// The longest computed delay. A delay the server asks for is honoured even when longer,
    /// as long as it fits the budget.
    pub max: Duration,
    /// The most time the whole call may take, attempts and delays included. A retry that
    /// could not start before it ends is not made, and an attempt is cut off when it runs out.
    pub budget: Duration,
    /// Whether to add a random part (up to the delay itself) to each computed delay, so that
    /// clients that failed together do not retry together.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    /// Four attempts, 1 s then 2 s then 4 s (plus jitter), 8 s at most, 30 s in all: the
    /// official Gemini SDK's schedule, capped by what a messaging webhook can wait.
    fn default() -> Self {
        Self {
            attempts: 4,
            initial: Duration::from_secs(1),
            max: Duration::from_secs(8),
            budget: Duration::from_secs(30),
            jitter: true,
        }
    }
}

/// Everything about how a client calls its provider when things go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResiliencePolicy {
    /// The most time one attempt may take for a whole answer; when streaming, the most time
    /// until the answer starts and between two of its chunks.
    pub timeout: Duration,
    /// Retries and the total budget.
    pub retry: RetryPolicy,
    /// When to stop calling altogether.
    pub breaker: BreakerPolicy,
}

impl Default for ResiliencePolicy {
    /// A 20 s timeout, [`RetryPolicy::default`] and [`BreakerPolicy::default`].
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
        }
    }
}

/// Whether another attempt may succeed where `error` failed: HTTP 408, 429, 500, 502, 503 and
/// 504, transport errors and timeouts. Other statuses (400, 401, 402, 403, 404, 422, …) will
/// fail again. A 429 for an exhausted quota is not retried either, so the caller falls back at
/// once: a Gemini quota id containing `PerDay` (it resets tomorrow, not in a few seconds) or
/// OpenAI's `insufficient_quota` (no credit).
pub fn is_retryable(error: &Error) -> bool {
    match error {
        Error::Http { status, code, .. } => {
            matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
                && !(*status == 429 && code.as_deref().is_some_and(is_exhausted_quota))
        }
        Error::Transport { .. } | Error::Timeout { .. } => true,
        _ => false,
    }
}

fn is_exhausted_quota(code: &str) -> bool {
    code.contains("PerDay") || code == "insufficient_quota"
}

/// Whether `error` says the provider cannot serve calls right now, so it counts towards
/// opening the [`CircuitBreaker`]: transport errors, timeouts, malformed answers, and HTTP
/// errors other than a 400 or 422 about this request. A bad key or a billing problem (400
/// `API_KEY_INVALID`, `FAILED_PRECONDITION`) counts, as every call would fail the same way. A
/// blocked answer or a rejected request means the provider is up, which resets the count.
pub fn is_provider_failure(error: &Error) -> bool {
    match error {
        Error::Http { status, code, .. } => {
            !matches!(status, 400 | 422)
                || matches!(
                    code.as_deref(),
                    Some("API_KEY_INVALID" | "FAILED_PRECONDITION")
                )
        }
        Error::Transport { .. } | Error::Timeout { .. } | Error::Malformed { .. } => true,
        _ => false,
    }
}

/// A client's resilience: its [`ResiliencePolicy`] and its [`CircuitBreaker`]. One per client,
/// shared by all its calls.
#[derive(Debug)]
pub struct Resilience {
    policy: ResiliencePolicy,
    breaker: CircuitBreaker,
}

impl Resilience {
    /// Resilience following `policy`, with a closed breaker.
    pub fn new(policy: ResiliencePolicy) -> Self {
        Self {
            policy,
            breaker: CircuitBreaker::new(policy.breaker),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &ResiliencePolicy {
        &self.policy
    }

    /// The breaker, for health checks.
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// Runs `attempt` until it succeeds, `retryable` refuses its error, the attempts run out
    /// or the budget does, and returns the last result.
    ///
    /// Each attempt is cut off after `limit` (or when the budget ends, if sooner) with
    /// [`Error::Timeout`]; pass `None` when the attempt enforces its own timeouts (a stream).
    /// A retry waits for the server's delay when the error carries one
    /// ([`Error::Http::retry_after`](Error::Http)), else the backoff's. The whole call is
    /// refused with [`Error::CircuitOpen`] while the breaker is open, and its outcome is
    /// recorded in the breaker ([`is_provider_failure`]).
    pub async fn run<T, F, Fut, R>(
        &self,
        provider: &str,
        limit: Option<Duration>,
        retryable: R,
        attempt: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T, Error>> + Send,
        R: Fn(&Error) -> bool + Sync,
    {
        let permit = self
            .breaker
            .admit()
            .map_err(|retry_in| Error::CircuitOpen {
                provider: provider.to_owned(),
                retry_in,
            })?;
        let result = self.retry(provider, limit, retryable, attempt).await;
        match &result {
            Err(error) if is_provider_failure(error) => permit.failed(),
            _ => permit.succeeded(),
        }
        result
    }

    async fn retry<T, F, Fut, R>(
        &self,
        provider: &str,
        limit: Option<Duration>,
        retryable: R,
        mut attempt: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T, Error>> + Send,
        R: Fn(&Error) -> bool + Sync,
    {
        let policy = self.policy.retry;
        let deadline = Instant::now() + policy.budget;
        let attempts = AtomicU32::new(0);
        let mut backoff = ExponentialBuilder::new()
            .with_min_delay(policy.initial)
            .with_max_delay(policy.max)
            .with_factor(2.0)
            .with_max_times(policy.attempts.saturating_sub(1) as usize);
        if policy.jitter {
            backoff = backoff.with_jitter();
        }
        let one = || {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let cap = limit.map_or(remaining, |limit| limit.min(remaining));
            let future = attempt();
            attempts.fetch_add(1, Ordering::Relaxed);
            async move {
                match tokio::time::timeout(cap, future).await {
                    Ok(result) => result,
                    Err(_) => Err(Error::Timeout {
                        provider: provider.to_owned(),
                        after: cap,
                    }),
                }
            }
        };
        one.retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|error| retryable(error))
            .adjust(|error, computed| {
                let computed = computed?;
                let server = match error {
                    Error::Http { retry_after, .. } => *retry_after,
                    _ => None,
                };
                let delay = server.unwrap_or(computed);
                // A retry that would start after the budget ends is not worth waiting for.
                // A server may ask for any delay; one too large for a clock is past the budget.
                Instant::now()
                    .checked_add(delay)
                    .is_some_and(|start| start < deadline)
                    .then_some(delay)
            })
            .notify(|error, delay| {
                let attempt = attempts.load(Ordering::Relaxed);
                tracing::warn!(provider, attempt, %error, ?delay, "model call failed; retrying");
            })
            .await
    }
}

impl Default for Resilience {
    /// Resilience following [`ResiliencePolicy::default`].
    fn default() -> Self {
        Self::new(ResiliencePolicy::default())
    }
}
