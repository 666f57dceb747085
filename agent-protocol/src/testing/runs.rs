//! Cases for runs: records, listing, status changes, ends (events, result and the thread's
//! status at once), event reads, deletion, pruning and recovery's list.

use serde_json::json;

use super::support::{Harness, end, event, run, thread};
use crate::records::{Multitask, RunEnd, RunRecord, RunStatus, ThreadRecord, ThreadStatus};

/// Creates `threads` and, on the first of them, the runs `ids` (pending, created in order).
async fn setup(h: &Harness, threads: &[&str], ids: &[&str]) -> Vec<RunRecord> {
    let records: Vec<_> = threads.iter().map(|id| thread(id, 1, json!({}))).collect();
    h.create_all(&records).await;
    let runs: Vec<_> = ids
        .iter()
        .zip(10..)
        .map(|(id, at)| run(id, threads[0], at, RunStatus::Pending))
        .collect();
    h.insert(&runs).await;
    runs
}

pub(super) async fn runs_round_trip_within_their_thread(h: Harness) {
    h.create_all(&[thread("t", 1, json!({})), thread("u", 1, json!({}))])
        .await;
    let runs = [
        RunRecord {
            multitask: Multitask::Rollback,
            status: RunStatus::Running,
            kwargs: json!({"command": {"resume": [1.0, {"b": null, "a": "é"}]}, "n": 1}),
            ..run("r-1", "t", 1_700_000_000_000, RunStatus::Pending)
        },
        RunRecord {
            metadata: serde_json::Map::new(),
            kwargs: json!(null),
            multitask: Multitask::Reject,
            ..run("it's; --", "u", 5, RunStatus::Interrupted)
        },
    ];
    h.insert(&runs).await;
    for expected in &runs {
        let stored = h.run(&expected.thread_id, &expected.run_id).await;
        assert_eq!(stored.as_ref(), Some(expected));
    }
    assert_eq!(
        h.run("u", "r-1").await,
        None,
        "a run is found only in its thread"
    );
    assert_eq!(h.run("t", "missing").await, None);
}

pub(super) async fn list_runs_is_newest_first_filtered_and_paged(h: Harness) {
    let runs = setup(&h, &["t", "u"], &["r-0", "r-1", "r-2", "r-3", "r-4"]).await;
    h.insert(&[run("other", "u", 50, RunStatus::Pending)]).await;
    for r in [&runs[1], &runs[3]] {
        h.end(&end(r, 100, vec![])).await;
    }
    let cases: [(Option<RunStatus>, usize, usize, &[&str]); 7] = [
        (None, 10, 0, &["r-4", "r-3", "r-2", "r-1", "r-0"]),
        (None, 2, 0, &["r-4", "r-3"]),
        (None, 2, 3, &["r-1", "r-0"]),
        (None, 0, 0, &[]),
        (Some(RunStatus::Success), 10, 0, &["r-3", "r-1"]),
        (Some(RunStatus::Pending), 1, 1, &["r-2"]),
        (Some(RunStatus::Timeout), 10, 0, &[]),
    ];
    for (status, limit, offset, expected) in cases {
        let listed = h.list("t", status, limit, offset).await;
        assert_eq!(
            listed, expected,
            "status {status:?}, limit {limit}, offset {offset}"
        );
    }
    assert_eq!(
        h.list("t", None, usize::MAX, usize::MAX).await,
        Vec::<String>::new()
    );
    assert_eq!(h.list("u", None, usize::MAX, 0).await, ["other"]);
    assert!(h.list("nobody", None, 10, 0).await.is_empty());
}

