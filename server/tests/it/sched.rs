//! The scheduler on an injected clock (`server::testing::Clock`): a room booked through a
//! conversation gets exactly one reminder at 10:00 the day before check-in, in the guest's
//! language, across restarts; a guest who opted out gets none (and can opt back in); a
//! cancelled booking's reminder is skipped with its reason; a job scheduled twice runs once; a
//! stay moved (by the guest or by staff, before or after its reminder) is reminded of its new
//! dates once.
//! What each channel's 24-hour window allows, and failing sends, are in `sched_send.rs`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use server::testing::{Clock, schedule_pre_arrival, start_with_clock};

use crate::common::{self, Running, eventually};
use crate::fake_meta::FakeMeta;
use crate::meta::SECRET;
use crate::webhooks::{WA_PHONE, channel_flags, deliver, ig_message};

/// 2026-11-22T12:00:00Z, on the agent's today: when guests book.
pub(crate) const BOOKED_AT: i64 = 1_795_348_800_000;
/// 2026-11-23T10:00:00Z: the reminder of a stay arriving on the 24th is due.
pub(crate) const DUE_24TH: i64 = 1_795_428_000_000;
pub(crate) const HOUR: i64 = 3_600_000;

/// Makes every message id unique.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A server on `dir`'s database sending through `fake`, its scheduler on `clock`, with
/// `extra` flags.
pub(crate) async fn start(dir: &Path, fake: &FakeMeta, clock: &Clock, extra: &[&str]) -> Running {
    // `extra` overrides the channels' flags.
    let mut flags: Vec<String> = channel_flags(fake)
        .chunks(2)
        .filter(|pair| !extra.contains(&pair[0].as_str()))
        .flatten()
        .cloned()
        .collect();
    flags.extend(extra.iter().map(|s| (*s).to_owned()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let server = start_with_clock(common::config(dir, &flags), clock.clone())
        .await
        .unwrap();
    Running {
        base: format!("http://{}", server.local_addr()),
        server,
        http: reqwest::Client::new(),
    }
}

/// A fresh database, a fake Graph API and a server sending through it whose scheduler
/// stands at [`BOOKED_AT`].
pub(crate) struct World {
    pub(crate) dir: PathBuf,
    pub(crate) fake: FakeMeta,
    pub(crate) clock: Clock,
    pub(crate) running: Running,
}

impl World {
    /// The world of `test`, its server started with `extra` flags.
    pub(crate) async fn new(test: &str, extra: &[&str]) -> World {
        let dir = common::fresh_dir(test);
        let fake = FakeMeta::start().await;
        let clock = Clock::manual(BOOKED_AT);
        let running = start(&dir, &fake, &clock, extra).await;
        World {
            dir,
            fake,
            clock,
            running,
        }
    }

    /// [`book`] on this world's server, at [`BOOKED_AT`].
    pub(crate) async fn book(
        &self,
        guest: (&str, &str),
        nights: (u32, u32),
        spanish: bool,
    ) -> String {
        book(&self.running, &self.fake, guest, nights, spanish, BOOKED_AT).await
    }
}

/// A WhatsApp text message from `from`, sent at `at_ms`.
pub(crate) fn wa_message(from: &str, id: &str, text: &str, at_ms: i64) -> String {
    serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": WA_PHONE},
        "contacts": [{"profile": {"name": "Guest"}, "wa_id": from}],
        "messages": [{"from": from, "id": id, "timestamp": (at_ms / 1000).to_string(),
            "type": "text", "text": {"body": text}}]}}]}]})
    .to_string()
}

/// The texts and template names delivered to `guest` so far.
pub(crate) fn sent_to(fake: &FakeMeta, guest: &str) -> Vec<String> {
    fake.delivered()
        .into_iter()
        .filter(|r| r.recipient() == guest)
        .map(|r| match r.body["template"]["name"].as_str() {
            Some(name) => format!("template:{name}"),
            None => r.text(),
        })
        .collect()
}

