//! The store's SQL on a migrated in-memory database: the query plans, which must search the
//! primary key's range for a prefix (no table scan) and the expiry index for expired rows.

use std::path::Path;

use rusqlite::Connection;

use super::{NAMESPACES_RANGE, SEARCH_RANGE};

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
fn a_prefix_search_is_a_range_of_the_primary_key() {
    let conn = migrated();
    for sql in [SEARCH_RANGE, NAMESPACES_RANGE] {
        let plan = plan(&conn, sql, ("a.b.", "a.b/", 0));
        assert!(
            plan.contains("SEARCH gc_store USING PRIMARY KEY (ns>? AND ns<?)"),
            "{sql}\n{plan}"
        );
        assert!(!plan.contains("SCAN"), "{sql}\n{plan}");
        // The rows come in key order: no sort.
        assert!(!plan.contains("TEMP B-TREE"), "{sql}\n{plan}");
    }
}

#[test]
fn a_put_finds_expired_rows_by_the_expiry_index() {
    let conn = migrated();
    let plan = plan(
        &conn,
        "SELECT ns, key FROM gc_store WHERE expires_at_ms <= ?1 LIMIT ?2",
        (0, 16),
    );
    assert!(plan.contains("gc_store_expiry"), "{plan}");
}
