//! Spectra and their trace functions (THEORY §3):
//! `df_a(κ) = Σ a/(a+κ)`, `T_a(κ) = Σ a/(a+κ)²` and the inverse `κ_a(d)`.

use super::roots::{newton_root, Equation};
use crate::model::spectra::DataSpectrum;
use crate::support::brent::{self, RootError};
use argmin::core::{CostFunction, Error as ArgminError};
use num_complex::Complex64;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an inner equation `df_a(κ) = d` could not be solved.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub(super) enum KappaError {
    #[error("d = {d} is outside (0, rank = {rank})")]
    OutOfRange { d: f64, rank: f64 },
    #[error("no root of df(κ) = d in κ ∈ [{lo:e}, {hi:e}]")]
    NoRoot { lo: f64, hi: f64 },
    #[error("df(κ) = d did not converge in {MAX_ITERS} iterations")]
    NoConvergence,
    #[error("κ = {0} is not a positive number")]
    NotPositive(f64),
}

/// Absolute tolerance on `ln κ` of the inner roots (relative precision of κ).
const KAPPA_TOL: f64 = 1e-14;
/// Newton's last step in `ln κ` below which the root is taken: the step after it is of
/// the order of its square, far below [`KAPPA_TOL`].
const NEWTON_TOL: f64 = 1e-10;
const MAX_ITERS: u64 = 200;

/// A multiset of non-negative eigenvalues, stored as its positive part (zeros only
/// lower the rank). Repeated values are run-length compressed when that halves the work.
/// A compressed spectrum (SCALING §2) is its values at weighted nodes.
#[derive(Debug)]
pub(super) struct Spectrum {
    values: Vec<f64>,
    weights: Option<Vec<f64>>,
    /// Number of positive eigenvalues (∞ for an infinite spectrum).
    rank: f64,
    /// Σ of the weights (the rank, or for an infinite spectrum its finite node weight,
    /// which stands in for the rank in brackets).
    total: f64,
    /// Whether the weights are quadrature weights (SCALING §2), some of them negative.
    nodes: bool,
    trace: f64,
    inv_trace: f64,
    min: f64,
    max: f64,
    /// Passes over `values` so far (a diagnostic: the solver's cost in passes).
    passes: AtomicU64,
}

impl Clone for Spectrum {
    fn clone(&self) -> Self {
        Spectrum {
            values: self.values.clone(),
            weights: self.weights.clone(),
            rank: self.rank,
            total: self.total,
            nodes: self.nodes,
            trace: self.trace,
            inv_trace: self.inv_trace,
            min: self.min,
            max: self.max,
            passes: AtomicU64::new(self.passes()),
        }
    }
}

/// `Σ w·a/(a+κ)` and friends, with four accumulators so that the loop vectorises.
macro_rules! sum4 {
    ($vals:expr, $w:expr, |$a:ident| $body:expr) => {{
        let vals: &[f64] = $vals;
        match $w {
            None => {
                let mut acc = [0.0f64; 4];
                let chunks = vals.chunks_exact(4);
                let rem = chunks.remainder();
                for c in chunks {
                    for i in 0..4 {
                        let $a = c[i];
                        acc[i] += $body;
                    }
                }
                let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
                for &$a in rem {
                    s += $body;
                }
                s
            }
            Some(w) => {
                let w: &[f64] = w;
                let mut s = 0.0;
                for (&$a, &wi) in vals.iter().zip(w) {
                    s += wi * $body;
                }
                s
            }
        }
    }};
}

