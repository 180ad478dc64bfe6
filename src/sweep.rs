//! Learning curves: the theory at many sample sizes, in parallel (rayon) over contiguous
//! chunks so that each chunk warm-starts every point from its neighbour.

use crate::config::Ridge;
use crate::error::Result;
use crate::theory::{Point, Theory};
use indicatif::ProgressBar;
use rayon::prelude::*;

/// The theory at every sample size of `samples` (in the given order) with the given ridge.
/// Returns the first error in sample order if any point fails.
pub fn learning_curve(
    theory: &Theory,
    samples: &[usize],
    ridge: Ridge,
    progress: &ProgressBar,
) -> Result<Vec<Point>> {
    if samples.is_empty() {
        return Ok(Vec::new());
    }
    let chunks = (rayon::current_num_threads() * 4).max(1);
    let chunk = samples.len().div_ceil(chunks);
    let parts: Vec<Result<Vec<Point>>> = samples
        .par_chunks(chunk)
        .map(|part| {
            let mut warm = None;
            part.iter()
                .map(|&p| {
                    let pt = match ridge {
                        Ridge::Fixed(l) => theory.point_warm(p, l, &mut warm),
                        Ridge::Optimal => theory.optimal_point(p),
                    };
                    progress.inc(1);
                    pt
                })
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(samples.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}
