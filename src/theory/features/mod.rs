//! Feature learning (FEATURES.md): the infinite-width dynamical mean-field theory of a deep
//! linear network with every layer trained by full-batch gradient descent in μP, at fixed
//! data (P samples, input dimension D), richness γ0 and step ε — exact for the same discrete
//! steps a network takes.
//!
//! * [`FeatureData`]: one training set (X, y) and the first layer's initial covariance Γ.
//! * [`FeatureSchedule`]: depth L, γ0, ε and the number of rows T (β(0) … β(T − 1)).
//! * [`solve`]: the exact causal time stepper of FEATURES §3 (`stepper`), or lazy gradient
//!   descent itself at γ0 = 0 (§5); the sharpness s(k) of §4 at every step and the
//!   divergence guard.
//! * [`FeatureCurve::errors`]: E_g and E_tr per step against a target and Σ0.
//!
//! Coordinates: with Γ = I the dynamics lives in the row space of X (q = rank X, §2's
//! reduction, exact); with Γ ≠ I in all D coordinates.

mod stepper;

use crate::spec::{Error, Result};
use crate::support::linalg;
pub use crate::support::linalg::Metric;
use faer::Par;
use nalgebra::{DMatrix, DVector};

/// One training set: inputs X (P × D), labels y (P), and the covariance Γ of the first
/// layer's initial rows (`None`: the identity).
#[derive(Clone, Copy, Debug)]
pub struct FeatureData<'a> {
    pub x: &'a DMatrix<f64>,
    pub y: &'a [f64],
    pub gamma: Option<&'a DMatrix<f64>>,
}

/// How the network is trained: L hidden layers (L + 1 trained matrices), richness γ0 ≥ 0
/// (0: lazy), step ε > 0 (time t = εk), and `rows` = T values β(0) … β(T − 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureSchedule {
    pub layers: usize,
    pub richness: f64,
    pub step: f64,
    pub rows: usize,
}

/// The infinite-width network along its steps.
#[derive(Clone, Debug)]
pub struct FeatureCurve {
    /// β(k) in data coordinates, one column per computed step (D × steps).
    pub beta: DMatrix<f64>,
    /// s(k) = η λ_max(Σ̂^{1/2} 𝒦(k) Σ̂^{1/2}) (FEATURES §4): gradient descent is linearly
    /// stable near convergence while s < 2.
    pub sharpness: Vec<f64>,
    /// The step at which the guard stopped the run (β non-finite or beyond 10⁶(1 + |b|∞)):
    /// columns from it on are absent.
    pub diverged: Option<usize>,
    /// The dimension the dynamics ran in (rank X with Γ = I, else D).
    pub coordinates: usize,
}

/// The edge of stability: s(k) > 2 (FEATURES §4).
pub const EDGE_OF_STABILITY: f64 = 2.0;

impl FeatureCurve {
    /// The first step with s(k) > 2, if any.
    pub fn edge_crossing(&self) -> Option<usize> {
        self.sharpness.iter().position(|&s| s > EDGE_OF_STABILITY)
    }

    /// `(E_g, E_tr)` at every computed step: E_g = (β − β*)ᵀΣ0(β − β*) (absolute, the
    /// draw's own β*), E_tr = |y − Xβ|²/P (with the label noise).
    pub fn errors(&self, data: &FeatureData<'_>, sigma0: Metric<'_>, target: &[f64]) -> Vec<(f64, f64)> {
        let p = data.x.nrows() as f64;
        let fits = data.x * &self.beta;
        (0..self.beta.ncols())
            .map(|k| {
                let d: Vec<f64> = self.beta.column(k).iter().zip(target).map(|(b, t)| b - t).collect();
                let tr = fits.column(k).iter().zip(data.y).map(|(f, y)| (y - f) * (y - f)).sum::<f64>() / p;
                (sigma0.quadratic(&d), tr)
            })
            .collect()
    }
}

