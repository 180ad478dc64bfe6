//! The exact causal time stepper of FEATURES §3 in its scalar-ℬ form (§3.2b).
//!
//! Source coordinates: layer ℓ's single-site process is m^ℓ(k) = Z^ℓ[k] ζ^ℓ and
//! g^ℓ(k) = Y^ℓ[k]·ζ^ℓ over the sources ζ^ℓ = (z0, ξ¹, …, ξ^ℓ), of dimension n_ℓ = q + ℓT,
//! with covariance K^ℓ = blockdiag(I_q, G², …, G^{ℓ+1}) (G^{L+1} ≡ 1). Every response is
//! strictly causal (each update uses the state before the step), so at step k the new rows
//! are explicit: a backward sweep (ℓ = L … 1) gives Y^ℓ[k], the row k of G^ℓ and of the
//! scalar responses b^ℓ, b̄^ℓ; a forward sweep (ℓ = 1 … L) gives Z^ℓ[k]; then β(k), r(k) and
//! S^ℓ[k] = Z^ℓ[k]ᵀr(k). Only the current Z^ℓ is kept (the history enters through S^ℓ).
//!
//! Entries of G at times not yet computed are zero and only ever multiplied by zero
//! coefficients (the ξ-support of a row at step k lies at times ≤ k), so the products
//! below run over times 0 … k only. Everything is sequential inside one run, so results
//! are bit-identical on any thread count (runs go in parallel over training sets).

use super::{runaway, FeatureSchedule, Reduced, Trajectory};
use crate::spec::{Error, Result};
use faer::linalg::matmul::matmul;
use faer::prelude::ReborrowMut;
use faer::{Accum, MatMut, MatRef, Par};
use nalgebra::DMatrix;

fn view(m: &DMatrix<f64>) -> MatRef<'_, f64> {
    crate::support::linalg::view(m)
}

fn view_mut(m: &mut DMatrix<f64>) -> MatMut<'_, f64> {
    crate::support::linalg::view_mut(m)
}

/// `dst (+)= alpha · a · b`, sequential.
fn mm(dst: MatMut<'_, f64>, add: bool, a: MatRef<'_, f64>, b: MatRef<'_, f64>, alpha: f64) {
    let accum = if add { Accum::Add } else { Accum::Replace };
    matmul(dst, accum, a, b, alpha, Par::Seq);
}

/// The sizes of the source spaces.
struct Shape {
    q: usize,
    t: usize,
    layers: usize,
}

impl Shape {
    /// n_ℓ = q + ℓT (n_0 = q: the columns of Z0).
    fn n(&self, l: usize) -> usize {
        self.q + l * self.t
    }

    /// First column of the ξ^ℓ block (ℓ ≥ 1).
    fn off(&self, l: usize) -> usize {
        self.q + (l - 1) * self.t
    }
}

/// One hidden layer's state (times 0 … T − 1 by rows); its G^ℓ, b^ℓ and b̄^ℓ are kept apart
/// (the sweeps read them across layers).
struct Layer {
    /// Z^ℓ[k] (q × n_ℓ) and KZ_ℓ(Z^ℓ[k]) = Z^ℓ[k] K^ℓ.
    z: DMatrix<f64>,
    kz: DMatrix<f64>,
    /// S^ℓ[j] = Z^ℓ[j]ᵀ r(j) and Y^ℓ[j], by rows (T × n_ℓ).
    s: DMatrix<f64>,
    y: DMatrix<f64>,
}

/// `out = M K^ℓ` over the columns that can be non-zero at step k: the z0 columns as they
/// are; block b (ξ^b, b = 1 … ℓ) times G^{b+1} (`gs[b]`) over times 0 … k (G^{L+1} ≡ 1: a
/// row sum).
fn kz(shape: &Shape, l: usize, k: usize, m: MatRef<'_, f64>, gs: &[DMatrix<f64>], out: &mut DMatrix<f64>) {
    out.fill(0.0);
    let (q, kk, rows) = (shape.q, (k + 1).min(shape.t), m.nrows());
    let mut o = view_mut(out);
    o.rb_mut().subcols_mut(0, q).copy_from(m.subcols(0, q));
    for blk in 1..=l {
        let off = shape.off(blk);
        // Block b multiplies G^{b+1} (`gs[b]`); G^{L+1} ≡ 1 is not held: a row sum.
        let Some(g_next) = gs.get(blk) else {
            for i in 0..rows {
                let sum: f64 = (0..kk).map(|t| m[(i, off + t)]).sum();
                for t in 0..kk {
                    o[(i, off + t)] = sum;
                }
            }
            continue;
        };
        let g = view(g_next).submatrix(0, 0, kk, kk);
        mm(o.rb_mut().submatrix_mut(0, off, rows, kk), false, m.submatrix(0, off, rows, kk), g, 1.0);
    }
}

