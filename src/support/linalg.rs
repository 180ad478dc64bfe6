//! Dense kernels routed through faer, on nalgebra storage (zero-copy views).
//!
//! nalgebra is the matrix type of the public API; every O(n³) operation
//! (products, Cholesky, symmetric eigendecomposition) runs in faer.

use crate::spec::{Error, Result};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use nalgebra::DMatrix;

/// Zero-copy faer view of a column-major nalgebra matrix.
pub(crate) fn view(m: &DMatrix<f64>) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(m.as_slice(), m.nrows(), m.ncols())
}

/// Zero-copy mutable faer view of a column-major nalgebra matrix.
pub(crate) fn view_mut(m: &mut DMatrix<f64>) -> MatMut<'_, f64> {
    let (r, c) = (m.nrows(), m.ncols());
    MatMut::from_column_major_slice_mut(m.as_mut_slice(), r, c)
}

/// Tasks the setup kernels are split into. A fixed number, not the thread count: faer's
/// results depend on how the work is split, and a fixed split makes them bit-identical
/// whatever the size of the rayon pool that executes the tasks (measured at n = 2000 on
/// 2 cores: 8 tasks are as fast as 2, and 1.5–2× faster than sequential).
pub(crate) const SETUP_TASKS: usize = 8;

/// Parallelism of the one-off setup kernels (building dense covariances, the dense
/// spectral reduction): [`SETUP_TASKS`] tasks on the caller's rayon pool. Monte Carlo
/// trials pass `Par::Seq` instead, as they run in parallel themselves.
pub(crate) fn setup_par() -> Par {
    Par::rayon(SETUP_TASKS)
}

/// Whether an operand of [`gemm`] is used as is or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
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

/// `op(a) · op(b)` as a new matrix, with the parallelism `par` (`Par::Seq` inside Monte
/// Carlo trials, which are parallel themselves).
pub(crate) fn gemm(a: &DMatrix<f64>, ta: Op, b: &DMatrix<f64>, tb: Op, par: Par) -> DMatrix<f64> {
    let (a, b) = (apply(view(a), ta), apply(view(b), tb));
    let mut out = DMatrix::<f64>::zeros(a.nrows(), b.ncols());
    matmul(view_mut(&mut out), Accum::Replace, a, b, 1.0, par);
    out
}

/// `alpha · op(a) · op(a)ᵀ` (`a·aᵀ` for `Op::N`, `aᵀ·a` for `Op::T`) with only its lower
/// triangle computed, the strict upper triangle zero: half the work of [`gemm`], for the
/// consumers that read the lower triangle alone ([`spd_solve`], [`sym_eigen`]).
pub(crate) fn gram_lower(a: &DMatrix<f64>, op: Op, alpha: f64, par: Par) -> DMatrix<f64> {
    use faer::linalg::matmul::triangular::{matmul, BlockStructure};
    let a = apply(view(a), op);
    let mut out = DMatrix::<f64>::zeros(a.nrows(), a.nrows());
    matmul(
        view_mut(&mut out),
        BlockStructure::TriangularLower,
        Accum::Replace,
        a,
        BlockStructure::Rectangular,
        a.transpose(),
        BlockStructure::Rectangular,
        alpha,
        par,
    );
    out
}

/// Eigendecomposition of a symmetric matrix, eigenvalues in **descending** order.
#[derive(Clone, Debug)]
pub(crate) struct SymEigen {
    /// Eigenvalues, largest first.
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors as columns, in the order of `values`.
    pub vectors: DMatrix<f64>,
}

