//! Every statement the Postgres run store runs, as constants: [`all`] lets a test prepare each
//! against a migrated schema, the stand-in for compile-time checked SQL. The tables are
//! created by the server's Postgres migrations (`db/pg_schema.rs`, version 2).

use agent_protocol::ThreadSort;

use crate::protocol::runs_db::rows::{run_columns, thread_columns};

/// A thread search's filters: `$1` ids (NULL for any), `$2` status (NULL for any), `$3` and
/// `$4` metadata keys and their values as JSON text. A key matches when its stored value is
/// equal JSON, as the in-memory store compares: both sides go through `jsonb` and back to text,
/// which ignores key order and spacing but keeps `1` apart from `1.0` (numeric keeps its
/// scale). Containment (`@>`) would not do: it matches `{"x":1}` in `{"x":1,"y":2}`, `[1]` in
/// `[1,2]` and `1` as `1.0`.
macro_rules! thread_filter {
    () => {
        "WHERE ($1::text[] IS NULL OR thread_id = ANY($1::text[]))
           AND ($2::text IS NULL OR status = $2::text)
           AND NOT EXISTS (
               SELECT 1 FROM unnest($3::text[], $4::text[]) AS f(key, value)
               WHERE (metadata::jsonb -> f.key)::text IS DISTINCT FROM f.value::jsonb::text)"
    };
}

macro_rules! search {
    ($column:literal, $direction:literal) => {
        concat!(
            "SELECT ",
            thread_columns!(),
            " FROM ap_threads ",
            thread_filter!(),
            " ORDER BY ",
            $column,
            " ",
            $direction,
            ", thread_id ",
            $direction,
            " LIMIT $5 OFFSET $6"
        )
    };
}

/// A thread search for each sort key and direction (ascending?); the filters as in
/// `thread_filter!`, `$5` limit, `$6` offset.
const SEARCHES: [(ThreadSort, bool, &str); 6] = [
    (ThreadSort::ThreadId, true, search!("thread_id", "ASC")),
    (ThreadSort::ThreadId, false, search!("thread_id", "DESC")),
    (ThreadSort::CreatedAt, true, search!("created_at_ms", "ASC")),
    (
        ThreadSort::CreatedAt,
        false,
        search!("created_at_ms", "DESC"),
    ),
    (ThreadSort::UpdatedAt, true, search!("updated_at_ms", "ASC")),
    (
        ThreadSort::UpdatedAt,
        false,
        search!("updated_at_ms", "DESC"),
    ),
];

/// The search for `sort_by` in that direction.
pub(super) fn search(sort_by: ThreadSort, ascending: bool) -> &'static str {
    SEARCHES
        .iter()
        .find(|(sort, asc, _)| *sort == sort_by && *asc == ascending)
        .map_or(SEARCHES[0].2, |(_, _, sql)| sql)
}

pub(super) const COUNT: &str = concat!("SELECT COUNT(*) FROM ap_threads ", thread_filter!());

pub(super) const CREATE_THREAD: &str = concat!(
    "INSERT INTO ap_threads (",
    thread_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (thread_id) DO NOTHING"
);

pub(super) const THREAD: &str = concat!(
    "SELECT ",
    thread_columns!(),
    " FROM ap_threads WHERE thread_id = $1"
);

pub(super) const UPDATE_THREAD: &str = "UPDATE ap_threads
    SET updated_at_ms = $2, metadata = $3, graph_id = $4, status = $5 WHERE thread_id = $1";

pub(super) const DELETE_THREAD_EVENTS: &str = "DELETE FROM ap_run_events
    WHERE run_id IN (SELECT run_id FROM ap_runs WHERE thread_id = $1)";

pub(super) const DELETE_THREAD_RUNS: &str = "DELETE FROM ap_runs WHERE thread_id = $1";

pub(super) const DELETE_THREAD: &str = "DELETE FROM ap_threads WHERE thread_id = $1";

pub(super) const INSERT_RUN: &str = concat!(
    "INSERT INTO ap_runs (",
    run_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
);

pub(super) const RUN: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM ap_runs WHERE run_id = $1 AND thread_id = $2"
);

/// `$2` a status or NULL for any.
pub(super) const LIST_RUNS: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM ap_runs WHERE thread_id = $1 AND ($2::text IS NULL OR status = $2::text)
      ORDER BY seq DESC LIMIT $3 OFFSET $4"
);

pub(super) const SET_RUN_STATUS: &str =
    "UPDATE ap_runs SET status = $2, updated_at_ms = $3 WHERE run_id = $1";

pub(super) const END_RUN: &str =
    "UPDATE ap_runs SET status = $2, updated_at_ms = $3, result = $4 WHERE run_id = $1";

pub(super) const END_THREAD: &str =
    "UPDATE ap_threads SET status = $2, updated_at_ms = $3 WHERE thread_id = $1";

pub(super) const DELETE_RUN_EVENTS: &str = "DELETE FROM ap_run_events WHERE run_id = $1";

