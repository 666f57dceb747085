//! Architecture invariants from ARCHITECTURE.md, checked against `cargo metadata`: graph-core
//! does no I/O (no HTTP, SQL or LLM crate anywhere in its dependency tree, nor the migration
//! runner), the migration runner is a leaf; and against
//! graph-core's source: its modules import each other in no cycle.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The host's target triple, so `cargo metadata` needs only packages that are downloaded for
/// this machine (the test must not reach the network).
fn host() -> String {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV prints the host")
        .to_owned()
}

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

/// Every package in the normal (non-dev, non-build) dependency tree of `root`.
fn normal_dependencies(meta: &Value, root: &str) -> BTreeSet<String> {
    let packages: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root_id = packages
        .iter()
        .find(|(_, name)| **name == root)
        .map(|(id, _)| *id)
        .unwrap();
    let mut seen = BTreeSet::new();
    let mut stack = vec![root_id];
    while let Some(id) = stack.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(packages[dep_id].to_owned()) {
                stack.push(dep_id);
            }
        }
    }
    seen
}

#[test]
fn graph_core_depends_on_no_io_crate() {
    let deps = normal_dependencies(&metadata(), "graph-core");
    assert!(
        deps.contains("tokio") && deps.contains("petgraph"),
        "{deps:?}"
    );
    let forbidden = [
        "reqwest",
        "hyper",
        "rusqlite",
        "r2d2",
        "axum",
        "tower",
        "libsqlite3-sys",
        // Postgres lives in checkpoint-pg.
        "tokio-postgres",
        "postgres-protocol",
        "deadpool-postgres",
        "sqlx",
        // The storage crates' migration runner.
        "migrations",
    ];
    let found: Vec<_> = forbidden.iter().filter(|f| deps.contains(**f)).collect();
    assert!(found.is_empty(), "graph-core must not depend on {found:?}");
}

/// `hotel` is the business with no graph in it; `agent-nodes` is generic and knows no hotel.
#[test]
fn the_domain_and_the_llm_layer_stay_apart() {
    let meta = metadata();
    let hotel = normal_dependencies(&meta, "hotel");
    assert!(
        !hotel.contains("graph-core") && !hotel.contains("agent-nodes"),
        "hotel must not depend on the engine or the LLM layer: {hotel:?}"
    );
    let nodes = normal_dependencies(&meta, "agent-nodes");
    assert!(nodes.contains("graph-core"), "{nodes:?}");
    assert!(
        !nodes.contains("hotel"),
        "agent-nodes must not depend on hotel"
    );
}

/// LangGraph's HTTP API holds no SQL and no business: storage comes through its `RunStore`
/// trait (the server implements it on SQLite), and it knows no hotel.
#[test]
fn the_agent_protocol_holds_no_storage_and_no_business() {
    let deps = normal_dependencies(&metadata(), "agent-protocol");
    assert!(
        deps.contains("graph-core") && deps.contains("axum"),
        "{deps:?}"
    );
    let forbidden = [
        "rusqlite",
        "r2d2",
        "libsqlite3-sys",
        "checkpoint",
        "hotel",
        "hotel-agent",
        "agent-nodes",
        "migrations",
    ];
    let found: Vec<_> = forbidden.iter().filter(|f| deps.contains(**f)).collect();
    assert!(
        found.is_empty(),
        "agent-protocol must not depend on {found:?}"
    );
}

/// `migrations` is a leaf the storage crates build on: it knows none of them, nor the engine.
#[test]
fn the_migration_runner_depends_on_no_workspace_crate() {
    let meta = metadata();
    let deps = normal_dependencies(&meta, "migrations");
    let workspace: Vec<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|id| {
            meta["packages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == *id)
        })
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(workspace.contains(&"migrations"), "{workspace:?}");
    let found: Vec<_> = workspace.iter().filter(|w| deps.contains(**w)).collect();
    assert!(found.is_empty(), "migrations must not depend on {found:?}");
    for user in ["checkpoint", "checkpoint-pg", "hotel", "server"] {
        assert!(
            normal_dependencies(&meta, user).contains("migrations"),
            "{user} migrates through the shared runner"
        );
    }
}

/// `examples` holds demos: the product (the agent, the server) must not be built on them.
#[test]
fn nothing_depends_on_the_demo_crate() {
    let meta = metadata();
    for package in [
        "hotel-agent",
        "server",
        "benches",
        "checkpoint",
        "agent-nodes",
        "agent-protocol",
        "migrations",
    ] {
        let deps = normal_dependencies(&meta, package);
        assert!(
            !deps.contains("examples"),
            "{package} depends on the demo crate `examples`"
        );
    }
    let server = normal_dependencies(&meta, "server");
    assert!(server.contains("hotel-agent"), "{server:?}");
}

