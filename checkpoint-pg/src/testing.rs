//! A throwaway PostgreSQL cluster for a test binary, and a fresh schema per test (feature
//! `testing`). This crate's tests use it, and so does the crash test in `examples`.
//!
//! The first test to ask ([`TestCluster::get`], [`fresh_schema`]) starts it: `initdb` into a temp dir and `pg_ctl start`, listening only
//! on a unix socket in that dir (no TCP port to collide on), with `fsync=off` and
//! `full_page_writes=off` ([`TestCluster::private_durable`] starts one with the server's default
//! durability instead, for benchmarks). As root, which
//! `initdb` and `postgres` refuse, both run as the packaged `postgres` user through `runuser`.
//! A watchdog shell stops the cluster and removes the dir once this process has gone, however
//! it ends. With `TEST_DATABASE_URL` set, that server is used instead.
//!
//! Without the PostgreSQL binaries the tests skip with a loud notice, unless
//! `REQUIRE_PG_TESTS=1`, when they fail naming what to install.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// Where the tests connect: a socket dir, or a URL.
#[derive(Debug)]
enum Server {
    Socket(PathBuf),
    Url(String),
}

/// The throwaway cluster (or `TEST_DATABASE_URL`'s server) of this test binary, or a private
/// one a test can stop and start ([`TestCluster::private`]).
#[derive(Debug)]
pub struct TestCluster {
    server: Server,
    /// How to stop and start it: `None` for `TEST_DATABASE_URL`'s server.
    control: Option<Control>,
}

/// What `pg_ctl` needs to stop and start a throwaway cluster.
#[derive(Debug)]
struct Control {
    bin: PathBuf,
    data: PathBuf,
    dir: PathBuf,
    root: bool,
    /// The server's default durability (`fsync`, `full_page_writes`); otherwise both are off,
    /// which tests do not need and which makes them faster.
    durable: bool,
}

static SERVER: OnceLock<Option<TestCluster>> = OnceLock::new();

/// The port in the socket's name; nothing listens on TCP.
const PORT: u16 = 5432;

fn pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// `program` (a PostgreSQL binary) with `args`, as the `postgres` user when we are root.
fn pg_command(root: bool, program: &Path) -> Command {
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start() -> Option<TestCluster> {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        return Some(TestCluster {
            server: Server::Url(url),
            control: None,
        });
    }
    start_cluster("shared", &std::env::temp_dir(), false)
}

