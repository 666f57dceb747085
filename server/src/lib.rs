//! server: the hotel agent over HTTP. Guests write on Instagram or WhatsApp (Meta's
//! webhooks) or through the local chat API and test page; each message is one turn of the
//! hotel agent graph on the guest's thread, checkpointed to the database (one SQLite file, or
//! PostgreSQL shared by several replicas); replies go out through a durable outbox. Health checks, Prometheus metrics and structured logs come with it.
//!
//! The binary is `cargo run --release -p server`; the same server can be started in-process:
//!
//! ```no_run
//! # async fn demo() -> Result<(), server::Error> {
//! use clap::Parser;
//!
//! let config = server::Config::parse_from(["server", "--bind-addr", "127.0.0.1:0"]);
//! let running = server::Server::start(config).await?;
//! println!("listening on http://{}", running.local_addr());
//! running.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod agent;
mod config;
mod console;
mod db;
mod error;
mod handoff;
mod housekeeping;
mod http;
mod inbox;
mod limits;
pub mod meta;
mod metrics;
mod optout;
mod outbox;
mod protocol;
mod sched;
mod staff;
mod state;
mod storage;

/// Constructors for the server's integration tests (the run store conformance suite, the
/// statement checks); not an API.
#[doc(hidden)]
pub mod testing;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{ChannelConfig, Config, DatabaseUrl, LlmProvider, LogFormat, PgUrl};
pub use error::Error;
pub use http::{MAX_TEXT_CHARS, MAX_USER_ID, WEB_CHANNEL};
pub use sched::template::TemplateLanguages;

/// A running server: the HTTP listener, the inbox worker, the scheduler, the outbox sender and
/// housekeeping.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    http: JoinHandle<Result<(), Error>>,
    inbox: JoinHandle<()>,
    /// The scheduler's task (proactive messages).
    sched: JoinHandle<()>,
    outbox: JoinHandle<()>,
    /// Deletes what is no longer needed, hourly.
    housekeeping: JoinHandle<()>,
    /// With Postgres: the task that hears other replicas' work.
    replicas: Vec<JoinHandle<()>>,
    /// With Postgres: the task that keeps this replica's API runs alive for the others.
    tend: Option<(watch::Sender<bool>, JoinHandle<()>)>,
    /// For shutdown to wait out turns whose callers stopped waiting.
    agent: Arc<agent::Agent>,
    /// For shutdown to wait out the Agent Protocol's runs.
    protocol: agent_protocol::Api,
    /// How long shutdown may take in all (`SHUTDOWN_GRACE_SECS`).
    grace: Duration,
}

impl Server {
    /// Checks `config`, opens the database, binds the address and starts serving. Replies
    /// left pending by a previous run are sent and unanswered messages answered.
    pub async fn start(config: Config) -> Result<Server, Error> {
        let clock = sched::Clock::system(config.hotel_today);
        Server::start_with(config, clock).await
    }

