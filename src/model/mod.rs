//! The model built from its specification ([`Model`]: covariances generated and
//! normalised, target weights along Σ0's basis) and its spectral reduction (THEORY §2,
//! [`spectra`]).

pub(crate) mod quadrature;
pub(crate) mod spectra;

pub use spectra::DataSpectrum;

use crate::spec::{CovarianceKind, CovarianceSpec, Error, ModelSpec, Result, INPUT_KEY};
use crate::support::linalg::setup_par;
use crate::support::progress::Progress;
use quadrature::Grid;
use serde::Serialize;
use spectra::{BuildError, Built};
use std::sync::Arc;

/// What a model is built for: the theory needs spectra only (eigenvectors only for a Γ
/// that does not commute with Σ0); the simulation needs every matrix and eigenvector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Theory,
    Simulation,
}

/// A built model: every covariance generated and normalised, target weights along Σ0's basis.
#[derive(Clone, Debug)]
pub struct Model {
    pub(crate) spec: ModelSpec,
    /// Σ0 (normalised).
    pub(crate) data: Built,
    /// Γ (normalised).
    pub(crate) input: Built,
    /// S_1 … S_L (normalised).
    pub(crate) layers: Vec<Built>,
    /// `b_j` along Σ0's basis with `Σ σ_j b_j = 1`.
    pub(crate) target_weights: Vec<f64>,
}

fn err(spec: &ModelSpec, key: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::input(spec.source(), key, msg)
}

/// Config key of a covariance, for errors (a matrix file is named by its `path`).
fn cov_key(key: &str, c: &CovarianceSpec) -> String {
    match c.kind {
        CovarianceKind::Matrix { .. } => format!("{key}.path"),
        _ => key.to_string(),
    }
}

/// A covariance that was not built, as the crate's error (an input error at its key).
fn build_error(spec: &ModelSpec, key: String, e: BuildError) -> Error {
    match e {
        BuildError::Invalid(m) => m.at(spec.source(), key),
        BuildError::Interrupted => Error::Interrupted { done: 0, total: 1, unit: "eigendecomposition" },
    }
}

/// `(Σ m)²/Σ m²` of a data spectrum (0 for a zero one).
pub fn effective_rank(modes: &DataSpectrum) -> f64 {
    let (s1, s2) = (modes.sum(|m, _| m), modes.sum(|m, _| m * m));
    if s2 > 0.0 {
        s1 * s1 / s2
    } else {
        0.0
    }
}

/// The nodes of a compressed data side (SCALING §2): over j = 1…n0, or for n0 = ∞ up to
/// where the slowest of the theory's sums (Σ m ∝ j^−q_m, the task power ∝ j^−(a+t)) has
/// converged.
fn data_grid(spec: &ModelSpec) -> Result<Grid> {
    if !spec.is_infinite() {
        return Ok(Grid::finite(spec.dim()));
    }
    let exponent = |k: &CovarianceKind| match k {
        CovarianceKind::PowerLaw { exponent } => *exponent,
        _ => 0.0,
    };
    let a = exponent(&spec.data().kind);
    let m = match spec.input().kind {
        CovarianceKind::DataPower { exponent } => a * (1.0 + exponent),
        ref k => a + exponent(k),
    };
    let t = match spec.target() {
        crate::spec::Target::PowerLaw { exponent } => *exponent,
        crate::spec::Target::Isotropic | crate::spec::Target::Weights { .. } => 0.0,
    };
    let max = Grid::infinite_max_exponent();
    if a.max(m) > max {
        let key =
            if a > max { "data.covariance.exponent".to_string() } else { format!("{INPUT_KEY}.exponent") };
        return Err(err(
            spec,
            key,
            format!(
                "at n0 = ∞ the eigenvalues j^−{} underflow within the first indices: exponents up to {max:.1}",
                crate::spec::text::num(a.max(m))
            ),
        ));
    }
    Grid::infinite(m.min(a + t), a.max(m))
        .map_err(|e| err(spec, "data.dim", format!("n0 = ∞ is out of reach: {e}")))
}

/// Explicit head of a nonlinear layer's compressed unit scales: the chain sums its classes
/// (times the offset nodes) at every step, and its sums are smooth in the unit index well
/// before j = 200 (tested against explicit classes to 1e-10).
const CLASS_HEAD: usize = 200;

/// The nodes of a compressed layer: one node of weight n_ℓ for the identity (exact), the
/// grid of SCALING §2 for a power law (with a shorter head for a nonlinear layer's classes).
fn layer_grid(l: &crate::spec::LayerSpec) -> Grid {
    match l.covariance.kind {
        CovarianceKind::Identity => Grid { j: vec![1.0], w: vec![l.width as f64], size: l.width as f64 },
        _ if !l.activation.is_linear() => Grid::finite_with_head(l.width, CLASS_HEAD),
        _ => Grid::finite(l.width),
    }
}

/// A model built for simulation: every covariance explicit, with its matrix and
/// eigenvectors (a model built for the theory may lack them or hold compressed spectra).
/// Only [`Model::for_simulation`] makes one, so a simulator cannot be handed a theory model.
#[derive(Clone, Debug)]
pub struct SimModel(Model);

