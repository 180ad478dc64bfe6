//! Covariance matrices of the model and the spectral reduction of THEORY §2.
//!
//! A covariance is either diagonal in the standard basis or a dense symmetric
//! matrix kept with its eigendecomposition. Only spectra reach the theory:
//! [`reduce`] turns (Σ0, Γ, target) into the eigenvalues `m_i` of
//! `M = Γ^{1/2} Σ0 Γ^{1/2}` and the target weights `c_i²`.

use crate::spec::limits::MAX_DENSE_DIM;
use crate::spec::{check_symmetric, CovarianceKind, CovarianceSpec, Error, Invalid, Result, Target};
use crate::support::linalg::{self, gemm, Op, SymEigen};
use crate::support::progress::{interruptible, Progress};
use crate::support::resources;
use faer::Par;
use nalgebra::DMatrix;

/// A built covariance matrix.
#[derive(Clone, Debug)]
pub(crate) enum Covariance {
    /// `diag(values)` in the standard basis.
    Diagonal(Vec<f64>),
    /// A dense symmetric PSD matrix, by its spectrum and (when built with eigenvectors)
    /// the matrix and its eigenvectors.
    Dense(Dense),
}

/// A dense covariance. Eigenvalues are in the order of the basis it was built in:
/// descending for a matrix, Σ0's basis order for `data_power`.
#[derive(Clone, Debug)]
pub(crate) struct Dense {
    pub values: Vec<f64>,
    /// The matrix and its eigenvectors (columns, in the order of `values`); absent when
    /// only the spectrum was asked for (the theory with a commuting Γ).
    pub full: Option<DenseFull>,
}

/// The matrix of a dense covariance with its eigenvectors.
#[derive(Clone, Debug)]
pub(crate) struct DenseFull {
    pub matrix: DMatrix<f64>,
    pub vectors: DMatrix<f64>,
}

impl Covariance {
    /// Dimension `n` of the (n × n) matrix.
    pub(crate) fn dim(&self) -> usize {
        self.eigenvalues().len()
    }

    /// Eigenvalues along the basis vectors `u_j` of THEORY §1: index order for a diagonal
    /// covariance, the stored order for a dense one.
    pub(crate) fn eigenvalues(&self) -> &[f64] {
        match self {
            Covariance::Diagonal(v) => v,
            Covariance::Dense(d) => &d.values,
        }
    }

    /// The matrix and eigenvectors of a dense covariance built with them.
    fn full(&self) -> Option<&DenseFull> {
        match self {
            Covariance::Dense(d) => d.full.as_ref(),
            Covariance::Diagonal(_) => None,
        }
    }

    /// The eigenvectors of a dense covariance (None: diagonal, the standard basis).
    /// Panics if a dense covariance was built without them (a programming error: the
    /// model asks for them whenever a consumer needs them).
    pub(crate) fn basis(&self) -> Option<&DMatrix<f64>> {
        match self {
            Covariance::Diagonal(_) => None,
            Covariance::Dense(_) => Some(&self.full().expect(NO_VECTORS).vectors),
        }
    }

    /// Mean eigenvalue `tr/n`.
    pub(crate) fn mean_eigenvalue(&self) -> f64 {
        let v = self.eigenvalues();
        v.iter().sum::<f64>() / v.len() as f64
    }

    fn scale(&mut self, s: f64) {
        match self {
            Covariance::Diagonal(v) => v.iter_mut().for_each(|x| *x *= s),
            Covariance::Dense(d) => {
                d.values.iter_mut().for_each(|x| *x *= s);
                if let Some(f) = &mut d.full {
                    f.matrix *= s;
                }
            }
        }
    }

