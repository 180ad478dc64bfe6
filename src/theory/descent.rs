//! Full-batch gradient descent on the readout with a step η (TRAINING A): k steps of
//! `v ← v + η(b − (K + λ)v)` from v = 0 apply the filter `φ_k(x) = (1 − (1 − η(x+λ))^k)/(x+λ)`,
//! an exact contour integral with `(1 + s/k)^k` in place of e^s (A2). E_g(k) and E_tr(k)
//! are then the two-point sums of gradient flow (DYNAMICS §2) at t = ηk on one of two node
//! sets (A3, B10):
//!
//! * the **mapped Talbot contour** (u = k log(1 + s/k) on Weideman's contour, 28 nodes) when
//!   k ≥ 28 and the oscillating residue `(η(x₊+λ) − 1)^k` is below 1e-14 — it does not
//!   enclose the modes with 1 − η(x+λ) < 0;
//! * the **w-circle** `|w| = R`, `μ(w) = λ − (1 − w)/η`, exact at every step size, with
//!   M = max(48, 8k) nodes and R = ρe^{3.6/k} (Σ|c_j| ≈ 40). Its saddle points do not depend
//!   on k, so one circle at the largest such k serves every smaller k (a reweighting).
//!
//! The stability edge is `η(x₊ + λ) < 2` with x₊ the top edge of the deterministic-
//! equivalent spectrum of K (A4), found on the real branch continued from μ → −∞. For
//! power-law spectra the top of K is an isolated spike that the deterministic equivalent
//! smears: x₊ is then a *typical* edge, and one draw can diverge below it.

use super::dynamics::Stepping;
use super::dynamics::{contour, expm1};
use super::{Theory, TimePoint};
use crate::spec::{Descent, Error, Result, Step, Steps};
use num_complex::Complex64 as C;

/// Nodes of the mapped Talbot contour (A3 (i): Weideman's N = 28).
const TALBOT_NODES: usize = 28;
/// The Talbot route needs k ≥ this (its images of u = 0 at Im u = 2πk stay outside).
const TALBOT_FROM: u64 = 28;
/// The oscillating residue the Talbot route may leave out.
const OSCILLATION: f64 = 1e-14;
/// Fewest circle nodes, and nodes per step (B10: M = 8k).
const CIRCLE_MIN: usize = 48;
const CIRCLE_PER_STEP: usize = 8;
/// R = ρ·e^{CIRCLE_RADIUS/k}: the trapezoid error (ρ/R)^M = e^{−28.8} at M = 8k.
const CIRCLE_RADIUS: f64 = 3.6;
/// Most circle nodes (k ≤ 1024): a request so close to the edge that the oscillating
/// residue survives more steps is refused.
const CIRCLE_MAX: usize = 8192;

/// Gradient descent at one sample size: its stability edge and its points.
#[derive(Clone, Debug, PartialEq)]
pub struct DescentCurve {
    /// x₊: the top edge of the deterministic-equivalent spectrum of K.
    pub top_edge: f64,
    /// The stability edge 2/(x₊ + λ) of the step (a typical edge: see the module notes).
    pub step_edge: f64,
    /// One point per requested step count (time = ηk); empty when the step diverges.
    pub points: Vec<TimePoint>,
    /// Beyond the edge: the growth of E_g per step, 2 log|1 − η(x₊ + λ)| (no numbers).
    pub diverged: Option<f64>,
}

/// Which node set serves a step count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Talbot,
    Circle,
}

