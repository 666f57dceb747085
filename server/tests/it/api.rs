//! The local API through the real server: chat validation, bookings, hotels, thread state
//! and history, the graph, the admin token, health and metrics, and start-up refusals.

use serde_json::{Value, json};

use crate::common::{self, Running};

async fn start(name: &str, extra: &[&str]) -> Running {
    let dir = common::fresh_dir(name);
    common::start(common::config(&dir, extra)).await
}

async fn post_chat(running: &Running, body: &str) -> (u16, Value) {
    let response = running
        .http
        .post(running.url("/api/chat"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_refuses_bad_input_naming_the_field() {
    let running = start("chat-validation", &[]).await;
    let long_text = "a".repeat(2001);
    let long_user = "u".repeat(65);
    let cases: Vec<(String, u16, &str)> = vec![
        (
            json!({"user_id": "", "text": "hi"}).to_string(),
            422,
            "user_id",
        ),
        (
            json!({"user_id": long_user, "text": "hi"}).to_string(),
            422,
            "user_id",
        ),
        (
            json!({"user_id": "ana smith", "text": "hi"}).to_string(),
            422,
            "user_id",
        ),
        (
            json!({"user_id": "ana/..", "text": "hi"}).to_string(),
            422,
            "user_id",
        ),
        (
            json!({"user_id": 7, "text": "hi"}).to_string(),
            422,
            "user_id",
        ),
        (
            json!({"user_id": "ana", "text": ""}).to_string(),
            422,
            "text",
        ),
        (
            json!({"user_id": "ana", "text": "   "}).to_string(),
            422,
            "text",
        ),
        (
            json!({"user_id": "ana", "text": long_text}).to_string(),
            422,
            "text",
        ),
        (
            json!({"user_id": "ana", "text": ["hi"]}).to_string(),
            422,
            "text",
        ),
        (json!({"user_id": "ana"}).to_string(), 422, "text"),
        (json!({"text": "hi"}).to_string(), 422, "user_id"),
        (
            json!({"user_id": "ana", "text": "hi", "extra": 1}).to_string(),
            422,
            "extra",
        ),
        ("not json".to_owned(), 400, "JSON"),
        ("{\"user_id\":".to_owned(), 400, "JSON"),
    ];
    for (body, status, names) in cases {
        let (got, answer) = post_chat(&running, &body).await;
        assert_eq!(got, status, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(names), "{body}: {message}");
    }
    // 2000 characters of multi-byte text are fine (the limit is characters, not bytes).
    let (status, _) = post_chat(
        &running,
        &json!({"user_id": "a.b@c+d:e_f-1", "text": "ñ".repeat(2000)}).to_string(),
    )
    .await;
    assert_eq!(status, 200);
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_made_through_chat_is_listed_and_found_by_reference() {
    let running = start("chat-booking", &[]).await;
    let quote = running
        .chat("ana", "I'd like a deluxe room at Grand Plaza Hotel from December 3 to December 6 for 2 adults")
        .await;
    assert_eq!(quote["thread_id"], "web:ana");
    assert_eq!(quote["intent"], "reservation_request");
    assert_eq!(
        quote["nodes"],
        json!([
            "ingest",
            "understand",
            "decide",
            "collect_slots",
            "quote",
            "respond"
        ])
    );
    assert!(quote["reply"].as_str().unwrap().contains("$1,024.00"));
    let done = running.chat("ana", "yes").await;
    assert!(
        done["nodes"]
            .as_array()
            .unwrap()
            .contains(&json!("create_booking"))
    );
    let reply = done["reply"].as_str().unwrap();
    let reference = reply
        .split_whitespace()
        .find(|w| w.starts_with("GPH-"))
        .unwrap()
        .trim_end_matches(['.', ':'])
        .to_owned();

    let (status, bookings) = running.get_json("/api/users/ana/bookings").await;
    assert_eq!(status, 200);
    let expected = json!([{
        "reference": reference,
        "hotel_code": "GPH",
        "hotel": "Grand Plaza Hotel",
        "room_type": "Deluxe",
        "check_in": "2026-12-03",
        "check_out": "2026-12-06",
        "guests": 2,
        "total": 1024.0,
        "status": "confirmed",
    }]);
    assert_eq!(bookings, expected);
    // Another user, or the same id on another channel, has none.
    assert_eq!(
        running.get_json("/api/users/ben/bookings").await.1,
        json!([])
    );
    assert_eq!(
        running
            .get_json("/api/users/ana/bookings?channel=whatsapp")
            .await
            .1,
        json!([])
    );
    assert_eq!(
        running
            .get_json("/api/users/ana/bookings?channel=fax")
            .await
            .0,
        422
    );
    assert_eq!(running.get_json("/api/users/ana%20b/bookings").await.0, 422);

    let (status, one) = running
        .get_json(&format!("/api/bookings/{reference}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["channel"], "web");
    assert_eq!(one["user_id"], "ana");
    assert_eq!(one["total"], 1024.0);
    assert_eq!(running.get_json("/api/bookings/GPH-222222").await.0, 404);
    assert_eq!(running.get_json("/api/bookings/nonsense").await.0, 422);

    // Cancelled bookings are listed as cancelled with their total.
    running
        .chat("ana", &format!("cancel booking {reference}"))
        .await;
    running.chat("ana", "yes").await;
    let (_, bookings) = running.get_json("/api/users/ana/bookings").await;
    assert_eq!(bookings[0]["status"], "cancelled");
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotels_graph_state_and_history_are_served() {
    let running = start("read-endpoints", &[]).await;
    let (status, hotels) = running.get_json("/api/hotels").await;
    assert_eq!(status, 200);
    let codes: Vec<&str> = hotels
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["GPH", "SRS", "MVL", "CCI", "HPH", "ABH", "BSE"]);
    assert_eq!(
        hotels[0]["rooms"][0],
        json!({"type": "Standard", "count": 20, "base_price": 220.0, "max_guests": 2})
    );
    assert_eq!(hotels[0]["check_in"], "15:00");

    let (_, graph) = running.get_json("/api/graph").await;
    let nodes: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    for node in [
        "__start__",
        "ingest",
        "understand",
        "quote",
        "confirm",
        "create_booking",
        "respond",
        "__end__",
    ] {
        assert!(nodes.contains(&node), "{node} missing from {nodes:?}");
    }
    let dot = running
        .http
        .get(running.url("/api/graph.dot"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(dot.starts_with("digraph"), "{dot}");
    let mermaid = running
        .http
        .get(running.url("/api/graph.mermaid"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(mermaid.contains("understand"), "{mermaid}");

    assert_eq!(running.get_json("/api/threads/web:zoe/state").await.0, 404);
    assert_eq!(
        running.get_json("/api/threads/web%20zoe/state").await.0,
        422
    );
    running.chat("zoe", "hello").await;
    running
        .chat("zoe", "Is there parking at the Grand Plaza Hotel?")
        .await;
    let (status, state) = running.get_json("/api/threads/web:zoe/state").await;
    assert_eq!(status, 200);
    assert_eq!(state["thread_id"], "web:zoe");
    assert_eq!(state["next"], json!([]));
    assert_eq!(state["values"]["transcript"].as_array().unwrap().len(), 4);
    assert!(
        state["values"]["reply"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("parking")
    );

    // History pages newest first with a cursor, without gaps or repeats.
    let (_, all) = running
        .get_json("/api/threads/web:zoe/history?limit=100")
        .await;
    let all_ids: Vec<u64> = all["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert!(all_ids.len() >= 8, "{all_ids:?}");
    assert!(all_ids.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(all["next_before"], Value::Null);
    let mut paged = Vec::new();
    let mut before: Option<u64> = None;
    loop {
        let path = match before {
            Some(id) => format!("/api/threads/web:zoe/history?limit=3&before={id}"),
            None => "/api/threads/web:zoe/history?limit=3".to_owned(),
        };
        let (_, page) = running.get_json(&path).await;
        paged.extend(
            page["checkpoints"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_u64().unwrap()),
        );
        match page["next_before"].as_u64() {
            Some(id) => before = Some(id),
            None => break,
        }
    }
    assert_eq!(paged, all_ids);
    // With values, each checkpoint also carries the state at it: the head has the last reply.
    let (status, head) = running
        .get_json("/api/threads/web:zoe/history?limit=1&values=true")
        .await;
    assert_eq!(status, 200, "{head}");
    let newest = &head["checkpoints"][0];
    assert_eq!(newest["id"].as_u64(), all_ids.first().copied());
    assert_eq!(newest["values"]["reply"], state["values"]["reply"]);
    for bad in [
        "limit=0",
        "limit=101",
        "limit=x",
        "before=abc",
        "values=yes",
    ] {
        assert_eq!(
            running
                .get_json(&format!("/api/threads/web:zoe/history?{bad}"))
                .await
                .0,
            422,
            "{bad}"
        );
    }
    assert_eq!(running.get_json("/api/nothing").await.0, 404);
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_guards_chat_state_bookings_and_metrics() {
    let running = start("admin", &["--admin-token", "s3cret"]).await;
    let body = json!({"user_id": "ana", "text": "hello"});
    for (path, post) in [
        ("/api/chat", true),
        ("/api/users/ana/bookings", false),
        ("/api/bookings/GPH-222222", false),
        ("/api/threads/web:ana/state", false),
        ("/api/threads/web:ana/history", false),
        ("/metrics", false),
    ] {
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("s3cret"),
            Some("Basic s3cret"),
        ] {
            let mut request = if post {
                running.http.post(running.url(path)).json(&body)
            } else {
                running.http.get(running.url(path))
            };
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{path} with {auth:?}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }
    }
    let ok = running
        .http
        .post(running.url("/api/chat"))
        .bearer_auth("s3cret")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // The page, the catalog, the graph and health stay open.
    for path in [
        "/",
        "/ui/app.js",
        "/api/hotels",
        "/api/graph",
        "/health/live",
        "/health/ready",
    ] {
        let response = running.http.get(running.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_address_without_an_admin_token_is_refused() {
    let dir = common::fresh_dir("public-bind");
    let mut config = common::config(&dir, &[]);
    config.bind_addr = "0.0.0.0:0".parse().unwrap();
    let error = server::Server::start(config).await.err().expect("refused");
    assert!(error.to_string().contains("ADMIN_TOKEN"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_report_runs_nodes_and_bookings() {
    let running = start("metrics", &[]).await;
    assert_eq!(
        running
            .http
            .get(running.url("/health/live"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    let (status, ready) = running.get_json("/health/ready").await;
    assert_eq!(status, 200);
    assert_eq!(ready["database"], "ok");
    running
        .chat(
            "mo",
            "Book a standard room at City Center Inn from December 10 to December 12 for 2 adults",
        )
        .await;
    running.chat("mo", "yes").await;
    let response = running
        .http
        .get(running.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let metrics = response.text().await.unwrap();
    for expected in [
        r#"hotel_agent_graph_runs_total{outcome="ok"} 2"#,
        r#"hotel_agent_bookings_created_total 1"#,
        r#"hotel_agent_graph_node_duration_seconds_count{node="create_booking"} 1"#,
        r#"hotel_agent_graph_node_duration_seconds_count{node="understand"} 2"#,
        r#"hotel_agent_http_requests_total{method="POST",route="/api/chat",status="200"} 2"#,
        "hotel_agent_outbox_depth 0",
        "# EOF",
    ] {
        assert!(
            metrics.contains(expected),
            "{expected} missing from\n{metrics}"
        );
    }
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_gemini_is_counted_and_the_offline_nlu_answers() {
    use axum::routing::post;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&calls);
    let app = axum::Router::new().route(
        "/v1beta/models/{call}",
        post(move || {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async {
                (
                    axum::http::StatusCode::BAD_REQUEST,
                    axum::Json(json!({"error": {"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}})),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let dir = common::fresh_dir("gemini-down");
    let mut config = common::config(
        &dir,
        &["--gemini-api-key", "test-key", "--gemini-base-url", &base],
    );
    config.llm_provider = None; // the key alone selects Gemini
    assert_eq!(config.provider(), server::LlmProvider::Gemini);
    let running = common::start(config).await;
    let answer = running
        .chat("lu", "I'd like a deluxe room at Grand Plaza Hotel from December 3 to December 6 for 2 adults")
        .await;
    assert!(
        answer["reply"]
            .as_str()
            .unwrap()
            .contains("Shall I book it"),
        "{answer}"
    );
    assert!(
        calls.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "Gemini was asked first"
    );
    let metrics = running.metrics().await;
    assert!(
        metrics.contains(r#"hotel_agent_llm_calls_total{provider="gemini",outcome="http_error"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"hotel_agent_llm_circuit_breaker_state{provider="gemini"} 0"#),
        "{metrics}"
    );
    running.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_while_a_reply_is_stuck_in_the_outbox() {
    let dir = common::fresh_dir("stuck-outbox");
    let running = common::start(common::config(&dir, &[])).await;
    assert_eq!(running.get_json("/health/ready").await.0, 200);
    // A reply that has waited 20 minutes and is not due again for an hour.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let db = rusqlite::Connection::open(dir.join("agent.db")).unwrap();
    db.execute(
        "INSERT INTO sv_outbox (channel, recipient, text, correlation, state, attempts,
             next_attempt_ms, created_ms)
         VALUES ('instagram', 'g', 'hi', 'c', 'pending', 5, ?1, ?2)",
        [now + 3_600_000, now - 20 * 60_000],
    )
    .unwrap();
    let (status, ready) = running.get_json("/health/ready").await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["outbox"]["state"], "stuck");
    assert_eq!(ready["outbox"]["pending"], 1);
    assert_eq!(ready["database"], "ok");
    running.server.shutdown().await;
}
