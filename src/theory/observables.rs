//! Observables of THEORY §4 at a solved set of order parameters.
//!
//! The closed forms of §4 are rewritten without cancellation. With, for every spectrum a
//! (data and layers), `Q_a = Σ a²/(a+κ_a)²` and `ρ_a = Q_a/(T_a κ_a) ≥ 0`
//! (so that `1/d + κ_a'/κ_a = −ρ_a/d` and `κ_0'/κ_0 = −(1+ρ_0)/d`), and `δ = Σ_a ρ_a`:
//!
//! ```text
//! (log κ)' = −(1+δ)/d        (log P)' = −Σ_ℓ ρ_ℓ / d
//! d2       = d δ/(1+δ)       1 − d2/p = (p−d)/p + d/(p(1+δ))
//! B        = κ_0 (d h' + h Σ_ℓ ρ_ℓ)/(1+δ),   h' = Σ c² m/(m+κ_0)² / T_0
//! ```
//!
//! which is algebraically identical to §4 and also gives the ridgeless limit `κ_a → 0`
//! (ρ_a → ∞) of the bottleneck spectra in closed form.

use super::ensemble::{excess, Infinite};
use super::spectrum::DataSums;
use crate::model::spectra::DataSpectrum;
use serde::Serialize;

/// One point of a learning curve: sample size, ridge, errors and order parameters.
/// Errors are in units of the target's expected signal `E[β*ᵀΣ0β*] = 1`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Point {
    /// Number of training samples p (an integer on learning curves; the theory is
    /// continuous in p, see [`crate::Theory::point_at`]).
    pub samples: f64,
    /// α = p/n0.
    pub alpha: f64,
    /// Ridge λ used (λ* when the ridge is "optimal").
    pub ridge: f64,
    /// Excess generalisation error E_g = (β̂−β*)ᵀΣ0(β̂−β*); +∞ at the interpolation threshold.
    pub error: f64,
    /// Bias part of E_g.
    pub bias: f64,
    /// Variance (label-noise) part of E_g.
    pub variance: f64,
    /// Training error (1/p) Σ (y − f(x))².
    pub train_error: f64,
    /// Test mean squared error with label noise, E_g + η².
    pub test_mse: f64,
    /// Degrees of freedom d.
    pub df: f64,
    /// Second-order degrees of freedom d2 = d + 1/(log κ)'.
    pub df2: f64,
    /// Total renormalised ridge κ = κ_0 Π_ℓ (d/n_ℓ) κ_ℓ.
    pub kappa: f64,
    /// Data-level renormalised ridge κ_0.
    pub kappa_data: f64,
    /// Layer-level renormalised ridges κ_1 … κ_L.
    pub kappa_layers: Vec<f64>,
    /// E_∞: the error of the infinite ensemble over weight draws (THEORY §7), ≤ E_g.
    /// `None` for networks with a nonlinear layer (§7 is specified for linear networks).
    pub error_inf: Option<f64>,
    /// Bias part of E_∞.
    pub bias_inf: Option<f64>,
    /// Variance (label-noise) part of E_∞.
    pub variance_inf: Option<f64>,
    /// Initialisation variance E_g − E_∞ ≥ 0: the part of E_g that ensembling removes.
    pub init_variance: Option<f64>,
}

impl Point {
    /// The first observable that no solution can have, with its value: a NaN anywhere, or
    /// a negative error, bias, variance or training error beyond rounding (each is a sum of
    /// squares). `None` for a consistent point; +∞ is allowed (the interpolation threshold).
    pub(crate) fn inconsistency(&self) -> Option<(&'static str, f64)> {
        let scale = self.error.abs().max(1.0);
        let fields = [
            ("error", self.error),
            ("bias", self.bias),
            ("variance", self.variance),
            ("train_error", self.train_error),
            ("test_mse", self.test_mse),
            ("df", self.df),
            ("df2", self.df2),
            ("kappa", self.kappa),
        ];
        let nonneg = ["error", "bias", "variance", "train_error"];
        fields.into_iter().find(|&(name, x)| x.is_nan() || (nonneg.contains(&name) && x < -1e-9 * scale))
    }

