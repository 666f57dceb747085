//! The scheduler's jobs on PostgreSQL shared by replicas: two replicas' queues claiming the
//! same due jobs at once queue each job's message once; a replica whose claim lapsed writes
//! nothing; an opt-out committed first wins over a finishing job; and two in-process servers
//! on one schema and one injected clock send a booking's reminder once. Skipped with a notice
//! without the PostgreSQL binaries, unless `REQUIRE_PG_TESTS=1`.

use std::collections::HashSet;
use std::time::Duration;

use checkpoint_pg::testing::{TestCluster, fresh_schema};
use server::testing::{Clock, TestJobs, start_with_clock};

use crate::common::{Running, TODAY, eventually};
use crate::fake_meta::FakeMeta;
use crate::sched::{BOOKED_AT, DUE_24TH, book, sent_to};
use crate::webhooks::channel_flags;

/// The reply parts queued in `config`'s schema, by text.
async fn queued(config: &tokio_postgres::Config) -> Vec<String> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let rows = client
        .query("SELECT text FROM sv_outbox ORDER BY id", &[])
        .await
        .unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

/// Claims and finishes due jobs until none is left; the keys this replica stored.
async fn drain(jobs: &TestJobs) -> Vec<String> {
    let mut stored = Vec::new();
    loop {
        let claimed = jobs.claim(10_000, 7).await.unwrap();
        if claimed.is_empty() {
            return stored;
        }
        for job in &claimed {
            if jobs.finish(job, "15550009999", 10_000).await.unwrap() == "stored" {
                stored.push(job.key().to_owned());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_claiming_at_once_queue_each_jobs_message_once() {
    let Some(config) = fresh_schema("jobs_claims").await else {
        return;
    };
    let a = TestJobs::open(config.clone(), Duration::from_secs(30))
        .await
        .unwrap();
    let b = TestJobs::open(config.clone(), Duration::from_secs(30))
        .await
        .unwrap();
    for i in 0..120 {
        a.schedule(&format!("job-{i:03}"), 1_000).await.unwrap();
    }
    // The same keys again, from the other replica: still one job each.
    for i in 0..120 {
        b.schedule(&format!("job-{i:03}"), 1_000).await.unwrap();
    }
    let (by_a, by_b) = tokio::join!(drain(&a), drain(&b));
    assert_eq!(
        by_a.len() + by_b.len(),
        120,
        "a {} b {}",
        by_a.len(),
        by_b.len()
    );
    let both: HashSet<&String> = by_a
        .iter()
        .collect::<HashSet<_>>()
        .intersection(&by_b.iter().collect())
        .copied()
        .collect();
    assert!(both.is_empty(), "{both:?}");
    let texts = queued(&config).await;
    assert_eq!(texts.len(), 120);
    assert_eq!(texts.iter().collect::<HashSet<_>>().len(), 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_whose_claim_lapsed_writes_nothing_and_an_opt_out_wins() {
    let Some(config) = fresh_schema("jobs_fence").await else {
        return;
    };
    let slow = TestJobs::open(config.clone(), Duration::from_millis(300))
        .await
        .unwrap();
    let other = TestJobs::open(config.clone(), Duration::from_secs(30))
        .await
        .unwrap();
    slow.schedule("late", 1_000).await.unwrap();
    let claimed = slow.claim(10_000, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    // Still claimed: the other replica gets nothing.
    assert!(other.claim(10_000, 10).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(600)).await;
    let taken = other.claim(10_000, 10).await.unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(
        slow.finish(&claimed[0], "15550009999", 10_000)
            .await
            .unwrap(),
        "claim_lost"
    );
    assert_eq!(
        other
            .finish(&taken[0], "15550009999", 10_000)
            .await
            .unwrap(),
        "stored"
    );
    assert_eq!(queued(&config).await, vec!["late".to_owned()]);

    // An opt-out recorded before the finish: the job is skipped, nothing queued.
    other.schedule("quiet", 1_000).await.unwrap();
    let claimed = other.claim(10_000, 10).await.unwrap();
    other.set_opt_out("15550001234", true).await.unwrap();
    assert_eq!(
        other
            .finish(&claimed[0], "15550001234", 10_000)
            .await
            .unwrap(),
        "opted_out"
    );
    assert_eq!(queued(&config).await.len(), 1);
}

/// An in-process server on the Postgres `database`, its scheduler on `clock`.
async fn replica(database: &str, fake: &FakeMeta, clock: &Clock) -> Running {
    let mut args: Vec<String> = [
        "server",
        "--bind-addr",
        "127.0.0.1:0",
        "--database-url",
        database,
        "--hotel-today",
        TODAY,
        "--llm-provider",
        "offline",
        "--guest-lease-secs",
        "3",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    args.extend(channel_flags(fake));
    let config = <server::Config as clap::Parser>::try_parse_from(args).unwrap();
    let server = start_with_clock(config, clock.clone()).await.unwrap();
    Running {
        base: format!("http://{}", server.local_addr()),
        server,
        http: reqwest::Client::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_schema_send_a_bookings_reminder_once() {
    let Some(cluster) = TestCluster::get() else {
        return;
    };
    let database = cluster.fresh_schema("jobs_servers").await.url().to_owned();
    let fake = FakeMeta::start().await;
    let clock = Clock::manual(BOOKED_AT);
    let a = replica(&database, &fake, &clock).await;
    let b = replica(&database, &fake, &clock).await;
    let reference = book(&a, &fake, ("instagram", "pia"), (24, 26), false, BOOKED_AT).await;
    clock.set(DUE_24TH);
    eventually(20, "the reminder", || async {
        sent_to(&fake, "pia")
            .iter()
            .any(|t| t.contains("look forward"))
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let reminders: Vec<String> = sent_to(&fake, "pia")
        .into_iter()
        .filter(|t| t.contains("look forward"))
        .collect();
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert!(reminders[0].contains(&reference));
    a.server.shutdown().await;
    b.server.shutdown().await;
}
