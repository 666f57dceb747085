//! The `postgres` configuration: its server, a fresh schema per checkpointer, and what the
//! workloads read back from the server (settings, transaction and WAL counters, table sizes).
//!
//! The server is `$BENCH_DATABASE_URL` (a `postgres://` URL or a `key=value` conninfo). When it
//! is unset, the `workloads` binary starts a throwaway cluster once ([`start_cluster`]), with
//! the server's default durability (`fsync=on`, `synchronous_commit=on`,
//! `full_page_writes=on`) and its data directory in `$BENCH_DB_DIR` (default: the system temp
//! dir), and hands its conninfo to each workload's child process in that variable.
//!
//! Every checkpointer gets a schema of its own ([`fresh_schema`]), so no figure depends on
//! what ran before it; a process drops the schemas it made before it ends ([`drop_schemas`]).

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use checkpoint_pg::PgCheckpointer;
use tokio_postgres::{Client, NoTls};

/// The environment variable that names the server.
pub const URL_VAR: &str = "BENCH_DATABASE_URL";
/// Writer queues per checkpointer (`PgOptions::queues`, its default).
pub const QUEUES: usize = 4;
/// The most changes a queue commits in one transaction (`PgOptions::max_batch`, its default).
pub const MAX_BATCH: usize = 64;
/// Pool size per checkpointer (`PgOptions::max_connections`, its default).
pub const POOL: usize = 16;

/// The schemas this process made, to drop at its end.
static SCHEMAS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Starts a throwaway cluster with the server's default durability, in `$BENCH_DB_DIR` (default:
/// the system temp dir), and returns its conninfo (a unix socket) for `$BENCH_DATABASE_URL`. It
/// stops, and its dir is removed, once this process has gone. `None` without the PostgreSQL
/// server binaries.
pub fn start_cluster() -> Option<String> {
    let parent = std::env::var_os("BENCH_DB_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let cluster = checkpoint_pg::testing::TestCluster::private_durable("bench", &parent)?;
    Some(cluster.conninfo())
}

/// The server's connection config, from `$BENCH_DATABASE_URL`.
pub fn server() -> tokio_postgres::Config {
    let url = std::env::var(URL_VAR)
        .unwrap_or_else(|_| panic!("the postgres configuration needs {URL_VAR}"));
    url.parse()
        .unwrap_or_else(|e| panic!("{URL_VAR} is neither a postgres URL nor a conninfo: {e}"))
}

/// A connection to the server's database, with the default `search_path`.
pub async fn client() -> Client {
    let (client, connection) = server()
        .connect(NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {URL_VAR}'s server: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// A new, empty schema, and how to connect with it as the `search_path`; its connections carry
/// its name as `application_name`, so [`wait_closed`] can find them.
#[derive(Debug, Clone)]
pub struct Schema {
    /// The schema's name.
    pub name: String,
    /// The server's config with this schema as the `search_path`.
    pub config: tokio_postgres::Config,
}

/// Creates a new, empty schema named after `prefix` and this process.
pub async fn fresh_schema(prefix: &str) -> Schema {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "bench_{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    client()
        .await
        .batch_execute(&format!("CREATE SCHEMA {name}"))
        .await
        .expect("create a bench schema");
    SCHEMAS.lock().expect("schemas").push(name.clone());
    let mut config = server();
    let options = match config.get_options() {
        Some(options) => format!("{options} -c search_path={name}"),
        None => format!("-c search_path={name}"),
    };
    config.options(options).application_name(&name);
    Schema { name, config }
}

/// A checkpointer on `schema`, with this module's pool and queue settings.
pub async fn open(schema: &Schema) -> PgCheckpointer {
    PgCheckpointer::options()
        .queues(QUEUES)
        .max_batch(MAX_BATCH)
        .max_connections(POOL)
        .connect(schema.config.clone())
        .await
        .expect("open the Postgres checkpointer")
}

/// Waits until no connection of `schema`'s is left: a dropped checkpointer's writers drain
/// their queues, then its pool closes its connections, and a backend that ends has flushed its
/// statistics (`pg_stat_database`, `pg_stat_wal`).
pub async fn wait_closed(client: &Client, schema: &str) {
    for _ in 0..1200 {
        let open: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&schema],
            )
            .await
            .expect("read pg_stat_activity")
            .get(0);
        if open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the connections of schema {schema} did not close within 30 s");
}

/// Server-wide counters, for deltas around a measurement.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// The next transaction id: every transaction that writes takes one, read-only ones do not.
    pub xids: i64,
    /// `pg_stat_database.xact_commit` of the current database: every committed transaction,
    /// read-only ones included (as each backend has flushed them).
    pub commits: i64,
    /// `pg_stat_wal.wal_sync`: the WAL fsyncs (as each process has flushed them), if the server
    /// has that view (PostgreSQL 14+).
    pub wal_syncs: Option<i64>,
    /// The WAL insert position, in bytes.
    pub wal_bytes: f64,
}

/// The server's counters now.
pub async fn stats(client: &Client) -> Stats {
    let row = client
        .query_one(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
                    (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
                    pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::float8",
            &[],
        )
        .await
        .expect("read the server's counters");
    let wal_syncs = client
        .query_one("SELECT wal_sync FROM pg_stat_wal", &[])
        .await
        .ok()
        .map(|row| row.get(0));
    Stats {
        xids: row.get(0),
        commits: row.get(1),
        wal_syncs,
        wal_bytes: row.get(2),
    }
}

/// The total size of `schema`'s tables: `pg_total_relation_size` (heap, free space and
/// visibility maps, indexes, TOAST) summed over them.
pub async fn relation_bytes(client: &Client, schema: &str) -> i64 {
    client
        .query_one(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
             FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind = 'r'",
            &[&schema],
        )
        .await
        .expect("read the schema's size")
        .get(0)
}

/// `VACUUM`s every table of `schema` (not `FULL`: it frees dead rows' space for reuse in the
/// files, and truncates only empty pages at their ends).
pub async fn vacuum(client: &Client, schema: &str) {
    let tables: Vec<String> = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname)
             FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind = 'r'",
            &[&schema],
        )
        .await
        .expect("list the schema's tables")
        .iter()
        .map(|row| row.get(0))
        .collect();
    client
        .batch_execute(&format!("VACUUM {}", tables.join(", ")))
        .await
        .expect("vacuum the schema's tables");
}

