//! The layering of `src/` (ARCHITECTURE.md): every `crate::` or `super::` reference
//! between top-level modules goes down the layer table below, never up or sideways, so
//! the top-level modules cannot form an import cycle; and inside each folder the
//! references between sibling modules form no cycle either.
//!
//! The test reads the source as text: a reference is `crate::a::b` (also inside
//! `use crate::{a::…, b}` groups) or `super::b`, outside comments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules by layer, lowest first. A module may use modules of lower layers
/// only. `lib.rs` sits above the library's layers; `cli/` is the binary (its own crate,
/// which reaches the library only through `lcurve::`).
const LAYERS: &[&[&str]] =
    &[&["spec"], &["support"], &["config", "model"], &["theory", "simulation"], &["jobs"], &["cli"]];

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

/// Every `.rs` file under `src/` with its module path (`src/a/b.rs` and `src/a/b/mod.rs`
/// are `["a", "b"]`); `lib.rs` and `main.rs` are left out.
fn modules(dir: &Path, prefix: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("src is readable").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().and_then(|s| s.to_str()).expect("utf-8 names").to_string();
        if path.is_dir() {
            let mut p = prefix.to_vec();
            p.push(name);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            if prefix.is_empty() && (name == "lib" || name == "main") {
                continue;
            }
            let mut p = prefix.to_vec();
            if name != "mod" {
                p.push(name);
            }
            out.push((p, path));
        }
    }
}

/// The code of a file without `//` comments (doc comments name modules freely).
fn code(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn ident(s: &str) -> String {
    s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The module paths a file refers to: `crate::a::b::…` gives `["a", "b", …]` (identifier
/// segments only), `super::x` the sibling `x` of the file's module.
fn references(module: &[String], text: &str) -> Vec<Vec<String>> {
    let text = code(text);
    let mut out = Vec::new();
    let segments = |rest: &str| -> Vec<String> {
        let mut segs = Vec::new();
        let mut r = rest;
        loop {
            let id = ident(r);
            if id.is_empty() {
                break;
            }
            r = &r[id.len()..];
            segs.push(id);
            match r.strip_prefix("::") {
                Some(next) => r = next,
                None => break,
            }
        }
        segs
    };
    for (i, _) in text.match_indices("crate::") {
        if i > 0 && text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::x, b}`: the first segment of each top-level item.
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        item_start = true;
                        continue;
                    }
                    _ => {}
                }
                if item_start && !c.is_whitespace() && depth == 0 {
                    out.push(segments(&group[j..]));
                    item_start = false;
                }
            }
        } else {
            out.push(segments(rest));
        }
    }
    // `super::` is the parent module: for `a/b.rs` (module a::b) and for `a/b/mod.rs`
    // (also a::b) alike, that is `a`.
    let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    for (i, _) in text.match_indices("super::") {
        if i > 0 && text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &text[i + "super::".len()..];
        let id = ident(rest);
        if !id.is_empty() && !parent.is_empty() {
            let mut p = parent.clone();
            p.push(id);
            out.push(p);
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|s| s == m).expect("on the stack");
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// What `lib.rs` re-exports at the crate root: a name (`Result`, `curve`) → the module
/// path it comes from (`spec`, `jobs::curve`), so that `crate::Result` counts as a
/// reference to `spec`.
fn reexports(lib: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let code = code(lib);
    for stmt in code.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else { continue };
        let rest: String = rest.split_whitespace().collect();
        let (prefix, names) = match rest.split_once("::{") {
            Some((p, names)) => (p.to_string(), names.trim_end_matches('}').to_string()),
            None => match rest.rsplit_once("::") {
                Some((p, name)) => (p.to_string(), name.to_string()),
                None => continue,
            },
        };
        let module: Vec<String> = prefix.split("::").map(String::from).collect();
        for name in names.split(',').filter(|n| !n.is_empty()) {
            let name = name.split("::").last().unwrap_or(name).to_string();
            let mut path = module.clone();
            // `pub use jobs::{curve, …}` names modules; `pub use spec::{Config, …}` items.
            if name.chars().next().is_some_and(|c| c.is_lowercase()) {
                path.push(name.clone());
            }
            out.insert(name, path);
        }
    }
    out
}

#[test]
fn modules_follow_the_layers_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    modules(&src, &[], &mut files);
    assert!(files.len() > 20, "found the source files");
    let known: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    let root = reexports(&std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs is readable"));
    assert!(root.get("Result") == Some(&vec!["spec".to_string()]), "lib.rs re-exports seen: {root:?}");

    let mut violations = Vec::new();
    let mut top_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Sibling edges inside each folder: folder path → (child → children it uses).
    let mut sibling_edges: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, path) in &files {
        let text = std::fs::read_to_string(path).expect("readable source");
        let top = &module[0];
        let Some(from_layer) = layer_of(top) else {
            violations.push(format!("{}: top-level module `{top}` is in no layer", path.display()));
            continue;
        };
        for target in references(module, &text) {
            // `crate::Result` and other names re-exported by lib.rs: where they come from.
            let target = match root.get(&target[0]) {
                Some(path) if !known.iter().any(|k| k[0] == target[0]) => {
                    path.iter().cloned().chain(target[1..].iter().cloned()).collect()
                }
                _ => target,
            };
            // Resolve to the longest known module path (items such as types are dropped).
            let mut t = target.clone();
            while !t.is_empty() && !known.contains(&t) {
                t.pop();
            }
            if t.is_empty() {
                continue;
            }
            let to = &t[0];
            if to != top {
                top_edges.entry(top.clone()).or_default().insert(to.clone());
                match layer_of(to) {
                    Some(l) if l < from_layer => {}
                    _ => violations.push(format!(
                        "{}: `{top}` (layer {from_layer}) uses `{to}` (layer {:?}): imports go down the layers only",
                        path.display(),
                        layer_of(to)
                    )),
                }
            }
            // The deepest common folder of the two modules, and the children they are in.
            let common = module.iter().zip(&t).take_while(|(a, b)| a == b).count();
            if common < module.len() && common < t.len() {
                let folder = module[..common].to_vec();
                sibling_edges
                    .entry(folder)
                    .or_default()
                    .entry(module[common].clone())
                    .or_default()
                    .insert(t[common].clone());
            }
        }
    }
    assert!(violations.is_empty(), "layering violations:\n{}", violations.join("\n"));
    assert!(find_cycle(&top_edges).is_none(), "top-level cycle: {:?}", find_cycle(&top_edges));
    for (folder, edges) in &sibling_edges {
        if let Some(c) = find_cycle(edges) {
            panic!("modules inside `{}` form a cycle: {}", folder.join("::"), c.join(" → "));
        }
    }
}

#[test]
fn the_checker_sees_references_and_cycles() {
    let m = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let refs = references(
        &m("jobs::validate"),
        "use crate::{spec::Ridge, support::output::{self, Table}};\n// crate::theory is a comment\n\
         fn f() { crate::model::build(); super::store::open(); }",
    );
    assert_eq!(
        refs,
        vec![m("spec::Ridge"), m("support::output"), m("model::build"), m("jobs::store")],
        "grouped imports, paths in code, super; comments ignored"
    );
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert!(find_cycle(&edges).is_none());
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&edges), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}