impl std::ops::Deref for SimModel {
    type Target = Model;
    fn deref(&self) -> &Model {
        &self.0
    }
}

impl Model {
    /// Builds `spec` for simulation (see [`SimModel`]).
    pub fn for_simulation(spec: &ModelSpec, progress: &dyn Progress) -> Result<SimModel> {
        Model::build(spec, Purpose::Simulation, progress).map(SimModel)
    }

    /// The specification the model was built from.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// Generates and normalises every covariance of `spec`, with the eigenvectors `purpose`
    /// needs. Dense eigendecompositions are announced to `progress`.
    pub fn build(spec: &ModelSpec, purpose: Purpose, progress: &dyn Progress) -> Result<Model> {
        let par = setup_par();
        let vectors = match purpose {
            Purpose::Simulation => true,
            Purpose::Theory => spectra::reduction_needs_vectors(&spec.data().kind, &spec.input().kind),
        };
        let theory = purpose == Purpose::Theory;
        let grid = if theory && spec.compressed_data() { Some(Arc::new(data_grid(spec)?)) } else { None };
        let data = spectra::build(spec.data(), spec.dim(), None, grid.as_ref(), vectors, par, progress)
            .map_err(|e| build_error(spec, cov_key("data.covariance", spec.data()), e))?;
        let input =
            spectra::build(spec.input(), spec.dim(), Some(&data.cov), grid.as_ref(), vectors, par, progress)
                .map_err(|e| build_error(spec, cov_key(INPUT_KEY, spec.input()), e))?;
        if let Some(&min) = input.cov.eigenvalues().iter().min_by(|a, b| a.total_cmp(b)) {
            if min <= 0.0 {
                return Err(err(
                    spec,
                    INPUT_KEY,
                    "Γ must be positive definite, but it has a zero eigenvalue",
                ));
            }
        }
        let layers = spec
            .layers()
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let grid = (theory && spec.compressed_layer(i)).then(|| Arc::new(layer_grid(l)));
                spectra::build(&l.covariance, l.width, None, grid.as_ref(), !theory, par, progress).map_err(
                    |e| build_error(spec, cov_key(&format!("layers[{i}].covariance"), &l.covariance), e),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let target_weights = spectra::target_weights(spec.target(), &data.cov)
            .map_err(|e| err(spec, "data.target", e.to_string()))?;
        Ok(Model { spec: spec.clone(), data, input, layers, target_weights })
    }

    /// The effective rank (tr M)²/tr M² of M = Γ^{1/2}Σ0Γ^{1/2} of a spec, from its reduced
    /// data side alone (no layer is built).
    pub(crate) fn effective_rank_of(spec: &ModelSpec, progress: &dyn Progress) -> Result<f64> {
        let modes = Model::build(spec, Purpose::Theory, progress)?.modes(progress)?;
        Ok(effective_rank(&modes))
    }

    /// Whether any spectrum was built as weighted nodes (SCALING §2).
    pub fn is_compressed(&self) -> bool {
        self.compressed_parts().iter().any(|&c| c)
    }

    /// For the data side, then each layer: whether it was built as weighted nodes.
    pub fn compressed_parts(&self) -> Vec<bool> {
        std::iter::once(&self.data).chain(&self.layers).map(|b| b.cov.grid().is_some()).collect()
    }

    /// Whether Γ's eigenpairs are stored along Σ0's basis (Γ built by `data_power`).
    fn input_shares_data_basis(&self) -> bool {
        matches!(self.spec.input().kind, CovarianceKind::DataPower { .. })
    }

    /// The reduced data side of THEORY §2: m (eigenvalues of M) and c².
    pub fn modes(&self, progress: &dyn Progress) -> Result<DataSpectrum> {
        spectra::reduce(
            &self.data.cov,
            &self.input.cov,
            &self.target_weights,
            self.input_shares_data_basis(),
            setup_par(),
            progress,
        )
        .map_err(|e| err(&self.spec, INPUT_KEY, e.to_string()))
    }

    /// The normalisation applied to each covariance: data, input, layer1, …
    pub(crate) fn normalizations(&self) -> Vec<Normalization> {
        let mut out = vec![Normalization::of("data", &self.data), Normalization::of("input", &self.input)];
        for (i, b) in self.layers.iter().enumerate() {
            out.push(Normalization::of(&format!("layer{}", i + 1), b));
        }
        out
    }
}

/// Normalisation applied to one covariance.
#[derive(Clone, Debug, Serialize)]
pub struct Normalization {
    /// Which covariance: `data`, `input`, `layer1`, …
    pub name: String,
    /// Mean eigenvalue before normalisation.
    pub raw_mean_eigenvalue: f64,
    /// Factor applied (1 when `normalize = false`).
    pub scale: f64,
}

impl Normalization {
    fn of(name: &str, b: &Built) -> Self {
        Normalization { name: name.to_string(), raw_mean_eigenvalue: b.raw_mean, scale: b.scale }
    }
}
