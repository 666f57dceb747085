//! The server's integration tests: the real server on an ephemeral loopback port with a
//! temporary SQLite file, Meta's Graph API played by a loopback fake.

mod api;
mod api_load;
mod browser;
mod chromium;
mod common;
mod console;
mod console_browser;
mod errors;
mod fake_meta;
mod fake_smtp;
mod fuzz;
mod guests;
mod handoff;
mod layout;
mod load;
mod meta;
mod optout;
mod process;
mod protocol;
mod protocol_replicas;
mod protocol_replicas_follow;
mod queue_pruning;
mod replicas;
mod replicas_faults;
mod restart;
mod run_stores;
mod sched;
mod sched_replicas;
mod sched_send;
mod sched_zones;
mod schema;
mod sdk;
mod staff_notify;
mod turns;
mod webhooks;
