//! The list of config files under the given paths.

use crate::spec::{Error, Result};
use std::path::{Path, PathBuf};

/// The given files, and the `.toml` files under the given folders (searched recursively)
/// that `keep` accepts; sorted, without duplicates. A missing path is bad input.
pub(crate) fn toml_files(paths: &[PathBuf], keep: impl Fn(&Path) -> Result<bool>) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                for e in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
                    let path = e.map_err(|e| Error::io(&dir, e))?.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|x| x == "toml") && keep(&path)? {
                        out.push(path);
                    }
                }
            }
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(Error::input(&p.display().to_string(), "(path)", "no such file or folder"));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
