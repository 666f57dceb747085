//! Routes one guest message with the intent router and prints what was understood and the
//! reply. Offline by default; set `GEMINI_API_KEY` (and optionally `GEMINI_MODEL`,
//! `GEMINI_BASE_URL`) to ask Gemini first, with the offline NLU as the fallback.
//!
//! Run with: `cargo run -p examples --bin intent -- "a double room from Dec 3 to 6 for 2"`

use examples::intent::{TurnUpdate, intent_graph, understander};
use graph_core::RunConfig;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let message = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    let message = if message.trim().is_empty() {
        "Hi, do you have a double room at Hotel Sol from Dec 3 to 6 for 2 adults?".to_owned()
    } else {
        message
    };
    let gemini = match std::env::var_os("GEMINI_API_KEY") {
        Some(_) => Some(agent_nodes::gemini::GeminiClient::from_env()?),
        None => None,
    };
    let today = chrono::Local::now().date_naive();
    let graph = intent_graph(understander(gemini), today)?;
    let out = graph
        .invoke(
            TurnUpdate::default().message(message.clone()),
            &RunConfig::thread("cli"),
        )
        .await?;
    println!("message: {message}");
    if let Some(u) = &out.state.understanding {
        println!(
            "understood by {}: {:?} ({:.2}), language {:?}",
            u.provider, u.intent, u.confidence, u.language
        );
        println!("entities: {}", serde_json::to_string(&u.entities)?);
    }
    println!(
        "route: {}",
        out.executed.last().map(|n| n.as_str()).unwrap_or("-")
    );
    println!("reply: {}", out.state.reply);
    Ok(())
}
