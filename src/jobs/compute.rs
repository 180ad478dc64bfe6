//! The compute-optimal frontier of one-pass SGD as a scaling study (TRAINING B9, B10): the
//! frontier, its exponents over 4-decade windows, and the power-law random-features phase
//! (Paquette, Paquette, Xiao & Pennington 2024) the config sits in, when it is that model.

use crate::spec::{Config, CovarianceKind, Error, Result, Ridge, Target, Training};
use crate::support::output::{Cell, Table};
use crate::support::progress::Progress;
use crate::theory::{ComputeFrontier, ExponentWindow};

/// A phase of the power-law random-features model and its term-balance exponents.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Phase {
    pub name: &'static str,
    /// (α, β): Σ0 ∝ j^{−2α}, target variances ∝ j^{−2β}.
    pub alpha: f64,
    pub beta: f64,
    /// E* ∝ f^{−loss}, N* ∝ f^{width}.
    pub loss: f64,
    pub width: f64,
}

/// One-pass SGD's compute-optimal frontier with its fits.
#[derive(Clone, Debug, PartialEq)]
pub struct ComputeReport {
    pub frontier: ComputeFrontier,
    pub batch: u64,
    /// The phase, when the config is the power-law random-features model (one isotropic
    /// hidden layer, Γ = I, power-law Σ0 and target) in a phase whose exponents are known.
    pub phase: Option<Phase>,
    /// Why no phase is given, otherwise.
    pub no_phase: Option<String>,
}

/// The phase of (α, β) (TRAINING B5): above the high-dimensional line (2α > 1) Ia (2β < 1),
/// II (2β > 1, β < α), III (2β > 1, β ≥ α); below it Ib (2β < 1, ¼ < α < ½, 2(α + β) > 1,
/// with η ∝ 1/tr Σ_F). Other phases (Ic, IV) are not predicted here.
pub fn phase(alpha: f64, beta: f64) -> Option<Phase> {
    let (a, b) = (alpha, beta);
    let (name, loss, width) = if 2.0 * a > 1.0 {
        if 2.0 * b < 1.0 {
            ("Ia", (2.0 * a + 2.0 * b - 1.0) / (2.0 * a + 1.0), 1.0 / (2.0 * a + 1.0))
        } else if b < a {
            ("II", (2.0 * a + 2.0 * b - 1.0) / (2.0 * (a + b)), b / (a + b))
        } else {
            ("III", (4.0 * a - 1.0) / (4.0 * a), 0.5)
        }
    } else if 2.0 * b < 1.0 && a > 0.25 && 2.0 * (a + b) > 1.0 {
        ("Ib", (2.0 * a + 2.0 * b - 1.0) / 2.0, 0.5)
    } else {
        return None;
    };
    Some(Phase { name, alpha, beta, loss, width })
}

/// (α, β) of a config that is the power-law random-features model, or why it is not.
fn plrf(config: &Config) -> std::result::Result<(f64, f64), String> {
    let m = config.model();
    let layers = m.layers();
    if layers.len() != 1 || layers[0].covariance.kind != CovarianceKind::Identity {
        return Err("not the power-law random-features model (one isotropic hidden layer)".into());
    }
    if m.input().kind != CovarianceKind::Identity {
        return Err("not the power-law random-features model (its first layer is isotropic, Γ = I)".into());
    }
    let CovarianceKind::PowerLaw { exponent: a } = m.data().kind else {
        return Err("not the power-law random-features model (Σ0 a power law)".into());
    };
    let Target::PowerLaw { exponent: t } = m.target() else {
        return Err("not the power-law random-features model (a power-law target)".into());
    };
    Ok((a / 2.0, t / 2.0))
}

