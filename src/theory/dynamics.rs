//! Training-time learning curves (DYNAMICS.md): the readout trained by gradient flow on
//! half the training loss for a time t from v(0) = 0, `v(t) = φ_t(K) b` with
//! `φ_t(k) = (1 − e^{−t(k+λ)})/(k+λ)`. E_g(t) and E_tr(t) are double sums of two-point
//! functions of the static saddle point continued to complex ridges μ_j = λ + s_j/t on
//! Weideman's cotangent contour (§3, N = 28 nodes: filter error 1e-14).
//!
//! At each node the saddle point (d, κ_0 … κ_L) is solved at complex μ (§1) by Newton's
//! method with the block structure eliminated (one complex unknown d; each κ_a follows
//! from its residual), continued along the ray μ_j(t′) = λ + s_j/t′ from the asymptotic
//! start d ≈ C/μ at small t′ with an adaptive step and a branch check (Im d ≤ 0,
//! Im κ_a ≥ 0 when Im μ > 0). Complex arithmetic stays in this module.
//!
//! Once a ray is near the static solution at μ = λ (|d| ≥ |d − d*|), its unknowns are the
//! differences Δd, Δ_a from it (§4), with κ − κ* and U − U* formed without cancellation
//! and the two-point numerators expanded about the base: the plain unknowns lost
//! ≈ log10(κ* t) digits (1e-8 at κt = 10⁶ below the ridgeless threshold, no digit left at
//! λt = 10¹⁸); these hold the static theory to ≤ 5e-13 at t = 10¹⁵ for λ from 0 to 10⁶.

use super::Theory;
use crate::spec::{Error, Result};
use num_complex::Complex64 as C;
use rayon::prelude::*;

/// Nodes of the cotangent contour for one time (§3: filter error 1e-14).
const NODES: usize = 28;
/// Nodes of the windowed rule for a time axis (§3: 36 nodes serve every time t = r·t_c,
/// r ∈ [½, 1], of a window from one set of saddle points at t_c, to 1e-12 of the
/// per-time rule).
const WINDOW_NODES: usize = 36;
/// Weideman's parameters (σ, a, α, ν) of the cotangent contour.
const CONTOUR: (f64, f64, f64, f64) = (-0.6122, 0.5017, 0.6407, 0.2645);
/// Newton stops one step after the largest relative residual is below this.
const TOL: f64 = 1e-13;
const MAX_NEWTON: usize = 40;
/// Node counts up to this sum their pairs in one sequential pass (the contours of gradient
/// flow); larger sets (the circle rule of gradient descent) sum rows in parallel.
const SEQUENTIAL_PAIRS: usize = 64;
/// The sample size that stands for p = ∞ in the population one-point functions.
const POPULATION: f64 = 1e30;
/// |d| at the asymptotic start of a ray, relative to min(p, r). Where Newton finds no
/// solution there (a spectrum whose tr/max is far below min(p, r), e.g. raw-scale), the
/// ray starts again at [`START_SERIES`] times the smallest tr/max, where each κ_a ≈ tr_a/d
/// is at least twice its largest eigenvalue, inside the radius of the series
/// df_a(κ) = tr_a/κ − …. The first start, when it works, is the cheaper continuation.
const START: f64 = 1e-2;
const START_SERIES: f64 = 0.5;

/// One point of a training-time curve (DYNAMICS §3).
#[derive(Clone, Debug, PartialEq)]
pub struct TimePoint {
    pub samples: f64,
    pub ridge: f64,
    /// Training time t (half-loss gradient flow; the full loss's time is 2t).
    pub time: f64,
    /// E_g(t) = (Fv(t) − β*)ᵀΣ0(Fv(t) − β*).
    pub error: f64,
    /// Its bias part (the terms of the two-point function without η²) and variance part
    /// (∝ η²), E_g = bias + variance.
    pub bias: f64,
    pub variance: f64,
    /// E_tr(t) = |y − Φv(t)|²/p.
    pub train_error: f64,
    /// Gradient descent's step η and step count k (time = ηk; k = ∞ for the converged
    /// readout); `None` for gradient flow.
    pub descent: Option<Stepping>,
}

/// A step η and a step count k of gradient descent (TRAINING A).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stepping {
    pub step: f64,
    pub steps: f64,
}

/// The `nodes` nodes s_j of the contour and the factors s'_j/(i N s_j) of their weights.
pub(super) fn contour(nodes: usize) -> (Vec<C>, Vec<C>) {
    let (sigma, a, alpha, nu) = CONTOUR;
    let n = nodes as f64;
    let mut s = Vec::with_capacity(nodes);
    let mut f = Vec::with_capacity(nodes);
    for j in 1..=nodes {
        let th = -std::f64::consts::PI + (j as f64 - 0.5) * 2.0 * std::f64::consts::PI / n;
        let cot = 1.0 / (alpha * th).tan();
        let sj = C::new(n * (sigma + a * th * cot), n * nu * th);
        let dsj = C::new(n * a * (cot - alpha * th / (alpha * th).sin().powi(2)), n * nu);
        s.push(sj);
        f.push(dsj / (C::i() * n * sj));
    }
    (s, f)
}

