//! The documentation a newcomer follows: every repository path that README.md,
//! ARCHITECTURE.md and docs/ name exists, and the README stays a guide (≤ 300 lines).

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Repository paths in a text: words starting with one of the top-level folders.
fn paths(text: &str) -> Vec<String> {
    const TOPS: [&str; 8] =
        ["configs/", "figures/", "python/", "benches/", "docs/", "examples/", "tests/", "src/"];
    let mut out = Vec::new();
    for (i, _) in text.char_indices() {
        let rest = &text[i..];
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '_' || c == '.' || c == '-') {
            continue;
        }
        if let Some(top) = TOPS.iter().find(|t| rest.starts_with(*t)) {
            let p: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '/' | '_' | '.' | '-'))
                .collect();
            let p = p.trim_end_matches(['.', '/']).to_string();
            if p.len() > top.len() {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn every_named_path_exists() {
    let mut docs = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        docs.push(e.unwrap().path());
    }
    let mut missing = Vec::new();
    let mut seen = 0;
    for d in &docs {
        let text = std::fs::read_to_string(d).unwrap();
        // Links inside docs/ are relative to it: `../figures/x.png` names `figures/x.png`.
        let text =
            if d.parent().is_some_and(|p| p.ends_with("docs")) { text.replace("../", "") } else { text };
        for p in paths(&text) {
            seen += 1;
            if !root().join(&p).exists() {
                missing.push(format!("{}: {p}", d.display()));
            }
        }
    }
    assert!(seen > 20, "found the paths ({seen})");
    assert!(missing.is_empty(), "named but missing:\n{}", missing.join("\n"));
}

#[test]
fn the_readme_is_a_guide() {
    let n = std::fs::read_to_string(root().join("README.md")).unwrap().lines().count();
    assert!(n <= 300, "README.md has {n} lines; move reference material to docs/");
}

#[test]
fn paths_are_found_in_text() {
    assert_eq!(
        paths("run `configs/quickstart.toml`, see [x](docs/reference.md). Not a/configs/x, src/."),
        vec!["configs/quickstart.toml", "docs/reference.md"]
    );
}
