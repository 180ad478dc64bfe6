//! Local scaling exponents (SCALING §3): `exponent_samples = −∂ln E_g/∂ln p` and
//! `exponent_width_ℓ = −∂ln E_g/∂ln n_ℓ`, all else fixed, at the points of a curve.
//!
//! Both are five-point differences (fourth order): in ln p with step h = 0.002 (the theory
//! is continuous in p), and in the integer width n_ℓ with step k ≈ 0.002·n_ℓ (a spectrum
//! generated over j = 1…n is a smooth function of n sampled at the integers). Truncation
//! is ≈ h⁴ ≈ 1e-11 and rounding ≈ 1e-13/h ≈ 5e-11, far inside the 1e-4 promised (tested
//! against centred differences to 1e-6). At the ridgeless interpolation peak the exponent
//! is undefined (empty); near it the step shrinks to 1/100 of the distance ln(p/r), which
//! keeps the truncation of E_g ∝ 1/|ln(p/r)| below 1e-6 relative.
//!
//! The derivative is taken at the point's ridge. On an optimal-ridge curve that is the
//! total derivative of E_g(λ*(p)) too: ∂E_g/∂λ = 0 at λ* (the envelope theorem).

use crate::spec::{Config, Error, ModelSpec, Result};
use crate::support::progress::Progress;
use crate::theory::{Point, Theory};
use rayon::prelude::*;

/// Step in ln p.
const LOG_STEP: f64 = 0.002;
/// Relative step in a width.
const WIDTH_STEP: f64 = 0.002;
/// Steps per unit of distance to the ridgeless peak (in ln p).
const PEAK_STEPS: f64 = 100.0;

/// The local exponents at one point of a curve (`None`: undefined there).
#[derive(Clone, Debug, PartialEq)]
pub struct LocalExponents {
    /// −∂ln E_g/∂ln p.
    pub samples: Option<f64>,
    /// −∂ln E_g/∂ln n_ℓ for ℓ = 1…L (`None` also for a layer whose S_ℓ has a fixed size).
    pub widths: Vec<Option<f64>>,
}

/// `−x f′(x)/f(x)` from five values of f: at x·e^{±h}, x·e^{±2h} (in ln x) — fourth order.
fn log_slope(f: [f64; 4], f0: f64, h: f64) -> Option<f64> {
    let [m2, m1, p1, p2] = f;
    let d = (m2 - 8.0 * m1 + 8.0 * p1 - p2) / (12.0 * h);
    let e = -d / f0;
    (e.is_finite() && f0 > 0.0 && f.iter().all(|v| v.is_finite())).then_some(e)
}

/// The samples exponent at a point of `theory` (E_g at fixed ridge).
pub fn samples_exponent(theory: &Theory, point: &Point) -> Result<Option<f64>> {
    let (p, ridge) = (point.samples, point.ridge);
    if !(point.error.is_finite() && point.error > 0.0) {
        return Ok(None);
    }
    let mut h = LOG_STEP;
    if ridge == 0.0 {
        // Keep the stencil on one side of the peak p = r.
        let gap = (p / theory.rank()).ln().abs();
        if gap == 0.0 {
            return Ok(None);
        }
        h = h.min(gap / PEAK_STEPS);
    }
    // Near the largest sample size the stencil looks backwards only (fourth order too).
    let one_sided = p * (2.0 * h).exp() > crate::spec::limits::MAX_SAMPLES;
    let steps: [f64; 4] = if one_sided { [-4.0, -3.0, -2.0, -1.0] } else { [-2.0, -1.0, 1.0, 2.0] };
    let mut f = [0.0; 4];
    for (v, k) in f.iter_mut().zip(steps) {
        *v = theory.point_at(p * (k * h).exp(), ridge)?.error;
    }
    Ok(if one_sided { backward_log_slope(f, point.error, h) } else { log_slope(f, point.error, h) })
}

/// `−x f′(x)/f(x)` from f at x·e^{−4h…−h} and x (in ln x): the fourth-order backward
/// difference (25f₀ − 48f₋₁ + 36f₋₂ − 16f₋₃ + 3f₋₄)/(12h).
fn backward_log_slope(f: [f64; 4], f0: f64, h: f64) -> Option<f64> {
    let [m4, m3, m2, m1] = f;
    let d = (25.0 * f0 - 48.0 * m1 + 36.0 * m2 - 16.0 * m3 + 3.0 * m4) / (12.0 * h);
    let e = -d / f0;
    (e.is_finite() && f0 > 0.0 && f.iter().all(|v| v.is_finite())).then_some(e)
}

