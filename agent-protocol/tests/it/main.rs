//! agent-protocol's tests: the API on a real HTTP server on an ephemeral loopback port, with
//! the sample graphs on in-memory storage, driven by an HTTP client the way the SDK drives it.

mod commands;
mod common;
mod fuzz;
mod multitask;
mod review;
mod run_store;
mod runs;
mod threads;
mod wire;
