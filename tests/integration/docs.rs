//! The docs checked as data, so they stay true as the code moves: every relative link in a
//! Markdown file leads to a file that exists (and to a heading that exists, when it names one),
//! and every source path the guides name in backticks is a file of the repository.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::tidy::{files, root, shown};

/// The guides a reader follows: their backticked paths must exist.
fn guides() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    files(&root().join("docs"), &[".md"], &mut out);
    out
}

/// Every Markdown file of the repository, build output and dependencies aside.
fn markdown() -> Vec<PathBuf> {
    let mut out = Vec::new();
    files(&root(), &[".md"], &mut out);
    out.sort();
    assert!(out.len() >= 6, "found only {} Markdown files", out.len());
    out
}

/// The lines of `text` outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens; a
/// repeated heading gets `-1`, `-2`, ….
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in prose(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#').trim();
        let slug: String = heading
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut candidate = slug.clone();
        let mut n = 0;
        while !out.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{slug}-{n}");
        }
    }
    out
}

/// The targets of the inline links `[text](target)` in `line`.
fn link_targets(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        out.push(after[..end].trim());
        rest = &after[end..];
    }
    out
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut broken = Vec::new();
    for md in markdown() {
        let text = std::fs::read_to_string(&md).unwrap_or_default();
        let dir = md.parent().unwrap_or(Path::new("."));
        for line in prose(&text) {
            for target in link_targets(line) {
                if target.contains("://") || target.starts_with("mailto:") || target.is_empty() {
                    continue;
                }
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let file = if path.is_empty() {
                    md.clone()
                } else {
                    dir.join(path)
                };
                if !file.exists() {
                    broken.push(format!("{}: {target} (no such file)", shown(&md)));
                    continue;
                }
                if !anchor.is_empty() && file.extension().is_some_and(|e| e == "md") {
                    let heads = anchors(&std::fs::read_to_string(&file).unwrap_or_default());
                    if !heads.contains(anchor) {
                        broken.push(format!("{}: {target} (no such heading)", shown(&md)));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links: {broken:#?}");
}

/// The extensions of the files a guide may name.
const EXTENSIONS: [&str; 12] = [
    ".rs", ".md", ".toml", ".sql", ".sh", ".tsv", ".json", ".html", ".js", ".css", ".py", ".yaml",
];

/// Whether a backticked span names a directory of the repository: a path ending in `/` with a
/// `/` before that (`server/tests/sdk/`; a bare `tuning/` is too vague to check).
fn looks_like_a_directory(span: &str) -> bool {
    span.len() > 1
        && span.ends_with('/')
        && span[..span.len() - 1].contains('/')
        && !span.starts_with('/')
        && span
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
}

/// Whether a backticked span names a file of the repository: a path with a `/` and one of the
/// extensions the repository's files have.
fn looks_like_a_path(span: &str) -> bool {
    span.contains('/')
        && !span.contains("://")
        && span
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
        && EXTENSIONS.iter().any(|e| span.ends_with(e))
}

#[test]
fn every_path_the_guides_name_exists() {
    let mut all = Vec::new();
    files(&root(), &EXTENSIONS, &mut all);
    let known: Vec<String> = all.iter().map(|p| format!("/{}", shown(p))).collect();
    // Every directory that holds one of those files, as `/dir/`.
    let directories: BTreeSet<String> = all
        .iter()
        .flat_map(|p| p.ancestors().skip(1).map(|d| format!("/{}/", shown(d))))
        .collect();
    let mut missing = Vec::new();
    for guide in guides() {
        let text = std::fs::read_to_string(&guide).unwrap_or_default();
        for line in prose(&text) {
            for (i, span) in line.split('`').enumerate() {
                // Odd pieces are inside backticks.
                if i % 2 == 0 {
                    continue;
                }
                if looks_like_a_directory(span) {
                    let suffix = format!("/{span}");
                    let exists = root().join(span).is_dir()
                        || guide.parent().is_some_and(|d| d.join(span).is_dir())
                        || directories.iter().any(|d| d.ends_with(&suffix));
                    if !exists {
                        missing.push(format!("{}: `{span}`", shown(&guide)));
                    }
                    continue;
                }
                if !looks_like_a_path(span) {
                    continue;
                }
                let name = span.trim_start_matches("./");
                let suffix = format!("/{name}");
                let exists = root().join(name).exists()
                    || guide.parent().is_some_and(|d| d.join(name).exists())
                    || known.iter().any(|k| k.ends_with(&suffix));
                if !exists {
                    missing.push(format!("{}: `{span}`", shown(&guide)));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the guides name files that do not exist: {missing:#?}"
    );
}

#[test]
fn the_anchor_rule_matches_github() {
    let heads = anchors(
        "# Drive the server with LangGraph's SDK\n## LangGraph's HTTP API, against `langgraph dev`\n## Notes\n## Notes\n```\n# not a heading\n```\n",
    );
    let expected: BTreeSet<String> = [
        "drive-the-server-with-langgraphs-sdk",
        "langgraphs-http-api-against-langgraph-dev",
        "notes",
        "notes-1",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(heads, expected);
}

#[test]
fn the_readme_names_the_toolchain_the_workspace_needs() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"'))
        .expect("the workspace's rust-version");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("{version} or newer")),
        "README.md's set-up must name Rust {version}, the workspace's rust-version"
    );
}
