//! What housekeeping forgets. On Postgres (`sv_guests`, `sv_rate`): the leases of guests not
//! heard from in a while and budgets full again, never stranding a message stored while it
//! runs (skipped with a notice without the PostgreSQL binaries, unless `REQUIRE_PG_TESTS=1`).
//! On both databases: what guests wrote, once older than `MESSAGE_RETENTION_DAYS`.

use std::sync::Arc;

use checkpoint_pg::testing::fresh_schema;
use server::testing::TestQueue;

/// A client on the test's schema, with its connection driven by a task.
async fn client(config: &tokio_postgres::Config) -> tokio_postgres::Client {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

async fn guests(db: &tokio_postgres::Client) -> Vec<String> {
    let rows = db
        .query("SELECT user_id FROM sv_guests ORDER BY user_id", &[])
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_forgets_idle_guests_and_full_budgets_only() {
    let Some(config) = fresh_schema("prune_guests").await else {
        return;
    };
    let queue = TestQueue::open(config.clone()).await.unwrap();
    let db = client(&config).await;
    db.batch_execute(
        "INSERT INTO sv_guests (channel, user_id, lease_owner, lease_until, seen_ms) VALUES
            ('instagram', 'idle', NULL, NULL, 1000),
            ('instagram', 'lapsed', 'gone', now() - interval '1 minute', 1000),
            ('instagram', 'held', 'replica', now() + interval '1 minute', 1000),
            ('instagram', 'recent', NULL, NULL, 9000),
            ('web', 'chat-only', NULL, NULL, 0);
         INSERT INTO sv_rate (key, tat_us) VALUES
            ('instagram:idle', 0),
            ('instagram:busy', (extract(epoch FROM now()) * 1000000)::bigint + 60000000);",
    )
    .await
    .unwrap();
    // A guest last heard from long ago, with a message still pending.
    assert!(queue.receive("waiting", "w1", 1000).await.unwrap());
    queue.prune(5000).await.unwrap();
    assert_eq!(guests(&db).await, ["held", "recent", "waiting"]);
    let budgets: Vec<String> = db
        .query("SELECT key FROM sv_rate", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(budgets, ["instagram:busy"]);
    // A forgotten guest writing again is a guest again.
    assert!(queue.receive("idle", "i2", 6000).await.unwrap());
    assert!(guests(&db).await.contains(&"idle".to_owned()));
}

/// Messages stored for old guests while their rows are being pruned: each pending message
/// still has its guest's row afterwards, so a replica can claim it. (Had storing left an
/// existing row alone, a prune that could not see the uncommitted message would delete it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_never_strands_a_message_stored_meanwhile() {
    let Some(config) = fresh_schema("prune_race").await else {
        return;
    };
    let queue = Arc::new(TestQueue::open(config.clone()).await.unwrap());
    let db = client(&config).await;
    for round in 0..10 {
        db.batch_execute(&format!(
            "INSERT INTO sv_guests (channel, user_id, seen_ms)
             SELECT 'instagram', 'g{round}-' || n, 1 FROM generate_series(0, 29) n"
        ))
        .await
        .unwrap();
        let mut tasks = Vec::new();
        for n in 0..30 {
            let queue = Arc::clone(&queue);
            tasks.push(tokio::spawn(async move {
                let (user, id) = (format!("g{round}-{n}"), format!("m{round}-{n}"));
                assert!(queue.receive(&user, &id, 10_000).await.unwrap());
            }));
        }
        for _ in 0..5 {
            let queue = Arc::clone(&queue);
            tasks.push(tokio::spawn(async move {
                queue.prune(5_000).await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let stranded: i64 = db
            .query_one(
                "SELECT count(*) FROM sv_inbox i WHERE i.state = 'pending' AND NOT EXISTS
                    (SELECT 1 FROM sv_guests g
                     WHERE g.channel = i.channel AND g.user_id = i.user_id)",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(stranded, 0, "round {round}");
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Messages for the console: one `age_days` old per user, by `(user, age_days)`.
fn old_messages(now_ms: i64, ages: &[(&str, i64)]) -> Vec<(String, i64)> {
    ages.iter()
        .map(|(user, days)| ((*user).to_owned(), now_ms - days * DAY_MS))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_forgets_what_guests_wrote_past_the_retention() {
    let dir = crate::common::fresh_dir("message-retention");
    let path = dir.join("agent.db");
    // A first start creates the schema; then messages of 40, 30 and 1 days ago.
    let config = crate::common::config(&dir, &["--message-retention-days", "31"]);
    crate::common::start(config.clone())
        .await
        .server
        .shutdown()
        .await;
    let now = graph_core::system_clock() as i64;
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        for (user, at) in old_messages(now, &[("old", 40), ("month", 30), ("fresh", 1)]) {
            db.execute(
                "INSERT INTO sv_messages (channel, user_id, at_ms, text) VALUES ('instagram', ?1, ?2, 'hi')",
                rusqlite::params![user, at],
            )
            .unwrap();
        }
    }
    // Housekeeping runs as the server starts.
    let running = crate::common::start(config).await;
    let users = crate::common::eventually(10, "the old message to go", || async {
        let db = rusqlite::Connection::open(&path).unwrap();
        let mut stmt = db
            .prepare("SELECT user_id FROM sv_messages ORDER BY at_ms")
            .unwrap();
        let users: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (!users.contains(&"old".to_owned())).then_some(users)
    })
    .await;
    assert_eq!(users, ["month", "fresh"]);
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_forgets_what_guests_wrote_past_the_retention() {
    let Some(config) = fresh_schema("message_retention").await else {
        return;
    };
    let queue = TestQueue::open(config.clone()).await.unwrap();
    let db = client(&config).await;
    let now = graph_core::system_clock() as i64;
    for (user, at) in old_messages(now, &[("old", 40), ("month", 30), ("fresh", 1)]) {
        db.execute(
            "INSERT INTO sv_messages (channel, user_id, at_ms, text) VALUES ('instagram', $1, $2, 'hi')",
            &[&user, &at],
        )
        .await
        .unwrap();
    }
    assert_eq!(queue.forget_messages(now - 31 * DAY_MS).await.unwrap(), 1);
    let users: Vec<String> = db
        .query("SELECT user_id FROM sv_messages ORDER BY at_ms", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(users, ["month", "fresh"]);
}
