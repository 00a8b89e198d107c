//! The layering the compiler cannot see: no import cycle between the top-level modules of
//! either crate of the workspace, the report model a leaf, and the core's dependencies free
//! of the AWS SDK, tokio, lambda_runtime, clap and anyhow. Reads the sources as text (test
//! code excluded), so it needs nothing but the checkout.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The end of the balanced `{...}` block that opens at `open` (the index of `{`).
fn block_end(text: &str, open: usize) -> usize {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// The code of a file without comments and without `#[cfg(test)]` modules.
fn code(text: &str) -> String {
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let item = after.trim_start();
        let skipped = after.len() - item.len();
        let decl = item
            .strip_prefix("pub(crate) ")
            .or_else(|| item.strip_prefix("pub "))
            .unwrap_or(item);
        if decl.starts_with("mod ") {
            let semi = decl.find(';');
            let brace = decl.find('{');
            let end = match (semi, brace) {
                (Some(s), Some(b)) if s < b => item.len() - decl.len() + s + 1,
                (Some(s), None) => item.len() - decl.len() + s + 1,
                (_, Some(b)) => block_end(item, item.len() - decl.len() + b),
                (None, None) => item.len(),
            };
            rest = &after[skipped + end..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The top-level modules a file's code names (`crate::x`, `use crate::{x, y::z}`, and
/// `super::x` in a top-level module's own file).
fn references(code: &str, top_level_file: bool) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    let mut prefixes = vec!["crate::"];
    if top_level_file {
        prefixes.push("super::");
    }
    for prefix in prefixes {
        for (at, _) in code.match_indices(prefix) {
            // `connector_audit_core::x` is another crate
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[at + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = block_end(rest, 0);
                let inner = &group[..end.saturating_sub(2)];
                let mut depth = 0;
                let mut item = String::new();
                for c in inner.chars().chain([',']) {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            let name = ident(&item);
                            if !name.is_empty() && name != "self" {
                                out.insert(name);
                            }
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(c);
                }
            } else {
                let name = ident(rest);
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// `module -> modules it names`, for the modules of the crate whose sources are in `src`.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files(src) {
        let rel = file.strip_prefix(src).unwrap();
        let mut parts = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string());
        let first = parts.next().unwrap();
        if first == "lib.rs" || first == "bin" || first == "main.rs" {
            continue;
        }
        let module = first.trim_end_matches(".rs").to_string();
        let top_level_file = rel.components().count() == 1
            || rel.file_name().is_some_and(|n| n == "mod.rs") && rel.components().count() == 2;
        let text = std::fs::read_to_string(&file).unwrap();
        let refs = references(&code(&text), top_level_file);
        modules.entry(module).or_default().extend(refs);
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .into_iter()
        .map(|(m, refs)| {
            let refs = refs
                .into_iter()
                .filter(|r| *r != m && names.contains(r))
                .collect();
            (m, refs)
        })
        .collect()
}

/// A cycle of the graph, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|p| p == node) {
            let mut c = path[start..].to_vec();
            c.push(node.to_string());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    for src in [workspace().join("crates/core/src"), workspace().join("src")] {
        let g = graph(&src);
        assert!(g.len() >= 3, "{}: {g:?}", src.display());
        if let Some(c) = cycle(&g) {
            panic!("{}: import cycle {}", src.display(), c.join(" -> "));
        }
    }
}

#[test]
fn the_report_model_is_a_leaf_and_the_engine_stands_alone() {
    let g = graph(&workspace().join("crates/core/src"));
    assert_eq!(g["model"], BTreeSet::new(), "model names {:?}", g["model"]);
    let policy: Vec<&String> = g["policy"].iter().filter(|m| *m != "model").collect();
    assert!(policy.is_empty(), "policy names {policy:?}");
}

#[test]
fn the_checker_sees_cycles() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.insert("a".into(), ["b".to_string()].into());
    g.insert("b".into(), ["c".to_string()].into());
    g.insert("c".into(), ["a".to_string()].into());
    assert_eq!(cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    g.get_mut("c").unwrap().clear();
    assert_eq!(cycle(&g), None);
    // grouped imports, `super::` in a top-level file, comments and test modules
    let text = "//! [`crate::audit`]\nuse crate::{model::X, policy};\nuse super::rules;\n\
                #[cfg(test)]\nmod tests {\n    use crate::baseline;\n}\n\
                #[cfg(test)]\npub(crate) mod fakes;\nfn f() { connector_audit_core::dump::x(); crate::notify::y(); }\n";
    let refs = references(&code(text), true);
    assert_eq!(
        refs,
        ["model", "notify", "policy", "rules"]
            .map(String::from)
            .into()
    );
}

#[test]
fn the_core_depends_on_no_sdk_runtime_or_front_end() {
    let manifest = std::fs::read_to_string(workspace().join("crates/core/Cargo.toml")).unwrap();
    let deps = manifest
        .split("\n[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    for banned in [
        "aws-",
        "tokio",
        "lambda_runtime",
        "clap",
        "anyhow",
        "futures",
    ] {
        assert!(
            !deps.lines().any(|l| l.trim_start().starts_with(banned)),
            "crates/core depends on {banned}"
        );
    }
}