/// A token of Rust source once its comments and literals are gone: an identifier (or keyword),
/// `::`, or any other character.
#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// The tokens of `source`, without its comments (doc comments too) and string and char literals,
/// so a path in a doc link or a message is no import.
fn tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    i += 2;
                } else if chars[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1F600}'), or else the quote of a lifetime.
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if ident(c) {
            let start = i;
            while i < chars.len() && ident(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let hashes = chars[i..].iter().take_while(|&&h| h == '#').count();
            if (word == "r" || word == "br") && chars.get(i + hashes) == Some(&'"') {
                // A raw string: r"…", r#"…"#, br"…".
                let close: Vec<char> = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                i += hashes + 1;
                while i < chars.len() && !chars[i..].starts_with(&close) {
                    i += 1;
                }
                i += close.len();
            } else {
                out.push(Token::Ident(word));
            }
        } else if c == ':' && next == Some(':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

/// `tokens` without the items under `#[cfg(test)]` (a `mod tests { … }`, a test-only `fn`): a
/// test may import what the code it tests must not.
fn without_test_items(tokens: Vec<Token>) -> Vec<Token> {
    let ident = |s: &str| Token::Ident(s.to_owned());
    let cfg_test = [
        Token::Punct('#'),
        Token::Punct('['),
        ident("cfg"),
        Token::Punct('('),
        ident("test"),
        Token::Punct(')'),
        Token::Punct(']'),
    ];
    let mut test_only = vec![false; tokens.len()];
    let mut i = 0;
    while i < tokens.len() {
        if !tokens[i..].starts_with(&cfg_test) {
            i += 1;
            continue;
        }
        // The item ends at a `;` outside brackets (`mod tests;`) or with its body's `}`; other
        // attributes may stand between.
        let start = i;
        let mut depth = 0;
        i += cfg_test.len();
        while i < tokens.len() {
            let token = &tokens[i];
            i += 1;
            match token {
                Token::Punct('(' | '[' | '{') => depth += 1,
                Token::Punct(')' | ']') => depth -= 1,
                Token::Punct('}') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Token::Punct(';') if depth == 0 => break,
                _ => {}
            }
        }
        test_only[start..i].fill(true);
    }
    tokens
        .into_iter()
        .zip(test_only)
        .filter_map(|(token, test)| (!test).then_some(token))
        .collect()
}

/// The paths of a use tree from `tokens[*i]` (after `use` or a `{`), each with `prefix` before
/// it: `crate::{a::B, c::*}` gives `crate::a::B` and `crate::c::*`. Leaves `*i` past the tree.
fn use_tree(tokens: &[Token], i: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    while let Some(token) = tokens.get(*i) {
        match token {
            Token::Ident(word) if word == "as" => *i += 2,
            Token::Ident(word) => {
                path.push(word.clone());
                *i += 1;
            }
            Token::Punct('*') => {
                path.push("*".to_owned());
                *i += 1;
            }
            Token::PathSep => *i += 1,
            Token::Punct('{') => {
                *i += 1;
                while !matches!(tokens.get(*i), None | Some(Token::Punct('}'))) {
                    use_tree(tokens, i, &path, out);
                    if tokens.get(*i) == Some(&Token::Punct(',')) {
                        *i += 1;
                    }
                }
                *i += 1;
                return;
            }
            _ => break,
        }
    }
    out.push(path);
}

/// The path from the crate root that `path`, written in `module`, names, when it starts with
/// `crate`, `self` or `super` (`super::plan::Plan` in `run::start` is `run::plan::Plan`).
fn from_root(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let (mut base, rest) = match path.first()?.as_str() {
        "crate" => (Vec::new(), path.get(1..)?),
        "self" | "super" => (module.to_vec(), path),
        _ => return None,
    };
    let relative = rest
        .iter()
        .take_while(|s| *s == "self" || *s == "super")
        .count();
    for step in &rest[..relative] {
        if step == "super" {
            base.pop()?;
        }
    }
    base.extend(rest[relative..].iter().cloned());
    Some(base)
}

/// The paths from the crate root that the source of `module` names, in its `use`s and inline
/// (`crate::error::Error`), outside comments, literals and `#[cfg(test)]` items. A `super` in an
/// inline `mod x { … }` is the file's module.
fn paths_named(module: &[String], source: &str) -> Vec<Vec<String>> {
    let tokens = without_test_items(tokens(source));
    let ident = |i: usize, word: &str| tokens.get(i) == Some(&Token::Ident(word.to_owned()));
    let mut inline_mods: Vec<Option<String>> = Vec::new();
    let mut paths = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let mut named = Vec::new();
        match &tokens[i] {
            Token::Punct('{') => {
                let inline = match &tokens[i.saturating_sub(1)] {
                    Token::Ident(name) if i >= 2 && ident(i - 2, "mod") => Some(name.clone()),
                    _ => None,
                };
                inline_mods.push(inline);
                i += 1;
            }
            Token::Punct('}') => {
                inline_mods.pop();
                i += 1;
            }
            // Not `impl Trait + use<'a>`.
            Token::Ident(word)
                if word == "use" && tokens.get(i + 1) != Some(&Token::Punct('<')) =>
            {
                i += 1;
                use_tree(&tokens, &mut i, &[], &mut named);
            }
            Token::Ident(word)
                if ["crate", "self", "super"].contains(&word.as_str())
                    && (i == 0 || tokens[i - 1] != Token::PathSep)
                    && tokens.get(i + 1) == Some(&Token::PathSep) =>
            {
                let mut path = vec![word.clone()];
                i += 1;
                while let (Some(Token::PathSep), Some(Token::Ident(segment))) =
                    (tokens.get(i), tokens.get(i + 1))
                {
                    path.push(segment.clone());
                    i += 2;
                }
                named.push(path);
            }
            _ => i += 1,
        }
        if !named.is_empty() {
            let mut here = module.to_vec();
            here.extend(inline_mods.iter().flatten().cloned());
            paths.extend(named.iter().filter_map(|path| from_root(&here, path)));
        }
    }
    paths
}

/// The files of `dir` and below with their module paths: `run/apply.rs` is `run::apply`,
/// `run/mod.rs` is `run`; the crate root `lib.rs` is left out.
fn modules(src: &Path, dir: &Path, out: &mut Vec<(Vec<String>, String)>) {
    for entry in std::fs::read_dir(dir).expect("graph-core/src reads") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            modules(src, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: Vec<String> = relative
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|last| last == "mod") {
                module.pop();
            }
            if module != ["lib"] {
                let source = std::fs::read_to_string(&path).expect("a source file reads");
                out.push((module, source));
            }
        }
    }
}

