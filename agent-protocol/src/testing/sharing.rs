//! Cases for what lets processes share a store: events written while a run is in flight,
//! cancel requests, admission by multitask strategy, and the wake-up between reads.

use std::time::Duration;

use serde_json::json;

use super::support::{Harness, end, event, run, thread};
use crate::error::Error;
use crate::records::{CancelAction, Multitask, RunRecord, RunStatus, StoredEvent};

async fn append(h: &Harness, run_id: &str, events: &[StoredEvent]) {
    if let Err(e) = h.store().append_events(run_id, events).await {
        panic!("append_events `{run_id}` failed: {e}");
    }
}

async fn request(h: &Harness, thread: &str, run_id: &str, action: CancelAction) -> bool {
    match h.store().request_cancel(thread, run_id, action).await {
        Ok(found) => found,
        Err(e) => panic!("request_cancel `{run_id}` failed: {e}"),
    }
}

async fn requests(h: &Harness, ids: &[&str]) -> Vec<(String, CancelAction)> {
    let ids: Vec<String> = ids.iter().map(|&id| id.to_owned()).collect();
    match h.store().cancel_requests(&ids).await {
        Ok(mut found) => {
            found.sort_by(|a, b| a.0.cmp(&b.0));
            found
        }
        Err(e) => panic!("cancel_requests failed: {e}"),
    }
}

async fn admit(h: &Harness, run: &RunRecord) -> Result<Vec<String>, Error> {
    h.store().admit_run(run).await
}

pub(super) async fn appended_events_are_read_before_the_end_and_replaced_by_it(h: Harness) {
    h.create_all(&[thread("t", 1, json!({}))]).await;
    let r = run("r-0", "t", 10, RunStatus::Pending);
    h.insert(std::slice::from_ref(&r)).await;
    append(&h, "r-0", &[event(0, "metadata"), event(1, "values")]).await;
    assert_eq!(h.seqs("r-0").await, [0, 1], "events before the end");
    h.set_status("r-0", RunStatus::Running, 11).await;
    let again = StoredEvent {
        data: "{\"again\":true}".into(),
        ..event(1, "values")
    };
    // Out of order, one seq twice in a batch: by seq, the last copy winning.
    let batch = [
        event(3, "custom"),
        event(1, "values"),
        again.clone(),
        event(2, "updates"),
    ];
    append(&h, "r-0", &batch).await;
    assert_eq!(h.seqs("r-0").await, [0, 1, 2, 3]);
    assert_eq!(h.events("r-0", Some(0)).await.first(), Some(&again));
    assert_eq!(h.events("r-0", Some(2)).await, [event(3, "custom")]);
    let run_end = end(&r, 50, vec![event(0, "metadata"), event(1, "end")]);
    h.end(&run_end).await;
    assert_eq!(
        h.events("r-0", None).await,
        run_end.events,
        "the end's events"
    );
    append(&h, "r-0", &[event(5, "late"), event(1, "late")]).await;
    assert_eq!(
        h.events("r-0", None).await,
        run_end.events,
        "an append after the end changes nothing"
    );
}

pub(super) async fn appends_outside_a_run_in_flight_change_nothing(h: Harness) {
    h.create_all(&[thread("t", 1, json!({}))]).await;
    h.insert(&[run("done", "t", 10, RunStatus::Success)]).await;
    append(&h, "done", &[event(0, "metadata")]).await;
    append(&h, "nobody", &[event(0, "metadata")]).await;
    append(&h, "done", &[]).await;
    assert!(h.events("done", None).await.is_empty());
    assert!(h.events("nobody", None).await.is_empty());
}

pub(super) async fn the_first_cancel_request_of_a_run_in_flight_wins(h: Harness) {
    h.create_all(&[thread("t", 1, json!({})), thread("u", 1, json!({}))])
        .await;
    let runs = [
        run("r-0", "t", 10, RunStatus::Pending),
        run("r-1", "t", 11, RunStatus::Running),
        run("r-2", "t", 12, RunStatus::Success),
    ];
    h.insert(&runs).await;
    assert!(
        requests(&h, &["r-0", "r-1", "r-2", "nobody"])
            .await
            .is_empty()
    );
    assert!(
        !request(&h, "u", "r-0", CancelAction::Interrupt).await,
        "another thread's"
    );
    assert!(
        !request(&h, "t", "r-2", CancelAction::Interrupt).await,
        "an ended run"
    );
    assert!(!request(&h, "t", "nobody", CancelAction::Interrupt).await);
    assert!(request(&h, "t", "r-0", CancelAction::Rollback).await);
    assert!(
        request(&h, "t", "r-0", CancelAction::Interrupt).await,
        "still in flight"
    );
    assert!(request(&h, "t", "r-1", CancelAction::Interrupt).await);
    let expected = vec![
        ("r-0".to_owned(), CancelAction::Rollback),
        ("r-1".to_owned(), CancelAction::Interrupt),
    ];
    assert_eq!(
        requests(&h, &["r-0", "r-1", "r-2", "nobody"]).await,
        expected
    );
    assert_eq!(requests(&h, &["r-1"]).await, expected[1..]);
    assert!(requests(&h, &[]).await.is_empty());
    h.end(&end(&runs[1], 40, vec![])).await;
    assert_eq!(
        requests(&h, &["r-0", "r-1"]).await,
        expected[..1],
        "only runs in flight"
    );
    assert_eq!(
        h.run("t", "r-0").await.as_ref(),
        Some(&runs[0]),
        "the record is as it was"
    );
}

