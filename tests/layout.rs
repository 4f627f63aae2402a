//! The crate's house rules, checked on its source: imports run one way (leaf modules ← stages ←
//! config ← app and commands ← main) with no cycle between top-level modules, and no source
//! file grows past a size a reader can hold.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules that import nothing from the crate: anything may use them.
const LEAVES: &[&str] = &["types", "canon", "service", "logging", "process"];

/// The pipeline stages: they may use leaves and each other (without a cycle), never what
/// builds or runs them.
const STAGES: &[&str] =
    &["feed", "fetch", "extract", "score", "relevance", "story", "trends", "store", "notify", "http", "web"];

/// What builds and runs the stages; no stage or leaf may import these.
const ABOVE_STAGES: &[&str] = &["config", "app", "cli", "commands"];

/// Longest source file, in lines. A file that must be longer says why in a line starting
/// `//! Long because`.
const MAX_FILE_LINES: usize = 550;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/feed/parse.rs` → `feed`, `src/types.rs` → `types`.
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).expect("under src");
    let first = rel.components().next().expect("component").as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Top-level modules named in `text` through `prefix` (`crate::` in the library, `flashpoint::`
/// in the binary), comments left out.
fn imports(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The module graph of the crate: module → modules it imports.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(&root, &file);
        let text = std::fs::read_to_string(&file).expect("read");
        let prefix = if module == "main" { "flashpoint::" } else { "crate::" };
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(imports(&text, prefix).into_iter().filter(|d| *d != module));
    }
    graph
}

/// A cycle in `graph`, as the modules along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit<'a>(
        node: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = path[at..].iter().map(ToString::to_string).collect();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for dep in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(dep, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// Every import that breaks the layers: `(module, import)`.
fn layer_violations(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (module, deps) in graph {
        for dep in deps {
            let bad = if LEAVES.contains(&module.as_str()) {
                true
            } else if STAGES.contains(&module.as_str()) {
                ABOVE_STAGES.contains(&dep.as_str())
            } else {
                module == "config" && ["app", "cli", "commands"].contains(&dep.as_str())
            };
            if bad {
                out.push((module.clone(), dep.clone()));
            }
        }
    }
    out
}

#[test]
fn top_level_modules_import_one_way() {
    let graph = graph();
    for module in LEAVES.iter().chain(STAGES) {
        assert!(graph.contains_key(*module), "module {module} not found: update this test's lists");
    }
    assert_eq!(layer_violations(&graph), Vec::<(String, String)>::new(), "imports against the layers");
    assert_eq!(find_cycle(&graph), None, "a cycle between top-level modules");
}

#[test]
fn the_checks_catch_what_they_are_for() {
    let g = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in edges {
            graph.entry((*a).to_string()).or_default().insert((*b).to_string());
            graph.entry((*b).to_string()).or_default();
        }
        graph
    };
    assert_eq!(find_cycle(&g(&[("feed", "fetch"), ("fetch", "store")])), None);
    let cycle = find_cycle(&g(&[("feed", "store"), ("store", "health"), ("health", "feed")]));
    assert_eq!(cycle.map(|c| c.len()), Some(4), "three modules and back");
    assert_eq!(
        layer_violations(&g(&[("fetch", "config"), ("types", "score"), ("app", "config")])),
        [("fetch".to_string(), "config".to_string()), ("types".to_string(), "score".to_string())]
    );
    let found = imports("use crate::feed::Feed; // crate::config\nlet x = my_crate::app::run();", "crate::");
    assert_eq!(found, BTreeSet::from(["feed".to_string()]));
}

#[test]
fn source_files_stay_readable() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).expect("read");
            let lines = text.lines().count();
            let excused = text.lines().any(|l| l.starts_with("//! Long because"));
            (lines > MAX_FILE_LINES && !excused).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by job: {long:?}");
}
