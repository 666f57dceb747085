//! Retries, budgets, timeouts and the circuit breaker through the clients, against the fakes,
//! which count the attempts. Real time, in milliseconds.

use std::sync::Mutex;
use std::time::Duration;

use agent_nodes::gemini::GeminiClient;
use agent_nodes::openai::OpenAiClient;
use agent_nodes::resilience::{BreakerPolicy, BreakerState, ResiliencePolicy};
use agent_nodes::{ChatModel, ChatRequest, Error};
use tokio::time::Instant;

use crate::fake::fast_policy;
use crate::fake_gemini::{FakeGemini, KEY, MODEL, Reply};
use crate::{fake_openai, fake_openai::FakeOpenAi};

fn gemini(fake: &FakeGemini, policy: ResiliencePolicy) -> GeminiClient {
    GeminiClient::builder(KEY)
        .base_url(&fake.base_url)
        .model(MODEL)
        .policy(policy)
        .build()
        .expect("a client")
}

fn hi() -> ChatRequest {
    ChatRequest::new("s", "hi")
}

#[tokio::test]
async fn transient_errors_are_retried_until_an_answer() {
    let fake = FakeGemini::start().await;
    fake.on(
        "hi",
        vec![Reply::unavailable(), Reply::internal(), Reply::text("hola")],
    );
    let answer = gemini(&fake, fast_policy()).chat(&hi()).await;
    assert_eq!(answer.expect("the third attempt").text(), "hola");
    assert_eq!(fake.received().len(), 3);
}

#[tokio::test]
async fn a_persistent_failure_uses_every_attempt_and_returns_the_last_error() {
    let fake = FakeGemini::start().await;
    fake.on("hi", vec![Reply::unavailable(), Reply::internal()]);
    let error = gemini(&fake, fast_policy())
        .chat(&hi())
        .await
        .expect_err("500");
    assert!(matches!(error, Error::Http { status: 500, .. }), "{error}");
    assert_eq!(fake.received().len(), 3);
}

#[tokio::test]
async fn the_servers_retry_delay_replaces_the_backoff() {
    let fake = FakeGemini::start().await;
    let per_minute = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier";
    fake.on(
        "hi",
        vec![Reply::quota(per_minute, "0.3s"), Reply::text("hola")],
    );
    let started = Instant::now();

    let answer = gemini(&fake, fast_policy()).chat(&hi()).await;

    assert_eq!(answer.expect("the retry").text(), "hola");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "waited {waited:?}, not the 5 ms backoff"
    );
    assert_eq!(fake.received().len(), 2);
}

#[tokio::test]
async fn a_daily_quota_fails_at_once_so_the_caller_falls_back() {
    let fake = FakeGemini::start().await;
    let per_day = "GenerateRequestsPerDayPerProjectPerModel-FreeTier";
    fake.on("hi", vec![Reply::quota(per_day, "0.01s")]);
    let error = gemini(&fake, fast_policy())
        .chat(&hi())
        .await
        .expect_err("429");
    assert!(
        matches!(&error, Error::Http { status: 429, code: Some(c), retry_after: Some(_), .. } if c == per_day),
        "{error}"
    );
    assert_eq!(fake.received().len(), 1);
}

