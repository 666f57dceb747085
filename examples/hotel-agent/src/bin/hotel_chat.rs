//! Talk to the hotel agent in a terminal, offline: one line is one message. Bookings and the
//! conversation are kept in SQLite files in the data directory, so quitting and starting again
//! continues the conversation where it was.
//!
//! Run with: `cargo run -p hotel-agent --bin hotel-chat -- [--trace] [--data DIR] [--user NAME]`,
//! or with `--dot` / `--mermaid` to print the agent's graph and exit.
//! (`HOTEL_TODAY=YYYY-MM-DD` fixes today's date).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

use checkpoint::SqliteCheckpointer;
use graph_core::RunConfig;
use hotel::{BookingStore, Catalog, Clock};
use hotel_agent::{HotelAgent, hotel_agent_graph, thread_id, turn};

struct Args {
    trace: bool,
    /// Print the graph in this format (`dot` or `mermaid`) instead of chatting.
    draw: Option<&'static str>,
    data: PathBuf,
    user: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        trace: false,
        draw: None,
        data: PathBuf::from("./hotel-data"),
        user: "guest".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--trace" => args.trace = true,
            "--dot" => args.draw = Some("dot"),
            "--mermaid" => args.draw = Some("mermaid"),
            "--data" => args.data = it.next().ok_or("--data needs a directory")?.into(),
            "--user" => args.user = it.next().ok_or("--user needs a name")?,
            other => {
                return Err(format!(
                    "unknown argument `{other}`; use --trace, --data DIR, --user NAME, --dot \
                     or --mermaid"
                ));
            }
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.data)?;
    let clock = Clock::from_env()?;
    let store = BookingStore::open(args.data.join("bookings.db"), Catalog::load()?)?;
    let checkpointer = SqliteCheckpointer::open(args.data.join("checkpoints.db"))?;
    // Gemini first when GEMINI_API_KEY is set; the offline NLU otherwise (and as its fallback).
    let graph = hotel_agent_graph(HotelAgent::from_env(store, clock)?)?
        .with_checkpointer(Arc::new(checkpointer));
    match args.draw {
        Some("dot") => {
            println!("{}", graph.to_dot());
            return Ok(());
        }
        Some(_) => {
            println!("{}", graph.to_mermaid());
            return Ok(());
        }
        None => {}
    }
    let config = RunConfig::thread(thread_id("terminal", &args.user));
    println!(
        "Hotel agent (today is {}). Type a message; Ctrl-D to quit.",
        clock.today()
    );
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        print!("> ");
        std::io::stdout().flush()?;
        let Some(line) = lines.next() else { break };
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let out = graph
            .invoke(turn("terminal", &args.user, &line), &config)
            .await?;
        if args.trace {
            let path: Vec<&str> = out.executed.iter().map(|n| n.as_str()).collect();
            let intent = out
                .state
                .understanding
                .as_ref()
                .map(|u| format!("{:?}", u.intent));
            println!(
                "  [{}] intent={}",
                path.join(" → "),
                intent.unwrap_or_default()
            );
        }
        println!("{}", out.state.reply);
    }
    Ok(())
}
