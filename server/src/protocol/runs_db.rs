//! [`SqliteRunStore`]: the Agent Protocol's threads, runs and run events in the server's
//! SQLite file (`ap_*` tables, created with the server's own by [`Db`]'s migrations), through
//! the server's connection.

pub(super) mod rows;
mod shared;

use agent_protocol::{
    CancelAction, Error, RunEnd, RunRecord, RunStatus, RunStore, StoredEvent, ThreadQuery,
    ThreadRecord,
};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use serde_json::Value;

use rows::{
    after_column, bound, event_from, json_text, order, result_from, run_columns, run_from,
    seq_column, thread_columns, thread_from,
};

use crate::db::Db;

/// The Agent Protocol's records in SQLite.
pub(crate) struct SqliteRunStore {
    db: Db,
}

impl SqliteRunStore {
    /// The store over `db`, whose opening created the tables ([`crate::db`]).
    pub(crate) fn open(db: Db) -> Self {
        SqliteRunStore { db }
    }

    async fn call<T: Send + 'static>(
        &self,
        what: &'static str,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, Error> {
        self.db
            .call(what, f)
            .await
            .map_err(|e| Error::Storage(e.to_string()))
    }
}

// rusqlite wants functions over rows of every lifetime; the shared decoders are generic over
// the row type, so each is named here for SQLite's.
fn thread_row(r: &Row<'_>) -> rusqlite::Result<ThreadRecord> {
    thread_from(r)
}

fn run_row(r: &Row<'_>) -> rusqlite::Result<RunRecord> {
    run_from(r)
}

fn event_row(r: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    event_from(r)
}

const THREAD_COLUMNS: &str = thread_columns!();
const RUN_COLUMNS: &str = run_columns!();

/// The `WHERE` of a thread search and its parameters (all text). A metadata filter compares
/// JSON as the in-memory store does (`1` is not `1.0`, objects by content): each stored value
/// is written back as JSON by its type and compared with the filter's value normalised. A float
/// is taken as stored (`->`), since `json_quote` rewrites `1e300` as `1.0e+300` and rounds to 15
/// digits.
fn thread_filter(query: &ThreadQuery) -> (String, Vec<String>) {
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    if let Some(ids) = &query.ids {
        clauses.push("thread_id IN (SELECT value FROM json_each(?))".to_owned());
        params.push(json_text(ids));
    }
    if let Some(status) = query.status {
        clauses.push("status = ?".to_owned());
        params.push(status.as_str().to_owned());
    }
    for (key, value) in &query.metadata {
        clauses.push(
            "EXISTS (SELECT 1 FROM json_each(ap_threads.metadata) AS m WHERE m.key = ? AND
                 (CASE m.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                      WHEN 'null' THEN 'null' WHEN 'object' THEN json(m.value)
                      WHEN 'array' THEN json(m.value)
                      WHEN 'real' THEN json(ap_threads.metadata -> m.fullkey)
                      ELSE json_quote(m.value) END) = json(?))"
                .to_owned(),
        );
        params.push(key.clone());
        params.push(json_text(value));
    }
    if clauses.is_empty() {
        return (String::new(), params);
    }
    (format!("WHERE {}", clauses.join(" AND ")), params)
}