#[tokio::test]
async fn a_server_delay_longer_than_the_budget_fails_fast() {
    let fake = FakeGemini::start().await;
    let per_minute = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier";
    fake.on("hi", vec![Reply::quota(per_minute, "23s")]);
    let started = Instant::now();
    let error = gemini(&fake, fast_policy())
        .chat(&hi())
        .await
        .expect_err("429");
    assert!(
        matches!(error, Error::Http { status: 429, retry_after: Some(d), .. } if d == Duration::from_secs(23)),
        "{error}"
    );
    assert_eq!(fake.received().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(2));

    let openai_fake = FakeOpenAi::start().await;
    let limited = fake_openai::error_body("rate_limit_error", "Rate limit reached", None);
    openai_fake.on(
        "hi",
        vec![fake_openai::Reply::Error(429, limited, Some("30"))],
    );
    let openai = OpenAiClient::builder(&openai_fake.base_url, fake_openai::MODEL)
        .api_key(fake_openai::KEY)
        .policy(fast_policy())
        .build()
        .expect("a client");
    let error = openai.chat(&hi()).await.expect_err("429");
    assert!(
        matches!(error, Error::Http { status: 429, retry_after: Some(d), .. } if d == Duration::from_secs(30)),
        "{error}"
    );
    assert_eq!(
        openai_fake.received().len(),
        1,
        "Retry-After is honoured, not the 5 ms backoff"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_on_every_attempt() {
    let fake = FakeGemini::start().await;
    fake.on("hi", vec![Reply::Hang]);
    let mut policy = fast_policy();
    policy.timeout = Duration::from_millis(150);
    policy.retry.attempts = 2;

    let error = gemini(&fake, policy)
        .chat(&hi())
        .await
        .expect_err("a timeout");

    assert!(
        matches!(error, Error::Timeout { after, .. } if after == policy.timeout),
        "{error}"
    );
    assert_eq!(fake.received().len(), 2);
}

#[tokio::test]
async fn the_budget_cuts_a_hung_attempt_short_and_allows_no_more() {
    let fake = FakeGemini::start().await;
    fake.on("hi", vec![Reply::Hang]);
    let mut policy = fast_policy();
    policy.retry.budget = Duration::from_millis(300);
    let started = Instant::now();

    let error = gemini(&fake, policy)
        .chat(&hi())
        .await
        .expect_err("a timeout");

    assert!(matches!(error, Error::Timeout { .. }), "{error}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_eq!(fake.received().len(), 1);
}

#[tokio::test]
async fn a_stalled_stream_times_out_between_chunks_and_keeps_no_partial_answer() {
    let fake = FakeGemini::start().await;
    fake.on("hi", vec![Reply::StreamHang("Hola, ¿qué".into())]);
    let mut policy = fast_policy();
    policy.timeout = Duration::from_millis(200);
    let pieces = Mutex::new(String::new());

    let error = gemini(&fake, policy)
        .chat_stream(&hi(), &|p| pieces.lock().expect("pieces").push_str(p))
        .await
        .expect_err("a timeout");

    assert!(matches!(error, Error::Timeout { .. }), "{error}");
    assert_eq!(pieces.into_inner().expect("pieces"), "Hola, ¿qué");
    assert_eq!(fake.received().len(), 1, "text was delivered: no retry");
}

fn breaker_policy(failures: u32, cool_down: Duration) -> ResiliencePolicy {
    let mut policy = fast_policy();
    policy.retry.attempts = 1;
    policy.breaker = BreakerPolicy {
        failures,
        cool_down,
    };
    policy
}

#[tokio::test]
async fn the_circuit_opens_after_n_failed_calls_then_lets_one_trial_through() {
    let fake = FakeGemini::start().await;
    fake.on(
        "hi",
        vec![
            Reply::unavailable(),
            Reply::unavailable(),
            Reply::text("back"),
        ],
    );
    let client = gemini(&fake, breaker_policy(2, Duration::from_millis(500)));

    for _ in 0..2 {
        let error = client.chat(&hi()).await.expect_err("503");
        assert!(matches!(error, Error::Http { status: 503, .. }), "{error}");
    }
    assert_eq!(client.resilience().breaker().state(), BreakerState::Open);
    let refused = client.chat(&hi()).await.expect_err("open");
    assert!(
        matches!(refused, Error::CircuitOpen { retry_in, .. } if retry_in <= Duration::from_millis(500)),
        "{refused}"
    );
    assert_eq!(fake.received().len(), 2, "an open circuit does not call");

    tokio::time::sleep(Duration::from_millis(550)).await;
    let answer = client.chat(&hi()).await.expect("the trial succeeds");

    assert_eq!(answer.text(), "back");
    assert_eq!(client.resilience().breaker().state(), BreakerState::Closed);
    assert_eq!(fake.received().len(), 3);
}

#[tokio::test]
async fn a_failed_trial_opens_the_circuit_again() {
    let fake = FakeGemini::start().await;
    fake.on("hi", vec![Reply::Error(502, serde_json::json!({}), None)]);
    let client = gemini(&fake, breaker_policy(1, Duration::from_millis(400)));

    client.chat(&hi()).await.expect_err("502");
    tokio::time::sleep(Duration::from_millis(450)).await;
    client.chat(&hi()).await.expect_err("the trial's 502");
    let refused = client.chat(&hi()).await.expect_err("open again");

    assert!(matches!(refused, Error::CircuitOpen { .. }), "{refused}");
    assert_eq!(fake.received().len(), 2);
}

#[tokio::test]
async fn requests_the_provider_rejects_do_not_open_the_circuit() {
    let fake = FakeGemini::start().await;
    fake.on("hi", vec![Reply::Finish("SAFETY", "")]);
    let client = gemini(&fake, breaker_policy(1, Duration::from_secs(60)));
    for _ in 0..3 {
        let error = client.chat(&hi()).await.expect_err("blocked");
        assert!(matches!(error, Error::Blocked { .. }), "{error}");
    }
    assert_eq!(client.resilience().breaker().state(), BreakerState::Closed);
}