    /// Sets the §7 fields from E_∞ (`init_variance` = E_g − E_∞, with ∞ − ∞ = 0). Each part
    /// of E_∞ is at most the learner's (exactly so: the ensemble averages out a variance);
    /// the two are computed by different formulas, so where the initialisation variance is
    /// below rounding (λ → ∞) they are clamped to keep E_g(K) monotone in K.
    pub(crate) fn with_infinite(mut self, inf: Infinite) -> Self {
        let error_inf = inf.error.min(self.error);
        self.bias_inf = Some(inf.bias.min(self.bias));
        self.variance_inf = Some(inf.variance.min(self.variance));
        self.error_inf = Some(error_inf);
        self.init_variance = Some(excess(self.error, error_inf));
        self
    }

    /// The infinite ensemble equals the single learner (no hidden layer, data bottleneck,
    /// null predictor).
    pub(crate) fn without_init_variance(self) -> Self {
        let same = Infinite::same_as(self.error, self.bias, self.variance);
        self.with_infinite(same)
    }
}

/// Per-spectrum trace values at its solved κ: `T_a(κ_a)` and `Q_a(κ_a)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Traces {
    pub kappa: f64,
    /// `T_a(κ_a)` (finite even when κ_a → 0, where it is `Σ 1/a`).
    pub t: f64,
    /// `ρ_a = Q_a/(T_a κ_a)`; `+∞` for a spectrum whose κ vanishes (ridgeless bottleneck).
    pub rho: f64,
}

/// Inputs of the observables at one solved point.
pub(crate) struct Solved<'a> {
    pub samples: f64,
    pub ridge: f64,
    pub n0: f64,
    pub noise: f64,
    pub d: f64,
    /// `p − d`, exact (0 for ridgeless interpolation).
    pub p_minus_d: f64,
    pub data: Traces,
    pub layers: &'a [Traces],
    pub widths: &'a [f64],
    pub modes: &'a DataSpectrum,
}

impl Solved<'_> {
    /// Evaluates E_g, its split, the training error and the order parameters.
    pub(crate) fn point(&self) -> Point {
        let p = self.samples;
        let d = self.d;
        let rho_layers: f64 = self.layers.iter().map(|t| t.rho).sum();
        let delta = self.data.rho + rho_layers;
        let k0 = self.data.kappa;
        let sums = DataSums::new(self.modes, k0);
        let (h, hh) = (sums.h, sums.hh);
        let (d2, one_minus, b) = if delta.is_infinite() {
            // Ridgeless bottleneck limit: d2 → d and B → κ0 h when only layers vanish.
            let b = if self.data.rho.is_infinite() { 0.0 } else { k0 * h };
            (d, self.p_minus_d / p, b)
        } else {
            let d2 = d * delta / (1.0 + delta);
            let one_minus = self.p_minus_d / p + d / (p * (1.0 + delta));
            let b = k0 * (d * hh / self.data.t + h * rho_layers) / (1.0 + delta);
            (d2, one_minus, b)
        };
        let bias = b / one_minus;
        let variance = self.noise * (d2 / p) / one_minus;
        let error = bias + variance;
        let ratio = self.p_minus_d / p; // λ/κ by eq. (4), without 0/0 at λ = 0
        let kappa_layers: Vec<f64> = self.layers.iter().map(|t| t.kappa).collect();
        let ln_kappa = k0.ln()
            + self.layers.iter().zip(self.widths).map(|(t, &n)| d.ln() - n.ln() + t.kappa.ln()).sum::<f64>();
        let point = Point {
            samples: self.samples,
            alpha: p / self.n0,
            ridge: self.ridge,
            error,
            bias,
            variance,
            train_error: ratio * ratio * (error + self.noise),
            test_mse: error + self.noise,
            df: d,
            df2: d2,
            kappa: ln_kappa.exp(),
            kappa_data: k0,
            kappa_layers,
            error_inf: None,
            bias_inf: None,
            variance_inf: None,
            init_variance: None,
        };
        if self.layers.is_empty() || k0 == 0.0 {
            point.without_init_variance()
        } else {
            let inf = Infinite::from_sums(&sums, k0, p, self.p_minus_d, self.noise);
            point.with_infinite(inf)
        }
    }
}