    /// [`Server::start`] with the scheduler on `clock` (tests move it).
    pub(crate) async fn start_with(config: Config, clock: sched::Clock) -> Result<Server, Error> {
        config.validate()?;
        let metrics = Arc::new(metrics::Metrics::new());
        let catalog =
            hotel::Catalog::load().map_err(|e| Error::Startup(format!("the catalog: {e}")))?;
        let storage = storage::Storage::open(&config, &catalog).await?;
        let agent = Arc::new(agent::Agent::open(
            &config,
            &storage,
            catalog,
            Arc::clone(&metrics),
            Arc::new(sched::Scheduler::new(Arc::clone(&storage.jobs), clock)),
        )?);
        let api = meta::send::SendApi::new(Duration::from_secs(15))
            .map_err(|e| Error::Startup(format!("the HTTP client: {e}")))?;
        let listener = tokio::net::TcpListener::bind(config.bind_addr)
            .await
            .map_err(|source| Error::Bind {
                addr: config.bind_addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.bind_addr,
            source,
        })?;
        let protocol = protocol::open(
            &config,
            &agent,
            Arc::clone(&storage.runs),
            Arc::clone(&storage.queue),
        )
        .await?;
        let wake = Arc::clone(&storage.wake);
        let grace = config.shutdown_grace();
        let staff = staff::StaffNotify::from_lookup(|name| config.staff_var(name))?;
        if !staff.is_empty() {
            tracing::info!(%staff, "staff are told of new handoffs");
        }
        let app = Arc::new(
            state::App::new(
                config,
                Arc::clone(&agent),
                protocol.clone(),
                Arc::clone(&storage.queue),
                Arc::clone(&wake),
                storage.limits.clone(),
                metrics,
            )
            .with_staff(staff),
        );
        let (stop, stopped) = watch::channel(false);
        let mut replicas = Vec::new();
        let mut tend = None;
        if let Some((queue, connect)) = storage.listen {
            replicas.push(queue.listen(connect, wake, stopped.clone()));
            // Stopped only after the runs have ended: a replica still draining its runs keeps
            // them alive for the others.
            let (stop_tending, tending) = watch::channel(false);
            tend = Some((stop_tending, protocol::tend(protocol.clone(), tending)));
        }
        let inbox = tokio::spawn(inbox::run(Arc::clone(&app), stopped.clone()));
        let sched = tokio::spawn(sched::run(Arc::clone(&app), stopped.clone()));
        let outbox = tokio::spawn(outbox::run(Arc::clone(&app), api, stopped.clone()));
        let housekeeping = tokio::spawn(housekeeping::run(Arc::clone(&app), stopped.clone()));
        let router = http::router(Arc::clone(&app));
        let mut until = stopped;
        // Streamed answers (SSE, `wait`'s keep-alives) are written in small pieces: without
        // TCP_NODELAY each piece after the first waits for the client's delayed ACK (~40 ms).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY");
            }
        });
        let http = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = until.wait_for(|stop| *stop).await;
                })
                .await
                .map_err(Error::Serve)
        });
        tracing::info!(%addr, "serving");
        Ok(Server {
            addr,
            stop,
            http,
            inbox,
            sched,
            outbox,
            housekeeping,
            replicas,
            tend,
            agent,
            protocol,
            grace,
        })
    }

    /// The address it listens on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops gracefully: no new connections, in-flight requests answered, running turns
    /// finished (or left checkpointed to resume), sends in flight recorded, all within the
    /// grace period (`SHUTDOWN_GRACE_SECS`): a response still streaming then (one following
    /// a long run, perhaps another replica's) is cut, and its client reconnects elsewhere.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + self.grace;
        let mut http = self.http;
        match tokio::time::timeout_at(deadline, &mut http).await {
            Ok(Ok(Err(e))) => tracing::error!(error = %e, "HTTP server"),
            Ok(Err(e)) => tracing::error!(error = %e, "HTTP server task"),
            Ok(Ok(Ok(()))) => {}
            Err(_) => {
                tracing::warn!(grace = ?self.grace, "shutdown: responses still open were cut");
                http.abort();
            }
        }
        let _ = self.inbox.await;
        let _ = self.sched.await;
        // Turns whose HTTP client left, or that the inbox's drain gave up on, are still
        // running, each holding its thread until its writes have landed.
        let idle = async {
            self.agent.idle().await;
            self.protocol.idle().await;
        };
        if tokio::time::timeout_at(deadline, idle).await.is_err() {
            tracing::warn!("shutdown: turns and runs still running were stopped");
        }
        if let Some((stop, task)) = self.tend {
            let _ = stop.send(true);
            let _ = task.await;
        }
        let _ = self.outbox.await;
        let _ = self.housekeeping.await;
        for task in self.replicas {
            let _ = task.await;
        }
        tracing::info!("stopped");
    }

    /// Serves until `signals` hears SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn run_until(self, signals: Signals) {
        signals.wait().await;
        tracing::info!("signal received; shutting down");
        self.shutdown().await;
    }
}

/// SIGINT and SIGTERM, listened for from the moment this is made. Made before
/// [`Server::start`], so a signal that arrives while the server starts (an orchestrator
/// stopping it at once) is a graceful shutdown once it has started, never the default kill.
pub struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Starts listening (inside a Tokio runtime).
    pub fn listen() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// Resolves at the first signal heard since [`Signals::listen`].
    async fn wait(mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Sets up logging to stderr: text or JSON lines, filtered by `RUST_LOG` (default `info`).
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
