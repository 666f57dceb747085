//! Tests of the Postgres checkpointer through its public API, against a throwaway cluster that
//! `cluster.rs` starts once for this binary; each test works in a schema of its own.

mod cache;
mod cluster;
mod conformance;
mod replicas;
mod statements;
mod store;

pub(crate) use cluster::fresh_schema;