/// The local exponents at every point of a curve of `config` (whose theory is `theory`).
/// Width exponents rebuild the model at four neighbouring widths per layer.
pub fn local_exponents(
    config: &Config,
    theory: &Theory,
    points: &[Point],
    progress: &dyn Progress,
) -> Result<Vec<LocalExponents>> {
    let depth = config.model().layers().len();
    progress.start("local exponents", (points.len() * (1 + depth)) as u64);
    let samples: Vec<Option<f64>> = points
        .par_iter()
        .map(|pt| {
            let e = samples_exponent(theory, pt);
            progress.advance(1);
            e
        })
        .collect::<Result<_>>()?;
    let mut widths = vec![Vec::with_capacity(depth); points.len()];
    for layer in 1..=depth {
        if progress.cancelled() {
            return Err(Error::Interrupted { done: layer as u64 - 1, total: depth as u64, unit: "layer" });
        }
        let column = width_exponents(config.model(), layer, points, progress)?;
        for (row, e) in widths.iter_mut().zip(column) {
            row.push(e);
        }
    }
    progress.finish();
    Ok(samples.into_iter().zip(widths).map(|(samples, widths)| LocalExponents { samples, widths }).collect())
}

/// The theories of `spec` with layer `layer`'s width at n + s·k for s = −2, −1, 1, 2.
fn stencil(spec: &ModelSpec, layer: usize, k: usize) -> Option<Result<Vec<Theory>>> {
    let n = spec.layers()[layer - 1].width;
    let mut out = Vec::with_capacity(4);
    for s in [-2i64, -1, 1, 2] {
        let mut m = spec.clone();
        let w = n as i64 + s * k as i64;
        // A width outside the valid sizes, or a covariance of fixed size: undefined.
        m.set_width(layer, usize::try_from(w).ok()?).ok()?;
        out.push(Theory::from_spec(&m, &crate::support::progress::Silent));
    }
    Some(out.into_iter().collect())
}

/// −∂ln E_g/∂ln n_ℓ at every point, `None` where undefined.
fn width_exponents(
    spec: &ModelSpec,
    layer: usize,
    points: &[Point],
    progress: &dyn Progress,
) -> Result<Vec<Option<f64>>> {
    let n = spec.layers()[layer - 1].width;
    let k = ((n as f64 * WIDTH_STEP).round() as usize).max(1);
    let Some(theories) = stencil(spec, layer, k) else {
        progress.advance(points.len() as u64);
        return Ok(vec![None; points.len()]);
    };
    let theories = theories?;
    points
        .par_iter()
        .map(|pt| {
            progress.advance(1);
            if !(pt.error.is_finite() && pt.error > 0.0) {
                return Ok(None);
            }
            // Ridgeless: the stencil must not cross the peak p = r(n′) (else undefined).
            if pt.ridge == 0.0 {
                let side = |r: f64| if pt.samples == r { 0.0 } else { (pt.samples - r).signum() };
                let sides: Vec<f64> = theories.iter().map(|t| side(t.rank())).collect();
                if sides.iter().any(|&s| s == 0.0 || s != sides[0]) {
                    return Ok(None);
                }
            }
            let mut f = [0.0; 4];
            for (v, t) in f.iter_mut().zip(&theories) {
                *v = t.point_at(pt.samples, pt.ridge)?.error;
            }
            // dE/dn by the integer stencil, then −n E′/E.
            let d = (f[0] - 8.0 * f[1] + 8.0 * f[2] - f[3]) / (12.0 * k as f64);
            let e = -(n as f64) * d / pt.error;
            Ok((e.is_finite() && f.iter().all(|v| v.is_finite())).then_some(e))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// Both stencils give the exponent of a power law x^−a to rounding, and agree on a curved f.
    #[test]
    fn one_sided_stencil_matches_the_centred_one() {
        let h = super::LOG_STEP;
        for a in [0.3, 1.0, 2.5] {
            let f = |k: f64| (k * h).exp().powf(-a);
            let centred = super::log_slope([f(-2.0), f(-1.0), f(1.0), f(2.0)], 1.0, h).unwrap();
            let backward = super::backward_log_slope([f(-4.0), f(-3.0), f(-2.0), f(-1.0)], 1.0, h).unwrap();
            assert!((centred - a).abs() < 1e-9 && (backward - a).abs() < 1e-8, "{a}: {centred} {backward}");
        }
        // f = 1/(1 + x) at x = 1: −x f′/f = x/(1 + x) = 0.5.
        let f = |k: f64| 1.0 / (1.0 + (k * h).exp());
        let backward = super::backward_log_slope([f(-4.0), f(-3.0), f(-2.0), f(-1.0)], f(0.0), h).unwrap();
        assert!((backward - 0.5).abs() < 1e-9, "{backward}");
    }
}
