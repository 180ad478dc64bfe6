//! The model of THEORY §1 as a typed specification ([`ModelSpec`]) and its built form
//! ([`Model`]: covariances generated and normalised, target weights, reduced spectra).

use crate::error::{Error, Result};
use crate::linalg::setup_par;
use crate::progress::Progress;
use crate::resources::{MAX_SIZE, MIN_SIZE};
use crate::spectra::{self, Built, Covariance, CovarianceKind, CovarianceSpec, Target};
use crate::theory::activation::Activation;
use crate::theory::Theory;
use serde::Serialize;

/// What a model is built for: the theory needs spectra only (eigenvectors only for a Γ
/// that does not commute with Σ0); the simulation needs every matrix and eigenvector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Theory,
    Simulation,
}

/// One hidden layer: width `n_ℓ`, the row covariance `S_ℓ` and the elementwise activation
/// (NONLINEAR.md; `Linear` is the model of THEORY.md).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSpec {
    pub width: usize,
    pub covariance: CovarianceSpec,
    pub activation: Activation,
}

impl LayerSpec {
    /// A linear layer.
    pub fn linear(width: usize, covariance: CovarianceSpec) -> Self {
        LayerSpec { width, covariance, activation: Activation::Linear }
    }

    /// Whether `S_ℓ` is a dense matrix.
    pub fn is_dense(&self) -> bool {
        self.covariance.kind.is_dense()
    }
}

/// A validated model specification (sizes and covariance recipes, nothing built yet).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// Name of the file the spec came from, used in error messages.
    pub source: String,
    /// Input dimension n0.
    pub dim: usize,
    /// Label-noise variance η² ≥ 0.
    pub noise: f64,
    /// Data covariance Σ0.
    pub data: CovarianceSpec,
    /// Target prior.
    pub target: Target,
    /// First-layer input covariance Γ (identity when there is no hidden layer).
    pub input: CovarianceSpec,
    /// Hidden layers, input side first.
    pub layers: Vec<LayerSpec>,
}

/// A built model: every covariance generated and normalised, target weights along Σ0's basis.
#[derive(Clone, Debug)]
pub struct Model {
    pub spec: ModelSpec,
    /// Σ0 (normalised).
    pub data: Built,
    /// Γ (normalised).
    pub input: Built,
    /// S_1 … S_L (normalised).
    pub layers: Vec<Built>,
    /// `b_j` along Σ0's basis with `Σ σ_j b_j = 1`.
    pub target_weights: Vec<f64>,
}

/// Key of the first layer's Γ in the config, for error messages.
const INPUT_KEY: &str = "layers[0].input_covariance";

impl ModelSpec {
    fn err(&self, key: impl Into<String>, msg: impl Into<String>) -> Error {
        Error::input(&self.source, key, msg)
    }

    /// Config key of a covariance, for errors (a matrix file is named by its `path`).
    fn cov_key(key: &str, c: &CovarianceSpec) -> String {
        match c.kind {
            CovarianceKind::Matrix { .. } => format!("{key}.path"),
            _ => key.to_string(),
        }
    }

    /// Whether any hidden layer has a nonlinear activation (the theory of NONLINEAR.md).
    pub fn is_nonlinear(&self) -> bool {
        self.layers.iter().any(|l| !l.activation.is_linear())
    }

    /// Whether a hidden layer's activation is not affine: Gaussian equivalence is then an
    /// approximation, reliable only at a large effective rank (NONLINEAR.md §6).
    pub fn has_nonaffine_layer(&self) -> bool {
        self.layers.iter().any(|l| !l.activation.is_affine())
    }

    /// The effective rank (tr M)²/tr M² of M = Γ^{1/2}Σ0Γ^{1/2}, from the reduced data side
    /// alone (no layer's theory is built).
    pub fn effective_rank(&self, progress: &dyn Progress) -> Result<f64> {
        let modes = self.build(Purpose::Theory, progress)?.modes(progress)?;
        Ok(crate::theory::effective_rank(&modes.m))
    }

    /// Dimensions of the dense covariances (Σ0, Γ, S_ℓ), for memory estimates.
    pub fn dense_dims(&self) -> Vec<usize> {
        let mut d = Vec::new();
        if self.data.kind.is_dense() {
            d.push(self.dim);
        }
        if self.input.kind.is_dense()
            || (self.has_dense_data() && self.input.kind != CovarianceKind::Identity)
        {
            d.push(self.dim);
        }
        d.extend(self.layers.iter().filter(|l| l.is_dense()).map(|l| l.width));
        d
    }

