//! The readout trained for a finite time — gradient flow (DYNAMICS.md) or full-batch
//! gradient descent with a step (TRAINING A) — exactly, through one eigendecomposition per
//! trial for a whole axis: both are filters φ(K) of the same eigenvalues. For gradient
//! descent with a fixed λ and η this filter *is* the iterates (v_k = φ_k(K)b exactly), so it
//! stands for running the k steps.

use super::{normal, Simulator, Trial};
use crate::spec::{Error, Result};
use crate::support::linalg::{self, gemm, Op};
use faer::Par;
use nalgebra::DMatrix;
use rand::Rng;

/// How long the readout is trained from v = 0, as a filter of the eigenvalues x of K.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Filter {
    /// Gradient flow for time t: φ(x) = (1 − e^{−t(x+λ)})/(x+λ).
    Flow(f64),
    /// k steps of gradient descent with step η: φ(x) = (1 − (1 − η(x+λ))^k)/(x+λ).
    Descent { step: f64, steps: f64 },
}

impl Filter {
    /// The training time: t, or ηk.
    pub fn time(self) -> f64 {
        match self {
            Filter::Flow(t) => t,
            Filter::Descent { step, steps } => step * steps,
        }
    }

    /// φ(x) at z = x + λ ≥ 0, without cancellation for small z.
    fn at(self, z: f64) -> f64 {
        match self {
            Filter::Flow(t) if z * t < 1e-12 => t,
            Filter::Flow(t) => -(-t * z).exp_m1() / z,
            Filter::Descent { step, steps } => {
                let g = step * z;
                if g * steps < 1e-12 {
                    step * steps
                } else if g < 1.0 {
                    -(steps * (-g).ln_1p()).exp_m1() / z
                } else {
                    let w = 1.0 - g;
                    let m = (steps * w.abs().ln()).exp();
                    let wk = if w < 0.0 && steps % 2.0 == 1.0 { -m } else { m };
                    (1.0 - wk) / z
                }
            }
        }
    }
}

/// `v = φ(K) Φᵀy/p`, `K = ΦᵀΦ/p`, for every column of `y` and every filter of `filters`,
/// through one eigendecomposition of the smaller of ΦᵀΦ/p and ΦΦᵀ/p
/// (f(ΦᵀΦ)Φᵀ = Φᵀf(ΦΦᵀ)).
fn filtered_readouts(
    phi: &DMatrix<f64>,
    y: &DMatrix<f64>,
    ridge: f64,
    filters: &[Filter],
    par: Par,
) -> Result<Vec<Option<DMatrix<f64>>>> {
    let (p, n) = phi.shape();
    let primal = n <= p;
    let gram = linalg::gram_lower(phi, if primal { Op::T } else { Op::N }, 1.0 / p as f64, par);
    let e = linalg::sym_eigen(&gram, par)?;
    let rhs = if primal { gemm(phi, Op::T, y, Op::N, par) / p as f64 } else { y.clone() / p as f64 };
    let proj = gemm(&e.vectors, Op::T, &rhs, Op::N, par);
    let top = e.values.iter().copied().fold(0.0f64, f64::max);
    Ok(filters
        .iter()
        .map(|&f| {
            if let Filter::Descent { step, .. } = f {
                // This draw's own edge: its iterates grow without bound.
                if step * (top + ridge) >= 2.0 {
                    return None;
                }
            }
            let filter = |k: f64| f.at(k.max(0.0) + ridge);
            let scaled =
                DMatrix::from_fn(proj.nrows(), proj.ncols(), |i, j| proj[(i, j)] * filter(e.values[i]));
            let coef = gemm(&e.vectors, Op::N, &scaled, Op::N, par);
            Some(if primal { coef } else { gemm(phi, Op::T, &coef, Op::N, par) })
        })
        .collect())
}

impl Simulator {
    /// One trial of a linear network whose readout is trained by gradient flow on half the
    /// training loss for time `time` from v = 0 (DYNAMICS.md): exactly, through the
    /// eigendecomposition of the smaller Gram matrix, v(t) = φ_t(K) Φᵀy/p with
    /// φ_t(k) = (1 − e^{−t(k+λ)})/(k+λ).
    pub fn trial_at_time(
        &self,
        samples: usize,
        ridge: f64,
        time: f64,
        rng: &mut impl Rng,
        par: Par,
    ) -> Result<Trial> {
        Ok(self.trials_at_times(samples, ridge, &[time], rng, par)?.remove(0))
    }

    /// As [`Simulator::trial_at_time`] at every time of `times`, from one draw of data and
    /// weights and one eigendecomposition: the trajectory of one trained network (trial k
    /// at time t equals `trial_at_time` at t from the same stream).
    pub fn trials_at_times(
        &self,
        samples: usize,
        ridge: f64,
        times: &[f64],
        rng: &mut impl Rng,
        par: Par,
    ) -> Result<Vec<Trial>> {
        let filters: Vec<Filter> = times.iter().map(|&t| Filter::Flow(t)).collect();
        self.trials_filtered(samples, ridge, &filters, rng, par)
    }

    /// As [`Simulator::trials_at_times`] for any training filters (gradient flow, gradient
    /// descent): one draw, one eigendecomposition, every filter. A gradient-descent filter
    /// whose step is beyond this draw's own edge, η(λ_max(K) + λ) ≥ 2, gives a trial of +∞
    /// errors (the iterates diverge).
    pub fn trials_filtered(
        &self,
        samples: usize,
        ridge: f64,
        filters: &[Filter],
        rng: &mut impl Rng,
        par: Par,
    ) -> Result<Vec<Trial>> {
        if self.is_nonlinear() {
            return Err(Error::Numerical("a finite training time is specified for linear networks".into()));
        }
        let data = self.draw_data(samples, rng, par);
        let mut phi: Option<DMatrix<f64>> = None;
        let mut gs = Vec::with_capacity(self.widths.len());
        let mut prev = self.n0;
        for (l, &n) in self.widths.iter().enumerate() {
            let g = normal::matrix(rng, prev, n, par);
            let prod = gemm(phi.as_ref().unwrap_or(&data.inputs), Op::N, &g, Op::N, par);
            phi = Some(self.layer_half[l].right(prod, 1.0 / (n as f64).sqrt(), par));
            gs.push(g);
            prev = n;
        }
        let phi = phi.as_ref().unwrap_or(&data.inputs);
        Ok(filtered_readouts(phi, &data.rhs, ridge, filters, par)?
            .into_iter()
            .map(|v| {
                // A draw beyond its own stability edge: marked +∞ (summaries leave it out).
                let Some(v) = v else {
                    return Trial { error: f64::INFINITY, bias: f64::INFINITY, train_error: f64::INFINITY };
                };
                let v_noisy = v.column(0).into_owned();
                let train_error = (&data.y - phi * &v_noisy).norm_squared() / samples as f64;
                let [error, bias] = [v_noisy, v.column(1).into_owned()]
                    .map(|v| self.sigma_norm(&(self.beta_hat(&v, &gs) - &data.beta)));
                Trial { error, bias, train_error }
            })
            .collect())
    }
}
