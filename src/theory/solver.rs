//! Solution of the saddle-point equations (THEORY §3) at one (p, λ).
//!
//! For λ > 0 the inner equations (1)–(2) give every κ as a function of d, and (4) is a
//! 1-D root in d ∈ (0, D), D = min(p, r). The root is taken in the logit coordinate
//! `x`, `d = D σ(x)`, `D − d = D σ(−x)`, so that d close to D (λ → 0) keeps full relative
//! precision in both d and the gap D − d. The ridgeless regimes are solved directly.

use super::ensemble::Infinite;
use super::observables::{Solved, Traces};
use super::roots::{newton_root, Equation};
use super::spectrum::KappaError;
use super::{Point, Theory};
use crate::spec::{Error, Result};
use crate::support::brent::{self, RootError};
use crate::support::resources::MAX_SAMPLES;
use argmin::core::{CostFunction, Error as ArgminError};
use std::cell::RefCell;

const EQ_RIDGE: &str = "(4) λ = κ(1 − d/p)";
const X_TOL: f64 = 1e-13;
const X_LIMIT: f64 = 700.0;
const MAX_ITERS: u64 = 300;

fn equation_name(index: usize) -> String {
    if index == 0 {
        "(1) df_m(κ_0) = d".to_string()
    } else {
        format!("(2) df_s(κ_{index}) = d (layer {index})")
    }
}

/// `(σ(x), σ(−x))` without overflow.
fn sigmoid_pair(x: f64) -> (f64, f64) {
    if x >= 0.0 {
        let t = (-x).exp();
        (1.0 / (1.0 + t), t / (1.0 + t))
    } else {
        let t = x.exp();
        (t / (1.0 + t), 1.0 / (1.0 + t))
    }
}

struct Eval {
    x: f64,
    d: f64,
    p_minus_d: f64,
    kappas: Vec<f64>,
    f: f64,
}

#[derive(Default)]
struct Memo {
    evals: Vec<Eval>,
    /// The inner equation that failed, and why.
    failure: Option<(String, KappaError)>,
}

/// Equation (4) in the logit coordinate, with every κ_a(d) solved inside.
struct RidgeEquation<'a> {
    theory: &'a Theory,
    p: f64,
    cap: f64,
    cap_is_p: bool,
    ln_lambda: f64,
    memo: &'a RefCell<Memo>,
}

impl RidgeEquation<'_> {
    /// d, p − d and every complement rank_a − d at coordinate x.
    fn coords(&self, x: f64) -> (f64, f64, Vec<f64>) {
        let (s, sc) = sigmoid_pair(x);
        let (d, gap) = (self.cap * s, self.cap * sc);
        let p_minus_d = if self.cap_is_p { gap } else { self.p - d };
        let e = self
            .theory
            .spectra
            .iter()
            .map(|sp| if sp.rank() == self.cap { gap } else { sp.rank() - d })
            .collect();
        (d, p_minus_d, e)
    }

    /// Brackets for κ_a(d) from previously solved (d', κ') pairs (κ_a is decreasing in d).
    fn hint(&self, index: usize, d: f64) -> Option<(f64, f64)> {
        let memo = self.memo.borrow();
        let mut lo = 0.0_f64;
        let mut hi = f64::INFINITY;
        for ev in &memo.evals {
            if ev.d > d {
                lo = lo.max(ev.kappas[index]);
            } else if ev.d < d {
                hi = hi.min(ev.kappas[index]);
            }
        }
        (lo > 0.0 || hi.is_finite()).then_some((lo, hi))
    }

    /// Equation (4) at x; `None` when an inner equation fails (the failure is in the memo).
    fn eval(&self, x: f64) -> Option<f64> {
        if let Some(ev) = self.memo.borrow().evals.iter().find(|ev| ev.x == x) {
            return Some(ev.f);
        }
        let (d, p_minus_d, e) = self.coords(x);
        let mut kappas = Vec::with_capacity(e.len());
        for (i, sp) in self.theory.spectra.iter().enumerate() {
            match sp.kappa(d, e[i], self.hint(i, d)) {
                Ok(k) => kappas.push(k),
                Err(e) => {
                    self.memo.borrow_mut().failure = Some((equation_name(i), e));
                    return None;
                }
            }
        }
        let ln_kappa = ln_total_kappa(self.theory, d, &kappas);
        let f = ln_kappa + p_minus_d.ln() - self.p.ln() - self.ln_lambda;
        self.memo.borrow_mut().evals.push(Eval { x, d, p_minus_d, kappas, f });
        Some(f)
    }
}

impl CostFunction for RidgeEquation<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, x: &f64) -> Result<f64, ArgminError> {
        self.eval(*x).ok_or_else(|| ArgminError::msg("inner equation failed"))
    }
}