    /// The dense matrix (built on demand for a diagonal covariance).
    pub(crate) fn to_dense(&self) -> DMatrix<f64> {
        match self {
            Covariance::Diagonal(v) => DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(v)),
            Covariance::Dense(_) => self.full().expect(NO_VECTORS).matrix.clone(),
        }
    }

    /// `C^power` (symmetric), e.g. `power = 0.5` for a square root; zero eigenvalues stay zero
    /// for positive powers.
    pub(crate) fn power_dense(&self, power: f64, par: Par) -> DMatrix<f64> {
        match self {
            Covariance::Diagonal(v) => DMatrix::from_diagonal(&nalgebra::DVector::from_iterator(
                v.len(),
                v.iter().map(|&x| pow0(x, power)),
            )),
            Covariance::Dense(d) => {
                let f = d.full.as_ref().expect(NO_VECTORS);
                let e = SymEigen { values: d.values.clone(), vectors: f.vectors.clone() };
                linalg::spectral_function(&e, |x| pow0(x, power), par)
            }
        }
    }

    /// The diagonal of `C^power` when C is diagonal (zero eigenvalues stay zero), else `None`.
    pub(crate) fn power_diagonal(&self, power: f64) -> Option<Vec<f64>> {
        match self {
            Covariance::Diagonal(v) => Some(v.iter().map(|&x| pow0(x, power)).collect()),
            Covariance::Dense(_) => None,
        }
    }

    /// Number of positive eigenvalues.
    pub(crate) fn rank(&self) -> usize {
        self.eigenvalues().iter().filter(|&&x| x > 0.0).count()
    }

    /// Whether this is a multiple of the identity (then it commutes with every matrix).
    pub(crate) fn is_scalar(&self) -> bool {
        let v = self.eigenvalues();
        v.iter().all(|&x| x == v[0])
    }
}

const NO_VECTORS: &str = "dense covariance built without eigenvectors";

/// `x^power` on eigenvalues, with zero eigenvalues staying zero (pseudo-powers).
fn pow0(x: f64, power: f64) -> f64 {
    if x > 0.0 {
        x.powf(power)
    } else {
        0.0
    }
}

/// A built covariance together with the normalisation that was applied.
#[derive(Clone, Debug)]
pub(crate) struct Built {
    pub cov: Covariance,
    /// Mean eigenvalue before normalisation.
    pub raw_mean: f64,
    /// Factor the raw matrix was multiplied by (`1/raw_mean`, or 1 with `normalize = false`).
    pub scale: f64,
}

/// Relative threshold below which a computed eigenvalue of a dense matrix counts as zero.
fn zero_threshold(values: &[f64]) -> f64 {
    let max = values.iter().fold(0.0_f64, |m, &x| m.max(x.abs()));
    max * 1e-12 * (values.len().max(1) as f64).sqrt()
}

/// Checks a descending spectrum for positive semi-definiteness; tiny negative eigenvalues
/// (rounding) are set to zero.
fn clean_psd(values: &mut [f64]) -> std::result::Result<(), Invalid> {
    let tol = zero_threshold(values);
    if let Some(&min) = values.last() {
        if min < -tol {
            return Err(Invalid(format!(
                "expected a positive semi-definite matrix, but it has eigenvalue {min:.4e}"
            )));
        }
    }
    for v in values.iter_mut() {
        if *v < tol {
            *v = 0.0;
        }
    }
    Ok(())
}

/// Eigendecomposition of a dense symmetric matrix with PSD check; tiny negative
/// eigenvalues (rounding) are set to zero. `Err(msg)` describes the violation.
pub(crate) fn psd_eigen(matrix: &DMatrix<f64>, par: Par) -> std::result::Result<SymEigen, Invalid> {
    check_symmetric(matrix)?;
    let mut eigen = linalg::sym_eigen(matrix, par).map_err(|e| Invalid(e.to_string()))?;
    clean_psd(&mut eigen.values)?;
    Ok(eigen)
}

/// A dense covariance from its matrix: eigenvalues always, eigenvectors if `vectors`.
/// The O(n³) step is announced to `progress` with its estimated duration.
/// Why a covariance was not built: a broken rule (the caller attaches the config key), or
/// the run was cancelled during a dense eigendecomposition.
#[derive(Debug)]
pub(crate) enum BuildError {
    Invalid(Invalid),
    Interrupted,
}

impl From<Invalid> for BuildError {
    fn from(e: Invalid) -> Self {
        BuildError::Invalid(e)
    }
}