impl Spectrum {
    /// Builds a spectrum from eigenvalues (any order). Negative or non-finite input is a
    /// programming error: covariances are validated before they get here.
    pub(super) fn new(eigenvalues: &[f64]) -> Self {
        debug_assert!(eigenvalues.iter().all(|x| x.is_finite() && *x >= 0.0));
        let mut pos: Vec<f64> = eigenvalues.iter().copied().filter(|&x| x > 0.0).collect();
        pos.sort_by(|a, b| b.total_cmp(a));
        let rank = pos.len();
        let trace = pos.iter().sum();
        let inv_trace = pos.iter().map(|x| 1.0 / x).sum();
        let (min, max) = (pos.last().copied().unwrap_or(0.0), pos.first().copied().unwrap_or(0.0));
        let mut runs: Vec<(f64, f64)> = Vec::new();
        for &x in &pos {
            match runs.last_mut() {
                Some((v, w)) if *v == x => *w += 1.0,
                _ => runs.push((x, 1.0)),
            }
        }
        let (values, weights) = if runs.len() * 2 <= rank {
            let (v, w) = runs.into_iter().unzip();
            (v, Some(w))
        } else {
            (pos, None)
        };
        let rank = rank as f64;
        Spectrum {
            values,
            weights,
            rank,
            total: rank,
            nodes: false,
            trace,
            inv_trace,
            min,
            max,
            passes: AtomicU64::new(0),
        }
    }

    /// A spectrum of `values` with multiplicities `weights` (None: 1 each), representing
    /// `rank` positive eigenvalues (∞ allowed): the compressed spectra of SCALING §2, whose
    /// weights sum to the rank up to rounding. Non-positive values are dropped.
    pub(super) fn weighted(values: &[f64], weights: Option<&[f64]>, rank: f64) -> Self {
        let Some(weights) = weights else {
            return Spectrum::new(values);
        };
        let mut pairs: Vec<(f64, f64)> =
            values.iter().zip(weights).filter(|(v, _)| **v > 0.0).map(|(&v, &w)| (v, w)).collect();
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut runs: Vec<(f64, f64)> = Vec::with_capacity(pairs.len());
        for (v, w) in pairs {
            match runs.last_mut() {
                Some((x, c)) if *x == v => *c += w,
                _ => runs.push((v, w)),
            }
        }
        let total: f64 = runs.iter().map(|r| r.1).sum();
        let trace = runs.iter().map(|(v, w)| v * w).sum();
        let inv_trace = runs.iter().map(|(v, w)| w / v).sum();
        let (min, max) = (runs.last().map_or(0.0, |r| r.0), runs.first().map_or(0.0, |r| r.0));
        let (values, weights) = runs.into_iter().unzip();
        let total = if rank.is_finite() { rank } else { total };
        Spectrum {
            values,
            weights: Some(weights),
            rank,
            total,
            nodes: true,
            trace,
            inv_trace,
            min,
            max,
            passes: AtomicU64::new(0),
        }
    }

    /// Number of stored (distinct, or all) eigenvalues: the length of one pass.
    pub(super) fn stored(&self) -> usize {
        self.values.len()
    }

    /// Passes over the eigenvalues made so far.
    pub(super) fn passes(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }

    fn count_pass(&self) {
        self.passes.fetch_add(1, Ordering::Relaxed);
    }

    /// Number of positive eigenvalues (∞ for an infinite spectrum).
    pub(super) fn rank(&self) -> f64 {
        self.rank
    }

    /// The complement `e = rank − d` used in brackets: for an infinite spectrum, the finite
    /// node weight stands in for the rank (every bracket below holds for any positive
    /// weights that sum to it).
    fn finite_complement(&self, d: f64, e: f64) -> f64 {
        if e.is_finite() {
            e
        } else {
            self.total - d
        }
    }

    /// `df(κ) = Σ a/(a+κ)`, degrees of freedom at ridge κ.
    pub(super) fn df(&self, kappa: f64) -> f64 {
        self.count_pass();
        sum4!(&self.values, &self.weights, |a| a / (a + kappa))
    }

    /// `rank − df(κ) = κ Σ_{a>0} 1/(a+κ)`, computed without cancellation.
    pub(super) fn co_df(&self, kappa: f64) -> f64 {
        self.count_pass();
        kappa * sum4!(&self.values, &self.weights, |a| 1.0 / (a + kappa))
    }