/// faer's symmetric eigensolver (lower triangle read) with an explicit parallelism;
/// eigenvalues ascending as faer returns them.
fn evd(a: &DMatrix<f64>, vectors: bool, par: Par) -> Result<(Vec<f64>, Option<faer::Mat<f64>>)> {
    use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
    let n = a.nrows();
    let compute = if vectors { ComputeEigenvectors::Yes } else { ComputeEigenvectors::No };
    let mut s = faer::diag::Diag::<f64>::zeros(n);
    let mut u = vectors.then(|| faer::Mat::<f64>::zeros(n, n));
    let mut mem = MemBuffer::new(self_adjoint_evd_scratch::<f64>(n, compute, par, Default::default()));
    self_adjoint_evd(
        view(a),
        s.as_mut(),
        u.as_mut().map(|u| u.as_mut()),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|e| {
        Error::Numerical(format!("symmetric eigendecomposition of a {n} × {n} matrix failed: {e:?}"))
    })?;
    Ok((s.column_vector().iter().copied().collect(), u))
}

/// Symmetric eigendecomposition (lower triangle read), descending eigenvalues.
pub(crate) fn sym_eigen(a: &DMatrix<f64>, par: Par) -> Result<SymEigen> {
    let n = a.nrows();
    let (s, u) = evd(a, true, par)?;
    let u = u.expect("eigenvectors requested");
    let values: Vec<f64> = s.into_iter().rev().collect();
    let vectors = DMatrix::from_fn(n, n, |i, j| u[(i, n - 1 - j)]);
    Ok(SymEigen { values, vectors })
}

/// The singular values of an m × n matrix `a` (descending, min(m, n) of them) and its full
/// n × n matrix of right singular vectors V: the covariance aᵀa = V diag(s²) Vᵀ without
/// forming aᵀa, so its small eigenvalues keep their relative accuracy (ε·s_max in s,
/// not ε·s_max² in s²).
pub(crate) fn right_svd(a: &DMatrix<f64>, par: Par) -> Result<(Vec<f64>, DMatrix<f64>)> {
    use faer::linalg::svd::{svd, svd_scratch, ComputeSvdVectors};
    let (m, n) = a.shape();
    let k = m.min(n);
    let mut s = faer::diag::Diag::<f64>::zeros(k);
    let mut v = faer::Mat::<f64>::zeros(n, n);
    let mut mem = MemBuffer::new(svd_scratch::<f64>(
        m,
        n,
        ComputeSvdVectors::No,
        ComputeSvdVectors::Full,
        par,
        Default::default(),
    ));
    svd(view(a), s.as_mut(), None, Some(v.as_mut()), par, MemStack::new(&mut mem), Default::default())
        .map_err(|e| {
            Error::Numerical(format!("singular value decomposition of a {m} × {n} matrix failed: {e:?}"))
        })?;
    Ok((s.column_vector().iter().copied().collect(), DMatrix::from_fn(n, n, |i, j| v[(i, j)])))
}

/// Eigenvalues of a symmetric matrix, descending (no eigenvectors: several times faster).
pub(crate) fn sym_eigenvalues(a: &DMatrix<f64>, par: Par) -> Result<Vec<f64>> {
    let (mut v, _) = evd(a, false, par)?;
    v.reverse();
    Ok(v)
}

