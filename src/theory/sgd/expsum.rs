//! The exact solution of one-pass SGD's discrete Volterra equation as an exponential sum
//! (TRAINING B3, with weight decay B8).
//!
//! Per atom j (value σ_j, multiplicity ρ_j, signal ν_j), with g_j = η(λ + σ_j),
//! p_j = 1 − g_j, q_j = p_j² + η²σ_j²/B and c_j = (η²/B)ρ_jσ_j², the diagonal second moments
//! obey `A_j(k+1) = q_j A_j(k) + c_j R_k + G_j(k)` with `R_k = s² + Σ A_j(k)`, A_j(0) = ν_j
//! and the weight-decay forcing `G_j(k) = a_j + b_j p_j^k` (B8). The z-transform gives, with
//! `h(z) = 1 − Σ c_j/(z − q_j)` and its roots z_l (one between consecutive q's, one above the
//! largest):
//!
//! `R_k = R_∞ + Σ_j D_j p_j^k + Σ_l E_l z_l^k`,  `R_∞ = (s² + Σ a_j/x_j)/(1 − ‖K‖)`.
//!
//! Everything is carried in `x_j = 1 − q_j = g_j(2 − g_j) − η²σ_j²/B` and `y_l = 1 − z_l`,
//! every difference formed from them (`z_l − q_j = x_j − y_l`, each root as an offset δ from
//! its lower pole), so modes with ησ down to 1e-300 keep their relative accuracy; no
//! difference p_j − q_j divides anything (the degeneracy p_j = q_j needs no special case),
//! and nothing of size M² is stored.

use rayon::prelude::*;

/// A root's steps at most: safeguarded Newton in ln δ (a bisection whenever Newton leaves
/// the bracket) — TRAINING B3 bisects 110 times; Newton takes ≈ 5–15 steps.
const MAX_ROOT_STEPS: usize = 400;
/// A root is taken when its step in ln δ is below this relative to |ln δ| (a few ulps).
const ROOT_TOL: f64 = 4.0 * f64::EPSILON;
/// The lower end of a root's bracket, e^{−600} times its gap.
const DEEPEST: f64 = -600.0;

/// One-pass SGD's parameters: batch B, step η, weight decay λ ≥ 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SgdStep {
    pub(crate) batch: f64,
    pub(crate) step: f64,
    pub(crate) decay: f64,
}

/// Atoms of the two measures on the spectrum of Σ_F (TRAINING B2): values σ_i > 0, counting
/// masses ρ_i and signal masses ν_i, merged so that every value is distinct, with the floor
/// σ_r² (the approximation error U(0)).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Atoms {
    pub(crate) value: Vec<f64>,
    pub(crate) mass: Vec<f64>,
    pub(crate) signal: Vec<f64>,
    pub(crate) floor: f64,
}

impl Atoms {
    /// Atoms from (value, mass, signal) triples in any order: values ≤ 0 and empty atoms
    /// dropped, equal values merged (isotropic spectra would make the roots degenerate),
    /// atoms without a positive mass merged into a neighbour.
    pub(crate) fn new(mut triples: Vec<(f64, f64, f64)>, floor: f64) -> Atoms {
        triples.retain(|t| t.0 > 0.0 && (t.1 != 0.0 || t.2 != 0.0));
        triples.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut merged: Vec<(f64, f64, f64)> = Vec::with_capacity(triples.len());
        for (v, m, s) in triples {
            match merged.last_mut() {
                Some(last) if last.0 == v => {
                    last.1 += m;
                    last.2 += s;
                }
                _ => merged.push((v, m, s)),
            }
        }
        // Every atom must be a pole of the kernel (mass > 0): an atom without mass (a
        // quadrature remainder of signal only) or with a negative one (an end correction of
        // a compressed spectrum) hands its masses to its neighbour of larger value (of
        // smaller value for the largest), so the totals are kept.
        let mut i = 0;
        while i < merged.len() {
            if merged[i].1 > 0.0 || merged.len() == 1 {
                i += 1;
                continue;
            }
            let (_, m, s) = merged.remove(i);
            let to = if i > 0 { i - 1 } else { 0 };
            if let Some(t) = merged.get_mut(to) {
                t.1 += m;
                t.2 += s;
            }
            i = to;
        }
        merged.retain(|t| t.1 > 0.0);
        let mut out = Atoms { value: vec![], mass: vec![], signal: vec![], floor };
        for (v, m, s) in merged {
            out.value.push(v);
            out.mass.push(m);
            out.signal.push(s);
        }
        out
    }