    /// `T(κ) = Σ a/(a+κ)²`; note `κ_a'(d) = −1/T(κ_a(d))`.
    pub(super) fn t(&self, kappa: f64) -> f64 {
        self.count_pass();
        sum4!(&self.values, &self.weights, |a| {
            let r = 1.0 / (a + kappa);
            a * r * r
        })
    }

    /// `(T(κ), Q(κ))` in one pass, with `Q(κ) = Σ (a/(a+κ))² = df(κ) − κ T(κ)` summed
    /// directly (no cancellation).
    pub(super) fn t_q(&self, kappa: f64) -> (f64, f64) {
        self.count_pass();
        let (mut t, mut q) = (0.0, 0.0);
        let weights = self.weights.as_deref();
        for (i, &a) in self.values.iter().enumerate() {
            let w = weights.map_or(1.0, |w| w[i]);
            let r = 1.0 / (a + kappa);
            t += w * a * r * r;
            q += w * (a * r) * (a * r);
        }
        (t, q)
    }

    /// `(df(κ), T(κ))` at a complex κ (off the negative real axis), in one pass: the
    /// one-point functions of the training-time theory (DYNAMICS §1).
    pub(super) fn complex_df_t(&self, kappa: Complex64) -> (Complex64, Complex64) {
        self.complex_pass(kappa, |_| 1.0)
    }

    /// `(S, T(κ))` with `S = Σ a/((a + κ*)(a + κ))` at a complex κ and a real base κ* ≥ 0,
    /// in one pass: `df(κ) − df(κ*) = −(κ − κ*)·S` without cancellation (DYNAMICS §4), and
    /// T for the Newton step.
    pub(super) fn complex_shift_t(&self, base: f64, kappa: Complex64) -> (Complex64, Complex64) {
        self.complex_pass(kappa, |a| 1.0 / (a + base))
    }

    /// `(Σ a·f(a)/(a + κ), Σ a/(a + κ)²)` over the positive eigenvalues, weighted, in real
    /// arithmetic with one division per eigenvalue: with x = a + Re κ, y = Im κ and
    /// q = x² + y², a/(a+κ) = a(x − iy)/q and a/(a+κ)² = a(x² − y² − 2ixy)/q².
    fn complex_pass(&self, kappa: Complex64, f: impl Fn(f64) -> f64) -> (Complex64, Complex64) {
        self.count_pass();
        let (kr, y) = (kappa.re, kappa.im);
        let y2 = y * y;
        let mut acc = [0.0f64; 4];
        let mut add = |a: f64, w: f64| {
            if a > 0.0 {
                let x = a + kr;
                let inv = 1.0 / (x * x + y2);
                let wa = w * a * inv;
                let b = wa * f(a);
                acc[0] += b * x;
                acc[1] += b;
                acc[2] += wa * inv * (x * x - y2);
                acc[3] += wa * inv * x;
            }
        };
        match self.weights.as_deref() {
            None => self.values.iter().for_each(|&a| add(a, 1.0)),
            Some(w) => self.values.iter().zip(w).for_each(|(&a, &w)| add(a, w)),
        }
        (Complex64::new(acc[0], -y * acc[1]), Complex64::new(acc[2], -2.0 * y * acc[3]))
    }

    /// The trace Σ a (weighted), for asymptotic starts.
    pub(super) fn trace(&self) -> f64 {
        self.trace
    }

    /// The largest eigenvalue.
    pub(super) fn max(&self) -> f64 {
        self.max
    }

    /// Bracket of `κ_a(d)` from `min·e/d ≤ κ ≤ max·e/d`, `κ ≤ tr/d` and `κ ≥ e/Σ(1/a)`
    /// where `e = rank − d`.
    fn bounds(&self, d: f64, e: f64) -> (f64, f64) {
        let e = self.finite_complement(d, e);
        let lo = (self.min * e / d).max(e / self.inv_trace);
        let hi = (self.max * e / d).min(self.trace / d);
        if self.nodes {
            // Nodes with end-correction weights (SCALING §2): the bounds of a positive
            // spectrum hold to rounding; widen them so that the root is inside.
            return (0.5 * lo, 2.0 * hi.max(lo));
        }
        (lo, hi.max(lo))
    }

