//! A page of history costs a fixed number of SQL statements, whatever its size: counted with
//! SQLite's statement trace on a reader connection, against a `get` per checkpoint.

use std::cell::Cell;
use std::sync::Arc;

use graph_core::{
    Checkpointer, Ctx, END, Endpoint, HistoryQuery, Namespace, NodeError, RunConfig, START, State,
    StateGraph, ThreadId,
};
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::{Connection, OpenFlags};

use super::{FieldNames, get, history};
use crate::SqliteCheckpointer;

thread_local! {
    static STATEMENTS: Cell<usize> = const { Cell::new(0) };
}

fn count(event: TraceEvent<'_>) {
    // A line starting with `--` is a trigger subprogram of a statement already counted.
    if let TraceEvent::Stmt(_, sql) = event
        && !sql.starts_with("--")
    {
        STATEMENTS.with(|n| n.set(n.get() + 1));
    }
}

/// The statements `read` runs on `conn` (the trace fires on this thread: reads are synchronous).
fn statements<T>(conn: &mut Connection, read: impl FnOnce(&mut Connection) -> T) -> (usize, T) {
    STATEMENTS.with(|n| n.set(0));
    conn.trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, Some(count));
    let out = read(conn);
    conn.trace_v2(TraceEventCodes::empty(), None);
    (STATEMENTS.with(Cell::get), out)
}

#[derive(State, Clone, Default, Debug)]
struct Walk {
    #[state(append)]
    log: Vec<String>,
    rounds: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_history_costs_the_same_statements_whatever_its_size() {
    let dir = std::env::temp_dir().join(format!("gc-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("statements.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = SqliteCheckpointer::open(&path).unwrap();
    let mut graph = StateGraph::<Walk>::new();
    graph.add_node("step", |s: Arc<Walk>, _ctx: Ctx| async move {
        let round = s.rounds + 1;
        Ok::<_, NodeError>(
            WalkUpdate::default()
                .log(vec![format!("r{round}")])
                .rounds(round),
        )
    });
    graph.add_edge(START, "step");
    graph.add_conditional_edge("step", [Endpoint::from("step"), END], |s: &Walk| {
        if s.rounds < 40 {
            Endpoint::from("step")
        } else {
            END
        }
    });
    let graph = graph
        .compile()
        .unwrap()
        .with_checkpointer(Arc::new(store.clone()))
        .with_snapshot_every(4);
    graph
        .invoke(WalkUpdate::default(), &RunConfig::thread("t"))
        .await
        .unwrap();

    let (thread, ns) = (ThreadId::from("t"), Namespace::root());
    let mut conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let names = FieldNames::default();
    // Warm the field-name cache, as a long-lived reader's is.
    let _ = history(&mut conn, &names, &thread, &ns, &HistoryQuery::default()).unwrap();

    let mut costs = Vec::new();
    for limit in [1, 5, 20, 41] {
        let query = HistoryQuery {
            limit: Some(limit),
            ..HistoryQuery::default()
        };
        let (cost, page) = statements(&mut conn, |c| {
            history(c, &names, &thread, &ns, &query).unwrap()
        });
        assert_eq!(page.len(), limit);
        // The same answer as a `get` per checkpoint, which costs statements per checkpoint.
        let (gets, one_by_one) = statements(&mut conn, |c| {
            page.iter()
                .map(|l| {
                    get(c, &names, &thread, &ns, Some(l.meta.id))
                        .unwrap()
                        .unwrap()
                })
                .collect::<Vec<_>>()
        });
        assert_eq!(page, one_by_one, "page of {limit}");
        assert!(
            gets >= 4 * limit,
            "a get per checkpoint: {gets} statements for {limit}"
        );
        costs.push(cost);
    }
    // BEGIN, the thread's row, the page, its values, its pending writes, the end of the read.
    assert!(costs.iter().all(|&c| c == costs[0]), "{costs:?}");
    assert!((3..=6).contains(&costs[0]), "{costs:?}");
    // And through the public API, the same page.
    let api = store
        .history(&thread, &ns, &HistoryQuery::default())
        .await
        .unwrap();
    assert_eq!(api.len(), 41);
}

/// SQLite's plan for `sql`, one line per step.
fn plan(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let steps: Vec<String> = stmt
        .query_map(params, |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    steps.join("\n")
}

#[test]
fn a_page_reads_values_and_writes_by_primary_key() {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::schema::migrate(&mut conn, std::path::Path::new(":memory:")).unwrap();
    // Each (field, version) of the page, then each step down a chain, is one key lookup: never
    // a scan of the thread's values.
    let values = plan(&conn, super::history::VALUES, (1, "[[1,2]]"));
    assert!(!values.contains("SCAN v"), "{values}");
    let lookups = values
        .matches("SEARCH v USING INDEX sqlite_autoindex_gc_values_1 (thread=? AND version=? AND field=?)")
        .count();
    assert_eq!(lookups, 3, "{values}");
    let writes = plan(&conn, super::history::WRITES, (1, "[1]"));
    assert!(writes.contains("SEARCH gc_writes USING INDEX"), "{writes}");
    assert!(writes.contains("(thread=? AND checkpoint=?)"), "{writes}");
}
