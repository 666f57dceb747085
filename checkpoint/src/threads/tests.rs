//! The query plans of a rewind's and a copy's SQL on a migrated in-memory database: each
//! statement searches a primary key or the namespace index, never scans a table.

use std::path::Path;

use rusqlite::Connection;

use super::COPY_ROWS;
use super::rewind::{CUT, CUT_ROOT, STARTED_AFTER};

fn migrated() -> Connection {
    let mut conn = Connection::open_in_memory().expect("open");
    crate::schema::migrate(&mut conn, Path::new(":memory:")).expect("migrate");
    conn
}

/// SQLite's plan for `sql`, one line per step.
fn plan(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> String {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("prepare");
    let steps: Vec<String> = stmt
        .query_map(params, |r| r.get::<_, String>(3))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    steps.join("\n")
}

#[test]
fn a_rewind_finds_its_cut_and_namespaces_by_index() {
    let conn = migrated();
    // The first deleted checkpoint's rowid comes from the index alone: rowids are in it.
    let cut = plan(&conn, CUT, (1, 5));
    assert!(
        cut.contains(
            "SEARCH gc_checkpoints USING COVERING INDEX sqlite_autoindex_gc_checkpoints_1 \
             (thread=? AND id>?)"
        ),
        "{cut}"
    );
    let started = plan(&conn, STARTED_AFTER, ("t", 1, 7));
    assert!(
        started.contains("SEARCH t USING COVERING INDEX sqlite_autoindex_gc_threads_1 (name=?)"),
        "{started}"
    );
    assert!(
        started
            .contains("SEARCH c USING COVERING INDEX sqlite_autoindex_gc_checkpoints_1 (thread=?)"),
        "{started}"
    );
    assert!(!started.contains("SCAN"), "{started}");
}

#[test]
fn a_rewind_deletes_ranges_of_primary_keys() {
    let conn = migrated();
    let expected = [
        "SEARCH gc_writes USING INDEX sqlite_autoindex_gc_writes_1 (thread=? AND checkpoint>?)",
        "SEARCH gc_values USING INDEX sqlite_autoindex_gc_values_1 (thread=? AND version>?)",
        "SEARCH gc_checkpoints USING INDEX sqlite_autoindex_gc_checkpoints_1 (thread=? AND id>?)",
    ];
    for (sql, expected) in CUT_ROOT.into_iter().zip(expected) {
        let plan = plan(&conn, sql, (1, 5));
        assert!(plan.contains(expected), "{sql}\n{plan}");
        assert!(!plan.contains("SCAN"), "{sql}\n{plan}");
    }
}

#[test]
fn a_copy_reads_the_source_by_index() {
    let conn = migrated();
    for sql in COPY_ROWS {
        let plan = plan(&conn, sql, ("from", "to"));
        // The source's namespaces by name, each target by (name, namespace), then the rows of
        // each source namespace by the primary key's thread prefix.
        assert!(
            plan.contains(
                "SEARCH source USING COVERING INDEX sqlite_autoindex_gc_threads_1 (name=?)"
            ),
            "{sql}\n{plan}"
        );
        assert!(plan.contains("(thread=?)"), "{sql}\n{plan}");
        assert!(!plan.contains("SCAN"), "{sql}\n{plan}");
    }
}