/// The weights of the nodes for the time t = r·t_c of a window solved at t_c:
/// ŵ_j(r) = e^{r s_j} s'_j/(i N s_j), normalised to Σ w_j = 1 (§3).
fn weights(s: &[C], f: &[C], r: f64) -> Vec<C> {
    let w: Vec<C> = s.iter().zip(f).map(|(sj, fj)| (sj * r).exp() * fj).collect();
    let total: C = w.iter().sum();
    w.into_iter().map(|x| x / total).collect()
}

/// The real saddle point at μ = λ (the static solution) that a ray's unknowns are measured
/// from once it is close to it (DYNAMICS §4).
#[derive(Clone, Debug)]
struct Base {
    d: f64,
    /// κ_0* … κ_L* (0 for a spectrum of rank r when λ = 0 and p ≥ r).
    kappas: Vec<f64>,
    /// κ* = κ_0* Π (d*/n_ℓ) κ_ℓ* (0 when any κ_a* is).
    kappa: f64,
    /// 1 − d*/p, as λ/κ* when κ* > 0 so that κ*(1 − d*/p) = λ holds exactly.
    one_minus: f64,
    /// U* = κ_0* Σ c² m/(m + κ_0*).
    u: f64,
}

/// The saddle point at one complex ridge μ = λ + σ.
#[derive(Clone, Debug)]
struct Saddle {
    d: C,
    /// κ_0 (data) then κ_1 … κ_L.
    kappas: Vec<C>,
    /// Once `relative`, the unknowns are Δd = d − d* and Δ_a = κ_a − κ_a* (and d, κ_a are
    /// derived from them): their equations then hold without the cancellation that costs
    /// ≈ log10(κ* t) digits in the plain ones. Before (early times, |d| < |Δd|), d and the
    /// κ's are the unknowns and these are unused.
    dd: C,
    dk: Vec<C>,
    relative: bool,
}

impl Saddle {
    /// Switches to the unknowns relative to `base` (at a point where both are accurate).
    fn make_relative(&mut self, base: &Base) {
        self.dd = self.d - base.d;
        self.dk = self.kappas.iter().zip(&base.kappas).map(|(k, b)| k - b).collect();
        self.relative = true;
    }
}

/// `ln(1 + z)` accurate for small complex z.
fn log1p(z: C) -> C {
    C::new(0.5 * (z.re * (2.0 + z.re) + z.im * z.im).ln_1p(), z.im.atan2(1.0 + z.re))
}

/// `e^z − 1` accurate for small complex z.
pub(super) fn expm1(z: C) -> C {
    let half = (0.5 * z.im).sin();
    C::new(z.re.exp_m1() * z.im.cos() - 2.0 * half * half, z.re.exp() * z.im.sin())
}

/// What the two-point functions need of a saddle point at μ = λ + σ (§1), with κ and U
/// also as differences from the base (δκ = κ − κ*, δU = U − U*).
#[derive(Clone, Copy, Debug)]
struct OnePoint {
    sigma: C,
    /// 1 − d/p.
    one_minus: C,
    kappa: C,
    dkappa: C,
    u: C,
    du: C,
    kappa_mu: C,
    u_mu: C,
}

impl OnePoint {
    fn conj(&self) -> OnePoint {
        OnePoint {
            sigma: self.sigma.conj(),
            one_minus: self.one_minus.conj(),
            kappa: self.kappa.conj(),
            dkappa: self.dkappa.conj(),
            u: self.u.conj(),
            du: self.du.conj(),
            kappa_mu: self.kappa_mu.conj(),
            u_mu: self.u_mu.conj(),
        }
    }
}

impl Theory {
    /// The static saddle point `point` at (p, λ) as the base of the relative unknowns;
    /// `None` for the null predictor (λ so large that d* underflows), whose rays stay plain.
    fn dynamics_base(&self, p: f64, ridge: f64, point: &super::Point) -> Option<Base> {
        let kappas: Vec<f64> =
            std::iter::once(point.kappa_data).chain(point.kappa_layers.iter().copied()).collect();
        let d = point.df;
        if !(d > 0.0 && kappas.iter().all(|k| k.is_finite() && *k >= 0.0)) {
            return None;
        }
        let mut kappa = kappas[0];
        for (l, &n) in self.sizes.iter().enumerate() {
            kappa *= d / n * kappas[l + 1];
        }
        let one_minus = if kappa > 0.0 && d > 0.5 * p { ridge / kappa } else { 1.0 - d / p };
        let k0 = kappas[0];
        let u = if k0 > 0.0 {
            k0 * self.modes.sum(|m, c| if m > 0.0 { c * m / (m + k0) } else { 0.0 })
        } else {
            0.0
        };
        Some(Base { d, kappas, kappa, one_minus, u })
    }

    /// The readout-level κ = κ_0 Π_ℓ (d/n_ℓ) κ_ℓ.
    fn complex_kappa(&self, s: &Saddle) -> C {
        let mut k = s.kappas[0];
        for (l, &n) in self.sizes.iter().enumerate() {
            k *= s.d / n * s.kappas[l + 1];
        }
        k
    }

    /// δκ = κ − κ* of a relative saddle point: κ* expm1(Σ log1p(Δ_a/κ_a*) + L log1p(Δd/d*))
    /// (§4), or κ itself when κ* = 0.
    fn delta_kappa(&self, base: &Base, s: &Saddle) -> C {
        if base.kappa == 0.0 {
            return self.complex_kappa(s);
        }
        let mut e = log1p(s.dd / base.d) * self.sizes.len() as f64;
        for (dk, k) in s.dk.iter().zip(&base.kappas) {
            e += log1p(dk / k);
        }
        expm1(e) * base.kappa
    }

