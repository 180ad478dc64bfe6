//! The `dynamics` job (DYNAMICS.md): E_g(t) and E_tr(t) of gradient flow along a time axis
//! at every sample size of a config, with early stopping beside the optimal ridge.

use crate::spec::text::num;
use crate::spec::{Config, Ensemble, Error, Result, Ridge};
use crate::support::output::{Cell, Format, Table};
use crate::support::progress::Progress;
use crate::theory::{Theory, TimePoint};
use rayon::prelude::*;

/// Largest number of times of an axis.
pub const MAX_TIMES: usize = 10_000;

/// Checks a list of times (each finite and > 0, 1 to [`MAX_TIMES`] of them); errors name
/// the option `times`.
pub fn times(values: Vec<f64>) -> Result<Vec<f64>> {
    if values.is_empty() || values.len() > MAX_TIMES {
        return Err(Error::option("times", format!("expected 1 to {MAX_TIMES} times, got {}", values.len())));
    }
    if let Some(t) = values.iter().find(|t| !(t.is_finite() && **t > 0.0)) {
        return Err(Error::option("times", format!("expected times t > 0, got {}", num(*t))));
    }
    Ok(values)
}

/// `points` log-spaced times from `from` to `to` (0 < from ≤ to).
pub fn time_range(from: f64, to: f64, points: usize) -> Result<Vec<f64>> {
    if !(from.is_finite() && to.is_finite() && from > 0.0 && to >= from) {
        return Err(Error::option("times", format!("expected 0 < FROM ≤ TO, got {}:{}", num(from), num(to))));
    }
    // Log spacing leaves 0.10000000000000002 for 0.1: snap to 12 significant digits.
    let snap = |x: f64| format!("{x:.11e}").parse::<f64>().unwrap_or(x);
    times(crate::spec::rules::spaced(from, to, points.max(1), true).into_iter().map(snap).collect())
}

/// Early stopping at one sample size, beside the converged readout and the optimal ridge.
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStop {
    pub samples: f64,
    /// t* minimising E_g(t) at the config's λ (∞ when no finite time beats convergence).
    pub t_star: f64,
    /// E_g(t*).
    pub error_t_star: f64,
    /// E_g(∞): the converged readout at the config's λ.
    pub error_converged: f64,
    /// λ* of the converged readout and its E_g.
    pub ridge_star: f64,
    pub error_ridge_star: f64,
}

/// A time axis at every sample size, with its early-stopping summary.
#[derive(Clone, Debug)]
pub struct Dynamics {
    pub ridge: f64,
    pub noise: f64,
    /// Sample size by sample size, time by time.
    pub points: Vec<TimePoint>,
    pub summary: Vec<EarlyStop>,
}

/// Runs the dynamics of a config (a linear network with a fixed ridge) over `times`;
/// progress counts one unit per sample size.
pub fn run(config: &Config, times: &[f64], progress: &dyn Progress) -> Result<Dynamics> {
    let ridge = match config.ridge() {
        Ridge::Fixed(l) => l,
        Ridge::Optimal => {
            return Err(Error::input(
                config.source(),
                "readout.ridge",
                "the dynamics are of gradient flow at a fixed ridge λ ≥ 0 (λ* is reported beside them)",
            ))
        }
    };
    let theory = Theory::from_spec(config.model(), progress)?;
    progress.start("dynamics", config.samples().len() as u64);
    let per_p: Vec<(Vec<TimePoint>, EarlyStop)> = config
        .samples()
        .par_iter()
        .map(|&p| {
            if progress.cancelled() {
                return Err(Error::Interrupted {
                    done: 0,
                    total: config.samples().len() as u64,
                    unit: "sample size",
                });
            }
            let p = p as f64;
            let pts = theory.points_at_times(p, ridge, times)?;
            let stop = theory.optimal_time(p, ridge)?;
            let converged = theory.point_at(p, ridge)?;
            let best = theory.optimal_point_at(p, Ensemble::SINGLE)?;
            progress.advance(1);
            Ok((
                pts,
                EarlyStop {
                    samples: p,
                    t_star: stop.time,
                    error_t_star: stop.error,
                    error_converged: converged.error,
                    ridge_star: best.ridge,
                    error_ridge_star: best.error,
                },
            ))
        })
        .collect::<Result<_>>()?;
    progress.finish();
    let (points, summary): (Vec<Vec<TimePoint>>, Vec<EarlyStop>) = per_p.into_iter().unzip();
    Ok(Dynamics {
        ridge,
        noise: config.model().noise(),
        points: points.into_iter().flatten().collect(),
        summary,
    })
}

impl Dynamics {
    /// `samples, time, error, bias, variance, train_error, test_mse`.
    pub fn table(&self) -> Table {
        let columns = ["samples", "time", "error", "bias", "variance", "train_error", "test_mse"];
        let rows = self
            .points
            .iter()
            .map(|t| {
                let mut row = vec![Cell::Int(t.samples as u64)];
                row.extend(
                    [t.time, t.error, t.bias, t.variance, t.train_error, t.error + self.noise].map(Cell::Num),
                );
                row
            })
            .collect();
        Table { columns: columns.map(String::from).to_vec(), rows }
    }

    /// `samples, t_star, error_t_star, error_converged, ridge_star, error_ridge_star`.
    pub fn summary_table(&self) -> Table {
        let columns =
            ["samples", "t_star", "error_t_star", "error_converged", "ridge_star", "error_ridge_star"];
        let rows = self
            .summary
            .iter()
            .map(|s| {
                let mut row = vec![Cell::Int(s.samples as u64)];
                row.extend(
                    [s.t_star, s.error_t_star, s.error_converged, s.ridge_star, s.error_ridge_star]
                        .map(Cell::Num),
                );
                row
            })
            .collect();
        Table { columns: columns.map(String::from).to_vec(), rows }
    }

    /// CSV: the time axis, a blank line, the summary. JSON: `points` (the axis) and
    /// `summary`, beside `program`, `version`, `config` and `ridge`.
    pub fn render(&self, source: &str, format: Format) -> String {
        match format {
            Format::Csv => format!("{}\n{}", self.table().csv(), self.summary_table().csv()),
            Format::Json => crate::support::output::to_json(&serde_json::json!({
                "program": "lcurve",
                "version": env!("CARGO_PKG_VERSION"),
                "config": source,
                "ridge": self.ridge,
                "points": self.table().json_rows(),
                "summary": self.summary_table().json_rows(),
            })),
        }
    }
}
