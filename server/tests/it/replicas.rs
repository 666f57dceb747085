//! Two real `server` processes on one PostgreSQL database (a throwaway cluster, a schema per
//! test) and one loopback fake of Meta's Graph API: a webhook delivered to both is answered
//! once; one guest's messages spread over both are answered in order, one turn at a time;
//! many guests are shared between them with every reply sent once; the rate limits are one
//! budget for both, and so are failed staff logins; 200 guests racing for 3 suites book
//! exactly 3. Replicas dying and the database restarting are in `replicas_faults.rs`. Skipped
//! with a notice without the PostgreSQL binaries, unless `REQUIRE_PG_TESTS=1`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use checkpoint_pg::testing::TestCluster;
use serde_json::{Value, json};

use crate::common::{self, eventually};
use crate::fake_meta::FakeMeta;
use crate::process::Process;
use crate::webhooks::ig_message;

/// A short lease so that a killed replica's guests are taken over within seconds.
pub(crate) const LEASE_SECS: &str = "3";

/// A database URL on a fresh schema, or `None` (after the notice) without a cluster.
pub(crate) async fn database(test: &str) -> Option<String> {
    let cluster = TestCluster::get()?;
    Some(cluster.fresh_schema(test).await.url().to_owned())
}

/// Two replicas on one fresh schema, with `env` added, and the fake they send through.
struct Pair {
    a: Process,
    b: Process,
    fake: FakeMeta,
}

async fn pair(test: &str, env: &[(&str, &str)]) -> Option<Pair> {
    let database = database(test).await?;
    let dir = common::fresh_dir(&format!("replicas-{test}"));
    let fake = FakeMeta::start().await;
    let env: Vec<(&str, &str)> = [("GUEST_LEASE_SECS", LEASE_SECS)]
        .into_iter()
        .chain(env.iter().copied())
        .collect();
    let a = Process::start(&dir, &fake, &database, &env).await;
    let b = Process::start(&dir, &fake, &database, &env).await;
    Some(Pair { a, b, fake })
}

pub(crate) async fn replica(dir: &Path, fake: &FakeMeta, database: &str) -> Process {
    Process::start(dir, fake, database, &[("GUEST_LEASE_SECS", LEASE_SECS)]).await
}