/// What a report should say about the server: its version, durability settings read back from
/// it, where its data lives, how the bench connects, and the checkpointer's pool and queues.
pub async fn server_note(client: &Client) -> String {
    async fn show(client: &Client, setting: &str) -> String {
        match client.query_one(&format!("SHOW {setting}"), &[]).await {
            Ok(row) => row.get(0),
            Err(e) => format!("unreadable ({e})"),
        }
    }
    let version: String = client
        .query_one("SELECT version()", &[])
        .await
        .expect("SELECT version()")
        .get(0);
    let connection = match server().get_hosts().first() {
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(dir)) => {
            format!("a unix socket in {}", dir.display())
        }
        Some(tokio_postgres::config::Host::Tcp(host)) => format!("TCP to {host}"),
        None => "the default host".to_owned(),
    };
    format!(
        "server: {version}; fsync={}, synchronous_commit={}, full_page_writes={}, \
         wal_sync_method={}, data directory {}; connected over {connection}; {POOL} pooled \
         connections per checkpointer, {QUEUES} writer queues, batches of up to {MAX_BATCH}",
        show(client, "fsync").await,
        show(client, "synchronous_commit").await,
        show(client, "full_page_writes").await,
        show(client, "wal_sync_method").await,
        show(client, "data_directory").await,
    )
}

/// Drops the schemas this process made, once their connections have closed.
pub async fn drop_schemas() {
    let names = std::mem::take(&mut *SCHEMAS.lock().expect("schemas"));
    if names.is_empty() {
        return;
    }
    let client = client().await;
    for name in names {
        wait_closed(&client, &name).await;
        client
            .batch_execute(&format!("DROP SCHEMA {name} CASCADE"))
            .await
            .unwrap_or_else(|e| panic!("drop schema {name}: {e}"));
    }
}