    /// Newton's method at μ = λ + σ from `start`; `None` when it does not converge or
    /// leaves the branch.
    fn newton(
        &self,
        p: f64,
        (ridge, sigma): (f64, C),
        base: Option<&Base>,
        start: &Saddle,
    ) -> Option<Saddle> {
        let mut s = start.clone();
        let mut converged = false;
        let n_layers = C::new(self.sizes.len() as f64, 0.0);
        for _ in 0..MAX_NEWTON {
            // The residuals df_a(κ_a) − d, T_a, κ, 1 − d/p and the μ equation g, with the
            // scales their convergence is measured against.
            let (r, ts, kappa, one_minus, g, scale_g, scale_d): (Vec<C>, Vec<C>, C, C, C, f64, f64) =
                match base.filter(|_| s.relative) {
                    Some(b) => {
                        let (r, ts) = self
                            .spectra
                            .iter()
                            .zip(&b.kappas)
                            .zip(s.kappas.iter().zip(&s.dk))
                            .map(|((sp, &kb), (&k, dk))| {
                                let (shift, t) = sp.complex_shift_t(kb, k);
                                (-dk * shift - s.dd, t)
                            })
                            .unzip();
                        let dkappa = self.delta_kappa(b, &s);
                        let one_minus = C::new(b.one_minus, 0.0) - s.dd / p;
                        let g = dkappa * one_minus - s.dd * (b.kappa / p) - sigma;
                        (r, ts, dkappa + b.kappa, one_minus, g, sigma.norm(), s.dd.norm())
                    }
                    None => {
                        let (r, ts) = self
                            .spectra
                            .iter()
                            .zip(&s.kappas)
                            .map(|(sp, &k)| {
                                let (df, t) = sp.complex_df_t(k);
                                (df - s.d, t)
                            })
                            .unzip();
                        let kappa = self.complex_kappa(&s);
                        let one_minus = C::new(1.0, 0.0) - s.d / p;
                        let mu = sigma + ridge;
                        (r, ts, kappa, one_minus, kappa * one_minus - mu, mu.norm(), s.d.norm())
                    }
                };
            let a_sum: C = ts.iter().zip(&s.kappas).map(|(t, k)| (t * k).inv()).sum();
            let big_a = n_layers / s.d - a_sum;
            let mu_d = kappa * (big_a * one_minus * p - 1.0) / p;
            let weighted: C = r.iter().zip(&ts).zip(&s.kappas).map(|((r, t), k)| r / (t * k)).sum();
            let dd = -(g + kappa * one_minus * weighted) / mu_d;
            let residual = r.iter().map(|r| r.norm() / scale_d).fold(g.norm() / scale_g, f64::max);
            if !(dd.re.is_finite() && dd.im.is_finite()) {
                return None;
            }
            let step: Vec<C> = r.iter().zip(&ts).map(|(r, t)| (r - dd) / t).collect();
            if let Some(b) = base.filter(|_| s.relative) {
                s.dd += dd;
                s.d = s.dd + b.d;
                for (((dk, k), kb), st) in s.dk.iter_mut().zip(s.kappas.iter_mut()).zip(&b.kappas).zip(&step)
                {
                    *dk += st;
                    *k = *dk + kb;
                }
            } else {
                s.d += dd;
                for (k, st) in s.kappas.iter_mut().zip(&step) {
                    *k += st;
                }
            }
            if converged {
                break;
            }
            // A step at rounding level of its unknown ends the iteration too.
            let unknown = if s.relative { s.dd.norm() } else { s.d.norm() };
            converged = residual < TOL || dd.norm() <= 4.0 * f64::EPSILON * unknown;
        }
        let on_branch = sigma.im <= 0.0
            || (s.d.im <= 1e-12 * s.d.norm() && s.kappas.iter().all(|k| k.im >= -1e-12 * k.norm()));
        (converged && on_branch && s.d.re.is_finite()).then_some(s)
    }

