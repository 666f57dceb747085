//! [`PgRunStore`]: the Agent Protocol's threads, runs and run events in PostgreSQL, so several
//! server replicas share them. The same tables, semantics and SQL-side filtering, sorting and
//! paging as [`SqliteRunStore`](super::runs_db::SqliteRunStore); the tables are version 2 of
//! the server's Postgres migrations (`db/pg_schema.rs`). Every call that writes more than one
//! statement does so in one transaction.

mod shared;
mod sql;

use std::collections::BTreeMap;
use std::sync::Arc;

use agent_protocol::{
    CancelAction, Error, RunEnd, RunRecord, RunStatus, RunStore, StoredEvent, ThreadQuery,
    ThreadRecord,
};
use async_trait::async_trait;
use deadpool_postgres::{Object, Pool};
use serde_json::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

use super::runs_db::rows;
use super::runs_db::rows::{
    after_column, bound, event_from, json_text, result_from, run_from, seq_column, thread_from,
};

/// The Agent Protocol's records in Postgres.
pub(crate) struct PgRunStore {
    pool: Pool,
    /// Woken by the replica's `LISTEN` connection when any run's events change
    /// (`NOTIFY ap_events`), for [`RunStore::wait_events`].
    events: Arc<tokio::sync::Notify>,
}

