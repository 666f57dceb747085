//! The workspace's migration runner (`migrations::postgres`, which this crate migrates with)
//! against a live cluster, on a tiny schema of its own: two migrators at once take turns on the
//! advisory lock, a newer schema is refused and left as it was, and a version table with an INT
//! column (the shape `gc_schema` has had since before the runner) still works.

use std::time::Duration;

use migrations::{Error, Migrated, Schema};
use tokio_postgres::{Client, NoTls};

use crate::fresh_schema;

const SCHEMA: Schema = Schema {
    table: "mt_schema",
    lock: i64::from_be_bytes(*b"mt_schem"),
    migrations: &[
        "CREATE TABLE mt_notes (id BIGINT PRIMARY KEY)",
        "ALTER TABLE mt_notes ADD COLUMN text TEXT",
    ],
};

/// A connection to a fresh schema of the test cluster, or `None` when there is no cluster.
async fn connect(test: &str) -> Option<(Client, tokio_postgres::Config)> {
    let config = fresh_schema(test).await?;
    Some((client(&config).await, config))
}

async fn client(config: &tokio_postgres::Config) -> Client {
    let (client, connection) = config.connect(NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

/// Migrates `SCHEMA` in a transaction of its own on `client`, committed if it succeeds.
async fn migrate(client: &mut Client) -> Result<Migrated, Error> {
    let tx = client.transaction().await.expect("begin");
    let migrated = migrations::postgres(&tx, &SCHEMA).await?;
    tx.commit().await.expect("commit");
    Ok(migrated)
}

/// The versions `mt_schema` records, in order.
async fn recorded(client: &Client) -> Vec<i64> {
    client
        .query(
            "SELECT version::BIGINT FROM mt_schema ORDER BY version",
            &[],
        )
        .await
        .expect("read mt_schema")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// A connection to a fresh schema whose `mt_schema`, its `version` column of `column` type,
/// records only `version`, as an older or newer build left it; `None` without a cluster.
async fn recording(test: &str, column: &str, version: i32) -> Option<Client> {
    let (client, _) = connect(test).await?;
    client
        .batch_execute(&format!(
            "CREATE TABLE mt_schema (version {column} PRIMARY KEY, applied_at_ms BIGINT NOT NULL);
             INSERT INTO mt_schema VALUES ({version}, 0);"
        ))
        .await
        .expect("an older or newer build's version table");
    Some(client)
}

async fn has_notes(client: &Client) -> bool {
    client
        .query_one("SELECT to_regclass('mt_notes') IS NOT NULL", &[])
        .await
        .expect("look for mt_notes")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_migrators_at_once_take_turns_and_record_each_version_once() {
    let Some((mut first, config)) = connect("runner_turns").await else {
        return;
    };
    let tx = first.transaction().await.expect("begin");
    let migrated = migrations::postgres(&tx, &SCHEMA).await.expect("migrate");
    assert_eq!(migrated, Migrated { from: 0, to: 2 });
    // The second starts while the first still holds the lock, uncommitted.
    let mut second = client(&config).await;
    let waiting = tokio::spawn(async move {
        let migrated = migrate(&mut second).await;
        (migrated, second)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the second waits for the lock");
    tx.commit().await.expect("commit");
    let (migrated, second) = waiting.await.expect("join");
    assert_eq!(
        migrated.expect("the second succeeds"),
        Migrated { from: 2, to: 2 },
        "the second finds the work done"
    );
    assert_eq!(recorded(&second).await, [1, 2]);
    let stamped: i64 = second
        .query_one(
            "SELECT count(*) FROM mt_schema WHERE applied_at_ms > 0",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(stamped, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_and_left_unchanged() {
    let Some(mut client) = recording("runner_newer", "BIGINT", 9).await else {
        return;
    };
    let refused = migrate(&mut client).await;
    assert!(
        matches!(
            refused,
            Err(Error::NewerSchema {
                table: "mt_schema",
                found: 9,
                supported: 2
            })
        ),
        "{refused:?}"
    );
    assert_eq!(recorded(&client).await, [9]);
    assert!(!has_notes(&client).await, "no migration ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_table_with_an_int_column_still_works() {
    let Some(mut client) = recording("runner_int", "INT", 1).await else {
        return;
    };
    client
        .batch_execute("CREATE TABLE mt_notes (id BIGINT PRIMARY KEY)")
        .await
        .expect("version 1's table");
    assert_eq!(
        migrate(&mut client).await.expect("migrate"),
        Migrated { from: 1, to: 2 }
    );
    assert_eq!(recorded(&client).await, [1, 2]);
    assert_eq!(
        migrate(&mut client).await.expect("reopen"),
        Migrated { from: 2, to: 2 }
    );
    let column: String = client
        .query_one(
            "SELECT data_type FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = 'mt_schema'
               AND column_name = 'version'",
            &[],
        )
        .await
        .expect("read the column's type")
        .get(0);
    assert_eq!(column, "integer", "the table keeps its shape");
}
