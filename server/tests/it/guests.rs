//! A returning guest is remembered: the name and email a guest gave on one thread greet them
//! by name on another thread that gives the same email, also after a restart (the store is in
//! the server's SQLite file), and a guest who gave nothing is greeted as before.

use crate::common;

fn reply(answer: &serde_json::Value) -> &str {
    answer["reply"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_who_gave_a_name_and_email_is_greeted_by_name_elsewhere() {
    let dir = common::fresh_dir("guests");
    let running = common::start(common::config(&dir, &[])).await;
    let first = running
        .chat("ana-phone", "hi, my name is ana ruiz, ana.ruiz@example.com")
        .await;
    assert!(reply(&first).starts_with("Hello Ana Ruiz!"), "{first}");

    // Another thread: nothing known until the same email comes.
    let other = running.chat("ana-laptop", "hello").await;
    assert!(reply(&other).starts_with("Hello! I can book"), "{other}");
    running
        .chat("ana-laptop", "my email is Ana.Ruiz@example.com")
        .await;
    let again = running.chat("ana-laptop", "hello").await;
    assert!(reply(&again).starts_with("Hello Ana Ruiz!"), "{again}");

    // A stranger gets no one's name.
    let stranger = running.chat("bob", "hi").await;
    assert!(
        reply(&stranger).starts_with("Hello! I can book"),
        "{stranger}"
    );
    running.server.shutdown().await;

    // After a restart the store still knows the email, in Spanish too.
    let running = common::start(common::config(&dir, &[])).await;
    running
        .chat("ana-tablet", "hola, mi correo es ana.ruiz@example.com")
        .await;
    let hola = running.chat("ana-tablet", "hola").await;
    assert!(reply(&hola).starts_with("¡Hola Ana Ruiz!"), "{hola}");
    running.server.shutdown().await;
}
