//! Tests of the Postgres checkpointer through its public API, and of the migration runner it
//! uses (`schema.rs`), against a throwaway cluster that `checkpoint_pg::testing` starts once for
//! this binary; each test works in a schema of its own.

mod cache;
mod conformance;
mod replicas;
mod schema;
mod statements;
mod store;

pub(crate) use checkpoint_pg::testing::fresh_schema;