impl Theory {
    /// x₊: the top edge of the deterministic-equivalent spectrum of K = ΦᵀΦ/p at p samples
    /// (p = ∞: of Σ_F = FᵀΣ0F), `−max_{d<0} μ(d)` on the real branch below the spectrum
    /// (TRAINING A4): κ_a(d) < −max(a) from `df_a(κ_a) = d`, κ = κ_0 Π (d/n_ℓ)κ_ℓ,
    /// μ = κ(1 − d/p); a scan of ln(−d) then Brent's maximisation. Without a hidden layer at
    /// p = ∞ the edge is the top eigenvalue itself.
    pub fn top_edge(&self, samples: f64) -> Result<f64> {
        let fail = |detail: String| Error::Solver {
            samples,
            ridge: 0.0,
            equation: "top edge of the spectrum of K (TRAINING A4)".into(),
            detail,
        };
        if self.is_nonlinear() {
            return Err(Error::option("optimizer", NONLINEAR));
        }
        if samples.is_infinite() && self.sizes.is_empty() {
            return Ok(self.spectra[0].max());
        }
        let mu = |u: f64| -> f64 {
            let d = -u.exp();
            let mut kappa = 1.0;
            for (a, sp) in self.spectra.iter().enumerate() {
                match sp.kappa_below(d) {
                    Ok(k) if a == 0 => kappa *= k,
                    Ok(k) => kappa *= d / self.sizes[a - 1] * k,
                    Err(_) => return f64::NEG_INFINITY,
                }
            }
            if samples.is_finite() {
                kappa * (1.0 - d / samples)
            } else {
                kappa
            }
        };
        // −d at the edge lies between the smallest size and the largest (MP: √(n0 p)); a
        // spectrum's effective rank tr/max counts as a size (an infinite power law's edge
        // sits near it however wide the layers are).
        let finite = |x: f64| if x.is_finite() { x } else { f64::NAN };
        let sizes: Vec<f64> = self
            .spectra
            .iter()
            .flat_map(|s| [finite(s.rank()), finite(s.trace() / s.max())])
            .chain(self.sizes.iter().copied())
            .chain([finite(samples)])
            .filter(|x| x.is_finite())
            .collect();
        let small = sizes.iter().copied().fold(f64::INFINITY, f64::min).max(1.0);
        let large = sizes.iter().copied().fold(1.0f64, f64::max);
        let (lo, hi) = ((1e-4 * small).ln(), (1e4 * large).ln());
        let n = (((hi - lo) / std::f64::consts::LN_10) * 8.0).ceil() as usize;
        let grid: Vec<f64> = (0..=n).map(|i| lo + (hi - lo) * i as f64 / n as f64).collect();
        let values: Vec<f64> = grid.iter().map(|&u| mu(u)).collect();
        let (i, &best) = values
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .ok_or_else(|| fail("an empty scan".into()))?;
        if !best.is_finite() || best >= 0.0 {
            return Err(fail(format!("no maximum of μ(d) below the spectrum (best {best:e})")));
        }
        if i == 0 || i == n {
            return Err(fail(format!(
                "the maximum of μ(d) sits at the end of the scan, −d = {:e}",
                grid[i].exp()
            )));
        }
        let (arg, _) = crate::support::brent::minimum(
            crate::support::brent::Fun(|u: f64| -mu(u)),
            (grid[i - 1], grid[i + 1]),
            grid[i],
            (1e-12, 1e-14),
            200,
        )
        .map_err(|e| fail(e.to_string()))?;
        let refined = arg.map_or(f64::NEG_INFINITY, mu);
        Ok(-refined.max(best))
    }

    /// Full-batch gradient descent on the readout at p samples, ridge λ ≥ 0 and step η > 0,
    /// at every step count of `steps` (any order; k = 0 is the untrained readout): E_g(k),
    /// its bias/variance split and E_tr(k) (TRAINING A), time = ηk. A step at or beyond the
    /// edge, η(x₊ + λ) ≥ 2, gives no points and its growth per step. Linear networks only.
    pub fn descent(&self, samples: f64, ridge: f64, step: f64, steps: &[u64]) -> Result<DescentCurve> {
        self.descent_on(samples, ridge, step, steps, None)
    }

