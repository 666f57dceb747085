//! Architecture invariants from ARCHITECTURE.md, checked against `cargo metadata`: graph-core
//! does no I/O (no HTTP, SQL or LLM crate anywhere in its dependency tree).

use std::collections::{BTreeSet, HashMap};
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
