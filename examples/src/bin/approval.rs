//! Runs the approval graph: it pauses for a human, is resumed with an answer, and prints the
//! graph as DOT with the executed path highlighted.
//!
//! Run with: `cargo run -p examples --bin approval [-- yes|no]`

use examples::{RequestUpdate, approval_graph};
use graph_core::{Resume, RunConfig, RunStatus};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let answer = std::env::args().nth(1).unwrap_or_else(|| "yes".to_owned());
    let graph = approval_graph()?;
    let config = RunConfig::thread("guest-42");

    let first = graph
        .invoke(
            RequestUpdate::default().ask("a deluxe room for 3 nights"),
            &config,
        )
        .await?;
    let RunStatus::Interrupted(interrupts) = &first.status else {
        return Err(format!(
            "expected the run to pause for approval, got {:?}",
            first.status
        )
        .into());
    };
    println!(
        "paused at `{}` (interrupt {}): {}",
        interrupts[0].node, interrupts[0].id, interrupts[0].value
    );
    println!("resuming with {answer:?}");

    let done = graph.resume(&config, Resume::value(&answer)).await?;
    let mut executed = first.executed.clone();
    executed.extend(done.executed.iter().cloned());
    if done.status == RunStatus::Done {
        executed.push("__end__".into());
    }
    for line in &done.state.log {
        println!("  {line}");
    }
    println!("status: {:?}, checkpoint {}", done.status, done.checkpoint);
    println!("\n{}", graph.to_dot_highlighting(&executed));
    Ok(())
}
