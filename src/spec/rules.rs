//! The rules a specification's values obey, each with its one message. Configs, setters,
//! figure axes, run options and the Python package all check through these functions; the
//! caller says where the value came from (file and key, or option).

use super::error::Invalid;
use super::limits::{
    MAX_ENSEMBLE, MAX_NOISE, MAX_POINTS, MAX_SAMPLES, MAX_SIZE, MAX_TEST_SAMPLES, MAX_TIME, MAX_TRIALS,
    MIN_SIZE, MIN_TIME,
};
use super::text::num;

/// A dimension or width: an integer from [`MIN_SIZE`] to [`MAX_SIZE`].
pub(crate) fn size(v: i64) -> Result<usize, Invalid> {
    if (MIN_SIZE as i64..=MAX_SIZE as i64).contains(&v) {
        Ok(v as usize)
    } else {
        Err(Invalid(format!("expected an integer from {MIN_SIZE} to {:e}, got {v}", MAX_SIZE as f64)))
    }
}

/// The input dimension n0 given as an integer: a [`size`] (`"infinite"` is the other form).
pub(crate) fn dim(v: i64) -> Result<usize, Invalid> {
    size(v).map_err(|_| {
        Invalid(format!(
            "expected an integer from {MIN_SIZE} to {:e} or \"infinite\", got {v}",
            MAX_SIZE as f64
        ))
    })
}

/// As [`size`] for a size computed as `round(x)` (`how` says how, e.g. "ν = 2 gives
/// round(2 × 100)").
pub(crate) fn derived_size(x: f64, how: impl FnOnce() -> String) -> Result<usize, Invalid> {
    let r = x.round();
    if (MIN_SIZE as f64..=MAX_SIZE as f64).contains(&r) {
        Ok(r as usize)
    } else {
        Err(Invalid(format!("{} = {}, outside {MIN_SIZE}..={:e}", how(), num(r), MAX_SIZE as f64)))
    }
}

/// A sample size: an integer from 1 to [`MAX_SAMPLES`].
pub(crate) fn sample_size(v: i64) -> Result<usize, Invalid> {
    if v >= 1 && (v as f64) <= MAX_SAMPLES {
        Ok(v as usize)
    } else {
        Err(Invalid(format!("expected a sample size from 1 to {MAX_SAMPLES:e}, got {v}")))
    }
}

/// A real sample size p > 0 (the theory is continuous in p), at most [`MAX_SAMPLES`].
pub fn real_sample_size(p: f64) -> Result<f64, Invalid> {
    if p > 0.0 && p <= MAX_SAMPLES {
        Ok(p)
    } else {
        Err(Invalid(format!("expected a sample size p > 0 up to {MAX_SAMPLES:e}, got {p}")))
    }
}

/// The sample size p = round(α n0) of a ratio α = p/n0: from 1 to [`MAX_SAMPLES`].
pub(crate) fn alpha_samples(alpha: f64, n0: usize) -> Result<usize, Invalid> {
    let p = (alpha * n0 as f64).round();
    if !(1.0..=MAX_SAMPLES).contains(&p) {
        return Err(Invalid(format!(
            "α = {a} gives p = round({a} × {n0}) = {p}, outside 1..={MAX_SAMPLES:e}",
            a = num(alpha),
            p = num(p)
        )));
    }
    Ok(p as usize)
}

/// A list of sample sizes: 1 to [`MAX_POINTS`] of them, each from 1 to [`MAX_SAMPLES`].
pub(crate) fn sample_list(samples: &[usize]) -> Result<(), Invalid> {
    if samples.is_empty() {
        return Err(Invalid("expected at least one sample size".into()));
    }
    if samples.len() > MAX_POINTS {
        return Err(Invalid(format!("expected at most {MAX_POINTS} sample sizes, got {}", samples.len())));
    }
    for &p in samples {
        sample_size(i64::try_from(p).unwrap_or(i64::MAX))?;
    }
    Ok(())
}

