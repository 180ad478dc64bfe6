//! The stepper against independent values (FEATURES §5, §8): the matrix form of §2 solved
//! by iterating it to its fixed point, lazy gradient descent (γ0 → 0 at C·γ0²), the closed
//! form of lazy descent (DYNAMICS.md's flow after k → k̃), ε → 0 at first order, full
//! coordinates against the row space, least squares for P ≥ D, and the guards.

use super::*;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// A training set of FEATURES §1: Σ0 = j^−a (mean 1), target variances ∝ j^−bexp with
/// Σ σ_j b_j = 1, label noise η².
struct Draw {
    x: DMatrix<f64>,
    y: Vec<f64>,
    sigma: Vec<f64>,
    target: Vec<f64>,
}

fn draw(p: usize, d: usize, noise: f64, seed: u64) -> Draw {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let raw: Vec<f64> = (1..=d).map(|j| (j as f64).powf(-1.0)).collect();
    let mean = raw.iter().sum::<f64>() / d as f64;
    let sigma: Vec<f64> = raw.iter().map(|s| s / mean).collect();
    let b: Vec<f64> = (1..=d).map(|j| (j as f64).powf(-1.0)).collect();
    let norm: f64 = sigma.iter().zip(&b).map(|(s, b)| s * b).sum();
    let target: Vec<f64> = b
        .iter()
        .map(|b| {
            let z: f64 = StandardNormal.sample(&mut rng);
            (b / norm).sqrt() * z
        })
        .collect();
    let x = DMatrix::from_fn(p, d, |_, j| {
        let z: f64 = StandardNormal.sample(&mut rng);
        sigma[j].sqrt() * z
    });
    let y: Vec<f64> = (0..p)
        .map(|i| {
            let clean: f64 = (0..d).map(|j| x[(i, j)] * target[j]).sum();
            let e: f64 = StandardNormal.sample(&mut rng);
            clean + noise.sqrt() * e
        })
        .collect();
    Draw { x, y, sigma, target }
}

fn data<'a>(d: &'a Draw, gamma: Option<&'a DMatrix<f64>>) -> FeatureData<'a> {
    FeatureData { x: &d.x, y: &d.y, gamma }
}

fn never() -> bool {
    false
}

