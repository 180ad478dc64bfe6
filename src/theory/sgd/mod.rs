//! One-pass SGD on fixed deep features (TRAINING B): batch B, step η, weight decay λ, fresh
//! samples every step, features drawn once. The diagonal second moments close exactly into
//! a discrete Volterra equation over two measures on the spectrum of Σ_F ([`measures`]),
//! solved once as an exponential sum ([`expsum`]); then any step count costs O(atoms).
//! The mean risk is exact for Gaussian inputs; a single run's risk is heavy-tailed at
//! large steps ([`tail`]), which [`SgdCurve::warning`] says.

pub(crate) mod expsum;
pub(crate) mod frontier;
pub(crate) mod measures;
pub(crate) mod tail;

use super::Theory;
use crate::spec::{Error, OnlineSgd, Result, Step};
use expsum::{kernel_norm, Atoms, ExpSum, SgdStep};
pub use frontier::{ComputeFrontier, ComputePoint, ExponentWindow};
pub use measures::Measures;

/// One step count of an SGD curve.
#[derive(Clone, Debug, PartialEq)]
pub struct SgdPoint {
    /// k (∞ for the limit R_∞).
    pub steps: f64,
    /// k·B fresh samples seen.
    pub samples_seen: f64,
    /// η·k.
    pub time: f64,
    /// The mean excess risk E_g(k) = R_k − η_n², and its parts without and with label noise.
    pub error: f64,
    pub bias: f64,
    pub variance: f64,
}

/// One-pass SGD at one step and batch: stability, tails and the points.
#[derive(Clone, Debug, PartialEq)]
pub struct SgdCurve {
    pub step: f64,
    pub batch: u64,
    /// Weight decay λ (the config's ridge).
    pub decay: f64,
    /// ‖K‖ = Σ c_j/(1 − q_j) (< 1: the mean risk converges).
    pub kernel_norm: f64,
    /// η_c with ‖K‖(η_c) = 1: the stability edge of the step.
    pub step_edge: f64,
    /// α_R: the power-law tail index of one run's risk from the top mode (B7); ∞ when it
    /// exceeds 2048, `None` when the top mode alone diverges.
    pub tail_index: Option<f64>,
    /// E_g(∞) = R_∞ − η_n²: where SGD settles.
    pub floor: f64,
    /// The approximation floor σ_r² = U(0) (the width-limited error).
    pub approximation: f64,
    /// One point per requested step count; empty when unstable.
    pub points: Vec<SgdPoint>,
    /// Why the step is unstable (no numbers then).
    pub diverged: Option<String>,
    /// The largest value of Σ_F's measure (x₊ for the deterministic equivalent).
    pub top: f64,
    /// Σ ρ_i s_i / tr Σ_F − 1: the quadrature's trace check (0 for exact atoms).
    pub trace_error: f64,
    /// Atoms the exponential sum runs over.
    pub atoms: usize,
}

/// The B7 thresholds of the tail index.
const HEAVY_TAIL: f64 = 4.0;
const INFINITE_VARIANCE: f64 = 2.0;

impl SgdCurve {
    /// What a user must be told about the mean curve (TRAINING B7), if anything.
    pub fn warning(&self) -> Option<String> {
        if let Some(why) = &self.diverged {
            return Some(format!("unstable: the mean risk diverges ({why})"));
        }
        let alpha = self.tail_index?;
        if alpha < INFINITE_VARIANCE {
            Some(format!(
                "tail index {alpha:.2} < 2: one run's risk has infinite variance in the stationary regime; do not \
                 compare with few-run averages; reduce the step or increase the batch"
            ))
        } else if alpha < HEAVY_TAIL {
            Some(format!(
                "tail index {alpha:.2} < 4: the risk of a single run is heavy-tailed; the predicted curve is the mean \
                 over runs; a typical run (median) is lower by 15–30 %, and averages over fewer than ~10⁴ runs are \
                 biased low with unreliable error bars"
            ))
        } else {
            None
        }
    }
}

impl Theory {
    /// One-pass SGD as `sgd` says (step rule, batch) with weight decay `decay` at every
    /// step count of `steps` (any order), over the measures of Σ_F (computed once per
    /// model: pass them to [`Theory::sgd_on`] to reuse them).
    pub fn sgd(&self, sgd: OnlineSgd, decay: f64, steps: &[u64]) -> Result<SgdCurve> {
        let m = self.sgd_measures()?;
        let ks: Vec<f64> = steps.iter().map(|&k| k as f64).collect();
        self.sgd_on(&m, sgd, decay, &ks)
    }