pub(super) async fn admit_run_follows_the_strategy(h: Harness) {
    h.create_all(&[thread("t", 1, json!({})), thread("u", 1, json!({}))])
        .await;
    let with = |id: &str, thread: &str, at: i64, multitask: Multitask| RunRecord {
        multitask,
        ..run(id, thread, at, RunStatus::Pending)
    };
    h.insert(&[
        run("old", "t", 5, RunStatus::Success),
        run("r-0", "t", 10, RunStatus::Running),
    ])
    .await;
    let r1 = with("r-1", "t", 11, Multitask::Enqueue);
    assert_eq!(admit(&h, &r1).await.ok(), Some(vec!["r-0".to_owned()]));
    assert_eq!(h.run("t", "r-1").await, Some(r1));
    assert!(
        requests(&h, &["r-0", "r-1"]).await.is_empty(),
        "enqueue cancels nothing"
    );
    let refused = admit(&h, &with("r-2", "t", 12, Multitask::Reject)).await;
    assert!(matches!(refused, Err(Error::Conflict(_))), "{refused:?}");
    assert_eq!(h.run("t", "r-2").await, None, "a refused run is not stored");
    let alone = with("r-3", "u", 13, Multitask::Reject);
    assert_eq!(
        admit(&h, &alone).await.ok(),
        Some(vec![]),
        "nothing in flight on `u`"
    );
    let r4 = with("r-4", "t", 14, Multitask::Rollback);
    let before = vec!["r-0".to_owned(), "r-1".to_owned()];
    assert_eq!(admit(&h, &r4).await.ok(), Some(before), "oldest first");
    let r5 = with("r-5", "t", 15, Multitask::Interrupt);
    assert_eq!(admit(&h, &r5).await.ok().map(|ids| ids.len()), Some(3));
    let expected = vec![
        ("r-0".to_owned(), CancelAction::Rollback),
        ("r-1".to_owned(), CancelAction::Rollback),
        ("r-4".to_owned(), CancelAction::Interrupt),
    ];
    assert_eq!(
        requests(&h, &["r-0", "r-1", "r-3", "r-4", "r-5"]).await,
        expected,
        "each asked once, the first request winning; other threads' runs untouched"
    );
    assert_eq!(
        h.list("t", None, 10, 0).await,
        ["r-5", "r-4", "r-1", "r-0", "old"]
    );
}

pub(super) async fn wait_events_returns_within_its_bound(h: Harness) {
    let waited = tokio::time::timeout(
        Duration::from_secs(10),
        h.store().wait_events("nobody", Duration::from_millis(20)),
    )
    .await;
    assert!(waited.is_ok(), "wait_events outlived its bound");
}

pub(super) async fn stale_runs_are_those_without_a_recent_heartbeat(h: Harness) {
    h.create_all(&[thread("t", 1, json!({}))]).await;
    let now = crate::now_ms();
    h.insert(&[
        run("r-alive", "t", 10, RunStatus::Running),
        run("r-dead", "t", 20, RunStatus::Pending),
        run("r-new", "t", now, RunStatus::Pending),
        run("r-done", "t", 30, RunStatus::Success),
    ])
    .await;
    let ids = |runs: Vec<RunRecord>| runs.into_iter().map(|r| r.run_id).collect::<Vec<_>>();
    let beat = ["r-alive".to_owned(), "r-done".to_owned()];
    if let Err(e) = h.store().heartbeat(&beat).await {
        panic!("heartbeat failed: {e}");
    }
    let stale = match h.store().stale_runs(Duration::from_secs(60)).await {
        Ok(stale) => ids(stale),
        Err(e) => panic!("stale_runs failed: {e}"),
    };
    if h.store().shared() {
        // Beaten just now, or created just now: not stale for a minute.
        assert_eq!(stale, ["r-dead"], "stale on a shared store");
    } else {
        // One process: every run in flight is its own, left by its stop.
        assert_eq!(
            stale,
            ["r-alive", "r-dead", "r-new"],
            "stale on an unshared store"
        );
    }
}