    /// Solves `df(κ) = d` for κ > 0 (THEORY eqs. 1–2), given `d` and its complement
    /// `e = rank − d` (passed separately so that d close to the rank keeps full precision).
    /// `hint`, if given, is a bracket `(κ_lo, κ_hi)` known to contain the root.
    pub(super) fn kappa(&self, d: f64, e: f64, hint: Option<(f64, f64)>) -> Result<f64, KappaError> {
        if !(d > 0.0 && e > 0.0) {
            return Err(KappaError::OutOfRange { d, rank: self.rank });
        }
        let (mut lo, mut hi) = self.bounds(d, e);
        if self.min == self.max {
            // One distinct eigenvalue a: df = r a/(a+κ) inverts in closed form.
            return Ok(self.min * self.finite_complement(d, e) / d);
        }
        if let Some((hl, hh)) = hint {
            lo = lo.max(hl);
            hi = hi.min(hh);
            if lo > hi {
                (lo, hi) = self.bounds(d, e);
            }
        }
        // Solve in ln κ, on whichever of df = d or co_df = e has the smaller right side.
        let use_df = d <= e;
        let problem =
            KappaEquation { spectrum: self, ln_target: if use_df { d.ln() } else { e.ln() }, use_df };
        let (a, b) = (lo.ln() - 1e-12, hi.ln() + 1e-12);
        self.kappa_in(&problem, a, b).or_else(|_| {
            // Rounding at the very edge of a tight bracket: retry on the widest one.
            let (lo, hi) = self.bounds(d, e);
            self.kappa_in(&problem, lo.ln() - 1e-9, hi.ln() + 1e-9)
        })
    }

    /// The real solution κ < −max(a) of `df(κ) = d` at d < 0: the branch of the one-point
    /// functions continued from μ → −∞ below the spectrum (TRAINING A4). With κ = −(max + v),
    /// `−df = h(v) = Σ w a/(max − a + v)` falls from +∞ to 0 as v runs over (0, ∞), so the
    /// root is bracketed by `w_max·max/(−d) ≤ v ≤ tr/(−d)` and found in ln v by Brent's
    /// method (one pass per step).
    pub(super) fn kappa_below(&self, d: f64) -> Result<f64, KappaError> {
        if !(d < 0.0 && d.is_finite()) {
            return Err(KappaError::OutOfRange { d, rank: self.rank });
        }
        let top = self.max;
        let h = |v: f64| {
            self.count_pass();
            sum4!(&self.values, &self.weights, |a| a / (top - a + v))
        };
        let target = -d;
        let w_top = self.weights.as_ref().map_or(1.0, |w| w[0]).max(f64::MIN_POSITIVE);
        let (lo, hi) = ((0.5 * w_top * top / target).ln(), (2.0 * self.trace / target).ln());
        let f = brent::Fun(|u: f64| (h(u.exp()) / target).ln());
        let u = brent::root(f, lo, hi, KAPPA_TOL, MAX_ITERS).map_err(|e| match e {
            RootError::Failed(_) => KappaError::NoRoot { lo: -(top + hi.exp()), hi: -(top + lo.exp()) },
            _ => KappaError::NoConvergence,
        })?;
        Ok(-(top + u.exp()))
    }

    /// `(df(κ), rank − df(κ), T(κ))` in one pass.
    fn sums(&self, kappa: f64) -> (f64, f64, f64) {
        self.count_pass();
        let (mut df, mut inv, mut t) = (0.0, 0.0, 0.0);
        match &self.weights {
            None => {
                for &a in &self.values {
                    let r = 1.0 / (a + kappa);
                    df += a * r;
                    inv += r;
                    t += a * r * r;
                }
            }
            Some(w) => {
                for (&a, &wi) in self.values.iter().zip(w) {
                    let r = 1.0 / (a + kappa);
                    df += wi * a * r;
                    inv += wi * r;
                    t += wi * a * r * r;
                }
            }
        }
        (df, kappa * inv, t)
    }

