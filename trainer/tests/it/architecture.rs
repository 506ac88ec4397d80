//! The workspace's shape, checked from its sources: no library module of the trainer
//! imports the CLI layer, and in every crate the modules under one parent depend on each
//! other without cycles (so each can be read, tested and moved knowing only what it
//! uses). Test modules (`#[cfg(test)] mod tests`, at the end of a file by convention) are
//! left out: a test may use anything.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A module's path below its crate root (`[]` is the root).
type ModulePath = Vec<String>;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every library source file of a crate, by module path (`main.rs`, a separate crate
/// root, is left out).
fn modules(src: &Path) -> BTreeMap<ModulePath, String> {
    let mut modules = BTreeMap::new();
    let mut pending = vec![src.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs_err::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: ModulePath = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            match module.last().map(String::as_str) {
                Some("main" | "build") if module.len() == 1 => continue,
                Some("lib" | "mod") => {
                    module.pop();
                }
                _ => {}
            }
            modules.insert(module, fs_err::read_to_string(&path).unwrap());
        }
    }
    modules
}

/// The code of a file without its trailing test module and without comments.
fn library_code(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod tests"))
        .unwrap_or(lines.len());
    lines[..end]
        .iter()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths that follow `prefix::` in `code`, with `{a, b::c}` groups expanded.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let needle = format!("{prefix}::");
    let mut rest = code;
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + needle.len()..];
        if before.is_some_and(is_ident) {
            continue; // `foo_crate::`, not `crate::`
        }
        let mut parsed = Vec::new();
        parse_tree(rest, Vec::new(), &mut parsed);
        found.extend(parsed);
    }
    found
}

/// Parses `a::b::{c, d::e}` (the text after a path's `::`) into full paths; returns the
/// unparsed remainder.
fn parse_tree<'a>(text: &'a str, mut path: Vec<String>, out: &mut Vec<Vec<String>>) -> &'a str {
    let mut text = text.trim_start();
    loop {
        if let Some(group) = text.strip_prefix('{') {
            let mut inner = group;
            loop {
                inner = parse_tree(inner, path.clone(), out).trim_start();
                match inner.chars().next() {
                    Some(',') => inner = &inner[1..],
                    Some('}') => return &inner[1..],
                    _ => return inner,
                }
            }
        }
        let len = text.find(|c: char| !is_ident(c)).unwrap_or(text.len());
        if len == 0 {
            out.push(path);
            return text;
        }
        path.push(text[..len].to_owned());
        text = &text[len..];
        match text.strip_prefix("::") {
            Some(after) => text = after.trim_start(),
            None => {
                out.push(path);
                return text;
            }
        }
    }
}

/// The deepest module `path` names (an item of a module resolves to the module).
fn resolve(path: &[String], known: &BTreeMap<ModulePath, String>) -> ModulePath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| known.contains_key(prefix))
        .unwrap_or_default()
}

/// Every module a module refers to through `crate::` or `super::`.
fn references(
    module: &ModulePath,
    code: &str,
    known: &BTreeMap<ModulePath, String>,
) -> Vec<ModulePath> {
    let mut targets: Vec<ModulePath> = paths_after(code, "crate")
        .iter()
        .map(|p| resolve(p, known))
        .collect();
    // `super` is the parent of a file module; of `mod.rs`/`lib.rs` too, since the module
    // path of `foo/mod.rs` is `foo` itself.
    if let Some((_, parent)) = module.split_last() {
        for path in paths_after(code, "super") {
            let full = [parent.to_vec(), path].concat();
            targets.push(resolve(&full, known));
        }
    }
    targets
}

/// For every parent module, which of its children use which (by any descendant).
fn sibling_edges(
    known: &BTreeMap<ModulePath, String>,
) -> BTreeMap<ModulePath, Vec<(String, String)>> {
    let mut edges: BTreeMap<ModulePath, Vec<(String, String)>> = BTreeMap::new();
    for (module, text) in known {
        for target in references(module, &library_code(text), known) {
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            // A use of an ancestor's item (or the module's own) is no sibling edge.
            let (Some(from), Some(to)) = (module.get(common), target.get(common)) else {
                continue;
            };
            edges
                .entry(module[..common].to_vec())
                .or_default()
                .push((from.clone(), to.clone()));
        }
    }
    edges
}

/// A cycle in `edges`, as the list of nodes around it.
fn find_cycle(edges: &[(String, String)]) -> Option<Vec<String>> {
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges {
        graph.entry(from).or_default().push(to);
    }
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = stack[at..].iter().map(|n| (*n).to_owned()).collect();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(&node) {
            return None;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.push(node);
        None
    }
    let mut done = Vec::new();
    graph
        .keys()
        .find_map(|node| visit(node, &graph, &mut Vec::new(), &mut done))
}

const CRATES: [&str; 6] = ["core", "text", "data", "model", "trainer", "viewer"];

#[test]
fn the_modules_of_every_crate_depend_on_each_other_without_cycles() {
    let mut cycles = Vec::new();
    for krate in CRATES {
        let known = modules(&workspace().join(krate).join("src"));
        assert!(known.len() > 3, "{krate}: no sources found");
        for (parent, edges) in sibling_edges(&known) {
            if let Some(cycle) = find_cycle(&edges) {
                cycles.push(format!(
                    "{krate}::{}: {}",
                    parent.join("::"),
                    cycle.join(" → ")
                ));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles:\n  {}",
        cycles.join("\n  ")
    );
}

#[test]
fn no_library_module_imports_the_command_line_layer() {
    let known = modules(&workspace().join("trainer/src"));
    let offenders: Vec<String> = known
        .iter()
        .filter(|(module, _)| {
            !matches!(module.first().map(String::as_str), Some("cli" | "commands"))
        })
        .filter(|(module, text)| {
            references(module, &library_code(text), &known)
                .iter()
                .any(|t| matches!(t.first().map(String::as_str), Some("cli" | "commands")))
        })
        .map(|(module, _)| module.join("::"))
        .collect();
    assert!(
        offenders.is_empty(),
        "library modules importing cli/commands: {offenders:?}"
    );
}

#[test]
fn the_checks_see_cycles_and_cli_imports() {
    let code = "use crate::a::{b::C, d};\nuse super::{e, f::g};\n// use crate::z;\n";
    let mut paths = paths_after(code, "crate");
    paths.extend(paths_after(code, "super"));
    let expected: Vec<Vec<String>> = [
        vec!["a", "b", "C"],
        vec!["a", "d"],
        vec!["z"],
        vec!["e"],
        vec!["f", "g"],
    ]
    .iter()
    .map(|p| p.iter().map(|s| (*s).to_owned()).collect())
    .collect();
    assert_eq!(paths, expected);
    assert!(!library_code(code).contains("crate::z"));
    let cycle = find_cycle(&[
        ("a".into(), "b".into()),
        ("b".into(), "c".into()),
        ("c".into(), "a".into()),
    ]);
    assert_eq!(cycle.unwrap(), ["a", "b", "c", "a"]);
    assert!(
        find_cycle(&[
            ("a".into(), "b".into()),
            ("a".into(), "c".into()),
            ("b".into(), "c".into())
        ])
        .is_none()
    );
}