/// Solves `a x = b` for symmetric positive definite `a` by Cholesky (lower triangle read);
/// `None` if `a` is not numerically positive definite.
pub(crate) fn spd_solve(a: &DMatrix<f64>, b: &DMatrix<f64>, par: Par) -> Option<DMatrix<f64>> {
    use faer::linalg::cholesky::llt::{factor, solve};
    let n = a.nrows();
    let mut l = a.clone();
    let mut mem = MemBuffer::new(factor::cholesky_in_place_scratch::<f64>(n, par, Default::default()));
    factor::cholesky_in_place(
        view_mut(&mut l),
        Default::default(),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .ok()?;
    let mut x = b.clone();
    let mut mem = MemBuffer::new(solve::solve_in_place_scratch::<f64>(n, x.ncols(), par));
    solve::solve_in_place(view(&l), view_mut(&mut x), par, MemStack::new(&mut mem));
    Some(x)
}

/// `V · diag(f(λ)) · Vᵀ` for a symmetric eigendecomposition.
pub(crate) fn spectral_function(e: &SymEigen, f: impl Fn(f64) -> f64, par: Par) -> DMatrix<f64> {
    let mut scaled = e.vectors.clone();
    for (j, mut col) in scaled.column_iter_mut().enumerate() {
        col *= f(e.values[j]);
    }
    gemm(&scaled, Op::N, &e.vectors, Op::T, par)
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
        let c = gemm(&a, Op::T, &b, Op::N, Par::Seq);
        let expected = a.transpose() * &b;
        assert!((c - expected).abs().max() < 1e-12);
    }

    /// The lower triangle of `gram_lower` is the product's (upper zero), and the solvers
    /// that read the lower triangle give on it what they give on the full matrix.
    #[test]
    fn gram_lower_feeds_the_lower_triangle_solvers() {
        let a = DMatrix::from_fn(9, 6, |i, j| ((i * 5 + j * 3) % 7) as f64 - 2.5 + 0.1 * j as f64);
        for (op, full) in [(Op::T, a.transpose() * &a), (Op::N, &a * a.transpose())] {
            let g = gram_lower(&a, op, 0.5, Par::Seq);
            let full = full * 0.5;
            for i in 0..g.nrows() {
                for j in 0..g.ncols() {
                    let want = if j <= i { full[(i, j)] } else { 0.0 };
                    assert!((g[(i, j)] - want).abs() < 1e-12, "({i}, {j})");
                }
            }
            let e = sym_eigen(&g, Par::Seq).unwrap();
            let f = sym_eigen(&full, Par::Seq).unwrap();
            for (x, y) in e.values.iter().zip(&f.values) {
                assert!((x - y).abs() < 1e-12);
            }
        }
        let g = gram_lower(&a, Op::T, 1.0, Par::Seq) + DMatrix::identity(6, 6);
        let full = a.transpose() * &a + DMatrix::identity(6, 6);
        let b = DMatrix::from_fn(6, 2, |i, j| (i + j) as f64);
        let (x, y) = (spd_solve(&g, &b, Par::Seq).unwrap(), spd_solve(&full, &b, Par::Seq).unwrap());
        assert!((x - y).abs().max() < 1e-12);
    }

    #[test]
    fn eigen_reconstructs_and_is_descending() {
        let a = random_spd(7);
        let e = sym_eigen(&a, Par::Seq).unwrap();
        assert!(e.values.windows(2).all(|w| w[0] >= w[1]));
        let rebuilt = spectral_function(&e, |x| x, Par::Seq);
        assert!((rebuilt - &a).abs().max() < 1e-12);
        let vals = sym_eigenvalues(&a, Par::rayon(2)).unwrap();
        for (x, y) in vals.iter().zip(&e.values) {
            assert!((x - y).abs() < 1e-12);
        }
    }

    #[test]
    fn spd_solve_solves() {
        let a = random_spd(6);
        let b = DMatrix::from_fn(6, 2, |i, j| (i + j) as f64);
        let x = spd_solve(&a, &b, Par::Seq).unwrap();
        assert!((&a * x - &b).abs().max() < 1e-10);
        let mut neg = a.clone();
        neg[(0, 0)] = -10.0;
        assert!(spd_solve(&neg, &b, Par::Seq).is_none());
    }
}

/// A covariance as a quadratic form (E_g = eᵀΣ0e): its diagonal, or its matrix.
#[derive(Clone, Copy, Debug)]
pub enum Metric<'a> {
    Diagonal(&'a [f64]),
    Dense(&'a DMatrix<f64>),
}

impl Metric<'_> {
    /// vᵀ Σ v.
    pub fn quadratic(&self, v: &[f64]) -> f64 {
        match self {
            Metric::Diagonal(s) => s.iter().zip(v).map(|(s, v)| s * v * v).sum(),
            Metric::Dense(m) => {
                let v = nalgebra::DVector::from_column_slice(v);
                v.dot(&(*m * &v))
            }
        }
    }
}