    /// [`Theory::descent`], every positive k on the node set `force` when given (tests).
    fn descent_on(
        &self,
        samples: f64,
        ridge: f64,
        step: f64,
        steps: &[u64],
        force: Option<Route>,
    ) -> Result<DescentCurve> {
        if !(step.is_finite() && step > 0.0) {
            return Err(Error::option("step", format!("expected a step η > 0, got {step}")));
        }
        let top_edge = self.top_edge(samples)?;
        let step_edge = 2.0 / (top_edge + ridge);
        let w_min = 1.0 - step * (top_edge + ridge);
        if w_min <= -1.0 {
            return Ok(DescentCurve {
                top_edge,
                step_edge,
                points: Vec::new(),
                diverged: Some(2.0 * w_min.abs().ln()),
            });
        }
        let k_max = steps.iter().copied().max().unwrap_or(0);
        let solved = self.negligible_ridge(ridge, step * k_max as f64);
        let converged = self.point_at(samples, solved)?;
        // (η(x₊+λ) − 1)^k, the residue the Talbot route leaves out.
        let oscillation = |k: u64| if w_min < 0.0 { (-w_min).powf(k as f64) } else { 0.0 };
        let route = |k: u64| match force {
            Some(r) => r,
            None if k >= TALBOT_FROM && oscillation(k) < OSCILLATION => Route::Talbot,
            None => Route::Circle,
        };
        let mut out: Vec<Option<TimePoint>> = vec![None; steps.len()];
        let circle: Vec<usize> =
            (0..steps.len()).filter(|&i| steps[i] > 0 && route(steps[i]) == Route::Circle).collect();
        if let Some(kc) = circle.iter().map(|&i| steps[i]).max() {
            let m = circle_nodes(kc).ok_or_else(|| {
                Error::option(
                    "step",
                    format!(
                        "η = {} is within {:.2e} of the stability edge 2/(x₊+λ) = {}: the top modes oscillate \
                         for more than {} steps (k = {kc}), beyond what the exact circle route covers; take a \
                         smaller step",
                        crate::spec::text::num(step),
                        1.0 - step / step_edge,
                        crate::spec::text::num(step_edge),
                        CIRCLE_MAX / CIRCLE_PER_STEP
                    ),
                )
            })?;
            let rho = 1.0f64.max(w_min.abs()).max((1.0 - step * ridge).abs());
            let radius = rho * (CIRCLE_RADIUS / kc as f64).exp();
            let upper: Vec<C> = (1..=m / 2)
                .map(|j| C::from_polar(radius, (j as f64 - 0.5) * 2.0 * std::f64::consts::PI / m as f64))
                .collect();
            // s_j = t(μ_j − λ) with t = η·k_c and μ_j = λ − (1 − w_j)/η.
            let s: Vec<C> = upper.iter().map(|w| -(C::new(1.0, 0.0) - w) * kc as f64).collect();
            let sets: Vec<(f64, Vec<C>)> = circle
                .iter()
                .map(|&i| {
                    let k = steps[i] as f64;
                    let w =
                        full_order(upper.iter().map(|&w| (w.ln() * (k + 1.0)).exp() / (w - 1.0)).collect());
                    (step * k, w)
                })
                .collect();
            let t = step * kc as f64;
            let pts = self.filter_points(samples, solved, (t, &s), &sets, &converged)?;
            for (&i, pt) in circle.iter().zip(pts) {
                out[i] = Some(pt);
            }
        }
        let (u, f) = contour(TALBOT_NODES);
        for (i, &k) in steps.iter().enumerate() {
            if k == 0 {
                out[i] = Some(self.untrained(samples));
            } else if route(k) == Route::Talbot {
                let kf = k as f64;
                let upper = &u[TALBOT_NODES / 2..];
                let s: Vec<C> = upper.iter().map(|&uj| expm1(uj / kf) * kf).collect();
                let weights: Vec<C> = upper
                    .iter()
                    .zip(&f[TALBOT_NODES / 2..])
                    .zip(&s)
                    .map(|((&uj, &fj), &sj)| (uj + uj / kf).exp() * fj * uj / sj)
                    .collect();
                let t = step * kf;
                let pt =
                    self.filter_points(samples, solved, (t, &s), &[(t, full_order(weights))], &converged)?;
                out[i] = pt.into_iter().next();
            }
        }
        let mut points: Vec<TimePoint> = out.into_iter().flatten().collect();
        for (p, &k) in points.iter_mut().zip(steps) {
            p.ridge = ridge;
            p.descent = Some(Stepping { step, steps: k as f64 });
        }
        Ok(DescentCurve { top_edge, step_edge, points, diverged: None })
    }

    /// The step η of a [`Step`] rule at p samples and ridge λ: a fraction f of the edge is
    /// f·2/(x₊ + λ) (TRAINING B10); a kernel norm is SGD's rule.
    pub fn descent_step(&self, samples: f64, ridge: f64, step: Step) -> Result<f64> {
        match step {
            Step::Fixed(eta) => Ok(eta),
            Step::Edge(f) => Ok(f * 2.0 / (self.top_edge(samples)? + ridge)),
            Step::KernelNorm(_) => Err(Error::option("step", "a kernel-norm step is one-pass SGD's rule")),
        }
    }

