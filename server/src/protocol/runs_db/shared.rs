//! The part of [`SqliteRunStore`]'s `RunStore` that lets processes share a store: events
//! written while a run is in flight, cancel requests, and admission. A SQLite file has one
//! server process, which keeps runs in memory (`shared()` is false), so the API does not call
//! these on its own runs; they are here so the store keeps the whole contract (and passes the
//! conformance suite), each one transaction.

use agent_protocol::{CancelAction, Error, Multitask, REJECTED, RunRecord, StoredEvent};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::SqliteRunStore;
use super::rows::{json_text, seq_column};

/// Whether `run_id` is stored and in flight.
fn in_flight(c: &Connection, run_id: &str) -> rusqlite::Result<bool> {
    c.prepare_cached(
        "SELECT 1 FROM ap_runs WHERE run_id = ?1 AND status IN ('pending', 'running')",
    )?
    .query_row([run_id], |_| Ok(()))
    .optional()
    .map(|found| found.is_some())
}

/// Stores a new run (as `insert_run` does).
pub(super) fn insert(c: &Connection, r: &RunRecord) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO ap_runs (run_id, thread_id, assistant_id, created_at_ms,
             updated_at_ms, status, metadata, multitask, kwargs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        r.run_id,
        r.thread_id,
        r.assistant_id,
        r.created_at_ms,
        r.updated_at_ms,
        r.status.as_str(),
        json_text(&r.metadata),
        r.multitask.as_str(),
        json_text(&r.kwargs)
    ])
    .map(drop)
}

impl SqliteRunStore {
    pub(super) async fn append(&self, run_id: &str, events: &[StoredEvent]) -> Result<(), Error> {
        let (run, events) = (run_id.to_owned(), events.to_vec());
        self.call("store a running run's events", move |c| {
            let tx = c.transaction()?;
            if in_flight(&tx, &run)? {
                let mut insert = tx.prepare_cached(
                    "INSERT OR REPLACE INTO ap_run_events (run_id, seq, event, data)
                     VALUES (?1, ?2, ?3, ?4)",
                )?;
                for e in &events {
                    insert.execute(params![run, seq_column(e.seq), e.event, e.data])?;
                }
            }
            tx.commit()
        })
        .await
    }

    pub(super) async fn ask_cancel(
        &self,
        thread_id: &str,
        run_id: &str,
        action: CancelAction,
    ) -> Result<bool, Error> {
        let (thread, run) = (thread_id.to_owned(), run_id.to_owned());
        self.call("record a cancel request", move |c| {
            let changed = c.execute(
                "UPDATE ap_runs SET cancel_requested = COALESCE(cancel_requested, ?3)
                 WHERE run_id = ?1 AND thread_id = ?2 AND status IN ('pending', 'running')",
                params![run, thread, action.as_str()],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    pub(super) async fn asked_cancels(
        &self,
        run_ids: &[String],
    ) -> Result<Vec<(String, CancelAction)>, Error> {
        let ids = json_text(&run_ids);
        let found: Vec<(String, String)> = self
            .call("read cancel requests", move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT run_id, cancel_requested FROM ap_runs
                     WHERE run_id IN (SELECT value FROM json_each(?1))
                       AND cancel_requested IS NOT NULL AND status IN ('pending', 'running')",
                )?;
                let rows = stmt.query_map([ids], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect()
            })
            .await?;
        found
            .into_iter()
            .map(|(run, action)| {
                let action = action
                    .parse()
                    .map_err(|e| Error::Storage(format!("run `{run}`'s cancel request: {e}")))?;
                Ok((run, action))
            })
            .collect()
    }

    pub(super) async fn admit(&self, run: &RunRecord) -> Result<Vec<String>, Error> {
        let run = run.clone();
        // `None`: refused by `reject`.
        let admitted: Option<Vec<String>> = self
            .call("admit a run", move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let in_flight: Vec<String> = {
                    let mut stmt = tx.prepare_cached(
                        "SELECT run_id FROM ap_runs
                         WHERE thread_id = ?1 AND status IN ('pending', 'running') ORDER BY seq",
                    )?;
                    let rows = stmt.query_map([&run.thread_id], |r| r.get(0))?;
                    rows.collect::<rusqlite::Result<_>>()?
                };
                let action = match run.multitask {
                    Multitask::Reject if !in_flight.is_empty() => return Ok(None),
                    Multitask::Reject | Multitask::Enqueue => None,
                    Multitask::Interrupt => Some(CancelAction::Interrupt),
                    Multitask::Rollback => Some(CancelAction::Rollback),
                };
                if let Some(action) = action {
                    tx.execute(
                        "UPDATE ap_runs SET cancel_requested = COALESCE(cancel_requested, ?2)
                         WHERE thread_id = ?1 AND status IN ('pending', 'running')",
                        params![run.thread_id, action.as_str()],
                    )?;
                }
                insert(&tx, &run)?;
                tx.commit()?;
                Ok(Some(in_flight))
            })
            .await?;
        admitted.ok_or_else(|| Error::Conflict(REJECTED.into()))
    }
}