fn dense(
    matrix: DMatrix<f64>,
    vectors: bool,
    par: Par,
    progress: &dyn Progress,
) -> std::result::Result<Covariance, BuildError> {
    let n = matrix.nrows();
    if n > MAX_DENSE_DIM {
        return Err(Invalid(format!(
            "a dense {n} × {n} matrix is too large (at most {MAX_DENSE_DIM}); use a diagonal kind"
        ))
        .into());
    }
    check_symmetric(&matrix)?;
    let what = if vectors { "eigendecomposition" } else { "eigenvalues" };
    let estimate = resources::eigen_seconds(n, vectors);
    let announce = estimate > 0.5;
    if announce {
        progress.start(&format!("{what} of a {n} × {n} covariance (≈ {})", resources::duration(estimate)), 0);
    }
    let decompose = move || {
        let result = if vectors {
            linalg::sym_eigen(&matrix, par).map(|e| (e.values, Some(e.vectors)))
        } else {
            linalg::sym_eigenvalues(&matrix, par).map(|v| (v, None))
        };
        (matrix, result)
    };
    // A long decomposition runs where a cancellation can stop the wait for it.
    let done = if announce { interruptible(progress, decompose) } else { Some(decompose()) };
    if announce {
        progress.finish();
    }
    let (matrix, result) = done.ok_or(BuildError::Interrupted)?;
    let (mut values, vectors) = result.map_err(|e| Invalid(e.to_string()))?;
    clean_psd(&mut values)?;
    let full = vectors.map(|vectors| DenseFull { matrix, vectors });
    Ok(Covariance::Dense(Dense { values, full }))
}

/// Builds an `n × n` covariance from its spec. `data` is Σ0 (needed by `data_power`).
/// `vectors` asks a dense covariance for its matrix and eigenvectors (the simulation and
/// a non-commuting reduction need them; the spectrum alone is several times cheaper).
/// Errors are messages to be attached to the config key by the caller.
pub(crate) fn build(
    spec: &CovarianceSpec,
    n: usize,
    data: Option<&Covariance>,
    vectors: bool,
    par: Par,
    progress: &dyn Progress,
) -> std::result::Result<Built, BuildError> {
    let cov = match &spec.kind {
        CovarianceKind::Identity => Covariance::Diagonal(vec![1.0; n]),
        CovarianceKind::PowerLaw { exponent } => {
            Covariance::Diagonal((1..=n).map(|j| (j as f64).powf(-exponent)).collect())
        }
        CovarianceKind::Diagonal { values } => {
            if values.len() != n {
                return Err(
                    Invalid(format!("expected {n} values (the dimension), got {}", values.len())).into()
                );
            }
            Covariance::Diagonal(values.to_vec())
        }
        CovarianceKind::Ar1 { rho } => {
            if n > MAX_DENSE_DIM {
                return Err(Invalid(format!(
                    "a dense {n} × {n} matrix is too large (at most {MAX_DENSE_DIM}); use a diagonal kind"
                ))
                .into());
            }
            let matrix = DMatrix::from_fn(n, n, |i, j| rho.powi((i as i32 - j as i32).abs()));
            dense(matrix, vectors, par, progress)?
        }
        CovarianceKind::Matrix { matrix } => {
            if matrix.nrows() != n {
                return Err(Invalid(format!(
                    "expected a {n} × {n} matrix (the dimension), got {} × {}",
                    matrix.nrows(),
                    matrix.ncols()
                ))
                .into());
            }
            dense(DMatrix::clone(matrix), vectors, par, progress)?
        }
        CovarianceKind::DataPower { exponent } => {
            let data = data.ok_or_else(|| {
                Invalid("data_power is only allowed for the first layer's input_covariance".into())
            })?;
            let pow = |x: f64| -> std::result::Result<f64, Invalid> {
                if x > 0.0 {
                    Ok(x.powf(*exponent))
                } else if *exponent == 0.0 {
                    Ok(1.0)
                } else {
                    Err(Invalid(format!(
                        "Σ0 has a zero eigenvalue, so Σ0^{exponent} is not positive definite"
                    )))
                }
            };
            let values: Vec<f64> =
                data.eigenvalues().iter().map(|&x| pow(x)).collect::<std::result::Result<_, _>>()?;
            match data {
                Covariance::Diagonal(_) => Covariance::Diagonal(values),
                Covariance::Dense(d) => {
                    let full = match (&d.full, vectors) {
                        (Some(f), true) => {
                            let e = SymEigen { values: values.clone(), vectors: f.vectors.clone() };
                            let matrix = linalg::spectral_function(&e, |x| x, par);
                            Some(DenseFull { matrix, vectors: f.vectors.clone() })
                        }
                        (None, true) => return Err(Invalid(NO_VECTORS.into()).into()),
                        (_, false) => None,
                    };
                    Covariance::Dense(Dense { values, full })
                }
            }
        }
    };
    let values = cov.eigenvalues();
    if let Some(bad) = values.iter().find(|x| !x.is_finite()) {
        return Err(Invalid(format!(
            "eigenvalue {bad} is not finite (exponent too large for this dimension?)"
        ))
        .into());
    }
    if let Some(bad) = values.iter().find(|&&x| x < 0.0) {
        return Err(Invalid(format!("expected non-negative eigenvalues, got {bad}")).into());
    }
    let raw_mean = cov.mean_eigenvalue();
    if raw_mean.is_infinite() {
        let max = values.iter().fold(0.0_f64, |m, &x| m.max(x));
        return Err(Invalid(format!(
            "the eigenvalues' mean overflows (largest {max:e}): give values of a smaller scale (they are normalised to mean 1 anyway)"
        )).into());
    }
    if raw_mean.is_nan() || raw_mean <= 0.0 {
        return Err(Invalid("the covariance is zero (mean eigenvalue 0)".into()).into());
    }
    let scale = if spec.normalize { 1.0 / raw_mean } else { 1.0 };
    let mut cov = cov;
    cov.scale(scale);
    if cov.eigenvalues().iter().any(|x| !x.is_finite() || (*x > 0.0 && *x < f64::MIN_POSITIVE)) {
        return Err(Invalid(
            "eigenvalues overflow or underflow after normalisation (exponent too large for this dimension?)"
                .into(),
        )
        .into());
    }
    Ok(Built { cov, raw_mean, scale })
}