    /// Gradient descent as a [`Descent`] says at one sample size: k steps, the best k
    /// ([`Theory::optimal_steps`]) or k = ∞ (the static theory, below the edge). A step
    /// beyond the edge is an error of the option `step` with its growth per step.
    pub fn descent_point(&self, samples: f64, ridge: f64, d: Descent) -> Result<TimePoint> {
        let eta = self.descent_step(samples, ridge, d.step)?;
        let curve = self.descent(samples, ridge, eta, &[])?;
        if let Some(growth) = curve.diverged {
            return Err(diverged(samples, eta, curve.step_edge, growth));
        }
        match d.steps {
            Steps::Count(k) => Ok(self.descent(samples, ridge, eta, &[k])?.points.remove(0)),
            Steps::Optimal => self.optimal_steps(samples, ridge, eta),
            Steps::Infinite => Ok(self.converged_descent(samples, ridge, eta)?),
        }
    }

    /// k → ∞ below the edge: the static theory at (p, λ), as a point with k = ∞.
    fn converged_descent(&self, samples: f64, ridge: f64, eta: f64) -> Result<TimePoint> {
        let pt = self.point_at(samples, ridge)?;
        Ok(TimePoint {
            samples,
            ridge,
            time: f64::INFINITY,
            error: pt.error,
            bias: pt.bias,
            variance: pt.variance,
            train_error: pt.train_error,
            descent: Some(Stepping { step: eta, steps: f64::INFINITY }),
        })
    }

    /// Discrete early stopping: the k ≥ 1 minimising E_g(k) at step η ([`best_count`]).
    /// When no k beats the converged readout by more than 1e-10 (relative), k* = ∞.
    pub fn optimal_steps(&self, samples: f64, ridge: f64, eta: f64) -> Result<TimePoint> {
        let grid = count_grid();
        let scan = self.descent(samples, ridge, eta, &grid)?.points;
        let at =
            |k: u64| -> Result<TimePoint> { Ok(self.descent(samples, ridge, eta, &[k])?.points.remove(0)) };
        let best =
            best_count(&grid, &scan.iter().map(|p| p.error).collect::<Vec<_>>(), |k| Ok(at(k)?.error))?;
        let converged = self.converged_descent(samples, ridge, eta)?;
        let best = at(best)?;
        Ok(if best.error < converged.error * (1.0 - 1e-10) { best } else { converged })
    }

    /// The readout before training (v = 0): E_g = β*ᵀΣ0β*, all bias; E_tr = E_g + η².
    fn untrained(&self, samples: f64) -> TimePoint {
        let signal = self.modes.sum(|m, c| m * c);
        TimePoint {
            samples,
            ridge: 0.0,
            time: 0.0,
            error: signal,
            bias: signal,
            variance: 0.0,
            train_error: signal + self.noise,
            descent: None,
        }
    }
}

/// Why gradient descent and SGD refuse a nonlinear layer.
pub(super) const NONLINEAR: &str =
    "gradient descent and SGD are specified for linear networks (TRAINING.md); this network has a nonlinear layer";

/// Why a step beyond the edge gives no numbers.
pub(crate) fn diverged(samples: f64, eta: f64, edge: f64, growth: f64) -> Error {
    Error::option(
        "step",
        format!(
            "η = {} is beyond the stability edge 2/(x₊+λ) = {} at p = {}: gradient descent diverges \
             (E_g grows by e^{:.3} per step)",
            crate::spec::text::num(eta),
            crate::spec::text::num(edge),
            crate::spec::text::num(samples),
            growth
        ),
    )
}

/// Scan points per decade of k for the optimal step count.
const OPTIMAL_SCAN_PER_DECADE: f64 = 4.0;

/// The scan of step counts 1 … 10¹² ([`OPTIMAL_SCAN_PER_DECADE`] per decade, integers).
pub(super) fn count_grid() -> Vec<u64> {
    let n = (12.0 * OPTIMAL_SCAN_PER_DECADE) as usize;
    let mut grid: Vec<u64> =
        (0..=n).map(|i| 10f64.powf(i as f64 / OPTIMAL_SCAN_PER_DECADE).round() as u64).collect();
    grid.dedup();
    grid
}

/// The integer k minimising `error(k)` given its values `scan` on `grid`: golden-section
/// search on the integers between the best scan point's neighbours, then every integer
/// left (at most four).
pub(super) fn best_count(grid: &[u64], scan: &[f64], error: impl Fn(u64) -> Result<f64>) -> Result<u64> {
    let (i, &low) = scan
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .ok_or_else(|| Error::option("steps", "an empty scan of step counts"))?;
    let (mut best, mut best_error) = (grid[i], low);
    let (mut a, mut b) = (grid[i.saturating_sub(1)], grid[(i + 1).min(grid.len() - 1)]);
    while b - a > 3 {
        let c = (a + ((b - a) as f64 * 0.381_966).round() as u64).max(a + 1);
        let d = (b - ((b - a) as f64 * 0.381_966).round() as u64).min(b - 1);
        if error(c)? <= error(d)? {
            b = d;
        } else {
            a = c;
        }
    }
    for k in a.max(1)..=b {
        let e = error(k)?;
        if e < best_error {
            (best, best_error) = (k, e);
        }
    }
    Ok(best)
}