/// The reduced problem the stepper runs: Σ̂ and b in q coordinates, the source factor Z0
/// (q × q0) of layer 1, and the map back to data coordinates.
pub(crate) struct Reduced {
    pub(crate) q: usize,
    /// D (the true input dimension, in every 1/D).
    pub(crate) dim: f64,
    /// Σ̂ = XᵀX/P: diagonal in the row space, dense in full coordinates.
    pub(crate) sigma_hat: SigmaHat,
    pub(crate) b: Vec<f64>,
    /// Z0 = I_q/√D (row space) or Γ^{1/2}/√D (full), column-major q × q.
    pub(crate) z0: DMatrix<f64>,
    /// V (D × q) of X = U S Vᵀ; `None` in full coordinates.
    pub(crate) basis: Option<DMatrix<f64>>,
}

pub(crate) enum SigmaHat {
    Diagonal(Vec<f64>),
    /// Σ̂ and its square root (for the sharpness).
    Dense(DMatrix<f64>, DMatrix<f64>),
}

impl SigmaHat {
    pub(crate) fn apply(&self, v: &[f64]) -> Vec<f64> {
        match self {
            SigmaHat::Diagonal(s) => s.iter().zip(v).map(|(s, v)| s * v).collect(),
            SigmaHat::Dense(m, _) => (m * DVector::from_column_slice(v)).as_slice().to_vec(),
        }
    }
}

/// Relative singular-value cut of rank X.
const RANK_TOLERANCE: f64 = 1e-12;

impl Reduced {
    /// §2's coordinates: the row space of X for Γ = I (q = rank X), all D for Γ ≠ I.
    pub(crate) fn new(data: &FeatureData<'_>) -> Result<Reduced> {
        let (p, d) = data.x.shape();
        if data.y.len() != p {
            return Err(Error::Numerical(format!("{} labels for {p} samples", data.y.len())));
        }
        let xty = data.x.transpose() * DVector::from_column_slice(data.y) / p as f64;
        match data.gamma {
            None => {
                let (s, v) = linalg::right_svd(data.x, Par::Seq)?;
                let top = s.first().copied().unwrap_or(0.0);
                let q = s.iter().take_while(|&&x| x > RANK_TOLERANCE * top * (p.max(d) as f64)).count();
                let basis = v.columns(0, q).into_owned();
                let b = (basis.transpose() * xty).as_slice().to_vec();
                Ok(Reduced {
                    q,
                    dim: d as f64,
                    sigma_hat: SigmaHat::Diagonal(s[..q].iter().map(|s| s * s / p as f64).collect()),
                    b,
                    z0: DMatrix::identity(q, q) / (d as f64).sqrt(),
                    basis: Some(basis),
                })
            }
            Some(g) => {
                let root = |m: &DMatrix<f64>| -> Result<DMatrix<f64>> {
                    let e = linalg::sym_eigen(m, Par::Seq)?;
                    Ok(linalg::spectral_function(&e, |x| x.max(0.0).sqrt(), Par::Seq))
                };
                let sigma_hat = data.x.transpose() * data.x / p as f64;
                let sigma_root = root(&sigma_hat)?;
                Ok(Reduced {
                    q: d,
                    dim: d as f64,
                    sigma_hat: SigmaHat::Dense(sigma_hat, sigma_root),
                    b: xty.as_slice().to_vec(),
                    z0: root(g)? / (d as f64).sqrt(),
                    basis: None,
                })
            }
        }
    }

    /// η λ_max(Σ̂^{1/2} 𝒦 Σ̂^{1/2}) for a weight-space kernel 𝒦 (q × q).
    pub(crate) fn sharpness(&self, eta: f64, kernel: &DMatrix<f64>) -> Result<f64> {
        let m = match &self.sigma_hat {
            SigmaHat::Diagonal(s) => {
                let r: Vec<f64> = s.iter().map(|x| x.sqrt()).collect();
                DMatrix::from_fn(self.q, self.q, |i, j| r[i] * kernel[(i, j)] * r[j])
            }
            SigmaHat::Dense(_, root) => root * kernel * root,
        };
        let sym = (&m + m.transpose()) * 0.5;
        Ok(eta * linalg::sym_eigenvalues(&sym, Par::Seq)?.first().copied().unwrap_or(0.0))
    }