    /// One-pass SGD at the config's `[training] steps`: k, the best k (discrete early
    /// stopping; ∞ when no k beats the limit by 1e-10) or k = ∞ (the limit R_∞ − η_n²).
    pub fn sgd_at_steps(&self, sgd: OnlineSgd, decay: f64) -> Result<SgdCurve> {
        let m = self.sgd_measures()?;
        let k = match sgd.steps {
            crate::spec::Steps::Count(k) => k as f64,
            crate::spec::Steps::Infinite => f64::INFINITY,
            crate::spec::Steps::Optimal => {
                let grid = super::descent::count_grid();
                let ks: Vec<f64> = grid.iter().map(|&k| k as f64).collect();
                let scan = self.sgd_on(&m, sgd, decay, &ks)?;
                if scan.diverged.is_some() {
                    return Ok(scan);
                } else {
                    let errors: Vec<f64> = scan.points.iter().map(|p| p.error).collect();
                    let error = |k: u64| -> Result<f64> {
                        Ok(self
                            .sgd_on(&m, sgd, decay, &[k as f64])?
                            .points
                            .first()
                            .map_or(f64::INFINITY, |p| p.error))
                    };
                    let best = super::descent::best_count(&grid, &errors, error)?;
                    let e = error(best)?;
                    if e < scan.floor * (1.0 - 1e-10) {
                        best as f64
                    } else {
                        f64::INFINITY
                    }
                }
            }
        };
        self.sgd_on(&m, sgd, decay, &[k])
    }

    /// [`Theory::sgd`] on given measures, at step counts as numbers (∞: the limit).
    pub fn sgd_on(&self, m: &Measures, sgd: OnlineSgd, decay: f64, steps: &[f64]) -> Result<SgdCurve> {
        let batch = sgd.batch as f64;
        let edge = edge_step(&m.atoms, batch, decay);
        let step = match sgd.step {
            Step::Fixed(eta) => eta,
            Step::Edge(f) => f * edge,
            Step::KernelNorm(c) => c * 2.0 * batch / m.trace,
        };
        let s = SgdStep { batch, step, decay };
        let mut curve = SgdCurve {
            step,
            batch: sgd.batch,
            decay,
            kernel_norm: kernel_norm(&m.atoms, s).unwrap_or(f64::INFINITY),
            step_edge: edge,
            tail_index: tail::tail_index(step, m.top, batch, decay),
            floor: f64::NAN,
            approximation: m.atoms.floor,
            points: Vec::new(),
            diverged: None,
            top: m.top,
            trace_error: m.trace_error,
            atoms: m.atoms.value.len(),
        };
        let noise = self.noise;
        let sum = match ExpSum::solve(&m.atoms, s, noise) {
            Ok(sum) => sum,
            Err(e) => {
                curve.diverged = Some(e.to_string());
                curve.floor = f64::INFINITY;
                return Ok(curve);
            }
        };
        let (fb, fv) = sum.floor();
        curve.floor = fb + fv;
        curve.kernel_norm = sum.kernel_norm;
        curve.points = steps
            .iter()
            .map(|&kf| {
                let (bias, variance) = sum.split(kf);
                let error = bias + variance;
                if !error.is_finite() {
                    return Err(Error::Solver {
                        samples: f64::INFINITY,
                        ridge: decay,
                        equation: format!("SGD exponential sum (TRAINING B3) at k = {kf}"),
                        detail: format!("E_g = {error}"),
                    });
                }
                Ok(SgdPoint { steps: kf, samples_seen: kf * batch, time: step * kf, error, bias, variance })
            })
            .collect::<Result<_>>()?;
        Ok(curve)
    }
}

/// Widths per decade of the compute-optimal frontier's grid.
const FRONTIER_WIDTHS_PER_DECADE: f64 = 8.0;

