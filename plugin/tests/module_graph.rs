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

/// Module path (`explain::scaler`) -> its source, tests modules and `main` left out.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut modules = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let path = relative.with_extension("");
        let mut parts: Vec<String> = path
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        if parts.last().is_some_and(|p| p == "tests") || parts == ["main"] {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file");
        modules.insert(parts.join("::"), text);
    }
    modules
}

/// The module a `crate::a::b::Item` or `super::x::Item` path names: its longest
/// prefix that is a module (else the parent module it starts from).
fn resolve(modules: &BTreeMap<String, String>, current: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = Vec::new();
    if parts[0] == "crate" {
        parts.remove(0);
    } else {
        base = current.split("::").collect();
        base.pop();
        parts.remove(0);
        while parts.first() == Some(&"super") {
            base.pop();
            parts.remove(0);
        }
    }
    for i in (1..=parts.len()).rev() {
        let candidate = base
            .iter()
            .chain(&parts[..i])
            .copied()
            .collect::<Vec<_>>()
            .join("::");
        if modules.contains_key(&candidate) {
            return Some(candidate);
        }
    }
    (!base.is_empty()).then(|| base.join("::"))
}

/// File-level edges: every `crate::` and `super::` path outside comments and the
/// `#[cfg(test)] mod tests` block.
fn file_edges() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &modules {
        let code: String = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        let code = code
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or_default();
        let targets = graph.entry(module.clone()).or_default();
        for start in ["crate::", "super::"] {
            for (at, _) in code.match_indices(start) {
                let before = code[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let path: String = code[at..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let path = path.trim_end_matches(':');
                if let Some(target) = resolve(&modules, module, path)
                    && target != *module
                    && !module.starts_with(&format!("{target}::"))
                {
                    targets.insert(target);
                }
            }
        }
    }
    graph
}

#[test]
fn no_file_imports_itself_through_another() {
    let graph = file_edges();
    assert!(
        graph["explain::scaler"].contains("explain::settings"),
        "{graph:#?}"
    );
    assert!(
        graph["explain::knobs"].contains("explain::settings"),
        "{graph:#?}"
    );
    let circles: Vec<String> = graph
        .keys()
        .filter_map(|m| circle_through(&graph, m))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(circles.is_empty(), "import circles: {circles:#?}");
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