/// An ensemble size K: an integer from 1 to [`MAX_ENSEMBLE`] (given as a number, so that
/// a figure axis's values are checked by the same rule).
pub(crate) fn ensemble_size(k: f64) -> Result<usize, Invalid> {
    if k >= 1.0 && k.fract() == 0.0 && k <= MAX_ENSEMBLE as f64 {
        Ok(k as usize)
    } else {
        Err(Invalid(format!("expected an integer from 1 to {MAX_ENSEMBLE} or \"infinite\", got {}", num(k))))
    }
}

/// A finite number.
pub(crate) fn finite(v: f64) -> Result<f64, Invalid> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Invalid(format!("expected a finite number, got {v}")))
    }
}

/// A finite number ≥ 0.
pub(crate) fn non_negative(v: f64) -> Result<f64, Invalid> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(Invalid(format!("expected a finite number ≥ 0, got {v}")))
    }
}

/// The label-noise variance η²: finite, from 0 to [`MAX_NOISE`] (the signal is 1).
pub(crate) fn noise(v: f64) -> Result<f64, Invalid> {
    let v = non_negative(v)?;
    if v > MAX_NOISE {
        return Err(Invalid(format!("expected η² ≤ {MAX_NOISE:e} (the signal is 1), got {v:e}")));
    }
    Ok(v)
}

/// A finite training time t: from [`MIN_TIME`] to [`MAX_TIME`].
pub(crate) fn time(t: f64) -> Result<f64, Invalid> {
    if (MIN_TIME..=MAX_TIME).contains(&t) {
        Ok(t)
    } else {
        Err(Invalid(format!("expected a time t from {MIN_TIME:e} to {MAX_TIME:e}, got {}", num(t))))
    }
}

/// The number of points of a range: 1 to [`MAX_POINTS`].
pub fn points(v: i64) -> Result<usize, Invalid> {
    if (1..=MAX_POINTS as i64).contains(&v) {
        Ok(v as usize)
    } else {
        Err(Invalid(format!("expected 1 to {MAX_POINTS} points, got {v}")))
    }
}

/// `points` values from `from` to `to`, log- or linearly spaced (one point gives `from`);
/// the ends are `from` and `to` exactly (log spacing would leave 9.999999999999999e-51 for
/// 1e-50, below a documented minimum).
pub fn spaced(from: f64, to: f64, points: usize, log: bool) -> Vec<f64> {
    (0..points)
        .map(|i| {
            let t = if points == 1 { 0.0 } else { i as f64 / (points - 1) as f64 };
            if i == 0 {
                from
            } else if i + 1 == points {
                to
            } else if log {
                (from.ln() + t * (to.ln() - from.ln())).exp()
            } else {
                from + t * (to - from)
            }
        })
        .collect()
}

/// `round(n · factor)`, at least 1 (saturating at `usize::MAX`): a size or sample size
/// scaled by `--scale`.
pub(crate) fn scale_size(n: usize, factor: f64) -> usize {
    let x = (n as f64 * factor).round();
    if x >= usize::MAX as f64 {
        usize::MAX
    } else {
        (x as usize).max(1)
    }
}

/// An integer from 1 to `max`.
fn count(v: i64, max: usize) -> Result<usize, Invalid> {
    if (1..=max as i64).contains(&v) {
        Ok(v as usize)
    } else {
        Err(Invalid(format!("expected an integer from 1 to {max}, got {v}")))
    }
}

/// Monte Carlo trials per sample size: an integer from 1 to [`MAX_TRIALS`].
pub fn trials(v: i64) -> Result<usize, Invalid> {
    count(v, MAX_TRIALS)
}

/// The seed of the random streams: an integer ≥ 0.
pub fn seed(v: i64) -> Result<u64, Invalid> {
    u64::try_from(v).map_err(|_| Invalid(format!("expected an integer ≥ 0, got {v}")))
}

/// A simulation's size factor: a finite number > 0.
pub fn scale(v: f64) -> Result<f64, Invalid> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Invalid(format!("expected a finite number > 0, got {}", num(v))))
    }
}

/// The size of a nonlinear network's test set: an integer from 1 to [`MAX_TEST_SAMPLES`].
pub(crate) fn test_samples(v: i64) -> Result<usize, Invalid> {
    count(v, MAX_TEST_SAMPLES)
}
