//! The `scaling` job (SCALING §4–5): the asymptotic laws the theory predicts for a
//! power-law config beside the local exponents measured at the config's sizes, and the
//! budget frontier (the best split of C = p·n₁ between data and width).
//!
//! Notation of SCALING.md: M = Γ^{1/2}Σ0Γ^{1/2} has eigenvalues ∝ j^(−a) (a: the
//! exponent of M, which is Σ0's when Γ = I), the task power σ_j b_j ∝ j^(−(a+t)), and
//! * m₁ = min(a + t − 1, 2a): the data-limited exponent,
//! * m_N = min(a + t − 1, a): the width-limited exponent.

use crate::jobs::exponents::{self, LocalExponents};
use crate::spec::text::num;
use crate::spec::{Config, CovarianceKind, Error, Invalid, ModelSpec, Result, Ridge, Target};
use crate::support::brent::{self, Fun};
use crate::support::output::{Cell, Table};
use crate::support::progress::{Progress, Silent};
use crate::theory::{Point, Theory};
use serde::Serialize;

/// A number in a sentence: four significant digits.
fn sig(x: f64) -> String {
    format!("{x:.3e}")
}

/// The exponents of a power-law model that its laws depend on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PowerLaw {
    /// Exponent a of M's spectrum.
    pub a: f64,
    /// Exponent t of the target relative to M (the task power decays like j^−(a+t)).
    pub t: f64,
}

impl PowerLaw {
    /// m₁ = min(a + t − 1, 2a).
    pub fn m1(&self) -> f64 {
        (self.a + self.t - 1.0).min(2.0 * self.a)
    }

    /// m_N = min(a + t − 1, a).
    pub fn m_n(&self) -> f64 {
        (self.a + self.t - 1.0).min(self.a)
    }

    /// Which term of m₁'s min binds.
    fn m1_term(&self) -> String {
        if self.a + self.t - 1.0 < 2.0 * self.a {
            format!("m₁ = a + t − 1 = {}", num(self.m1()))
        } else if self.a + self.t - 1.0 == 2.0 * self.a {
            format!("m₁ = a + t − 1 = 2a = {} (t = a + 1: times ln p)", num(self.m1()))
        } else {
            format!("m₁ = 2a = {} (the target is smoother than the spectrum can use)", num(self.m1()))
        }
    }

    /// Which term of m_N's min binds.
    fn mn_term(&self) -> String {
        if self.t < 1.0 {
            format!("m_N = a + t − 1 = {}", num(self.m_n()))
        } else if self.t == 1.0 {
            format!("m_N = a + t − 1 = a = {} (t = 1: times ln N)", num(self.m_n()))
        } else {
            format!("m_N = a = {} (saturated: not 2a)", num(self.m_n()))
        }
    }

    /// SCALING §5's exponents of the frontier in C: (E*, p*, N*), noiseless or noisy.
    pub fn frontier(&self, noisy: bool) -> FrontierLaw {
        let (m1, mn) = (self.m1(), self.m_n());
        if noisy {
            let (first, second) = (m1 / (2.0 * m1 + 2.0 - mn), mn / (mn + 2.0));
            if first >= second {
                let d = 2.0 * m1 + 2.0 - mn;
                FrontierLaw { error: first, samples: (m1 + 1.0) / d, width: (m1 + 1.0 - mn) / d }
            } else {
                FrontierLaw { error: second, samples: (mn + 1.0) / (mn + 2.0), width: 1.0 / (mn + 2.0) }
            }
        } else {
            let (first, second) = (m1 / (m1 + 2.0 - mn), mn / 2.0);
            if first > second {
                let d = m1 + 2.0 - mn;
                FrontierLaw { error: first, samples: 1.0 / d, width: (m1 + 1.0 - mn) / d }
            } else {
                FrontierLaw { error: second, samples: 0.5, width: 0.5 }
            }
        }
    }
}

/// Exponents in the budget C of the frontier: E* ~ C^−error, p* ~ C^samples, N* ~ C^width.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FrontierLaw {
    pub error: f64,
    pub samples: f64,
    pub width: f64,
}