/// Starts a throwaway cluster in a dir of `parent` named after `name` and this process, with
/// `fsync` and `full_page_writes` as the server ships them when `durable`, off otherwise.
fn start_cluster(name: &str, parent: &Path, durable: bool) -> Option<TestCluster> {
    let Some(bin) = pg_bin() else {
        if std::env::var("REQUIRE_PG_TESTS").as_deref() == Ok("1") {
            panic!(
                "REQUIRE_PG_TESTS=1 but the PostgreSQL server binaries are missing \
                 (no /usr/lib/postgresql/*/bin/initdb): `apt-get install -y postgresql`"
            );
        }
        // Straight to the process's stderr: libtest captures `eprintln!` of a passing test.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"\n!!!!!!!! SKIPPED: the PostgreSQL tests (checkpoint-pg's, the bookings', the crash \
              test's, the server's replicas) need PostgreSQL's server binaries \
              (/usr/lib/postgresql/*/bin/initdb); `apt-get install -y \
              postgresql`, or set TEST_DATABASE_URL. Set REQUIRE_PG_TESTS=1 to fail instead of \
              skipping. !!!!!!!!\n",
        );
        return None;
    };
    let root = is_root();
    let dir = parent.join(format!("checkpoint-pg-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the cluster dir");
    if root {
        let mut chown = Command::new("chown");
        chown.arg("postgres:postgres").arg(&dir);
        run(chown, "chown of the cluster dir");
    }
    let data = dir.join("data");
    let mut initdb = pg_command(root, &bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
    run(initdb, "initdb");
    let control = Control {
        bin: bin.clone(),
        data: data.clone(),
        dir: dir.clone(),
        root,
        durable,
    };
    control.start();
    // The watchdog: once this process is gone, stop the cluster and remove its dir.
    let pg_ctl = bin.join("pg_ctl");
    let stop = if root {
        format!(
            "runuser -u postgres -- {} -D {} -m immediate -w stop",
            pg_ctl.display(),
            data.display()
        )
    } else {
        format!(
            "{} -D {} -m immediate -w stop",
            pg_ctl.display(),
            data.display()
        )
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = dir.display()
    );
    // Never waited for: it must outlive this process, and init reaps it.
    #[allow(clippy::zombie_processes)]
    let _watchdog = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the cluster's watchdog");
    Some(TestCluster {
        server: Server::Socket(dir),
        control: Some(control),
    })
}

impl Control {
    fn start(&self) {
        let mut pg_ctl = pg_command(self.root, &self.bin.join("pg_ctl"));
        pg_ctl
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-w", "-o"])
            .arg(format!(
                "-c listen_addresses='' -p {PORT} -k {}{} -c max_connections=300",
                self.dir.display(),
                if self.durable {
                    ""
                } else {
                    " -c fsync=off -c full_page_writes=off"
                }
            ))
            .arg("start");
        run(pg_ctl, "pg_ctl start");
    }

    fn stop(&self) {
        let mut pg_ctl = pg_command(self.root, &self.bin.join("pg_ctl"));
        pg_ctl
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"]);
        run(pg_ctl, "pg_ctl stop");
    }
}

fn base_config(server: &Server) -> tokio_postgres::Config {
    match server {
        Server::Socket(dir) => {
            let mut config = tokio_postgres::Config::new();
            config
                .host_path(dir)
                .port(PORT)
                .user("postgres")
                .dbname("postgres");
            config
        }
        Server::Url(url) => url.parse().expect("TEST_DATABASE_URL is a postgres:// URL"),
    }
}

/// A new, empty schema on the [`TestCluster`]: its name, and how to connect with it as the
/// `search_path`. Its connections also carry the schema's name as `application_name`, so a test
/// can find its backends in `pg_stat_activity` (to wait until a killed process's have ended,
/// say).
#[derive(Debug, Clone)]
pub struct TestSchema {
    name: String,
    config: tokio_postgres::Config,
    conninfo: String,
    url: String,
}

impl TestSchema {
    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A connection config whose `search_path` is this schema.
    pub fn config(&self) -> tokio_postgres::Config {
        self.config.clone()
    }

    /// The same as a connection string, for another process (`tokio_postgres::Config`'s
    /// `FromStr` reads it back): `key=value` pairs for the throwaway cluster, or
    /// `TEST_DATABASE_URL` with an `options` parameter added.
    pub fn conninfo(&self) -> &str {
        &self.conninfo
    }

    /// The same as a `postgresql://` URL, for a program that takes only URLs (the server's
    /// `DATABASE_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl TestCluster {
    /// The cluster, started by the first call; `None` (after a loud notice) when there is no
    /// server to test against. Without the PostgreSQL binaries it panics instead when
    /// `REQUIRE_PG_TESTS=1`.
    pub fn get() -> Option<&'static TestCluster> {
        SERVER.get_or_init(start).as_ref()
    }

    /// A cluster of the caller's own, named `name` (unique in the test binary), that it may
    /// [`stop`](TestCluster::stop) and [`start`](TestCluster::start) again; removed when this
    /// process has gone. `None` (after the notice) without the PostgreSQL binaries.
    pub fn private(name: &str) -> Option<TestCluster> {
        start_cluster(name, &std::env::temp_dir(), false)
    }

    /// Like [`TestCluster::private`], but with the server's default durability (`fsync=on`,
    /// `full_page_writes=on`, and `synchronous_commit=on` as always), and its dir in `parent`
    /// (created if missing), which should be on the disk being measured: for benchmarks. The
    /// socket's path must stay under the kernel's limit (about 100 bytes), so `parent` should
    /// be short.
    pub fn private_durable(name: &str, parent: &Path) -> Option<TestCluster> {
        std::fs::create_dir_all(parent).expect("create the cluster's parent dir");
        start_cluster(name, parent, true)
    }

    /// Stops the cluster (`pg_ctl stop -m fast`: connections are cut). Panics for
    /// `TEST_DATABASE_URL`'s server, which is not ours to stop.
    pub fn stop(&self) {
        self.control().stop();
    }

    /// Starts the stopped cluster again, on the same socket.
    pub fn start(&self) {
        self.control().start();
    }

    fn control(&self) -> &Control {
        self.control
            .as_ref()
            .expect("TEST_DATABASE_URL's server cannot be stopped by a test")
    }

    /// A connection config for the cluster's `postgres` database, with the default
    /// `search_path`.
    pub fn config(&self) -> tokio_postgres::Config {
        base_config(&self.server)
    }

    /// The same as a connection string, for another process (`tokio_postgres::Config`'s
    /// `FromStr` reads it back): `key=value` pairs for a throwaway cluster, or
    /// `TEST_DATABASE_URL`.
    pub fn conninfo(&self) -> String {
        match &self.server {
            Server::Socket(dir) => format!(
                "host='{}' port={PORT} user=postgres dbname=postgres",
                dir.display()
            ),
            Server::Url(url) => url.clone(),
        }
    }

    /// Creates a new, empty schema named after `test` (a valid identifier's start).
    pub async fn fresh_schema(&self, test: &str) -> TestSchema {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let mut config = self.config();
        let name = format!(
            "t_{test}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .expect("connect to the test cluster");
        let connection = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .expect("create the test's schema");
        drop(client);
        let _ = connection.await;
        let options = format!("-c search_path={name}");
        let url = match &self.server {
            Server::Socket(dir) => format!(
                "postgresql://postgres@/postgres?host={}&port={PORT}\
                 &options=-c%20search_path%3D{name}&application_name={name}",
                dir.display()
            ),
            Server::Url(url) => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}options=-c%20search_path%3D{name}&application_name={name}")
            }
        };
        let conninfo = match &self.server {
            Server::Socket(dir) => format!(
                "host={} port={PORT} user=postgres dbname=postgres options='{options}' \
                 application_name={name}",
                dir.display()
            ),
            Server::Url(_) => url.clone(),
        };
        config.options(options).application_name(&name);
        TestSchema {
            name,
            config,
            conninfo,
            url,
        }
    }
}

/// A connection config whose `search_path` is a new, empty schema named after `test`, or
/// `None` (after the notice) when there is no server to test against; see
/// [`TestCluster::fresh_schema`].
pub async fn fresh_schema(test: &str) -> Option<tokio_postgres::Config> {
    let cluster = TestCluster::get()?;
    Some(cluster.fresh_schema(test).await.config())
}