impl Theory {
    /// The compute-optimal frontier of one-pass SGD (TRAINING B9, B10) over `budgets`
    /// (ascending; compute f = k·B·N with N the readout width): every hidden width scaled
    /// with N in the config's ratios, at the config's n0, the step following the config's
    /// rule per width (a kernel norm: η ∝ 1/tr Σ_F; an edge fraction: of η_c(N)). The width
    /// grid (8 per decade) spans (f_min/B)^{1/4}/4 … 4·(f_max/B)^{2/3}, within k ≥ 1.
    /// `progress` counts one unit per width and may cancel between widths.
    pub fn sgd_frontier(
        &self,
        sgd: OnlineSgd,
        decay: f64,
        budgets: &[f64],
        progress: &dyn crate::support::progress::Progress,
    ) -> Result<ComputeFrontier> {
        let Some(&readout) = self.sizes.last() else {
            return Err(Error::option(
                "budget",
                "the compute-optimal frontier varies the readout width: the network needs a hidden layer",
            ));
        };
        let batch = sgd.batch as f64;
        let (f_min, f_max) =
            (budgets.first().copied().unwrap_or(1.0), budgets.last().copied().unwrap_or(1.0));
        let lo = ((f_min / batch).powf(0.25) / 4.0).max(1.0);
        let hi = (4.0 * (f_max / batch).powf(2.0 / 3.0)).min(f_max / batch).max(lo * 10.0);
        let n = ((hi / lo).log10() * FRONTIER_WIDTHS_PER_DECADE).ceil().max(2.0) as usize;
        let widths: Vec<f64> = (0..=n).map(|i| lo * (hi / lo).powf(i as f64 / n as f64)).collect();
        let ratios: Vec<f64> = self.sizes.iter().map(|s| s / readout).collect();
        let at_width = |width: f64| -> Result<frontier::AtWidth> {
            let mut th = self.clone();
            for (l, r) in ratios.iter().enumerate() {
                th = th.with_width(l + 1, (r * width).max(1.0)).ok_or_else(|| {
                    Error::option(
                        "budget",
                        format!(
                            "the frontier varies the widths: layer {} needs S_ℓ a multiple of the identity (an isotropic layers[{l}].covariance)",
                            l + 1
                        ),
                    )
                })?;
            }
            let m = th.sgd_measures()?;
            let step = match sgd.step {
                Step::Fixed(eta) => eta,
                Step::Edge(f) => f * edge_step(&m.atoms, batch, decay),
                Step::KernelNorm(c) => c * 2.0 * batch / m.trace,
            };
            Ok((m.atoms, SgdStep { batch, step, decay }, m.trace_error))
        };
        frontier::compute_frontier(&widths, budgets, batch, self.noise, &at_width, progress)
    }
}

/// η_c: the step at which ‖K‖ = 1 (‖K‖ rises with η, and below η_c every mode is stable),
/// by bisection in ln η below 2/(σ_top + λ) (where the top mode's own factor reaches 1).
pub(crate) fn edge_step(atoms: &Atoms, batch: f64, decay: f64) -> f64 {
    let stable = |eta: f64| kernel_norm(atoms, SgdStep { batch, step: eta, decay }).is_some_and(|k| k < 1.0);
    let mut hi = (2.0 / (atoms.top() + decay)).ln();
    let mut lo = hi - 60.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if stable(mid.exp()) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo.exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::test_theory as theory;

    /// No hidden layer, isotropic data (n0 = 100), B = 1: the Volterra equation has a
    /// closed form at every k: R_{k+1} = q R_k + (η²/B)·n0·R_k … with one atom σ = 1 of mass n0:
    /// A(k+1) = qA(k) + (η²/B) n0 R_k, R = A + η_n². Checked step by step, and the edge
    /// step makes ‖K‖ = 1.
    #[test]
    fn isotropic_sgd_follows_its_scalar_recursion() {
        let th = theory("[data]\ndim = 100\nnoise = 0.25\n[readout]\nridge = 0\n[samples]\nvalues = [10]\n");
        let eta = 0.005;
        let sgd = OnlineSgd { step: Step::Fixed(eta), batch: 1, steps: crate::spec::Steps::Infinite };
        let ks: Vec<u64> = (0..50).collect();
        let c = th.sgd(sgd, 0.0, &ks).unwrap();
        let q = (1.0 - eta) * (1.0 - eta) + eta * eta;
        let mut a = 1.0;
        for (k, pt) in c.points.iter().enumerate() {
            assert!((pt.error - a).abs() < 1e-13, "k = {k}: {} vs {a}", pt.error);
            let r = a + 0.25;
            a = q * a + eta * eta * 100.0 * r;
        }
        let at_edge = kernel_norm(
            &th.sgd_measures().unwrap().atoms,
            SgdStep { batch: 1.0, step: c.step_edge * (1.0 - 1e-9), decay: 0.0 },
        )
        .unwrap();
        assert!((at_edge - 1.0).abs() < 1e-6, "{at_edge}");
        assert!(c.warning().is_none(), "{:?}", c.warning());
    }
}
