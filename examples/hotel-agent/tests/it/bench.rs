//! The conversation benchmark's data and its safety floor: every conversation file loads and
//! names real hotels and rooms, ids are unique across the sets, and the tuning set — the one
//! the agent is tuned against — ends with no unwanted booking. (The holdout is measured by
//! `converse-bench`, never asserted on, so that nothing is tuned to it.)

use std::collections::BTreeSet;
use std::path::PathBuf;

use hotel_agent::bench::{self, Report};

fn set(name: &str) -> Vec<bench::Script> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("conversations")
        .join(name);
    bench::load_dir(dir).unwrap()
}

#[test]
fn the_conversation_files_load_with_unique_ids() {
    let tuning = set("tuning");
    let holdout = set("holdout");
    assert!(tuning.len() >= 200, "{}", tuning.len());
    assert!(holdout.len() >= 100, "{}", holdout.len());
    let mut ids = BTreeSet::new();
    for script in tuning.iter().chain(&holdout) {
        assert!(ids.insert(&script.id), "{} is in both sets", script.id);
    }
    let spanish = tuning
        .iter()
        .chain(&holdout)
        .filter(|s| s.lang == "es")
        .count();
    assert!(
        spanish * 100 / ids.len() >= 35,
        "{spanish} of {} in Spanish",
        ids.len()
    );
}

#[test]
fn a_broken_conversation_file_is_refused_with_its_name() {
    let dir = crate::traces::scratch("bench-bad");
    std::fs::write(
        dir.join("bad.yaml"),
        "- id: x\n  category: consent\n  lang: en\n  turns: [{say: hi}]\n  end:\n    - {hotel: GPH, room: Family, check_in: 2026-12-01, check_out: 2026-12-02, guests: 2, status: confirmed}\n",
    )
    .unwrap();
    let error = bench::load_dir(&dir).unwrap_err().to_string();
    assert!(
        error.contains("bad.yaml") && error.contains("x:"),
        "{error}"
    );
    std::fs::write(dir.join("bad.yaml"), "- id: [").unwrap();
    let error = bench::load_dir(&dir).unwrap_err().to_string();
    assert!(error.contains("bad.yaml"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tuning_set_ends_with_no_unwanted_booking() {
    let outcomes = bench::play_all(&set("tuning"), bench::offline)
        .await
        .unwrap();
    let report = Report::new(&outcomes);
    let unwanted: Vec<String> = outcomes
        .iter()
        .filter(|o| o.unwanted > 0)
        .map(|o| format!("{}: {}", o.id, o.failures.join("; ")))
        .collect();
    assert!(unwanted.is_empty(), "{report}\n{}", unwanted.join("\n"));
    println!("{report}");
}