/// Runs the stepper for T = `schedule.rows` steps: β (q × steps), s(k), the guard's step.
pub(crate) fn run(
    reduced: &Reduced,
    schedule: &FeatureSchedule,
    cancelled: &dyn Fn() -> bool,
) -> Result<Trajectory> {
    let shape = Shape { q: reduced.q, t: schedule.rows, layers: schedule.layers };
    let (q, t, nl) = (shape.q, shape.t, shape.layers);
    let eta = schedule.step * reduced.dim / (nl as f64 + 1.0);
    let c = eta * schedule.richness;
    let mut layers: Vec<Layer> = (1..=nl)
        .map(|l| Layer {
            z: DMatrix::zeros(q, shape.n(l)),
            kz: DMatrix::zeros(q, shape.n(l)),
            s: DMatrix::zeros(t, shape.n(l)),
            y: DMatrix::zeros(t, shape.n(l)),
        })
        .collect();
    // G^ℓ, b^ℓ, b̄^ℓ at index ℓ − 1.
    let mut gs: Vec<DMatrix<f64>> = (0..nl).map(|_| DMatrix::zeros(t, t)).collect();
    let mut bs: Vec<DMatrix<f64>> = (0..nl).map(|_| DMatrix::zeros(t, t)).collect();
    let mut bbars: Vec<DMatrix<f64>> = (0..nl).map(|_| DMatrix::zeros(t, t)).collect();
    let mut beta = DMatrix::zeros(q, t);
    let mut r = DMatrix::zeros(q, t);
    let mut sharpness = Vec::with_capacity(t);
    let mut diverged = None;
    // Scratch.
    let mut col = DMatrix::zeros(t, 1);
    let mut a = DMatrix::zeros(q, t);
    let mut kernel = DMatrix::zeros(q, q);
    let mut bk = DMatrix::zeros(q, 1);
    for k in 0..t {
        if cancelled() {
            return Err(Error::Interrupted { done: k as u64, total: t as u64, unit: "step" });
        }
        // Backward sweep: Y^ℓ[k], G^ℓ(k, ·), b^ℓ(k, ·), b̄^ℓ(k, ·).
        for l in (1..=nl).rev() {
            let (n, off) = (shape.n(l), shape.off(l));
            for j in 0..k {
                bs[l - 1][(k, j)] = if l == nl { c } else { bbars[l][(k, j)] + c * gs[l][(k, j)] };
            }
            let me = &mut layers[l - 1];
            me.y.row_mut(k).fill(0.0);
            me.y[(k, off + k)] = 1.0;
            if k > 0 {
                let (bv, sv) = (view(&bs[l - 1]).submatrix(k, 0, 1, k), view(&me.s).submatrix(0, 0, k, n));
                let mut yv = view_mut(&mut me.y);
                mm(yv.rb_mut().submatrix_mut(k, 0, 1, n), true, bv, sv, 1.0);
            }
            let mut vl = DMatrix::zeros(1, n);
            kz(&shape, l, k, view(&me.y).submatrix(k, 0, 1, n), &gs, &mut vl);
            mm(
                view_mut(&mut col).submatrix_mut(0, 0, k + 1, 1),
                false,
                view(&me.y).submatrix(0, 0, k + 1, n),
                view(&vl).transpose(),
                1.0,
            );
            for j in 0..=k {
                gs[l - 1][(k, j)] = col[(j, 0)];
                gs[l - 1][(j, k)] = col[(j, 0)];
            }
            if k > 0 {
                // b̄^ℓ(k, i) = Σ_{j ≤ k} Q^ℓ(k, j) b^ℓ(j, i), Q^ℓ(k, j) the ξ^ℓ(j) entry of Y^ℓ[k].
                let mut out = DMatrix::zeros(1, k);
                let qrow = view(&me.y).submatrix(k, off, 1, k + 1);
                mm(view_mut(&mut out), false, qrow, view(&bs[l - 1]).submatrix(0, 0, k + 1, k), 1.0);
                for i in 0..k {
                    bbars[l - 1][(k, i)] = out[(0, i)];
                }
            }
        }
        // Forward sweep: Z^ℓ[k] = [base, 0] + 𝒜 Y^ℓ[:k] and KZ_ℓ(Z^ℓ[k]).
        for l in 1..=nl {
            let n = shape.n(l);
            let (before, rest) = layers.split_at_mut(l - 1);
            if k > 0 {
                let mut av = view_mut(&mut a);
                let mut ak = av.rb_mut().submatrix_mut(0, 0, q, k);
                if l == 1 {
                    // 𝒜¹(k, j) = c C⁰ r(j) with the coupling C⁰ = I/D.
                    let scale = c / reduced.dim;
                    for j in 0..k {
                        for i in 0..q {
                            ak[(i, j)] = scale * r[(i, j)];
                        }
                    }
                } else {
                    // 𝒜^ℓ(k, j) = A^{ℓ−1}(k, j) + c C^{ℓ−1}(k, j) r(j).
                    let prev = &before[l - 2];
                    ak.copy_from(view(&prev.z).submatrix(0, shape.off(l - 1), q, k));
                    let sprev = view(&prev.s).submatrix(0, 0, k, shape.n(l - 1));
                    mm(ak, true, view(&prev.kz), sprev.transpose(), c);
                }
            }
            let me = &mut rest[0];
            me.z.fill(0.0);
            match before.last() {
                None => me.z.columns_mut(0, q).copy_from(&reduced.z0),
                Some(prev) => me.z.columns_mut(0, shape.n(l - 1)).copy_from(&prev.z),
            }
            if k > 0 {
                let (av, yv) = (view(&a).submatrix(0, 0, q, k), view(&me.y).submatrix(0, 0, k, n));
                mm(view_mut(&mut me.z), true, av, yv, 1.0);
            }
            let Layer { z, kz: out, .. } = me;
            kz(&shape, l, k, view(z), &gs, out);
        }
        // β(k) = KZ_L(Z^L[k]) Y^L[k] / γ0, r(k), S^ℓ[k].
        let top = &layers[nl - 1];
        let n = shape.n(nl);
        mm(view_mut(&mut bk), false, view(&top.kz), view(&top.y).submatrix(k, 0, 1, n).transpose(), 1.0);
        bk /= schedule.richness;
        if runaway(bk.as_slice(), &reduced.b) {
            diverged = Some(k);
            break;
        }
        beta.set_column(k, &bk.column(0));
        let fit = reduced.sigma_hat.apply(bk.as_slice());
        for i in 0..q {
            r[(i, k)] = reduced.b[i] - fit[i];
        }
        for layer in layers.iter_mut() {
            let n = layer.z.ncols();
            let rk = view(&r).submatrix(0, k, q, 1).transpose();
            let mut sv = view_mut(&mut layer.s);
            mm(sv.rb_mut().submatrix_mut(k, 0, 1, n), false, rk, view(&layer.z), 1.0);
        }
        // Sharpness: 𝒦(k) = G¹(k, k) I/D + Σ_ℓ G^{ℓ+1}(k, k) C^ℓ(k, k), C^ℓ = KZ_ℓ(Z^ℓ) Z^ℓᵀ.
        kernel.fill(0.0);
        kernel.fill_diagonal(gs[0][(k, k)] / reduced.dim);
        for l in 1..=nl {
            let weight = if l == nl { 1.0 } else { gs[l][(k, k)] };
            let me = &layers[l - 1];
            mm(view_mut(&mut kernel), true, view(&me.kz), view(&me.z).transpose(), weight);
        }
        sharpness.push(reduced.sharpness(eta, &kernel)?);
    }
    let done = diverged.unwrap_or(t);
    Ok((beta.columns(0, done).into_owned(), sharpness, diverged))
}