    /// β in data coordinates.
    fn to_data(&self, beta: &DMatrix<f64>) -> DMatrix<f64> {
        match &self.basis {
            Some(v) => v * beta,
            None => beta.clone(),
        }
    }
}

/// Bytes the stepper holds for a problem with q coordinates (FEATURES §3.2b): per layer
/// the current Z (q × n_ℓ), S and Y (T × n_ℓ), G, b and b̄ (T × T), with n_ℓ = q + ℓT; β and r.
pub fn stepper_bytes(q: usize, dim: usize, schedule: &FeatureSchedule) -> f64 {
    let (q, t, l) = (q as f64, schedule.rows as f64, schedule.layers as f64);
    let layers: f64 = (1..=schedule.layers).map(|ell| (2.0 * t + 2.0 * q) * (q + ell as f64 * t)).sum();
    8.0 * (layers + 3.0 * l * t * t + 2.0 * t * q + t * dim as f64 + 4.0 * q * q)
}

/// The infinite-width network trained on `data` (FEATURES §3): β(k) for k < T (fewer when
/// the guard stops a diverging run), the sharpness at every step. γ0 = 0 is lazy gradient
/// descent β(k + 1) = β(k) + η𝒦_lazy r(k), 𝒦_lazy = (I + LΓ)/D (§5). `cancelled` is asked
/// every step (a run stops with `Error::Interrupted`).
pub fn solve(
    data: &FeatureData<'_>,
    schedule: &FeatureSchedule,
    cancelled: &dyn Fn() -> bool,
) -> Result<FeatureCurve> {
    let FeatureSchedule { layers, richness, step, rows } = *schedule;
    if layers == 0 || !(richness >= 0.0 && richness.is_finite()) || !(step > 0.0 && step.is_finite()) {
        return Err(Error::Numerical(format!(
            "feature learning needs L ≥ 1, γ0 ≥ 0 and ε > 0 (got L = {layers}, γ0 = {richness}, ε = {step})"
        )));
    }
    let reduced = Reduced::new(data)?;
    let (beta, sharpness, diverged) = if richness == 0.0 {
        lazy(&reduced, data, schedule, cancelled)?
    } else {
        stepper::run(&reduced, schedule, cancelled)?
    };
    let _ = rows;
    Ok(FeatureCurve { beta: reduced.to_data(&beta), sharpness, diverged, coordinates: reduced.q })
}