pub(super) async fn set_run_status_changes_status_and_time(h: Harness) {
    let runs = setup(&h, &["t"], &["r-0", "r-1"]).await;
    h.set_status("r-0", RunStatus::Interrupted, 77).await;
    let expected = RunRecord {
        status: RunStatus::Interrupted,
        updated_at_ms: 77,
        ..runs[0].clone()
    };
    assert_eq!(h.run("t", "r-0").await, Some(expected));
    assert_eq!(
        h.run("t", "r-1").await.as_ref(),
        Some(&runs[1]),
        "others stay"
    );
    assert_eq!(h.unfinished().await, ["r-1"]);
    h.set_status("missing", RunStatus::Error, 78).await;
    assert_eq!(h.run("t", "missing").await, None, "setting creates nothing");
}

pub(super) async fn end_run_stores_everything_at_once(h: Harness) {
    let runs = setup(&h, &["t"], &["r-0"]).await;
    h.set_status("r-0", RunStatus::Running, 20).await;
    let ending = RunEnd {
        status: RunStatus::Error,
        thread_status: ThreadStatus::Error,
        result: json!({"__error__": {"error": "Boom", "message": "it's \"bad\""}}),
        ..end(&runs[0], 500, vec![event(0, "metadata"), event(1, "error")])
    };
    h.end(&ending).await;
    let run = h.run("t", "r-0").await;
    assert_eq!(
        run.as_ref().map(|r| (r.status, r.updated_at_ms)),
        Some((RunStatus::Error, 500))
    );
    let thread = h.thread("t").await;
    let expected = ThreadRecord {
        status: ThreadStatus::Error,
        updated_at_ms: 500,
        ..super::support::thread("t", 1, json!({}))
    };
    assert_eq!(thread, Some(expected), "the thread's status and time");
    assert_eq!(h.events("r-0", None).await, ending.events);
    assert_eq!(h.result("r-0").await, Some(ending.result));
    assert!(h.unfinished().await.is_empty());
}

pub(super) async fn events_come_back_by_seq_and_after_a_seq(h: Harness) {
    let runs = setup(&h, &["t"], &["r-0", "r-1"]).await;
    // Given out of order: they come back by seq.
    let given = [3, 0, 2, 1, 10].map(|seq| event(seq, &format!("values|ns{seq}")));
    h.end(&end(&runs[0], 30, given.to_vec())).await;
    h.end(&end(&runs[1], 30, vec![event(0, "end")])).await;
    assert_eq!(h.seqs("r-0").await, [0, 1, 2, 3, 10]);
    let by_seq = |seq: u64| given.iter().find(|e| e.seq == seq).cloned();
    let after: [(Option<u64>, &[u64]); 5] = [
        (None, &[0, 1, 2, 3, 10]),
        (Some(0), &[1, 2, 3, 10]),
        (Some(3), &[10]),
        (Some(10), &[]),
        (Some(u64::MAX), &[]),
    ];
    for (after, expected) in after {
        let events = h.events("r-0", after).await;
        let expected: Vec<_> = expected.iter().filter_map(|&s| by_seq(s)).collect();
        assert_eq!(events, expected, "after {after:?}");
    }
    assert!(h.events("missing", None).await.is_empty());
}

pub(super) async fn a_second_end_replaces_the_events(h: Harness) {
    let runs = setup(&h, &["t"], &["r-0"]).await;
    h.end(&end(
        &runs[0],
        30,
        vec![event(0, "metadata"), event(1, "values"), event(2, "end")],
    ))
    .await;
    let again = RunEnd {
        status: RunStatus::Interrupted,
        result: json!({"values": {"second": true}}),
        ..end(&runs[0], 40, vec![event(0, "metadata"), event(1, "error")])
    };
    h.end(&again).await;
    assert_eq!(
        h.events("r-0", None).await,
        again.events,
        "only the last end's events"
    );
    assert_eq!(h.result("r-0").await, Some(again.result));
    let status = h.run("t", "r-0").await.map(|r| (r.status, r.updated_at_ms));
    assert_eq!(status, Some((RunStatus::Interrupted, 40)));
}