/// The power law of a spec, or why SCALING §4 has none for it.
pub fn power_law(spec: &ModelSpec) -> std::result::Result<PowerLaw, Invalid> {
    if let Some(l) = spec.layers().iter().position(|l| !l.activation.is_linear()) {
        return Err(Invalid(format!(
            "layer {} is {}: the laws of SCALING §4 are derived for linear networks",
            l + 1,
            spec.layers()[l].activation.name()
        )));
    }
    let sigma = match spec.data().kind {
        CovarianceKind::PowerLaw { exponent } => exponent,
        ref k => return Err(Invalid(format!("Σ0 is \"{}\": the laws need a power-law Σ0", k.name()))),
    };
    let a = match spec.input().kind {
        CovarianceKind::Identity => sigma,
        CovarianceKind::PowerLaw { exponent } => sigma + exponent,
        CovarianceKind::DataPower { exponent } => sigma * (1.0 + exponent),
        ref k => {
            return Err(Invalid(format!("Γ is \"{}\": the laws need Γ = I, a power law or Σ0^s", k.name())))
        }
    };
    let target = match spec.target() {
        Target::Isotropic => 0.0,
        Target::PowerLaw { exponent } => *exponent,
        Target::Weights { .. } => {
            return Err(Invalid(
                "the target's variances are given: the laws need a power-law target".to_string(),
            ))
        }
    };
    for (i, l) in spec.layers().iter().enumerate() {
        if !matches!(l.covariance.kind, CovarianceKind::Identity | CovarianceKind::PowerLaw { .. }) {
            return Err(Invalid(format!(
                "layer {}'s S is \"{}\": the laws hold for S = I or a power law",
                i + 1,
                l.covariance.kind.name()
            )));
        }
    }
    let law = PowerLaw { a, t: sigma + target - a };
    if a <= 1.0 {
        return Err(Invalid(format!(
            "M = Γ^½Σ0Γ^½ decays like j^−{}: the laws of SCALING §4 need an exponent > 1 (a finite trace)",
            num(a)
        )));
    }
    if law.a + law.t <= 1.0 {
        return Err(Invalid(format!(
            "the task power decays like j^−{}: no power law without a + t > 1",
            num(law.a + law.t)
        )));
    }
    Ok(law)
}

/// One asymptotic law beside the local exponent measured at the config's sizes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Law {
    /// `"samples"` or `"width"`.
    pub resource: &'static str,
    /// For a width: the layer ℓ (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// The predicted exponent (`None`: no power law in this regime).
    pub predicted: Option<f64>,
    /// The regime that binds and which term of the min gives the exponent.
    pub regime: String,
    /// The local exponent at the config's sizes (SCALING §3).
    pub measured: Option<f64>,
    /// The size where it was measured: p (the config's largest), or n_ℓ.
    pub at: f64,
    /// What limits the local exponent there.
    pub limits: String,
}