    /// The saddle points at μ = λ + s/t for every t of `times` (ascending), continued along
    /// the ray from its asymptotic start and from each time to the next; the unknowns
    /// become relative to `base` once |d| ≥ |d − d*|.
    fn ray(&self, p: f64, ridge: f64, s: C, times: &[f64], base: Option<&Base>) -> Result<Vec<Saddle>> {
        let fail = |t: f64, detail: String| Error::Solver {
            samples: p,
            ridge,
            equation: format!(
                "training-time saddle point (DYNAMICS §1) at t = {}",
                crate::spec::text::num(t)
            ),
            detail,
        };
        let first = times[0];
        // μ → ∞: κ_a ≈ tr_a/d, κ ≈ C/d with C = tr_0 Π tr_ℓ/n_ℓ, so d ≈ C/μ.
        let c = self.spectra[0].trace()
            * self.spectra[1..].iter().zip(&self.sizes).map(|(sp, n)| sp.trace() / n).product::<f64>();
        let at = |tt: f64| (ridge, s / tt);
        let start = |d_start: f64| {
            let t_start = first.min(d_start * s.norm() / c);
            let d0 = C::new(c, 0.0) / (s / t_start + ridge);
            let guess = Saddle {
                d: d0,
                kappas: self.spectra.iter().map(|sp| C::new(sp.trace(), 0.0) / d0).collect(),
                dd: C::new(0.0, 0.0),
                dk: Vec::new(),
                relative: false,
            };
            self.newton(p, at(t_start), base, &guess).map(|sol| (t_start, sol))
        };
        let series = self.spectra.iter().map(|sp| sp.trace() / sp.max()).fold(f64::INFINITY, f64::min);
        let (first_start, series_start) = (START * p.min(self.rank), START_SERIES * series);
        let (mut t_now, mut cur) = start(first_start)
            .or_else(|| (series_start < first_start).then(|| start(series_start)).flatten())
            .ok_or_else(|| fail(first, "no solution at the asymptotic start".into()))?;
        let mut out = Vec::with_capacity(times.len());
        let mut ratio: f64 = 2.0;
        for &t in times {
            while t_now < t {
                let next = (t_now * ratio).min(t);
                // The previous solution starts Newton (a secant predictor in ln t can jump
                // to another root of the system, which the branch check does not see).
                match self.newton(p, at(next), base, &cur) {
                    Some(sol) => {
                        cur = sol;
                        t_now = next;
                        ratio = (ratio * 1.5).min(8.0);
                        if let Some(b) = base.filter(|_| !cur.relative) {
                            if cur.d.norm() >= (cur.d - b.d).norm() {
                                cur.make_relative(b);
                            }
                        }
                    }
                    None => {
                        ratio = ratio.sqrt();
                        if ratio < 1.0 + 1e-6 {
                            return Err(fail(t, format!("continuation stalled at t′ = {t_now:e}")));
                        }
                    }
                }
            }
            out.push(cur.clone());
        }
        Ok(out)
    }

    /// κ, U (also as differences from the base), 1 − d/p, κ_μ and U_μ of a saddle point at
    /// μ = λ + σ (§1, §4).
    fn one_point(&self, p: f64, sigma: C, base: Option<&Base>, s: &Saddle) -> OnePoint {
        let k0 = s.kappas[0];
        let kb0 = base.map_or(0.0, |b| b.kappas[0]);
        let (mut u, mut u2, mut shifted) = (C::new(0.0, 0.0), C::new(0.0, 0.0), C::new(0.0, 0.0));
        let w = self.modes.weights.as_deref();
        for (i, (&m, &c)) in self.modes.m.iter().zip(&self.modes.c2).enumerate() {
            if m > 0.0 {
                let wi = w.map_or(1.0, |w| w[i]);
                let r = (k0 + m).inv();
                u += r * (wi * c * m);
                u2 += r * r * (wi * c * m * m);
                shifted += r * (wi * c * m * m / (m + kb0));
            }
        }
        let u = k0 * u;
        let (kappa_star, u_star) = base.map_or((0.0, 0.0), |b| (b.kappa, b.u));
        let (kappa, dkappa, u, du, one_minus) = match base.filter(|_| s.relative) {
            Some(b) => {
                let dkappa = self.delta_kappa(b, s);
                let du = s.dk[0] * shifted;
                (dkappa + b.kappa, dkappa, du + b.u, du, C::new(b.one_minus, 0.0) - s.dd / p)
            }
            None => {
                let kappa = self.complex_kappa(s);
                (kappa, kappa - kappa_star, u, u - u_star, C::new(1.0, 0.0) - s.d / p)
            }
        };
        let ts: Vec<C> = self.spectra.iter().zip(&s.kappas).map(|(sp, &k)| sp.complex_df_t(k).1).collect();
        let big_a = C::new(self.sizes.len() as f64, 0.0) / s.d
            - ts.iter().zip(&s.kappas).map(|(t, k)| (t * k).inv()).sum::<C>();
        let mu_d = kappa * (big_a * one_minus * p - 1.0) / p;
        OnePoint {
            sigma,
            one_minus,
            kappa,
            dkappa,
            u,
            du,
            kappa_mu: kappa * big_a / mu_d,
            u_mu: -u2 / (ts[0] * mu_d),
        }
    }

    /// E_g and E_tr of the readout trained by gradient flow for time `time` > 0 at p samples
    /// and ridge λ ≥ 0 (DYNAMICS §3). Linear networks only.
    pub fn point_at_time(&self, samples: f64, ridge: f64, time: f64) -> Result<TimePoint> {
        Ok(self.points_at_times(samples, ridge, &[time])?.remove(0))
    }

    /// As [`Theory::point_at_time`] at every time of `times` (any order). Times are grouped
    /// into windows [t_c/2, t_c] (§3): the saddle points of a window are solved once at t_c,
    /// each continued from the window below, and every time of it is a reweighting — a
    /// dense time axis costs a few solves per factor 2 of t.
    pub fn points_at_times(&self, samples: f64, ridge: f64, times: &[f64]) -> Result<Vec<TimePoint>> {
        self.check_times(times)?;
        let t_max = times.iter().fold(0.0f64, |m, &t| m.max(t));
        let solved = self.negligible_ridge(ridge, t_max);
        let point = self.point_at(samples, solved)?;
        let mut pts =
            self.solve_times(samples, solved, times, self.dynamics_base(samples, solved, &point).as_ref())?;
        pts.iter_mut().for_each(|p| p.ridge = ridge);
        Ok(pts)
    }

