//! The server's one error type: what stops it from starting or serving, or a turn from
//! answering. Its text is for the log: it may name storage, so a client gets a generic message
//! and a request id instead.

/// Why the server could not start, stopped, or could not answer a message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is invalid; names the variable.
    #[error("{variable}: {reason}")]
    Config {
        /// The environment variable (and, lower-cased, the flag).
        variable: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be opened or used.
    #[error("database {database}: {reason}")]
    Database {
        /// The SQLite file or the `postgres://` URL (without its password).
        database: String,
        /// What failed.
        reason: String,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Something else needed at start failed (the catalog, the graph, the HTTP client).
    #[error("cannot start: {0}")]
    Startup(String),
    /// A staff password could not be hashed or a session token drawn (the OS's random
    /// failed).
    #[error("staff credentials: {0}")]
    Credentials(String),
    /// The bookings store failed (storage, not a refused change).
    #[error("the bookings: {0}")]
    Bookings(#[source] hotel::Error),
    /// The HTTP server failed while serving.
    #[error("serving failed: {0}")]
    Serve(std::io::Error),
    /// A turn's graph run failed (a node, the checkpointer).
    #[error("the agent failed: {0}")]
    Agent(#[source] graph_core::Error),
    /// Another replica was answering the thread for longer than a turn waits.
    #[error("thread {thread} is busy with another turn on another replica")]
    ThreadBusy {
        /// The thread.
        thread: String,
    },
    /// The scheduler could not read or write what a job needs (a booking, its payload).
    #[error("the scheduler: {0}")]
    Scheduler(String),
    /// A turn was stopped before it ended: the runtime is shutting down. What it checkpointed
    /// stays resumable.
    #[error("the turn was stopped before it ended")]
    TurnStopped,
}
