//! Reading opt-out and opt-in commands, from the data files in `optout/`: every tuned case
//! reads right, and the holdout (set aside before the patterns were written) reads right at
//! least 85% of the time, with no ordinary message taken for a command.

use std::path::PathBuf;

use server::testing::opt_out_command;

/// The cases of `file`: the expected reading and the message.
fn cases(file: &str) -> Vec<(Option<bool>, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/optout")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (expected, message) = line.split_once('\t').unwrap_or_else(|| panic!("{line:?}"));
            let expected = match expected {
                "out" => Some(true),
                "in" => Some(false),
                "none" => None,
                other => panic!("unknown reading {other:?} in {file}"),
            };
            (expected, message.to_owned())
        })
        .collect()
}

/// The cases of `file` read wrong, printing the pass rate.
fn misread(file: &str) -> (Vec<String>, usize) {
    let cases = cases(file);
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(expected, message)| opt_out_command(message) != *expected)
        .map(|(expected, message)| {
            format!(
                "{message:?}: expected {expected:?}, read {:?}",
                opt_out_command(message)
            )
        })
        .collect();
    println!(
        "{file}: {}/{} read right ({:.0}%)",
        cases.len() - wrong.len(),
        cases.len(),
        100.0 * (cases.len() - wrong.len()) as f64 / cases.len() as f64
    );
    (wrong, cases.len())
}

#[test]
fn every_tuned_case_reads_right() {
    let (wrong, total) = misread("tuning.tsv");
    assert!(total >= 60, "{total} cases");
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_holdout_reads_right_and_no_ordinary_message_is_a_command() {
    let (wrong, total) = misread("holdout.tsv");
    assert!(total >= 30, "{total} cases");
    let false_commands: Vec<&String> = wrong
        .iter()
        .filter(|w| w.contains("expected None"))
        .collect();
    assert!(false_commands.is_empty(), "{false_commands:#?}");
    assert!(wrong.len() * 100 <= total * 15, "{wrong:#?}");
}