/// `ln κ = ln κ_0 + Σ_ℓ (ln d − ln n_ℓ + ln κ_ℓ)` (eq. 3).
fn ln_total_kappa(theory: &Theory, d: f64, kappas: &[f64]) -> f64 {
    kappas[0].ln()
        + theory.sizes.iter().zip(&kappas[1..]).map(|(&n, k)| d.ln() - n.ln() + k.ln()).sum::<f64>()
}

fn traces(theory: &Theory, kappas: &[f64]) -> Vec<Traces> {
    theory
        .spectra
        .iter()
        .zip(kappas)
        .map(|(sp, &k)| {
            let (t, q) = sp.t_q(k);
            let rho = if k == 0.0 { f64::INFINITY } else { q / (t * k) };
            Traces { kappa: k, t, rho }
        })
        .collect()
}

fn observe(theory: &Theory, p: f64, ridge: f64, d: f64, p_minus_d: f64, kappas: &[f64]) -> Point {
    let tr = traces(theory, kappas);
    Solved {
        samples: p,
        ridge,
        n0: theory.n0,
        noise: theory.noise,
        d,
        p_minus_d,
        data: tr[0],
        layers: &tr[1..],
        widths: &theory.sizes,
        modes: &theory.modes,
    }
    .point()
}

/// Solves the order parameters at (p, λ) and evaluates the observables. `warm` carries the
/// logit coordinate of a nearby solution in and this one out (ridge > 0 only).
///
/// Every finite λ ≥ 0 is accepted. When λ is so small that d is within 1e-300 of
/// min(p, r) the point is the ridgeless one (the limit λ → 0+, reported with this λ); when
/// it is so large that d < 1e-300 D the point is the null predictor (the limit λ → ∞).
pub(crate) fn solve(theory: &Theory, p: f64, ridge: f64, warm: &mut Option<LinearWarm>) -> Result<Point> {
    let fail = |equation: &str, detail: String| Error::Solver {
        samples: p,
        ridge,
        equation: equation.to_string(),
        detail,
    };
    // Callers check their users' values (configs, options, Python) by `rules`; these are
    // the theory's own bounds, so a breach is a failure of the caller, not bad input.
    if !(p > 0.0 && p <= MAX_SAMPLES) {
        return Err(Error::Numerical(format!(
            "the theory solves sample sizes p > 0 up to {MAX_SAMPLES:e}, not p = {p}"
        )));
    }
    if !(ridge >= 0.0 && ridge.is_finite()) {
        return Err(Error::Numerical(format!("the theory solves finite ridges λ ≥ 0, not λ = {ridge}")));
    }
    let r = theory.rank;
    if ridge == 0.0 {
        return ridgeless(theory, p, 0.0);
    }
    let cap = p.min(r);
    if let Some(point) = solve_newton(theory, p, ridge, cap, warm) {
        return Ok(point);
    }
    let memo = RefCell::new(Memo::default());
    let eq = RidgeEquation { theory, p, cap, cap_is_p: p <= r, ln_lambda: ridge.ln(), memo: &memo };
    let inner_fail = |memo: &RefCell<Memo>| match memo.borrow_mut().failure.take() {
        Some((equation, e)) => fail(&equation, e.to_string()),
        None => fail(EQ_RIDGE, "an inner equation failed".into()),
    };
    // Bracket the root of the decreasing function f(x), starting from the warm start.
    let x0 = warm.as_ref().map_or(0.0, |w| w.x);
    let (mut lo, mut hi, mut step) = (x0 - 0.5, x0 + 0.5, 0.5);
    while eq.eval(lo).ok_or_else(|| inner_fail(&memo))? <= 0.0 {
        hi = lo;
        step *= 2.0;
        lo -= step;
        if lo < -X_LIMIT {
            return Ok(null_predictor(theory, p, ridge));
        }
    }
    while eq.eval(hi).ok_or_else(|| inner_fail(&memo))? >= 0.0 {
        lo = hi;
        step *= 2.0;
        hi += step;
        if hi > X_LIMIT {
            return ridgeless(theory, p, ridge);
        }
    }
    let x = match brent::root(eq, lo, hi, X_TOL, MAX_ITERS) {
        Ok(x) => x,
        Err(RootError::Failed(_)) if memo.borrow().failure.is_some() => return Err(inner_fail(&memo)),
        Err(RootError::NoConvergence(n)) => {
            return Err(fail(EQ_RIDGE, format!("no convergence in {n} iterations on x ∈ [{lo}, {hi}]")))
        }
        Err(e) => return Err(fail(EQ_RIDGE, e.to_string())),
    };
    let memo = memo.into_inner();
    let ev = memo
        .evals
        .iter()
        .find(|ev| ev.x == x)
        .ok_or_else(|| fail(EQ_RIDGE, "solution was not evaluated".into()))?;
    let (d, p_minus_d) = (ev.d, ev.p_minus_d);
    *warm = Some(LinearWarm { x, ln_p: p.ln(), previous: None, start: None });
    let point = observe(theory, p, ridge, d, p_minus_d, &ev.kappas);
    if point.error.is_nan() || point.df2.is_nan() {
        if d < 1e-100 * cap {
            // λ so large that the trace sums underflow: the null predictor to machine precision.
            return Ok(null_predictor(theory, p, ridge));
        }
        return Err(fail(EQ_RIDGE, format!("observables are NaN at d = {d:e}")));
    }
    Ok(point)
}