/// All of a run's events in one statement: `$2`, `$3`, `$4` their seqs, names and data.
pub(super) const INSERT_EVENTS: &str = "INSERT INTO ap_run_events (run_id, seq, event, data)
    SELECT $1, e.seq, e.event, e.data
    FROM unnest($2::bigint[], $3::text[], $4::text[]) AS e(seq, event, data)";

pub(super) const RESULT: &str = "SELECT result FROM ap_runs WHERE run_id = $1";

pub(super) const DELETE_RUN: &str = "DELETE FROM ap_runs WHERE run_id = $1 AND thread_id = $2";

pub(super) const EVENTS: &str = "SELECT seq, event, data FROM ap_run_events
    WHERE run_id = $1 AND seq > $2 ORDER BY seq";

pub(super) const PRUNE_EVENTS: &str = "DELETE FROM ap_run_events WHERE run_id IN
    (SELECT run_id FROM ap_runs
     WHERE updated_at_ms >= $1 AND updated_at_ms < $2 AND status NOT IN ('pending', 'running'))";

pub(super) const UNFINISHED: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM ap_runs WHERE status IN ('pending', 'running') ORDER BY seq"
);

/// The runs of `$1` still in flight are alive now (the database's clock, in ms).
pub(super) const HEARTBEAT: &str = "UPDATE ap_runs
    SET heartbeat_ms = (extract(epoch FROM now()) * 1000)::bigint
    WHERE run_id = ANY($1) AND status IN ('pending', 'running')";

/// Runs in flight whose process's last heartbeat (or, without one, their creation) is more
/// than `$1` ms ago on the database's clock, oldest first.
pub(super) const STALE: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM ap_runs WHERE status IN ('pending', 'running')
        AND COALESCE(heartbeat_ms, created_at_ms)
            < (extract(epoch FROM now()) * 1000)::bigint - $1
        ORDER BY seq"
);

/// A running run's events, `$2`…`$4` as in [`INSERT_EVENTS`], written only while the run is
/// in flight (after its end, the end's events stand); a seq stored already is replaced.
/// Tells every replica's `LISTEN` connection that run `$1`'s events or record changed, so a
/// reader following it reads again at once rather than at its next poll.
pub(super) const NOTIFY_EVENTS: &str = "SELECT pg_notify('ap_events', $1)";

pub(super) const APPEND_EVENTS: &str = "INSERT INTO ap_run_events (run_id, seq, event, data)
    SELECT $1, e.seq, e.event, e.data
    FROM unnest($2::bigint[], $3::text[], $4::text[]) AS e(seq, event, data)
    WHERE EXISTS (SELECT 1 FROM ap_runs
                  WHERE run_id = $1 AND status IN ('pending', 'running'))
    ON CONFLICT (run_id, seq) DO UPDATE SET event = excluded.event, data = excluded.data";

/// `$3` the action; the first request stays.
pub(super) const REQUEST_CANCEL: &str = "UPDATE ap_runs
    SET cancel_requested = COALESCE(cancel_requested, $3)
    WHERE run_id = $1 AND thread_id = $2 AND status IN ('pending', 'running')";

pub(super) const CANCEL_REQUESTS: &str = "SELECT run_id, cancel_requested FROM ap_runs
    WHERE run_id = ANY($1::text[]) AND cancel_requested IS NOT NULL
      AND status IN ('pending', 'running')";

/// Admissions of one thread take turns on this lock (until their transaction ends), whichever
/// replica makes them. Two 32-bit keys: a space apart from the single 64-bit keys the
/// migrations and others lock.
pub(super) const LOCK_THREAD: &str = "SELECT pg_advisory_xact_lock(1634759026, hashtext($1))";

pub(super) const THREAD_IN_FLIGHT: &str = "SELECT run_id FROM ap_runs
    WHERE thread_id = $1 AND status IN ('pending', 'running') ORDER BY seq";

/// `$2` the action; the first request stays.
pub(super) const CANCEL_THREAD: &str = "UPDATE ap_runs
    SET cancel_requested = COALESCE(cancel_requested, $2)
    WHERE thread_id = $1 AND status IN ('pending', 'running')";

/// Every statement the store runs (the schema aside).
pub(super) fn all() -> impl Iterator<Item = &'static str> {
    let fixed = [
        COUNT,
        CREATE_THREAD,
        THREAD,
        UPDATE_THREAD,
        DELETE_THREAD_EVENTS,
        DELETE_THREAD_RUNS,
        DELETE_THREAD,
        INSERT_RUN,
        RUN,
        LIST_RUNS,
        SET_RUN_STATUS,
        END_RUN,
        END_THREAD,
        DELETE_RUN_EVENTS,
        INSERT_EVENTS,
        RESULT,
        DELETE_RUN,
        EVENTS,
        PRUNE_EVENTS,
        UNFINISHED,
        HEARTBEAT,
        STALE,
        APPEND_EVENTS,
        NOTIFY_EVENTS,
        REQUEST_CANCEL,
        CANCEL_REQUESTS,
        LOCK_THREAD,
        THREAD_IN_FLIGHT,
        CANCEL_THREAD,
    ];
    SEARCHES.iter().map(|(_, _, sql)| *sql).chain(fixed)
}
