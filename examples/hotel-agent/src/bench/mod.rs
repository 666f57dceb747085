//! The conversation benchmark: conversations as data (`conversations/*/*.yaml`, format in
//! `conversations/README.md`), played turn by turn through the real agent graph on a fresh
//! SQLite booking store with a fixed today, and scored on the guest's bookings at the end, the
//! facts each reply must contain, and the replies no guest should get.
//!
//! ```no_run
//! # async fn run() -> Result<(), hotel_agent::Error> {
//! use hotel_agent::bench;
//! let scripts = bench::load_dir("examples/hotel-agent/conversations/holdout")?;
//! let outcomes = bench::play_all(&scripts, bench::offline).await?;
//! println!("{}", bench::Report::new(&outcomes));
//! # Ok(()) }
//! ```

mod data;
mod play;
mod report;

pub use data::{EndBooking, Fact, Script, SeedBooking, Status, Turn, load_dir};
pub use play::{Exchange, Outcome, TODAY, offline, play, play_all};
pub use report::Report;
