//! A dataset as the population of the model (`[data] source = { features, labels }`):
//! what was read and what the theory takes from it. Made by `support::dataset`; nothing
//! here reads a file.

use nalgebra::DMatrix;
use std::sync::Arc;

/// A dataset of N rows and n0 features with its labels, treated as the population (its
/// empirical distribution), in the units of the files. Its derived quantities define the
/// model: Σ0 = the (centred) empirical covariance, β* = the least-squares (minimum-norm)
/// linear predictor of the labels, η² = the residual variance.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Where it came from (the features file, for messages and reports).
    pub source: String,
    /// N × n0 features, centred when `center` (each column minus its mean).
    pub features: Arc<DMatrix<f64>>,
    /// N labels, centred when `center`.
    pub labels: Arc<Vec<f64>>,
    /// Whether features and labels were centred.
    pub center: bool,
    /// Eigenvalues of Σ0 = XᵀX/N, descending, rounding-level negatives set to 0.
    pub eigenvalues: Arc<Vec<f64>>,
    /// Their eigenvectors (columns, n0 × n0).
    pub vectors: Arc<DMatrix<f64>>,
    /// β*'s squared coordinates along the eigenvectors, b_j = (u_jᵀβ*)² (the target's
    /// variances, in the order of `eigenvalues`).
    pub target: Arc<Vec<f64>>,
    /// β* in the features' coordinates.
    pub beta: Arc<Vec<f64>>,
    /// The signal β*ᵀΣ0β* (the labels' units squared).
    pub signal: f64,
    /// The residual variance η² = mean (y − xᵀβ*)² (the labels' units squared).
    pub residual: f64,
    /// A hash of the numbers (features, labels, centring): store keys of its trials.
    pub hash: u64,
}

impl Dataset {
    /// Number of rows N.
    pub fn rows(&self) -> usize {
        self.features.nrows()
    }

    /// Number of features n0.
    pub fn dim(&self) -> usize {
        self.features.ncols()
    }

    /// The label noise relative to the signal, η²/β*ᵀΣ0β* (THEORY's normalisation).
    pub fn relative_noise(&self) -> f64 {
        self.residual / self.signal
    }

    /// Σ0 as a matrix, U diag(σ) Uᵀ.
    pub fn covariance(&self) -> DMatrix<f64> {
        let u = &*self.vectors;
        let scaled = DMatrix::from_fn(u.nrows(), u.ncols(), |i, j| u[(i, j)] * self.eigenvalues[j]);
        &scaled * u.transpose()
    }
}