/// The lazy extra error of an uncentred network of width N (FEATURES §10):
/// ΔE_g(k) = tr[A^k Γ A^kᵀ Σ0]/(D γ0² N) with A = I − εKΣ̂, K = (I + LΓ)/(L + 1), for
/// k = 0 … rows − 1 — the initial function β(0) ~ N(0, Γ/(Dγ0²N)) carried by lazy descent
/// (its part in the null space of X is never learned away). Through the symmetric
/// B = K^{1/2}Σ̂K^{1/2} = W diag(μ) Wᵀ: A^k = K^{1/2}W diag((1 − εμ)^k) WᵀK^{−1/2}.
pub fn uncentred_extra(
    data: &FeatureData<'_>,
    schedule: &FeatureSchedule,
    sigma0: Metric<'_>,
    width: usize,
) -> Result<Vec<f64>> {
    let (p, d) = data.x.shape();
    let l = schedule.layers as f64;
    let identity = DMatrix::<f64>::identity(d, d);
    let gamma = data.gamma.cloned().unwrap_or_else(|| identity.clone());
    let k = (&identity + &gamma * l) / (l + 1.0);
    let ke = linalg::sym_eigen(&k, Par::Seq)?;
    let root = linalg::spectral_function(&ke, |x| x.max(0.0).sqrt(), Par::Seq);
    let inv_root = linalg::spectral_function(&ke, |x| if x > 0.0 { 1.0 / x.sqrt() } else { 0.0 }, Par::Seq);
    let sigma_hat = data.x.transpose() * data.x / p as f64;
    let b = &root * sigma_hat * &root;
    let be = linalg::sym_eigen(&((&b + b.transpose()) * 0.5), Par::Seq)?;
    let w = &be.vectors;
    let s0 = match sigma0 {
        Metric::Diagonal(v) => DMatrix::from_diagonal(&DVector::from_column_slice(v)),
        Metric::Dense(m) => m.clone(),
    };
    let p1 = w.transpose() * &inv_root * &gamma * &inv_root * w;
    let p2 = w.transpose() * &root * s0 * &root * w;
    let scale = 1.0 / (d as f64 * schedule.richness * schedule.richness * width as f64);
    let factors: Vec<f64> = be.values.iter().map(|mu| 1.0 - schedule.step * mu).collect();
    let mut powers = vec![1.0; d];
    let mut out = Vec::with_capacity(schedule.rows);
    for _ in 0..schedule.rows {
        let mut tr = 0.0;
        for i in 0..d {
            for j in 0..d {
                tr += powers[i] * p1[(i, j)] * powers[j] * p2[(j, i)];
            }
        }
        out.push(tr * scale);
        powers.iter_mut().zip(&factors).for_each(|(x, f)| *x *= f);
    }
    Ok(out)
}

/// What a run returns in its own coordinates: β (q × steps), s(k), the divergence step.
pub(crate) type Trajectory = (DMatrix<f64>, Vec<f64>, Option<usize>);

/// The guard of FEATURES §3.2: β non-finite or |β|∞ > 10⁶(1 + |b|∞).
pub(crate) fn runaway(beta: &[f64], b: &[f64]) -> bool {
    let bound = 1e6 * (1.0 + b.iter().fold(0.0f64, |m, x| m.max(x.abs())));
    beta.iter().any(|x| !x.is_finite() || x.abs() > bound)
}

/// Lazy gradient descent (γ0 → 0, FEATURES §5): β(k + 1) = β(k) + η𝒦_lazy r(k) with
/// η = εD/(L + 1), 𝒦_lazy = (I + LΓ)/D; its sharpness is constant.
fn lazy(
    reduced: &Reduced,
    data: &FeatureData<'_>,
    schedule: &FeatureSchedule,
    cancelled: &dyn Fn() -> bool,
) -> Result<Trajectory> {
    let (q, l) = (reduced.q, schedule.layers as f64);
    let eta = schedule.step * reduced.dim / (l + 1.0);
    // η𝒦_lazy in the reduced coordinates: εI in the row space (Γ = I), else ε(I + LΓ)/(L + 1).
    let kernel = match data.gamma {
        None => DMatrix::identity(q, q) * ((l + 1.0) / reduced.dim),
        Some(g) => (DMatrix::identity(q, q) + g * l) / reduced.dim,
    };
    let s = reduced.sharpness(eta, &kernel)?;
    let step = &kernel * eta;
    let mut beta = DMatrix::zeros(q, schedule.rows);
    let mut cur = DVector::zeros(q);
    let mut diverged = None;
    for k in 0..schedule.rows {
        if cancelled() {
            return Err(Error::Interrupted { done: k as u64, total: schedule.rows as u64, unit: "step" });
        }
        if runaway(cur.as_slice(), &reduced.b) {
            diverged = Some(k);
            break;
        }
        beta.set_column(k, &cur);
        let fit = reduced.sigma_hat.apply(cur.as_slice());
        let r = DVector::from_iterator(q, reduced.b.iter().zip(fit).map(|(b, f)| b - f));
        cur += &step * r;
    }
    let done = diverged.unwrap_or(schedule.rows);
    Ok((beta.columns(0, done).into_owned(), vec![s; done], diverged))
}

#[cfg(test)]
mod tests;
