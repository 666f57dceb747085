//! `Resilience` and `CircuitBreaker` on their own, on tokio's paused clock: a schedule of
//! seconds takes no time, and every delay is exact.

use std::sync::Mutex;
use std::time::Duration;

use agent_nodes::Error;
use agent_nodes::resilience::{
    BreakerPolicy, BreakerState, CircuitBreaker, Resilience, ResiliencePolicy, RetryPolicy,
    is_provider_failure, is_retryable,
};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn a_half_open_breaker_admits_exactly_one_trial() {
    let breaker = CircuitBreaker::new(BreakerPolicy {
        failures: 2,
        cool_down: Duration::from_secs(30),
    });
    breaker.admit().expect("closed").failed();
    breaker.admit().expect("closed").succeeded();
    breaker.admit().expect("closed").failed();
    assert_eq!(
        breaker.state(),
        BreakerState::Closed,
        "a success resets the count"
    );
    breaker.admit().expect("closed").failed();
    assert_eq!(breaker.state(), BreakerState::Open);
    assert_eq!(breaker.admit().expect_err("open"), Duration::from_secs(30));

    tokio::time::advance(Duration::from_secs(31)).await;
    let trial = breaker.admit().expect("the trial");
    assert!(trial.is_trial());
    assert_eq!(breaker.state(), BreakerState::HalfOpen);
    assert!(
        breaker.admit().is_err(),
        "a second caller waits for the trial"
    );
    drop(trial);
    let trial = breaker
        .admit()
        .expect("a cancelled trial lets the next caller try");
    trial.succeeded();
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn a_breaker_with_zero_failures_never_opens() {
    let breaker = CircuitBreaker::new(BreakerPolicy {
        failures: 0,
        cool_down: Duration::from_secs(1),
    });
    for _ in 0..100 {
        breaker.admit().expect("closed").failed();
    }
    assert_eq!(breaker.state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn backoff_doubles_up_to_its_maximum() {
    let (times, _) = attempt_times(&schedule(5, 60), unavailable).await;
    let secs: Vec<u64> = times.iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [0, 1, 3, 6, 9]);
}

#[tokio::test(start_paused = true)]
async fn no_retry_starts_after_the_budget() {
    let (times, error) = attempt_times(&schedule(10, 5), unavailable).await;
    let secs: Vec<u64> = times.iter().map(Duration::as_secs).collect();
    assert_eq!(
        secs,
        [0, 1, 3],
        "the next would start at 6 s, after the 5 s budget"
    );
    assert!(matches!(error, Error::Http { status: 503, .. }));
}

#[tokio::test(start_paused = true)]
async fn jitter_adds_at_most_the_delay_itself() {
    let mut resilience_policy = *schedule(4, 60).policy();
    resilience_policy.retry.jitter = true;
    let (times, _) = attempt_times(&Resilience::new(resilience_policy), unavailable).await;
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    for (gap, base) in gaps.iter().zip([1, 2, 3]) {
        let base = Duration::from_secs(base);
        assert!(*gap >= base && *gap <= base * 2, "{gaps:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried() {
    for status in [400, 401, 402, 403, 404, 422] {
        let (times, _) = attempt_times(&schedule(5, 60), || Error::Http {
            provider: "test".into(),
            status,
            code: None,
            message: "no".into(),
            retry_after: None,
        })
        .await;
        assert_eq!(times.len(), 1, "HTTP {status}");
    }
}

#[test]
fn errors_are_classified_for_retries_and_for_the_breaker() {
    let http = |status: u16, code: Option<&str>| Error::Http {
        provider: "p".into(),
        status,
        code: code.map(str::to_owned),
        message: String::new(),
        retry_after: None,
    };
    let retried = [408, 429, 500, 502, 503, 504].map(|s| http(s, None));
    assert!(retried.iter().all(is_retryable));
    let kept = [400, 401, 402, 403, 404, 422].map(|s| http(s, None));
    assert!(!kept.iter().any(is_retryable));
    assert!(!is_retryable(&http(
        429,
        Some("GenerateRequestsPerDayPerProjectPerModel")
    )));
    assert!(!is_retryable(&http(429, Some("insufficient_quota"))));
    let timeout = Error::Timeout {
        provider: "p".into(),
        after: Duration::from_secs(1),
    };
    assert!(is_retryable(&timeout) && is_provider_failure(&timeout));

    assert!(is_provider_failure(&http(400, Some("API_KEY_INVALID"))));
    assert!(is_provider_failure(&http(404, Some("NOT_FOUND"))));
    assert!(!is_provider_failure(&http(400, Some("INVALID_ARGUMENT"))));
    let blocked = Error::Blocked {
        provider: "p".into(),
        reason: "SAFETY".into(),
    };
    assert!(!is_retryable(&blocked) && !is_provider_failure(&blocked));
}

/// Runs `resilience` over an attempt that always fails with `error`; returns when each attempt
/// started, relative to the first.
async fn attempt_times(
    resilience: &Resilience,
    error: impl Fn() -> Error + Sync,
) -> (Vec<Duration>, Error) {
    let started = Instant::now();
    let times = Mutex::new(Vec::new());
    let result: Result<(), Error> = resilience
        .run("test", None, is_retryable, || {
            times.lock().expect("times").push(started.elapsed());
            std::future::ready(Err(error()))
        })
        .await;
    (
        times.into_inner().expect("times"),
        result.expect_err("always fails"),
    )
}

fn unavailable() -> Error {
    Error::Http {
        provider: "test".into(),
        status: 503,
        code: None,
        message: "overloaded".into(),
        retry_after: None,
    }
}

fn schedule(attempts: u32, budget: u64) -> Resilience {
    Resilience::new(ResiliencePolicy {
        timeout: Duration::from_secs(20),
        retry: RetryPolicy {
            attempts,
            initial: Duration::from_secs(1),
            max: Duration::from_secs(3),
            budget: Duration::from_secs(budget),
            jitter: false,
        },
        breaker: BreakerPolicy::default(),
    })
}
