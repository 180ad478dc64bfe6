//! The theory: saddle-point equations of THEORY §3, their solution and the observables
//! of §4.
//!
//! * [`spectrum`]: trace functions `df`, `T` and the inverse `κ_a(d)` of one spectrum.
//! * [`solver`]: the order parameters (d, κ_0, κ_ℓ) at one (p, λ), every regime.
//! * [`observables`]: E_g, bias, variance, training error from the order parameters.
//! * [`activation`]: activations and their Gaussian-equivalent coefficients (NONLINEAR.md §2).
//! * [`measure`]: per-layer unit classes and the offset propagation of the nonlinear theory.
//! * [`nonlinear`]: the one-unknown chain of the nonlinear theory (NONLINEAR.md §5).
//! * [`ensemble`]: the infinite ensemble over weight draws and E_g(K) (§7).
//! * [`optimal`]: the ridge λ* minimising E_g (or an ensemble's E_g(K)).
//! * [`trained`]: the readout trained as a `Training` says (converged, gradient flow,
//!   early stopping) — the one place that chooses between them.

mod activation;
pub(crate) mod descent;
mod dynamics;
mod ensemble;
pub mod features;
mod measure;
mod nonlinear;
mod observables;
mod optimal;
mod roots;
mod sgd;
mod solver;
mod spectrum;
mod summary;
mod trained;

pub use activation::Moments;
pub use descent::DescentCurve;
pub use dynamics::{Stepping, TimePoint};
pub use ensemble::Ensemble;
pub use observables::Point;
pub use sgd::{ComputeFrontier, ComputePoint, ExponentWindow, Measures, SgdCurve, SgdPoint};
use spectrum::Spectrum;
pub use summary::{Count, DatasetSummary, ModelSummary};
pub use trained::TrainedPoint;

use crate::model::spectra::DataSpectrum;
use crate::model::{Model, Purpose};
use crate::spec::{Activation, Error, ModelSpec, Result};
use crate::support::progress::Progress;
use nonlinear::{Chain, ChainLayer, ChainWarm};
use serde::Serialize;

pub use crate::model::effective_rank;

/// The reduced model the theory needs (THEORY §2): data spectrum `m` with target weights
/// `c²`, and for every hidden layer its width `n_ℓ` and the eigenvalues `s_ℓ` of `S_ℓ`.
#[derive(Clone, Debug)]
pub struct Theory {
    /// n0 (∞ for an infinite model).
    n0: f64,
    noise: f64,
    modes: DataSpectrum,
    widths: Vec<usize>,
    /// n_1 … n_L as numbers (the widths, or real ones: [`Theory::with_width`]).
    sizes: Vec<f64>,
    /// Each layer's S_ℓ as given (for the nonlinear chain's unit classes).
    layer_spectra: Vec<LayerSpectrum>,
    /// Index 0: the data spectrum m; index ℓ ≥ 1: layer ℓ's spectrum s_ℓ.
    spectra: Vec<Spectrum>,
    /// min of the spectra's ranks (∞ when all are infinite).
    rank: f64,
    /// The theory of NONLINEAR.md when a layer is nonlinear.
    nonlinear: Option<Nonlinear>,
}

/// One hidden layer's width and the eigenvalues of its S_ℓ, explicit or at weighted nodes.
#[derive(Clone, Debug)]
struct LayerSpectrum {
    width: usize,
    values: Vec<f64>,
    weights: Option<Vec<f64>>,
}

/// A warm start carried from one point to the next on a sweep.
#[derive(Clone, Debug, Default)]
pub(crate) struct Warm {
    /// The linear solver's solution at the previous point.
    linear: Option<solver::LinearWarm>,
    chain: ChainWarm,
}

#[derive(Clone, Debug)]
struct Nonlinear {
    chain: Chain,
    layers: Vec<LayerCoefficients>,
}