/// The compute-optimal frontier of a config trained by one-pass SGD over `budgets`.
pub(crate) fn run(config: &Config, budgets: &[f64], progress: &dyn Progress) -> Result<ComputeReport> {
    let Training::Sgd(sgd) = config.training() else {
        return Err(Error::input(
            config.source(),
            "training.optimizer",
            "the compute-optimal frontier is of one-pass SGD",
        ));
    };
    let Ridge::Fixed(decay) = config.ridge() else {
        return Err(Error::input(config.source(), "readout.ridge", crate::spec::STEP_RIDGE));
    };
    let theory = crate::jobs::prologue::theory(config, progress)?;
    let frontier = theory.sgd_frontier(sgd, decay, budgets, progress)?;
    let (phase, no_phase) = match plrf(config) {
        Ok((a, b)) => match phase(a, b) {
            Some(p) => (Some(p), None),
            None => (
                None,
                Some(format!("(α, β) = ({a}, {b}) is in a phase whose exponents lcurve does not predict")),
            ),
        },
        Err(why) => (None, Some(why)),
    };
    Ok(ComputeReport { frontier, batch: sgd.batch, phase, no_phase })
}

impl ComputeReport {
    /// `budget, error, width, steps, interior, loss_slope, width_slope`.
    pub fn frontier_table(&self) -> Table {
        let columns = ["budget", "error", "width", "steps", "interior", "loss_slope", "width_slope"];
        let rows = self
            .frontier
            .points
            .iter()
            .map(|p| {
                vec![
                    Cell::Num(p.budget),
                    Cell::Num(p.error),
                    Cell::Num(p.width),
                    Cell::Num(p.steps),
                    Cell::Text(if p.interior { "true" } else { "false" }.into()),
                    Cell::opt(p.loss_slope),
                    Cell::opt(p.width_slope),
                ]
            })
            .collect();
        Table { columns: columns.map(String::from).to_vec(), rows }
    }

    /// `from, to, budgets, loss, width, phase, predicted_loss, predicted_width`: one row per
    /// 4-decade window.
    pub fn fit_table(&self) -> Table {
        let columns =
            ["from", "to", "budgets", "loss", "width", "phase", "predicted_loss", "predicted_width"];
        let p = self.phase.as_ref();
        let rows = self
            .frontier
            .windows
            .iter()
            .map(|w: &ExponentWindow| {
                vec![
                    Cell::Num(w.from),
                    Cell::Num(w.to),
                    Cell::Int(w.budgets as u64),
                    Cell::Num(w.loss),
                    Cell::Num(w.width),
                    p.map_or(Cell::Missing, |p| Cell::Text(p.name.into())),
                    Cell::opt(p.map(|p| p.loss)),
                    Cell::opt(p.map(|p| p.width)),
                ]
            })
            .collect();
        Table { columns: columns.map(String::from).to_vec(), rows }
    }

    /// What the user must be told: budgets at the edge of the width grid, unstable widths,
    /// and that exponents converge slowly.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        let edge = self.frontier.points.iter().filter(|p| !p.interior).count();
        if edge > 0 {
            out.push(format!(
                "{edge} budgets have their best width at the end of the width grid (interior = false): pre-asymptotic, left out of the fits"
            ));
        }
        if !self.frontier.unstable_widths.is_empty() {
            out.push(format!(
                "{} widths have an unstable step (kernel norm ≥ 1) and were left out",
                self.frontier.unstable_widths.len()
            ));
        }
        if let Some(from) = self.frontier.inaccurate_widths.first() {
            out.push(format!(
                "{} widths from N = {} up were left out: from there the deterministic-equivalent measures miss tr Σ_F by more than 1 % (very wide layers have isolated eigenvalues the quadrature does not resolve); budgets whose best width is the last one left are marked not interior",
                self.frontier.inaccurate_widths.len(),
                crate::spec::text::num(from.round())
            ));
        }
        if self.frontier.windows.is_empty() {
            out.push("no 4-decade window of interior budgets: widen the budgets for fitted exponents".into());
        } else {
            out.push(
                "exponents converge slowly (phase II needs budgets ≳ 1e18 to come within 0.01): compare the windows, not one fit"
                    .into(),
            );
        }
        out
    }
}
