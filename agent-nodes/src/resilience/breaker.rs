//! [`CircuitBreaker`]: after some consecutive failures, calls are refused for a cool-down, then
//! one trial call decides whether to close again.
//!
//! Written here rather than taken from `failsafe` (the maintained circuit-breaker crate) because
//! its half-open state admits every call instead of one trial, its rejection does not say when
//! the next trial is due (which [`Error::CircuitOpen`](crate::Error::CircuitOpen) reports), and
//! it reads the system clock, so tests cannot use tokio's paused clock. The state machine below
//! is small enough to test completely.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// When a [`CircuitBreaker`] opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failed calls that open the breaker; 0 never opens it.
    pub failures: u32,
    /// How long an open breaker refuses calls before letting one trial through.
    pub cool_down: Duration,
}

impl Default for BreakerPolicy {
    /// Opens after 5 consecutive failures, for 30 s.
    fn default() -> Self {
        Self {
            failures: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// What a [`CircuitBreaker`] does with the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused; once the cool-down is over the next call is the trial.
    Open,
    /// A trial call is under way; other calls are refused until it ends.
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    Trial,
}

/// A consecutive-failures circuit breaker for one client, safe to share between tasks.
///
/// Every call asks [`admit`](Self::admit) first and reports how it went on the [`Permit`].
/// Closed, it counts consecutive failures (a success resets the count) and opens at
/// [`BreakerPolicy::failures`]. Open, it refuses calls until the cool-down is over, then admits
/// exactly one trial: a success closes it, a failure opens it for another cool-down. A trial
/// dropped without a verdict (its call was cancelled) lets the next caller be the trial.
#[derive(Debug)]
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    state: Mutex<State>,
}

impl CircuitBreaker {
    /// A closed breaker following `policy`.
    pub fn new(policy: BreakerPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    /// What the breaker does with the next call.
    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::Trial => BreakerState::HalfOpen,
        }
    }

    /// Lets a call through, or says how long until the breaker admits a trial (during a trial,
    /// a whole cool-down: the trial may fail).
    pub fn admit(&self) -> Result<Permit<'_>, Duration> {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Ok(self.permit(false)),
            State::Open { until } => {
                let now = Instant::now();
                if now < until {
                    return Err(until - now);
                }
                *state = State::Trial;
                tracing::info!("circuit breaker half-open: one trial call");
                Ok(self.permit(true))
            }
            State::Trial => Err(self.policy.cool_down),
        }
    }

    fn permit(&self, trial: bool) -> Permit<'_> {
        Permit {
            breaker: self,
            trial,
            settled: false,
        }
    }

    fn settle(&self, trial: bool, failed: bool) {
        let mut state = self.lock();
        let next = match (*state, failed) {
            // The provider answered: whoever reports it, the breaker closes.
            (_, false) => State::Closed { failures: 0 },
            (State::Closed { failures }, true) => {
                let failures = failures.saturating_add(1);
                if self.policy.failures > 0 && failures >= self.policy.failures {
                    tracing::warn!(failures, "circuit breaker open");
                    self.open()
                } else {
                    State::Closed { failures }
                }
            }
            (State::Trial, true) if trial => {
                tracing::warn!("circuit breaker trial failed; open again");
                self.open()
            }
            // A call admitted before the breaker opened fails late: it is already counted.
            (other, true) => other,
        };
        *state = next;
    }

    fn open(&self) -> State {
        State::Open {
            until: Instant::now() + self.policy.cool_down,
        }
    }

    fn release_trial(&self) {
        let mut state = self.lock();
        if let State::Trial = *state {
            *state = State::Open {
                until: Instant::now(),
            };
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a plain value, consistent after every assignment: a panic elsewhere
        // while holding the lock cannot leave it half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Leave to make one call; report its outcome with [`succeeded`](Self::succeeded) or
/// [`failed`](Self::failed).
#[derive(Debug)]
#[must_use = "report the call's outcome on the permit"]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    trial: bool,
    settled: bool,
}

impl Permit<'_> {
    /// Whether this call is the trial of a half-open breaker.
    pub fn is_trial(&self) -> bool {
        self.trial
    }

    /// The provider answered.
    pub fn succeeded(mut self) {
        self.settled = true;
        self.breaker.settle(self.trial, false);
    }

    /// The provider could not serve the call.
    pub fn failed(mut self) {
        self.settled = true;
        self.breaker.settle(self.trial, true);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial && !self.settled {
            self.breaker.release_trial();
        }
    }
}
