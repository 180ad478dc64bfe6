//! Ensembles over feature draws (THEORY §7).
//!
//! K learners trained on the same data with independent weights, averaged, have the error
//! `E_g(K) = E_∞ + (E_g − E_∞)/K` exactly. The infinite ensemble `E_∞` is ridge regression
//! on the Γ-transformed data at the renormalised ridge `κ_0 (1 − d/p)` of the single
//! learner; with `γ_0 = Σ m²/(m+κ_0)²`, `T_0 = Σ m/(m+κ_0)²`:
//!
//! ```text
//! B_∞ = κ_0² Σ c² m/(m+κ_0)²,     1 − γ_0/p = (p − d)/p + κ_0 T_0/p
//! E_∞ = (B_∞ + η² γ_0/p)/(1 − γ_0/p)
//! ```
//!
//! The second form of `1 − γ_0/p` (from `d − γ_0 = κ_0 T_0`) has no cancellation where
//! `γ_0 → p` (ridgeless, past a bottleneck layer), so E_∞ stays accurate up to p = r.

use super::spectrum::DataSums;
use super::Point;
use crate::model::spectra::DataSpectrum;

pub use crate::spec::Ensemble;

/// The §7 quantities of a point for an ensemble (the vocabulary type lives in `spec`).
impl Ensemble {
    /// E_g(K) of a point: `E_∞ + (E_g − E_∞)/K` (exactly E_g for K = 1). `None` for K > 1
    /// when the point has no E_∞ (a network with a nonlinear layer).
    pub fn error(self, pt: &Point) -> Option<f64> {
        self.combine(pt.error, pt.error_inf)
    }

    /// The bias part of E_g(K) (the same 1/K law holds for bias and variance separately).
    pub fn bias(self, pt: &Point) -> Option<f64> {
        self.combine(pt.bias, pt.bias_inf)
    }

    /// The variance part of E_g(K).
    pub fn variance(self, pt: &Point) -> Option<f64> {
        self.combine(pt.variance, pt.variance_inf)
    }

    fn combine(self, single: f64, infinite: Option<f64>) -> Option<f64> {
        match self {
            Ensemble::Members(1) => Some(single),
            Ensemble::Members(k) => infinite.map(|i| i + excess(single, i) / k as f64),
            Ensemble::Infinite => infinite,
        }
    }
}

/// `single − infinite ≥ 0`, with `∞ − ∞ = 0` (both infinite at a data-bottleneck threshold)
/// and rounding-level negatives clamped to 0 (the difference is ≥ 0 exactly).
pub(crate) fn excess(single: f64, infinite: f64) -> f64 {
    if single == infinite {
        0.0
    } else {
        (single - infinite).max(0.0)
    }
}

/// E_∞ and its bias and variance parts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Infinite {
    pub error: f64,
    pub bias: f64,
    pub variance: f64,
}

impl Infinite {
    /// The single learner's own values: the infinite ensemble equals it without hidden
    /// layers, when the data is the bottleneck (κ_0 = 0) and for the null predictor (κ_0 = ∞).
    pub(crate) fn same_as(error: f64, bias: f64, variance: f64) -> Self {
        Infinite { error, bias, variance }
    }

    /// §7 from the data spectrum `m`, target weights `c²`, the single learner's κ_0 ∈ (0, ∞),
    /// p and `p − d` (exact), and the noise η².
    pub(crate) fn from_kappa(modes: &DataSpectrum, kappa0: f64, p: f64, p_minus_d: f64, noise: f64) -> Self {
        Self::from_sums(&DataSums::new(modes, kappa0), kappa0, p, p_minus_d, noise)
    }

    /// As [`Infinite::from_kappa`], from the data sums at κ_0.
    pub(crate) fn from_sums(sums: &DataSums, kappa0: f64, p: f64, p_minus_d: f64, noise: f64) -> Self {
        let one_minus = p_minus_d / p + kappa0 * sums.t / p;
        let bias = kappa0 * kappa0 * sums.hh / one_minus;
        let variance = noise * (sums.gamma / p) / one_minus;
        Infinite { error: bias + variance, bias, variance }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ridge regression on isotropic data at α = p/n < 1, ridge κ̃ → 0 (min-norm): E =
    /// (1 − α) + η² α/(1 − α), the closed form of §7.
    #[test]
    fn isotropic_min_norm_regression() {
        let n = 400;
        let m = vec![1.0; n];
        let c2 = vec![1.0 / n as f64; n];
        let (p, eta2) = (100.0, 0.3);
        // d = p, df(κ0) = n/(1+κ0) = p.
        let k0 = n as f64 / p - 1.0;
        let e = Infinite::from_kappa(&DataSpectrum::new(m.clone(), c2.clone()), k0, p, 0.0, eta2);
        let alpha = p / n as f64;
        let want = (1.0 - alpha) + eta2 * alpha / (1.0 - alpha);
        assert!((e.error - want).abs() < 1e-12, "{e:?} vs {want}");
        assert!((e.bias - (1.0 - alpha)).abs() < 1e-12);
    }

    #[test]
    fn combine_and_display() {
        let pt = |e: f64, ei: f64| Point {
            samples: 1.0,
            alpha: 1.0,
            ridge: 0.0,
            error: e,
            bias: e,
            variance: 0.0,
            train_error: 0.0,
            test_mse: e,
            df: 1.0,
            df2: 1.0,
            kappa: 0.0,
            kappa_data: 0.0,
            kappa_layers: vec![],
            error_inf: Some(ei),
            bias_inf: Some(ei),
            variance_inf: Some(0.0),
            init_variance: Some(excess(e, ei)),
        };
        let a = pt(3.0, 1.0);
        assert_eq!(Ensemble::SINGLE.error(&a), Some(3.0));
        assert_eq!(Ensemble::Members(4).error(&a), Some(1.5));
        assert_eq!(Ensemble::Infinite.error(&a), Some(1.0));
        assert_eq!(Ensemble::Members(4).bias(&a), Some(1.5));
        // Both infinite (data-bottleneck threshold): every ensemble is +∞, never NaN.
        let b = pt(f64::INFINITY, f64::INFINITY);
        assert_eq!(b.init_variance, Some(0.0));
        assert_eq!(Ensemble::Members(4).error(&b), Some(f64::INFINITY));
        // Layer-bottleneck threshold: finite E_∞, infinite single learner.
        let c = pt(f64::INFINITY, 0.7);
        assert_eq!(Ensemble::Members(16).error(&c), Some(f64::INFINITY));
        assert_eq!(Ensemble::Infinite.error(&c), Some(0.7));
        // No E_∞ (a nonlinear network): only the single learner is known.
        let mut d = pt(2.0, 1.0);
        d.error_inf = None;
        assert_eq!((Ensemble::SINGLE.error(&d), Ensemble::Members(2).error(&d)), (Some(2.0), None));
        assert_eq!(Ensemble::Members(7).to_string(), "7");
        assert_eq!(Ensemble::Infinite.to_string(), "infinite");
    }
}
