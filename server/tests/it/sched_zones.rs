//! The scheduler's system clock in the machine's time zone, through the real binary: a
//! reminder is due at 10:00 local time the day before check-in, with `HOTEL_TODAY` shifting
//! the clock by whole days, across daylight-saving changes (the night summer time begins, a
//! 10:00 that never happens, and a 10:00 that happens twice). Zones are POSIX `TZ` rules, which
//! need no time-zone database on the machine.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::common::fresh_dir;
use crate::fake_meta::FakeMeta;
use crate::process::Process;

/// Books a deluxe room at the Grand Plaza from `from` to `to` ("march 29") through the web
/// chat of `process`; the reply that confirms it.
async fn book(process: &Process, from: &str, to: &str) -> String {
    let http = reqwest::Client::new();
    let mut reply = String::new();
    let ask = format!("a deluxe room at the grand plaza from {from} to {to} for 2 adults");
    for text in [ask.as_str(), "yes"] {
        let answer: serde_json::Value = http
            .post(format!("{}/api/chat", process.base))
            .json(&json!({"user_id": "zoe", "text": text}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply = answer["reply"].as_str().unwrap_or_default().to_owned();
    }
    reply
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_are_due_at_ten_local_time_across_daylight_saving_changes() {
    // (zone, today, stay, when the reminder is due)
    let cases = [
        // Central European time: summer time begins at 02:00 on Sunday 28 March 2027, so
        // 10:00 that day is 08:00 UTC, not 09:00.
        (
            "CET-1CEST,M3.5.0,M10.5.0/3",
            "2027-03-26",
            ("march 29", "march 31"),
            "2027-03-28T08:00:00Z",
        ),
        // A zone whose clocks jump from 10:00 to 11:00 that day: the reminder goes at the
        // first minute that exists, 11:00 summer time.
        (
            "XST0XDT,M3.5.0/10,M10.5.0/3",
            "2027-03-26",
            ("march 29", "march 31"),
            "2027-03-28T10:00:00Z",
        ),
        // A zone whose clocks go back from 11:00 to 10:00 on 31 October: 10:00 happens
        // twice, and the reminder goes at the first.
        (
            "XST0XDT,M3.5.0/3,M10.5.0/11",
            "2027-10-29",
            ("november 1", "november 3"),
            "2027-10-31T09:00:00Z",
        ),
    ];
    let fake = FakeMeta::start().await;
    for (n, (zone, today, (from, to), due)) in cases.into_iter().enumerate() {
        let dir = fresh_dir(&format!("sched-zone-{n}"));
        let database = format!("sqlite://{}", dir.join("agent.db").display());
        let process = Process::start(
            &dir,
            &fake,
            &database,
            &[("TZ", zone), ("HOTEL_TODAY", today)],
        )
        .await;
        let reply = book(&process, from, to).await;
        assert!(reply.contains("GPH-"), "{zone}: no booking: {reply}");
        let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
        let due_ms: i64 = db
            .query_row(
                "SELECT due_ms FROM sv_jobs WHERE kind = 'pre-arrival'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let expected: DateTime<Utc> = due.parse().unwrap();
        assert_eq!(
            DateTime::<Utc>::from_timestamp_millis(due_ms),
            Some(expected),
            "{zone}, check-in {from}"
        );
    }
}