    /// tr Σ_F = Σ ρ_i σ_i.
    pub(crate) fn trace(&self) -> f64 {
        self.value.iter().zip(&self.mass).map(|(v, m)| v * m).sum()
    }

    /// The largest value (σ_top).
    pub(crate) fn top(&self) -> f64 {
        self.value.first().copied().unwrap_or(0.0)
    }
}

/// The per-atom quantities of a step: g = η(λ + σ), x = 1 − q, c = (η²/B)ρσ².
struct Modes {
    g: Vec<f64>,
    x: Vec<f64>,
    c: Vec<f64>,
}

impl Modes {
    fn new(atoms: &Atoms, s: SgdStep) -> Modes {
        let n = atoms.value.len();
        let (mut g, mut x, mut c) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for (&v, &m) in atoms.value.iter().zip(&atoms.mass) {
            let gj = s.step * (s.decay + v);
            let e = s.step * v;
            g.push(gj);
            x.push(gj * (2.0 - gj) - e * e / s.batch);
            c.push(s.step * s.step / s.batch * m * v * v);
        }
        Modes { g, x, c }
    }

    /// ‖K‖ = Σ c/x, or `None` when a mode has x ≤ 0 or g ≥ 2 (its mean diverges).
    fn kernel_norm(&self) -> Option<f64> {
        if self.x.iter().zip(&self.g).any(|(&x, &g)| !(x > 0.0 && g < 2.0)) {
            return None;
        }
        Some(self.c.iter().zip(&self.x).map(|(c, x)| c / x).sum())
    }
}

/// Kernel norm ‖K‖ = Σ c_j/x_j of a step (B3), `None` when some mode is unstable by itself.
pub(crate) fn kernel_norm(atoms: &Atoms, step: SgdStep) -> Option<f64> {
    Modes::new(atoms, step).kernel_norm()
}

/// Why a step has no exponential sum.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub(crate) enum Unstable {
    /// A mode's own factor q_j ≥ 1 (x_j ≤ 0) or η(λ + σ_j) ≥ 2.
    #[error("a mode is unstable by itself: η(λ + σ) = {g:.4} with q = 1 − x, x = {x:.3e} ≤ 0")]
    Mode { g: f64, x: f64 },
    /// The kernel norm ‖K‖ = Σ c_j/x_j ≥ 1: the mean risk diverges.
    #[error("kernel norm ‖K‖ = {0:.4} ≥ 1: the mean risk diverges")]
    Kernel(f64),
}

/// The solved exponential sum: R_k = R_∞ + Σ_j D_j p_j^k + Σ_l E_l (1 − y_l)^k, split into
/// the part without label noise (`signal`: the bias) and the part ∝ η_n² (`noise`).
#[derive(Clone, Debug)]
pub(crate) struct ExpSum {
    /// z_l = 1 − y_l.
    y: Vec<Base>,
    /// p_j (weight decay only; empty at λ = 0).
    p: Vec<Base>,
    pub(crate) kernel_norm: f64,
    signal: Terms,
    noise: Terms,
}

/// The coefficients of one forcing.
#[derive(Clone, Debug)]
struct Terms {
    limit: f64,
    d: Vec<f64>,
    e: Vec<f64>,
}

/// Σ_i (a_i, b_i)·base_i^k for two coefficient lists sharing their bases (one power each).
fn pair_sum(a: &[f64], b: &[f64], bases: &[Base], k: f64) -> (f64, f64) {
    let (mut x, mut y) = (0.0, 0.0);
    for ((ai, bi), base) in a.iter().zip(b).zip(bases) {
        let w = base.power(k);
        x += ai * w;
        y += bi * w;
    }
    (x, y)
}

/// A base in (−1, 1) of the exponential sum, kept as ln|base| (from base − 1 by log1p, so
/// k = 10¹⁰ stays accurate for a base within 1e-16 of 1) and its sign.
#[derive(Clone, Copy, Debug)]
struct Base {
    ln: f64,
    negative: bool,
}

impl Base {
    /// The base 1 + `minus_one`.
    fn new(minus_one: f64) -> Base {
        let base = 1.0 + minus_one;
        if base > 0.0 {
            Base { ln: minus_one.ln_1p(), negative: false }
        } else {
            Base { ln: base.abs().ln(), negative: true }
        }
    }

