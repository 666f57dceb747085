//! [`RetryPolicy`]: how often and how patiently a failing node is run again.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::NodeError;

/// Decides whether an error is worth another attempt.
pub type RetryPredicate = Arc<dyn Fn(&NodeError) -> bool + Send + Sync>;

/// Retries with exponential backoff: attempt `n` (from 1) that fails waits
/// `min(max_interval, initial_interval * backoff_factor^(n-1))` before attempt `n + 1`; with
/// jitter, a uniformly random amount between half of that and all of it.
#[derive(Clone)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (at least 1).
    pub max_attempts: u32,
    /// The wait after the first failure.
    pub initial_interval: Duration,
    /// How much each wait grows.
    pub backoff_factor: f64,
    /// The longest wait.
    pub max_interval: Duration,
    /// Whether waits are randomised, so that many failing tasks do not retry in lockstep.
    pub jitter: bool,
    /// Which errors to retry; `None` retries every error not marked [`NodeError::permanent`].
    /// Permanent errors and interrupts are never retried.
    pub retry_on: Option<RetryPredicate>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_interval: Duration::from_millis(500),
            backoff_factor: 2.0,
            max_interval: Duration::from_secs(128),
            jitter: true,
            retry_on: None,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("initial_interval", &self.initial_interval)
            .field("backoff_factor", &self.backoff_factor)
            .field("max_interval", &self.max_interval)
            .field("jitter", &self.jitter)
            .field("retry_on", &self.retry_on.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

impl RetryPolicy {
    /// The default policy with `max_attempts` attempts.
    pub fn attempts(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            ..Self::default()
        }
    }

    /// Sets the waits: the first, the growth factor and the cap.
    #[must_use]
    pub fn backoff(mut self, initial: Duration, factor: f64, max: Duration) -> Self {
        self.initial_interval = initial;
        self.backoff_factor = factor;
        self.max_interval = max;
        self
    }

    /// Turns jitter on or off.
    #[must_use]
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Retries only errors for which `predicate` is true.
    #[must_use]
    pub fn retry_on(
        mut self,
        predicate: impl Fn(&NodeError) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.retry_on = Some(Arc::new(predicate));
        self
    }

    /// Whether attempt `attempt` (from 1), which failed with `error`, is followed by another.
    pub fn should_retry(&self, attempt: u32, error: &NodeError) -> bool {
        attempt < self.max_attempts
            && !error.is_permanent()
            && self
                .retry_on
                .as_ref()
                .is_none_or(|predicate| predicate(error))
    }

    /// The wait after failed attempt `attempt` (from 1).
    pub fn delay(&self, attempt: u32) -> Duration {
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let base = self.initial_interval.as_secs_f64() * self.backoff_factor.powi(exponent);
        let capped = if base.is_finite() {
            base.min(self.max_interval.as_secs_f64()).max(0.0)
        } else {
            self.max_interval.as_secs_f64()
        };
        let seconds = if self.jitter {
            capped * (0.5 + fastrand::f64() * 0.5)
        } else {
            capped
        };
        Duration::from_secs_f64(seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_up_to_the_cap() {
        let policy = RetryPolicy::attempts(10)
            .backoff(Duration::from_millis(100), 2.0, Duration::from_millis(500))
            .jitter(false);
        let delays: Vec<_> = (1..=5).map(|n| policy.delay(n).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 500, 500]);
    }

    #[test]
    fn jitter_stays_between_half_and_all_of_the_delay() {
        let policy = RetryPolicy::attempts(3).backoff(
            Duration::from_millis(100),
            2.0,
            Duration::from_secs(1),
        );
        for _ in 0..200 {
            let d = policy.delay(2).as_millis();
            assert!((100..=200).contains(&d), "{d}");
        }
    }

    #[test]
    fn predicate_and_permanence_decide_retries() {
        let policy = RetryPolicy::attempts(3).retry_on(|e| e.to_string().contains("flaky"));
        assert!(policy.should_retry(1, &NodeError::msg("flaky network")));
        assert!(!policy.should_retry(3, &NodeError::msg("flaky network")));
        assert!(!policy.should_retry(1, &NodeError::msg("bad input")));
        assert!(!policy.should_retry(1, &NodeError::permanent(NodeError::msg("flaky"))));
    }
}