/// graph-core's top-level modules (`run::apply` counts as `run`) and, for each, the others it
/// imports. A path through the crate root's re-exports (`crate::Error`) is no import of a module.
fn graph_core_imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../graph-core/src");
    let mut files = Vec::new();
    modules(&src, &src, &mut files);
    let mut imports: BTreeMap<String, BTreeSet<String>> = files
        .iter()
        .map(|(module, _)| (module[0].clone(), BTreeSet::new()))
        .collect();
    for (module, source) in &files {
        for path in paths_named(module, source) {
            let target = path.into_iter().next();
            let target = target.filter(|t| *t != module[0] && imports.contains_key(t));
            if let Some(target) = target {
                imports.get_mut(&module[0]).unwrap().insert(target);
            }
        }
    }
    imports
}

/// One shortest cycle (`a -> b -> a`) for each set of modules that import each other.
fn import_cycles(imports: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let reachable = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(module) = stack.pop() {
            for next in &imports[module] {
                if seen.insert(next.as_str()) {
                    stack.push(next);
                }
            }
        }
        seen
    };
    let mut reported = BTreeSet::new();
    let mut cycles = Vec::new();
    for start in imports.keys().map(String::as_str) {
        if reported.contains(start) || !reachable(start).contains(start) {
            continue;
        }
        // Breadth first from `start` back to it, so the cycle named is a shortest one.
        let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        let mut last = None;
        while let Some(module) = queue.pop_front() {
            if imports[module].contains(start) {
                last = Some(module);
                break;
            }
            for next in &imports[module] {
                if !previous.contains_key(next.as_str()) {
                    previous.insert(next, module);
                    queue.push_back(next);
                }
            }
        }
        let mut cycle = vec![start];
        let mut module = last.expect("start reaches itself");
        while module != start {
            cycle.push(module);
            module = previous[module];
        }
        cycle.push(start);
        cycle.reverse();
        cycles.push(cycle.join(" -> "));
        let strongly_connected = reachable(start)
            .into_iter()
            .filter(|m| reachable(m).contains(start));
        reported.extend(strongly_connected);
    }
    cycles
}

/// graph-core's modules are layered (ARCHITECTURE.md): none imports one that imports it back,
/// directly or through others. Inside a folder (`run/`) files import their `mod.rs`; that is no
/// cycle between top-level modules.
#[test]
fn graph_core_modules_import_each_other_in_no_cycle() {
    let imports = graph_core_imports();
    // The scan sees the layering, so a scan that finds nothing fails here and not silently.
    assert!(
        imports["compiled"].contains("run") && imports["run"].contains("state"),
        "{imports:?}"
    );
    assert!(imports.contains_key("testing"), "{imports:?}");
    let cycles = import_cycles(&imports);
    assert!(
        cycles.is_empty(),
        "graph-core modules import each other: {}",
        cycles.join("; ")
    );
}
