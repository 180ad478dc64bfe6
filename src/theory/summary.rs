//! What was resolved from a model and its theory, for reports (the JSON output), and the
//! validity note of the nonlinear theory.

use super::{LayerCoefficients, Theory};
use crate::model::{Model, Normalization};
use crate::spec::limits::MIN_EFFECTIVE_RANK;
use crate::support::progress::Note;
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