/// The Gaussian-equivalent coefficients of one hidden layer (NONLINEAR.md §2), as unit
/// means over the layer's units and, after a non-centred layer, their offsets.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LayerCoefficients {
    pub activation: Activation,
    /// Mean centred preactivation variance v = s V_{ℓ−1} over the units.
    pub preactivation_variance: f64,
    /// Mean variance s B_{ℓ−1} of the units' frozen offsets (0 after a centred layer).
    pub offset_variance: f64,
    /// Mean μ0 = E σ(h).
    pub mu0: f64,
    /// Mean μ1 = E σ'(h).
    pub mu1: f64,
    /// √(mean μ*²): the Gaussian-equivalent noise.
    pub mustar: f64,
    /// Number of unit classes the theory sums over (distinct scales × offset nodes).
    pub classes: usize,
}

impl Theory {
    /// The reduced model of THEORY §2 of a built model, ready to solve.
    pub fn from_model(model: &Model, progress: &dyn Progress) -> Result<Theory> {
        let modes = model.modes(progress)?;
        let spec = &model.spec;
        let layers: Vec<LayerSpectrum> = spec
            .layers()
            .iter()
            .zip(&model.layers)
            .map(|(l, b)| LayerSpectrum {
                width: l.width,
                values: b.cov.eigenvalues().to_vec(),
                weights: b.cov.grid().map(|g| g.w.clone()),
            })
            .collect();
        let activations: Vec<Activation> = spec.layers().iter().map(|l| l.activation).collect();
        Theory::weighted(spec.dim_f64(), spec.noise(), modes, layers).with_activations(&activations)
    }

    /// The theory of a model specification (built for the theory, then reduced).
    pub fn from_spec(spec: &ModelSpec, progress: &dyn Progress) -> Result<Theory> {
        Theory::from_model(&Model::build(spec, Purpose::Theory, progress)?, progress)
    }

    /// `n0` input dimension, `noise` the label-noise variance η², `modes` the reduced data
    /// spectrum, `layers` the (width, eigenvalues of S_ℓ) of each hidden layer, input side first.
    pub fn new(n0: usize, noise: f64, modes: DataSpectrum, layers: &[(usize, Vec<f64>)]) -> Self {
        let layers = layers
            .iter()
            .map(|(w, s)| LayerSpectrum { width: *w, values: s.clone(), weights: None })
            .collect();
        Theory::weighted(n0 as f64, noise, modes, layers)
    }

    /// As [`Theory::new`] with possibly compressed spectra (SCALING §2) and n0 possibly ∞.
    fn weighted(n0: f64, noise: f64, modes: DataSpectrum, layers: Vec<LayerSpectrum>) -> Self {
        let mut spectra = vec![Spectrum::weighted(&modes.m, modes.weights.as_deref(), modes.rank())];
        spectra.extend(layers.iter().map(|l| match &l.weights {
            None => Spectrum::new(&l.values),
            Some(w) => Spectrum::weighted(&l.values, Some(w), l.width as f64),
        }));
        let rank = spectra.iter().map(Spectrum::rank).fold(f64::INFINITY, f64::min);
        Theory {
            n0,
            noise,
            modes,
            widths: layers.iter().map(|l| l.width).collect(),
            sizes: layers.iter().map(|l| l.width as f64).collect(),
            layer_spectra: layers,
            spectra,
            rank,
            nonlinear: None,
        }
    }

