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

pub mod activation;
pub mod ensemble;
pub mod measure;
pub mod nonlinear;
pub mod observables;
pub mod optimal;
pub mod solver;
pub mod spectrum;

pub use ensemble::Ensemble;
pub use observables::Point;
pub use spectrum::Spectrum;

use crate::spectra::DataSpectrum;

/// The reduced model the theory needs (THEORY §2): data spectrum `m` with target weights
/// `c²`, and for every hidden layer its width `n_ℓ` and the eigenvalues `s_ℓ` of `S_ℓ`.
#[derive(Clone, Debug)]
pub struct Theory {
    n0: usize,
    noise: f64,
    modes: DataSpectrum,
    widths: Vec<usize>,
    /// Index 0: the data spectrum m; index ℓ ≥ 1: layer ℓ's spectrum s_ℓ.
    spectra: Vec<Spectrum>,
    rank: usize,
}

impl Theory {
    /// `n0` input dimension, `noise` the label-noise variance η², `modes` the reduced data
    /// spectrum, `layers` the (width, eigenvalues of S_ℓ) of each hidden layer, input side first.
    pub fn new(n0: usize, noise: f64, modes: DataSpectrum, layers: &[(usize, Vec<f64>)]) -> Self {
        let mut spectra = vec![Spectrum::new(&modes.m)];
        spectra.extend(layers.iter().map(|(_, s)| Spectrum::new(s)));
        let rank = spectra.iter().map(Spectrum::rank).min().unwrap_or(0);
        Theory { n0, noise, modes, widths: layers.iter().map(|(w, _)| *w).collect(), spectra, rank }
    }

    /// `r = min(rank m, rank s_1, …, rank s_L)`: the interpolation threshold of ridgeless regression.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Input dimension n0.
    pub fn dim(&self) -> usize {
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

    /// Rank of each spectrum: data first, then layers.
    pub fn ranks(&self) -> Vec<usize> {
        self.spectra.iter().map(Spectrum::rank).collect()
    }

    /// The learning-curve point at `samples` = p and ridge λ ≥ 0 (THEORY §3–4).
    pub fn point(&self, samples: usize, ridge: f64) -> crate::Result<Point> {
        self.point_at(samples as f64, ridge)
    }

    /// As [`Theory::point`] at a real sample size p > 0: the equations are continuous in p
    /// (the interpolation threshold is p = r exactly).
    pub fn point_at(&self, samples: f64, ridge: f64) -> crate::Result<Point> {
        solver::solve(self, samples, ridge, &mut None)
    }

    /// As [`Theory::point`], reusing and updating a warm start from a nearby point.
    pub(crate) fn point_warm(
        &self,
        samples: f64,
        ridge: f64,
        warm: &mut Option<f64>,
    ) -> crate::Result<Point> {
        solver::solve(self, samples, ridge, warm)
    }
}