/// Equation (4) in the logit coordinate with its derivative, for Newton's method: every
/// κ_a(d) by Newton from the previous evaluation's (or the previous point's), T_a from the
/// same passes, and `d ln κ_a/dd = −1/(κ_a T_a)` (from `df_a(κ_a) = d`).
struct NewtonRidge<'a> {
    eq: RidgeEquation<'a>,
    /// d, the κ's and the T's of the evaluation before (or of the previous point): each
    /// inner Newton starts from the first-order prediction κ_a exp(−Δd/(κ_a T_a)).
    start: RefCell<Option<Start>>,
    /// Set when an inner equation failed (the caller then uses the bracketing path).
    failed: std::cell::Cell<bool>,
}

impl Equation for NewtonRidge<'_> {
    fn eval(&self, x: f64) -> (f64, f64) {
        let e = &self.eq;
        let (d, p_minus_d, comp) = e.coords(x);
        let start = self.start.borrow().clone();
        let mut kappas = Vec::with_capacity(comp.len());
        let mut ts = Vec::with_capacity(comp.len());
        let mut slope = 0.0;
        for (i, sp) in e.theory.spectra.iter().enumerate() {
            let s = start.as_ref().map(|s| {
                let (k, t) = (s.kappas[i], s.ts[i]);
                let predicted = k * (-(d - s.d) / (k * t)).exp();
                if predicted.is_finite() && predicted > 0.0 {
                    predicted
                } else {
                    k
                }
            });
            match sp.kappa_newton(d, comp[i], s, e.hint(i, d)) {
                Ok((k, t)) => {
                    slope -= 1.0 / (k * t);
                    if i > 0 {
                        slope += 1.0 / d;
                    }
                    kappas.push(k);
                    ts.push(t);
                }
                Err(_) => {
                    self.failed.set(true);
                    return (f64::NAN, f64::NAN);
                }
            }
        }
        slope -= 1.0 / p_minus_d;
        let ln_kappa = ln_total_kappa(e.theory, d, &kappas);
        let f = ln_kappa + p_minus_d.ln() - e.p.ln() - e.ln_lambda;
        // dd/dx = D σ(x) σ(−x) = d (D − d)/D.
        let (s, sc) = sigmoid_pair(x);
        let dd_dx = e.cap * s * sc;
        *self.start.borrow_mut() = Some(Start { d, kappas: kappas.clone(), ts });
        e.memo.borrow_mut().evals.push(Eval { x, d, p_minus_d, kappas, f });
        (f, slope * dd_dx)
    }
}

/// The solution of a nearby point: its logit coordinate and, when known, its inner solution.
#[derive(Clone, Debug)]
pub(crate) struct LinearWarm {
    x: f64,
    /// ln p of this point, and (ln p, x) of the one before, for extrapolation.
    ln_p: f64,
    previous: Option<(f64, f64)>,
    start: Option<Start>,
}

/// A solution of the inner equations: d, every κ_a and T_a(κ_a).
#[derive(Clone, Debug)]
pub(crate) struct Start {
    d: f64,
    kappas: Vec<f64>,
    ts: Vec<f64>,
}