/// Sends `messages` from `guest` on `channel` one at a time, each at `at_ms` plus a second
/// per message, waiting for each answer; returns the last answer.
pub(crate) async fn converse(
    running: &Running,
    fake: &FakeMeta,
    (channel, guest): (&str, &str),
    messages: &[&str],
    at_ms: i64,
) -> String {
    let mut last = String::new();
    for (i, text) in messages.iter().enumerate() {
        let before = sent_to(fake, guest).len();
        let id = format!("{guest}-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let at = at_ms + 1000 * i as i64;
        let body = match channel {
            "instagram" => ig_message(guest, &id, text, at as u64),
            _ => wa_message(guest, &id, text, at),
        };
        assert_eq!(
            deliver(running, channel, &body, Some(SECRET))
                .await
                .status(),
            200
        );
        last = eventually(30, &format!("the answer to {text:?}"), || async {
            sent_to(fake, guest).get(before).cloned()
        })
        .await;
    }
    last
}

/// Books a deluxe room at the Grand Plaza from `from` to `to` (November) through a
/// conversation in English or Spanish; the booking's reference.
pub(crate) async fn book(
    running: &Running,
    fake: &FakeMeta,
    (channel, guest): (&str, &str),
    (from, to): (u32, u32),
    spanish: bool,
    at_ms: i64,
) -> String {
    let ask = if spanish {
        format!(
            "Quiero una habitación deluxe en el Grand Plaza Hotel del {from} al {to} de noviembre para 2 adultos"
        )
    } else {
        format!(
            "I'd like a deluxe room at Grand Plaza Hotel from November {from} to November {to} for 2 adults"
        )
    };
    let yes = if spanish { "sí" } else { "yes" };
    let done = converse(running, fake, (channel, guest), &[&ask, yes], at_ms).await;
    let start = done
        .find("GPH-")
        .unwrap_or_else(|| panic!("no booking: {done}"));
    done[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// The key of the reminder of booking `reference` arriving on `day` November 2026.
pub(crate) fn reminder_key(reference: &str, day: u32) -> String {
    format!("pre-arrival:{reference}:2026-11-{day:02}")
}

/// The state and detail (or last error) of job `key` in `dir`'s database.
pub(crate) fn job(dir: &Path, key: &str) -> Option<(String, Option<String>, i64)> {
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    db.query_row(
        "SELECT state, COALESCE(detail, last_error), due_ms FROM sv_jobs WHERE key = ?1",
        [key],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .ok()
}

/// Waits until job `key` has left `pending`; its state and detail.
pub(crate) async fn finished(dir: &Path, key: &str) -> (String, Option<String>) {
    eventually(20, &format!("job {key} to finish"), || async {
        job(dir, key)
            .filter(|(state, _, _)| state != "pending")
            .map(|(state, detail, _)| (state, detail))
    })
    .await
}

fn reminders(fake: &FakeMeta, guest: &str, words: &str) -> Vec<String> {
    sent_to(fake, guest)
        .into_iter()
        .filter(|text| text.contains(words))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_reminder_the_day_before_in_the_guests_language_across_restarts() {
    let world = World::new("sched-reminder", &[]).await;
    let reference = world.book(("instagram", "ana"), (24, 26), true).await;
    let key = reminder_key(&reference, 24);
    let (state, _, due) = job(&world.dir, &key).expect("the booking scheduled its reminder");
    assert_eq!((state.as_str(), due), ("pending", DUE_24TH));
    world.running.server.shutdown().await;

    // Restarted before it is due: nothing goes out a minute early.
    let second = start(&world.dir, &world.fake, &world.clock, &[]).await;
    world.clock.set(DUE_24TH - 60_000);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(job(&world.dir, &key).unwrap().0, "pending");
    world.clock.set(DUE_24TH);
    assert_eq!(finished(&world.dir, &key).await.0, "done");
    let sent = eventually(20, "the reminder", || async {
        let sent = reminders(&world.fake, "ana", "Le esperamos mañana");
        (!sent.is_empty()).then_some(sent)
    })
    .await;
    let text = &sent[0];
    for part in [
        "24 de noviembre de 2026",
        "Grand Plaza",
        "15:00",
        "Aparcamiento",
        "Desayuno",
        &reference,
    ] {
        assert!(text.contains(part), "{part:?} in {text}");
    }
    let metrics = second.metrics().await;
    assert!(
        metrics
            .contains(r#"hotel_agent_scheduled_jobs_total{kind="pre-arrival",outcome="done"} 1"#),
        "{metrics}"
    );
    second.server.shutdown().await;

    // Restarted after: the reminder is not sent again.
    let third = start(&world.dir, &world.fake, &world.clock, &[]).await;
    world.clock.set(DUE_24TH + HOUR);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(reminders(&world.fake, "ana", "Le esperamos").len(), 1);
    third.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_who_opted_out_gets_no_reminder_and_can_opt_back_in() {
    let world = World::new("sched-optout", &[]).await;
    let guest = ("instagram", "olga");
    let first = world.book(guest, (24, 26), false).await;
    let confirmed = converse(
        &world.running,
        &world.fake,
        guest,
        &["STOP pls"],
        BOOKED_AT + 60_000,
    )
    .await;
    assert!(
        confirmed.contains("will not send you reminders"),
        "{confirmed}"
    );
    // The command did not reach the agent: its last reply is still the booking's.
    let (_, state) = world
        .running
        .get_json("/api/threads/instagram:olga/state")
        .await;
    assert!(
        state["values"]["reply"].as_str().unwrap().contains(&first),
        "{state}"
    );
    world.clock.set(DUE_24TH);
    let (state, detail) = finished(&world.dir, &reminder_key(&first, 24)).await;
    assert_eq!(state, "skipped");
    assert!(detail.unwrap().contains("opted out"));
    assert!(reminders(&world.fake, "olga", "look forward").is_empty());

    // Back in: the next booking's reminder goes out (the guest writes within 24 hours of it).
    let writes_at = DUE_24TH + 23 * HOUR;
    let back = converse(&world.running, &world.fake, guest, &["start"], writes_at).await;
    assert!(back.contains("get our reminders again"), "{back}");
    let second = book(
        &world.running,
        &world.fake,
        guest,
        (25, 27),
        false,
        writes_at,
    )
    .await;
    world.clock.set(DUE_24TH + 24 * HOUR);
    assert_eq!(
        finished(&world.dir, &reminder_key(&second, 25)).await.0,
        "done"
    );
    let sent = eventually(20, "the reminder", || async {
        let sent = reminders(&world.fake, "olga", "look forward");
        (!sent.is_empty()).then_some(sent)
    })
    .await;
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].contains("Nov 25, 2026") && sent[0].contains(&second),
        "{}",
        sent[0]
    );
    world.running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_bookings_reminder_is_skipped_with_the_reason() {
    let world = World::new("sched-cancelled", &[]).await;
    let reference = world.book(("instagram", "carl"), (24, 26), false).await;
    let store =
        hotel::BookingStore::open(world.dir.join("agent.db"), hotel::Catalog::load().unwrap())
            .unwrap();
    store
        .cancel(
            &hotel::GuestId::new("instagram", "carl"),
            &reference.parse().unwrap(),
            "test-cancel",
            common::TODAY.parse().unwrap(),
        )
        .unwrap();
    world.clock.set(DUE_24TH);
    let (state, detail) = finished(&world.dir, &reminder_key(&reference, 24)).await;
    assert_eq!(
        (state.as_str(), detail.as_deref()),
        ("skipped", Some("the booking was cancelled"))
    );
    assert!(reminders(&world.fake, "carl", "look forward").is_empty());
    world.running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_job_scheduled_twice_runs_once() {
    let world = World::new("sched-twice", &[]).await;
    let reference = world.book(("instagram", "dana"), (24, 26), false).await;
    for _ in 0..2 {
        schedule_pre_arrival(
            &world.dir.join("agent.db"),
            ("instagram", "dana"),
            (&reference, "2026-11-24".parse().unwrap()),
            DUE_24TH,
        )
        .await
        .unwrap();
    }
    let db = rusqlite::Connection::open(world.dir.join("agent.db")).unwrap();
    let jobs: i64 = db
        .query_row("SELECT COUNT(*) FROM sv_jobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(jobs, 1);
    world.clock.set(DUE_24TH);
    finished(&world.dir, &reminder_key(&reference, 24)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(reminders(&world.fake, "dana", "look forward").len(), 1);
    world.running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stay_moved_after_its_reminder_gets_one_for_its_new_dates() {
    let world = World::new("sched-moved-after", &[]).await;
    let guest = ("instagram", "eve");
    let reference = world.book(guest, (24, 26), false).await;
    world.clock.set(DUE_24TH);
    assert_eq!(
        finished(&world.dir, &reminder_key(&reference, 24)).await.0,
        "done"
    );
    eventually(20, "the first reminder", || async {
        let sent = reminders(&world.fake, "eve", "look forward");
        (!sent.is_empty()).then_some(())
    })
    .await;

    // The guest moves the stay two days on (within a day of the next reminder, so Instagram's
    // window is open when it is due).
    let moves_at = DUE_24TH + 50 * HOUR;
    let ask = format!("hi can u move my booking {reference} to nov 27-29? same room");
    converse(&world.running, &world.fake, guest, &[&ask, "yes"], moves_at).await;
    let (state, _, due) = job(&world.dir, &reminder_key(&reference, 27))
        .expect("the move scheduled a reminder for the new dates");
    assert_eq!((state.as_str(), due), ("pending", DUE_24TH + 72 * HOUR));

    world.clock.set(DUE_24TH + 72 * HOUR);
    assert_eq!(
        finished(&world.dir, &reminder_key(&reference, 27)).await.0,
        "done"
    );
    let sent = eventually(20, "the second reminder", || async {
        let sent = reminders(&world.fake, "eve", "look forward");
        (sent.len() == 2).then_some(sent)
    })
    .await;
    assert!(sent[0].contains("Nov 24, 2026"), "{}", sent[0]);
    assert!(sent[1].contains("Nov 27, 2026"), "{}", sent[1]);
    // The first stay's job stays done: nothing is sent for it again.
    assert_eq!(
        job(&world.dir, &reminder_key(&reference, 24)).unwrap().0,
        "done"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(reminders(&world.fake, "eve", "look forward").len(), 2);
    world.running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stay_staff_moved_before_its_reminder_is_reminded_once_on_its_new_dates() {
    let world = World::new("sched-moved-before", &[]).await;
    let guest = ("instagram", "fay");
    let reference = world.book(guest, (24, 26), false).await;
    let running = &world.running;
    let moved = running
        .http
        .post(running.url(&format!("/staff/api/bookings/{reference}/reschedule")))
        .header("origin", &running.base)
        .json(&serde_json::json!({"check_in": "2026-11-25", "check_out": "2026-11-27", "by": "Marta"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200, "{}", moved.text().await.unwrap());
    let (state, _, due) = job(&world.dir, &reminder_key(&reference, 25))
        .expect("the staff move scheduled a reminder for the new dates");
    assert_eq!((state.as_str(), due), ("pending", DUE_24TH + 24 * HOUR));

    // The old dates' job stands down when it comes due.
    world.clock.set(DUE_24TH);
    let (state, detail) = finished(&world.dir, &reminder_key(&reference, 24)).await;
    assert_eq!(state, "skipped");
    assert!(
        detail
            .as_deref()
            .unwrap_or_default()
            .contains("moved to 2026-11-25"),
        "{detail:?}"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(reminders(&world.fake, "fay", "look forward").is_empty());
    // The new dates' reminder goes out once (the guest wrote within 24 hours of it).
    converse(
        &world.running,
        &world.fake,
        guest,
        &["thanks!"],
        DUE_24TH + 2 * HOUR,
    )
    .await;
    world.clock.set(DUE_24TH + 24 * HOUR);
    assert_eq!(
        finished(&world.dir, &reminder_key(&reference, 25)).await.0,
        "done"
    );
    let sent = eventually(20, "the reminder", || async {
        let sent = reminders(&world.fake, "fay", "look forward");
        (!sent.is_empty()).then_some(sent)
    })
    .await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("Nov 25, 2026"), "{}", sent[0]);
    world.running.server.shutdown().await;
}
