//! The server's module layout, read from its source: the shared state and the background
//! workers know nothing of the HTTP layer, handlers share only the error and response types,
//! and every file says what it is in a `//!` line.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `server/src`, as (path relative to `src`, text).
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

#[test]
fn only_the_crate_root_reaches_into_the_http_layer() {
    let files = sources();
    assert!(files.iter().any(|(name, _)| name == "state.rs"));
    for (name, text) in &files {
        if name == "lib.rs" || name.starts_with("http/") {
            continue;
        }
        assert!(
            !text.contains("crate::http") && !text.contains("super::http"),
            "{name} imports the HTTP layer; it must not (the state module and the workers sit \
             below it)"
        );
    }
}

#[test]
fn handlers_share_only_the_error_and_response_types() {
    for (name, text) in sources() {
        let Some(module) = name.strip_prefix("http/") else {
            continue;
        };
        if module == "mod.rs" {
            continue;
        }
        for line in text.lines().filter(|l| l.contains("super::")) {
            assert!(
                line.contains("super::error") || line.contains("super::shapes"),
                "http/{module} reaches into a sibling or the router: {line}"
            );
        }
    }
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    for (name, text) in sources() {
        assert!(text.starts_with("//!"), "{name} has no `//!` line");
    }
}
