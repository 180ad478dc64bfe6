//! The `curve` job: config → model → theory → learning curve → table.

use crate::jobs::exponents::{local_exponents, LocalExponents};
use crate::jobs::prologue::{self, Prepared};
use crate::jobs::sweep;
use crate::spec::{Config, Ensemble, Result, Ridge};
use crate::support::output::{self, Cell, Format, Table};
use crate::support::progress::Progress;
use crate::theory::TimePoint;
use crate::theory::{ModelSummary, Point};
use rayon::prelude::*;

/// A computed learning curve with the resolved model it belongs to.
#[derive(Clone, Debug)]
pub struct Curve {
    pub summary: ModelSummary,
    pub ridge: Ridge,
    /// The config's `[readout] ensemble`, if set: the table then has `error_ensemble`.
    pub ensemble: Option<Ensemble>,
    pub points: Vec<Point>,
    /// The local exponents of every point (SCALING §3), when asked for.
    pub exponents: Option<Vec<LocalExponents>>,
    /// With a finite or optimal `[readout] time`, the readout trained for that time
    /// (DYNAMICS.md) at every sample size; the table then shows these.
    pub at_time: Option<Vec<TimePoint>>,
    /// One-pass SGD (no sample sizes): its one point at `[training] steps`, which the
    /// table then shows.
    pub sgd: Option<Box<crate::theory::SgdCurve>>,
}

/// Computes the learning curve of a validated config. `progress` hears of dense
/// eigendecompositions and of every point (one unit each), and may cancel the run.
pub fn run(config: &Config, progress: &dyn Progress) -> Result<Curve> {
    run_with(config, false, progress)
}

/// As [`run`], with the local exponents of every point when `exponents` (the columns
/// `exponent_samples`, `exponent_width_1` …; see [`crate::jobs::exponents`]).
pub fn run_with(config: &Config, exponents: bool, progress: &dyn Progress) -> Result<Curve> {
    crate::jobs::features::along_steps_only(config)?;
    if exponents && config.training() != crate::spec::Training::Converged {
        return Err(crate::spec::Error::input(
            config.source(),
            "readout.time",
            crate::spec::EXPONENTS_CONVERGED,
        ));
    }
    let Prepared { theory, summary } = prologue::prepare(config.model(), config.source(), progress)?;
    if let crate::spec::Training::Sgd(s) = config.training() {
        if exponents {
            return Err(crate::spec::Error::option("exponents", crate::spec::EXPONENTS_CONVERGED));
        }
        let decay = match config.ridge() {
            Ridge::Fixed(l) => l,
            Ridge::Optimal => {
                return Err(crate::spec::Error::input(
                    config.source(),
                    "readout.ridge",
                    crate::spec::STEP_RIDGE,
                ))
            }
        };
        let sgd = theory.sgd_at_steps(s, decay)?;
        if let Some(why) = &sgd.diverged {
            return Err(crate::spec::Error::input(
                config.source(),
                "training.step",
                format!("η = {} is unstable: {why}", crate::spec::text::num(sgd.step)),
            ));
        }
        return Ok(Curve {
            summary,
            ridge: config.ridge(),
            ensemble: None,
            points: Vec::new(),
            exponents: None,
            at_time: None,
            sgd: Some(Box::new(sgd)),
        });
    }
    progress.start("theory", config.samples().len() as u64);
    let points =
        sweep::learning_curve(&theory, config.samples(), config.ridge(), config.readout_ensemble(), progress);
    progress.finish();
    let points = points?;
    let exponents = if exponents { Some(local_exponents(config, &theory, &points, progress)?) } else { None };
    let training = config.training();
    let at_time = match training.ridge(config.ridge()).map_err(|e| crate::spec::Error::option("time", e.0))? {
        None => None,
        Some(l) => {
            progress.start("training time", config.samples().len() as u64);
            let pts = config
                .samples()
                .par_iter()
                .map(|&p| {
                    let pt = theory.trained(p as f64, l, training);
                    progress.advance(1);
                    pt
                })
                .collect::<Result<Vec<_>>>()?;
            progress.finish();
            Some(pts.into_iter().flatten().collect())
        }
    };
    Ok(Curve {
        summary,
        ridge: config.ridge(),
        ensemble: config.ensemble(),
        points,
        exponents,
        at_time,
        sgd: None,
    })
}

