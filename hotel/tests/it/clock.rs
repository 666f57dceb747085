//! The injectable clock and `HOTEL_TODAY`.

use std::process::Command;

use hotel::{Clock, Error, TODAY_VAR};

use crate::d;

#[test]
fn fixed_clock_is_fixed() {
    assert_eq!(Clock::Fixed(d(2026, 6, 1)).today(), d(2026, 6, 1));
}

#[test]
fn env_value_parsing() {
    assert_eq!(Clock::from_env_value(None).unwrap(), Clock::System);
    assert_eq!(
        Clock::from_env_value(Some("2026-06-01")).unwrap(),
        Clock::Fixed(d(2026, 6, 1))
    );
    assert_eq!(
        Clock::from_env_value(Some(" 2024-02-29\n")).unwrap(),
        Clock::Fixed(d(2024, 2, 29))
    );
    for bad in [
        "",
        "tomorrow",
        "2026-13-01",
        "2025-02-29",
        "01/06/2026",
        "2026-06-01T10:00",
    ] {
        match Clock::from_env_value(Some(bad)) {
            Err(err @ Error::InvalidTodayOverride { .. }) => assert_eq!(
                err.to_string(),
                format!("HOTEL_TODAY=`{bad}` is not a date; expected YYYY-MM-DD")
            ),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

/// Runs [`from_env_in_this_process`] in a child test process with `HOTEL_TODAY` set, since this
/// process's environment is shared by all tests (and `set_var` is unsafe).
#[test]
fn from_env_reads_the_variable() {
    for value in ["2026-06-01", "not-a-date"] {
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["clock::from_env_in_this_process", "--exact", "--ignored"])
            .env(TODAY_VAR, value)
            .output()
            .unwrap();
        let output = String::from_utf8_lossy(&child.stdout);
        assert!(
            child.status.success(),
            "child with {TODAY_VAR}={value}:\n{output}"
        );
        assert!(
            output.contains("1 passed"),
            "the child ran no test:\n{output}"
        );
    }
}

#[test]
#[ignore = "run by from_env_reads_the_variable with HOTEL_TODAY set"]
fn from_env_in_this_process() {
    let value = std::env::var(TODAY_VAR).expect("HOTEL_TODAY set by the parent test");
    match Clock::from_env() {
        Ok(clock) => assert_eq!(
            (value.as_str(), clock),
            ("2026-06-01", Clock::Fixed(d(2026, 6, 1)))
        ),
        Err(err) => assert_eq!(
            (value.as_str(), err.to_string()),
            (
                "not-a-date",
                "HOTEL_TODAY=`not-a-date` is not a date; expected YYYY-MM-DD".into()
            )
        ),
    }
}
