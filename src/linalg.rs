//! Dense kernels routed through faer, on nalgebra storage (zero-copy views).
//!
//! nalgebra is the matrix type of the public API; every O(n³) operation
//! (products, Cholesky, symmetric eigendecomposition) runs in faer.

use crate::error::{Error, Result};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par, Side};
use nalgebra::DMatrix;

/// Zero-copy faer view of a column-major nalgebra matrix.
pub fn view(m: &DMatrix<f64>) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(m.as_slice(), m.nrows(), m.ncols())
}

/// Zero-copy mutable faer view of a column-major nalgebra matrix.
pub fn view_mut(m: &mut DMatrix<f64>) -> MatMut<'_, f64> {
    let (r, c) = (m.nrows(), m.ncols());
    MatMut::from_column_major_slice_mut(m.as_mut_slice(), r, c)
}

/// Whether an operand of [`gemm`] is used as is or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `A`
    N,
    /// `Aᵀ`
    T,
}

fn apply(m: MatRef<'_, f64>, op: Op) -> MatRef<'_, f64> {
    match op {
        Op::N => m,
        Op::T => m.transpose(),
    }
}

/// `alpha · op(a) · op(b)` as a new matrix.
pub fn gemm(alpha: f64, a: &DMatrix<f64>, ta: Op, b: &DMatrix<f64>, tb: Op) -> DMatrix<f64> {
    let (a, b) = (apply(view(a), ta), apply(view(b), tb));
    let mut out = DMatrix::<f64>::zeros(a.nrows(), b.ncols());
    matmul(view_mut(&mut out), Accum::Replace, a, b, alpha, faer::get_global_parallelism());
    out
}

/// `op(a) · op(b)` with an explicit parallelism (Monte Carlo trials run with `Par::Seq`).
pub fn gemm_par(a: &DMatrix<f64>, ta: Op, b: &DMatrix<f64>, tb: Op, par: Par) -> DMatrix<f64> {
    let (a, b) = (apply(view(a), ta), apply(view(b), tb));
    let mut out = DMatrix::<f64>::zeros(a.nrows(), b.ncols());
    matmul(view_mut(&mut out), Accum::Replace, a, b, 1.0, par);
    out
}

/// Eigendecomposition of a symmetric matrix, eigenvalues in **descending** order.
#[derive(Clone, Debug)]
pub struct SymEigen {
    /// Eigenvalues, largest first.
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors as columns, in the order of `values`.
    pub vectors: DMatrix<f64>,
}

/// Symmetric eigendecomposition (lower triangle read), descending eigenvalues.
pub fn sym_eigen(a: &DMatrix<f64>) -> Result<SymEigen> {
    let n = a.nrows();
    let evd = view(a)
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::Numerical(format!("symmetric eigendecomposition failed: {e:?}")))?;
    let s = evd.S().column_vector();
    let u = evd.U();
    let values: Vec<f64> = (0..n).rev().map(|i| s[i]).collect();
    let vectors = DMatrix::from_fn(n, n, |i, j| u[(i, n - 1 - j)]);
    Ok(SymEigen { values, vectors })
}

/// Eigenvalues of a symmetric matrix, descending.
pub fn sym_eigenvalues(a: &DMatrix<f64>) -> Result<Vec<f64>> {
    let mut v = view(a)
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| Error::Numerical(format!("symmetric eigenvalues failed: {e:?}")))?;
    v.reverse();
    Ok(v)
}

/// Solves `a x = b` for symmetric positive definite `a` by Cholesky; `None` if `a` is not
/// numerically positive definite.
pub fn spd_solve(a: &DMatrix<f64>, b: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    use faer::linalg::solvers::Solve;
    let llt = view(a).llt(Side::Lower).ok()?;
    let x = llt.solve(view(b));
    Some(DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)]))
}

/// `V · diag(f(λ)) · Vᵀ` for a symmetric eigendecomposition.
pub fn spectral_function(e: &SymEigen, f: impl Fn(f64) -> f64) -> DMatrix<f64> {
    let mut scaled = e.vectors.clone();
    for (j, mut col) in scaled.column_iter_mut().enumerate() {
        col *= f(e.values[j]);
    }
    gemm(1.0, &scaled, Op::N, &e.vectors, Op::T)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_spd(n: usize) -> DMatrix<f64> {
        let a = DMatrix::from_fn(n, n, |i, j| ((i * 7 + j * 13) % 11) as f64 / 11.0 - 0.4);
        &a * a.transpose() + DMatrix::identity(n, n)
    }

    #[test]
    fn gemm_matches_nalgebra() {
        let a = DMatrix::from_fn(5, 3, |i, j| (i as f64) - 2.0 * j as f64);
        let b = DMatrix::from_fn(5, 4, |i, j| (i * j) as f64 + 0.5);
        let c = gemm(2.0, &a, Op::T, &b, Op::N);
        let expected = 2.0 * a.transpose() * &b;
        assert!((c - expected).abs().max() < 1e-12);
    }

    #[test]
    fn eigen_reconstructs_and_is_descending() {
        let a = random_spd(7);
        let e = sym_eigen(&a).unwrap();
        assert!(e.values.windows(2).all(|w| w[0] >= w[1]));
        let rebuilt = spectral_function(&e, |x| x);
        assert!((rebuilt - &a).abs().max() < 1e-12);
        let vals = sym_eigenvalues(&a).unwrap();
        for (x, y) in vals.iter().zip(&e.values) {
            assert!((x - y).abs() < 1e-12);
        }
    }

    #[test]
    fn spd_solve_solves() {
        let a = random_spd(6);
        let b = DMatrix::from_fn(6, 2, |i, j| (i + j) as f64);
        let x = spd_solve(&a, &b).unwrap();
        assert!((&a * x - &b).abs().max() < 1e-10);
        let mut neg = a.clone();
        neg[(0, 0)] = -10.0;
        assert!(spd_solve(&neg, &b).is_none());
    }
}