/// Column names of a learning curve with `depth` hidden layers: the single learner's
/// observables, its κ's, the infinite ensemble of §7, and `error_ensemble` = E_g(K) when
/// the config sets an ensemble.
pub fn columns(depth: usize, ensemble: bool) -> Vec<String> {
    let mut h: Vec<String> = [
        "samples",
        "alpha",
        "ridge",
        "error",
        "bias",
        "variance",
        "train_error",
        "test_mse",
        "df",
        "df2",
        "kappa",
        "kappa_data",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    h.extend((1..=depth).map(|l| format!("kappa_{l}")));
    h.extend(["error_inf", "bias_inf", "variance_inf", "init_variance"].map(String::from));
    if ensemble {
        h.push("error_ensemble".into());
    }
    h
}

/// α = p/n0 is 0 at n0 = ∞ (and only there): an empty cell says "undefined" where 0
/// would read as a value.
fn mask_alpha(rows: &mut [Vec<Cell>]) {
    for row in rows {
        if matches!(row.get(1), Some(Cell::Num(a)) if *a == 0.0) {
            row[1] = Cell::Missing;
        }
    }
}

impl Curve {
    /// The curve as a table (the columns of [`columns`]).
    pub fn table(&self) -> Table {
        if let Some(c) = &self.sgd {
            let columns =
                ["steps", "samples_seen", "time", "step", "batch", "error", "bias", "variance", "test_mse"];
            let rows = c
                .points
                .iter()
                .map(|p| {
                    let mut row = vec![Cell::Num(p.steps), Cell::Num(p.samples_seen), Cell::Num(p.time)];
                    row.extend([Cell::Num(c.step), Cell::Int(c.batch)]);
                    row.extend([p.error, p.bias, p.variance, p.error + self.summary.noise].map(Cell::Num));
                    row
                })
                .collect();
            return Table { columns: columns.map(String::from).to_vec(), rows };
        }
        if let Some(at) = &self.at_time {
            let columns =
                ["samples", "alpha", "ridge", "time", "error", "bias", "variance", "train_error", "test_mse"];
            let noise = self.summary.noise;
            // Gradient descent adds its step η and step count k after the time ηk.
            let descent = at.iter().any(|t| t.descent.is_some());
            let rows: Vec<Vec<Cell>> = at
                .iter()
                .zip(&self.points)
                .map(|(t, p)| {
                    let mut row = vec![Cell::Int(t.samples as u64)];
                    row.extend([p.alpha, t.ridge, t.time].map(Cell::Num));
                    if descent {
                        match t.descent {
                            Some(d) => row.extend([Cell::Num(d.step), Cell::Num(d.steps)]),
                            None => row.extend([Cell::Missing, Cell::Missing]),
                        }
                    }
                    row.extend([t.error, t.bias, t.variance, t.train_error, t.error + noise].map(Cell::Num));
                    row
                })
                .collect();
            let mut rows = rows;
            mask_alpha(&mut rows);
            let mut columns: Vec<String> = columns.map(String::from).to_vec();
            if descent {
                columns.splice(4..4, ["step".to_string(), "steps".to_string()]);
            }
            return Table { columns, rows };
        }
        let rows = self
            .points
            .iter()
            .map(|p| {
                let mut row = vec![Cell::Int(p.samples as u64)];
                row.extend(
                    [
                        p.alpha,
                        p.ridge,
                        p.error,
                        p.bias,
                        p.variance,
                        p.train_error,
                        p.test_mse,
                        p.df,
                        p.df2,
                        p.kappa,
                        p.kappa_data,
                    ]
                    .map(Cell::Num),
                );
                row.extend(p.kappa_layers.iter().map(|&k| Cell::Num(k)));
                row.extend([p.error_inf, p.bias_inf, p.variance_inf, p.init_variance].map(Cell::opt));
                if let Some(k) = self.ensemble {
                    row.push(Cell::opt(k.error(p)));
                }
                row
            })
            .collect::<Vec<_>>();
        let depth = self.summary.widths.len();
        let mut rows = rows;
        mask_alpha(&mut rows);
        let mut table = Table { columns: columns(depth, self.ensemble.is_some()), rows };
        if let Some(ex) = &self.exponents {
            table.columns.push("exponent_samples".into());
            table.columns.extend((1..=depth).map(|l| format!("exponent_width_{l}")));
            for (row, e) in table.rows.iter_mut().zip(ex) {
                row.push(Cell::opt(e.samples));
                row.extend(e.widths.iter().map(|&w| Cell::opt(w)));
            }
        }
        table
    }

    /// Renders the curve: CSV (header + rows) or a JSON document with the program
    /// version, the config's name, its ridge, the resolved model and the same rows.
    pub fn render(&self, source: &str, format: Format) -> String {
        let mut fields = serde_json::json!({ "model": &self.summary });
        if let Some(k) = self.ensemble {
            fields["ensemble"] = serde_json::json!(k);
        }
        output::render_report(&self.table(), format, source, self.ridge, fields)
    }
}

/// Renders a curve of a config in the requested format (see [`Curve::render`]).
pub fn render(config: &Config, curve: &Curve, format: Format) -> String {
    curve.render(config.source(), format)
}