/// The sizes beyond which something other than the data binds, smallest first:
/// (p from which it binds, what).
fn crossovers(spec: &ModelSpec, theory: &Theory, ridge: Ridge) -> Vec<(f64, String)> {
    let mut out = Vec::new();
    if let Some((i, l)) = spec.layers().iter().enumerate().min_by_key(|(_, l)| l.width) {
        out.push((l.width as f64, format!("width n_{} = {} binds from p ≈ {}", i + 1, l.width, l.width)));
    }
    if !spec.is_infinite() {
        out.push((spec.dim() as f64, format!("n0 = {} binds from p ≈ {}", spec.dim(), spec.dim())));
    }
    if let Ridge::Fixed(l) = ridge {
        if l > 0.0 {
            // Ridge-dominated once d at κ = λ is reached: p ≈ df_M(λ).
            let p = theory.data_df(l);
            out.push((p, format!("the ridge λ = {} binds from p ≈ df(λ) = {}", num(l), sig(p))));
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// The law of the samples exponent at the config's largest p.
fn samples_law(
    spec: &ModelSpec,
    theory: &Theory,
    law: &PowerLaw,
    ridge: Ridge,
    p: f64,
    cross: &[(f64, String)],
) -> (Option<f64>, String, String) {
    let noisy = spec.noise() > 0.0;
    let (m1, term) = (law.m1(), law.m1_term());
    if let Some((_, what)) = cross.iter().find(|(at, _)| *at <= p) {
        let limits = what.clone();
        return if what.starts_with("width") {
            let n = spec.layers().iter().map(|l| l.width).min().unwrap_or(0) as f64;
            let floor = theory.width_limited_error(n);
            let regime = match floor {
                Some(e) if noisy => format!(
                    "width-limited (p > N): E_g → E_∞(N) = {} (+ η²N/p, below it from p ≈ η²N/E_∞ = {}); no decay in p",
                    sig(e),
                    sig(spec.noise() * n / e)
                ),
                Some(e) => format!("width-limited (p > N): E_g → E_∞(N) = {}, no decay in p", sig(e)),
                None => "width-limited (p > N): E_g → E_∞(N), no decay in p".into(),
            };
            (Some(0.0), regime, limits)
        } else if what.starts_with("n0") {
            if noisy {
                (Some(1.0), "past n0: the variance η²n0/p".into(), limits)
            } else {
                (None, "past n0, noiseless: E_g falls to 0 (exact recovery)".into(), limits)
            }
        } else {
            (Some(0.0), "ridge-limited: E_g → the bias at κ = λ".into(), limits)
        };
    }
    let window = match cross.first() {
        Some((_, what)) => format!("data-limited ({what})"),
        None => "data-limited (no size binds)".into(),
    };
    match (ridge, noisy) {
        (Ridge::Optimal, true) => {
            let e = m1 / (1.0 + m1);
            (
                Some(e),
                format!(
                    "optimal ridge, noisy: p^−m₁/(1+m₁) = p^−{}, λ* ~ p^−{}; {term}",
                    num(e),
                    num(law.a / (1.0 + m1))
                ),
                window,
            )
        }
        (_, false) => (Some(m1), format!("noiseless: p^−m₁; {term}"), window),
        (_, true) => (
            Some(0.0),
            "noisy without a tuned ridge: the fit interpolates the noise, E_g tends to a constant".into(),
            window,
        ),
    }
}

/// The law of layer ℓ's width exponent at the config's largest p.
fn width_law(spec: &ModelSpec, law: &PowerLaw, layer: usize, p: f64) -> (Option<f64>, String, String) {
    let widths: Vec<usize> = spec.layers().iter().map(|l| l.width).collect();
    let n = widths[layer - 1];
    let narrowest = widths.iter().enumerate().min_by_key(|(_, w)| **w).map(|(i, _)| i + 1).unwrap_or(layer);
    if narrowest != layer {
        return (
            None,
            format!("not the bottleneck: layer {narrowest} (n = {}) is narrower", widths[narrowest - 1]),
            "its width enters through prefactors only".into(),
        );
    }
    if !spec.is_infinite() && n >= spec.dim() {
        return (None, format!("n0 = {} ≤ n_{layer}: the data dimension binds", spec.dim()), String::new());
    }
    let term = law.mn_term();
    if p > n as f64 {
        (
            Some(law.m_n()),
            format!("width-limited (p ≫ N): E_∞(N) ~ N^−m_N; {term}"),
            format!("p/N = {}: the law needs p ≫ N (η²N/p and 1/(1 − N/p) add to it)", num(p / n as f64)),
        )
    } else {
        (
            None,
            "data-limited (p < N): E_g depends on N through c₂N^−m_N + c₃p^(1−m_N)/N".into(),
            format!("p/N = {}: N^−m_N needs p ≫ N; {term}", num(p / n as f64)),
        )
    }
}

/// The laws of a config, each beside its local exponent at the config's largest sample
/// size; for a config without a power law, the local exponents with the reason.
pub fn laws(config: &Config, progress: &dyn Progress) -> Result<(Vec<Law>, Option<String>)> {
    let spec = config.model();
    let theory = Theory::from_spec(spec, progress)?;
    let p = *config.samples().iter().max().expect("a config has samples") as f64;
    let point = match config.ridge() {
        Ridge::Fixed(l) => theory.point_at(p, l)?,
        Ridge::Optimal => theory.optimal_point_at(p, crate::spec::Ensemble::SINGLE)?,
    };
    let measured: LocalExponents =
        exponents::local_exponents(config, &theory, std::slice::from_ref(&point), &Silent)?.remove(0);
    let law = power_law(spec);
    let cross = crossovers(spec, &theory, config.ridge());
    let mut out = Vec::new();
    let (predicted, regime, limits) = match &law {
        Ok(l) => samples_law(spec, &theory, l, config.ridge(), p, &cross),
        Err(why) => (None, format!("no law: {why}"), String::new()),
    };
    out.push(Law {
        resource: "samples",
        layer: None,
        predicted,
        regime,
        measured: measured.samples,
        at: p,
        limits,
    });
    for (i, l) in spec.layers().iter().enumerate() {
        let (predicted, regime, limits) = match &law {
            Ok(pl) => width_law(spec, pl, i + 1, p),
            Err(why) => (None, format!("no law: {why}"), String::new()),
        };
        out.push(Law {
            resource: "width",
            layer: Some(i + 1),
            predicted,
            regime,
            measured: measured.widths[i],
            at: l.width as f64,
            limits,
        });
    }
    Ok((out, law.err().map(|e| e.0)))
}

/// One point of the budget frontier.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// C = p·n₁.
    pub budget: f64,
    /// p*.
    pub samples: f64,
    /// n_ℓ* of every layer (the config's ratios to n₁; real numbers when every S_ℓ is a
    /// multiple of the identity, else rounded).
    pub widths: Vec<f64>,
    /// λ at the optimum (λ* with `ridge = "optimal"`, else the config's).
    pub ridge: f64,
    /// E*.
    pub error: f64,
}

/// Exponents fitted to the frontier (least squares in ln C) beside SCALING §5.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrontierFit {
    /// −d ln E*/d ln C (`None` where no slope exists: one distinct budget, or E* = 0).
    pub error: Option<f64>,
    /// d ln p*/d ln C.
    pub samples: Option<f64>,
    /// d ln n₁*/d ln C.
    pub width: Option<f64>,
    /// SCALING §5 (one hidden layer, optimal ridge, power law; else `None`).
    pub predicted: Option<FrontierLaw>,
    /// The budgets fitted.
    pub from: f64,
    pub to: f64,
}

/// How the frontier sets the widths of a split: real widths on one theory when every S_ℓ
/// is a multiple of the identity (the theory is continuous in n), else the config rebuilt
/// at rounded widths.
enum Widths {
    Real(Box<Theory>),
    Rounded,
}

/// The theory at the split (p, n₁ = C/p): every width follows n₁ with the config's ratios
/// (`None` where a width leaves MIN_SIZE…MAX_SIZE).
fn theory_at(spec: &ModelSpec, widths: &Widths, budget: f64, p: f64) -> Result<Option<Theory>> {
    use crate::spec::limits::{MAX_SIZE, MIN_SIZE};
    let n1 = budget / p;
    let base = spec.layers()[0].width as f64;
    let sizes: Vec<f64> = spec.layers().iter().map(|l| n1 * l.width as f64 / base).collect();
    if sizes.iter().any(|&w| !(w >= MIN_SIZE as f64 && w <= MAX_SIZE as f64)) {
        return Ok(None);
    }
    match widths {
        Widths::Real(theory) => {
            let mut th = Theory::clone(theory);
            for (i, &w) in sizes.iter().enumerate() {
                th = th.with_width(i + 1, w).expect("every S is scalar (checked)");
            }
            Ok(Some(th))
        }
        Widths::Rounded => {
            let mut m = spec.clone();
            for (i, &w) in sizes.iter().enumerate() {
                if m.set_width(i + 1, w.round() as usize).is_err() {
                    return Ok(None);
                }
            }
            Theory::from_spec(&m, &Silent).map(Some)
        }
    }
}

/// E_g at the split ln p = u of budget C (`None` where the split is not a valid model).
fn error_at(
    spec: &ModelSpec,
    widths: &Widths,
    ridge: Ridge,
    budget: f64,
    u: f64,
) -> Result<Option<(Point, Vec<f64>)>> {
    let p = u.exp();
    let Some(theory) = theory_at(spec, widths, budget, p)? else { return Ok(None) };
    let pt = match ridge {
        Ridge::Fixed(l) => theory.point_at(p, l)?,
        Ridge::Optimal => theory.optimal_point_at(p, crate::spec::Ensemble::SINGLE)?,
    };
    Ok(Some((pt, theory.sizes().to_vec())))
}

/// Largest number of budgets of a frontier (each is a minimisation over the split, and
/// with `ridge = "optimal"` over λ at every split).
pub const MAX_BUDGETS: usize = 200;

/// `points` budgets log-spaced from `from` to `to` (C = p·n₁, from 4·MIN_SIZE to
/// 10³⁰); errors name the option `budget`.
pub fn budgets(from: f64, to: f64, points: usize) -> Result<Vec<f64>> {
    let bad = |m: String| Error::option("budget", m);
    let min = 4.0 * crate::spec::limits::MIN_SIZE as f64;
    if !(from.is_finite() && to.is_finite() && from >= min && to >= from && to <= 1e30) {
        return Err(bad(format!(
            "expected {} ≤ FROM ≤ TO ≤ 1e30 (C = p·n₁), got {}:{}",
            num(min),
            num(from),
            num(to)
        )));
    }
    if !(1..=MAX_BUDGETS).contains(&points) {
        return Err(bad(format!("expected 1 to {MAX_BUDGETS} budgets, got {points}")));
    }
    // Log spacing leaves 999999.9999999995 for 10⁶: snap to integers within rounding.
    let snap = |x: f64| if (x - x.round()).abs() <= 1e-9 * x { x.round() } else { x };
    Ok(crate::spec::rules::spaced(from, to, points, true).into_iter().map(snap).collect())
}

/// Splits scanned per decade of p before the bracketed minimisation.
const SPLITS_PER_DECADE: f64 = 4.0;

/// The best split of budget C: a log-grid scan over p, then argmin's Brent minimiser on
/// the bracket around the best grid point (ln p to 1e-6).
pub fn frontier_point(spec: &ModelSpec, ridge: Ridge, budget: f64) -> Result<FrontierPoint> {
    let base = Theory::from_spec(spec, &Silent)?;
    let widths = if (1..=spec.layers().len())
        .all(|l| base.with_width(l, spec.layers()[l - 1].width as f64).is_some())
    {
        Widths::Real(Box::new(base))
    } else {
        Widths::Rounded
    };
    let max_p = crate::spec::limits::MAX_SAMPLES.min(budget / crate::spec::limits::MIN_SIZE as f64);
    let (lo, hi) = (0.0f64, max_p.ln());
    let points = ((hi - lo) / std::f64::consts::LN_10 * SPLITS_PER_DECADE).ceil().max(4.0) as usize;
    let grid: Vec<f64> = (0..=points).map(|i| lo + (hi - lo) * i as f64 / points as f64).collect();
    let errors: Vec<f64> = grid
        .iter()
        .map(|&u| {
            error_at(spec, &widths, ridge, budget, u).map(|r| r.map_or(f64::INFINITY, |(pt, _)| pt.error))
        })
        .collect::<Result<_>>()?;
    let (i, _) = errors
        .iter()
        .enumerate()
        .filter(|(_, e)| e.is_finite())
        .min_by(|a, b| a.1.total_cmp(b.1))
        .ok_or_else(|| {
        Error::Numerical(format!("budget C = {}: no split has a finite error", num(budget)))
    })?;
    if i == points && max_p == crate::spec::limits::MAX_SAMPLES {
        return Err(Error::option(
            "budget",
            format!(
                "C = {}: the best split needs p beyond the largest sample size {:e}, so its frontier \
                 and exponents would be the limit's, not the model's: lower the largest budget",
                num(budget),
                crate::spec::limits::MAX_SAMPLES
            ),
        ));
    }
    let (a, b) = (grid[i.saturating_sub(1)], grid[(i + 1).min(points)]);
    let failed = std::cell::Cell::new(None);
    let f = |u: f64| match error_at(spec, &widths, ridge, budget, u) {
        Ok(r) => r.map_or(f64::INFINITY, |(pt, _)| pt.error),
        Err(e) => {
            failed.set(Some(e.to_string()));
            f64::INFINITY
        }
    };
    let (arg, _) = brent::minimum(Fun(f), (a, b), grid[i], (1e-9, 1e-6), 200).map_err(|e| {
        Error::Numerical(format!("budget C = {}: the minimisation over the split failed: {e}", num(budget)))
    })?;
    if let Some(e) = failed.take() {
        return Err(Error::Numerical(format!("budget C = {}: {e}", num(budget))));
    }
    let mut best = error_at(spec, &widths, ridge, budget, grid[i])?.expect("a finite grid point");
    if let Some(u) = arg {
        if let Some(r) = error_at(spec, &widths, ridge, budget, u)? {
            if r.0.error < best.0.error {
                best = r;
            }
        }
    }
    let (pt, widths) = best;
    Ok(FrontierPoint { budget, samples: pt.samples, widths, ridge: pt.ridge, error: pt.error })
}

/// The frontier over `budgets`, one progress unit each, with its fitted exponents.
pub fn frontier(
    config: &Config,
    budgets: &[f64],
    progress: &dyn Progress,
) -> Result<(Vec<FrontierPoint>, Option<FrontierFit>)> {
    let spec = config.model();
    if spec.layers().is_empty() {
        return Err(Error::option("budget", "the budget C = p·n₁ needs a hidden layer"));
    }
    progress.start("budget frontier", budgets.len() as u64);
    let mut out = Vec::with_capacity(budgets.len());
    for (i, &c) in budgets.iter().enumerate() {
        if progress.cancelled() {
            return Err(Error::Interrupted { done: i as u64, total: budgets.len() as u64, unit: "budget" });
        }
        out.push(frontier_point(spec, config.ridge(), c)?);
        progress.advance(1);
    }
    progress.finish();
    let fit = (out.len() >= 2).then(|| {
        let x: Vec<f64> = out.iter().map(|f| f.budget.ln()).collect();
        let slope = |y: Vec<f64>| slope(&x, &y);
        let predicted = match (power_law(spec), spec.layers().len(), config.ridge()) {
            (Ok(l), 1, Ridge::Optimal) => Some(l.frontier(spec.noise() > 0.0)),
            (Ok(l), 1, Ridge::Fixed(0.0)) if spec.noise() == 0.0 => Some(l.frontier(false)),
            _ => None,
        };
        FrontierFit {
            error: slope(out.iter().map(|f| f.error.ln()).collect()).map(|s| -s),
            samples: slope(out.iter().map(|f| f.samples.ln()).collect()),
            width: slope(out.iter().map(|f| f.widths[0].ln()).collect()),
            predicted,
            from: out[0].budget,
            to: out[out.len() - 1].budget,
        }
    });
    Ok((out, fit))
}

/// Least-squares slope of y on x; `None` when x does not vary or a y is not finite (a
/// logarithm of 0).
fn slope(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let s = sxy / sxx;
    (sxx > 0.0 && s.is_finite()).then_some(s)
}

/// A scaling report: the laws, the reason none applies (if so), and the frontier.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub laws: Vec<Law>,
    pub no_law: Option<String>,
    pub frontier: Vec<FrontierPoint>,
    pub fit: Option<FrontierFit>,
    /// One-pass SGD (`[training] optimizer = "sgd"`): its compute-optimal frontier, in place
    /// of the laws and the ridge frontier of the converged readout.
    pub compute: Option<crate::jobs::compute::ComputeReport>,
}

