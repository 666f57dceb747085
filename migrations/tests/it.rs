//! The SQLite runner against real files: a fresh database migrated and every version recorded
//! once, a reopened one left alone, a later build applying only what is new, and the refusals
//! (a newer schema, a damaged version) and a failing migration leaving the file as it was.
//! (The Postgres runner is tested against a live cluster in `checkpoint-pg/tests/it/schema.rs`.)

use std::path::PathBuf;

use migrations::{Error, Failed, Migrated, Schema, Step};
use rusqlite::{Connection, TransactionBehavior};

const V1: &str = "CREATE TABLE t_notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)";
const V2: &str = "ALTER TABLE t_notes ADD COLUMN author TEXT;
    CREATE INDEX t_notes_author ON t_notes (author);";

const SCHEMA: Schema = Schema {
    table: "t_schema",
    lock: 1,
    migrations: &[V1, V2],
};

/// A new file for `test`, in the target directory's scratch space.
fn fresh_file(test: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("migrations-{test}.db"));
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

/// Runs `schema` on `conn` in an `IMMEDIATE` transaction, committed only if it succeeds.
fn migrate(conn: &mut Connection, schema: &Schema) -> Result<Migrated, Error> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();
    let migrated = migrations::sqlite(&tx, schema)?;
    tx.commit().unwrap();
    Ok(migrated)
}

/// The rows of the version table, `(version, applied_at_ms)`, in version order.
fn recorded(conn: &Connection) -> Vec<(i64, i64)> {
    let mut stmt = conn
        .prepare("SELECT version, applied_at_ms FROM t_schema ORDER BY version")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The names of the file's tables and indexes, sorted, separated by spaces.
fn objects(conn: &Connection) -> String {
    conn.query_row(
        "SELECT COALESCE(group_concat(name, ' ' ORDER BY name), '') FROM sqlite_master
         WHERE name NOT LIKE 'sqlite_%'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn a_fresh_database_gets_every_migration_recorded_once() {
    let mut conn = Connection::open(fresh_file("fresh")).unwrap();
    let migrated = migrate(&mut conn, &SCHEMA).unwrap();
    assert_eq!(migrated, Migrated { from: 0, to: 2 });
    let rows = recorded(&conn);
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2]);
    assert!(rows.iter().all(|r| r.1 > 0), "{rows:?}");
    assert_eq!(
        objects(&conn),
        "t_notes t_notes_author t_schema",
        "both migrations ran"
    );
}

#[test]
fn reopening_a_migrated_database_does_nothing() {
    let path = fresh_file("reopen");
    let mut conn = Connection::open(&path).unwrap();
    migrate(&mut conn, &SCHEMA).unwrap();
    let before = recorded(&conn);
    drop(conn);
    let mut conn = Connection::open(&path).unwrap();
    let migrated = migrate(&mut conn, &SCHEMA).unwrap();
    assert_eq!(migrated, Migrated { from: 2, to: 2 });
    assert_eq!(recorded(&conn), before, "nothing recorded again");
}

#[test]
fn a_later_build_applies_only_the_new_migrations() {
    let mut conn = Connection::open(fresh_file("later")).unwrap();
    let first = Schema {
        migrations: &[V1],
        ..SCHEMA
    };
    assert_eq!(
        migrate(&mut conn, &first).unwrap(),
        Migrated { from: 0, to: 1 }
    );
    conn.execute("INSERT INTO t_notes (text) VALUES ('kept')", [])
        .unwrap();
    assert_eq!(
        migrate(&mut conn, &SCHEMA).unwrap(),
        Migrated { from: 1, to: 2 }
    );
    let rows = recorded(&conn);
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2]);
    let kept: String = conn
        .query_row("SELECT text FROM t_notes WHERE author IS NULL", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(kept, "kept");
}

/// Migrates a new file for `test` whose `t_schema` records only `version`, expecting a refusal:
/// the error, after checking the file is as it was.
fn refused_at(test: &str, version: i64) -> Error {
    let mut conn = Connection::open(fresh_file(test)).unwrap();
    conn.execute_batch(
        "CREATE TABLE t_schema (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)",
    )
    .unwrap();
    conn.execute("INSERT INTO t_schema VALUES (?1, 5)", [version])
        .unwrap();
    let Err(error) = migrate(&mut conn, &SCHEMA) else {
        panic!("version {version} was accepted");
    };
    assert_eq!(recorded(&conn), [(version, 5)]);
    assert_eq!(objects(&conn), "t_schema", "no migration ran");
    error
}

#[test]
fn a_newer_schema_is_refused_and_left_unchanged() {
    let error = refused_at("newer", 9);
    assert!(
        matches!(
            error,
            Error::NewerSchema {
                table: "t_schema",
                found: 9,
                supported: 2
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("`t_schema`") && message.contains("version 9"),
        "{message}"
    );
}

#[test]
fn a_failing_migration_leaves_nothing_behind() {
    let mut conn = Connection::open(fresh_file("failing")).unwrap();
    let broken = Schema {
        migrations: &[V1, "CREATE TABLE t_other (x); CREATE TABLE t_notes (y)"],
        ..SCHEMA
    };
    let Err(error) = migrate(&mut conn, &broken) else {
        panic!("a failing migration succeeded");
    };
    assert!(
        matches!(
            error,
            Error::Sqlite(Failed {
                table: "t_schema",
                step: Step::Apply(2),
                ..
            })
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("migrating to version 2"),
        "{error}"
    );
    // The transaction was dropped uncommitted: not even the version table or version 1 stayed.
    assert_eq!(objects(&conn), "");
}

#[test]
fn a_negative_version_is_reported_as_damage() {
    let error = refused_at("negative", -1);
    assert!(
        matches!(
            error,
            Error::Damaged {
                table: "t_schema",
                found: -1
            }
        ),
        "{error:?}"
    );
}