    /// base^k (k ≥ 0, ∞ allowed: the limit 0).
    fn power(self, k: f64) -> f64 {
        if k == 0.0 {
            return 1.0;
        }
        let e = k * self.ln;
        // Below e^−745 every double is 0: skip the exponential (most terms at large k).
        if e < -745.0 {
            return 0.0;
        }
        let m = e.exp();
        if self.negative && k % 2.0 == 1.0 {
            -m
        } else {
            m
        }
    }
}

impl ExpSum {
    /// Solves the Volterra equation of `atoms` at `step` with label-noise variance
    /// `noise` (B3, B8): roots once (O(110·M²), in parallel), then any k costs O(M).
    pub(crate) fn solve(atoms: &Atoms, step: SgdStep, noise: f64) -> Result<ExpSum, Unstable> {
        let modes = Modes::new(atoms, step);
        if let Some((&g, &x)) = modes.g.iter().zip(&modes.x).find(|(&g, &x)| !(x > 0.0 && g < 2.0)) {
            return Err(Unstable::Mode { g, x });
        }
        let norm = modes.kernel_norm().unwrap_or(f64::INFINITY);
        if norm >= 1.0 {
            return Err(Unstable::Kernel(norm));
        }
        let n = atoms.value.len();
        // x is decreasing along the atoms (values decreasing, x increasing in σ for g < 1;
        // sort explicitly: x is not monotone in σ once g > 1).
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| modes.x[b].total_cmp(&modes.x[a]));
        let x: Vec<f64> = order.iter().map(|&i| modes.x[i]).collect();
        let c: Vec<f64> = order.iter().map(|&i| modes.c[i]).collect();
        let g: Vec<f64> = order.iter().map(|&i| modes.g[i]).collect();
        let nu: Vec<f64> = order.iter().map(|&i| atoms.signal[i]).collect();
        let sigma: Vec<f64> = order.iter().map(|&i| atoms.value[i]).collect();
        let c_sum: f64 = c.iter().sum();
        // Root l as (pole index, δ): y_l = x[pole] − δ, x_j − y_l = (x_j − x[pole]) + δ.
        let roots: Vec<(usize, f64)> = (0..n)
            .into_par_iter()
            .map(|l| {
                let gap = if l + 1 < n { x[l] - x[l + 1] } else { c_sum };
                // φ(δ) = Σ c_j/(d_j + δ) − 1 falls from +∞ to below 0 on the bracket; its
                // derivative in u = ln δ is −δ Σ c_j/(d_j + δ)².
                let phi = |delta: f64| -> (f64, f64) {
                    let (mut s, mut ds) = (0.0, 0.0);
                    for j in 0..n {
                        let r = 1.0 / ((x[j] - x[l]) + delta);
                        s += c[j] * r;
                        ds += c[j] * r * r;
                    }
                    (s - 1.0, -delta * ds)
                };
                let (mut lo, mut hi) = (DEEPEST + gap.ln(), gap.ln());
                let mut u = hi - std::f64::consts::LN_2;
                for _ in 0..MAX_ROOT_STEPS {
                    let (f, df) = phi(u.exp());
                    if f == 0.0 {
                        break;
                    }
                    if f > 0.0 {
                        lo = u;
                    } else {
                        hi = u;
                    }
                    // Newton in u, bisection when it leaves the bracket.
                    let newton = u - f / df;
                    let next = if newton.is_finite() && newton >= lo && newton <= hi {
                        newton
                    } else {
                        0.5 * (lo + hi)
                    };
                    // Converged to a few ulps of u (two neighbouring doubles can alternate).
                    let tol = ROOT_TOL * u.abs().max(1.0);
                    let done = (next - u).abs() <= tol || hi - lo <= tol;
                    u = next;
                    if done {
                        break;
                    }
                }
                (l, u.exp())
            })
            .collect();
        let diff = |j: usize, (l, delta): (usize, f64)| (x[j] - x[l]) + delta;
        let y: Vec<f64> = roots.iter().map(|&(l, d)| x[l] - d).collect();
        // Weight decay (B8): G_j(k) = a_j + b_j p_j^k.
        let (lam, eta) = (step.decay, step.step);
        let (a, b): (Vec<f64>, Vec<f64>) = if lam > 0.0 {
            (0..n)
                .map(|j| {
                    let pj = 1.0 - g[j];
                    let r = lam + sigma[j];
                    (
                        eta * lam * nu[j] * (2.0 * lam * pj / r + eta * lam),
                        2.0 * eta * lam * pj * nu[j] * sigma[j] / r,
                    )
                })
                .unzip()
        } else {
            (vec![0.0; n], vec![0.0; n])
        };
        let a_over_x: f64 = a.iter().zip(&x).map(|(a, x)| a / x).sum();
        let h_prime: Vec<f64> =
            roots.par_iter().map(|&r| (0..n).map(|j| c[j] / diff(j, r).powi(2)).sum::<f64>()).collect();
        // The coefficient of root l for a constant forcing `level` (ω = 1), signal masses
        // `nu` at the q_j and the decay terms.
        let coefficients = |level: f64, nu: &[f64], a: &[f64], b: &[f64]| -> Vec<f64> {
            roots
                .par_iter()
                .zip(&h_prime)
                .map(|(&r, hp)| {
                    let yl = x[r.0] - r.1;
                    let mut s = -level / yl;
                    for j in 0..n {
                        let xj = diff(j, r);
                        s += (nu[j] - a[j] / x[j]) / xj;
                        if b[j] != 0.0 {
                            s += b[j] / ((g[j] - yl) * xj);
                        }
                    }
                    s / hp
                })
                .collect()
        };
        let p: Vec<f64> = if lam > 0.0 { g.iter().map(|g| 1.0 - g).collect() } else { Vec::new() };
        // D_j = b_j / [(p_j − q_j)·h(p_j)] = b_j / [(x_j − g_j)(1 − Σ_{i≠j} c_i/(x_i − g_j)) − c_j].
        let d: Vec<f64> = if lam > 0.0 {
            (0..n)
                .into_par_iter()
                .map(|j| {
                    let others: f64 = (0..n).filter(|&i| i != j).map(|i| c[i] / (x[i] - g[j])).sum();
                    b[j] / ((x[j] - g[j]) * (1.0 - others) - c[j])
                })
                .collect()
        } else {
            Vec::new()
        };
        let signal = Terms {
            limit: (atoms.floor + a_over_x) / (1.0 - norm),
            d,
            e: coefficients(atoms.floor + a_over_x, &nu, &a, &b),
        };
        let zeros = vec![0.0; n];
        let noise_terms = Terms {
            limit: noise * norm / (1.0 - norm),
            d: vec![0.0; p.len()],
            e: coefficients(noise, &zeros, &zeros, &zeros),
        };
        let y = y.iter().map(|&y| Base::new(-y)).collect();
        let p = p.iter().map(|&p| Base::new(p - 1.0)).collect();
        Ok(ExpSum { y, p, kernel_norm: norm, signal, noise: noise_terms })
    }

    /// E_g(k) = R_k − η_n² split as (bias, variance): the part without label noise and the
    /// part ∝ η_n² (whose constant forcing η_n² is the test-noise floor, subtracted exactly).
    pub(crate) fn split(&self, k: f64) -> (f64, f64) {
        let (roots_b, roots_v) = pair_sum(&self.signal.e, &self.noise.e, &self.y, k);
        let (decay_b, decay_v) = pair_sum(&self.signal.d, &self.noise.d, &self.p, k);
        let bias = self.signal.limit + decay_b + roots_b;
        // The noise part's limit is η_n²/(1 − ‖K‖) − η_n², stored as η_n²‖K‖/(1 − ‖K‖).
        let variance = self.noise.limit + decay_v + roots_v;
        // The label-noise part starts at exactly 0 (k = 0): a negative value is rounding.
        let variance = if variance < 0.0 && -variance <= 1e-12 * (bias.abs() + self.noise.limit.abs()) {
            0.0
        } else {
            variance
        };
        (bias, variance)
    }

    /// R_∞ − η_n²: the excess risk SGD settles at, bias and variance.
    pub(crate) fn floor(&self) -> (f64, f64) {
        (self.signal.limit, self.noise.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct O(kM) recursion of B1/B8 (with the mean for weight decay), per mode.
    fn direct(atoms: &Atoms, s: SgdStep, noise: f64, k_max: usize) -> Vec<f64> {
        let n = atoms.value.len();
        let (eta, lam, bsz) = (s.step, s.decay, s.batch);
        // Per unit mass: a = σ E δ², m = E δ (θ² = ν/(ρσ) per mode).
        let mut a: Vec<f64> = (0..n).map(|j| atoms.signal[j]).collect();
        let theta: Vec<f64> =
            (0..n).map(|j| (atoms.signal[j] / (atoms.mass[j] * atoms.value[j])).sqrt()).collect();
        let mut m: Vec<f64> = theta.iter().map(|t| -t).collect();
        let mut out = Vec::new();
        for _ in 0..=k_max {
            let r: f64 = atoms.floor + noise + a.iter().sum::<f64>();
            out.push(r - noise);
            for j in 0..n {
                let sg = atoms.value[j];
                let p = 1.0 - eta * (lam + sg);
                let q = p * p + eta * eta * sg * sg / bsz;
                let rho = atoms.mass[j];
                let g = rho
                    * (-2.0 * eta * lam * p * sg * theta[j] * m[j]
                        + eta * eta * lam * lam * sg * theta[j] * theta[j]);
                a[j] = q * a[j] + eta * eta / bsz * rho * sg * sg * r + g;
                m[j] = p * m[j] - eta * lam * theta[j];
            }
        }
        out
    }

    fn power_law(n: usize) -> Atoms {
        let triples = (1..=n).map(|j| {
            let s = (j as f64).powf(-1.3);
            (s, 1.0, s * (j as f64).powf(-0.6))
        });
        Atoms::new(triples.collect(), 0.02)
    }

    /// The exponential sum equals the direct recursion to 1e-12 relative for k ≤ 3000: power-law
    /// atoms, B = 1 and 8, with and without weight decay, with a mass > 1 atom and an
    /// oscillating mode (η σ > 1).
    #[test]
    fn exponential_sum_equals_direct_recursion() {
        let mut cases = vec![];
        for batch in [1.0, 8.0] {
            for decay in [0.0, 0.05] {
                cases.push((power_law(60), SgdStep { batch, step: 0.3, decay }));
            }
        }
        // Two heavy atoms and a mode with g = η(λ + σ) > 1.
        let mut atoms = power_law(40);
        atoms.mass[3] = 5.0;
        atoms.signal[3] *= 5.0;
        cases.push((atoms.clone(), SgdStep { batch: 16.0, step: 1.4, decay: 0.0 }));
        cases.push((atoms, SgdStep { batch: 16.0, step: 1.4, decay: 0.1 }));
        for (atoms, s) in cases {
            let e = ExpSum::solve(&atoms, s, 0.3).unwrap();
            let d = direct(&atoms, s, 0.3, 3000);
            for k in [0usize, 1, 2, 5, 17, 100, 999, 3000] {
                let (b, v) = e.split(k as f64);
                let rel = ((b + v) - d[k]).abs() / d[k];
                assert!(rel < 1e-12, "{s:?} k = {k}: {} vs {} ({rel:e})", b + v, d[k]);
            }
        }
    }

    /// Isotropic atoms merge into one (the root finder needs distinct poles); the large-k limit
    /// is R_∞ − η_n² = (σ_r² + η_n²)/(1 − ‖K‖) − η_n², and ‖K‖ ≈ η tr Σ_F/(2B) at small η.
    #[test]
    fn merged_atoms_and_limits() {
        let atoms = Atoms::new(vec![(1.0, 1.0, 0.01); 100], 0.1);
        assert_eq!(atoms.value.len(), 1);
        assert_eq!(atoms.mass[0], 100.0);
        let s = SgdStep { batch: 4.0, step: 0.01, decay: 0.0 };
        let e = ExpSum::solve(&atoms, s, 0.2).unwrap();
        let (b, v) = e.split(1e12);
        let want = 0.3 / (1.0 - e.kernel_norm) - 0.2;
        assert!(((b + v) - want).abs() < 1e-14, "{} vs {want}", b + v);
        let small = kernel_norm(&atoms, SgdStep { step: 1e-6, ..s }).unwrap();
        assert!((small / (1e-6 * 100.0 / 8.0) - 1.0).abs() < 1e-5, "{small}");
        // At k = 0 the variance part is 0 and the bias is the signal plus the floor.
        let (b0, v0) = e.split(0.0);
        assert!(v0.abs() < 1e-15 && (b0 - 1.1).abs() < 1e-14, "{b0} {v0}");
    }

    /// Unstable steps are refused with their reason.
    #[test]
    fn unstable_steps_are_refused() {
        let atoms = power_law(30);
        assert!(matches!(
            ExpSum::solve(&atoms, SgdStep { batch: 1.0, step: 2.5, decay: 0.0 }, 0.1),
            Err(Unstable::Mode { .. })
        ));
        let flat = Atoms::new(vec![(1.0, 1.0, 0.01); 100], 0.0);
        assert!(matches!(
            ExpSum::solve(&flat, SgdStep { batch: 1.0, step: 0.05, decay: 0.0 }, 0.1),
            Err(Unstable::Kernel(_))
        ));
    }
}
