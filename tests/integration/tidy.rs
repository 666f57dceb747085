//! Tidy rules read from the sources, so they stay true: every source file says what it is
//! for in a `//!` line, a source file past 600 lines says why it is that long, and nothing in
//! the repository points at files outside it.

use std::path::{Path, PathBuf};

/// The longest a source file may be without a comment saying why.
const MAX_LINES: usize = 600;
/// The comment that explains a longer file (anywhere in its `//!` lines).
const LONG_BECAUSE: &str = "long because";
/// Paths into the sibling folder the project's notes live in, which a clone does not have.
const SIBLING: [&str; 3] = [
    concat!("../", "shared"),
    concat!("shared", "/reference/"),
    concat!("shared", "/seeds/"),
];

pub(super) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Files under `dir` whose names end in one of `extensions`, build output and dependencies
/// aside.
pub(super) fn files(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | ".git")
                && !name.starts_with('.')
            {
                files(&path, extensions, out);
            }
        } else if extensions.iter().any(|e| name.ends_with(e)) {
            out.push(path);
        }
    }
}

/// Every `.rs` file in a `src` directory of the workspace.
fn sources() -> Vec<PathBuf> {
    let mut all = Vec::new();
    files(&root(), &[".rs"], &mut all);
    all.retain(|p| p.components().any(|c| c.as_os_str() == "src"));
    all.sort();
    assert!(all.len() > 100, "found only {} source files", all.len());
    all
}

pub(super) fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_source_file_says_what_it_is_for() {
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|p| shown(&p))
        .collect();
    assert!(
        missing.is_empty(),
        "these files do not open with a `//!` line saying what they are for: {missing:?}"
    );
}

#[test]
fn a_long_source_file_says_why() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let lines = text.lines().count();
            let explained = text
                .lines()
                .take_while(|l| l.starts_with("//!") || l.trim().is_empty())
                .any(|l| l.to_lowercase().contains(LONG_BECAUSE));
            (lines > MAX_LINES && !explained).then(|| format!("{} ({lines} lines)", shown(&p)))
        })
        .collect();
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines without a `//!` line saying \"{LONG_BECAUSE} …\": split them by \
         concern, or say why not: {long:?}"
    );
}

#[test]
fn nothing_points_outside_the_repository() {
    let mut texts = Vec::new();
    files(
        &root(),
        &[".rs", ".md", ".toml", ".sh", ".yaml", ".yml", ".json"],
        &mut texts,
    );
    files(&root().join(".ci"), &["run"], &mut texts);
    let outside: Vec<String> = texts
        .into_iter()
        // The patterns are spelled in two pieces, so this file does not match itself.
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| SIBLING.iter().any(|s| t.contains(s))))
        .map(|p| shown(&p))
        .collect();
    assert!(
        outside.is_empty(),
        "these files refer to a sibling folder a clone does not have; cite the public source \
         instead: {outside:?}"
    );
}
