//! Learning curves: the theory at many sample sizes, in parallel (rayon) over contiguous
//! chunks so that each chunk warm-starts every point from its neighbour.
//!
//! The chunks have a fixed length, independent of the number of threads, so every point
//! is computed from the same warm start whatever the thread count: curves are
//! bit-identical with 1 or 64 threads.

use crate::spec::{Config, Ensemble, Error, Result, Ridge};
use crate::support::progress::Progress;
use crate::theory::{Point, Theory};
use rayon::prelude::*;
use std::sync::atomic::Ordering;

/// Points per warm-started chunk (fixed: the thread count must not change any number).
const CHUNK: usize = 8;

/// The theory at every sample size of `samples` (in the given order) with the given ridge;
/// `Ridge::Optimal` minimises the error of `ensemble` ([`Ensemble::SINGLE`]: E_g). Returns the first error in sample order if any point fails. Progress counts one unit
/// per point; a cancellation stops the curve with [`Error::Interrupted`].
pub fn learning_curve(
    theory: &Theory,
    samples: &[usize],
    ridge: Ridge,
    ensemble: Ensemble,
    progress: &dyn Progress,
) -> Result<Vec<Point>> {
    let total = samples.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let parts: Vec<Result<Vec<Point>>> = samples
        .par_chunks(CHUNK)
        .map(|part| {
            let mut warm = crate::theory::Warm::default();
            let mut out = Vec::with_capacity(part.len());
            for &p in part {
                if progress.cancelled() {
                    return Err(Error::Interrupted {
                        done: done.load(Ordering::Relaxed),
                        total,
                        unit: "point",
                    });
                }
                out.push(match ridge {
                    Ridge::Fixed(l) => theory.point_warm(p as f64, l, &mut warm)?,
                    Ridge::Optimal => theory.optimal_point(p, ensemble)?,
                });
                done.fetch_add(1, Ordering::Relaxed);
                progress.advance(1);
            }
            Ok(out)
        })
        .collect();
    let mut out = Vec::with_capacity(samples.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// With a finite training (`[readout] time`, or gradient descent's `[training]`), the theory
/// of the readout trained that long (t* or k* per point for early stopping) replaces each
/// point's errors; the trainings simulated (`None`: the converged readout).
pub(crate) fn at_times(
    config: &Config,
    theory: &Theory,
    points: &mut [Point],
) -> Result<Vec<Option<crate::simulation::Filter>>> {
    let training = config.training();
    crate::jobs::features::along_steps_only(config)?;
    let Some(ridge) = training.ridge(config.ridge()).map_err(|e| Error::option("time", e.0))? else {
        return Ok(vec![None; points.len()]);
    };
    points
        .iter_mut()
        .map(|pt| {
            let Some(tp) = theory.trained(pt.samples, ridge, training)? else { return Ok(None) };
            pt.error = tp.error;
            pt.bias = tp.bias;
            pt.variance = tp.variance;
            pt.train_error = tp.train_error;
            pt.test_mse = tp.error + config.model().noise();
            // t* = ∞ (k* = ∞) is the converged readout.
            Ok(tp.time.is_finite().then_some(match tp.descent {
                Some(d) => crate::simulation::Filter::Descent { step: d.step, steps: d.steps },
                None => crate::simulation::Filter::Flow(tp.time),
            }))
        })
        .collect()
}

/// `f` at every sample size of a config, in parallel (the results in the config's order),
/// one progress unit each under the stage `what`; a cancellation stops between sample sizes.
pub(crate) fn per_sample<T: Send>(
    config: &Config,
    what: &str,
    progress: &dyn Progress,
    f: impl Fn(f64) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let total = config.samples().len() as u64;
    progress.start(what, total);
    let out = config
        .samples()
        .par_iter()
        .map(|&p| {
            if progress.cancelled() {
                return Err(Error::Interrupted { done: 0, total, unit: "sample size" });
            }
            let r = f(p as f64);
            progress.advance(1);
            r
        })
        .collect::<Result<Vec<T>>>();
    progress.finish();
    out
}
