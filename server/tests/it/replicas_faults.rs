//! Faults with replicas on PostgreSQL: a replica killed mid-turn or mid-send is taken over by
//! the other without a duplicate reply, and the database restarting under traffic is reported
//! by readiness and loses nothing. Skipped with a notice without the PostgreSQL binaries,
//! unless `REQUIRE_PG_TESTS=1`.

use std::time::Duration;

use checkpoint_pg::testing::TestCluster;
use serde_json::Value;

use crate::common::{self, eventually};
use crate::fake_meta::FakeMeta;
use crate::process::Process;
use crate::replicas::{LEASE_SECS, ask, database, delivered_to, metric, replica, turns};
use crate::webhooks::ig_message;

/// A loopback OpenAI-compatible endpoint that takes requests and never answers them: a
/// replica using it as its model stays mid-turn until killed. Counts the requests.
async fn hanging_model() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    let app = axum::Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<&'static str>()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_turn_is_taken_over_after_its_lease_without_a_duplicate_reply() {
    let Some(database) = database("killed_mid_turn").await else {
        return;
    };
    let dir = common::fresh_dir("replicas-killed-mid-turn");
    let fake = FakeMeta::start().await;
    let (model, hits) = hanging_model().await;
    let a = Process::start(
        &dir,
        &fake,
        &database,
        &[
            ("GUEST_LEASE_SECS", LEASE_SECS),
            ("LLM_PROVIDER", "openai"),
            ("OPENAI_BASE_URL", &model),
            ("OPENAI_MODEL", "hangs"),
        ],
    )
    .await;
    a.deliver(&ig_message("kai", "mid-kai-1", &ask(4), 1_795_302_000_000))
        .await;
    eventually(20, "replica A to be mid-turn", || async {
        (hits.load(std::sync::atomic::Ordering::SeqCst) > 0).then_some(())
    })
    .await;
    let b = replica(&dir, &fake, &database).await;
    // A still holds the guest (and renews the lease): B does not answer.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(delivered_to(&fake, "kai").is_empty());
    drop(a);
    let replies = eventually(30, "B to answer after A's lease", || async {
        let replies = delivered_to(&fake, "kai");
        (!replies.is_empty()).then_some(replies)
    })
    .await;
    assert!(replies[0].contains("Dec 4, "), "{}", replies[0]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(delivered_to(&fake, "kai").len(), 1, "one reply");
    let checkpoints = turns(&b, "instagram:kai").await;
    assert!(checkpoints.iter().all(|(mid, _)| mid == "mid-kai-1"));
    assert_eq!(metric(&b, &["graph_runs_total"]).await, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_send_is_taken_over_and_parts_go_out_once_in_order() {
    let Some(database) = database("killed_mid_send").await else {
        return;
    };
    let dir = common::fresh_dir("replicas-killed-mid-send");
    let fake = FakeMeta::start().await;
    fake.hold(true);
    let a = replica(&dir, &fake, &database).await;
    for (i, day) in [6u32, 9].into_iter().enumerate() {
        let mid = format!("mid-send-{i}");
        a.deliver(&ig_message(
            "sol",
            &mid,
            &ask(day),
            1_795_302_000_000 + i as u64,
        ))
        .await;
    }
    eventually(20, "A's first send to be under way", || async {
        (fake.held() > 0).then_some(())
    })
    .await;
    // Let A answer the second message too: its reply waits behind the first part.
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(a);
    // The fake answers nothing its client left: wait until it has seen A's connection go.
    eventually(20, "A's held send to be dropped", || async {
        (fake.held() == 0).then_some(())
    })
    .await;
    fake.hold(false);
    let b = replica(&dir, &fake, &database).await;
    let replies = eventually(60, "B to send both replies", || async {
        let replies = delivered_to(&fake, "sol");
        (replies.len() >= 2).then_some(replies)
    })
    .await;
    assert!(replies[0].contains("Dec 6, "), "{}", replies[0]);
    assert!(replies[1].contains("Dec 9, "), "{}", replies[1]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(delivered_to(&fake, "sol").len(), 2, "each part once");
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_postgres_restarts_under_traffic_readiness_says_so_and_nothing_is_lost() {
    let Some(cluster) = TestCluster::private("outage") else {
        return;
    };
    let database = cluster.fresh_schema("outage").await.url().to_owned();
    let dir = common::fresh_dir("replicas-outage");
    let fake = FakeMeta::start().await;
    let server = std::sync::Arc::new(replica(&dir, &fake, &database).await);
    let ready = |server: std::sync::Arc<Process>| async move {
        let response = reqwest::get(format!("{}/health/ready", server.base))
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        (
            status,
            body["database"].as_str().unwrap_or_default().to_owned(),
        )
    };
    assert_eq!(
        ready(std::sync::Arc::clone(&server)).await,
        (200, "ok".to_owned())
    );
    // Meta's side: each message delivered until it is acknowledged with a 200, retried after
    // a second (Meta backs off for longer; every attempt counts against the guest's rate
    // limit, which a faster retry loop would exhaust).
    let traffic = {
        let server = std::sync::Arc::clone(&server);
        tokio::spawn(async move {
            for day in 1..=12u32 {
                let body = ig_message(
                    "oti",
                    &format!("mid-outage-{day}"),
                    &ask(day),
                    1_795_302_000_000 + u64::from(day) * 1000,
                );
                while server.try_deliver(&body).await != 200 {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    eventually(20, "the first replies", || async {
        (!delivered_to(&fake, "oti").is_empty()).then_some(())
    })
    .await;
    cluster.stop();
    let down = eventually(20, "readiness to report the database down", || {
        let server = std::sync::Arc::clone(&server);
        async move {
            let answer = ready(server).await;
            (answer.0 == 503).then_some(answer)
        }
    })
    .await;
    assert_eq!(down.1, "error");
    // The server keeps serving what needs no database.
    let live = reqwest::get(format!("{}/health/live", server.base))
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.start();
    eventually(30, "readiness back", || {
        let server = std::sync::Arc::clone(&server);
        async move { (ready(server).await.0 == 200).then_some(()) }
    })
    .await;
    traffic.await.unwrap();
    let replies = eventually(60, "every message answered", || async {
        let replies = delivered_to(&fake, "oti");
        (replies.len() >= 12).then_some(replies)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let replies_now = delivered_to(&fake, "oti");
    assert_eq!(replies_now.len(), 12, "{replies:#?}");
    for (n, reply) in replies_now.iter().enumerate() {
        assert!(
            reply.contains(&format!("Dec {}, ", n + 1)),
            "reply {n}: {reply}"
        );
    }
}