/// The sum of the `/metrics` samples whose line contains every one of `parts`.
pub(crate) async fn metric(process: &Process, parts: &[&str]) -> f64 {
    let text = reqwest::get(format!("{}/metrics", process.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && parts.iter().all(|p| line.contains(p)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The texts delivered to `guest` so far, in the order the fake received them.
pub(crate) fn delivered_to(fake: &FakeMeta, guest: &str) -> Vec<String> {
    fake.delivered()
        .into_iter()
        .filter(|r| r.recipient() == guest)
        .map(|r| r.text())
        .collect()
}

/// A question whose answer names `day`, so replies can be told apart.
pub(crate) fn ask(day: u32) -> String {
    format!(
        "how much is a deluxe room at Grand Plaza Hotel from December {day} to December {} for 2 adults",
        day + 2
    )
}

/// The thread's checkpoints, oldest first, as (message id, reply) of each.
pub(crate) async fn turns(process: &Process, thread: &str) -> Vec<(String, String)> {
    let history: Vec<Value> = reqwest::Client::new()
        .post(format!("{}/threads/{thread}/history", process.base))
        .json(&json!({"limit": 1000}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    history
        .iter()
        .rev()
        .map(|state| {
            (
                state["metadata"]["message_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                state["values"]["reply"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_webhook_at_both_replicas_is_stored_once_and_answered_once() {
    let Some(Pair { a, b, fake }) = pair("same_webhook", &[]).await else {
        return;
    };
    for round in 0..5u32 {
        let guest = format!("twin-{round}");
        let body = ig_message(
            &guest,
            &format!("mid-twin-{round}"),
            &ask(3),
            1_795_302_000_000,
        );
        tokio::join!(a.deliver(&body), b.deliver(&body));
        eventually(20, "the reply", || async {
            (!delivered_to(&fake, &guest).is_empty()).then_some(())
        })
        .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for round in 0..5u32 {
        assert_eq!(delivered_to(&fake, &format!("twin-{round}")).len(), 1);
    }
    let accepted = metric(&a, &["webhook_events", "outcome=\"accepted\""]).await
        + metric(&b, &["webhook_events", "outcome=\"accepted\""]).await;
    let duplicates = metric(&a, &["webhook_events", "outcome=\"duplicate\""]).await
        + metric(&b, &["webhook_events", "outcome=\"duplicate\""]).await;
    assert_eq!((accepted, duplicates), (5.0, 5.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_guests_messages_spread_over_both_replicas_are_answered_in_order_one_at_a_time() {
    let Some(Pair { a, b, fake }) = pair("one_guest", &[]).await else {
        return;
    };
    let sent: Vec<String> = (1..=20).map(|i| format!("mid-order-{i:02}")).collect();
    for (i, mid) in sent.iter().enumerate() {
        let body = ig_message(
            "ada",
            mid,
            &ask(i as u32 + 1),
            1_795_302_000_000 + i as u64 * 1000,
        );
        if i % 2 == 0 { &a } else { &b }.deliver(&body).await;
    }
    eventually(60, "20 replies", || async {
        (delivered_to(&fake, "ada").len() >= 20).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let checkpoints = turns(&b, "instagram:ada").await;
    // Each turn's checkpoints are contiguous (no turn overlapped another) and the turns ran
    // in the order the messages were sent.
    let mut order: Vec<&str> = Vec::new();
    for (mid, _) in &checkpoints {
        if order.last() != Some(&mid.as_str()) {
            order.push(mid);
        }
    }
    assert_eq!(order, sent, "turn order by checkpoint");
    // The replies went out in the same order, each once.
    let mut expected: Vec<String> = Vec::new();
    for (i, (mid, reply)) in checkpoints.iter().enumerate() {
        let last_of_turn = checkpoints.get(i + 1).is_none_or(|(next, _)| next != mid);
        if last_of_turn {
            expected.push(reply.clone());
        }
    }
    assert_eq!(delivered_to(&fake, "ada"), expected);
    let ran = metric(&a, &["graph_runs_total"]).await + metric(&b, &["graph_runs_total"]).await;
    assert_eq!(ran, 20.0, "each message ran once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_guests_are_shared_by_both_replicas_and_every_reply_is_sent_once() {
    let Some(Pair { a, b, fake }) = pair("fifty_guests", &[]).await else {
        return;
    };
    for guest in 0..50u32 {
        for n in 0..3u32 {
            let body = ig_message(
                &format!("g{guest:02}"),
                &format!("mid-{guest}-{n}"),
                &ask(n * 5 + 1),
                1_795_302_000_000 + u64::from(n) * 1000,
            );
            let target = if (guest + n) % 2 == 0 { &a } else { &b };
            target.deliver(&body).await;
        }
    }
    eventually(120, "150 replies", || async {
        (fake.delivered().len() >= 150).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut per_guest: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in fake.delivered() {
        per_guest.entry(r.recipient()).or_default().push(r.text());
    }
    assert_eq!(per_guest.len(), 50);
    for (guest, texts) in &per_guest {
        assert_eq!(texts.len(), 3, "{guest}: {texts:#?}");
        for (n, text) in texts.iter().enumerate() {
            let day = n as u32 * 5 + 1;
            assert!(
                text.contains(&format!("Dec {day}, ")),
                "{guest} reply {n} out of order: {text}"
            );
        }
    }
    let (ran_a, ran_b) = (
        metric(&a, &["graph_runs_total"]).await,
        metric(&b, &["graph_runs_total"]).await,
    );
    assert_eq!(ran_a + ran_b, 150.0);
    assert!(ran_a > 0.0 && ran_b > 0.0, "a ran {ran_a}, b ran {ran_b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_shared_by_the_replicas() {
    let Some(Pair { a, b, fake }) = pair("shared_limits", &[("RATE_LIMIT_PER_GUEST", "3")]).await
    else {
        return;
    };
    for n in 0..6u32 {
        let body = ig_message(
            "rui",
            &format!("mid-rate-{n}"),
            &ask(n + 1),
            1_795_302_000_000 + u64::from(n),
        );
        if n % 2 == 0 { &a } else { &b }.deliver(&body).await;
    }
    // Another guest has a budget of their own.
    a.deliver(&ig_message("eva", "mid-eva", &ask(20), 1_795_302_000_000))
        .await;
    eventually(30, "the answers and the notice", || async {
        (delivered_to(&fake, "rui").len() >= 4 && !delivered_to(&fake, "eva").is_empty())
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rui = delivered_to(&fake, "rui");
    // Three of six answered (the budget is one for both replicas, not one each), and one
    // notice for the three refused.
    let notices = rui
        .iter()
        .filter(|t| t.contains("faster than I can"))
        .count();
    assert_eq!((rui.len(), notices), (4, 1), "{rui:#?}");
    let limited = metric(&a, &["webhook_events", "outcome=\"rate_limited\""]).await
        + metric(&b, &["webhook_events", "outcome=\"rate_limited\""]).await;
    assert_eq!(limited, 3.0);
    assert_eq!(delivered_to(&fake, "eva").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_staff_logins_are_counted_across_the_replicas() {
    let Some(Pair { a, b, .. }) = pair("shared_logins", &[]).await else {
        return;
    };
    let http = reqwest::Client::new();
    let account = json!({"name": "Marta", "password": "front desk 2026"});
    let made = http
        .post(format!("{}/staff/api/staff", a.base))
        .json(&account)
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let login = |base: &str, password: &str| {
        http.post(format!("{base}/staff/login"))
            .header("origin", base)
            .json(&json!({"name": "marta", "password": password}))
            .send()
    };
    // Five wrong passwords, spread over both replicas (the name in another case counts too).
    for n in 0..5 {
        let base = if n % 2 == 0 { &a.base } else { &b.base };
        assert_eq!(login(base, "wrong password").await.unwrap().status(), 401);
    }
    // Now neither replica checks even the right one until the quarter hour is over.
    for base in [&a.base, &b.base] {
        assert_eq!(login(base, "front desk 2026").await.unwrap().status(), 429);
    }
}

/// POSTs a chat message to `base` as `user`; the reply text.
async fn chat(http: &reqwest::Client, base: &str, user: &str, text: &str) -> String {
    let response = http
        .post(format!("{base}/api/chat"))
        .json(&json!({"user_id": user, "text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{user}: {text}");
    let body: Value = response.json().await.unwrap();
    body["reply"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_guests_confirming_the_last_three_suites_on_two_replicas_book_exactly_three() {
    let Some(Pair { a, b, fake: _fake }) =
        pair("suites_race", &[("RATE_LIMIT_GLOBAL", "100000")]).await
    else {
        return;
    };
    let bases = [a.base.clone(), b.base.clone()];
    let http = reqwest::Client::new();
    let guests: Vec<String> = (0..200).map(|i| format!("race{i:03}")).collect();
    // Every guest is quoted one of Seaside's 3 suites for the same nights…
    let ask = "I'd like a suite at Seaside Resort & Spa from December 3 to December 6 for 2 adults";
    let quotes = futures_util::future::join_all(guests.iter().enumerate().map(|(i, guest)| {
        let (http, base) = (http.clone(), bases[i % 2].clone());
        async move { chat(&http, &base, guest, ask).await }
    }))
    .await;
    for quote in &quotes {
        assert!(quote.contains("Shall I book it"), "{quote}");
    }
    // …and all say yes at once, half of them through each replica.
    let answers = futures_util::future::join_all(guests.iter().enumerate().map(|(i, guest)| {
        let (http, base) = (http.clone(), bases[(i + 1) % 2].clone());
        async move { chat(&http, &base, guest, "yes").await }
    }))
    .await;
    let booked = answers
        .iter()
        .filter(|a| a.contains("booking reference is"))
        .count();
    assert_eq!(booked, 3, "{:#?}", &answers[..5]);
    let mut stored = 0;
    for (i, guest) in guests.iter().enumerate() {
        let bookings: Vec<Value> = http
            .get(format!(
                "{}/api/users/{guest}/bookings?channel=web",
                bases[i % 2]
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stored += bookings.len();
    }
    assert_eq!(stored, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_web_users_chats_on_both_replicas_at_once_take_turns() {
    let Some(Pair { a, b, fake: _fake }) = pair("web_turns", &[]).await else {
        return;
    };
    let http = reqwest::Client::new();
    let replies = futures_util::future::join_all((0..12u32).map(|n| {
        let (http, base) = (http.clone(), [&a.base, &b.base][n as usize % 2].clone());
        async move { chat(&http, &base, "wen", &ask(n + 1)).await }
    }))
    .await;
    assert!(
        replies.iter().all(|r| r.contains("Shall I book it")),
        "{replies:#?}"
    );
    // Every turn's checkpoints are contiguous: no two turns interleaved on the thread.
    let checkpoints = turns(&a, "web:wen").await;
    let mut order: Vec<&str> = Vec::new();
    for (mid, _) in &checkpoints {
        if order.last() != Some(&mid.as_str()) {
            order.push(mid);
        }
    }
    let distinct: std::collections::BTreeSet<&str> = order.iter().copied().collect();
    assert_eq!((order.len(), distinct.len()), (12, 12), "{order:#?}");
}