/// Runs the scaling job: laws, and the frontier over `budgets` when given.
pub fn run(config: &Config, budgets: Option<&[f64]>, progress: &dyn Progress) -> Result<Report> {
    crate::jobs::features::along_steps_only(config)?;
    if matches!(config.training(), crate::spec::Training::Sgd(_)) {
        let Some(b) = budgets else {
            return Err(Error::option(
                "budget",
                "one-pass SGD's scaling study is its compute-optimal frontier: give budgets",
            ));
        };
        let compute = crate::jobs::compute::run(config, b, progress)?;
        return Ok(Report {
            laws: Vec::new(),
            no_law: Some("the scaling laws are of the converged readout; one-pass SGD has its compute-optimal frontier".into()),
            frontier: Vec::new(),
            fit: None,
            compute: Some(compute),
        });
    }
    if config.training() != crate::spec::Training::Converged {
        return Err(Error::input(config.source(), "readout.time", crate::spec::SCALING_CONVERGED));
    }
    let (laws, no_law) = laws(config, progress)?;
    let (frontier, fit) = match budgets {
        Some(b) => frontier(config, b, progress)?,
        None => (Vec::new(), None),
    };
    Ok(Report { laws, no_law, frontier, fit, compute: None })
}

impl Report {
    /// The laws as a table: resource, layer, predicted, regime, measured, at, limits.
    pub fn laws_table(&self) -> Table {
        let columns = ["resource", "layer", "predicted", "regime", "measured", "at", "limits"];
        let rows = self
            .laws
            .iter()
            .map(|l| {
                vec![
                    Cell::Text(l.resource.into()),
                    l.layer.map_or(Cell::Missing, |i| Cell::Int(i as u64)),
                    Cell::opt(l.predicted),
                    Cell::Text(l.regime.clone()),
                    Cell::opt(l.measured),
                    Cell::Num(l.at),
                    Cell::Text(l.limits.clone()),
                ]
            })
            .collect();
        Table { columns: columns.map(String::from).to_vec(), rows }
    }