    /// Whether the simulation maps white noise to inputs through a dense matrix.
    pub fn has_dense_data(&self) -> bool {
        self.data.kind.is_dense() || self.input.kind.is_dense()
    }

    /// Generates and normalises every covariance, with the eigenvectors `purpose` needs.
    /// Dense eigendecompositions are announced to `progress`.
    pub fn build(&self, purpose: Purpose, progress: &dyn Progress) -> Result<Model> {
        let par = setup_par();
        let vectors = match purpose {
            Purpose::Simulation => true,
            Purpose::Theory => spectra::reduction_needs_vectors(&self.data.kind, &self.input.kind),
        };
        let data = spectra::build(&self.data, self.dim, None, vectors, par, progress)
            .map_err(|m| self.err(Self::cov_key("data.covariance", &self.data), m))?;
        let input = spectra::build(&self.input, self.dim, Some(&data.cov), vectors, par, progress)
            .map_err(|m| self.err(Self::cov_key(INPUT_KEY, &self.input), m))?;
        if let Some(&min) = input.cov.eigenvalues().iter().min_by(|a, b| a.total_cmp(b)) {
            if min <= 0.0 {
                return Err(self.err(INPUT_KEY, "Γ must be positive definite, but it has a zero eigenvalue"));
            }
        }
        let layers = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                spectra::build(&l.covariance, l.width, None, purpose == Purpose::Simulation, par, progress)
                    .map_err(|m| {
                        self.err(Self::cov_key(&format!("layers[{i}].covariance"), &l.covariance), m)
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let target_weights = spectra::target_weights(&self.target, &data.cov)
            .map_err(|e| self.err("data.target", e.to_string()))?;
        Ok(Model { spec: self.clone(), data, input, layers, target_weights })
    }

    /// The reduced model of THEORY §2 (built for the theory, then reduced).
    pub fn theory(&self, progress: &dyn Progress) -> Result<Theory> {
        self.build(Purpose::Theory, progress)?.theory(progress)
    }

    /// The same model with n0 and every width multiplied by `factor` (rounded); spectra are
    /// regenerated at the new sizes. Fixed-length kinds cannot be rescaled, and every size
    /// must stay within [`MIN_SIZE`]..=[`MAX_SIZE`] (errors name the option `scale`).
    pub fn scaled(&self, factor: f64) -> Result<ModelSpec> {
        if factor == 1.0 {
            return Ok(self.clone());
        }
        let check = |key: &str, n: usize| -> Result<usize> {
            let m = scale_size(n, factor);
            if (MIN_SIZE..=MAX_SIZE).contains(&m) {
                Ok(m)
            } else {
                Err(Error::option(
                    "scale",
                    format!(
                        "{} makes {key} = {n} × {} ≈ {m}, outside {MIN_SIZE}..={MAX_SIZE}",
                        crate::output::num(factor),
                        crate::output::num(factor)
                    ),
                ))
            }
        };
        let fixed = |c: &CovarianceSpec, key: &str| -> Result<()> {
            match c.kind {
                CovarianceKind::Diagonal { .. } | CovarianceKind::Matrix { .. } => Err(self.err(
                    key,
                    "a covariance given by explicit values or a file has a fixed size and cannot be rescaled (use scale = 1)",
                )),
                _ => Ok(()),
            }
        };
        fixed(&self.data, "data.covariance")?;
        fixed(&self.input, INPUT_KEY)?;
        let mut out = self.clone();
        out.dim = check("data.dim", self.dim)?;
        for (i, l) in out.layers.iter_mut().enumerate() {
            fixed(&l.covariance, &format!("layers[{i}].covariance"))?;
            l.width = check(&format!("layers[{i}].width"), l.width)?;
        }
        Ok(out)
    }
}

/// `round(n · factor)`, at least 1 (saturating at `usize::MAX`).
pub fn scale_size(n: usize, factor: f64) -> usize {
    let x = (n as f64 * factor).round();
    if x >= usize::MAX as f64 {
        usize::MAX
    } else {
        (x as usize).max(1)
    }
}

/// What was resolved from a spec, for reports (JSON output).
#[derive(Clone, Debug, Serialize)]
pub struct ModelSummary {
    pub dim: usize,
    pub noise: f64,
    pub widths: Vec<usize>,
    /// Ranks of m (data, after Γ) and of each S_ℓ; the ridgeless threshold is their minimum.
    pub ranks: Vec<usize>,
    pub threshold: usize,
    /// Effective rank (tr M)²/tr M² of M = Γ^{1/2}Σ0Γ^{1/2} (NONLINEAR.md §6).
    pub effective_rank: f64,
    /// Gaussian-equivalent coefficients of every hidden layer, when one is nonlinear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activations: Option<Vec<crate::theory::LayerCoefficients>>,
    pub normalizations: Vec<Normalization>,
}

/// Effective rank (tr M)²/tr M² below which a nonlinear network gets a warning: Gaussian
/// equivalence needs many input directions per unit (NONLINEAR.md §6: it held at r_eff ≥ 83
/// and failed by up to 15% at 26, 45% at 5).
pub const MIN_EFFECTIVE_RANK: f64 = 50.0;

impl ModelSummary {
    /// The warning line for a nonlinear network whose input has an effective rank below
    /// [`MIN_EFFECTIVE_RANK`] (`None` otherwise); `source` names the config.
    pub fn gaussian_equivalence_warning(&self, source: &str) -> Option<String> {
        low_rank_warning(self.activations.as_deref(), self.effective_rank, source)
    }
}

/// As [`ModelSummary::gaussian_equivalence_warning`], from a theory.
pub fn gaussian_equivalence_warning(theory: &Theory, source: &str) -> Option<String> {
    low_rank_warning(theory.coefficients(), theory.effective_rank(), source)
}

fn low_rank_warning(
    layers: Option<&[crate::theory::LayerCoefficients]>,
    r: f64,
    source: &str,
) -> Option<String> {
    let nonlinear = layers.is_some_and(|l| l.iter().any(|c| !c.activation.is_affine()));
    (nonlinear && r < MIN_EFFECTIVE_RANK).then(|| effective_rank_warning(source, r))
}

/// What every low-effective-rank warning line contains.
pub const EFFECTIVE_RANK_WARNING: &str = "the input's effective rank (tr M)²/tr M² is";

/// The line of [`ModelSummary::gaussian_equivalence_warning`] at effective rank `r`.
pub fn effective_rank_warning(source: &str, r: f64) -> String {
    format!(
        "warning: {source}: {EFFECTIVE_RANK_WARNING} {r:.1} < {MIN_EFFECTIVE_RANK}: \
         Gaussian equivalence, which the nonlinear theory rests on, is unreliable at this effective rank \
         (NONLINEAR.md §6); `lcurve validate` measures the actual deviation"
    )
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

impl Model {
    /// Whether Γ's eigenpairs are stored along Σ0's basis (Γ built by `data_power`).
    fn input_shares_data_basis(&self) -> bool {
        matches!(self.spec.input.kind, CovarianceKind::DataPower { .. })
    }

    /// The reduced model of THEORY §2, ready to solve.
    pub fn theory(&self, progress: &dyn Progress) -> Result<Theory> {
        let modes = self.modes(progress)?;
        let layers: Vec<(usize, Vec<f64>)> = self
            .spec
            .layers
            .iter()
            .zip(&self.layers)
            .map(|(l, b)| (l.width, b.cov.eigenvalues().to_vec()))
            .collect();
        let activations: Vec<(Activation, &[f64])> =
            self.spec.layers.iter().zip(&layers).map(|(l, (_, s))| (l.activation, s.as_slice())).collect();
        Theory::new(self.spec.dim, self.spec.noise, modes, &layers).with_activations(&activations)
    }

    /// The reduced data side of THEORY §2: m (eigenvalues of M) and c².
    fn modes(&self, progress: &dyn Progress) -> Result<spectra::DataSpectrum> {
        spectra::reduce(
            &self.data.cov,
            &self.input.cov,
            &self.target_weights,
            self.input_shares_data_basis(),
            setup_par(),
            progress,
        )
        .map_err(|e| self.spec.err(INPUT_KEY, e.to_string()))
    }

    /// Sizes, ranks and normalisations, for reports.
    pub fn summary(&self, theory: &Theory) -> ModelSummary {
        let mut normalizations =
            vec![Normalization::of("data", &self.data), Normalization::of("input", &self.input)];
        for (i, b) in self.layers.iter().enumerate() {
            normalizations.push(Normalization::of(&format!("layer{}", i + 1), b));
        }
        ModelSummary {
            dim: self.spec.dim,
            noise: self.spec.noise,
            widths: self.spec.layers.iter().map(|l| l.width).collect(),
            ranks: theory.ranks(),
            threshold: theory.rank(),
            effective_rank: theory.effective_rank(),
            activations: theory.coefficients().map(<[_]>::to_vec),
            normalizations,
        }
    }

    /// Σ0 as built.
    pub fn data_covariance(&self) -> &Covariance {
        &self.data.cov
    }
}

impl Normalization {
    fn of(name: &str, b: &Built) -> Self {
        Normalization { name: name.to_string(), raw_mean_eigenvalue: b.raw_mean, scale: b.scale }
    }
}
