//! The conversation benchmark: plays the conversations in `conversations/` through the offline
//! agent and prints the pass rate by set and category, and the unwanted bookings.
//!
//! Run with: `cargo run --release -p hotel-agent --bin converse-bench -- [--set tuning|holdout]
//! [--only TEXT] [--verbose]`. `--verbose` prints every failed conversation with its transcript.
//! Exits with 1 when any booking was made, changed or cancelled that a conversation did not call
//! for.

use std::path::PathBuf;

use hotel_agent::bench::{self, Report};

struct Args {
    sets: Vec<&'static str>,
    only: Option<String>,
    verbose: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        sets: vec!["tuning", "holdout"],
        only: None,
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--set" => {
                args.sets = match it.next().as_deref() {
                    Some("tuning") => vec!["tuning"],
                    Some("holdout") => vec!["holdout"],
                    other => return Err(format!("--set takes tuning or holdout, not {other:?}")),
                }
            }
            "--only" => args.only = Some(it.next().ok_or("--only needs a text")?),
            "--verbose" | "-v" => args.verbose = true,
            other => {
                return Err(format!(
                    "unknown argument `{other}`; use --set tuning|holdout, --only TEXT, --verbose"
                ));
            }
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conversations");
    let mut scripts = Vec::new();
    for set in &args.sets {
        scripts.extend(bench::load_dir(root.join(set))?);
    }
    if let Some(only) = &args.only {
        scripts.retain(|s| s.id.contains(only.as_str()));
    }
    let outcomes = bench::play_all(&scripts, bench::offline).await?;
    for o in outcomes.iter().filter(|o| !o.passed()) {
        let unwanted = if o.unwanted > 0 {
            format!(" UNWANTED {}", o.unwanted)
        } else {
            String::new()
        };
        println!("FAIL {} [{} {}]{unwanted}", o.id, o.set, o.category);
        for failure in &o.failures {
            println!("    {failure}");
        }
        if args.verbose {
            for x in &o.transcript {
                println!("    > {}", x.said);
                println!("      {} [{}]", x.understood, x.nodes.join(" "));
                for line in x.reply.lines() {
                    println!("      {line}");
                }
            }
        }
    }
    let report = Report::new(&outcomes);
    print!("{report}");
    if report.unwanted() > 0 {
        std::process::exit(1);
    }
    Ok(())
}
