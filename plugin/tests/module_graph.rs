//! The plugin's modules import one another without circles: `main` wires the
//! commands (`check`, `status`, `explain`), which use the shared layers (`cluster`,
//! `term`, `input`, `cli`), which use only `error`. A circle between two top-level
//! modules means neither can be understood (or moved) without the other, which is
//! how `check` <-> `output`, `cli` <-> `explain` and `error` <-> `status` grew.
//!
//! The graph is read from the source: every `crate::NAME` path outside comments in a
//! file under `src/NAME/` or `src/NAME.rs` is an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module -> the top-level modules it names.
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let first = relative
            .components()
            .next()
            .expect("a path")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if first == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file");
        let targets = graph.entry(first.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or_default();
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != first {
                    targets.insert(name);
                }
            }
        }
    }
    graph
}

/// A path from `from` back to itself, if the graph has one.
fn circle_through(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![(from.to_string(), vec![from.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == from {
                let mut circle = path.clone();
                circle.push(from.to_string());
                return Some(circle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_top_level_module_imports_itself_through_another() {
    let graph = edges();
    // The graph is really read: the commands use the shared layers.
    assert!(graph["status"].contains("cluster"), "{graph:?}");
    assert!(graph["explain"].contains("cluster"), "{graph:?}");
    assert!(graph["check"].contains("term"), "{graph:?}");
    let circles: Vec<String> = graph
        .keys()
        .filter_map(|m| circle_through(&graph, m))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(
        circles.is_empty(),
        "import circles: {circles:#?}\ngraph: {graph:#?}"
    );
}

#[test]
fn the_shared_layers_know_nothing_of_the_commands() {
    let graph = edges();
    for layer in ["cluster", "term", "error", "input"] {
        for command in ["check", "status", "explain", "audit", "cli"] {
            assert!(
                !graph.get(layer).is_some_and(|t| t.contains(command)),
                "{layer} uses {command}: {:?}",
                graph[layer]
            );
        }
    }
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("a".into());
    assert_eq!(
        circle_through(&graph, "a"),
        Some(vec!["a".to_string(), "b".into(), "a".into()])
    );
    graph.entry("b".into()).or_default().remove("a");
    assert_eq!(circle_through(&graph, "a"), None);
}
