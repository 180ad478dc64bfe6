//! Figures: figure configs ([`spec`]), their numbers ([`compute`]) and drawing
//! ([`render`], PNG and SVG with an embedded font), rendered in batch.

pub mod compute;
pub mod render;
pub mod spec;

use crate::error::{Error, Result};
use crate::progress::Progress;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub use compute::{compute, FigureData, SimOptions};
pub use spec::FigureSpec;

/// Every figure config (TOML with a `[figure]` table) under the given files or folders
/// (folders are searched recursively), sorted by path.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                let entries =
                    std::fs::read_dir(&dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
                for e in entries {
                    let path = e.map_err(|source| Error::Io { path: dir.clone(), source })?.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|x| x == "toml") && spec::is_figure(&path)? {
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

/// A rendered figure: its files and the theory–simulation agreement of its markers.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub png: PathBuf,
    pub svg: PathBuf,
    /// Markers with a z-score.
    pub markers: usize,
    /// Largest |z| over the markers.
    pub max_abs_z: Option<f64>,
}

/// Loads, computes and renders one figure into `out_dir` (`NAME.png`, `NAME.svg`).
pub fn render_one(path: &Path, out_dir: &Path, sim: &SimOptions) -> Result<Rendered> {
    let spec = FigureSpec::load(path)?;
    let data = compute(&spec, sim)?;
    finish(&data, out_dir)
}

fn finish(data: &FigureData, out_dir: &Path) -> Result<Rendered> {
    let (png, svg) = render::write(data, out_dir)?;
    let (markers, max_abs_z) = data.agreement();
    Ok(Rendered { png, svg, markers, max_abs_z })
}

/// Renders every figure config in parallel with a progress bar; all configs are loaded
/// (validated) before anything is computed, so a bad config stops the batch early.
pub fn render_all(
    paths: &[PathBuf],
    out_dir: &Path,
    sim: &SimOptions,
    progress: &dyn Progress,
) -> Result<Vec<Rendered>> {
    let specs: Vec<FigureSpec> = paths.iter().map(|p| FigureSpec::load(p)).collect::<Result<_>>()?;
    std::fs::create_dir_all(out_dir).map_err(|source| Error::Io { path: out_dir.to_path_buf(), source })?;
    progress.start("figures", specs.len() as u64);
    let out = specs
        .par_iter()
        .map(|s| {
            let r = compute(s, sim).and_then(|d| finish(&d, out_dir));
            progress.advance(1);
            r
        })
        .collect::<Result<Vec<_>>>();
    progress.finish();
    out
}
