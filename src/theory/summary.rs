//! What was resolved from a model and its theory, for reports (the JSON output), and the
//! validity note of the nonlinear theory.

use super::{LayerCoefficients, Theory};
use crate::model::{Model, Normalization};
use crate::spec::limits::MIN_EFFECTIVE_RANK;
use crate::spec::CovarianceKind;
use crate::support::progress::Note;
use crate::support::stats::{power_law_fit, PowerFit};
use serde::Serialize;

/// A size that may be infinite (n0 = ∞): written as an integer, or `"infinite"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Count(pub f64);

impl Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.serialize_u64(self.0 as u64)
        } else {
            s.serialize_str("infinite")
        }
    }
}

/// What was resolved from a spec, for reports (JSON output).
#[derive(Clone, Debug, Serialize)]
pub struct ModelSummary {
    pub dim: Count,
    pub noise: f64,
    pub widths: Vec<usize>,
    /// Ranks of m (data, after Γ) and of each S_ℓ; the ridgeless threshold is their minimum.
    pub ranks: Vec<Count>,
    pub threshold: Count,
    /// Whether the data side is summed as weighted nodes (SCALING §2), and each layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressed: Option<Vec<bool>>,
    /// Effective rank (tr M)²/tr M² of M = Γ^{1/2}Σ0Γ^{1/2} (NONLINEAR.md §6).
    pub effective_rank: f64,
    /// Gaussian-equivalent coefficients of every hidden layer, when one is nonlinear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activations: Option<Vec<LayerCoefficients>>,
    pub normalizations: Vec<Normalization>,
    /// The dataset the model comes from (`[data] source`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<DatasetSummary>,
}

/// What the model took from a dataset, with the factors that convert back to its units
/// and the power laws of its spectrum and task power.
#[derive(Clone, Debug, Serialize)]
pub struct DatasetSummary {
    /// The features file.
    pub source: String,
    pub rows: usize,
    pub features: usize,
    pub centered: bool,
    /// β*ᵀΣ0β* in the labels' units squared: an error E in the model's units is E × signal
    /// in the labels' (squared) units.
    pub signal: f64,
    /// η² in the labels' units squared (the model's η² is residual/signal).
    pub residual: f64,
    /// The factor Σ0 was multiplied by (1/its mean eigenvalue): the model's inputs are
    /// √feature_scale × the (centred) features, its labels the labels / √signal.
    pub feature_scale: f64,
    /// σ_j ∝ j^−a fitted to Σ0's spectrum (None below 12 positive eigenvalues).
    pub spectrum_exponent: Option<PowerFit>,
    /// σ_j b_j ∝ j^−(a+t) fitted to the task power.
    pub task_exponent: Option<PowerFit>,
}

impl ModelSummary {
    /// Sizes, ranks and normalisations of a built model and its theory.
    pub fn new(model: &Model, theory: &Theory) -> Self {
        ModelSummary {
            dim: Count(model.spec.dim_f64()),
            noise: model.spec.noise(),
            widths: model.spec.layers().iter().map(|l| l.width).collect(),
            ranks: theory.ranks().into_iter().map(Count).collect(),
            threshold: Count(theory.rank()),
            compressed: model.is_compressed().then(|| model.compressed_parts()),
            effective_rank: theory.effective_rank(),
            activations: theory.coefficients().map(<[_]>::to_vec),
            normalizations: model.normalizations(),
            dataset: match &model.spec.data().kind {
                CovarianceKind::Empirical { data } => Some(DatasetSummary {
                    source: data.source.clone(),
                    rows: data.rows(),
                    features: data.dim(),
                    centered: data.center,
                    signal: data.signal,
                    residual: data.residual,
                    feature_scale: model.data.scale,
                    spectrum_exponent: power_law_fit(&data.eigenvalues),
                    task_exponent: power_law_fit(
                        &data
                            .eigenvalues
                            .iter()
                            .zip(data.target.iter())
                            .map(|(s, b)| s * b)
                            .collect::<Vec<_>>(),
                    ),
                }),
                _ => None,
            },
        }
    }
}

impl Theory {
    /// The note for a network with a non-affine layer whose input has an effective rank
    /// below [`MIN_EFFECTIVE_RANK`] (`None` otherwise); `source` names the config.
    pub fn gaussian_equivalence_note(&self, source: &str) -> Option<Note> {
        let nonaffine = self.coefficients().is_some_and(|l| l.iter().any(|c| !c.activation.is_affine()));
        let rank = self.effective_rank();
        (nonaffine && rank < MIN_EFFECTIVE_RANK)
            .then(|| Note::LowEffectiveRank { source: source.into(), rank })
    }
}