    /// The ridge the saddle points are solved at: 0 for a λ that no double can tell from 0
    /// over times up to `t_max` (λ·t and λ/scale below 1e-17, so the filter
    /// (1 − e^{−t(x+λ)})/(x+λ) is that of λ = 0 to the last digit), else λ. A λ of 1e-300
    /// would put the complex ridges μ = λ + s/t and the static base 300 decades apart, where
    /// the continuation cannot follow.
    pub(super) fn negligible_ridge(&self, ridge: f64, t_max: f64) -> f64 {
        let scale = self.spectra[0].trace() / self.modes.rank();
        let scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
        if ridge > 0.0 && ridge * t_max < 1e-17 && ridge < 1e-17 * scale {
            0.0
        } else {
            ridge
        }
    }

    /// A finite time needs a linear network and a time within the rule's range.
    fn check_times(&self, times: &[f64]) -> Result<()> {
        if self.is_nonlinear() {
            return Err(Error::option(
                "time",
                "a finite training time is specified for linear networks (DYNAMICS.md); this network has a nonlinear layer",
            ));
        }
        for &t in times {
            crate::spec::rules::time(t).map_err(|e| Error::option("time", e.0))?;
        }
        Ok(())
    }

    /// [`Theory::points_at_times`] from the base of (p, λ), times checked.
    fn solve_times(
        &self,
        samples: f64,
        ridge: f64,
        times: &[f64],
        base: Option<&Base>,
    ) -> Result<Vec<TimePoint>> {
        // One time: the per-time rule. A time axis: windows from the largest time down, every
        // time ≥ t_c/2 joining t_c's window.
        let nodes = if times.len() == 1 { NODES } else { WINDOW_NODES };
        let mut order: Vec<usize> = (0..times.len()).collect();
        order.sort_by(|&a, &b| times[b].total_cmp(&times[a]));
        let mut tops: Vec<f64> = Vec::new();
        let mut window_of = vec![0usize; times.len()];
        for &i in &order {
            match tops.last() {
                Some(&tc) if times[i] >= 0.5 * tc && nodes == WINDOW_NODES => {}
                _ => tops.push(times[i]),
            }
            window_of[i] = tops.len() - 1;
        }
        // Ascending tops for the continuation; window k of `tops` is index tops.len()−1−k.
        let ascending: Vec<f64> = tops.iter().rev().copied().collect();
        let (s, f) = contour(nodes);
        // The rays are independent: in parallel (each result is the same on any thread).
        let rays: Vec<Vec<Saddle>> = s[nodes / 2..]
            .par_iter()
            .map(|&sj| self.ray(samples, ridge, sj, &ascending, base))
            .collect::<Result<_>>()?;
        // Window k of `ascending` evaluates every time that joined it.
        let mut in_window: Vec<Vec<usize>> = vec![Vec::new(); ascending.len()];
        for (i, &w) in window_of.iter().enumerate() {
            in_window[tops.len() - 1 - w].push(i);
        }
        let mut out: Vec<Option<TimePoint>> = vec![None; times.len()];
        for (k, &tc) in ascending.iter().enumerate() {
            let points: Vec<OnePoint> = s[nodes / 2..]
                .iter()
                .zip(&rays)
                .map(|(&sj, ray)| self.one_point(samples, sj / tc, base, &ray[k]))
                .collect();
            let sets: Vec<Vec<C>> = in_window[k].iter().map(|&i| weights(&s, &f, times[i] / tc)).collect();
            for (&i, acc) in in_window[k].iter().zip(self.node_sums(&points, base, &sets)) {
                out[i] = Some(self.checked_point(samples, ridge, times[i], acc, "t")?);
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// The points of rational filters Σ_j c_j (K + μ_j)⁻¹ b with μ_j = λ + s_j/t on one node
    /// set (gradient descent, TRAINING A2–A3): the saddle points at the upper-half-plane
    /// nodes `upper` (s_j at time t) solved once, continued from the asymptotic start; each
    /// weight set of `sets` (full contour order, Σ c_j = 1) gives the point labelled with the
    /// time beside it (ηk). `converged` is the static point at (p, λ), the base of the
    /// relative unknowns.
    pub(super) fn filter_points(
        &self,
        samples: f64,
        ridge: f64,
        (t, upper): (f64, &[C]),
        sets: &[(f64, Vec<C>)],
        converged: &super::Point,
    ) -> Result<Vec<TimePoint>> {
        let base = self.dynamics_base(samples, ridge, converged);
        let base = base.as_ref();
        let rays: Vec<Saddle> = upper
            .par_iter()
            .map(|&sj| self.ray(samples, ridge, sj, &[t], base).map(|mut r| r.remove(0)))
            .collect::<Result<_>>()?;
        let points: Vec<OnePoint> =
            upper.iter().zip(&rays).map(|(&sj, sad)| self.one_point(samples, sj / t, base, sad)).collect();
        let weights: Vec<Vec<C>> = sets.iter().map(|(_, w)| w.clone()).collect();
        sets.iter()
            .zip(self.node_sums(&points, base, &weights))
            .map(|((label, _), acc)| self.checked_point(samples, ridge, *label, acc, "ηk"))
            .collect()
    }

    /// The population (p = ∞) one-point functions at the readout-level ridge κ = −s + iεs
    /// just above the real axis (TRAINING B2): `(d, κ, U)` with d = df_{Σ_F}(κ) and
    /// U = κ_0 Σ c²m/(m + κ_0), continued down the vertical path κ(t′) = −s + iεs/t′ from
    /// the asymptotic region (it stays in the upper half plane: no branch is crossed);
    /// p = ∞ is p = 10³⁰ (μ = κ to 1e-27). `None` where the continuation fails (below a
    /// lower edge of the support, where the density is 0).
    pub(super) fn population_point(&self, s: f64, eps: f64) -> Option<(C, C, C)> {
        let sad = self.ray(POPULATION, -s, C::new(0.0, eps * s), &[1.0], None).ok()?.pop()?;
        let k0 = sad.kappas[0];
        let mut u = C::new(0.0, 0.0);
        let w = self.modes.weights.as_deref();
        for (i, (&m, &c)) in self.modes.m.iter().zip(&self.modes.c2).enumerate() {
            if m > 0.0 {
                u += (k0 + m).inv() * (w.map_or(1.0, |w| w[i]) * c * m);
            }
        }
        let kappa = self.complex_kappa(&sad);
        let finite = |z: C| z.re.is_finite() && z.im.is_finite();
        (finite(sad.d) && finite(kappa) && finite(u)).then_some((sad.d, kappa, k0 * u))
    }

    /// The point of time `time` from its sums Σ w_j w_k (bias, variance/η², train) over the
    /// node pairs; a sum that is not finite is a solver error naming the point (`unit` names
    /// the time: `t` for gradient flow, `k` for gradient descent).
    fn checked_point(
        &self,
        samples: f64,
        ridge: f64,
        time: f64,
        acc: [C; 3],
        unit: &str,
    ) -> Result<TimePoint> {
        let pt = self.filtered(samples, ridge, time, acc);
        if [pt.error, pt.bias, pt.variance, pt.train_error].iter().all(|x| x.is_finite()) {
            Ok(pt)
        } else {
            Err(Error::Solver {
                samples,
                ridge,
                equation: format!(
                    "training-time two-point sums (DYNAMICS §2–3) at {unit} = {}",
                    crate::spec::text::num(time)
                ),
                detail: format!("E_g = {}, E_tr = {} are not finite", pt.error, pt.train_error),
            })
        }
    }

    /// The two-point functions between every pair of nodes (§2) — the bias part, the
    /// variance part per unit η² and the training-error factor (1 − d1/p)(1 − d2/p) —
    /// summed with the weights w_j w_k of every weight set: `[bias, variance, train]`
    /// per set, where train = Σ w_j w_k (1 − d_j/p)(1 − d_k/p)(bias + η² variance + η²).
    /// `points` are the one-point functions at the upper-half-plane nodes (the others are
    /// their conjugates); a set orders its weights as the full contour, node j < n/2 the
    /// conjugate of node n−1−j. Off the diagonal the numerators are expanded about the base
    /// (§4), κ2U1 − κ1U2 = κ*(δU1 − δU2) + U*(δκ2 − δκ1) + δκ2δU1 − δκ1δU2, and
    /// μ2 − μ1 = σ2 − σ1, so that no O(1) terms cancel when the nodes crowd around λ at
    /// late times. Nothing of size n² is stored (the circle rule of gradient descent has
    /// thousands of nodes); rows are summed in parallel and added in order (deterministic).
    fn node_sums(&self, points: &[OnePoint], base: Option<&Base>, sets: &[Vec<C>]) -> Vec<[C; 3]> {
        let (kappa_star, u_star) = base.map_or((0.0, 0.0), |b| (b.kappa, b.u));
        let eta2 = self.noise;
        let conj: Vec<OnePoint> = points.iter().map(OnePoint::conj).collect();
        let n = 2 * points.len();
        let zero = C::new(0.0, 0.0);
        // Node j of the contour: the conjugate of ray n−1−j for j < n/2.
        let node = |j: usize| if j >= n / 2 { points[j - n / 2] } else { conj[n / 2 - 1 - j] };
        // Adds node j's row of pairs to `acc` (one accumulator per weight set).
        let add_row = |j: usize, acc: &mut [[C; 3]]| {
            let a = node(j);
            for k in 0..n {
                let b = node(k);
                let (pb, pv) = if j == k {
                    (a.kappa_mu * a.u - a.kappa * a.u_mu, a.kappa_mu - 1.0)
                } else {
                    let ds = b.sigma - a.sigma;
                    let num = (a.du - b.du) * kappa_star + (b.dkappa - a.dkappa) * u_star + b.dkappa * a.du
                        - a.dkappa * b.du;
                    (num / ds, (b.dkappa - a.dkappa) / ds - 1.0)
                };
                let train = a.one_minus * b.one_minus;
                for (w, acc) in sets.iter().zip(acc.iter_mut()) {
                    let ww = w[j] * w[k];
                    acc[0] += ww * pb;
                    acc[1] += ww * pv * eta2;
                    acc[2] += ww * train * (pb + pv * eta2 + eta2);
                }
            }
        };
        let mut total = vec![[zero; 3]; sets.len()];
        if n <= SEQUENTIAL_PAIRS {
            (0..n).for_each(|j| add_row(j, &mut total));
            return total;
        }
        let rows: Vec<Vec<[C; 3]>> = (0..n)
            .into_par_iter()
            .map(|j| {
                let mut acc = vec![[zero; 3]; sets.len()];
                add_row(j, &mut acc);
                acc
            })
            .collect();
        for row in rows {
            for (t, r) in total.iter_mut().zip(row) {
                for i in 0..3 {
                    t[i] += r[i];
                }
            }
        }
        total
    }

    /// E_g(t), its split and E_tr(t) from the sums of [`Theory::node_sums`] (§3).
    fn filtered(&self, samples: f64, ridge: f64, time: f64, [bias, var, etr]: [C; 3]) -> TimePoint {
        let eta2 = self.noise;
        let error = bias.re + var.re;
        // E_tr ≥ 0: a negative value is rounding of a training error of 0 (interpolation).
        let train_error = if etr.re < 0.0 && -etr.re <= 1e-12 * (error + eta2) { 0.0 } else { etr.re };
        TimePoint { samples, ridge, time, error, bias: bias.re, variance: var.re, train_error, descent: None }
    }
}

/// Scan points per decade of t for the optimal time.
const TIME_SCAN_PER_DECADE: f64 = 2.0;
/// A finite t* must beat the converged readout by more than this, relative: E_g(t) holds
/// the static theory to ≈ 1e-12 once converged, and a minimum inside that rounding (E_g(t)
/// flat at E_g(∞)) is not early stopping.
const T_STAR_MARGIN: f64 = 1e-10;

impl Theory {
    /// Early stopping: the time t* ∈ (0, ∞] that minimises E_g(t) at p and λ — a scan of
    /// ln t over 10⁻²…10⁶ in units of the mean eigenvalue of M, then argmin's Brent
    /// minimiser between the best scan point's neighbours. When no finite time beats the
    /// converged readout by more than [`T_STAR_MARGIN`] (relative), t* = ∞ and the point is
    /// the static one.
    pub fn optimal_time(&self, samples: f64, ridge: f64) -> Result<TimePoint> {
        let unit = self.modes.rank() / self.spectra[0].trace();
        let unit = if unit.is_finite() && unit > 0.0 { unit } else { 1.0 };
        let (lo, hi) = ((1e-2 * unit).ln(), (1e6 * unit).ln());
        let n = ((hi - lo) / std::f64::consts::LN_10 * TIME_SCAN_PER_DECADE).round() as usize;
        let grid: Vec<f64> = (0..=n).map(|i| lo + (hi - lo) * i as f64 / n as f64).collect();
        // The static point serves as the converged readout and as every time's base.
        let user_ridge = ridge;
        let ridge = self.negligible_ridge(ridge, (1e6 * unit).max(1.0));
        let converged = self.point_at(samples, ridge)?;
        let base = self.dynamics_base(samples, ridge, &converged);
        let at_time = |t: f64| -> Result<TimePoint> {
            self.check_times(&[t])?;
            let mut pt = self.solve_times(samples, ridge, &[t], base.as_ref())?.remove(0);
            pt.ridge = user_ridge;
            Ok(pt)
        };
        let scan: Vec<TimePoint> = grid.iter().map(|&u| at_time(u.exp())).collect::<Result<_>>()?;
        let (i, _) = scan.iter().enumerate().min_by(|a, b| a.1.error.total_cmp(&b.1.error)).expect("a scan");
        let at_infinity = TimePoint {
            samples,
            ridge: user_ridge,
            time: f64::INFINITY,
            error: converged.error,
            bias: converged.bias,
            variance: converged.variance,
            train_error: converged.train_error,
            descent: None,
        };
        let beats = |pt: &TimePoint| pt.error < converged.error * (1.0 - T_STAR_MARGIN);
        if i == n && !beats(&scan[i]) {
            return Ok(at_infinity);
        }
        let (a, b) = (grid[i.saturating_sub(1)], grid[(i + 1).min(n)]);
        let failed = std::cell::Cell::new(None);
        let f = |u: f64| match at_time(u.exp()) {
            Ok(pt) => pt.error,
            Err(e) => {
                failed.set(Some(e));
                f64::INFINITY
            }
        };
        let (arg, _) = crate::support::brent::minimum(
            crate::support::brent::Fun(f),
            (a, b),
            grid[i],
            (1e-8, 1e-10),
            100,
        )
        .map_err(|e| Error::Solver {
            samples,
            ridge,
            equation: "optimal time: min over t of E_g(t)".into(),
            detail: e.to_string(),
        })?;
        if let Some(e) = failed.take() {
            return Err(e);
        }
        let mut best = scan[i].clone();
        if let Some(u) = arg {
            let pt = at_time(u.exp())?;
            if pt.error < best.error {
                best = pt;
            }
        }
        Ok(if beats(&best) { best } else { at_infinity })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contour integrates the filter: Σ w_j/(1 + s_j/x)·… reproduces 1 − e^{−x}.
    #[test]
    fn contour_reproduces_the_gradient_flow_filter() {
        let (s, f) = contour(NODES);
        let w = weights(&s, &f, 1.0);
        for x in [1e-3f64, 0.1, 1.0, 5.0, 30.0, 1e3] {
            // x·φ(k) with t(k + λ) = x: Σ_j w_j x/(x + s_j).
            let r: C = s.iter().zip(&w).map(|(sj, wj)| wj * x / (sj + x)).sum();
            let exact: f64 = 1.0 - (-x).exp();
            assert!((r.re - exact).abs() < 1e-13 && r.im.abs() < 1e-13, "x = {x}: {r} vs {exact}");
        }
    }

    /// The two-point function E(μ1, μ2) = E (β̂(μ1) − β*)ᵀΣ0(β̂(μ2) − β*) (bilinear) of ridge
    /// estimators at complex ridges on the same data and features, against explicit
    /// matrices: 600 draws of X, G, β*, ξ with one hidden layer, β̂(μ) = F(K + μ)⁻¹Φᵀy/p;
    /// real and imaginary parts within 4 standard errors, at pairs in the same and in
    /// opposite half planes and on the diagonal.
    #[test]
    fn two_point_function_matches_explicit_matrices() {
        use nalgebra::{DMatrix, DVector};
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        let (n0, n1, p, noise, trials) = (60usize, 80usize, 50usize, 0.2, 600usize);
        let text = format!(
            "[data]\ndim = {n0}\nnoise = {noise}\ncovariance = {{ kind = \"power_law\", exponent = 1.0 }}\n\
             [[layers]]\nwidth = {n1}\n[readout]\nridge = 0.1\n[samples]\nvalues = [{p}]\n"
        );
        let cfg = crate::spec::Config::from_toml_str(&text).unwrap();
        let th = Theory::from_spec(cfg.model(), &crate::support::progress::Silent).unwrap();
        let sigma: Vec<f64> = {
            let raw: Vec<f64> = (1..=n0).map(|j| 1.0 / j as f64).collect();
            let mean = raw.iter().sum::<f64>() / n0 as f64;
            raw.iter().map(|x| x / mean).collect()
        };
        // λ = 0: the ridges are the offsets σ = μ.
        let base = th.dynamics_base(p as f64, 0.0, &th.point_at(p as f64, 0.0).unwrap());
        let theory_pair = |m1: C, m2: C| {
            let s1 = th.ray(p as f64, 0.0, m1, &[1.0], base.as_ref()).unwrap().remove(0);
            let s2 = th.ray(p as f64, 0.0, m2, &[1.0], base.as_ref()).unwrap().remove(0);
            let (a, b) = (
                th.one_point(p as f64, m1, base.as_ref(), &s1),
                th.one_point(p as f64, m2, base.as_ref(), &s2),
            );
            if m1 == m2 {
                a.kappa_mu * a.u - a.kappa * a.u_mu + (a.kappa_mu - 1.0) * noise
            } else {
                (b.kappa * a.u - a.kappa * b.u + (b.kappa - a.kappa) * noise) / (b.sigma - a.sigma) - noise
            }
        };
        let pairs = [
            (C::new(0.3, 0.5), C::new(0.1, 0.2)),
            (C::new(0.3, 0.5), C::new(0.2, -0.4)),
            (C::new(0.05, 0.3), C::new(0.05, 0.3)),
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let mut sums = vec![(C::new(0.0, 0.0), 0.0, 0.0); pairs.len()];
        for _ in 0..trials {
            let mut g = || -> f64 { StandardNormal.sample(&mut rng) };
            let beta = DVector::from_fn(n0, |_, _| g() / (n0 as f64).sqrt());
            let x = DMatrix::from_fn(p, n0, |_, j| g() * sigma[j].sqrt());
            let y = &x * &beta + DVector::from_fn(p, |_, _| g() * noise.sqrt());
            let f = DMatrix::from_fn(n0, n1, |_, _| g()) / (n1 as f64).sqrt();
            let phi = &x * &f;
            let k = (phi.transpose() * &phi / p as f64).map(|v| C::new(v, 0.0));
            let b = (phi.transpose() * &y / p as f64).map(|v| C::new(v, 0.0));
            let fc = f.map(|v| C::new(v, 0.0));
            let betac = beta.map(|v| C::new(v, 0.0));
            let err = |mu: C| {
                let a = &k + DMatrix::from_diagonal_element(n1, n1, mu);
                let v = a.lu().solve(&b).expect("K + μ is invertible off the negative axis");
                &fc * v - &betac
            };
            for (i, &(m1, m2)) in pairs.iter().enumerate() {
                let (e1, e2) = (err(m1), err(m2));
                let val: C = e1.iter().zip(e2.iter()).zip(&sigma).map(|((a, b), s)| a * b * *s).sum();
                sums[i].0 += val;
                sums[i].1 += val.re * val.re;
                sums[i].2 += val.im * val.im;
            }
        }
        for (i, &(m1, m2)) in pairs.iter().enumerate() {
            let n = trials as f64;
            let mean = sums[i].0 / n;
            let (var_re, var_im) = (sums[i].1 / n - mean.re * mean.re, sums[i].2 / n - mean.im * mean.im);
            let want = theory_pair(m1, m2);
            let z_re = (mean.re - want.re) / (var_re / n).sqrt();
            let z_im = if var_im > 0.0 { (mean.im - want.im) / (var_im / n).sqrt() } else { 0.0 };
            assert!(
                z_re.abs() < 4.0 && z_im.abs() < 4.0,
                "μ = {m1}, {m2}: simulation {mean} vs theory {want} (z = {z_re:.2}, {z_im:.2})"
            );
        }
    }
}
