//! Covariance recipes and target priors (THEORY §1): what a config asks for, before
//! anything is built, with the rules that keep them buildable.

use super::dataset::Dataset;
use super::error::Invalid;
use nalgebra::DMatrix;
use std::sync::Arc;

/// Checks that `j^(−exponent)`, j = 1..n, stays within floating-point range (the ratio of
/// the largest to the smallest value is n^|exponent|). At n0 = ∞
/// ([`INFINITE_DIM`](super::limits::INFINITE_DIM)) only finiteness is checked here: the
/// compressed grid of j = 1…∞ ends where its sums have converged and refuses, with its own
/// message, a spectrum whose values leave floating-point range before that.
pub fn check_power_law(exponent: f64, n: usize) -> Result<(), Invalid> {
    if !exponent.is_finite() {
        return Err(Invalid(format!("expected a finite exponent, got {exponent}")));
    }
    if n == super::limits::INFINITE_DIM {
        return Ok(());
    }
    if exponent.abs() * (n.max(1) as f64).ln() > 600.0 {
        return Err(Invalid(format!(
            "exponent {exponent} is too large for dimension {n}: n^|exponent| overflows (|exponent| ≤ {:.1})",
            600.0 / (n.max(2) as f64).ln()
        )));
    }
    Ok(())
}

/// How a covariance is generated, before normalisation (validated values).
#[derive(Clone, Debug, PartialEq)]
pub enum CovarianceKind {
    /// `I`.
    Identity,
    /// Diagonal with entry `j = 1..n` equal to `j^(−exponent)`.
    PowerLaw { exponent: f64 },
    /// Diagonal with the given non-negative entries (length `n`; shared, so that cloning a
    /// config per figure point is cheap).
    Diagonal { values: Arc<Vec<f64>> },
    /// Dense Toeplitz `ρ^|i−j|`, `|ρ| < 1`.
    Ar1 { rho: f64 },
    /// Dense symmetric matrix read from a file (PSD is checked when it is built; shared).
    Matrix { matrix: Arc<DMatrix<f64>> },
    /// `Γ = Σ0^exponent` (first-layer input covariance only): shares Σ0's eigenvectors.
    DataPower { exponent: f64 },
    /// Σ0 of a dataset (`[data] source`): its empirical covariance, with the
    /// eigendecomposition made when it was read (data covariance only).
    Empirical { data: Arc<Dataset> },
}

impl CovarianceKind {
    /// Whether the built matrix is dense (needs an O(n³) eigendecomposition).
    pub fn is_dense(&self) -> bool {
        matches!(
            self,
            CovarianceKind::Ar1 { .. } | CovarianceKind::Matrix { .. } | CovarianceKind::Empirical { .. }
        )
    }
}

/// A covariance specification: its kind and whether to rescale it to mean eigenvalue 1.
#[derive(Clone, Debug, PartialEq)]
pub struct CovarianceSpec {
    pub kind: CovarianceKind,
    pub normalize: bool,
}

impl CovarianceSpec {
    /// The identity, normalised (the default of every optional covariance).
    pub fn identity() -> Self {
        CovarianceSpec { kind: CovarianceKind::Identity, normalize: true }
    }
}

impl CovarianceKind {
    /// The name of the kind in configs (`"file"` for a matrix read from a file).
    pub fn name(&self) -> &'static str {
        match self {
            CovarianceKind::Identity => "identity",
            CovarianceKind::PowerLaw { .. } => "power_law",
            CovarianceKind::Diagonal { .. } => "diagonal",
            CovarianceKind::Ar1 { .. } => "ar1",
            CovarianceKind::Matrix { .. } => "file",
            CovarianceKind::DataPower { .. } => "data_power",
            CovarianceKind::Empirical { .. } => "dataset",
        }
    }

    /// Whether the kind has a fixed size (explicit values or a file): it cannot follow a
    /// change of dimension.
    pub fn has_fixed_size(&self) -> bool {
        matches!(
            self,
            CovarianceKind::Diagonal { .. }
                | CovarianceKind::Matrix { .. }
                | CovarianceKind::Empirical { .. }
        )
    }
}

/// The target's prior weights `b_j` along Σ0's basis `u_j` (THEORY §1).
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// `b_j` constant.
    Isotropic,
    /// `b_j ∝ j^(−exponent)`, `j = 1..n0` along `u_j`.
    PowerLaw { exponent: f64 },
    /// Given `b_j` (n0 values ≥ 0, not all 0) along `u_j`: from a file (`kind = "file"`)
    /// or a dataset's least-squares predictor (b_j = (u_jᵀβ*)²).
    Weights { values: Arc<Vec<f64>> },
}

/// Checks that a matrix is square and symmetric (to 1e-10 of its largest entry).
pub fn check_symmetric(matrix: &DMatrix<f64>) -> Result<(), Invalid> {
    let n = matrix.nrows();
    if n != matrix.ncols() {
        return Err(Invalid(format!("expected a square matrix, got {} × {}", n, matrix.ncols())));
    }
    let scale = matrix.iter().fold(0.0_f64, |m, &x| m.max(x.abs())).max(f64::MIN_POSITIVE);
    for i in 0..n {
        for j in 0..i {
            if (matrix[(i, j)] - matrix[(j, i)]).abs() > 1e-10 * scale {
                return Err(Invalid(format!(
                    "expected a symmetric matrix, but entry ({}, {}) = {} differs from ({}, {}) = {}",
                    i + 1,
                    j + 1,
                    matrix[(i, j)],
                    j + 1,
                    i + 1,
                    matrix[(j, i)]
                )));
            }
        }
    }
    Ok(())
}