/// A driver error as the API's: the detail (never the SQL) is logged, not sent to clients.
fn storage(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Error {
    move |e| Error::Storage(format!("{what}: {e}"))
}

/// Decodes every row with `from`.
fn decode<T>(
    rows: &[Row],
    what: &'static str,
    from: fn(&Row) -> Result<T, tokio_postgres::Error>,
) -> Result<Vec<T>, Error> {
    rows.iter()
        .map(from)
        .collect::<Result<_, _>>()
        .map_err(storage(what))
}

/// A thread search's parameters `$1`…`$4` ([`sql`]'s filter).
struct Filter {
    ids: Option<Vec<String>>,
    status: Option<&'static str>,
    keys: Vec<String>,
    values: Vec<String>,
}

impl Filter {
    fn of(query: &ThreadQuery) -> Self {
        Filter {
            ids: query.ids.clone(),
            status: query.status.map(|s| s.as_str()),
            keys: query.metadata.keys().cloned().collect(),
            values: query.metadata.values().map(json_text).collect(),
        }
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 4] {
        [&self.ids, &self.status, &self.keys, &self.values]
    }
}

impl PgRunStore {
    /// The store over `pool`, whose database the server's migrations brought to version 2.
    /// The store on `pool`; `events` is woken when another replica stores a run's events
    /// (the server's `LISTEN` connection notifies it).
    pub(crate) fn new(pool: Pool, events: Arc<tokio::sync::Notify>) -> Self {
        PgRunStore { pool, events }
    }

    async fn client(&self, what: &'static str) -> Result<Object, Error> {
        self.pool
            .get()
            .await
            .map_err(|e| Error::Storage(format!("{what}: no Postgres connection: {e}")))
    }

    /// A connection with `statement` prepared on it (cached per connection).
    async fn prepared(
        &self,
        what: &'static str,
        statement: &str,
    ) -> Result<(Object, Statement), Error> {
        let client = self.client(what).await?;
        let prepared = client
            .prepare_cached(statement)
            .await
            .map_err(storage(what))?;
        Ok((client, prepared))
    }

    /// Rows of one statement.
    async fn query(
        &self,
        what: &'static str,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error> {
        let (client, prepared) = self.prepared(what, statement).await?;
        client.query(&prepared, params).await.map_err(storage(what))
    }

    /// How many rows one statement changed.
    async fn execute(
        &self,
        what: &'static str,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        let (client, prepared) = self.prepared(what, statement).await?;
        client
            .execute(&prepared, params)
            .await
            .map_err(storage(what))
    }

    /// Runs `steps` (statement, parameters) in one transaction; how many rows each changed.
    async fn transaction(
        &self,
        what: &'static str,
        steps: &[(&str, &[&(dyn ToSql + Sync)])],
    ) -> Result<Vec<u64>, Error> {
        let mut client = self.client(what).await?;
        let tx = client.transaction().await.map_err(storage(what))?;
        let mut changed = Vec::with_capacity(steps.len());
        for (statement, params) in steps {
            let prepared = tx.prepare_cached(statement).await.map_err(storage(what))?;
            changed.push(tx.execute(&prepared, params).await.map_err(storage(what))?);
        }
        tx.commit().await.map_err(storage(what))?;
        Ok(changed)
    }

    /// Prepares every statement the store runs; how many. Postgres checks their syntax,
    /// tables, columns and types against the schema.
    pub(crate) async fn check_statements(&self) -> Result<usize, Error> {
        let what = "prepare the run store's statements";
        let client = self.client(what).await?;
        let mut checked = 0;
        for statement in sql::all() {
            client
                .prepare(statement)
                .await
                .map_err(|e| Error::Storage(format!("{what}: {e}\n{statement}")))?;
            checked += 1;
        }
        Ok(checked)
    }
}

#[async_trait]
impl RunStore for PgRunStore {
    async fn create_thread(&self, t: &ThreadRecord) -> Result<bool, Error> {
        let metadata = json_text(&t.metadata);
        let params: [&(dyn ToSql + Sync); 6] = [
            &t.thread_id,
            &t.created_at_ms,
            &t.updated_at_ms,
            &metadata,
            &t.graph_id,
            &t.status.as_str(),
        ];
        let created = self
            .execute("create a thread", sql::CREATE_THREAD, &params)
            .await?;
        Ok(created == 1)
    }

    async fn thread(&self, thread_id: &str) -> Result<Option<ThreadRecord>, Error> {
        let what = "read a thread";
        let rows = self.query(what, sql::THREAD, &[&thread_id]).await?;
        Ok(decode(&rows, what, thread_from)?.pop())
    }

    async fn update_thread(&self, t: &ThreadRecord) -> Result<(), Error> {
        let metadata = json_text(&t.metadata);
        let params: [&(dyn ToSql + Sync); 5] = [
            &t.thread_id,
            &t.updated_at_ms,
            &metadata,
            &t.graph_id,
            &t.status.as_str(),
        ];
        self.execute("update a thread", sql::UPDATE_THREAD, &params)
            .await
            .map(drop)
    }

    async fn search_threads(&self, query: &ThreadQuery) -> Result<Vec<ThreadRecord>, Error> {
        let what = "search threads";
        let filter = Filter::of(query);
        let (limit, offset) = (bound(query.limit), bound(query.offset));
        let [ids, status, keys, values] = filter.params();
        let params: [&(dyn ToSql + Sync); 6] = [ids, status, keys, values, &limit, &offset];
        let statement = sql::search(query.sort_by, query.ascending);
        let rows = self.query(what, statement, &params).await?;
        decode(&rows, what, thread_from)
    }

    async fn count_threads(&self, query: &ThreadQuery) -> Result<usize, Error> {
        let what = "count threads";
        let filter = Filter::of(query);
        let rows = self.query(what, sql::COUNT, &filter.params()).await?;
        let count: i64 = match rows.first() {
            Some(row) => row.try_get(0).map_err(storage(what))?,
            None => 0,
        };
        Ok(usize::try_from(count).unwrap_or(0))
    }

    async fn delete_thread(&self, thread_id: &str) -> Result<bool, Error> {
        let changed = self
            .transaction(
                "delete a thread",
                &[
                    (sql::DELETE_THREAD_EVENTS, &[&thread_id]),
                    (sql::DELETE_THREAD_RUNS, &[&thread_id]),
                    (sql::DELETE_THREAD, &[&thread_id]),
                ],
            )
            .await?;
        Ok(changed.last() == Some(&1))
    }

    async fn insert_run(&self, r: &RunRecord) -> Result<(), Error> {
        let (metadata, kwargs) = (json_text(&r.metadata), json_text(&r.kwargs));
        let params: [&(dyn ToSql + Sync); 9] = [
            &r.run_id,
            &r.thread_id,
            &r.assistant_id,
            &r.created_at_ms,
            &r.updated_at_ms,
            &r.status.as_str(),
            &metadata,
            &r.multitask.as_str(),
            &kwargs,
        ];
        self.execute("store a run", sql::INSERT_RUN, &params)
            .await
            .map(drop)
    }

    async fn run(&self, thread_id: &str, run_id: &str) -> Result<Option<RunRecord>, Error> {
        let what = "read a run";
        let rows = self.query(what, sql::RUN, &[&run_id, &thread_id]).await?;
        Ok(decode(&rows, what, run_from)?.pop())
    }

    async fn list_runs(
        &self,
        thread_id: &str,
        status: Option<RunStatus>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<RunRecord>, Error> {
        let what = "list runs";
        let status = status.map(RunStatus::as_str);
        let (limit, offset) = (bound(limit), bound(offset));
        let params: [&(dyn ToSql + Sync); 4] = [&thread_id, &status, &limit, &offset];
        let rows = self.query(what, sql::LIST_RUNS, &params).await?;
        decode(&rows, what, run_from)
    }

    async fn set_run_status(
        &self,
        run_id: &str,
        status: RunStatus,
        at_ms: i64,
    ) -> Result<(), Error> {
        let params: [&(dyn ToSql + Sync); 3] = [&run_id, &status.as_str(), &at_ms];
        self.execute("set a run's status", sql::SET_RUN_STATUS, &params)
            .await
            .map(drop)
    }

    async fn end_run(&self, end: &RunEnd) -> Result<(), Error> {
        // One row per seq, the last copy winning, as the in-memory store keeps them.
        let events: BTreeMap<u64, &StoredEvent> = end.events.iter().map(|e| (e.seq, e)).collect();
        let seqs: Vec<i64> = events.keys().map(|&s| seq_column(s)).collect();
        let names: Vec<&str> = events.values().map(|e| e.event.as_str()).collect();
        let data: Vec<&str> = events.values().map(|e| e.data.as_str()).collect();
        let result = json_text(&end.result);
        let (run, status) = (&end.run_id, end.status.as_str());
        let thread_status = end.thread_status.as_str();
        self.transaction(
            "store a run's end",
            &[
                (sql::END_RUN, &[run, &status, &end.at_ms, &result]),
                (
                    sql::END_THREAD,
                    &[&end.thread_id, &thread_status, &end.at_ms],
                ),
                // A second end replaces the first's events.
                (sql::DELETE_RUN_EVENTS, &[run]),
                (sql::INSERT_EVENTS, &[run, &seqs, &names, &data]),
                // Delivered at commit: readers on other replicas see the end at once.
                (sql::NOTIFY_EVENTS, &[run]),
            ],
        )
        .await
        .map(drop)
    }

    async fn result(&self, run_id: &str) -> Result<Option<Value>, Error> {
        let what = "read a run's result";
        let rows = self.query(what, sql::RESULT, &[&run_id]).await?;
        let text: Option<String> = match rows.first() {
            Some(row) => row.try_get(0).map_err(storage(what))?,
            None => None,
        };
        Ok(result_from(text))
    }

    async fn delete_run(&self, thread_id: &str, run_id: &str) -> Result<bool, Error> {
        let what = "delete a run";
        let mut client = self.client(what).await?;
        let tx = client.transaction().await.map_err(storage(what))?;
        let delete = tx
            .prepare_cached(sql::DELETE_RUN)
            .await
            .map_err(storage(what))?;
        let existed = tx
            .execute(&delete, &[&run_id, &thread_id])
            .await
            .map_err(storage(what))?
            == 1;
        // Only a run of this thread takes its events along.
        if existed {
            let events = tx
                .prepare_cached(sql::DELETE_RUN_EVENTS)
                .await
                .map_err(storage(what))?;
            tx.execute(&events, &[&run_id])
                .await
                .map_err(storage(what))?;
        }
        tx.commit().await.map_err(storage(what))?;
        Ok(existed)
    }

    async fn events(&self, run_id: &str, after: Option<u64>) -> Result<Vec<StoredEvent>, Error> {
        let what = "read a run's events";
        let after = after_column(after);
        let rows = self.query(what, sql::EVENTS, &[&run_id, &after]).await?;
        decode(&rows, what, event_from)
    }

    async fn prune_events(&self, ended_from_ms: i64, ended_before_ms: i64) -> Result<usize, Error> {
        let params: [&(dyn ToSql + Sync); 2] = [&ended_from_ms, &ended_before_ms];
        let deleted = self
            .execute("prune the events of ended runs", sql::PRUNE_EVENTS, &params)
            .await?;
        Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
    }

    /// Replicas share the database: runs are followed, cancelled and admitted through it.
    fn shared(&self) -> bool {
        true
    }

    async fn append_events(&self, run_id: &str, events: &[StoredEvent]) -> Result<(), Error> {
        self.append(run_id, events).await
    }

    async fn wait_events(&self, _run_id: &str, within: std::time::Duration) {
        // Any run's change wakes every reader (each reads again, a cheap query); one that
        // came before this wait began is caught by the next wait or by `within`.
        let _ = tokio::time::timeout(within, self.events.notified()).await;
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
        let what = "read unfinished runs";
        let rows = self.query(what, sql::UNFINISHED, &[]).await?;
        decode(&rows, what, run_from)
    }

    async fn heartbeat(&self, run_ids: &[String]) -> Result<(), Error> {
        let params: [&(dyn ToSql + Sync); 1] = [&run_ids];
        self.execute("record runs alive", sql::HEARTBEAT, &params)
            .await
            .map(drop)
    }

    async fn stale_runs(&self, older_than: std::time::Duration) -> Result<Vec<RunRecord>, Error> {
        let what = "read stale runs";
        let older_than_ms = i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX);
        let rows = self.query(what, sql::STALE, &[&older_than_ms]).await?;
        decode(&rows, what, run_from)
    }
}
