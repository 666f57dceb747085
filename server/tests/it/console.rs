//! The staff console's API: accounts made with the admin token, logins (a cookie with the
//! right flags; a wrong name or password refused alike, then limited), what a session may and
//! may not do (no changes from another origin, no accounts), conversations listed and
//! searched, and a booking cancelled for an Instagram guest, who is told through the Send
//! API, with a second cancel or an unknown booking refused and nothing changed; the inventory
//! and the activity follow.

use serde_json::{Value, json};

use crate::common::{self, Running, eventually};
use crate::fake_meta::FakeMeta;
pub(crate) use crate::handoff::replies;
use crate::meta::SECRET as META_SECRET;
use crate::webhooks::{channel_flags, deliver, ig_message};

/// The admin token of the console's servers.
pub(crate) const ADMIN: &str = "console-admin-token";
/// A staff member and her password.
pub(crate) const STAFF: (&str, &str) = ("Marta", "a long enough password");

/// A server on Instagram (the fake Graph API) with an admin token.
pub(crate) async fn start(name: &str) -> (Running, FakeMeta, std::path::PathBuf) {
    let fake = FakeMeta::start().await;
    let dir = common::fresh_dir(name);
    let mut flags = channel_flags(&fake);
    flags.extend(["--admin-token", ADMIN].map(str::to_owned));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let running = common::start(common::config(&dir, &flags)).await;
    (running, fake, dir)
}