/// The point at (p, λ > 0) by Newton's method on equation (4) from the warm start, every
/// inner equation by Newton too: a few passes over the spectra per point on a curve.
/// `None` when this path cannot conclude (an inner failure, no convergence, or a root at
/// the limits of the coordinate): the caller then brackets and uses Brent's method.
fn solve_newton(
    theory: &Theory,
    p: f64,
    ridge: f64,
    cap: f64,
    warm: &mut Option<LinearWarm>,
) -> Option<Point> {
    let memo = RefCell::new(Memo::default());
    let eq = RidgeEquation { theory, p, cap, cap_is_p: p <= theory.rank, ln_lambda: ridge.ln(), memo: &memo };
    // The start: the previous point's solution, extrapolated linearly in ln p from the two
    // points before when there are two.
    let (x0, k0) = match warm {
        Some(w) => {
            let x = match w.previous {
                Some((ln_p0, x0)) if w.ln_p != ln_p0 => {
                    w.x + (w.x - x0) * (p.ln() - w.ln_p) / (w.ln_p - ln_p0)
                }
                _ => w.x,
            };
            (if x.is_finite() && x.abs() < X_LIMIT - 1.0 { x } else { w.x }, w.start.clone())
        }
        None => (0.0, None),
    };
    let newton = NewtonRidge { eq, start: RefCell::new(k0), failed: std::cell::Cell::new(false) };
    let x = newton_root(&newton, (-X_LIMIT, X_LIMIT), 1.0, x0, (1e-9, 0.0), String::new).ok()?;
    if newton.failed.get() || x.abs() > X_LIMIT - 1.0 {
        return None;
    }
    // The last step was below 1e-9, so x is exact to far below X_TOL; the κ's at x follow
    // from the last evaluation's to first order in Δd = O(1e-9 d), exact to O(Δd²).
    let last = newton.start.borrow().clone()?;
    let (d, p_minus_d, _) = newton.eq.coords(x);
    let kappas: Vec<f64> =
        last.kappas.iter().zip(&last.ts).map(|(&k, &t)| k * (-(d - last.d) / (k * t)).exp()).collect();
    if (d - last.d).abs() > 1e-6 * d || kappas.iter().any(|k| !(k.is_finite() && *k > 0.0)) {
        return None;
    }
    let point = observe(theory, p, ridge, d, p_minus_d, &kappas);
    if point.inconsistency().is_some() {
        return None;
    }
    let ln_p = p.ln();
    let previous = warm.as_ref().map(|w| (w.ln_p, w.x));
    *warm = Some(LinearWarm { x, ln_p, previous, start: Some(Start { d, kappas, ts: last.ts }) });
    Some(point)
}

/// The limit λ → ∞: the null predictor β̂ = 0, E_g = Σ m c² (the signal, 1 when
/// normalised), no variance, E_tr = E_g + η², d = 0 and every κ infinite (κ ≈ λ).
fn null_predictor(theory: &Theory, p: f64, ridge: f64) -> Point {
    let signal: f64 = theory.modes.sum(|m, c| m * c);
    Point {
        samples: p,
        alpha: p / theory.n0,
        ridge,
        error: signal,
        bias: signal,
        variance: 0.0,
        train_error: signal + theory.noise,
        test_mse: signal + theory.noise,
        df: 0.0,
        df2: 0.0,
        kappa: ridge,
        kappa_data: f64::INFINITY,
        kappa_layers: vec![f64::INFINITY; theory.widths.len()],
        error_inf: Some(signal),
        bias_inf: Some(signal),
        variance_inf: Some(0.0),
        init_variance: Some(0.0),
    }
}

/// λ = 0 (THEORY §3): d = p below the threshold, the limit d → r, κ → 0 above it,
/// and +∞ error at p = r. `ridge` is the λ reported (0, or a λ below representable scale).
fn ridgeless(theory: &Theory, p: f64, ridge: f64) -> Result<Point> {
    let r = theory.rank;
    let d = p.min(r);
    let mut kappas = Vec::with_capacity(theory.spectra.len());
    for (i, sp) in theory.spectra.iter().enumerate() {
        if sp.rank() == d {
            kappas.push(0.0);
        } else {
            let e = sp.rank() - d;
            kappas.push(sp.kappa(d, e, None).map_err(|err| Error::Solver {
                samples: p,
                ridge,
                equation: equation_name(i),
                detail: err.to_string(),
            })?);
        }
    }
    let df = d;
    if p == r {
        // Interpolation threshold. The variance diverges whenever η² > 0; the bias
        // diverges when a hidden layer is a bottleneck, and tends to 0 when only the data is.
        let layer_bottleneck = theory.spectra[1..].iter().any(|sp| sp.rank() == theory.rank);
        let bias = if layer_bottleneck { f64::INFINITY } else { 0.0 };
        let variance = if theory.noise > 0.0 { f64::INFINITY } else { 0.0 };
        let error = bias + variance;
        let point = Point {
            samples: p,
            alpha: p / theory.n0,
            ridge,
            error,
            bias,
            variance,
            train_error: 0.0,
            test_mse: error + theory.noise,
            df,
            df2: df,
            kappa: 0.0,
            kappa_data: kappas[0],
            kappa_layers: kappas[1..].to_vec(),
            error_inf: None,
            bias_inf: None,
            variance_inf: None,
            init_variance: None,
        };
        // A narrow layer's peak is initialisation variance: E_∞ is finite there (§7).
        return Ok(if layer_bottleneck && kappas[0] > 0.0 {
            let m = &theory.modes;
            point.with_infinite(Infinite::from_kappa(m, kappas[0], df, 0.0, theory.noise))
        } else {
            point.without_init_variance()
        });
    }
    let p_minus_d = p - d;
    Ok(observe(theory, p, ridge, df, p_minus_d, &kappas))
}