#[async_trait]
impl RunStore for SqliteRunStore {
    async fn create_thread(&self, thread: &ThreadRecord) -> Result<bool, Error> {
        let t = thread.clone();
        self.call("create a thread", move |c| {
            let changed = c.execute(
                "INSERT OR IGNORE INTO ap_threads
                     (thread_id, created_at_ms, updated_at_ms, metadata, graph_id, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    t.thread_id,
                    t.created_at_ms,
                    t.updated_at_ms,
                    json_text(&t.metadata),
                    t.graph_id,
                    t.status.as_str()
                ],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn thread(&self, thread_id: &str) -> Result<Option<ThreadRecord>, Error> {
        let id = thread_id.to_owned();
        self.call("read a thread", move |c| {
            c.prepare_cached(&format!(
                "SELECT {THREAD_COLUMNS} FROM ap_threads WHERE thread_id = ?1"
            ))?
            .query_row([id], thread_row)
            .optional()
        })
        .await
    }

    async fn update_thread(&self, thread: &ThreadRecord) -> Result<(), Error> {
        let t = thread.clone();
        self.call("update a thread", move |c| {
            c.execute(
                "UPDATE ap_threads SET updated_at_ms = ?2, metadata = ?3, graph_id = ?4,
                     status = ?5
                 WHERE thread_id = ?1",
                params![
                    t.thread_id,
                    t.updated_at_ms,
                    json_text(&t.metadata),
                    t.graph_id,
                    t.status.as_str()
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn search_threads(&self, query: &ThreadQuery) -> Result<Vec<ThreadRecord>, Error> {
        let (filter, mut params) = thread_filter(query);
        let (column, direction) = order(query);
        params.push(bound(query.limit).to_string());
        params.push(bound(query.offset).to_string());
        let sql = format!(
            "SELECT {THREAD_COLUMNS} FROM ap_threads {filter}
             ORDER BY {column} {direction}, thread_id {direction}
             LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)"
        );
        self.call("search threads", move |c| {
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(params.iter()), thread_row)?;
            rows.collect()
        })
        .await
    }

    async fn count_threads(&self, query: &ThreadQuery) -> Result<usize, Error> {
        let (filter, params) = thread_filter(query);
        let sql = format!("SELECT COUNT(*) FROM ap_threads {filter}");
        let count: i64 = self
            .call("count threads", move |c| {
                c.prepare(&sql)?
                    .query_row(params_from_iter(params.iter()), |r| r.get(0))
            })
            .await?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    async fn delete_thread(&self, thread_id: &str) -> Result<bool, Error> {
        let id = thread_id.to_owned();
        self.call("delete a thread", move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM ap_run_events WHERE run_id IN
                     (SELECT run_id FROM ap_runs WHERE thread_id = ?1)",
                [&id],
            )?;
            tx.execute("DELETE FROM ap_runs WHERE thread_id = ?1", [&id])?;
            let existed = tx.execute("DELETE FROM ap_threads WHERE thread_id = ?1", [&id])? == 1;
            tx.commit()?;
            Ok(existed)
        })
        .await
    }

    async fn insert_run(&self, run: &RunRecord) -> Result<(), Error> {
        let r = run.clone();
        self.call("store a run", move |c| shared::insert(c, &r))
            .await
    }

    async fn run(&self, thread_id: &str, run_id: &str) -> Result<Option<RunRecord>, Error> {
        let (thread, run) = (thread_id.to_owned(), run_id.to_owned());
        self.call("read a run", move |c| {
            c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM ap_runs WHERE run_id = ?1 AND thread_id = ?2"
            ))?
            .query_row([run, thread], run_row)
            .optional()
        })
        .await
    }

    async fn list_runs(
        &self,
        thread_id: &str,
        status: Option<RunStatus>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<RunRecord>, Error> {
        let thread = thread_id.to_owned();
        let status = status.map(RunStatus::as_str);
        let (limit, offset) = (bound(limit), bound(offset));
        self.call("list runs", move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM ap_runs
                 WHERE thread_id = ?1 AND (?2 IS NULL OR status = ?2)
                 ORDER BY seq DESC LIMIT ?3 OFFSET ?4"
            ))?;
            let rows = stmt.query_map(params![thread, status, limit, offset], run_row)?;
            rows.collect()
        })
        .await
    }

    async fn set_run_status(
        &self,
        run_id: &str,
        status: RunStatus,
        at_ms: i64,
    ) -> Result<(), Error> {
        let run = run_id.to_owned();
        self.call("set a run's status", move |c| {
            c.execute(
                "UPDATE ap_runs SET status = ?2, updated_at_ms = ?3 WHERE run_id = ?1",
                params![run, status.as_str(), at_ms],
            )
            .map(drop)
        })
        .await
    }

    async fn end_run(&self, end: &RunEnd) -> Result<(), Error> {
        let end = end.clone();
        self.call("store a run's end", move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE ap_runs SET status = ?2, updated_at_ms = ?3, result = ?4 WHERE run_id = ?1",
                params![
                    end.run_id,
                    end.status.as_str(),
                    end.at_ms,
                    json_text(&end.result)
                ],
            )?;
            tx.execute(
                "UPDATE ap_threads SET status = ?2, updated_at_ms = ?3 WHERE thread_id = ?1",
                params![end.thread_id, end.thread_status.as_str(), end.at_ms],
            )?;
            // A second end replaces the first's events, as the in-memory store does.
            tx.execute("DELETE FROM ap_run_events WHERE run_id = ?1", [&end.run_id])?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR REPLACE INTO ap_run_events (run_id, seq, event, data)
                     VALUES (?1, ?2, ?3, ?4)",
                )?;
                for e in &end.events {
                    insert.execute(params![end.run_id, seq_column(e.seq), e.event, e.data])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn result(&self, run_id: &str) -> Result<Option<Value>, Error> {
        let run = run_id.to_owned();
        let text: Option<String> = self
            .call("read a run's result", move |c| {
                c.prepare_cached("SELECT result FROM ap_runs WHERE run_id = ?1")?
                    .query_row([run], |r| r.get(0))
                    .optional()
                    .map(Option::flatten)
            })
            .await?;
        Ok(result_from(text))
    }

    async fn delete_run(&self, thread_id: &str, run_id: &str) -> Result<bool, Error> {
        let (thread, run) = (thread_id.to_owned(), run_id.to_owned());
        self.call("delete a run", move |c| {
            let tx = c.transaction()?;
            let existed = tx.execute(
                "DELETE FROM ap_runs WHERE run_id = ?1 AND thread_id = ?2",
                [&run, &thread],
            )? == 1;
            if existed {
                tx.execute("DELETE FROM ap_run_events WHERE run_id = ?1", [&run])?;
            }
            tx.commit()?;
            Ok(existed)
        })
        .await
    }

    async fn events(&self, run_id: &str, after: Option<u64>) -> Result<Vec<StoredEvent>, Error> {
        let run = run_id.to_owned();
        let after = after_column(after);
        self.call("read a run's events", move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, event, data FROM ap_run_events WHERE run_id = ?1 AND seq > ?2
                 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![run, after], event_row)?;
            rows.collect()
        })
        .await
    }

    async fn prune_events(&self, ended_from_ms: i64, ended_before_ms: i64) -> Result<usize, Error> {
        self.call("prune the events of ended runs", move |c| {
            c.execute(
                "DELETE FROM ap_run_events WHERE run_id IN
                     (SELECT run_id FROM ap_runs
                      WHERE updated_at_ms >= ?1 AND updated_at_ms < ?2
                        AND status NOT IN ('pending', 'running'))",
                [ended_from_ms, ended_before_ms],
            )
        })
        .await
    }

    async fn append_events(&self, run_id: &str, events: &[StoredEvent]) -> Result<(), Error> {
        self.append(run_id, events).await
    }

    async fn request_cancel(
        &self,
        thread_id: &str,
        run_id: &str,
        action: CancelAction,
    ) -> Result<bool, Error> {
        self.ask_cancel(thread_id, run_id, action).await
    }

    async fn cancel_requests(
        &self,
        run_ids: &[String],
    ) -> Result<Vec<(String, CancelAction)>, Error> {
        self.asked_cancels(run_ids).await
    }

    async fn admit_run(&self, run: &RunRecord) -> Result<Vec<String>, Error> {
        self.admit(run).await
    }

    async fn unfinished_runs(&self) -> Result<Vec<RunRecord>, Error> {
        self.call("read unfinished runs", |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM ap_runs WHERE status IN ('pending', 'running')
                 ORDER BY seq"
            ))?;
            let rows = stmt.query_map([], run_row)?;
            rows.collect()
        })
        .await
    }
}