    /// The frontier as a table: budget, samples, width_1 … width_L, ridge, error.
    pub fn frontier_table(&self) -> Table {
        if let Some(c) = &self.compute {
            return c.frontier_table();
        }
        let depth = self.frontier.first().map_or(1, |f| f.widths.len());
        let mut columns = vec!["budget".to_string(), "samples".into()];
        columns.extend((1..=depth).map(|l| format!("width_{l}")));
        columns.extend(["ridge".into(), "error".into()]);
        let rows = self
            .frontier
            .iter()
            .map(|f| {
                let mut row = vec![Cell::Num(f.budget), Cell::Num(f.samples)];
                row.extend(f.widths.iter().map(|&w| Cell::Num(w)));
                row.extend([Cell::Num(f.ridge), Cell::Num(f.error)]);
                row
            })
            .collect();
        Table { columns, rows }
    }

    /// The fit as a table: quantity (error, samples, width_1), fitted, predicted.
    pub fn fit_table(&self) -> Table {
        if let Some(c) = &self.compute {
            return c.fit_table();
        }
        let rows = self
            .fit
            .iter()
            .flat_map(|f| {
                let p = f.predicted;
                [
                    ("error", f.error, p.map(|p| p.error)),
                    ("samples", f.samples, p.map(|p| p.samples)),
                    ("width_1", f.width, p.map(|p| p.width)),
                ]
            })
            .map(|(q, fitted, predicted)| vec![Cell::Text(q.into()), Cell::opt(fitted), Cell::opt(predicted)])
            .collect();
        Table { columns: ["quantity", "fitted", "predicted"].map(String::from).to_vec(), rows }
    }

