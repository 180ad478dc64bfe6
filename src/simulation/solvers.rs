//! The readout's solvers: ridge in primal or dual form, minimum norm through the
//! bottleneck, and the spectral path for rank-deficient Gram matrices.

use super::RightMap;
use crate::spec::{Error, Result};
use crate::support::linalg::{self, gemm, Op};
use faer::Par;
use nalgebra::{DMatrix, DVector};

pub(super) fn dense(m: &RightMap, n: usize) -> DMatrix<f64> {
    match m {
        RightMap::Diagonal(d) => DMatrix::from_diagonal(&DVector::from_column_slice(&d[..n])),
        RightMap::Dense(x) => x.clone(),
    }
}

/// Ridge: `argmin (1/p)‖y − Φv‖² + λ‖v‖²` in the cheaper of the primal (n_L × n_L) and
/// dual (p × p) forms, by Cholesky. When λ is below the rounding of a rank-deficient Gram
/// matrix (Cholesky fails), the same system is solved on the Gram matrix's numerical range
/// by [`spectral_solve`]: the null space carries no signal, and 1/λ must not amplify its
/// rounding.
pub(crate) fn ridge_solve(
    phi: &DMatrix<f64>,
    y: &DMatrix<f64>,
    ridge: f64,
    par: Par,
) -> Result<DMatrix<f64>> {
    let (p, n) = phi.shape();
    let pf = p as f64;
    let fail =
        || Error::Numerical(format!("ridge solve (λ = {ridge:e}) failed: Gram matrix not positive definite"));
    if n <= p {
        let mut a = linalg::gram_lower(phi, Op::T, 1.0 / pf, par);
        for i in 0..n {
            a[(i, i)] += ridge;
        }
        let mut b = gemm(phi, Op::T, y, Op::N, par);
        b /= pf;
        match linalg::spd_solve(&a, &b, par) {
            Some(v) => Ok(v),
            None => spectral_solve(phi, y, n, ridge, par).map_err(|_| fail()),
        }
    } else {
        let mut k = linalg::gram_lower(phi, Op::N, 1.0 / pf, par);
        for i in 0..p {
            k[(i, i)] += ridge;
        }
        let Some(a) = linalg::spd_solve(&k, y, par) else {
            return spectral_solve(phi, y, p, ridge, par).map_err(|_| fail());
        };
        let mut v = gemm(phi, Op::T, &a, Op::N, par);
        v /= pf;
        Ok(v)
    }
}

/// Minimum-norm least squares `Φ⁺ y`. With `gram_full_rank` (p < rank, generic Gaussian
/// features) the dual Gram ΦΦᵀ is invertible and Cholesky is used; otherwise the smaller
/// Gram matrix is eigendecomposed and its `rank` largest eigenvalues are inverted.
pub(crate) fn min_norm_generic(
    phi: &DMatrix<f64>,
    y: &DMatrix<f64>,
    rank: usize,
    par: Par,
    gram_full_rank: bool,
) -> Result<DMatrix<f64>> {
    if gram_full_rank {
        let k = linalg::gram_lower(phi, Op::N, 1.0, par);
        if let Some(a) = linalg::spd_solve(&k, y, par) {
            return Ok(gemm(phi, Op::T, &a, Op::N, par));
        }
    }
    spectral_solve(phi, y, rank, 0.0, par)
}

/// `(ΦᵀΦ + pλ)⁺ Φᵀy` on the `keep` largest eigenvalues of the smaller Gram matrix (ΦᵀΦ or
/// ΦΦᵀ) above its rounding level: ridge regression for λ > 0, the minimum-norm solution
/// for λ = 0. Components along numerically null eigenvectors are dropped, not divided.
pub(super) fn spectral_solve(
    phi: &DMatrix<f64>,
    y: &DMatrix<f64>,
    keep: usize,
    ridge: f64,
    par: Par,
) -> Result<DMatrix<f64>> {
    let (p, n) = phi.shape();
    let primal = n <= p;
    let gram = linalg::gram_lower(phi, if primal { Op::T } else { Op::N }, 1.0, par);
    let e = linalg::sym_eigen(&gram, par)?;
    let keep = keep.min(e.values.len());
    let tol = e.values[0].abs() * 1e-13 * gram.nrows() as f64;
    let shift = p as f64 * ridge;
    // Project onto the kept eigenvectors, divide by their (shifted) eigenvalues.
    let rhs = if primal { gemm(phi, Op::T, y, Op::N, par) } else { y.clone() };
    let mut coef = DMatrix::zeros(gram.nrows(), y.ncols());
    for i in 0..keep {
        if e.values[i] > tol {
            let u = e.vectors.column(i);
            coef += u * (u.transpose() * &rhs) / (e.values[i] + shift);
        }
    }
    Ok(if primal { coef } else { gemm(phi, Op::T, &coef, Op::N, par) })
}