    /// The theory of the same network with an activation per hidden layer (NONLINEAR.md,
    /// in the convention where the readout sees √(n0/n_L)·a_L), input side first. All
    /// linear: unchanged. Each layer's units have the scales of the diagonal of its S_ℓ
    /// (only the values and their counts matter).
    pub(crate) fn with_activations(mut self, activations: &[Activation]) -> Result<Self> {
        assert_eq!(activations.len(), self.widths.len(), "one activation per hidden layer");
        if activations.iter().all(|a| a.is_linear()) {
            return Ok(self);
        }
        let scales: Vec<measure::Scales<'_>> = self
            .layer_spectra
            .iter()
            .map(|l| measure::Scales {
                values: &l.values,
                weights: l.weights.as_deref(),
                units: l.width as f64,
            })
            .collect();
        let layers: Vec<(Activation, measure::Scales<'_>)> =
            activations.iter().copied().zip(scales).collect();
        let v0 = self.modes.sum(|m, _| m) / self.n0;
        let measures = measure::propagate(v0, &layers);
        let mut coefficients = Vec::with_capacity(layers.len());
        let mut chain_layers = Vec::with_capacity(layers.len());
        let (mut fan_in, mut v_prev, mut b_prev) = (self.n0 as usize, v0, 0.0);
        for ((act, s), (measure, &width)) in layers.iter().zip(measures.into_iter().zip(&self.widths)) {
            let mean_s = s.sum(|x| x) / width as f64;
            coefficients.push(LayerCoefficients {
                activation: *act,
                preactivation_variance: mean_s * v_prev,
                offset_variance: mean_s * b_prev,
                mu0: measure.mean_mu0,
                mu1: measure.mean_mu1,
                mustar: measure.mean_mustar2.sqrt(),
                classes: measure.t.len(),
            });
            (v_prev, b_prev) = (measure.v, measure.b);
            chain_layers.push(ChainLayer::new(fan_in, width, measure));
            fan_in = width;
        }
        let chain = Chain::new(&self.modes, self.n0 as usize, self.noise, chain_layers).map_err(|e| {
                Error::Numerical(format!(
                    "the nonlinear theory cannot be set up: the lower end κ_0* of the feasible κ_0 (NONLINEAR.md §5): {e}"
                ))
            })?;
        self.rank = chain.threshold().round();
        self.nonlinear = Some(Nonlinear { chain, layers: coefficients });
        Ok(self)
    }

    /// Whether a hidden layer is nonlinear (the theory of NONLINEAR.md).
    pub(crate) fn is_nonlinear(&self) -> bool {
        self.nonlinear.is_some()
    }

    /// The Gaussian-equivalent coefficients of every hidden layer (`None` when all are linear).
    pub fn coefficients(&self) -> Option<&[LayerCoefficients]> {
        self.nonlinear.as_ref().map(|n| n.layers.as_slice())
    }

    /// The effective rank `(tr M)²/tr M²` of M = Γ^{1/2}Σ0Γ^{1/2}: Gaussian equivalence
    /// needs it large (NONLINEAR.md §6: ≳ 50–100).
    pub fn effective_rank(&self) -> f64 {
        effective_rank(&self.modes)
    }

    /// `r = min(rank m, rank s_1, …, rank s_L)`: the interpolation threshold of ridgeless
    /// regression (with a nonlinear layer: the rank d* of the features, n_L); ∞ for n0 = ∞
    /// without hidden layers.
    pub fn rank(&self) -> f64 {
        self.rank
    }

    /// Full passes over the spectra this theory has made so far (elements of every
    /// spectrum visited, over their total): the solver's cost, independent of the machine.
    pub fn passes(&self) -> f64 {
        let sizes: Vec<f64> = self.spectra.iter().map(|s| s.stored() as f64).collect();
        let total: f64 = sizes.iter().sum();
        let visited: f64 = self.spectra.iter().zip(&sizes).map(|(s, &n)| s.passes() as f64 * n).sum();
        visited / total.max(1.0)
    }

    /// `df(κ) = Σ m/(m+κ)` of the data spectrum M: the degrees of freedom a ridge κ leaves.
    pub fn data_df(&self, kappa: f64) -> f64 {
        self.spectra[0].df(kappa)
    }

    /// The width-limited error E_∞(N) = κ0 Σ m c²/(m+κ0) with Σ m/(m+κ0) = N (SCALING §4):
    /// the limit p → ∞ of the ridgeless error behind a hidden layer of width N < rank M.
    pub fn width_limited_error(&self, n: f64) -> Option<f64> {
        let e = self.spectra[0].rank() - n;
        let k0 = self.spectra[0].kappa(n, e, None).ok()?;
        Some(k0 * self.modes.sum(|m, c| m * c / (m + k0)))
    }

    /// Input dimension n0 (∞ for an infinite model).
    pub fn dim(&self) -> f64 {
        self.n0
    }

    /// Label-noise variance η².
    pub fn noise(&self) -> f64 {
        self.noise
    }

    /// Number of hidden layers L.
    pub fn depth(&self) -> usize {
        self.widths.len()
    }

    /// Layer widths n_1 … n_L.
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// The same linear network with layer `layer` (1-based) of real width n ≥ 1, when its
    /// S_ℓ is a multiple of the identity (its spectrum is then n copies of one value, and
    /// the theory is continuous in n); `None` otherwise (a nonlinear network, another S).
    /// Used where a width is a continuous variable: the budget frontier.
    pub fn with_width(&self, layer: usize, n: f64) -> Option<Theory> {
        let i = layer.checked_sub(1).filter(|&i| i < self.widths.len())?;
        let l = &self.layer_spectra[i];
        let s = *l.values.first()?;
        if self.is_nonlinear() || !(n >= 1.0 && n.is_finite()) || l.values.iter().any(|&v| v != s) {
            return None;
        }
        let mut out = self.clone();
        out.spectra[layer] = Spectrum::weighted(&[s], Some(&[n]), n);
        out.layer_spectra[i] =
            LayerSpectrum { width: n.round() as usize, values: vec![s], weights: Some(vec![n]) };
        out.widths[i] = n.round() as usize;
        out.sizes[i] = n;
        out.rank = out.spectra.iter().map(Spectrum::rank).fold(f64::INFINITY, f64::min);
        Some(out)
    }

    /// n_1 … n_L as numbers (real after [`Theory::with_width`]).
    pub fn sizes(&self) -> &[f64] {
        &self.sizes
    }

    /// Rank of each spectrum: data first, then layers (∞ for n0 = ∞).
    pub fn ranks(&self) -> Vec<f64> {
        self.spectra.iter().map(Spectrum::rank).collect()
    }

    /// The learning-curve point at `samples` = p and ridge λ ≥ 0 (THEORY §3–4).
    pub fn point(&self, samples: usize, ridge: f64) -> Result<Point> {
        self.point_at(samples as f64, ridge)
    }

    /// As [`Theory::point`] at a real sample size p > 0: the equations are continuous in p
    /// (the interpolation threshold is p = r exactly).
    pub fn point_at(&self, samples: f64, ridge: f64) -> Result<Point> {
        self.point_warm(samples, ridge, &mut Warm::default())
    }

    /// As [`Theory::point`], reusing and updating a warm start from a nearby point.
    pub(crate) fn point_warm(&self, samples: f64, ridge: f64, warm: &mut Warm) -> Result<Point> {
        let pt = match &self.nonlinear {
            None => solver::solve(self, samples, ridge, &mut warm.linear)?,
            Some(nl) => self.nonlinear_point(&nl.chain, samples, ridge, &mut warm.chain)?,
        };
        match pt.inconsistency() {
            None => Ok(pt),
            Some((name, value)) => Err(Error::Solver {
                samples,
                ridge,
                equation: "observables (THEORY §4)".into(),
                detail: format!("{name} = {value:e}: the solution lost its precision (extreme scales?)"),
            }),
        }
    }

    /// A point of the nonlinear theory, in the readout's units: κ = κ_L·n0/n_L is the ridge
    /// of λ = κ(1 − d/p); the layer κ's are the chain's (NONLINEAR.md §5). No §7 fields.
    fn nonlinear_point(
        &self,
        chain: &Chain,
        samples: f64,
        ridge: f64,
        warm: &mut ChainWarm,
    ) -> Result<Point> {
        let o = chain.point_warm(samples, ridge, warm).map_err(|e| Error::Solver {
            samples,
            ridge,
            equation: "nonlinear chain (NONLINEAR.md §5): λ = κ_L (1 − d_L/p)".into(),
            detail: e.to_string(),
        })?;
        let n_l = *self.widths.last().expect("a nonlinear theory has layers") as f64;
        Ok(Point {
            samples,
            alpha: samples / self.n0,
            ridge,
            error: o.error,
            bias: o.bias,
            variance: o.variance,
            train_error: o.train_error,
            test_mse: o.error + self.noise,
            df: o.df,
            df2: o.df2,
            kappa: o.kappa * self.n0 / n_l,
            kappa_data: o.kappa_data,
            kappa_layers: o.kappa_layers,
            error_inf: None,
            bias_inf: None,
            variance_inf: None,
            init_variance: None,
        })
    }
}

/// The theory of a config's model given as TOML text, for the theory's unit tests.
#[cfg(test)]
pub(crate) fn test_theory(text: &str) -> Theory {
    let cfg = crate::spec::Config::from_toml_str(text).expect("a valid test config");
    Theory::from_spec(cfg.model(), &crate::support::progress::Silent).expect("a theory")
}