    /// What the user must be told beside the tables (one-pass SGD's frontier: pre-asymptotic
    /// budgets, unstable widths, slow convergence of exponents).
    pub fn notes(&self) -> Vec<String> {
        self.compute.as_ref().map_or_else(Vec::new, |c| c.notes())
    }

    /// The report's tables by name, the one a CSV holds by default first: `frontier`
    /// (with a budget), `laws`, and `fit` (with a budget).
    pub fn tables(&self) -> Vec<(&'static str, Table)> {
        if self.compute.is_some() {
            return vec![("frontier", self.frontier_table()), ("fit", self.fit_table())];
        }
        if self.frontier.is_empty() {
            vec![("laws", self.laws_table())]
        } else {
            vec![("frontier", self.frontier_table()), ("laws", self.laws_table()), ("fit", self.fit_table())]
        }
    }

    /// CSV: one table (`table`, default the first of [`Report::tables`]). JSON:
    /// `{"laws": […], "no_law": …, "frontier": […], "fit": {…}}`.
    pub fn render(
        &self,
        source: &str,
        format: crate::support::output::Format,
        table: Option<&str>,
    ) -> Result<String> {
        let tables = self.tables();
        crate::support::output::render_tables(&tables, table, format, source, || {
            serde_json::json!({
                "laws": self.laws_table().json_rows(),
                "no_law": self.no_law,
                "frontier": self.frontier_table().json_rows(),
                "fit": match &self.compute {
                    Some(c) => c.fit_table().json_rows(),
                    None => serde_json::to_value(&self.fit).unwrap_or(serde_json::Value::Null),
                },
                "phase": self.compute.as_ref().and_then(|c| c.phase.clone()),
                "notes": self.notes(),
            })
        })
    }
}
