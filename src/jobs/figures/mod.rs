//! Figures, in typed stages: the raw schema ([`schema`]), resolution into typed specs with
//! every point checked ([`spec`]), the numbers ([`compute`]) and the drawing ([`render`]:
//! one SVG, rasterised to PNG), rendered in batch.

pub mod compute;
mod look;
pub mod render;
mod resolve;
mod schema;
pub mod spec;

use crate::jobs::run::RunOptions;
use crate::spec::{Error, Result};
use crate::support::progress::{interruptible, Progress};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub use compute::{compute, FigureData};
pub use look::look;
pub use spec::FigureSpec;

/// Every figure config (TOML with a `[figure]` table) under the given files or folders
/// (folders are searched recursively), sorted by path.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    crate::config::toml_files(paths, spec::is_figure)
}

/// Creates the output folder (and its parents); an existing file there, or anything that
/// cannot be a folder, is a bad `out` option.
pub fn create_out_dir(out_dir: &Path) -> Result<()> {
    if out_dir.exists() && !out_dir.is_dir() {
        return Err(Error::option("out", format!("{}: is a file, expected a folder", out_dir.display())));
    }
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::option("out", format!("{}: cannot create the folder: {e}", out_dir.display())))
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
    /// Markers and largest |z| in panels that show where the theory fails on purpose
    /// (`shows_failure`), left out of the two above.
    pub failure: (usize, Option<f64>),
}

/// Loads, computes and renders one figure into `out_dir` (`NAME.png` at `dpi`, `NAME.svg`).
pub fn render_one(path: &Path, out_dir: &Path, sim: &RunOptions, dpi: f64) -> Result<Rendered> {
    render::check_dpi(dpi)?;
    let spec = FigureSpec::load(path)?;
    render::check_raster(&spec, dpi)?;
    create_out_dir(out_dir)?;
    let data = compute(&spec, sim)?;
    finish(&data, out_dir, dpi)
}

/// Loads and computes one figure and returns it as an SVG document (nothing is written).
/// `progress` hears of the figure as one unit, passes on notes and may cancel it.
pub fn render_svg(path: &Path, sim: &RunOptions, progress: &dyn Progress) -> Result<String> {
    let spec = FigureSpec::load(path)?;
    progress.start("figure", 1);
    let data = compute::compute_observed(&spec, sim, progress);
    progress.finish();
    render::svg(&data?)
}

fn finish(data: &FigureData, out_dir: &Path, dpi: f64) -> Result<Rendered> {
    let (png, svg) = render::write(data, out_dir, dpi)?;
    let (markers, max_abs_z) = data.agreement();
    Ok(Rendered { png, svg, markers, max_abs_z, failure: data.failure_agreement() })
}

/// Renders every figure config in parallel, one progress unit per figure; all configs are
/// loaded (every point checked) before anything is computed or written, so a bad config
/// stops the batch before it starts.
pub fn render_all(
    paths: &[PathBuf],
    out_dir: &Path,
    sim: &RunOptions,
    dpi: f64,
    progress: &dyn Progress,
) -> Result<Vec<Rendered>> {
    render::check_dpi(dpi)?;
    sim.check()?;
    let specs: Vec<FigureSpec> = paths.iter().map(|p| FigureSpec::load(p)).collect::<Result<_>>()?;
    for s in &specs {
        render::check_raster(s, dpi)?;
    }
    if sim.shard.is_none() {
        create_out_dir(out_dir)?;
    }
    progress.start("figures", specs.len() as u64);
    let out = specs
        .par_iter()
        .map(|s| {
            if progress.cancelled() {
                return Err(Error::Interrupted { done: 0, total: specs.len() as u64, unit: "figure" });
            }
            let r = compute::compute_observed(s, sim, progress).and_then(|d| {
                if sim.shard.is_some() {
                    // A shard only fills the store; the assembling run draws.
                    return Ok(Rendered {
                        png: PathBuf::new(),
                        svg: PathBuf::new(),
                        markers: 0,
                        max_abs_z: None,
                        failure: (0, None),
                    });
                }
                // Drawing and rasterising a large figure is one long step: a cancellation
                // stops the wait for it (its files are written whole or not at all).
                let out_dir = out_dir.to_path_buf();
                interruptible(progress, move || finish(&d, &out_dir, dpi))
                    .unwrap_or(Err(Error::Interrupted { done: 0, total: specs.len() as u64, unit: "figure" }))
            });
            progress.advance(1);
            r
        })
        .collect::<Result<Vec<_>>>();
    progress.finish();
    out
}
