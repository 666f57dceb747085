//! What a reminder may do outside the platforms' 24-hour windows, on the injected clock: on
//! WhatsApp it goes out as the configured template in Meta's format (and without one it is
//! skipped with the reason), on Instagram it is skipped with the reason; and a reminder whose
//! sends keep failing is retried with growing waits, then recorded as failed.

use crate::common::eventually;
use crate::fake_meta::Failure;
use crate::sched::{DUE_24TH, HOUR, World, finished, reminder_key, sent_to};

/// 2026-11-25T10:00:00Z: the reminder of a stay arriving on the 26th is due, 70 hours after
/// the guest booked.
const DUE_26TH: i64 = DUE_24TH + 48 * HOUR;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_whatsapps_window_the_reminder_is_the_configured_template() {
    let flags = [
        "--whatsapp-reminder-template",
        "pre_arrival",
        "--whatsapp-reminder-languages",
        "en:en_US,es:es_MX",
    ];
    let world = World::new("sched-template", &flags).await;
    let guest = ("whatsapp", "5215550001111");
    let reference = world.book(guest, (26, 28), true).await;
    world.clock.set(DUE_26TH);
    assert_eq!(
        finished(&world.dir, &reminder_key(&reference, 26)).await.0,
        "done"
    );
    let request = eventually(20, "the template", || async {
        world
            .fake
            .delivered()
            .into_iter()
            .find(|r| r.body["type"] == "template")
    })
    .await;
    let body = &request.body;
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["to"], guest.1);
    assert_eq!(body["template"]["name"], "pre_arrival");
    assert_eq!(body["template"]["language"]["code"], "es_MX");
    let components = body["template"]["components"].as_array().unwrap();
    assert_eq!(components.len(), 1);
    assert_eq!(components[0]["type"], "body");
    let values: Vec<&str> = components[0]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["type"], "text");
            p["text"].as_str().unwrap()
        })
        .collect();
    assert_eq!(values.len(), 6, "{values:?}");
    assert_eq!(values[0], "Grand Plaza Hotel");
    assert_eq!(values[1], "26 de noviembre de 2026");
    assert_eq!(values[2], "15:00");
    assert_eq!(values[5], reference);
    assert!(body.get("text").is_none());
    world.running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_window_without_a_template_or_on_instagram_the_reminder_is_skipped() {
    let world = World::new("sched-windows", &[]).await;
    let on_instagram = world.book(("instagram", "ivy"), (26, 28), false).await;
    let on_whatsapp = world
        .book(("whatsapp", "15550002222"), (26, 28), false)
        .await;
    let (before_ivy, before_wa) = (
        sent_to(&world.fake, "ivy").len(),
        sent_to(&world.fake, "15550002222").len(),
    );
    world.clock.set(DUE_26TH);
    let (state, detail) = finished(&world.dir, &reminder_key(&on_instagram, 26)).await;
    assert_eq!(state, "skipped");
    assert!(
        detail
            .unwrap()
            .contains("outside Instagram's 24-hour window")
    );
    let (state, detail) = finished(&world.dir, &reminder_key(&on_whatsapp, 26)).await;
    assert_eq!(state, "skipped");
    assert!(detail.unwrap().contains("WHATSAPP_REMINDER_TEMPLATE"));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sent_to(&world.fake, "ivy").len(), before_ivy);
    assert_eq!(sent_to(&world.fake, "15550002222").len(), before_wa);
    world.running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_whose_sends_fail_is_retried_with_backoff_then_its_job_is_failed() {
    let world = World::new("sched-failing", &["--outbox-retry-ms", "2"]).await;
    let reference = world.book(("instagram", "finn"), (24, 26), false).await;
    world.fake.fail_always(Some(Failure::server_error()));
    world.clock.set(DUE_24TH);
    let key = reminder_key(&reference, 24);
    assert_eq!(finished(&world.dir, &key).await.0, "done");
    let db = rusqlite::Connection::open(world.dir.join("agent.db")).unwrap();
    let (state, attempts, error): (String, i64, String) = eventually(30, "the part to be dropped", || async {
        db.query_row(
            "SELECT state, attempts, last_error FROM sv_outbox WHERE correlation = ?1 AND state != 'pending'",
            [&key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .ok()
    })
    .await;
    assert_eq!((state.as_str(), attempts), ("dropped", 12));
    assert!(error.contains("HTTP 500"), "{error}");
    // The job no longer says it was done: its message never reached the guest.
    let (job_state, job_error): (String, String) = db
        .query_row(
            "SELECT state, last_error FROM sv_jobs WHERE key = ?1",
            [&key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(job_state, "failed");
    assert!(
        job_error.contains("the outbox dropped its message") && job_error.contains("HTTP 500"),
        "{job_error}"
    );
    let tries: Vec<_> = world
        .fake
        .received()
        .into_iter()
        .filter(|r| r.recipient() == "finn" && r.text().contains("look forward"))
        .collect();
    assert_eq!(tries.len(), 12);
    assert!(tries.iter().all(|r| r.status == 500));
    // Each wait about doubles from 2 ms: the last is about 2 s (±20%), far longer than the
    // first (which the outbox's polling may stretch to a few hundred ms under load).
    let first = tries[1].at - tries[0].at;
    let last = tries[11].at - tries[10].at;
    assert!(
        last >= std::time::Duration::from_millis(1500) && last > first * 3,
        "first wait {first:?}, last {last:?}"
    );
    let metrics = world.running.metrics().await;
    assert!(
        metrics.contains(
            r#"hotel_agent_send_attempts_total{channel="instagram",outcome="dropped"} 1"#
        ),
        "{metrics}"
    );
    world.running.server.shutdown().await;
}