    /// As [`Spectrum::kappa`] by Newton's method in ln κ from `start` (a nearby solution),
    /// each step one pass that also gives T; returns κ and T at the last step (T to the
    /// precision of that step, enough for a derivative). Falls back to Brent's method when
    /// Newton does not converge.
    pub(super) fn kappa_newton(
        &self,
        d: f64,
        e: f64,
        start: Option<f64>,
        hint: Option<(f64, f64)>,
    ) -> Result<(f64, f64), KappaError> {
        if !(d > 0.0 && e > 0.0) {
            return Err(KappaError::OutOfRange { d, rank: self.rank });
        }
        if self.min == self.max {
            let k = self.min * self.finite_complement(d, e) / d;
            let a = self.min;
            return Ok((k, self.total * a / ((a + k) * (a + k))));
        }
        let (mut lo, mut hi) = self.bounds(d, e);
        if let Some((hl, hh)) = hint {
            if hl.max(lo) <= hh.min(hi) {
                (lo, hi) = (lo.max(hl), hi.min(hh));
            }
        }
        let use_df = d <= e;
        let eq = KappaNewton {
            spectrum: self,
            ln_target: if use_df { d.ln() } else { e.ln() },
            use_df,
            last_t: std::cell::Cell::new(f64::NAN),
        };
        let (a, b) = (lo.ln() - 1e-12, hi.ln() + 1e-12);
        let u0 = start.map(f64::ln).filter(|u| *u > a && *u < b).unwrap_or(0.5 * (a + b));
        // g(u) = ln df − ln d decreases in u; g(u) = ln(rank − df) − ln e increases.
        let lo_sign = if use_df { 1.0 } else { -1.0 };
        match newton_root(&eq, (a, b), lo_sign, u0, (NEWTON_TOL, 0.0), || "κ".into()) {
            Ok(u) if u.exp().is_finite() && u.exp() > 0.0 && eq.last_t.get().is_finite() => {
                Ok((u.exp(), eq.last_t.get()))
            }
            _ => {
                let k = self.kappa(d, e, hint)?;
                Ok((k, self.t(k)))
            }
        }
    }

    fn kappa_in(&self, problem: &KappaEquation<'_>, a: f64, b: f64) -> Result<f64, KappaError> {
        let k = brent::root(problem.clone(), a, b, KAPPA_TOL, MAX_ITERS)
            .map_err(|e| match e {
                RootError::Failed(_) => KappaError::NoRoot { lo: a.exp(), hi: b.exp() },
                _ => KappaError::NoConvergence,
            })?
            .exp();
        if k.is_finite() && k > 0.0 {
            Ok(k)
        } else {
            Err(KappaError::NotPositive(k))
        }
    }
}

/// The inner equation in u = ln κ with its derivative, for Newton's method.
struct KappaNewton<'a> {
    spectrum: &'a Spectrum,
    ln_target: f64,
    use_df: bool,
    /// T at the last κ evaluated.
    last_t: std::cell::Cell<f64>,
}

impl Equation for KappaNewton<'_> {
    fn eval(&self, u: f64) -> (f64, f64) {
        let k = u.exp();
        let (df, co, t) = self.spectrum.sums(k);
        self.last_t.set(t);
        // d(df)/dκ = −T and d(rank − df)/dκ = T.
        if self.use_df {
            (df.ln() - self.ln_target, -k * t / df)
        } else {
            (co.ln() - self.ln_target, k * t / co)
        }
    }
}

#[derive(Clone)]
struct KappaEquation<'a> {
    spectrum: &'a Spectrum,
    ln_target: f64,
    use_df: bool,
}

impl KappaEquation<'_> {
    fn eval(&self, u: f64) -> f64 {
        let k = u.exp();
        let v = if self.use_df { self.spectrum.df(k) } else { self.spectrum.co_df(k) };
        v.ln() - self.ln_target
    }
}