/// Adds staff member [`STAFF`] with the admin token.
pub(crate) async fn add_staff(running: &Running) {
    let (name, password) = STAFF;
    let added = running
        .http
        .post(running.url("/staff/api/staff"))
        .bearer_auth(ADMIN)
        .json(&json!({"name": name, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
}

/// Guest `user`'s message `text` (id `mid`) on Instagram.
pub(crate) async fn guest(running: &Running, user: &str, mid: &str, text: &str) {
    let at = u64::try_from(server_now_ms()).unwrap();
    let delivered = deliver(
        running,
        "instagram",
        &ig_message(user, mid, text, at),
        Some(META_SECRET),
    )
    .await;
    assert_eq!(delivered.status(), 200);
}

fn server_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// The booking reference in an agent's "… booking reference is SRS-7K3Q9P: …".
pub(crate) fn reference_in(text: &str) -> String {
    let (_, rest) = text.split_once("booking reference is ").unwrap();
    rest.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// A client sending the session cookie of a login as [`STAFF`], as a browser would; the
/// login's `Set-Cookie`.
async fn login(running: &Running) -> (reqwest::Client, String) {
    let (name, password) = STAFF;
    let response = running
        .http
        .post(running.url("/staff/login"))
        .json(&json!({"name": name, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", pair.parse().unwrap());
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    (client, cookie)
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_logins_and_what_a_session_may_do() {
    let (running, _fake, _) = start("console-logins").await;
    let http = &running.http;
    let account = |name: &str, password: &str| {
        http.post(running.url("/staff/api/staff"))
            .json(&json!({"name": name, "password": password}))
    };
    // Accounts: the admin token only; bounded names and passwords; one per name.
    assert_eq!(
        send(account("Marta", "a long enough password")).await.0,
        401
    );
    let (status, body) =
        send(account("<b>Marta</b>", "a long enough password").bearer_auth(ADMIN)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        send(account("Marta", "short").bearer_auth(ADMIN)).await.0,
        422
    );
    add_staff(&running).await;
    assert_eq!(
        send(account("Marta", "another long password").bearer_auth(ADMIN))
            .await
            .0,
        409
    );

    // A wrong password and an unknown name read alike.
    let attempt = |name: &str, password: &str| {
        http.post(running.url("/staff/login"))
            .json(&json!({"name": name, "password": password}))
    };
    let (status, wrong) = send(attempt("Marta", "not her password")).await;
    assert_eq!(status, 401);
    let (status, unknown) = send(attempt("Nobody", "not her password")).await;
    assert_eq!(status, 401);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"], "wrong name or password");

    let (staff, cookie) = login(&running).await;
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "loopback has no https: {cookie}"
    );
    let (status, me) = send(staff.get(running.url("/staff/api/me"))).await;
    assert_eq!((status, me["name"].as_str()), (200, Some("Marta")));
    // Without credentials, nothing.
    assert_eq!(
        send(http.get(running.url("/staff/api/conversations")))
            .await
            .0,
        401
    );
    assert_eq!(
        send(staff.get(running.url("/staff/api/conversations")))
            .await
            .0,
        200
    );
    // A session adds no accounts, and its changes need this server's own Origin.
    let (status, _) = send(
        staff
            .post(running.url("/staff/api/staff"))
            .header("origin", &running.base)
            .json(&json!({"name": "Eve", "password": "a long enough password"})),
    )
    .await;
    assert_eq!(status, 403);
    for origin in [None, Some("http://evil.example")] {
        let mut request = staff
            .post(running.url("/staff/api/bookings/SRS-2345AB/cancel"))
            .json(&json!({}));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        assert_eq!(send(request).await.0, 403, "{origin:?}");
    }

    // Logging out ends the session.
    let out = staff
        .post(running.url("/staff/logout"))
        .header("origin", &running.base)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(send(staff.get(running.url("/staff/api/me"))).await.0, 401);

    // Failed logins are limited per name (a success forgets them): after five, even the right
    // password waits.
    for _ in 0..5 {
        assert_eq!(send(attempt("Marta", "guess")).await.0, 401);
    }
    let (name, password) = STAFF;
    assert_eq!(send(attempt(name, password)).await.0, 429);
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_whole_by_the_binary_and_notices_link_into_it() {
    let (running, _fake, _) = start("console-page").await;
    for (path, kind) in [
        ("/console", "text/html"),
        ("/console/console.js", "text/javascript"),
        ("/console/console.css", "text/css"),
    ] {
        let response = running.http.get(running.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        let body = response.text().await.unwrap();
        // Nothing fetched from elsewhere, and no markup built from data.
        for outside in [
            "http://",
            "https://",
            "//cdn",
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
        ] {
            let allowed = outside == "http://" && body.contains("http://www.w3.org/2000/svg");
            let count = body.matches(outside).count() - usize::from(allowed);
            assert_eq!(count, 0, "{path} has {outside}");
        }
    }
    let direct = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let link = direct
        .get(running.url("/console/conversations/instagram:nora"))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), 303);
    assert_eq!(
        link.headers()["location"],
        "/console#conversation/instagram%3Anora"
    );
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_cancel_a_guests_booking_and_the_guest_is_told() {
    let (running, fake, _) = start("console-bookings").await;
    add_staff(&running).await;
    guest(
        &running,
        "nora",
        "m1",
        "I'd like a suite at Seaside Resort & Spa from December 10 to December 12 for 2 adults",
    )
    .await;
    replies(&fake, "nora", 1).await;
    guest(&running, "nora", "m2", "yes").await;
    let texts = replies(&fake, "nora", 2).await;
    let reference = reference_in(&texts[1]);
    let (staff, _) = login(&running).await;
    let get = |path: &str| send(staff.get(running.url(path)));

    // The conversation, searched by what the guest wrote and by status.
    let (_, found) = get("/staff/api/conversations?text=SEASIDE&status=active").await;
    assert_eq!(found[0]["thread_id"], "instagram:nora", "{found}");
    assert_eq!(found[0]["messages"], 2);
    let (_, none) = get("/staff/api/conversations?status=handoff").await;
    assert_eq!(none, json!([]));
    let (_, detail) = get("/staff/api/conversations/instagram:nora").await;
    let last = detail["turns"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["message"], "yes", "{detail}");
    assert!(
        last["nodes"]
            .as_array()
            .unwrap()
            .contains(&json!("create_booking"))
    );

    let night = |inventory: &Value| {
        let row = inventory["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["hotel_code"] == "SRS" && r["room_type"] == "Suite")
            .unwrap()
            .clone();
        row["booked"][18].as_u64().unwrap()
    };
    let (_, inventory) = get("/staff/api/inventory").await;
    assert_eq!(inventory["nights"][18], "2026-12-10");
    assert_eq!(night(&inventory), 1);

    let (_, bookings) = get("/staff/api/bookings?guest=nora&status=confirmed").await;
    assert_eq!(bookings[0]["reference"], reference.as_str(), "{bookings}");
    let (status, quote) = get(&format!(
        "/staff/api/bookings/{reference}/quote?action=cancel"
    ))
    .await;
    assert_eq!(
        (status, quote["fee"].as_str()),
        (200, Some("$0.00")),
        "{quote}"
    );
    let cancel = |reference: &str| {
        send(
            staff
                .post(running.url(&format!("/staff/api/bookings/{reference}/cancel")))
                .header("origin", &running.base)
                .json(&json!({"by": "someone else"})),
        )
    };
    let (status, done) = cancel(&reference).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["booking"]["status"], "cancelled");
    assert_eq!(done["told"], true, "{done}");
    let texts = replies(&fake, "nora", 3).await;
    assert!(texts[2].contains("cancelled by our staff"), "{texts:?}");
    assert!(texts[2].contains(&reference), "{texts:?}");

    // Again, or a booking that does not exist: refused, nothing changed.
    let (status, again) = cancel(&reference).await;
    assert_eq!(status, 409, "{again}");
    let (status, missing) = cancel("SRS-2345AB").await;
    assert_eq!(status, 404, "{missing}");
    assert_eq!(missing["error"], "no booking SRS-2345AB");
    let (_, detail) = get(&format!("/staff/api/bookings/{reference}")).await;
    let changes = detail["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{detail}");
    // The session's name, not the body's.
    assert_eq!(changes[1]["by_staff"], "Marta");
    assert_eq!(replies(&fake, "nora", 3).await.len(), 3);

    let (_, inventory) = get("/staff/api/inventory").await;
    assert_eq!(night(&inventory), 0);
    let (_, activity) = get("/staff/api/activity").await;
    let today = activity["days"].as_array().unwrap().len() - 1;
    assert_eq!(activity["days"][today], common::TODAY);
    assert_eq!(activity["bookings"][today], 1, "{activity}");
    assert_eq!(activity["cancellations"][today], 1);
    assert_eq!(activity["messages"][today], 2);
    assert_eq!(activity["provider"], "offline");
    running.server.shutdown().await;
}

/// A booking staff cancel for a WhatsApp guest who last wrote two days ago: outside the
/// 24-hour window only an approved template reaches them, in their language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_whatsapps_window_a_staff_change_is_told_by_template() {
    let fake = FakeMeta::start().await;
    let dir = common::fresh_dir("console-whatsapp-template");
    let mut flags = channel_flags(&fake);
    flags.extend(
        [
            "--admin-token",
            ADMIN,
            "--whatsapp-change-template",
            "booking_changed",
        ]
        .map(str::to_owned),
    );
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let running = common::start(common::config(&dir, &flags)).await;
    let wa = "5215550009999";
    let say = |id: &str, text: &str| {
        let body = crate::sched::wa_message(wa, id, text, server_now_ms());
        let running = &running;
        async move {
            let delivered = deliver(running, "whatsapp", &body, Some(META_SECRET)).await;
            assert_eq!(delivered.status(), 200);
        }
    };
    say(
        "w1",
        "hola, quiero una suite en el Seaside Resort del 10 al 12 de diciembre para 2",
    )
    .await;
    replies(&fake, wa, 1).await;
    say("w2", "sí").await;
    let texts = replies(&fake, wa, 2).await;
    let reference = texts[1]
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|w| w.len() == 10 && w.as_bytes()[3] == b'-')
        .unwrap_or_else(|| panic!("no reference in {:?}", texts[1]))
        .to_owned();
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    db.execute(
        "UPDATE sv_messages SET at_ms = at_ms - 2 * 86400000 WHERE user_id = ?1",
        [wa],
    )
    .unwrap();
    let cancelled = running
        .http
        .post(running.url(&format!("/staff/api/bookings/{reference}/cancel")))
        .bearer_auth(ADMIN)
        .json(&json!({"by": "Luis"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let done: Value = cancelled.json().await.unwrap();
    assert_eq!(done["told"], true, "{done}");
    let sent = eventually(20, "the template", || async {
        fake.delivered()
            .into_iter()
            .find(|r| r.recipient() == wa && r.body["type"] == "template")
    })
    .await;
    let template = &sent.body["template"];
    assert_eq!(template["name"], "booking_changed");
    assert_eq!(
        template["language"]["code"], "es",
        "the guest wrote in Spanish"
    );
    let params: Vec<&str> = template["components"][0]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(params[1], reference, "{params:?}");
    assert_eq!(params[2], "cancelada", "{params:?}");
    running.server.shutdown().await;
}