/// Weights `b_j` along Σ0's basis, normalised so that `Σ_j σ_j b_j = 1` (unit expected signal).
pub(crate) fn target_weights(target: &Target, data: &Covariance) -> Result<Vec<f64>> {
    let sigma = data.eigenvalues();
    let raw: Vec<f64> = match target {
        Target::Isotropic => vec![1.0; sigma.len()],
        Target::PowerLaw { exponent } => (1..=sigma.len()).map(|j| (j as f64).powf(-exponent)).collect(),
    };
    let signal: f64 = raw.iter().zip(sigma).map(|(b, s)| b * s).sum();
    if !(signal > 0.0 && signal.is_finite()) {
        return Err(Error::Numerical(format!(
            "the target has expected signal {signal} under Σ0; it cannot be normalised to 1"
        )));
    }
    Ok(raw.iter().map(|b| b / signal).collect())
}

/// Data-level spectrum of THEORY §2: eigenvalues `m_i` of `M = Γ^{1/2} Σ0 Γ^{1/2}` and
/// expected squared target coefficients `c_i²` (so `Σ_i m_i c_i² = Σ_j σ_j b_j = 1`).
#[derive(Clone, Debug)]
pub struct DataSpectrum {
    pub m: Vec<f64>,
    pub c2: Vec<f64>,
}

/// Γ's eigenvalue along each of Σ0's basis vectors when Γ and Σ0 commute in that basis
/// (both diagonal, Γ scalar, or Γ built from Σ0 by `data_power`); `None` otherwise.
fn gamma_in_data_basis(data: &Covariance, gamma: &Covariance, shares_basis: bool) -> Option<Vec<f64>> {
    let n = data.dim();
    match (data, gamma) {
        _ if gamma.is_scalar() => Some(vec![gamma.eigenvalues()[0]; n]),
        (Covariance::Diagonal(_), Covariance::Diagonal(g)) => Some(g.clone()),
        (Covariance::Dense(_), Covariance::Dense(g)) if shares_basis => Some(g.values.clone()),
        _ => None,
    }
}

/// Whether the reduction of (Σ0, Γ) needs eigenvectors: only when Γ does not commute with
/// Σ0 in Σ0's basis (decided from the recipes, before anything is built).
pub(crate) fn reduction_needs_vectors(data: &CovarianceKind, gamma: &CovarianceKind) -> bool {
    let commutes = matches!(gamma, CovarianceKind::Identity | CovarianceKind::DataPower { .. })
        || (!data.is_dense() && !gamma.is_dense())
        || matches!(gamma, CovarianceKind::PowerLaw { exponent } if *exponent == 0.0);
    !commutes
}