fn max_diff(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

fn schedule(layers: usize, richness: f64, step: f64, rows: usize) -> FeatureSchedule {
    FeatureSchedule { layers, richness, step, rows }
}

/// §2's matrix form in full D coordinates, iterated as a whole-trajectory map from zero
/// kernels until it stops changing (the map is causal, so it reaches its fixed point after
/// finitely many sweeps): C^ℓ (TD × TD), G^ℓ (T × T), A^ℓ (TD × T), B^ℓ (T × TD) per layer,
/// Q = (I − ℬ𝒜)⁻¹ by a dense inverse — nothing of the stepper's source coordinates.
fn matrix_form(d: &Draw, gamma: &DMatrix<f64>, s: &FeatureSchedule) -> DMatrix<f64> {
    let (p, dim) = d.x.shape();
    let (t, nl) = (s.rows, s.layers);
    let n = t * dim;
    let eta = s.step * dim as f64 / (nl as f64 + 1.0);
    let c = eta * s.richness;
    let sigma_hat = d.x.transpose() * &d.x / p as f64;
    let b = d.x.transpose() * DVector::from_column_slice(&d.y) / p as f64;
    let blocks = |m: &DMatrix<f64>| DMatrix::from_fn(n, n, |a, bb| m[(a % dim, bb % dim)]);
    let coupling0 = blocks(&(DMatrix::identity(dim, dim) / dim as f64));
    let source0 = blocks(&(gamma / dim as f64));
    let mut cs: Vec<DMatrix<f64>> = vec![DMatrix::zeros(n, n); nl + 1];
    let mut gs: Vec<DMatrix<f64>> = vec![DMatrix::zeros(t, t); nl + 2];
    let mut as_: Vec<DMatrix<f64>> = vec![DMatrix::zeros(n, t); nl + 1];
    let mut bs: Vec<DMatrix<f64>> = vec![DMatrix::zeros(t, n); nl + 2];
    gs[nl + 1] = DMatrix::from_element(t, t, 1.0);
    let mut beta = DMatrix::zeros(dim, t);
    for _sweep in 0..(4 * (nl + 1) * t + 8) {
        let r = DMatrix::from_fn(dim, t, |i, j| b[i] - (sigma_hat.row(i) * beta.column(j))[(0, 0)]);
        let mut next_beta = DMatrix::zeros(dim, t);
        for l in 1..=nl {
            let below = cs[l - 1].clone();
            let (coup, src) = if l == 1 { (&coupling0, &source0) } else { (&below, &below) };
            let calli = DMatrix::from_fn(n, t, |row, j| {
                let (k, _) = (row / dim, row % dim);
                let resp = as_[l - 1][(row, j)];
                if j < k {
                    resp + c * (0..dim).map(|i2| coup[(row, j * dim + i2)] * r[(i2, j)]).sum::<f64>()
                } else {
                    resp
                }
            });
            let bcal = DMatrix::from_fn(t, n, |k, col| {
                let (j, i) = (col / dim, col % dim);
                let resp = bs[l + 1][(k, col)];
                if j < k {
                    resp + c * gs[l + 1][(k, j)] * r[(i, j)]
                } else {
                    resp
                }
            });
            let q = (DMatrix::identity(t, t) - &bcal * &calli).try_inverse().unwrap();
            gs[l] = &q * (&gs[l + 1] + &bcal * src * bcal.transpose()) * q.transpose();
            let aq = &calli * &q;
            let p1 = DMatrix::identity(n, n) + &aq * &bcal;
            cs[l] = &p1 * src * p1.transpose() + &aq * &gs[l + 1] * aq.transpose();
            if l == nl {
                let mg = &p1 * src * bcal.transpose() * q.transpose() + &aq * &gs[l + 1] * q.transpose();
                for k in 0..t {
                    for i in 0..dim {
                        next_beta[(i, k)] = mg[(k * dim + i, k)] / s.richness;
                    }
                }
            }
            bs[l] = &q * &bcal;
            as_[l] = aq;
        }
        beta = next_beta;
    }
    beta
}

/// The stepper equals §2's matrix form solved independently, to round-off: L = 1, 2, 3,
/// Γ = I (row space) and a structured Γ (full coordinates), at a rich γ0.
#[test]
fn stepper_matches_the_matrix_form() {
    let d = draw(4, 5, 0.05, 1);
    let identity = DMatrix::identity(5, 5);
    let gamma =
        DMatrix::from_fn(
            5,
            5,
            |i, j| if i == j { 1.0 + 0.3 * i as f64 } else { 0.2 / (1.0 + (i + j) as f64) },
        );
    for (l, g) in [(1, None), (2, None), (3, None), (2, Some(&gamma))] {
        let s = schedule(l, 0.8, 0.15, 6);
        let stepped = solve(&data(&d, g), &s, &never).unwrap();
        let direct = matrix_form(&d, g.unwrap_or(&identity), &s);
        let diff = max_diff(&stepped.beta, &direct);
        let scale = direct.amax();
        assert!(diff < 1e-12 * scale.max(1.0), "L = {l}, Γ {}: {diff:e} (|β| {scale})", g.is_some());
        assert!(scale > 0.1, "{scale}");
    }
}

/// γ0 → 0: the DMFT deviates from lazy gradient descent by exactly C·γ0² (FEATURES §5, S3):
/// the ratio deviation/γ0² is the same at γ0 = 10⁻², 10⁻³, 10⁻⁴ (to 2 %, 0.2 %).
#[test]
fn lazy_limit_is_second_order_in_the_richness() {
    let d = draw(12, 16, 0.05, 2);
    let lazy = solve(&data(&d, None), &schedule(2, 0.0, 0.05, 40), &never).unwrap();
    let coef: Vec<f64> = [1e-2, 1e-3, 1e-4]
        .iter()
        .map(|&g| {
            max_diff(&solve(&data(&d, None), &schedule(2, g, 0.05, 40), &never).unwrap().beta, &lazy.beta)
                / (g * g)
        })
        .collect();
    assert!(coef[0] > 1e-3, "{coef:?}");
    assert!((coef[1] / coef[0] - 1.0).abs() < 0.02, "{coef:?}");
    assert!((coef[2] / coef[1] - 1.0).abs() < 0.002, "{coef:?}");
}

/// Lazy gradient descent is DYNAMICS.md's readout flow after k → k̃ = −log(1 − εk)/ε: in Σ̂'s
/// eigenbasis β(t = εn) = Σ_i (1 − e^{−t k̃_i})/k_i (Vᵀb)_i v_i (to 1e-12), and its sharpness
/// is ε λ_max(Σ̂).
#[test]
fn lazy_descent_is_the_readout_flow_after_the_step_map() {
    let d = draw(10, 16, 0.05, 3);
    let (eps, rows) = (0.05, 60);
    let curve = solve(&data(&d, None), &schedule(2, 0.0, eps, rows), &never).unwrap();
    let p = d.x.nrows() as f64;
    let sh = d.x.transpose() * &d.x / p;
    let e = sh.clone().symmetric_eigen();
    let b = d.x.transpose() * DVector::from_column_slice(&d.y) / p;
    let vb = e.eigenvectors.transpose() * &b;
    for n in [1usize, 10, 59] {
        let t = eps * n as f64;
        let coef = DVector::from_fn(16, |i, _| {
            let k = e.eigenvalues[i];
            if k.abs() < 1e-12 {
                t * vb[i]
            } else {
                let kt = -(1.0 - eps * k).ln() / eps;
                (1.0 - (-t * kt).exp()) / k * vb[i]
            }
        });
        let flow = &e.eigenvectors * coef;
        let diff = (curve.beta.column(n) - &flow).amax();
        assert!(diff < 1e-12, "n = {n}: {diff:e}");
    }
    let top = e.eigenvalues.max();
    assert!(curve.sharpness.iter().all(|&s| (s / (eps * top) - 1.0).abs() < 1e-10), "{}", curve.sharpness[0]);
}

/// ε → 0 at fixed t (γ0 = 1, L = 2): first order — successive differences at t = 0.5 halve
/// with ε (ratio 1.7 … 2.6), and one Richardson step removes most of the error.
#[test]
fn small_steps_converge_at_first_order() {
    let d = draw(12, 16, 0.05, 4);
    let at = |eps: f64| {
        let n = (0.5 / eps).round() as usize;
        solve(&data(&d, None), &schedule(2, 1.0, eps, n + 1), &never).unwrap().beta.column(n).into_owned()
    };
    let betas: Vec<DVector<f64>> = [0.02, 0.01, 0.005, 0.0025].iter().map(|&e| at(e)).collect();
    let diffs: Vec<f64> = betas.windows(2).map(|w| (&w[0] - &w[1]).amax()).collect();
    for w in diffs.windows(2) {
        let ratio = w[0] / w[1];
        assert!((1.7..2.6).contains(&ratio), "{diffs:?}");
    }
    let rich: Vec<DVector<f64>> = betas.windows(2).map(|w| &w[1] * 2.0 - &w[0]).collect();
    assert!((&rich[1] - &rich[2]).amax() < 0.3 * diffs[2], "{diffs:?}");
}

/// Γ = I in full coordinates equals the row-space reduction (FEATURES S3: 3e-15).
#[test]
fn full_coordinates_equal_the_row_space() {
    let d = draw(7, 12, 0.05, 5);
    let identity = DMatrix::identity(12, 12);
    let s = schedule(2, 1.0, 0.05, 50);
    let row = solve(&data(&d, None), &s, &never).unwrap();
    let full = solve(&data(&d, Some(&identity)), &s, &never).unwrap();
    assert_eq!((row.coordinates, full.coordinates), (7, 12));
    assert!(max_diff(&row.beta, &full.beta) < 1e-12, "{:e}", max_diff(&row.beta, &full.beta));
    let ds = row.sharpness.iter().zip(&full.sharpness).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(ds < 1e-10, "{ds:e}");
}

/// P ≥ D: every richness converges to least squares (the unique minimiser), and E_tr to its
/// residual.
#[test]
fn many_samples_converge_to_least_squares() {
    let d = draw(40, 6, 0.1, 6);
    let xtx = d.x.transpose() * &d.x;
    let ls = xtx.try_inverse().unwrap() * d.x.transpose() * DVector::from_column_slice(&d.y);
    for g in [0.0, 0.5, 1.0] {
        let c = solve(&data(&d, None), &schedule(2, g, 0.2, 400), &never).unwrap();
        let last = c.beta.column(c.beta.ncols() - 1);
        assert!((last - &ls).amax() < 1e-8, "γ0 = {g}: {:e}", (last - &ls).amax());
        assert!(c.diverged.is_none() && c.edge_crossing().is_none(), "γ0 = {g}");
        let errs = c.errors(&data(&d, None), Metric::Diagonal(&d.sigma), &d.target);
        let (eg0, _) = errs[0];
        let expected: f64 = d.sigma.iter().zip(&d.target).map(|(s, t)| s * t * t).sum();
        assert!((eg0 - expected).abs() < 1e-14, "E_g(0) = {eg0} vs β*ᵀΣ0β* = {expected}");
    }
}

/// The monitor and the guard (FEATURES §4), P = 40, D = 20, L = 2: at ε = 0.1 the lazy
/// sharpness is 0.50; γ0 = 1.5 grows the kernel past s = 2 (max 2.28) and the run stays
/// finite (flagged, not stopped); γ0 = 2 at ε = 0.2 (lazy s = 1.0) runs away and the guard
/// stops it at the step it did.
#[test]
fn edge_of_stability_is_flagged_and_divergence_stopped() {
    let d = draw(40, 20, 0.05, 7);
    let lazy = solve(&data(&d, None), &schedule(2, 0.0, 0.1, 2), &never).unwrap().sharpness[0];
    let eos = solve(&data(&d, None), &schedule(2, 1.5, 0.1, 80), &never).unwrap();
    let max = eos.sharpness.iter().copied().fold(0.0, f64::max);
    assert!(lazy < 0.6 && max > 2.0, "lazy {lazy}, max {max}");
    assert!(eos.edge_crossing().is_some_and(|k| k > 0) && eos.diverged.is_none(), "{:?}", eos.sharpness);
    assert!(eos.beta.iter().all(|x| x.is_finite()) && eos.beta.ncols() == 80);
    let wild = solve(&data(&d, None), &schedule(2, 2.0, 0.2, 80), &never).unwrap();
    let k = wild.diverged.expect("the guard stops a runaway run");
    assert_eq!((wild.beta.ncols(), wild.sharpness.len()), (k, k));
    assert!(k > 1 && k < 80, "{k}");
}
