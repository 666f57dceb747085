//! The part of [`PgRunStore`]'s `RunStore` that lets replicas share it: events written while
//! a run is in flight, cancel requests, and admission, atomic across replicas through a
//! per-thread advisory lock held for the admission's transaction.

use std::collections::BTreeMap;

use agent_protocol::{CancelAction, Error, Multitask, REJECTED, RunRecord, StoredEvent};
use tokio_postgres::types::ToSql;

use super::rows::{json_text, seq_column};
use super::{PgRunStore, sql, storage};

impl PgRunStore {
    pub(super) async fn append(&self, run_id: &str, events: &[StoredEvent]) -> Result<(), Error> {
        // One row per seq, the last copy winning: one statement cannot update a row twice.
        let events: BTreeMap<u64, &StoredEvent> = events.iter().map(|e| (e.seq, e)).collect();
        let seqs: Vec<i64> = events.keys().map(|&s| seq_column(s)).collect();
        let names: Vec<&str> = events.values().map(|e| e.event.as_str()).collect();
        let data: Vec<&str> = events.values().map(|e| e.data.as_str()).collect();
        let params: [&(dyn ToSql + Sync); 4] = [&run_id, &seqs, &names, &data];
        self.execute("store a running run's events", sql::APPEND_EVENTS, &params)
            .await?;
        // After the insert committed, so a reader woken by it finds the events.
        self.notify_events(run_id).await;
        Ok(())
    }

    /// Wakes readers of `run_id` on every replica; a failure only costs them a poll.
    pub(super) async fn notify_events(&self, run_id: &str) {
        let params: [&(dyn ToSql + Sync); 1] = [&run_id];
        if let Err(e) = self
            .execute("notify a run's readers", sql::NOTIFY_EVENTS, &params)
            .await
        {
            tracing::debug!(error = %e, run = run_id, "NOTIFY ap_events");
        }
    }

    pub(super) async fn ask_cancel(
        &self,
        thread_id: &str,
        run_id: &str,
        action: CancelAction,
    ) -> Result<bool, Error> {
        let params: [&(dyn ToSql + Sync); 3] = [&run_id, &thread_id, &action.as_str()];
        let changed = self
            .execute("record a cancel request", sql::REQUEST_CANCEL, &params)
            .await?;
        Ok(changed == 1)
    }

    pub(super) async fn asked_cancels(
        &self,
        run_ids: &[String],
    ) -> Result<Vec<(String, CancelAction)>, Error> {
        let what = "read cancel requests";
        let rows = self.query(what, sql::CANCEL_REQUESTS, &[&run_ids]).await?;
        rows.iter()
            .map(|row| {
                let run: String = row.try_get(0).map_err(storage(what))?;
                let action: String = row.try_get(1).map_err(storage(what))?;
                let action = action
                    .parse()
                    .map_err(|e| Error::Storage(format!("run `{run}`'s cancel request: {e}")))?;
                Ok((run, action))
            })
            .collect()
    }

    pub(super) async fn admit(&self, r: &RunRecord) -> Result<Vec<String>, Error> {
        let what = "admit a run";
        let mut client = self.client(what).await?;
        let tx = client.transaction().await.map_err(storage(what))?;
        let lock = tx
            .prepare_cached(sql::LOCK_THREAD)
            .await
            .map_err(storage(what))?;
        tx.execute(&lock, &[&r.thread_id])
            .await
            .map_err(storage(what))?;
        // Read after the lock: each statement sees what the previous holder committed.
        let select = tx
            .prepare_cached(sql::THREAD_IN_FLIGHT)
            .await
            .map_err(storage(what))?;
        let in_flight = tx
            .query(&select, &[&r.thread_id])
            .await
            .map_err(storage(what))?
            .iter()
            .map(|row| row.try_get::<_, String>(0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(storage(what))?;
        let action = match r.multitask {
            // Dropping the transaction rolls it back and frees the lock.
            Multitask::Reject if !in_flight.is_empty() => {
                return Err(Error::Conflict(REJECTED.into()));
            }
            Multitask::Reject | Multitask::Enqueue => None,
            Multitask::Interrupt => Some(CancelAction::Interrupt),
            Multitask::Rollback => Some(CancelAction::Rollback),
        };
        if let Some(action) = action {
            let cancel = tx
                .prepare_cached(sql::CANCEL_THREAD)
                .await
                .map_err(storage(what))?;
            tx.execute(&cancel, &[&r.thread_id, &action.as_str()])
                .await
                .map_err(storage(what))?;
        }
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
        let insert = tx
            .prepare_cached(sql::INSERT_RUN)
            .await
            .map_err(storage(what))?;
        tx.execute(&insert, &params).await.map_err(storage(what))?;
        tx.commit().await.map_err(storage(what))?;
        Ok(in_flight)
    }
}