/// Circle nodes for k steps: max(48, 8k), or `None` beyond [`CIRCLE_MAX`].
fn circle_nodes(k: u64) -> Option<usize> {
    let m = (k as usize).checked_mul(CIRCLE_PER_STEP)?.max(CIRCLE_MIN);
    (m <= CIRCLE_MAX).then_some(m)
}

/// The weights of the full contour from those of its upper-half nodes (the others are
/// their conjugates: node j < n/2 is the conjugate of node n−1−j), normalised to Σ = 1.
fn full_order(upper: Vec<C>) -> Vec<C> {
    let mut all: Vec<C> = upper.iter().rev().map(|c| c.conj()).collect();
    all.extend(upper);
    let total: C = all.iter().sum();
    all.into_iter().map(|c| c / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::test_theory as theory;

    const ISOTROPIC: &str =
        "[data]\ndim = 200\nnoise = 0.1\n[readout]\nridge = 0\n[samples]\nvalues = [100]\n";
    const ONE_LAYER: &str =
        "[data]\ndim = 120\nnoise = 0.1\ncovariance = { kind = \"power_law\", exponent = 1.2 }\n\
        [[layers]]\nwidth = 90\n[readout]\nridge = 0\n[samples]\nvalues = [150]\n";
    const TWO_LAYERS: &str =
        "[data]\ndim = 150\nnoise = 0.2\ncovariance = { kind = \"power_law\", exponent = 1.0 }\n\
        [[layers]]\nwidth = 60\n[[layers]]\nwidth = 200\n[readout]\nridge = 0\n[samples]\nvalues = [80]\n";

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(1e-300)
    }

    /// Isotropic data, no hidden layer: K is a Wishart matrix and its top edge is
    /// Marchenko–Pastur's (1 + √(n0/p))², at p below and above n0; at p = ∞ the edge of
    /// Σ0 itself.
    #[test]
    fn isotropic_edge_is_marchenko_pastur() {
        let th = theory(ISOTROPIC);
        for p in [50.0, 100.0, 200.0, 1000.0] {
            let edge = th.top_edge(p).unwrap();
            let mp = (1.0 + (200.0f64 / p).sqrt()).powi(2);
            assert!(rel(edge, mp) < 1e-10, "p = {p}: {edge} vs {mp}");
        }
        assert_eq!(th.top_edge(f64::INFINITY).unwrap(), 1.0);
    }

    /// An infinite raw power law (top eigenvalue 1) through a layer of width N at p = ∞:
    /// Σ_F tends to Σ0 as N grows, so its edge falls towards 1 from above; the scan finds
    /// it at every width, also where N is far above the spectrum's effective rank (which
    /// once put the edge below the scanned range at N ≳ 10⁸).
    #[test]
    fn wide_layer_edge_tends_to_the_top_eigenvalue() {
        let mut last = f64::INFINITY;
        for n in [1e3, 1e6, 1e9, 1e11] {
            let th = theory(&format!(
                "[data]\ndim = \"infinite\"\ncovariance = {{ kind = \"power_law\", exponent = 1.6, normalize = false }}\n\
                 [[layers]]\nwidth = {n}\n[readout]\nridge = 0\n[samples]\nvalues = [10]\n"
            ));
            let edge = th.top_edge(f64::INFINITY).unwrap();
            assert!(edge > 1.0 && edge < last, "N = {n}: {edge} after {last}");
            last = edge;
        }
        assert!(last - 1.0 < 1e-3, "{last}");
    }

    /// k → ∞ at a stable step is the converged readout: the static theory (THEORY §3–4)
    /// to 1e-11 relative, with λ = 0 (k = 10⁹) and λ > 0 (k = 60/(ηλ)).
    #[test]
    fn many_steps_reach_the_static_theory() {
        for text in [ISOTROPIC, ONE_LAYER, TWO_LAYERS] {
            let th = theory(text);
            for (p, ridge) in [(80.0, 0.0), (150.0, 0.01)] {
                let edge = 2.0 / (th.top_edge(p).unwrap() + ridge);
                let eta = 0.5 * edge;
                let k = if ridge > 0.0 { (60.0 / (eta * ridge)).ceil() as u64 } else { 1_000_000_000 };
                let gd = th.descent(p, ridge, eta, &[k]).unwrap().points.remove(0);
                let st = th.point_at(p, ridge).unwrap();
                assert!(
                    rel(gd.error, st.error) < 1e-11,
                    "p = {p}, λ = {ridge}: {} vs {}",
                    gd.error,
                    st.error
                );
                // E_tr is 0 at interpolation: measured on the scale of the test MSE.
                let scale = st.error + th.noise();
                assert!(
                    (gd.train_error - st.train_error).abs() < 1e-11 * scale,
                    "{} vs {}",
                    gd.train_error,
                    st.train_error
                );
            }
        }
    }

    /// η → 0 at fixed ηk = t: gradient descent approaches gradient flow at first order
    /// (TRAINING A5): the gap falls tenfold when η does, log-log slope −1 ± 0.05.
    #[test]
    fn small_steps_approach_gradient_flow_at_first_order() {
        let th = theory(ONE_LAYER);
        let (p, ridge, t) = (150.0, 0.01, 3.0);
        let flow = th.point_at_time(p, ridge, t).unwrap().error;
        let gaps: Vec<f64> = [300u64, 3000, 30000]
            .iter()
            .map(|&k| (th.descent(p, ridge, t / k as f64, &[k]).unwrap().points[0].error - flow).abs())
            .collect();
        for w in gaps.windows(2) {
            let slope = (w[1] / w[0]).log10();
            assert!((slope + 1.0).abs() < 0.05, "gaps {gaps:?}");
        }
    }

    /// The two node sets agree where both apply (no oscillating mode): E_g to 1e-9 relative,
    /// E_tr to 1e-9 of the test MSE E_g + η².
    #[test]
    fn talbot_and_circle_agree() {
        for text in [ISOTROPIC, TWO_LAYERS] {
            let th = theory(text);
            for ridge in [0.0, 0.01] {
                let p = 80.0;
                let eta = 0.45 * 2.0 / (th.top_edge(p).unwrap() + ridge);
                let ks = [28u64, 40, 64];
                let a = th.descent_on(p, ridge, eta, &ks, Some(Route::Talbot)).unwrap().points;
                let b = th.descent_on(p, ridge, eta, &ks, Some(Route::Circle)).unwrap().points;
                for (x, y) in a.iter().zip(&b) {
                    assert!(rel(x.error, y.error) < 1e-9, "{x:?} vs {y:?}");
                    // E_tr → 0 when p < N: measured on the scale of the test MSE.
                    let scale = x.error + th.noise();
                    assert!((x.train_error - y.train_error).abs() < 1e-9 * scale, "{x:?} vs {y:?}");
                }
            }
        }
    }

    /// One step from v = 0 is v₁ = ηb: with isotropic data and no hidden layer,
    /// E_g(1) = (1 − η)² + η²(1 + η_n²)·n0/p (the Wishart moments of b = Xᵀy/p at large n0,
    /// p) — an independent closed form; and k = 0 is the untrained readout (E_g = 1).
    #[test]
    fn first_step_matches_the_wishart_closed_form() {
        let th = theory(ISOTROPIC);
        let (p, n0, noise) = (100.0, 200.0, 0.1);
        for eta in [0.05, 0.1, 0.2] {
            let c = th.descent(p, 0.0, eta, &[0, 1]).unwrap();
            let want = (1.0 - eta) * (1.0 - eta) + eta * eta * (1.0 + noise) * n0 / p;
            assert!(rel(c.points[1].error, want) < 1e-10, "η = {eta}: {} vs {want}", c.points[1].error);
            assert!(rel(c.points[0].error, 1.0) < 1e-14);
        }
    }

    /// Beyond the edge: no numbers, the growth per step 2 log|1 − η(x₊+λ)|.
    #[test]
    fn beyond_the_edge_reports_growth() {
        let th = theory(ISOTROPIC);
        let edge = th.top_edge(100.0).unwrap();
        let c = th.descent(100.0, 0.0, 1.05 * 2.0 / edge, &[10]).unwrap();
        assert!(c.points.is_empty());
        assert!(rel(c.diverged.unwrap(), 2.0 * 1.1f64.ln()) < 1e-12);
    }
}