impl CostFunction for KappaEquation<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, u: &f64) -> Result<f64, ArgminError> {
        Ok(self.eval(*u))
    }
}

/// Sums over the data modes at κ_0, in one pass: for the bias `h = Σ c² m/(m+κ0)` and
/// `hh = Σ c² m/(m+κ0)²`, and for the infinite ensemble (§7) `γ_0 = Σ m²/(m+κ0)²` and
/// `T_0 = Σ m/(m+κ0)²`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DataSums {
    pub h: f64,
    pub hh: f64,
    pub gamma: f64,
    pub t: f64,
}

impl DataSums {
    pub(crate) fn new(modes: &DataSpectrum, kappa0: f64) -> Self {
        let (mut h, mut hh, mut gamma, mut t) = (0.0, 0.0, 0.0, 0.0);
        let mut add = |mi: f64, ci: f64, n: f64| {
            let r = 1.0 / (mi + kappa0);
            let w = mi * r * r;
            h += n * (ci * mi * r);
            hh += n * (ci * w);
            gamma += n * (mi * w);
            t += n * w;
        };
        match &modes.weights {
            None => modes.m.iter().zip(&modes.c2).for_each(|(&m, &c)| add(m, c, 1.0)),
            Some(ws) => modes.m.iter().zip(&modes.c2).zip(ws).for_each(|((&m, &c), &n)| add(m, c, n)),
        }
        DataSums { h, hh, gamma, t }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn power_law(n: usize, e: f64) -> Vec<f64> {
        (1..=n).map(|j| (j as f64).powf(-e)).collect()
    }

    #[test]
    fn trace_functions_match_direct_sums() {
        let v = power_law(37, 0.9);
        let s = Spectrum::new(&v);
        let k = 0.123;
        let df: f64 = v.iter().map(|a| a / (a + k)).sum();
        let t: f64 = v.iter().map(|a| a / ((a + k) * (a + k))).sum();
        assert!((s.df(k) - df).abs() < 1e-13 * df);
        assert!((s.t(k) - t).abs() < 1e-13 * t);
        assert!((s.co_df(k) - (37.0 - df)).abs() < 1e-12);
    }

    #[test]
    fn compression_keeps_values() {
        let mut v = vec![2.0; 10];
        v.extend(vec![0.5; 7]);
        v.extend(vec![0.0; 3]);
        let s = Spectrum::new(&v);
        assert_eq!(s.rank(), 17.0);
        assert!(s.weights.is_some());
        let k = 0.7;
        let df = 10.0 * 2.0 / 2.7 + 7.0 * 0.5 / 1.2;
        assert!((s.df(k) - df).abs() < 1e-14);
    }

    #[test]
    fn kappa_inverts_df_over_the_whole_range() {
        let s = Spectrum::new(&power_law(1000, 1.0));
        for &d in &[1e-9, 1e-3, 0.5, 10.0, 500.0, 999.0, 1000.0 - 1e-6] {
            let e = 1000.0 - d;
            let k = s.kappa(d, e, None).unwrap();
            if d <= e {
                assert!((s.df(k) - d).abs() < 1e-12 * d, "d = {d}");
            } else {
                assert!((s.co_df(k) - e).abs() < 1e-12 * e, "d = {d}");
            }
        }
        // Complement far below the resolution of d itself: e = 1e-12 at d ≈ 1000.
        let k = s.kappa(1000.0, 1e-12, None).unwrap();
        assert!((s.co_df(k) / 1e-12 - 1.0).abs() < 1e-10);
    }

    #[test]
    fn kappa_closed_form_for_flat_spectrum() {
        let s = Spectrum::new(&[3.0; 8]);
        let k = s.kappa(2.0, 6.0, None).unwrap();
        assert!((k - 9.0).abs() < 1e-14);
    }

    #[test]
    fn kappa_rejects_out_of_range() {
        let s = Spectrum::new(&power_law(10, 1.0));
        assert!(s.kappa(10.0, 0.0, None).is_err());
        assert!(s.kappa(0.0, 10.0, None).is_err());
    }
}