/// Spectral reduction (THEORY §2). `shares_basis` says that a dense Γ's eigenpairs are
/// stored along Σ0's basis (`data_power`). Uses the co-diagonal shortcut
/// `m_i = γ_i σ_i`, `c_i² = b_i/γ_i` whenever it applies, else the dense path (which needs
/// both covariances built with eigenvectors).
pub(crate) fn reduce(
    data: &Covariance,
    gamma: &Covariance,
    b: &[f64],
    shares_basis: bool,
    par: Par,
    progress: &dyn Progress,
) -> Result<DataSpectrum> {
    match gamma_in_data_basis(data, gamma, shares_basis) {
        Some(g) => Ok(reduce_codiagonal(data.eigenvalues(), &g, b)),
        None => reduce_dense(data, gamma, b, par, progress),
    }
}

/// Co-diagonal shortcut: `m_i = γ_i σ_i`, `c_i² = b_i/γ_i`.
pub(crate) fn reduce_codiagonal(sigma: &[f64], gamma: &[f64], b: &[f64]) -> DataSpectrum {
    DataSpectrum {
        m: sigma.iter().zip(gamma).map(|(s, g)| s * g).collect(),
        c2: b.iter().zip(gamma).map(|(b, g)| b / g).collect(),
    }
}

/// General path: eigendecomposition of `M = Γ^{1/2} Σ0 Γ^{1/2}` and
/// `c_i² = Σ_j b_j (v_i · Γ^{-1/2} u_j)²`, all dense (faer).
pub(crate) fn reduce_dense(
    data: &Covariance,
    gamma: &Covariance,
    b: &[f64],
    par: Par,
    progress: &dyn Progress,
) -> Result<DataSpectrum> {
    let n = data.dim();
    if n > MAX_DENSE_DIM {
        return Err(Error::Numerical(format!(
            "Γ and Σ0 do not commute, so a dense {n} × {n} reduction is needed (at most {MAX_DENSE_DIM})"
        )));
    }
    let g_half = gamma.power_dense(0.5, par);
    let g_inv_half = gamma.power_dense(-0.5, par);
    let sigma = data.to_dense();
    let m_mat = gemm(&gemm(&g_half, Op::N, &sigma, Op::N, par), Op::N, &g_half, Op::N, par);
    let m_mat = (&m_mat + m_mat.transpose()) * 0.5;
    let estimate = resources::eigen_seconds(n, true);
    if estimate > 0.5 {
        progress.start(
            &format!("reduction of a non-commuting Γ, {n} × {n} (≈ {})", resources::duration(estimate)),
            0,
        );
    }
    let eig = psd_eigen(&m_mat, par);
    if estimate > 0.5 {
        progress.finish();
    }
    let eig = eig.map_err(|e| Error::Numerical(e.0))?;
    // Y = Γ^{-1/2} U diag(√b): its column j is √b_j Γ^{-1/2} u_j.
    let mut y = match data.basis() {
        None => g_inv_half,
        Some(u) => gemm(&g_inv_half, Op::N, u, Op::N, par),
    };
    for (j, mut col) in y.column_iter_mut().enumerate() {
        col *= b[j].sqrt();
    }
    let w = gemm(&eig.vectors, Op::T, &y, Op::N, par);
    let c2 = (0..n).map(|i| w.row(i).iter().map(|x| x * x).sum()).collect();
    Ok(DataSpectrum { m: eig.values, c2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::support::progress::Silent;

    fn spec(kind: CovarianceKind) -> CovarianceSpec {
        CovarianceSpec { kind, normalize: true }
    }

    /// Builds with eigenvectors (what the dense path and the simulation need).
    fn full(kind: CovarianceKind, n: usize, data: Option<&Covariance>) -> Result<Built, Invalid> {
        build(&spec(kind), n, data, true, Par::Seq, &Silent).map_err(|e| match e {
            BuildError::Invalid(e) => e,
            BuildError::Interrupted => unreachable!("Silent never cancels"),
        })
    }

    #[test]
    fn power_law_is_normalised_to_mean_one() {
        let b = full(CovarianceKind::PowerLaw { exponent: 1.0 }, 50, None).unwrap();
        assert!((b.cov.mean_eigenvalue() - 1.0).abs() < 1e-14);
        let v = b.cov.eigenvalues();
        assert!((v[0] / v[1] - 2.0).abs() < 1e-14);
        assert!((b.raw_mean - (1..=50).map(|j| 1.0 / j as f64).sum::<f64>() / 50.0).abs() < 1e-14);
    }

    #[test]
    fn ar1_eigenvalues_match_known_2x2() {
        let b = full(CovarianceKind::Ar1 { rho: 0.5 }, 2, None).unwrap();
        let v = b.cov.eigenvalues();
        assert!((v[0] - 1.5).abs() < 1e-14 && (v[1] - 0.5).abs() < 1e-14);
    }

    #[test]
    fn rejects_bad_matrices() {
        let asym = DMatrix::from_row_slice(2, 2, &[1.0, 0.2, 0.3, 1.0]);
        let e = full(CovarianceKind::Matrix { matrix: std::sync::Arc::new(asym) }, 2, None).unwrap_err();
        assert!(e.0.contains("symmetric"), "{e}");
        let indef = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
        let e = full(CovarianceKind::Matrix { matrix: std::sync::Arc::new(indef) }, 2, None).unwrap_err();
        assert!(e.0.contains("positive semi-definite"), "{e}");
        let e = full(CovarianceKind::Diagonal { values: std::sync::Arc::new(vec![1.0; 3]) }, 2, None)
            .unwrap_err();
        assert!(e.0.contains("expected 2 values"), "{e}");
    }

    #[test]
    fn target_has_unit_signal() {
        let data = full(CovarianceKind::PowerLaw { exponent: 1.3 }, 40, None).unwrap().cov;
        let b = target_weights(&Target::PowerLaw { exponent: 0.7 }, &data).unwrap();
        let s: f64 = b.iter().zip(data.eigenvalues()).map(|(b, s)| b * s).sum();
        assert!((s - 1.0).abs() < 1e-13);
    }

    /// The co-diagonal shortcut and the general dense path agree on diagonal inputs.
    #[test]
    fn codiagonal_shortcut_equals_dense_path() {
        let n = 30;
        let data = full(CovarianceKind::PowerLaw { exponent: 1.0 }, n, None).unwrap().cov;
        let gamma = full(CovarianceKind::PowerLaw { exponent: -0.37 }, n, None).unwrap().cov;
        let b = target_weights(&Target::PowerLaw { exponent: 0.5 }, &data).unwrap();
        let fast = reduce(&data, &gamma, &b, false, Par::Seq, &Silent).unwrap();
        let slow = reduce_dense(&data, &gamma, &b, Par::Seq, &Silent).unwrap();
        let mut pairs: Vec<(f64, f64)> = fast.m.iter().copied().zip(fast.c2.iter().copied()).collect();
        pairs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap());
        for (i, (m, c2)) in pairs.iter().enumerate() {
            assert!((m - slow.m[i]).abs() <= 1e-12 * m, "m_{i}: {m} vs {}", slow.m[i]);
            assert!((c2 - slow.c2[i]).abs() <= 1e-9 * c2, "c2_{i}: {c2} vs {}", slow.c2[i]);
        }
        let signal: f64 = slow.m.iter().zip(&slow.c2).map(|(m, c)| m * c).sum();
        assert!((signal - 1.0).abs() < 1e-12);
    }

    /// data_power on a dense Σ0 takes the shortcut and agrees with the dense path.
    #[test]
    fn data_power_on_dense_data_matches_dense_path() {
        let n = 25;
        let data = full(CovarianceKind::Ar1 { rho: 0.6 }, n, None).unwrap().cov;
        let gamma = full(CovarianceKind::DataPower { exponent: 0.5 }, n, Some(&data)).unwrap().cov;
        let b = target_weights(&Target::PowerLaw { exponent: 1.0 }, &data).unwrap();
        let fast = reduce(&data, &gamma, &b, true, Par::Seq, &Silent).unwrap();
        let slow = reduce_dense(&data, &gamma, &b, Par::Seq, &Silent).unwrap();
        for i in 0..n {
            assert!((fast.m[i] - slow.m[i]).abs() <= 1e-10 * fast.m[0]);
            assert!((fast.c2[i] - slow.c2[i]).abs() <= 1e-8 * fast.c2[0], "{i}");
        }
    }
}
