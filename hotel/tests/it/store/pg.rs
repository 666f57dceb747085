//! The Postgres store on a throwaway cluster (`checkpoint_pg::testing`, a schema per test):
//! reopening keeps the data and seeds once, replicas migrate one schema at once, a newer schema
//! is refused, reference collisions draw again, every statement prepares, and one key raced
//! by many requests books once.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use hotel::{
    BookingRef, CATALOG_JSON, Catalog, Database, Error, GuestId, PgBookingStore, RoomKind,
};

use super::{TODAY, ana, stay};
use crate::d;

/// A pool of `size` connections on `config`.
pub(crate) fn pool(config: tokio_postgres::Config, size: usize) -> Pool {
    let manager = Manager::from_config(
        config,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager).max_size(size).build().unwrap()
}

/// A fresh schema named after `test`, or `None` (after a loud notice) without PostgreSQL.
pub(crate) async fn schema(test: &str) -> Option<tokio_postgres::Config> {
    checkpoint_pg::testing::fresh_schema(test).await
}

/// A store with a pool of `size` connections on a fresh schema named after `test`.
pub(crate) async fn store(test: &str, size: usize) -> Option<PgBookingStore> {
    let config = schema(test).await?;
    Some(open(&config, size).await)
}

pub(crate) async fn open(config: &tokio_postgres::Config, size: usize) -> PgBookingStore {
    PgBookingStore::open(pool(config.clone(), size), Catalog::load().unwrap())
        .await
        .unwrap()
}

/// A plain connection on `config`, for looking at the tables directly.
pub(crate) async fn connect(config: &tokio_postgres::Config) -> tokio_postgres::Client {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

pub(crate) async fn count(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_keeps_the_bookings_and_seeds_only_once() {
    let Some(config) = schema("reopen").await else {
        return;
    };
    let request = stay("GPH", RoomKind::Suite, d(2026, 6, 10), d(2026, 6, 12));
    let first = open(&config, 2).await;
    let booking = first.book(&ana(), &request, "b", TODAY).await.unwrap();
    drop(first);
    // A catalog that now lists 10 Suites does not overwrite the 4 seeded on first start.
    let bigger = CATALOG_JSON.replacen(r#""Suite", "count": 4"#, r#""Suite", "count": 10"#, 1);
    assert_ne!(bigger, CATALOG_JSON);
    let store = PgBookingStore::open(
        pool(config.clone(), 2),
        Catalog::from_json(&bigger).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        store.lookup(&ana(), &booking.reference).await.unwrap(),
        booking
    );
    let (a, b) = (d(2026, 6, 10), d(2026, 6, 12));
    let left = store.availability("GPH", RoomKind::Suite, a, b).await;
    assert_eq!(left.unwrap(), 3);
    let client = connect(&config).await;
    assert_eq!(
        count(&client, "SELECT COUNT(*) FROM hb_inventory").await,
        17
    );
    assert_eq!(count(&client, "SELECT COUNT(*) FROM hb_schema").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_opening_one_fresh_schema_at_once_take_turns() {
    let Some(config) = schema("migrate").await else {
        return;
    };
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool(config.clone(), 2);
            tokio::spawn(PgBookingStore::open(pool, Catalog::load().unwrap()))
        })
        .collect();
    let mut stores = Vec::new();
    for open in opens {
        stores.push(open.await.unwrap().expect("every replica opens"));
    }
    let client = connect(&config).await;
    assert_eq!(count(&client, "SELECT COUNT(*) FROM hb_schema").await, 2);
    assert_eq!(
        count(&client, "SELECT COUNT(*) FROM hb_inventory").await,
        17
    );
    // What one replica books, another sees.
    let request = stay("HPH", RoomKind::Deluxe, d(2026, 6, 10), d(2026, 6, 12));
    let booking = stores[3].book(&ana(), &request, "b", TODAY).await.unwrap();
    assert_eq!(
        stores[0].lookup(&ana(), &booking.reference).await.unwrap(),
        booking
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_collision_draws_again_and_a_newer_schema_is_refused() {
    let Some(config) = schema("collision").await else {
        return;
    };
    let seeded = || {
        let rng = fastrand::Rng::with_seed(7);
        PgBookingStore::open_seeded(pool(config.clone(), 2), Catalog::load().unwrap(), rng)
    };
    let request = stay("HPH", RoomKind::Deluxe, d(2026, 6, 10), d(2026, 6, 12));
    let first = seeded().await.unwrap();
    let first = first.book(&ana(), &request, "b1", TODAY).await.unwrap();
    let second = seeded().await.unwrap();
    let second = second.book(&ana(), &request, "b2", TODAY).await.unwrap();
    // The second store drew the first one's reference first, then drew again.
    let first_draw = BookingRef::generate("HPH", &mut fastrand::Rng::with_seed(7));
    assert_eq!(first.reference, first_draw);
    assert_ne!(second.reference, first_draw);

    let client = connect(&config).await;
    client
        .execute(
            "INSERT INTO hb_schema (version, applied_at_ms) VALUES (99, 0)",
            &[],
        )
        .await
        .unwrap();
    let err = seeded().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::NewerSchema {
                database: Database::Postgres,
                found: 99,
                supported: 2,
            }
        ),
        "{err}"
    );
    // Refused before anything changed.
    assert_eq!(count(&client, "SELECT COUNT(*) FROM hb_bookings").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_statement_prepares() {
    let Some(store) = store("statements", 2).await else {
        return;
    };
    let checked = store
        .check_statements()
        .await
        .expect("every statement prepares");
    assert!(checked >= 22, "only {checked} statements were checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_key_raced_across_room_types_books_once_and_replays_for_the_rest() {
    let Some(config) = schema("same_key").await else {
        return;
    };
    let store = open(&config, 8).await;
    // Different room types take different inventory locks, so these do not take turns. To
    // make them overlap for sure, the test holds all their inventory rows until every racer
    // waits on one: released together, all pass the key check, one records the key, and the
    // others fail on its unique constraint, which must read as the first one's result.
    let rooms = [
        ("SRS", RoomKind::Deluxe),
        ("MVL", RoomKind::Family),
        ("GPH", RoomKind::Suite),
        ("HPH", RoomKind::Deluxe),
        ("CCI", RoomKind::Standard),
        ("ABH", RoomKind::Standard),
    ];
    let mut blocker = connect(&config).await;
    let watcher = connect(&config).await;
    for round in 0..3 {
        let guest = GuestId::new("web", format!("racer-{round}"));
        let hold = blocker.transaction().await.unwrap();
        hold.execute("SELECT * FROM hb_inventory FOR UPDATE", &[])
            .await
            .unwrap();
        let tasks: Vec<_> = rooms
            .iter()
            .map(|&(hotel, room)| {
                let (store, guest) = (store.clone(), guest.clone());
                tokio::spawn(async move {
                    let request = stay(hotel, room, d(2026, 6, 10), d(2026, 6, 12));
                    store.book(&guest, &request, "same", TODAY).await
                })
            })
            .collect();
        let waiting = "SELECT COUNT(*) FROM pg_stat_activity
            WHERE application_name = current_setting('application_name')
              AND wait_event_type = 'Lock'";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while count(&watcher, waiting).await < rooms.len() as i64 {
            assert!(
                std::time::Instant::now() < deadline,
                "the racers never queued"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        hold.commit().await.unwrap();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap().expect("every request succeeds"));
        }
        assert!(
            results.windows(2).all(|w| w[0] == w[1]),
            "round {round}: {results:?}"
        );
        assert_eq!(store.bookings_of(&guest).await.unwrap().len(), 1);
    }
}
