//! Gradient flow of the readout for a finite time (DYNAMICS.md): exact, through one
//! eigendecomposition per trial for a whole time axis.

use super::{normal, Simulator, Trial};
use crate::spec::{Error, Result};
use crate::support::linalg::{self, gemm, Op};
use faer::Par;
use nalgebra::DMatrix;
use rand::Rng;

/// `v(t) = φ_t(K) Φᵀy/p`, `K = ΦᵀΦ/p`, `φ_t(k) = (1 − e^{−t(k+λ)})/(k+λ)`, for every column
/// of `y` and every time of `times`, through one eigendecomposition of the smaller of
/// ΦᵀΦ/p and ΦΦᵀ/p (f(ΦᵀΦ)Φᵀ = Φᵀf(ΦΦᵀ)).
fn gradient_flow_times(
    phi: &DMatrix<f64>,
    y: &DMatrix<f64>,
    ridge: f64,
    times: &[f64],
    par: Par,
) -> Result<Vec<DMatrix<f64>>> {
    let (p, n) = phi.shape();
    let primal = n <= p;
    let gram = linalg::gram_lower(phi, if primal { Op::T } else { Op::N }, 1.0 / p as f64, par);
    let e = linalg::sym_eigen(&gram, par)?;
    let rhs = if primal { gemm(phi, Op::T, y, Op::N, par) / p as f64 } else { y.clone() / p as f64 };
    let proj = gemm(&e.vectors, Op::T, &rhs, Op::N, par);
    Ok(times
        .iter()
        .map(|&time| {
            let filter = |k: f64| {
                let x = k.max(0.0) + ridge;
                if x * time < 1e-12 {
                    time
                } else {
                    -(-time * x).exp_m1() / x
                }
            };
            let scaled =
                DMatrix::from_fn(proj.nrows(), proj.ncols(), |i, j| proj[(i, j)] * filter(e.values[i]));
            let coef = gemm(&e.vectors, Op::N, &scaled, Op::N, par);
            if primal {
                coef
            } else {
                gemm(phi, Op::T, &coef, Op::N, par)
            }
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
        Ok(gradient_flow_times(phi, &data.rhs, ridge, times, par)?
            .into_iter()
            .map(|v| {
                let v_noisy = v.column(0).into_owned();
                let train_error = (&data.y - phi * &v_noisy).norm_squared() / samples as f64;
                let [error, bias] = [v_noisy, v.column(1).into_owned()]
                    .map(|v| self.sigma_norm(&(self.beta_hat(&v, &gs) - &data.beta)));
                Trial { error, bias, train_error }
            })
            .collect())
    }
}
