//! What the SQL stores of the Agent Protocol's records share whatever the driver: the column
//! lists, the sort column, JSON in TEXT columns, and rows decoded into records through
//! [`ReadRow`], which SQLite's and Postgres's rows implement, so both stores read a damaged or
//! newer row the same way.

use agent_protocol::{
    Multitask, RunRecord, RunStatus, StoredEvent, ThreadQuery, ThreadRecord, ThreadSort,
    ThreadStatus,
};
use serde_json::{Map, Value};

/// A thread row's columns, in the order [`thread_from`] reads them. A macro so statements can
/// be `concat!`ed at compile time.
macro_rules! thread_columns {
    () => {
        "thread_id, created_at_ms, updated_at_ms, metadata, graph_id, status"
    };
}

/// A run row's columns, in the order [`run_from`] reads them.
macro_rules! run_columns {
    () => {
        "run_id, thread_id, assistant_id, created_at_ms, updated_at_ms, status, metadata, \
         multitask, kwargs"
    };
}

pub(in crate::protocol) use {run_columns, thread_columns};

pub(in crate::protocol) use crate::db::ReadRow;

/// JSON for a TEXT column. Maps and values always serialise; the fallback is unreachable.
pub(in crate::protocol) fn json_text(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

/// A stored JSON object; damaged text reads as empty rather than failing every read.
fn object(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A column holding one of an enum's names; a name this build does not know reads as the
/// given fallback rather than failing every read of the table.
fn named<T: std::str::FromStr>(text: &str, fallback: T) -> T {
    text.parse().unwrap_or(fallback)
}

/// A stored result; damaged text reads as none.
pub(in crate::protocol) fn result_from(text: Option<String>) -> Option<Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

/// An event id as stored: the column is signed, the id is not; the bits round-trip.
pub(in crate::protocol) fn seq_column(seq: u64) -> i64 {
    seq as i64
}

/// The column ids after `after` are compared with: `-1` for all, and an id past every stored
/// one (even past i64) replays nothing.
pub(in crate::protocol) fn after_column(after: Option<u64>) -> i64 {
    after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX))
}

/// A count or page size as a bound parameter, saturating.
pub(in crate::protocol) fn bound(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The column a thread search sorts by and the direction (the id breaks ties, same way).
pub(in crate::protocol) fn order(query: &ThreadQuery) -> (&'static str, &'static str) {
    let column = match query.sort_by {
        ThreadSort::ThreadId => "thread_id",
        ThreadSort::CreatedAt => "created_at_ms",
        ThreadSort::UpdatedAt => "updated_at_ms",
    };
    (column, if query.ascending { "ASC" } else { "DESC" })
}

/// A thread from a row of `thread_columns!`.
pub(in crate::protocol) fn thread_from<R: ReadRow>(r: &R) -> Result<ThreadRecord, R::Error> {
    Ok(ThreadRecord {
        thread_id: r.text(0)?,
        created_at_ms: r.int(1)?,
        updated_at_ms: r.int(2)?,
        metadata: object(&r.text(3)?),
        graph_id: r.optional_text(4)?,
        status: named(&r.text(5)?, ThreadStatus::Idle),
    })
}

/// A run from a row of `run_columns!`.
pub(in crate::protocol) fn run_from<R: ReadRow>(r: &R) -> Result<RunRecord, R::Error> {
    Ok(RunRecord {
        run_id: r.text(0)?,
        thread_id: r.text(1)?,
        assistant_id: r.text(2)?,
        created_at_ms: r.int(3)?,
        updated_at_ms: r.int(4)?,
        status: named(&r.text(5)?, RunStatus::Error),
        metadata: object(&r.text(6)?),
        multitask: named(&r.text(7)?, Multitask::Enqueue),
        kwargs: serde_json::from_str(&r.text(8)?).unwrap_or(Value::Null),
    })
}

/// An event from a row of `seq, event, data`.
pub(in crate::protocol) fn event_from<R: ReadRow>(r: &R) -> Result<StoredEvent, R::Error> {
    Ok(StoredEvent {
        seq: r.int(0)? as u64,
        event: r.text(1)?,
        data: r.text(2)?,
    })
}