pub(super) async fn result_is_none_until_the_end(h: Harness) {
    let runs = setup(&h, &["t"], &["r-0", "r-1"]).await;
    assert_eq!(h.result("r-0").await, None, "not ended yet");
    h.set_status("r-0", RunStatus::Success, 5).await;
    assert_eq!(
        h.result("r-0").await,
        None,
        "a status alone stores no result"
    );
    let results = [json!(null), json!([1, "two", {"3": 3.0}])];
    for (r, result) in runs.iter().zip(results) {
        let ending = RunEnd {
            result: result.clone(),
            ..end(r, 9, vec![])
        };
        h.end(&ending).await;
        assert_eq!(h.result(&r.run_id).await, Some(result), "{}", r.run_id);
    }
    assert_eq!(h.result("missing").await, None);
}

pub(super) async fn delete_run_takes_its_events_and_result(h: Harness) {
    let runs = setup(&h, &["t", "u"], &["r-0", "r-1"]).await;
    for r in &runs {
        h.end(&end(r, 30, vec![event(0, "metadata")])).await;
    }
    assert!(!h.delete_run("u", "r-0").await, "only within its thread");
    assert_eq!(h.seqs("r-0").await, [0], "a refused delete deletes nothing");
    assert!(h.delete_run("t", "r-0").await);
    assert_eq!(h.run("t", "r-0").await, None);
    assert!(h.events("r-0", None).await.is_empty());
    assert_eq!(h.result("r-0").await, None);
    assert!(
        !h.delete_run("t", "r-0").await,
        "a second delete finds nothing"
    );
    assert_eq!(h.list("t", None, 10, 0).await, ["r-1"], "others stay");
    assert_eq!(h.seqs("r-1").await, [0]);
    assert!(h.thread("t").await.is_some(), "the thread stays");
}

pub(super) async fn prune_events_empties_the_window_only(h: Harness) {
    let ids = ["before", "from", "inside", "at-end", "after", "in-flight"];
    let runs = setup(&h, &["t"], &ids).await;
    // Ended at 99, 100, 150, 200, 250; the last ends at 150 and is then restarted (in flight).
    for (r, at) in runs.iter().zip([99, 100, 150, 200, 250, 150]) {
        let events = vec![event(0, "metadata"), event(1, "values"), event(2, "end")];
        h.end(&end(r, at, events)).await;
    }
    h.set_status("in-flight", RunStatus::Running, 150).await;

    assert_eq!(
        h.prune(100, 200).await,
        6,
        "the events of `from` and `inside`"
    );
    for (id, kept) in ids.iter().zip([true, false, false, true, true, true]) {
        let expected: &[u64] = if kept { &[0, 1, 2] } else { &[] };
        assert_eq!(h.seqs(id).await, expected, "events of `{id}`");
        assert!(h.result(id).await.is_some(), "`{id}` keeps its result");
        assert!(h.run("t", id).await.is_some(), "`{id}` keeps its record");
    }
    assert_eq!(h.prune(100, 200).await, 0, "nothing left in the window");
    assert_eq!(h.prune(0, 0).await, 0, "an empty window");
    assert_eq!(
        h.prune(i64::MIN, i64::MAX).await,
        9,
        "the rest of the ended runs"
    );
    assert_eq!(
        h.seqs("in-flight").await,
        [0, 1, 2],
        "runs in flight keep theirs"
    );
}

pub(super) async fn unfinished_runs_are_oldest_first(h: Harness) {
    let runs = setup(&h, &["t", "u"], &["r-0", "r-1", "r-2", "r-3"]).await;
    h.insert(&[run("u-0", "u", 90, RunStatus::Running)]).await;
    h.set_status("r-0", RunStatus::Running, 50).await;
    h.end(&end(&runs[1], 60, vec![])).await;
    h.set_status("r-3", RunStatus::Timeout, 70).await;
    assert_eq!(h.unfinished().await, ["r-0", "r-2", "u-0"]);
    let first = h.run("t", "r-0").await;
    assert_eq!(
        first.map(|r| r.status),
        Some(RunStatus::Running),
        "whole records"
    );
}
